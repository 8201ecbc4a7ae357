//! `mlx.core.linalg`: matrix factorizations and what is built from them.
//!
//! Invariant (MLX's layout): seven primitives do the numerical work (`LinalgOp`: QR, SVD,
//! Inverse (general or triangular), Cholesky, Eig, Eigh, LU); every other function here is a
//! composition of them with ordinary ops, so it batches, runs on every backend and gets
//! autograd wherever its parts have rules. Every function acts on the last two axes and
//! batches over the leading ones; float32 and float64 only, like MLX's CPU linalg (complex
//! inputs, which MLX accepts for svd/eig/eigh, are rejected: DIFFERENCES.md).

mod decomp;
mod norm;
mod solve;

pub use decomp::*;
pub use norm::*;
pub use solve::*;

use mlx_ops::{Error, LinalgOp, Primitive, Result};

use crate::Tensor;

/// The outputs of one factorization node.
pub(crate) fn factor(op: LinalgOp, a: &Tensor) -> Result<Vec<Tensor>> {
    Tensor::from_primitive_multi(Primitive::Linalg(op), vec![a.clone()])
}

/// MLX's checks: `>= 2` dimensions, float32 or float64 (messages `[op] ...`).
pub(crate) fn check(op: &str, a: &Tensor) -> Result<()> {
    mlx_ops::check_matrix(op, a.spec())
}

/// MLX's check that the last two axes are equal, with the op's own message.
pub(crate) fn check_square(op: &str, a: &Tensor, msg: &str) -> Result<()> {
    let n = a.ndim();
    if n >= 2 && a.shape()[n - 1] != a.shape()[n - 2] {
        return Err(Error::invalid(op, msg));
    }
    Ok(())
}

/// `x` with its last two axes swapped.
pub(crate) fn mt(x: &Tensor) -> Result<Tensor> {
    crate::swapaxes(x, -1, -2)
}
