//! The factorizations themselves (one primitive each) and the thin layers over them
//! (`lu` from `lu_factor`'s node, `eigvals`/`eigvalsh` without vectors).

use mlx_ops::{LinalgOp, Result};

use super::{check, check_square, factor};
use crate::Tensor;

fn pair(mut v: Vec<Tensor>) -> (Tensor, Tensor) {
    let b = v.pop().expect("two outputs");
    let a = v.pop().expect("two outputs");
    (a, b)
}

/// QR factorization (`mx.linalg.qr`): `A = Q R`, `Q (..., M, K)` with orthonormal columns,
/// `R (..., K, N)` upper triangular, `K = min(M, N)`; LAPACK's signs (Householder).
///
/// # Errors
/// `[linalg::qr]` for fewer than 2 dimensions or a dtype other than float32/float64.
pub fn qr(a: &Tensor) -> Result<(Tensor, Tensor)> {
    check("linalg::qr", a)?;
    Ok(pair(factor(LinalgOp::Qr, a)?))
}

/// Singular value decomposition (`mx.linalg.svd`): `[U, S, Vt]` with `A = U[:, :K] diag(S)
/// Vt[:K]`, `U (..., M, M)`, `S (..., K)` descending, `Vt (..., N, N)`; only `[S]` when
/// `compute_uv` is false. Singular vectors are unique only up to sign.
///
/// # Errors
/// `[linalg::svd]` for fewer than 2 dimensions or a dtype other than float32/float64.
pub fn svd(a: &Tensor, compute_uv: bool) -> Result<Vec<Tensor>> {
    check("linalg::svd", a)?;
    factor(LinalgOp::Svd { compute_uv }, a)
}

/// Matrix inverse (`mx.linalg.inv`). Evaluating a singular matrix's inverse is an error.
///
/// # Errors
/// `[linalg::inv]` for fewer than 2 dimensions, a non-float dtype or non-square matrices.
pub fn inv(a: &Tensor) -> Result<Tensor> {
    check("linalg::inv", a)?;
    check_square("linalg::inv", a, "Inverses are only defined for square matrices.")?;
    Ok(factor(LinalgOp::Inverse { tri: false, upper: false }, a)?.remove(0))
}

/// Inverse of a triangular matrix (`mx.linalg.tri_inv`): only the `upper` (or lower)
/// triangle is read; the other triangle of the result is zero.
///
/// # Errors
/// As [`inv`] (MLX reports them as `[linalg::inv]`); a zero diagonal entry fails at eval.
pub fn tri_inv(a: &Tensor, upper: bool) -> Result<Tensor> {
    check("linalg::inv", a)?;
    check_square("linalg::inv", a, "Inverses are only defined for square matrices.")?;
    Ok(factor(LinalgOp::Inverse { tri: true, upper }, a)?.remove(0))
}

/// Cholesky factor (`mx.linalg.cholesky`): lower `L` with `A = L L^T` from `A`'s lower
/// triangle, or upper `U` with `A = U^T U` from its upper triangle. `A` is not checked for
/// positive definiteness (a failing pivot gives NaN from there on).
///
/// # Errors
/// `[linalg::cholesky]` for fewer than 2 dimensions, a non-float dtype or non-square input.
pub fn cholesky(a: &Tensor, upper: bool) -> Result<Tensor> {
    check("linalg::cholesky", a)?;
    check_square("linalg::cholesky", a, "Cholesky decomposition is only defined for square matrices.")?;
    Ok(factor(LinalgOp::Cholesky { upper }, a)?.remove(0))
}

fn check_eig(op: &str, a: &Tensor) -> Result<()> {
    check(op, a)?;
    check_square(op, a, "Only defined for square matrices.")
}

