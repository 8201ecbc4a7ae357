//! Parameter initializers (MLX's `nn.init`) and the random source the layers draw from.
//!
//! Each initializer returns a new array of the given shape and dtype. Fan-in/fan-out follow
//! MLX: for a shape `(out, in, *k)` (Linear, and convolutions' `(out, *k, in)` after MLX's
//! layout), `fan_in = in * receptive`, `fan_out = out * receptive` where `receptive` is the
//! product of the middle dimensions.
//!
//! Randomness comes from `mlx_core::random`'s global key sequence (threefry, MLX's exact
//! values): after [`seed`]`(s)` (`mx.random.seed(s)`) the same calls give the same parameters
//! as MLX does after the same seed.

use mlx_core::{self as mx, random, Dtype, Error, Result, Tensor};

/// Reseeds the global random state (`mx.random.seed`).
pub fn seed(s: u64) {
    random::seed(s);
}

/// Uniform values in `[low, high)` (`mx.random.uniform`).
pub fn uniform(shape: &[usize], low: f64, high: f64, dtype: Dtype) -> Result<Tensor> {
    random::uniform(low, high, shape, dtype, None)
}

/// Normal values with mean `mean` and standard deviation `std` (`mx.random.normal`).
pub fn normal(shape: &[usize], mean: f64, std: f64, dtype: Dtype) -> Result<Tensor> {
    random::normal(shape, dtype, mean, std, None)
}

/// Bernoulli(p) draws as bool (`mx.random.bernoulli`).
pub fn bernoulli(p: f64, shape: &[usize]) -> Result<Tensor> {
    random::bernoulli(p, Some(shape), None)
}

/// `(fan_in, fan_out)` of a weight shape, as MLX computes them.
///
/// # Errors
/// `[init]` for shapes with fewer than two dimensions.
pub fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::invalid("init", format!("Glorot/He initialization requires at least 2 dimensions, got shape {shape:?}.")));
    }
    let receptive: usize = shape[1..shape.len() - 1].iter().product();
    Ok((shape[shape.len() - 1] * receptive, shape[0] * receptive))
}

/// Every element `value` (`nn.init.constant`).
pub fn constant(shape: &[usize], value: f64, dtype: Dtype) -> Result<Tensor> {
    mx::full(shape, value, dtype)
}

/// The identity matrix (`nn.init.identity`); `shape` must be square.
pub fn identity(shape: &[usize], dtype: Dtype) -> Result<Tensor> {
    if shape.len() != 2 || shape[0] != shape[1] {
        return Err(Error::invalid("init.identity", format!("The input array must be a square matrix, got shape {shape:?}.")));
    }
    mx::eye(shape[0], None, 0, dtype)
}

/// Glorot (Xavier) uniform: `U(-a, a)`, `a = gain * sqrt(6 / (fan_in + fan_out))`.
pub fn glorot_uniform(shape: &[usize], gain: f64, dtype: Dtype) -> Result<Tensor> {
    let (fi, fo) = fans(shape)?;
    let a = gain * (6.0 / (fi + fo) as f64).sqrt();
    uniform(shape, -a, a, dtype)
}

/// Glorot (Xavier) normal: `N(0, std)`, `std = gain * sqrt(2 / (fan_in + fan_out))`.
pub fn glorot_normal(shape: &[usize], gain: f64, dtype: Dtype) -> Result<Tensor> {
    let (fi, fo) = fans(shape)?;
    normal(shape, 0.0, gain * (2.0 / (fi + fo) as f64).sqrt(), dtype)
}

/// Which fan He initialization scales by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
}

fn he_fan(shape: &[usize], mode: FanMode) -> Result<f64> {
    let (fi, fo) = fans(shape)?;
    Ok(match mode {
        FanMode::FanIn => fi,
        FanMode::FanOut => fo,
    } as f64)
}

/// He (Kaiming) uniform: `U(-a, a)`, `a = gain * sqrt(3 / fan)`.
pub fn he_uniform(shape: &[usize], mode: FanMode, gain: f64, dtype: Dtype) -> Result<Tensor> {
    let a = gain * (3.0 / he_fan(shape, mode)?).sqrt();
    uniform(shape, -a, a, dtype)
}

/// He (Kaiming) normal: `N(0, gain / sqrt(fan))`.
pub fn he_normal(shape: &[usize], mode: FanMode, gain: f64, dtype: Dtype) -> Result<Tensor> {
    normal(shape, 0.0, gain / he_fan(shape, mode)?.sqrt(), dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fans_and_ranges() {
        assert_eq!(fans(&[4, 3]).unwrap(), (3, 4));
        assert_eq!(fans(&[8, 3, 3, 2]).unwrap(), (18, 72));
        assert!(fans(&[3]).unwrap_err().to_string().starts_with("[init]"));
        let w = glorot_uniform(&[50, 20], 1.0, Dtype::Float32).unwrap().to_vec::<f32>().unwrap();
        let a = (6.0f32 / 70.0).sqrt();
        assert!(w.iter().all(|v| v.abs() <= a));
        let n = normal(&[4000], 1.0, 2.0, Dtype::Float32).unwrap().to_vec::<f32>().unwrap();
        let mean = n.iter().sum::<f32>() / 4000.0;
        assert!((mean - 1.0).abs() < 0.15, "{mean}");
        assert_eq!(identity(&[2, 2], Dtype::Float32).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 1.0]);
    }
}
