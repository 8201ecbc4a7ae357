//! Matrix products.

use mlx_ops::{promote, shape::broadcast_shapes, Error, Primitive, Result};

use crate::{astype, broadcast_to, expand_dims, squeeze, Tensor};

/// Matrix product with NumPy semantics (`mx.matmul`): batch dimensions broadcast; a 1-D first
/// operand is a row vector and a 1-D second operand a column vector, their axis removed after.
///
/// # Errors
/// `[matmul]` for 0-d operands, non-inexact dtypes, or mismatched inner dimensions.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(Error::invalid("matmul", "Got 0 dimension input. Inputs must have at least one dimension."));
    }
    let dtype = promote(a.dtype(), b.dtype());
    if !dtype.is_inexact() {
        return Err(Error::invalid(
            "matmul",
            format!(
                "Only inexact types are supported but {} and {} were provided which results in {dtype}, which is not inexact.",
                a.dtype(),
                b.dtype()
            ),
        ));
    }
    let (a1, b1) = (a.ndim() == 1, b.ndim() == 1);
    let a = if a1 { expand_dims(a, 0)? } else { a.clone() };
    let b = if b1 { expand_dims(b, 1)? } else { b.clone() };
    let (na, nb) = (a.ndim(), b.ndim());
    if a.shape()[na - 1] != b.shape()[nb - 2] {
        return Err(inner_dim_mismatch("matmul", a.shape(), b.shape()));
    }
    let batch = broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2])?;
    let full = |t: &Tensor, n: usize| -> Result<Tensor> {
        let mut s = batch.clone();
        s.extend_from_slice(&t.shape()[n - 2..]);
        broadcast_to(&astype(t, dtype)?, &s)
    };
    let out = Tensor::from_primitive(Primitive::Matmul, vec![full(&a, na)?, full(&b, nb)?])?;
    match (a1, b1) {
        (true, true) => squeeze(&out, [-2, -1]),
        (true, false) => squeeze(&out, -2),
        (false, true) => squeeze(&out, -1),
        (false, false) => Ok(out),
    }
}

/// MLX's error for matrix products whose inner dimensions differ (`matmul`, `block_masked_mm`,
/// `segmented_mm`, ...), given the shapes after 1-D operands were promoted to matrices.
pub(crate) fn inner_dim_mismatch(op: &str, a: &[usize], b: &[usize]) -> Error {
    Error::invalid(
        op,
        format!(
            "Last dimension of first input with shape {} must match second to last dimension of second input with shape {}.",
            mlx_ops::shape::fmt_shape(a),
            mlx_ops::shape::fmt_shape(b)
        ),
    )
}
