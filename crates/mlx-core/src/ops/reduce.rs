//! Reductions: sum, prod, max, min (primitives), mean and var/std (compositions), argmax and
//! argmin. The primitive keeps reduced axes as size 1; `keepdims = false` reshapes them away.

use mlx_ops::{ArgReduceOp, Primitive, ReduceOp, Result};

use crate::ops::Axes;
use crate::{astype, divide, multiply, reshape_usize, square, subtract, Tensor};

fn drop_axes(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
}

fn reduce(op: ReduceOp, x: &Tensor, axes: Axes, keepdims: bool) -> Result<Tensor> {
    let axes = axes.resolve(op.name(), x.ndim())?;
    if axes.is_empty() {
        // MLX returns the input untouched (no promotion) when no axis is reduced.
        return Ok(x.clone());
    }
    let x = match op {
        ReduceOp::Sum | ReduceOp::Prod => astype(x, x.dtype().to_accumulator())?,
        ReduceOp::Max | ReduceOp::Min => x.clone(),
    };
    let r = Tensor::from_primitive(Primitive::Reduce { op, axes: axes.clone() }, vec![x.clone()])?;
    if keepdims {
        Ok(r)
    } else {
        reshape_usize(&r, &drop_axes(x.shape(), &axes))
    }
}

macro_rules! reduce_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        /// On an out-of-range or repeated axis.
        pub fn $name(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
            reduce(ReduceOp::$op, x, axes.into(), keepdims)
        }
    )*};
}
reduce_fns!(
    /// Sum over `axes` (bool and narrow integers accumulate in int32/uint32, as MLX).
    sum => Sum,
    /// Product over `axes` (bool and narrow integers accumulate in int32/uint32, as MLX).
    prod => Prod,
    /// Maximum over `axes`; NaN propagates. Errors on an empty array.
    max => Max,
    /// Minimum over `axes`; NaN propagates. Errors on an empty array.
    min => Min,
);

/// Number of elements reduced over `axes` (already normalized).
fn count(x: &Tensor, axes: &[usize]) -> usize {
    axes.iter().map(|&a| x.shape()[a]).product()
}

/// Arithmetic mean over `axes`: `sum / n`, in the input's inexact dtype (integers give float32).
pub fn mean(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    let axes = axes.into();
    let n = count(x, &axes.resolve("mean", x.ndim())?);
    let x = astype(x, x.dtype().to_inexact())?;
    divide(&sum(&x, axes, keepdims)?, n as f64)
}

/// Variance over `axes` with `ddof` delta degrees of freedom: `sum((x - mean)^2) / (n - ddof)`.
/// Computed in two passes (more accurate than MLX's `E[x^2] - E[x]^2`; equal within tolerance).
pub fn var(x: &Tensor, axes: impl Into<Axes>, keepdims: bool, ddof: usize) -> Result<Tensor> {
    let axes = axes.into();
    let n = count(x, &axes.resolve("var", x.ndim())?);
    let x = astype(x, x.dtype().to_inexact())?;
    let mu = mean(&x, axes.clone(), true)?;
    let ss = sum(&square(&subtract(&x, &mu)?)?, axes, keepdims)?;
    let denom = n as f64 - ddof as f64;
    multiply(&ss, if denom > 0.0 { 1.0 / denom } else { f64::INFINITY })
}

/// Standard deviation: `sqrt(var)`.
pub fn std(x: &Tensor, axes: impl Into<Axes>, keepdims: bool, ddof: usize) -> Result<Tensor> {
    crate::sqrt(&var(x, axes, keepdims, ddof)?)
}

fn arg_reduce(op: ArgReduceOp, x: &Tensor, axis: Option<i32>, keepdims: bool) -> Result<Tensor> {
    let (x, axis) = match axis {
        Some(a) => (x.clone(), mlx_ops::shape::normalize_axis(op.name(), a, x.ndim())?),
        None => (reshape_usize(x, &[x.size()])?, 0),
    };
    let r = Tensor::from_primitive(Primitive::ArgReduce { op, axis }, vec![x.clone()])?;
    if keepdims {
        Ok(r)
    } else {
        reshape_usize(&r, &drop_axes(x.shape(), &[axis]))
    }
}

/// Index (uint32) of the first maximum along `axis`; `None` flattens first. NaN counts as the
/// maximum.
///
/// # Errors
/// On a bad axis or an empty reduction.
pub fn argmax(x: &Tensor, axis: impl Into<Option<i32>>, keepdims: bool) -> Result<Tensor> {
    let axis = axis.into();
    let r = arg_reduce(ArgReduceOp::ArgMax, x, axis, keepdims)?;
    keep_rank(x, r, axis, keepdims)
}

/// Index (uint32) of the first minimum along `axis`; `None` flattens first.
pub fn argmin(x: &Tensor, axis: impl Into<Option<i32>>, keepdims: bool) -> Result<Tensor> {
    let axis = axis.into();
    let r = arg_reduce(ArgReduceOp::ArgMin, x, axis, keepdims)?;
    keep_rank(x, r, axis, keepdims)
}

/// With `axis = None` and `keepdims`, MLX returns all-ones of the input's rank.
fn keep_rank(x: &Tensor, r: Tensor, axis: Option<i32>, keepdims: bool) -> Result<Tensor> {
    if axis.is_none() && keepdims {
        return reshape_usize(&r, &vec![1; x.ndim()]);
    }
    Ok(r)
}

// --- shapeops: logical reductions (compositions) ---

/// Whether every element over `axes` is nonzero (true for an empty reduction) (`mx.all`).
///
/// # Errors
/// On an out-of-range or repeated axis.
pub fn all(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    let zeros_found = sum(&crate::equal(x, 0)?, axes, keepdims)?;
    crate::equal(&zeros_found, 0)
}

/// Whether any element over `axes` is nonzero (false for an empty reduction) (`mx.any`).
///
/// # Errors
/// On an out-of-range or repeated axis.
pub fn any(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    crate::greater(&count_nonzero(x, axes, keepdims)?, 0)
}

/// Number of nonzero elements over `axes` (`mx.count_nonzero`), int32 (`sum` of a bool mask);
/// NaN counts as nonzero.
///
/// # Errors
/// On an out-of-range or repeated axis.
pub fn count_nonzero(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    // `sum` over no axes returns its input: cast the mask then.
    astype(&sum(&crate::not_equal(x, 0)?, axes, keepdims)?, mlx_ops::Dtype::Int32)
}
