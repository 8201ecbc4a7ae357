//! Elementwise helpers the layers share; thin wrappers over mlx-core's primitives (sigmoid,
//! tanh, erf, log1p, logaddexp, sign, power), kept in one place so every layer computes them
//! the same way MLX does.

use mlx_core::{self as mx, Result, Tensor};

pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    mx::sigmoid(x)
}

pub fn tanh(x: &Tensor) -> Result<Tensor> {
    mx::tanh(x)
}

pub fn logaddexp(a: &Tensor, b: impl mx::ArrayLike) -> Result<Tensor> {
    mx::logaddexp(a, b)
}

pub fn sign(x: &Tensor) -> Result<Tensor> {
    mx::sign(x)
}

pub fn erf(x: &Tensor) -> Result<Tensor> {
    mx::erf(x)
}

/// `x` as an inexact dtype (integers become float32).
pub fn float(x: &Tensor) -> Result<Tensor> {
    mx::astype(x, x.dtype().to_inexact())
}

/// `x ** p` for an integer exponent (a weak Python int in MLX).
pub fn int_power(x: &Tensor, p: u32) -> Result<Tensor> {
    mx::power(x, p as i32)
}
