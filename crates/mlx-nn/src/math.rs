//! Elementwise math the layers need, written as compositions of the ops mlx-core has today.
//! TODO(#3): switch each to the mlx-core primitive (sigmoid, tanh, erf, log1p, logaddexp,
//! power) once it is merged; the formulas here are the stable textbook ones.

use mlx_core::{self as mx, Result, Tensor};

/// `1 / (1 + exp(-x))`, computed as `exp(min(x,0)) / (1 + exp(-|x|))` so neither side overflows.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    let x = float(x)?;
    let e = mx::exp(&mx::negative(&mx::abs(&x)?)?)?; // in (0, 1]
    let num = mx::r#where(&mx::greater_equal(&x, 0.0)?, 1.0, &e)?;
    mx::divide(&num, &mx::add(&e, 1.0)?)
}

/// `tanh(x) = sign(x) (1 - e) / (1 + e)` with `e = exp(-2|x|)`.
pub fn tanh(x: &Tensor) -> Result<Tensor> {
    let x = float(x)?;
    let e = mx::exp(&mx::multiply(&mx::abs(&x)?, -2.0)?)?;
    let t = mx::divide(&mx::subtract(1.0, &e)?, &mx::add(&e, 1.0)?)?;
    mx::r#where(&mx::less(&x, 0.0)?, &mx::negative(&t)?, &t)
}

/// `log(1 + x)`.
pub fn log1p(x: &Tensor) -> Result<Tensor> {
    mx::log(&mx::add(&float(x)?, 1.0)?)
}

/// `log(exp(a) + exp(b))` as `max + log(1 + exp(-|a - b|))`.
pub fn logaddexp(a: &Tensor, b: impl mx::ArrayLike) -> Result<Tensor> {
    let a = float(a)?;
    let b = mx::add(&mx::zeros_like(&a)?, b)?;
    let m = mx::maximum(&a, &b)?;
    let d = mx::abs(&mx::subtract(&a, &b)?)?;
    // An infinite maximum gives inf - inf = nan in d; the result is then m.
    let tail = log1p(&mx::exp(&mx::negative(&d)?)?)?;
    let tail = mx::r#where(&mx::isinf(&m)?, 0.0, &tail)?;
    mx::add(&m, &tail)
}

/// The sign of `x` (-1, 0 or 1) in `x`'s dtype.
pub fn sign(x: &Tensor) -> Result<Tensor> {
    let pos = mx::astype(&mx::greater(x, 0.0)?, x.dtype())?;
    let neg = mx::astype(&mx::less(x, 0.0)?, x.dtype())?;
    mx::subtract(&pos, &neg)
}

/// The error function, Abramowitz & Stegun 7.1.26 refined with one Newton-free polynomial
/// (absolute error below 1.5e-7, float32's precision).
pub fn erf(x: &Tensor) -> Result<Tensor> {
    let x = float(x)?;
    let s = sign(&x)?;
    let a = mx::abs(&x)?;
    let t = mx::divide(1.0, &mx::add(&mx::multiply(&a, 0.327_591_1)?, 1.0)?)?;
    let coeffs = [1.061_405_429, -1.453_152_027, 1.421_413_741, -0.284_496_736, 0.254_829_592];
    let mut poly = mx::multiply(&t, coeffs[0])?;
    for c in &coeffs[1..] {
        poly = mx::multiply(&mx::add(&poly, *c)?, &t)?;
    }
    let y = mx::subtract(1.0, &mx::multiply(&poly, &mx::exp(&mx::negative(&mx::square(&a)?)?)?)?)?;
    mx::multiply(&s, &y)
}

/// `x` as an inexact dtype (integers become float32).
pub fn float(x: &Tensor) -> Result<Tensor> {
    mx::astype(x, x.dtype().to_inexact())
}

/// `x^p` for a small non-negative integer `p` (repeated multiplication).
pub fn int_power(x: &Tensor, p: u32) -> Result<Tensor> {
    let mut out = mx::ones_like(x)?;
    for _ in 0..p {
        out = mx::multiply(&out, x)?;
    }
    Ok(out)
}
