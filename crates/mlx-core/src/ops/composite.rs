//! Numerically stable compositions: softmax and logsumexp subtract the maximum first.

use mlx_ops::Result;

use crate::ops::Axes;
use crate::{add, astype, divide, exp, isinf, log, max, r#where, subtract, sum, Tensor};

/// `log(sum(exp(x)))` over `axes`, stable for large inputs and rows of `-inf`.
pub fn logsumexp(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    let axes = axes.into();
    let resolved = axes.resolve("logsumexp", x.ndim())?;
    if x.size() > 0 && x.ndim() > 0 && resolved == [x.ndim() - 1] {
        let xf = astype(x, x.dtype().to_inexact())?;
        if crate::fast::fusable(&xf, &[]) {
            let y = crate::fast::fused(mlx_ops::FusedOp::LogSumExp, &xf, &[])?;
            return if keepdims { Ok(y) } else { crate::squeeze(&y, -1) };
        }
    }
    logsumexp_composite(x, axes, keepdims)
}

/// [`logsumexp`] as a composition of primitives (the meaning of its fused kernel).
pub(crate) fn logsumexp_composite(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    let axes = axes.into();
    axes.resolve("logsumexp", x.ndim())?;
    if x.size() == 0 {
        return Err(mlx_ops::Error::invalid("logsumexp", "Received empty array."));
    }
    let x = astype(x, x.dtype().to_inexact())?;
    let m = max(&x, axes.clone(), true)?;
    // An infinite maximum would turn x - m into NaN; shift by 0 instead.
    let m = r#where(&isinf(&m)?, 0.0, &m)?;
    let s = log(&sum(&exp(&subtract(&x, &m)?)?, axes.clone(), keepdims)?)?;
    let m = if keepdims { m } else { crate::squeeze(&m, axes_of(&x, &axes)?)? };
    add(&s, &m)
}

/// `exp(x - max) / sum(exp(x - max))` over `axes` (`mx.softmax`).
pub fn softmax(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    let axes = axes.into();
    let resolved = axes.resolve("softmax", x.ndim())?;
    if x.ndim() > 0 && resolved == [x.ndim() - 1] {
        // One pass per row (issue #5); means exactly `softmax_composite`.
        let xf = astype(x, x.dtype().to_inexact())?;
        if crate::fast::fusable(&xf, &[]) {
            return crate::fast::fused(mlx_ops::FusedOp::Softmax, &xf, &[]);
        }
    }
    softmax_composite(x, axes)
}

/// [`softmax`] as a composition of primitives (the meaning of its fused kernel).
pub(crate) fn softmax_composite(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    let axes = axes.into();
    axes.resolve("softmax", x.ndim())?;
    let x = astype(x, x.dtype().to_inexact())?;
    let e = exp(&subtract(&x, &max(&x, axes.clone(), true)?)?)?;
    divide(&e, &sum(&e, axes, true)?)
}

fn axes_of(x: &Tensor, axes: &Axes) -> Result<Axes> {
    Ok(Axes::These(axes.resolve("logsumexp", x.ndim())?.into_iter().map(|a| a as i32).collect()))
}
