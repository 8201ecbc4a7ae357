//! `ConvGeneral` on the CPU: im2col, then the shared matmul kernel (`crate::matmul::matmul`), so
//! convolutions speed up with every improvement of the GEMM.
//!
//! For each group g, the patch matrix `cols[g]` has one row per output position (n, o_1..o_d)
//! and one column per (kernel tap, input channel of the group); the weight is viewed, without a
//! copy, as `(groups, taps * C_in_g, C_out_g)`. Positions that fall into padding or between
//! dilated input elements stay zero. Invariant: the buffers hold exactly the inferred sizes.

use half::{bf16, f16};
use mlx_ops::{ArrayData, ConvParams, Dtype, Element, Error, Layout, Result, Spec, C64};

use crate::elementwise::debug_checked;
use crate::strided::{alloc, contiguous_elems, elems_mut, finish};

pub fn conv_general(x: &ArrayData, w: &ArrayData, p: &ConvParams, out: &Spec) -> Result<ArrayData> {
    let r = match x.dtype {
        Dtype::Float16 => run::<f16>(x, w, p, out)?,
        Dtype::Bfloat16 => run::<bf16>(x, w, p, out)?,
        Dtype::Float32 => run::<f32>(x, w, p, out)?,
        Dtype::Float64 => run::<f64>(x, w, p, out)?,
        Dtype::Complex64 => run::<C64>(x, w, p, out)?,
        d => {
            return Err(Error::invalid(
                "conv",
                format!("Invalid input array with type {d}. Convolution currently only supports floating point types"),
            ))
        }
    };
    Ok(debug_checked(r, out))
}

/// Row-major element strides of the spatial axes of an `(N, *spatial, C)` array.
fn spatial_strides(spatial: &[usize], channels: usize) -> Vec<usize> {
    let mut st = vec![0usize; spatial.len()];
    let mut acc = channels;
    for i in (0..spatial.len()).rev() {
        st[i] = acc;
        acc *= spatial[i];
    }
    st
}

/// The input offset (in elements, from the batch start) that kernel tap `k` of output position
/// `o` reads, or `None` in padding / between dilated elements.
fn tap_offset(o: &[usize], k: &[usize], ksz: &[usize], in_sp: &[usize], st: &[usize], p: &ConvParams) -> Option<usize> {
    let mut off = 0;
    for i in 0..o.len() {
        let kk = if p.flip { ksz[i] - 1 - k[i] } else { k[i] };
        let pos = (o[i] * p.stride[i] + kk * p.kernel_dilation[i]) as isize - p.padding_lo[i] as isize;
        if pos < 0 {
            return None;
        }
        let pos = pos as usize;
        if !pos.is_multiple_of(p.input_dilation[i]) {
            return None;
        }
        let ip = pos / p.input_dilation[i];
        if ip >= in_sp[i] {
            return None;
        }
        off += ip * st[i];
    }
    Some(off)
}

/// Unflattens `idx` into `out` over `shape` (row-major).
fn unravel(mut idx: usize, shape: &[usize], out: &mut [usize]) {
    for i in (0..shape.len()).rev() {
        out[i] = idx % shape[i];
        idx /= shape[i];
    }
}

fn run<T: Element>(x: &ArrayData, w: &ArrayData, p: &ConvParams, out: &Spec) -> Result<ArrayData> {
    let xs = x.shape();
    let ws = w.shape();
    let sd = xs.len() - 2;
    let (batch, cin) = (xs[0], xs[sd + 1]);
    let g = p.groups;
    let cg = cin / g;
    let og = ws[0] / g;
    let (in_sp, k_sp, o_sp) = (&xs[1..=sd], &ws[1..=sd], &out.shape[1..=sd]);
    let kvol: usize = k_sp.iter().product();
    let ovol: usize = o_sp.iter().product();
    let rows = batch * ovol;
    let kc = kvol * cg;

    let xv = contiguous_elems::<T>(x);
    let st = spatial_strides(in_sp, cin);
    let batch_stride = st.first().map_or(cin, |&s0| s0 * in_sp[0]);
    let mut cols = alloc::<T>(g * rows * kc);
    {
        let c = elems_mut::<T>(&mut cols);
        let (mut o, mut k) = (vec![0usize; sd], vec![0usize; sd]);
        for row in 0..rows {
            let b = row / ovol;
            unravel(row % ovol, o_sp, &mut o);
            for tap in 0..kvol {
                unravel(tap, k_sp, &mut k);
                let Some(off) = tap_offset(&o, &k, k_sp, in_sp, &st, p) else { continue };
                let src = b * batch_stride + off;
                for gi in 0..g {
                    let dst = (gi * rows + row) * kc + tap * cg;
                    c[dst..dst + cg].copy_from_slice(&xv[src + gi * cg..src + (gi + 1) * cg]);
                }
            }
        }
    }
    let cols = finish::<T>(cols, &[g, rows, kc]);

    // The weight (C_out, *K, C_in_g) as (groups, taps * C_in_g, C_out_g), a strided view.
    let wc = if w.layout.is_row_contiguous() { w.clone() } else { crate::copy::copy(w)? };
    let wt = wc.with_layout(Layout::new(
        vec![g, kc, og],
        vec![(og * kc) as isize, 1, kc as isize],
        wc.layout.offset(),
    ));
    let prod = crate::matmul::matmul(&cols, &wt, &Spec::new(vec![g, rows, og], out.dtype))?;
    if g == 1 {
        return Ok(prod.with_layout(Layout::contiguous(&out.shape)));
    }
    // (groups, rows, C_out_g) -> (rows, groups, C_out_g) = (N, *O, C_out).
    let moved = crate::copy::copy(&prod.with_layout(prod.layout.transpose(&[1, 0, 2])))?;
    Ok(moved.with_layout(Layout::contiguous(&out.shape)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: &[f32], shape: &[usize]) -> ArrayData {
        let mut buf = alloc::<f32>(v.len());
        elems_mut::<f32>(&mut buf).copy_from_slice(v);
        finish::<f32>(buf, shape)
    }

    #[test]
    fn conv1d_matches_direct_sum() {
        // x: (1, 4, 1) = [1, 2, 3, 4]; w: (1, 2, 1) = [1, 10]; valid cross-correlation.
        let x = arr(&[1., 2., 3., 4.], &[1, 4, 1]);
        let w = arr(&[1., 10.], &[1, 2, 1]);
        let p = ConvParams::simple(1);
        let out = Spec::new(vec![1, 3, 1], Dtype::Float32);
        let r = conv_general(&x, &w, &p, &out).unwrap();
        assert_eq!(contiguous_elems::<f32>(&r).to_vec(), vec![21., 32., 43.]);
        let mut f = ConvParams::simple(1);
        f.flip = true;
        let r = conv_general(&x, &w, &f, &out).unwrap();
        assert_eq!(contiguous_elems::<f32>(&r).to_vec(), vec![12., 23., 34.]);
    }
}
