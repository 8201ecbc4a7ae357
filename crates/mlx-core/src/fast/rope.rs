//! `mx.fast.rope` as a composition: rotations by position-dependent angles over the last axis.

use crate::{self as mx, Error, Result, Tensor};

/// `x[..., start:stop]` along `axis` (the crate's strided slice with step 1).
fn slice_axis(x: &Tensor, axis: usize, start: i64, stop: i64) -> Result<Tensor> {
    crate::ops::manip::slice_axis(x, axis, start, stop, 1)
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

