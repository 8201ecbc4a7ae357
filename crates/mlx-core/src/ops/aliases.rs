//! MLX's array-API aliases and small helpers (issue #3, fft branch): each is a thin
//! composition of an existing op with MLX's name and argument order, so it inherits that op's
//! semantics, errors and transforms.

use mlx_ops::{Dtype, Error, Result};

use crate::ops::Axes;
use crate::{astype, Tensor};

/// `mx.concat`: [`crate::concatenate`] under the array-API name.
///
/// # Errors
/// As `concatenate`.
pub fn concat<T: AsRef<Tensor>>(arrays: &[T], axis: i32) -> Result<Tensor> {
    crate::concatenate(arrays, axis)
}

/// `mx.permute_dims`: [`crate::transpose`] under the array-API name.
///
/// # Errors
/// As `transpose`.
pub fn permute_dims(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    crate::transpose(x, axes)
}

/// `mx.matrix_transpose`: swaps the last two axes.
///
/// # Errors
/// `[matrix_transpose]` for fewer than two dimensions.
pub fn matrix_transpose(x: &Tensor) -> Result<Tensor> {
    if x.ndim() < 2 {
        return Err(Error::invalid("matrix_transpose", "Input array must have at least 2 dimensions."));
    }
    crate::swapaxes(x, -1, -2)
}

/// `mx.cumulative_sum`: [`crate::cumsum`] after an optional cast to `dtype` (the sum runs and
/// wraps in that dtype: `cumulative_sum([100, 100] int8, dtype=int8)` is `[100, -56]`).
///
/// # Errors
/// As `cumsum`.
pub fn cumulative_sum(x: &Tensor, axis: impl Into<Option<i32>>, reverse: bool, inclusive: bool, dtype: Option<Dtype>) -> Result<Tensor> {
    let x = match dtype {
        Some(d) => astype(x, d)?,
        None => x.clone(),
    };
    crate::cumsum(&x, axis, reverse, inclusive)
}

/// `mx.cumulative_prod`: [`crate::cumprod`] after an optional cast to `dtype`.
///
/// # Errors
/// As `cumprod`.
pub fn cumulative_prod(x: &Tensor, axis: impl Into<Option<i32>>, reverse: bool, inclusive: bool, dtype: Option<Dtype>) -> Result<Tensor> {
    let x = match dtype {
        Some(d) => astype(x, d)?,
        None => x.clone(),
    };
    crate::cumprod(&x, axis, reverse, inclusive)
}

/// `mx.minmax`: `(min, max)` over `axes`.
///
/// # Errors
/// As `min` / `max`.
pub fn minmax(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<(Tensor, Tensor)> {
    let axes = axes.into();
    Ok((crate::min(x, axes.clone(), keepdims)?, crate::max(x, axes, keepdims)?))
}

/// `mx.broadcast_shapes`: NumPy's broadcast of several shapes.
///
/// # Errors
/// `[broadcast_shapes]` when two shapes cannot be broadcast.
pub fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = vec![];
    for s in shapes {
        out = mlx_ops::shape::broadcast_shapes(&out, s)?;
    }
    Ok(out)
}

/// `mx.empty_like`: an array of `x`'s shape and `dtype` (default `x`'s); like MLX it is zeroed.
///
/// # Errors
/// None in practice (`Result` for uniformity with the creation ops).
pub fn empty_like(x: &Tensor, dtype: Option<Dtype>) -> Result<Tensor> {
    crate::zeros(x.shape(), dtype.unwrap_or(x.dtype()))
}

/// `mx.get_active_memory`: bytes held by live arrays (the buffer allocator's count).
pub fn get_active_memory() -> usize {
    mlx_ops::active_memory()
}

/// `mx.get_peak_memory`: the highest active memory since start or [`crate::reset_peak_memory`].
pub fn get_peak_memory() -> usize {
    mlx_ops::peak_memory()
}

/// `mx.get_cache_memory`: bytes held by the buffer cache for reuse.
pub fn get_cache_memory() -> usize {
    mlx_ops::cache_memory()
}
