//! Compositions over the factorizations: linear solves (LU, then triangular inverses and
//! matmuls, as MLX), determinants from LU's diagonal and pivots, the pseudo-inverse from the
//! SVD, and the inverse from a Cholesky factor.

use mlx_ops::{promote, Dtype, Error, LinalgOp, Result};

use super::{check, check_square, factor, mt};
use crate::linalg::decomp::take_last2;
use crate::Tensor;

/// Solves `A x = b` (`mx.linalg.solve`) through `P A = L U`: `x = U^-1 (L^-1 (P b))`. `b` is
/// `(..., N)` or `(..., N, K)` with the batch shape of `A` (MLX does not broadcast them).
///
/// # Errors
/// `[linalg::solve]` when the dtypes do not promote to float32/float64, `A` is not a batch of
/// square matrices, or the shapes do not match; a singular `A` fails at eval.
pub fn solve(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let op = "linalg::solve";
    let dtype = promote(a.dtype(), b.dtype());
    if !matches!(dtype, Dtype::Float32 | Dtype::Float64) {
        return Err(Error::invalid(
            op,
            format!("Input arrays must promote to float32 or float64.  Received arrays with type {} and {}.", a.dtype(), b.dtype()),
        ));
    }
    if a.ndim() < 2 {
        return Err(Error::invalid(op, format!("First input must have >= 2 dimensions. Received array with {} dimensions.", a.ndim())));
    }
    if b.ndim() < 1 {
        return Err(Error::invalid(op, "Second input must have >= 1 dimensions. Received array with 0 dimensions."));
    }
    let nd = a.ndim();
    let n = a.shape()[nd - 1];
    if a.shape()[nd - 2] != n {
        return Err(Error::invalid(
            op,
            format!("First input must be a square matrix. Received array with shape {}.", mlx_ops::shape::fmt_shape(a.shape())),
        ));
    }
    let vector = b.ndim() == 1;
    let rows_axis = if vector { 0 } else { b.ndim() - 2 };
    let batch_ok = if vector { nd == 2 } else { b.ndim() == nd && b.shape()[..nd - 2] == a.shape()[..nd - 2] };
    if b.shape()[rows_axis] != n || !batch_ok {
        return Err(Error::invalid(
            op,
            format!(
                "Last dimension of first input with shape {} must match second to last dimension of second input with shape {}.",
                mlx_ops::shape::fmt_shape(a.shape()),
                mlx_ops::shape::fmt_shape(b.shape())
            ),
        ));
    }
    let a = crate::astype(a, dtype)?;
    let b = crate::astype(b, dtype)?;
    let b2 = if vector { crate::expand_dims(&b, -1)? } else { b };
    let f = factor(LinalgOp::Lu, &a)?;
    let (packed, perm) = (&f[0], &f[2]);
    // P b: row i of the permuted b is row perm[i].
    let idx = crate::expand_dims(perm, -1)?;
    let idx = crate::broadcast_to(&idx, &[&perm.shape()[..], &[b2.shape()[b2.ndim() - 1]]].concat())?;
    let pb = crate::take_along_axis(&b2, &idx, -2)?;
    let eye = crate::eye(n, None, 0, dtype)?;
    let l = crate::add(&crate::tril(packed, -1)?, &eye)?;
    let l_inv = factor(LinalgOp::Inverse { tri: true, upper: false }, &l)?.remove(0);
    let u_inv = factor(LinalgOp::Inverse { tri: true, upper: true }, packed)?.remove(0);
    let x = crate::matmul(&u_inv, &crate::matmul(&l_inv, &pb)?)?;
    if vector {
        crate::squeeze(&x, -1)
    } else {
        Ok(x)
    }
}

/// Solves `A x = b` for triangular `A` (`mx.linalg.solve_triangular`): `tri_inv(A, upper) @ b`.
///
/// # Errors
/// Those of [`super::tri_inv`] and [`crate::matmul`]; a zero diagonal fails at eval.
pub fn solve_triangular(a: &Tensor, b: &Tensor, upper: bool) -> Result<Tensor> {
    let dtype = promote(a.dtype(), b.dtype());
    let a = if matches!(dtype, Dtype::Float32 | Dtype::Float64) { crate::astype(a, dtype)? } else { a.clone() };
    crate::matmul(&super::tri_inv(&a, upper)?, b)
}

/// Inverse of `A` from its Cholesky factor (`mx.linalg.cholesky_inv`): with `A = L L^T`,
/// `A^-1 = L^-T L^-1`; with `A = U^T U` (`upper`), `A^-1 = U^-1 U^-T`.
///
/// # Errors
/// Those of [`super::tri_inv`].
pub fn cholesky_inv(l: &Tensor, upper: bool) -> Result<Tensor> {
    let t = super::tri_inv(l, upper)?;
    if upper {
        crate::matmul(&t, &mt(&t)?)
    } else {
        crate::matmul(&mt(&t)?, &t)
    }
}

