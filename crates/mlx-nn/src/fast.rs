//! MLX's `mx.fast` ops as compositions with the same results: `rms_norm`, `layer_norm`,
//! `rope`, `scaled_dot_product_attention` (masks, grouped-query attention). Fused kernels
//! can replace them later without changing their meaning (issue #5).

use mlx_core::{self as mx, Dtype, Error, Result, Tensor};

use crate::layers::slice_axis;

/// `x * rsqrt(mean(x^2, -1) + eps) * weight` over the last axis.
pub fn rms_norm(x: &Tensor, weight: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    let xf = mx::astype(x, x.dtype().to_inexact())?;
    let ms = mx::mean(&mx::square(&xf)?, -1, true)?;
    let y = mx::divide(&xf, &mx::sqrt(&mx::add(&ms, eps)?)?)?;
    match weight {
        Some(w) => mx::multiply(&y, w),
        None => Ok(y),
    }
}

/// `(x - mean) * rsqrt(var + eps) * weight + bias` over the last axis.
pub fn layer_norm(x: &Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
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

/// Rotary position embedding over the last axis of `x` `(..., L, D)`: the first `dims`
/// features are rotated by angle `(offset + position) * scale * base^(-2i/dims)`; `traditional`
/// rotates adjacent pairs `(x[2i], x[2i+1])`, otherwise the halves `(x[i], x[i + dims/2])`.
///
/// # Errors
/// `[rope]` when `dims` is odd or larger than the last axis, or `x` has fewer than 2 dims.
pub fn rope(x: &Tensor, dims: usize, traditional: bool, base: f64, scale: f64, offset: usize) -> Result<Tensor> {
    let nd = x.ndim();
    if nd < 2 || dims % 2 != 0 || dims > x.shape()[nd - 1] {
        return Err(Error::invalid("rope", format!("Invalid dims {dims} for input of shape {:?}.", x.shape())));
    }
    let l = x.shape()[nd - 2];
    let half = dims / 2;
    let (mut cos, mut sin) = (Vec::with_capacity(l * half), Vec::with_capacity(l * half));
    for p in 0..l {
        let pos = (offset + p) as f32 * scale as f32;
        for i in 0..half {
            let inv = (-(i as f32) * ((base as f32).ln() / half as f32)).exp();
            let theta = pos * inv;
            cos.push(theta.cos());
            sin.push(theta.sin());
        }
    }
    let dt = x.dtype().to_inexact();
    let cos = mx::astype(&Tensor::from_slice(&cos, &[l, half])?, dt)?;
    let sin = mx::astype(&Tensor::from_slice(&sin, &[l, half])?, dt)?;
    let d = x.shape()[nd - 1];
    let rotated = slice_axis(x, nd - 1, 0, dims as i64)?;
    let (x1, x2) = if traditional {
        let pairs = mx::reshape(&rotated, &pair_shape(x, half))?;
        (squeeze_last(&slice_axis(&pairs, nd, 0, 1)?)?, squeeze_last(&slice_axis(&pairs, nd, 1, 2)?)?)
    } else {
        (slice_axis(&rotated, nd - 1, 0, half as i64)?, slice_axis(&rotated, nd - 1, half as i64, dims as i64)?)
    };
    let o1 = mx::subtract(&mx::multiply(&x1, &cos)?, &mx::multiply(&x2, &sin)?)?;
    let o2 = mx::add(&mx::multiply(&x1, &sin)?, &mx::multiply(&x2, &cos)?)?;
    let out = if traditional {
        let stacked = mx::concatenate(&[mx::expand_dims(&o1, -1)?, mx::expand_dims(&o2, -1)?], -1)?;
        let mut shape: Vec<i32> = x.shape().iter().map(|&v| v as i32).collect();
        shape[nd - 1] = dims as i32;
        mx::reshape(&stacked, &shape)?
    } else {
        mx::concatenate(&[o1, o2], -1)?
    };
    if dims < d {
        mx::concatenate(&[out, mx::astype(&slice_axis(x, nd - 1, dims as i64, d as i64)?, dt)?], -1)
    } else {
        Ok(out)
    }
}

fn pair_shape(x: &Tensor, half: usize) -> Vec<i32> {
    let mut s: Vec<i32> = x.shape().iter().map(|&v| v as i32).collect();
    let last = s.len() - 1;
    s[last] = half as i32;
    s.push(2);
    s
}

fn squeeze_last(x: &Tensor) -> Result<Tensor> {
    mx::squeeze(x, -1)
}

/// The mask argument of [`scaled_dot_product_attention`].
#[derive(Clone)]
pub enum AttentionMask {
    None,
    /// `"causal"`: query `i` attends to keys `j <= i + (S - L)`.
    Causal,
    /// A bool array (true = attend) or an additive float array, broadcast to `(B, H, L, S)`.
    Array(Tensor),
}

/// `softmax(q k^T * scale + mask) v` for `q` `(B, Hq, L, D)`, `k`/`v` `(B, Hkv, S, D)`;
/// `Hq` must be a multiple of `Hkv` (grouped-query attention shares each key head among
/// `Hq / Hkv` query heads).
///
/// # Errors
/// `[scaled_dot_product_attention]` for non-4-D inputs or incompatible head counts.
pub fn scaled_dot_product_attention(q: &Tensor, k: &Tensor, v: &Tensor, scale: f64, mask: &AttentionMask) -> Result<Tensor> {
    let op = "scaled_dot_product_attention";
    if q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4 {
        return Err(Error::invalid(op, "queries, keys and values must be 4-D (B, H, L, D)."));
    }
    let (b, hq, l, dq) = (q.shape()[0], q.shape()[1], q.shape()[2], q.shape()[3]);
    let (hkv, s) = (k.shape()[1], k.shape()[2]);
    if hkv == 0 || hq % hkv != 0 || v.shape()[1] != hkv {
        return Err(Error::invalid(op, format!("The number of query heads ({hq}) must be a multiple of the key/value heads ({hkv}).")));
    }
    let rep = hq / hkv;
    let qs = mx::multiply(q, scale)?;
    let qs = mx::reshape(&qs, &[b as i32, hkv as i32, rep as i32, l as i32, dq as i32])?;
    let kt = mx::expand_dims(&mx::swapaxes(k, -1, -2)?, 2)?;
    let vv = mx::expand_dims(v, 2)?;
    let mut scores = mx::matmul(&qs, &kt)?; // (B, Hkv, rep, L, S)
    let to5 = |m: &Tensor| -> Result<Tensor> {
        let m = mx::broadcast_to(m, &[b, hq, l, s])?;
        mx::reshape(&m, &[b as i32, hkv as i32, rep as i32, l as i32, s as i32])
    };
    match mask {
        AttentionMask::None => {}
        AttentionMask::Causal => {
            let rows = mx::reshape(&mx::arange(0, l as i64, 1, Dtype::Int32)?, &[-1, 1])?;
            let cols = mx::arange(0, s as i64, 1, Dtype::Int32)?;
            let keep = mx::less_equal(&cols, &mx::add(&rows, (s as i64 - l as i64) as i32)?)?;
            scores = mx::r#where(&keep, &scores, f64::NEG_INFINITY)?;
        }
        AttentionMask::Array(m) if m.dtype() == Dtype::Bool => {
            scores = mx::r#where(&to5(m)?, &scores, f64::NEG_INFINITY)?;
        }
        AttentionMask::Array(m) => {
            scores = mx::add(&scores, &to5(&mx::astype(m, scores.dtype())?)?)?;
        }
    }
    let p = mx::softmax(&scores, -1)?;
    let out = mx::matmul(&p, &vv)?; // (B, Hkv, rep, L, Dv)
    let dv = v.shape()[3];
    mx::reshape(&out, &[b as i32, hq as i32, l as i32, dv as i32])
}
