//! Array creation: full, zeros, ones (+ `_like`), arange, linspace, eye, identity. `full` and
//! `arange` are primitives; the rest are compositions.

use mlx_ops::{Dtype, Error, Primitive, Result, Scalar};

use crate::{add, astype, equal, expand_dims, multiply, Tensor};

/// An array of `shape` filled with `value` (`mx.full`); `dtype` defaults to the value's own
/// (bool, int32, float32 or complex64).
///
/// ```
/// let x = mlx_core::full(&[2, 2], 1.5, None).unwrap();
/// assert_eq!(x.to_vec::<f32>().unwrap(), vec![1.5; 4]);
/// ```
pub fn full(shape: &[usize], value: impl Into<Scalar>, dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    let value = value.into();
    let dtype = dtype.into().unwrap_or(value.default_dtype());
    Tensor::from_primitive(Primitive::Full { shape: shape.to_vec(), dtype, value }, vec![])
}

/// Zeros of `shape` (`dtype` defaults to float32).
pub fn zeros(shape: &[usize], dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    full(shape, 0i32, dtype.into().unwrap_or(Dtype::Float32))
}

/// Ones of `shape` (`dtype` defaults to float32).
pub fn ones(shape: &[usize], dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    full(shape, 1i32, dtype.into().unwrap_or(Dtype::Float32))
}

/// Zeros with the shape and dtype of `x`.
pub fn zeros_like(x: &Tensor) -> Result<Tensor> {
    zeros(x.shape(), x.dtype())
}

/// Ones with the shape and dtype of `x`.
pub fn ones_like(x: &Tensor) -> Result<Tensor> {
    ones(x.shape(), x.dtype())
}

/// `value` with the shape and dtype of `x`.
pub fn full_like(x: &Tensor, value: impl Into<Scalar>) -> Result<Tensor> {
    full(x.shape(), value, x.dtype())
}

/// Values from `start` up to (not including) `stop` in steps of `step` (`mx.arange`). `dtype`
/// defaults to int32 when all three are integers, else float32.
///
/// # Errors
/// `[arange]` for a zero or non-finite step, non-finite bounds, or a bool dtype.
pub fn arange(
    start: impl Into<Scalar>,
    stop: impl Into<Scalar>,
    step: impl Into<Scalar>,
    dtype: impl Into<Option<Dtype>>,
) -> Result<Tensor> {
    let (start, stop, step) = (start.into(), stop.into(), step.into());
    let all_int = [start, stop, step].iter().all(|s| matches!(s, Scalar::Int(_) | Scalar::Bool(_)));
    let dtype = dtype.into().unwrap_or(if all_int { Dtype::Int32 } else { Dtype::Float32 });
    let (a, b, s) = (start.as_f64(), stop.as_f64(), step.as_f64());
    if s == 0.0 {
        return Err(Error::invalid("arange", "Cannot compute length."));
    }
    if !(a.is_finite() && b.is_finite() && s.is_finite()) {
        return Err(Error::invalid("arange", "Cannot compute length."));
    }
    let len = ((b - a) / s).ceil().max(0.0) as usize;
    Tensor::from_primitive(Primitive::Arange { start: a, step: s, len, dtype }, vec![])
}

/// `num` evenly spaced values from `start` to `stop` inclusive (`mx.linspace`; float32 default).
///
/// # Errors
/// `[linspace]` for a bool dtype.
pub fn linspace(start: f64, stop: f64, num: usize, dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    let dtype = dtype.into().unwrap_or(Dtype::Float32);
    if dtype.is_bool() {
        return Err(Error::invalid("linspace", "dtype must not be bool."));
    }
    // As MLX: start + arange(num) * step, computed in float32, then cast.
    let step = if num > 1 { (stop - start) / (num - 1) as f64 } else { 0.0 };
    let seq = arange(0i32, num as i64, 1i32, Dtype::Float32)?;
    let v = add(&multiply(&seq, step as f32)?, start as f32)?;
    astype(&v, dtype)
}

/// An `n x m` matrix with ones on the `k`-th diagonal (`mx.eye`; `m` defaults to `n`, dtype to
/// float32).
pub fn eye(n: usize, m: impl Into<Option<usize>>, k: i64, dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    let m = m.into().unwrap_or(n);
    let dtype = dtype.into().unwrap_or(Dtype::Float32);
    let rows = add(&expand_dims(&arange(0i64, n as i64, 1i64, Dtype::Int64)?, 1)?, k)?;
    let cols = arange(0i64, m as i64, 1i64, Dtype::Int64)?;
    astype(&equal(&rows, &cols)?, dtype)
}

/// The `n x n` identity matrix (`mx.identity`).
pub fn identity(n: usize, dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    eye(n, None, 0, dtype)
}
