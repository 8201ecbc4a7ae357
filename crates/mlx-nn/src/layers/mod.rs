//! The layers (MLX's `nn.layers`), one file per family like MLX's own package. Parameters are
//! created with MLX's shapes and default initializations (see [`crate::init`]).

pub mod attention;
pub mod conv;
pub mod dropout;
pub mod linear;
pub mod norm;
pub mod pooling;
pub mod positional;
pub mod recurrent;
pub mod transformer;
pub mod upsample;

use mlx_core::{self as mx, Result, Tensor};

/// The two halves of `x` along `axis` (whose length is even).
pub(crate) fn split_half(x: &Tensor, axis: usize) -> Result<(Tensor, Tensor)> {
    let n = x.shape()[axis] as i64;
    Ok((slice_axis(x, axis, 0, n / 2)?, slice_axis(x, axis, n / 2, n)?))
}

/// `x[..., start:stop, ...]` along `axis`.
pub(crate) fn slice_axis(x: &Tensor, axis: usize, start: i64, stop: i64) -> Result<Tensor> {
    let nd = x.ndim();
    let mut lo = vec![0i64; nd];
    let mut hi: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
    lo[axis] = start;
    hi[axis] = stop;
    mx::slice(x, &lo, &hi, &vec![1; nd])
}