/// LU of `a` for determinants: `(diag(U), number of row swaps)`, in a float32/float64 copy.
fn lu_diag(op: &str, a: &Tensor) -> Result<(Tensor, Tensor, Dtype)> {
    if a.ndim() < 2 {
        return Err(Error::invalid(op, format!("Arrays must have >= 2 dimensions. Received array with {} dimensions.", a.ndim())));
    }
    check_square(op, a, "Only defined for square matrices.")?;
    // MLX: at least float (ints give float32); half types factor in float32 and round back.
    let out = if a.dtype().is_inexact() && !a.dtype().is_complex() { a.dtype() } else { Dtype::Float32 };
    let work = if out == Dtype::Float64 { Dtype::Float64 } else { Dtype::Float32 };
    let f = factor(LinalgOp::Lu, &crate::astype(a, work)?)?;
    let diag = crate::diagonal(&f[0], 0, -2, -1)?;
    let k = f[1].shape()[f[1].ndim() - 1];
    let steps = crate::arange(0i64, k as i64, 1i64, Dtype::Uint32)?;
    let swaps = crate::sum(&crate::not_equal(&f[1], &steps)?, -1, false)?;
    Ok((diag, swaps, out))
}

/// `(-1)^swaps` in `dtype`.
fn parity(swaps: &Tensor, dtype: Dtype) -> Result<Tensor> {
    let odd = crate::remainder(swaps, 2i32)?;
    crate::subtract(1.0f32, &crate::astype(&crate::multiply(&odd, 2i32)?, dtype)?)
}

/// Determinant (`mx.linalg.det`): the product of LU's diagonal with the sign of its row
/// permutation. Integers give float32; float16/bfloat16 compute in float32 and round back.
///
/// # Errors
/// `[linalg::det]` for fewer than 2 dimensions or non-square input.
pub fn det(a: &Tensor) -> Result<Tensor> {
    let (diag, swaps, out) = lu_diag("linalg::det", a)?;
    let work = diag.dtype();
    let d = crate::multiply(&crate::prod(&diag, -1, false)?, &parity(&swaps, work)?)?;
    crate::astype(&d, out)
}

/// Sign and natural log of the absolute determinant (`mx.linalg.slogdet`); a singular matrix
/// gives `(0, -inf)`.
///
/// # Errors
/// `[linalg::slogdet]` for fewer than 2 dimensions or non-square input.
pub fn slogdet(a: &Tensor) -> Result<(Tensor, Tensor)> {
    let (diag, swaps, out) = lu_diag("linalg::slogdet", a)?;
    let work = diag.dtype();
    let sign = crate::multiply(&crate::prod(&crate::sign(&diag)?, -1, false)?, &parity(&swaps, work)?)?;
    let logabs = crate::sum(&crate::log(&crate::abs(&diag)?)?, -1, false)?;
    Ok((crate::astype(&sign, out)?, crate::astype(&logabs, out)?))
}

/// Moore-Penrose pseudo-inverse (`mx.linalg.pinv`) from the SVD: singular values at most
/// `max(M, N) * eps * max(S)` count as zero.
///
/// # Errors
/// `[linalg::pinv]` for fewer than 2 dimensions or a dtype other than float32/float64.
pub fn pinv(a: &Tensor) -> Result<Tensor> {
    check("linalg::pinv", a)?;
    let nd = a.ndim();
    let (m, n) = (a.shape()[nd - 2], a.shape()[nd - 1]);
    let k = m.min(n);
    if k == 0 {
        let mut shape = a.shape().to_vec();
        shape.swap(nd - 2, nd - 1);
        return crate::zeros(&shape, a.dtype());
    }
    let usv = factor(LinalgOp::Svd { compute_uv: true }, a)?;
    let (u, s, vt) = (take_last2(&usv[0], m, k)?, &usv[1], take_last2(&usv[2], k, n)?);
    let eps = if a.dtype() == Dtype::Float64 { f64::EPSILON } else { f32::EPSILON as f64 };
    let smax = crate::max(s, -1, true)?;
    let cutoff = crate::multiply(&smax, (m.max(n) as f64 * eps) as f32)?;
    let keep = crate::greater(s, &cutoff)?;
    let safe = crate::r#where(&keep, s, 1.0f32)?;
    let s_inv = crate::r#where(&keep, &crate::divide(1.0f32, &safe)?, 0.0f32)?;
    // pinv = V diag(1/S) U^T.
    let v_scaled = crate::multiply(&mt(&vt)?, &crate::expand_dims(&s_inv, -2)?)?;
    crate::matmul(&v_scaled, &mt(&u)?)
}
