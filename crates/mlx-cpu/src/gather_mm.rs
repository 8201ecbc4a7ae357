//! `GatherMm` on the CPU: gathers the indexed batch matrices of both operands into contiguous
//! batches, then runs the shared matmul kernel. Every index is checked against the number of
//! matrices (MLX reads out of bounds; we return an error from eval).

use half::{bf16, f16};
use mlx_ops::{ArrayData, Dtype, Element, Error, Layout, Result, Spec, C64};

use crate::elementwise::debug_checked;
use crate::strided::{alloc, contiguous_elems, elems_mut, finish};

pub fn gather_mm(a: &ArrayData, b: &ArrayData, lhs: &ArrayData, rhs: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let r = match a.dtype {
        Dtype::Float16 => run::<f16>(a, b, lhs, rhs, out)?,
        Dtype::Bfloat16 => run::<bf16>(a, b, lhs, rhs, out)?,
        Dtype::Float32 => run::<f32>(a, b, lhs, rhs, out)?,
        Dtype::Float64 => run::<f64>(a, b, lhs, rhs, out)?,
        Dtype::Complex64 => run::<C64>(a, b, lhs, rhs, out)?,
        d => return Err(Error::invalid("gather_mm", format!("Only inexact types are supported but got {d}."))),
    };
    Ok(debug_checked(r, out))
}

/// Copies matrix `idx[i]` of `src` (matrices of `mat` elements, `count` of them) to slot i.
fn gather<T: Element>(src: &[T], idx: &[u32], mat: usize, count: usize, side: &str) -> Result<ArrayData> {
    let mut buf = alloc::<T>(idx.len() * mat);
    let dst = elems_mut::<T>(&mut buf);
    for (i, &j) in idx.iter().enumerate() {
        let j = j as usize;
        if j >= count {
            return Err(Error::invalid(
                "gather_mm",
                format!("{side} index {j} is out of range for {count} matrices."),
            ));
        }
        dst[i * mat..(i + 1) * mat].copy_from_slice(&src[j * mat..(j + 1) * mat]);
    }
    Ok(finish::<T>(buf, &[idx.len() * mat]))
}

fn run<T: Element>(a: &ArrayData, b: &ArrayData, lhs: &ArrayData, rhs: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let (sa, sb) = (a.shape(), b.shape());
    let (na, nb) = (sa.len(), sb.len());
    let (m, k, n) = (sa[na - 2], sa[na - 1], sb[nb - 1]);
    let count_a: usize = sa[..na - 2].iter().product();
    let count_b: usize = sb[..nb - 2].iter().product();
    let (av, bv) = (contiguous_elems::<T>(a), contiguous_elems::<T>(b));
    let (li, ri) = (contiguous_elems::<u32>(lhs), contiguous_elems::<u32>(rhs));
    let p = li.len();
    let ag = gather(&av, &li, m * k, count_a, "lhs")?;
    let bg = gather(&bv, &ri, k * n, count_b, "rhs")?;
    let ag = ag.with_layout(Layout::contiguous(&[p, m, k]));
    let bg = bg.with_layout(Layout::contiguous(&[p, k, n]));
    let prod = crate::matmul::matmul(&ag, &bg, &Spec::new(vec![p, m, n], out.dtype))?;
    Ok(prod.with_layout(Layout::contiguous(&out.shape)))
}
