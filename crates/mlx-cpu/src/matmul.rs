//! Batched matrix multiplication, `(B.., M, K) @ (B.., K, N)`. Operands are made row-contiguous,
//! half floats are computed in f32, and each product runs the cache-friendly i-k-j loop order.
//! (The fast GEMM of issue #5 replaces the inner product; the semantics stay.)

use half::{bf16, f16};
use mlx_ops::{ArrayData, Dtype, Error, Result, Spec, C64};

use crate::elementwise::debug_checked;
use crate::num::{cast, Num};
use crate::strided::{alloc, contiguous_elems, elems_mut, finish};

/// `c += a @ b` for one row-major (m,k) x (k,n) product.
fn gemm_ikj<T: Num>(a: &[T], b: &[T], c: &mut [T], m: usize, k: usize, n: usize) {
    for i in 0..m {
        let crow = &mut c[i * n..(i + 1) * n];
        for p in 0..k {
            let aip = a[i * k + p];
            let brow = &b[p * n..(p + 1) * n];
            for (cj, &bj) in crow.iter_mut().zip(brow) {
                *cj = cj.add(aip.mul(bj));
            }
        }
    }
}

fn batched<T: Num>(a: &[T], b: &[T], c: &mut [T], batch: usize, m: usize, k: usize, n: usize) {
    for bi in 0..batch {
        gemm_ikj(&a[bi * m * k..(bi + 1) * m * k], &b[bi * k * n..(bi + 1) * k * n], &mut c[bi * m * n..(bi + 1) * m * n], m, k, n);
    }
}

fn run<T: Num>(a: &ArrayData, b: &ArrayData, shape: &[usize], dims: (usize, usize, usize, usize)) -> ArrayData {
    let (batch, m, k, n) = dims;
    let (av, bv) = (contiguous_elems::<T>(a), contiguous_elems::<T>(b));
    let mut buf = alloc::<T>(batch * m * n);
    batched(&av, &bv, elems_mut::<T>(&mut buf), batch, m, k, n);
    finish::<T>(buf, shape)
}

/// Half floats: widen to f32, multiply, round once.
fn run_half<T: Num>(a: &ArrayData, b: &ArrayData, shape: &[usize], dims: (usize, usize, usize, usize)) -> ArrayData {
    let (batch, m, k, n) = dims;
    let av: Vec<f32> = contiguous_elems::<T>(a).iter().map(|&v| cast::<T, f32>(v)).collect();
    let bv: Vec<f32> = contiguous_elems::<T>(b).iter().map(|&v| cast::<T, f32>(v)).collect();
    let mut c = vec![0f32; batch * m * n];
    batched(&av, &bv, &mut c, batch, m, k, n);
    let mut buf = alloc::<T>(c.len());
    for (d, &v) in elems_mut::<T>(&mut buf).iter_mut().zip(&c) {
        *d = cast::<f32, T>(v);
    }
    finish::<T>(buf, shape)
}

pub fn matmul(a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let nd = a.layout.ndim();
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let batch = a.shape()[..nd - 2].iter().product();
    let dims = (batch, m, k, n);
    let r = match a.dtype {
        Dtype::Float32 => run::<f32>(a, b, &out.shape, dims),
        Dtype::Float64 => run::<f64>(a, b, &out.shape, dims),
        Dtype::Complex64 => run::<C64>(a, b, &out.shape, dims),
        Dtype::Float16 => run_half::<f16>(a, b, &out.shape, dims),
        Dtype::Bfloat16 => run_half::<bf16>(a, b, &out.shape, dims),
        d => return Err(Error::invalid("matmul", format!("Only inexact types are supported but got {d}."))),
    };
    Ok(debug_checked(r, out))
}