/// Eigenvalues and right eigenvectors of general square matrices (`mx.linalg.eig`), both
/// complex64; `A V = V diag(w)`, columns of unit 2-norm. The order of the eigenvalues is
/// the solver's (as LAPACK's, unspecified).
///
/// # Errors
/// `[linalg::eig]` for fewer than 2 dimensions, a non-float dtype or non-square input.
pub fn eig(a: &Tensor) -> Result<(Tensor, Tensor)> {
    check_eig("linalg::eig", a)?;
    Ok(pair(factor(LinalgOp::Eig { vectors: true }, a)?))
}

/// Eigenvalues of general square matrices (`mx.linalg.eigvals`), complex64.
///
/// # Errors
/// As [`eig`].
pub fn eigvals(a: &Tensor) -> Result<Tensor> {
    check_eig("linalg::eig", a)?;
    Ok(factor(LinalgOp::Eig { vectors: false }, a)?.remove(0))
}

/// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices
/// (`mx.linalg.eigh`), read from the lower triangle for `uplo == "L"` and from the upper one
/// otherwise (MLX passes any other string to LAPACK as upper).
///
/// # Errors
/// `[linalg::eigh]` for fewer than 2 dimensions, a non-float dtype or non-square input.
pub fn eigh(a: &Tensor, uplo: &str) -> Result<(Tensor, Tensor)> {
    check_eig("linalg::eigh", a)?;
    Ok(pair(factor(LinalgOp::Eigh { upper: uplo != "L", vectors: true }, a)?))
}

/// Eigenvalues (ascending) of symmetric matrices (`mx.linalg.eigvalsh`); see [`eigh`].
///
/// # Errors
/// As [`eigh`].
pub fn eigvalsh(a: &Tensor, uplo: &str) -> Result<Tensor> {
    check_eig("linalg::eigh", a)?;
    Ok(factor(LinalgOp::Eigh { upper: uplo != "L", vectors: false }, a)?.remove(0))
}

/// LU factorization with partial pivoting, packed (`mx.linalg.lu_factor`): `LU (..., M, N)`
/// (unit lower L below the diagonal, U on and above) and `pivots (..., K)` uint32 (row `i`
/// was swapped with row `pivots[i]`, in order).
///
/// # Errors
/// `[linalg::lu_factor]` for fewer than 2 dimensions or a non-float dtype.
pub fn lu_factor(a: &Tensor) -> Result<(Tensor, Tensor)> {
    check("linalg::lu_factor", a)?;
    let mut v = factor(LinalgOp::Lu, a)?;
    v.truncate(2);
    Ok(pair(v))
}

/// LU factorization (`mx.linalg.lu`): `(P, L, U)` with `P (..., M)` uint32 row indices,
/// `L (..., M, K)` unit lower triangular, `U (..., K, N)` upper: `A == (L @ U)[P]` (row `i`
/// of `A` is row `P[i]` of `L U`; MLX's convention, the inverse of the kernel's `perm`).
///
/// # Errors
/// `[linalg::lu]` for fewer than 2 dimensions or a non-float dtype.
pub fn lu(a: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    check("linalg::lu", a)?;
    let mut v = factor(LinalgOp::Lu, a)?;
    let perm = crate::argsort(&v.pop().expect("three outputs"), -1)?;
    let packed = v.swap_remove(0);
    let nd = a.ndim();
    let (m, n) = (a.shape()[nd - 2], a.shape()[nd - 1]);
    let k = m.min(n);
    let cols = take_last2(&packed, m, k)?;
    let rows = take_last2(&packed, k, n)?;
    let eye = crate::eye(m, k, 0, a.dtype())?;
    let l = crate::add(&crate::tril(&cols, -1)?, &eye)?;
    let u = crate::triu(&rows, 0)?;
    Ok((perm, l, u))
}

/// The leading `r x c` block of the last two axes.
pub(crate) fn take_last2(x: &Tensor, r: usize, c: usize) -> Result<Tensor> {
    let nd = x.ndim();
    let start = vec![0i64; nd];
    let mut stop: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
    stop[nd - 2] = r as i64;
    stop[nd - 1] = c as i64;
    crate::slice(x, &start, &stop, &vec![1; nd])
}
