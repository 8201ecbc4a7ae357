//! The matrix factorization primitives of `mlx.core.linalg` (MLX's QRF, SVD, Inverse,
//! Cholesky, Eig, Eigh, LUF), one [`crate::Primitive::Linalg`] family. Everything else in
//! `linalg` (solve, det, slogdet, pinv, norm, cross, cholesky_inv, solve_triangular) is a
//! composition in mlx-core.
//!
//! Invariant: every op takes one input of shape `(..., M, N)` (float32 or float64) and acts on
//! each of the trailing matrices independently; the leading axes are batch axes and appear in
//! front of every output. Several ops have several outputs (one node, N outputs); `infer`
//! gives them all, in MLX's order.

use crate::shape::fmt_shape;
use crate::{Dtype, Error, Result, Spec};

/// One factorization. Parameters are MLX's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinalgOp {
    /// Householder QR: outputs `Q (..., M, K)`, `R (..., K, N)` with `K = min(M, N)`,
    /// LAPACK's sign convention (`R[i, i] = -sign(x) ||x||` of the reflected column).
    Qr,
    /// Singular values `S (..., K)` descending; with `compute_uv` first `U (..., M, M)` and
    /// last `Vt (..., N, N)` (outputs `U, S, Vt`).
    Svd { compute_uv: bool },
    /// Matrix inverse; `tri`: only the `upper` (or lower) triangle is read and the inverse
    /// of that triangular matrix is returned (zeros in the other triangle).
    Inverse { tri: bool, upper: bool },
    /// Cholesky factor of the `upper` (or lower) triangle: `A = L L^T` or `A = U^T U`.
    Cholesky { upper: bool },
    /// Eigenvalues `(..., N)` and, with `vectors`, right eigenvectors `(..., N, N)` (columns,
    /// unit 2-norm) of a general square matrix; complex64 outputs.
    Eig { vectors: bool },
    /// Eigenvalues ascending `(..., N)` and, with `vectors`, orthonormal eigenvectors
    /// `(..., N, N)` (columns) of the symmetric matrix read from the `upper` (or lower) triangle.
    Eigh { upper: bool, vectors: bool },
    /// LU with partial pivoting (LAPACK getrf): outputs `LU (..., M, N)` (unit L below the
    /// diagonal, U on and above), `pivots (..., K)` uint32 (row i was swapped with pivots[i])
    /// and `perm (..., M)` uint32 (row i of `L U` is row `perm[i]` of the input).
    Lu,
}

