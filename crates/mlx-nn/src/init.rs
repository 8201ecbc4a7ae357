//! Parameter initializers (MLX's `nn.init`) and the random source the layers draw from.
//!
//! Each initializer returns a new array of the given shape and dtype. Fan-in/fan-out follow
//! MLX: for a shape `(out, in, *k)` (Linear, and convolutions' `(out, *k, in)` after MLX's
//! layout), `fan_in = in * receptive`, `fan_out = out * receptive` where `receptive` is the
//! product of the middle dimensions.
//!
//! Invariant of the random source: one global, seedable stream ([`seed`]); the same seed and
//! the same sequence of calls give the same parameters. TODO(#3): draw from
//! `mlx_core::random` (threefry keys, MLX's exact values) once it is merged; today a
//! SplitMix64 stream on the host stands in.

use std::sync::Mutex;

use mlx_core::{self as mx, Dtype, Error, Result, Tensor};

static STATE: Mutex<u64> = Mutex::new(0x853c_49e6_748f_ea9b);

/// Reseeds the random source (`mx.random.seed`).
pub fn seed(s: u64) {
    *STATE.lock().unwrap_or_else(|e| e.into_inner()) = s ^ 0x853c_49e6_748f_ea9b;
}

fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` uniform values in `[0, 1)`.
pub(crate) fn uniform_host(n: usize) -> Vec<f64> {
    let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
    (0..n).map(|_| (next_u64(&mut s) >> 11) as f64 / (1u64 << 53) as f64).collect()
}

fn from_host(values: Vec<f64>, shape: &[usize], dtype: Dtype) -> Result<Tensor> {
    let t = Tensor::from_slice(&values, shape)?;
    mx::astype(&t, dtype)
}

/// Uniform values in `[low, high)` (`mx.random.uniform`).
pub fn uniform(shape: &[usize], low: f64, high: f64, dtype: Dtype) -> Result<Tensor> {
    let n = shape.iter().product();
    from_host(uniform_host(n).into_iter().map(|u| low + (high - low) * u).collect(), shape, dtype)
}

/// Normal values with mean `mean` and standard deviation `std` (`mx.random.normal`).
pub fn normal(shape: &[usize], mean: f64, std: f64, dtype: Dtype) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let u = uniform_host(2 * n);
    let v = (0..n)
        .map(|i| {
            let (u1, u2) = (1.0 - u[2 * i], u[2 * i + 1]);
            mean + std * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect();
    from_host(v, shape, dtype)
}

/// Bernoulli(p) draws as bool (`mx.random.bernoulli`).
pub fn bernoulli(p: f64, shape: &[usize]) -> Result<Tensor> {
    let n = shape.iter().product();
    let v: Vec<bool> = uniform_host(n).into_iter().map(|u| u < p).collect();
    Tensor::from_slice(&v, shape)
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
