//! MLX's `mx.fast` ops: `rms_norm`, `layer_norm`, `rope`, `scaled_dot_product_attention` (masks,
//! grouped-query attention).
//!
//! Invariant: every op here means its composite definition. `rms_norm` and `layer_norm` (and
//! `softmax`/`logsumexp` over the last axis, in `ops::composite`) build one fused primitive
//! ([`Primitive::Fused`]) when the input is floating and the weight/bias are 1-D of the input's
//! dtype, so the CPU backend computes each row in one pass; otherwise (and always for autograd,
//! which differentiates [`fused_definition`]) they are the composition of primitives.

mod attention;
mod rope;

pub use attention::{scaled_dot_product_attention, AttentionMask};
pub use rope::rope;

use crate::{self as mx, Dtype, FusedOp, Primitive, Result, Tensor};

/// Whether `x` (with `params`) can be computed by a fused last-axis kernel: a floating real
/// dtype, at least one dimension, each parameter 1-D of the last axis' length and `x`'s dtype.
pub(crate) fn fusable(x: &Tensor, params: &[Option<&Tensor>]) -> bool {
    let float = matches!(x.dtype(), Dtype::Float16 | Dtype::Bfloat16 | Dtype::Float32 | Dtype::Float64);
    let Some(&d) = x.shape().last() else { return false };
    float && params.iter().flatten().all(|p| p.shape() == [d] && p.dtype() == x.dtype())
}

/// The fused node of `op` on `x` and its present parameters.
pub(crate) fn fused(op: FusedOp, x: &Tensor, params: &[Option<&Tensor>]) -> Result<Tensor> {
    let mut inputs = vec![x.clone()];
    inputs.extend(params.iter().flatten().map(|&p| p.clone()));
    Tensor::from_primitive(Primitive::Fused(op), inputs)
}

/// The composite definition of a fused op on its inputs (the array, then the weight and bias it
/// carries): what `Primitive::Fused` means, and what autograd differentiates.
///
/// # Errors
/// Those of the composite ops.
pub fn fused_definition(op: FusedOp, xs: &[Tensor]) -> Result<Tensor> {
    let x = &xs[0];
    match op {
        FusedOp::Softmax => crate::ops::composite::softmax_composite(x, -1),
        FusedOp::LogSumExp => crate::ops::composite::logsumexp_composite(x, -1, true),
        FusedOp::RmsNorm { eps, weight } => rms_norm_composite(x, if weight { xs.get(1) } else { None }, eps),
        FusedOp::LayerNorm { eps, weight, bias } => {
            let w = if weight { xs.get(1) } else { None };
            let b = if bias { xs.get(1 + weight as usize) } else { None };
            layer_norm_composite(x, w, b, eps)
        }
    }
}

/// `x * rsqrt(mean(x^2, -1) + eps) * weight` over the last axis (`mx.fast.rms_norm`).
///
/// ```
/// use mlx_core::{fast, Tensor};
/// let x = Tensor::from_slice(&[3.0f32, 4.0], &[1, 2]).unwrap();
/// let y = fast::rms_norm(&x, None, 0.0).unwrap();
/// let want = [3.0 / 12.5f32.sqrt(), 4.0 / 12.5f32.sqrt()];
/// assert!(y.to_vec::<f32>().unwrap().iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6));
/// ```
pub fn rms_norm(x: &Tensor, weight: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    if fusable(x, &[weight]) {
        return fused(FusedOp::RmsNorm { eps, weight: weight.is_some() }, x, &[weight]);
    }
    rms_norm_composite(x, weight, eps)
}

/// `(x - mean) * rsqrt(var + eps) * weight + bias` over the last axis (`mx.fast.layer_norm`).
pub fn layer_norm(x: &Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    if fusable(x, &[weight, bias]) {
        let op = FusedOp::LayerNorm { eps, weight: weight.is_some(), bias: bias.is_some() };
        return fused(op, x, &[weight, bias]);
    }
    layer_norm_composite(x, weight, bias, eps)
}

fn rms_norm_composite(x: &Tensor, weight: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    let xf = mx::astype(x, x.dtype().to_inexact())?;
    let ms = mx::mean(&mx::square(&xf)?, -1, true)?;
    let y = mx::divide(&xf, &mx::sqrt(&mx::add(&ms, eps)?)?)?;
    match weight {
        Some(w) => mx::multiply(&y, w),
        None => Ok(y),
    }
}

fn layer_norm_composite(x: &Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    let xf = mx::astype(x, x.dtype().to_inexact())?;
    let mean = mx::mean(&xf, -1, true)?;
    let var = mx::var(&xf, -1, true, 0)?;
    let mut y = mx::divide(&mx::subtract(&xf, &mean)?, &mx::sqrt(&mx::add(&var, eps)?)?)?;
    if let Some(w) = weight {
        y = mx::multiply(&y, w)?;
    }
    if let Some(b) = bias {
        y = mx::add(&y, b)?;
    }
    Ok(y)
}