impl LinalgOp {
    /// MLX's op name (used in messages: `[linalg::qr] ...`).
    pub fn name(self) -> &'static str {
        match self {
            LinalgOp::Qr => "linalg::qr",
            LinalgOp::Svd { .. } => "linalg::svd",
            LinalgOp::Inverse { tri: false, .. } => "linalg::inv",
            LinalgOp::Inverse { tri: true, .. } => "linalg::tri_inv",
            LinalgOp::Cholesky { .. } => "linalg::cholesky",
            LinalgOp::Eig { .. } => "linalg::eig",
            LinalgOp::Eigh { .. } => "linalg::eigh",
            LinalgOp::Lu => "linalg::lu_factor",
        }
    }

    /// One instance of every variant (one per name), for tests that must cover them all.
    pub fn catalog() -> Vec<LinalgOp> {
        vec![
            LinalgOp::Qr,
            LinalgOp::Svd { compute_uv: true },
            LinalgOp::Inverse { tri: false, upper: false },
            LinalgOp::Inverse { tri: true, upper: true },
            LinalgOp::Cholesky { upper: false },
            LinalgOp::Eig { vectors: true },
            LinalgOp::Eigh { upper: false, vectors: true },
            LinalgOp::Lu,
        ]
    }

    fn needs_square(self) -> bool {
        !matches!(self, LinalgOp::Qr | LinalgOp::Svd { .. } | LinalgOp::Lu)
    }

    /// The outputs' specs for input `x`, after MLX's checks (ndim, dtype, squareness).
    pub fn infer(self, x: &Spec) -> Result<Vec<Spec>> {
        let op = self.name();
        check_matrix(op, x)?;
        let n = x.shape.len();
        let (m, k) = (x.shape[n - 2], x.shape[n - 1]);
        if self.needs_square() && m != k {
            return Err(Error::invalid(
                op,
                format!("Expected square matrices but received shape {}.", fmt_shape(&x.shape)),
            ));
        }
        let batch = &x.shape[..n - 2];
        let with = |tail: &[usize], dtype: Dtype| {
            let mut s = batch.to_vec();
            s.extend_from_slice(tail);
            Spec::new(s, dtype)
        };
        let d = x.dtype;
        let kk = m.min(k);
        Ok(match self {
            LinalgOp::Qr => vec![with(&[m, kk], d), with(&[kk, k], d)],
            LinalgOp::Svd { compute_uv: true } => vec![with(&[m, m], d), with(&[kk], d), with(&[k, k], d)],
            LinalgOp::Svd { compute_uv: false } => vec![with(&[kk], d)],
            LinalgOp::Inverse { .. } | LinalgOp::Cholesky { .. } => vec![x.clone()],
            LinalgOp::Eig { vectors } => {
                let mut v = vec![with(&[m], Dtype::Complex64)];
                if vectors {
                    v.push(with(&[m, m], Dtype::Complex64));
                }
                v
            }
            LinalgOp::Eigh { vectors, .. } => {
                let mut v = vec![with(&[m], d)];
                if vectors {
                    v.push(x.clone());
                }
                v
            }
            LinalgOp::Lu => vec![x.clone(), with(&[kk], Dtype::Uint32), with(&[m], Dtype::Uint32)],
        })
    }
}

/// MLX's common checks: at least 2 dimensions, float32 or float64.
pub fn check_matrix(op: &str, x: &Spec) -> Result<()> {
    if x.shape.len() < 2 {
        return Err(Error::invalid(
            op,
            format!("Arrays must have >= 2 dimensions. Received array with {} dimensions.", x.shape.len()),
        ));
    }
    if !matches!(x.dtype, Dtype::Float32 | Dtype::Float64) {
        return Err(Error::invalid(
            op,
            format!("Arrays must have type float32 or float64. Received array with type {}.", x.dtype),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_checks() {
        let f = Dtype::Float32;
        let q = LinalgOp::Qr.infer(&Spec::new(vec![2, 4, 3], f)).unwrap();
        assert_eq!((q[0].shape.clone(), q[1].shape.clone()), (vec![2, 4, 3], vec![2, 3, 3]));
        let s = LinalgOp::Svd { compute_uv: true }.infer(&Spec::new(vec![3, 5], f)).unwrap();
        assert_eq!(s.iter().map(|s| s.shape.clone()).collect::<Vec<_>>(), vec![vec![3, 3], vec![3], vec![5, 5]]);
        let e = LinalgOp::Eig { vectors: false }.infer(&Spec::new(vec![2, 2], Dtype::Float64)).unwrap();
        assert_eq!(e[0].dtype, Dtype::Complex64);
        let lu = LinalgOp::Lu.infer(&Spec::new(vec![4, 2], f)).unwrap();
        assert_eq!((lu[1].shape.clone(), lu[2].shape.clone()), (vec![2], vec![4]));
        assert!(LinalgOp::Inverse { tri: false, upper: false }.infer(&Spec::new(vec![2, 3], f)).is_err());
        assert!(LinalgOp::Qr.infer(&Spec::new(vec![3], f)).is_err());
        let err = LinalgOp::Cholesky { upper: false }.infer(&Spec::new(vec![2, 2], Dtype::Int32)).unwrap_err();
        assert!(err.to_string().starts_with("[linalg::cholesky] Arrays must have type float32 or float64."));
    }
}
