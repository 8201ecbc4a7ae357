//! `mlx_core::random`: MLX's key-based random numbers (issue #3), bit-for-bit MLX's.
//!
//! A key is a uint32 array of shape `(2,)`. The one primitive is `RandomBits` (threefry-2x32,
//! laid out as MLX lays it out); every distribution is a composition on top, written in the
//! same order of operations as MLX so that the same key gives the same values (checked by the
//! golden `random` family): uniform is `bits / 2^32` in float32, clamped below 1, cast, then
//! `low + (high - low) * u`; normal is `sqrt(2) * erfinv(uniform(-1+, 1))`; and so on.
//!
//! Invariant of the global state (calls without a key): it holds one evaluated key; each call
//! splits it into `(new state, subkey)` and uses the subkey, exactly as MLX's `KeySequence`.
//! `seed(s)` resets it to `key(s)`; before any `seed` it is seeded from the clock.
//!
//! ```
//! use mlx_core::{random, Dtype};
//! let k = random::key(0);
//! // mx.random.uniform(shape=(4,), key=mx.random.key(0)) in MLX:
//! // [0.9653215, 0.22515903, 0.63303, 0.29638183]
//! let u = random::uniform(0.0, 1.0, &[4], Dtype::Float32, Some(&k)).unwrap();
//! assert_eq!(u.to_vec::<f32>().unwrap(), vec![0.9653215, 0.22515903, 0.63303, 0.29638183]);
//! ```

use std::sync::Mutex;

use mlx_ops::shape::{broadcast_shapes, fmt_shape};
use mlx_ops::{Dtype, Error, Primitive, Result};

use crate::operand::{ArrayLike, Operand};
use crate::ops::math::{erfinv, log1p, sign};
use crate::{astype, Tensor};

static GLOBAL_KEY: Mutex<Option<Tensor>> = Mutex::new(None);

/// A key from a seed (`mx.random.key`): `[seed >> 32, seed & 0xffffffff]` as uint32.
pub fn key(seed: u64) -> Tensor {
    Tensor::from_vec(vec![(seed >> 32) as u32, seed as u32])
}

/// Resets the global key to `key(seed)` (`mx.random.seed`).
pub fn seed(seed: u64) {
    *GLOBAL_KEY.lock().unwrap_or_else(|e| e.into_inner()) = Some(key(seed));
}

/// Row `i` of an `(n, 2)` array of keys, as a key.
fn row(keys: &Tensor, i: usize) -> Result<Tensor> {
    let r = crate::slice(keys, &[i as i64, 0], &[i as i64 + 1, 2], &[1, 1])?;
    crate::reshape(&r, &[2])
}

/// The next subkey of the global state (MLX's `KeySequence::next`).
fn next_key() -> Result<Tensor> {
    let mut state = GLOBAL_KEY.lock().unwrap_or_else(|e| e.into_inner());
    let current = match state.take() {
        Some(k) => k,
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            key(nanos)
        }
    };
    let keys = split(&current, 2)?;
    let (next, sub) = (row(&keys, 0)?, row(&keys, 1)?);
    // Evaluate the state so repeated calls never build an ever-growing chain.
    next.eval()?;
    *state = Some(next);
    Ok(sub)
}

fn key_or_next(key: Option<&Tensor>) -> Result<Tensor> {
    match key {
        Some(k) => Ok(k.clone()),
        None => next_key(),
    }
}

/// Raw random bits (MLX's C++ `random::bits`): `shape` elements of `width` bytes (1, 2, 4:
/// uint8, uint16, uint32) from `key` (or the global state).
///
/// # Errors
/// `[bits]` for a key that is not uint32 of shape `(2,)` or a width not in {1, 2, 4}.
pub fn bits(shape: &[usize], width: usize, key: Option<&Tensor>) -> Result<Tensor> {
    let k = key_or_next(key)?;
    Tensor::from_primitive(Primitive::RandomBits { shape: shape.to_vec(), width }, vec![k])
}

/// `num` new keys from `key`, as a `(num, 2)` uint32 array (`mx.random.split`).
///
/// # Errors
/// `[bits]` for a malformed key.
pub fn split(key: &Tensor, num: usize) -> Result<Tensor> {
    bits(&[num, 2], 4, Some(key))
}

/// MLX's largest value below 1 of each float type (samples are in `[low, high)`).
fn below_one(dtype: Dtype) -> f64 {
    match dtype {
        Dtype::Float16 => 0.99951171875,
        Dtype::Bfloat16 => 0.99609375,
        _ => f32::from_bits(1.0f32.to_bits() - 1) as f64,
    }
}

/// Samples uniformly from `[low, high)` (`mx.random.uniform`): shape `shape` (which the shape of
/// `high - low` must broadcast to), real floating `dtype` (float64 is refused, as in MLX).
///
/// # Errors
/// `[uniform]` for a non-floating or float64 dtype, or bounds that do not broadcast to `shape`;
/// `[bits]` for a malformed key.
pub fn uniform(
    low: impl ArrayLike,
    high: impl ArrayLike,
    shape: &[usize],
    dtype: Dtype,
    key: Option<&Tensor>,
) -> Result<Tensor> {
    if !dtype.is_floating() {
        return Err(Error::invalid("uniform", "Can only generate uniform numbers with real floating point type."));
    }
    if dtype == Dtype::Float64 {
        return Err(Error::invalid("uniform", "Unsupported type."));
    }
    let lo = low.into_operand().to_tensor(dtype)?;
    let hi = high.into_operand().to_tensor(dtype)?;
    let range = crate::subtract(&hi, &lo)?;
    let out_shape = broadcast_shapes(shape, range.shape())?;
    if out_shape != shape {
        return Err(Error::invalid(
            "uniform",
            format!(
                "Cannot generate random values of shape {} from broadcasted shape {}.",
                fmt_shape(shape),
                fmt_shape(&out_shape)
            ),
        ));
    }
    let b = astype(&bits(shape, 4, key)?, Dtype::Float32)?;
    // float32(UINT32_MAX) is 2^32.
    let f = crate::divide(&b, &crate::full(&[], 4294967296.0f64, Dtype::Float32)?)?;
    let f = crate::minimum(&f, &crate::full(&[], below_one(Dtype::Float32), Dtype::Float32)?)?;
    let u = crate::minimum(&astype(&f, dtype)?, &crate::full(&[], below_one(dtype), dtype)?)?;
    crate::add(&crate::multiply(&range, &u)?, &lo)
}

/// Standard normal samples scaled by `scale` and shifted by `loc` (`mx.random.normal`):
/// `loc + scale * sqrt(2) * erfinv(u)` with `u` uniform in `(-1, 1)`.
///
/// # Errors
/// `[normal]` for a non-inexact dtype; as [`uniform`]. complex64 samples have independent
/// real and imaginary parts of variance 1/2 each (as MLX).
pub fn normal(shape: &[usize], dtype: Dtype, loc: f64, scale: f64, key: Option<&Tensor>) -> Result<Tensor> {
    if !dtype.is_inexact() {
        return Err(Error::invalid("normal", "Only floating point and complex64 types are supported."));
    }
    if dtype.is_complex() {
        // MLX: float32 normals of shape `shape + [2]` over √2 are the (re, im) pairs.
        let mut pair = shape.to_vec();
        pair.push(2);
        let f = crate::multiply(&normal(&pair, Dtype::Float32, 0.0, 1.0, key)?, std::f64::consts::FRAC_1_SQRT_2)?;
        let n = shape.len() as i64;
        let part = |i: i64| -> Result<Tensor> {
            let mut start = vec![0i64; shape.len()];
            let mut stop: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            start.push(i);
            stop.push(i + 1);
            let s = crate::slice(&f, &start, &stop, &vec![1; shape.len() + 1])?;
            crate::squeeze(&s, n as i32)
        };
        let z = crate::add(&part(0)?, &crate::multiply(&part(1)?, crate::Scalar::Complex(0.0, 1.0))?)?;
        let z = if scale != 1.0 { crate::multiply(&z, &crate::full(&[], scale, dtype)?)? } else { z };
        return if loc != 0.0 { crate::add(&z, &crate::full(&[], loc, dtype)?) } else { Ok(z) };
    }
    let low = crate::full(&[], f32::from_bits((-1.0f32).to_bits() - 1) as f64, dtype)?;
    let high = crate::full(&[], 1.0, dtype)?;
    let u = uniform(&low, &high, shape, dtype, key)?;
    let mut s = crate::multiply(&crate::full(&[], std::f64::consts::SQRT_2, dtype)?, &erfinv(&u)?)?;
    if scale != 1.0 {
        s = crate::multiply(&crate::full(&[], scale, dtype)?, &s)?;
    }
    if loc != 0.0 {
        s = crate::add(&crate::full(&[], loc, dtype)?, &s)?;
    }
    Ok(s)
}

/// Normal samples truncated to `[lower, upper]` (`mx.random.truncated_normal`): inverse-CDF
/// sampling between `erf(lower/√2)` and `erf(upper/√2)`, clipped to the bounds. `shape`
/// defaults to the broadcast shape of the bounds.
///
/// # Errors
/// As [`uniform`].
pub fn truncated_normal(
    lower: impl ArrayLike,
    upper: impl ArrayLike,
    shape: Option<&[usize]>,
    dtype: Dtype,
    key: Option<&Tensor>,
) -> Result<Tensor> {
    let lower = lower.into_operand().to_tensor(dtype)?;
    let upper = upper.into_operand().to_tensor(dtype)?;
    let shape = match shape {
        Some(s) => s.to_vec(),
        None => broadcast_shapes(lower.shape(), upper.shape())?,
    };
    let sqrt2 = crate::full(&[], std::f64::consts::SQRT_2, dtype)?;
    let a = crate::ops::math::erf(&crate::divide(&lower, &sqrt2)?)?;
    let b = crate::ops::math::erf(&crate::divide(&upper, &sqrt2)?)?;
    let u = uniform(&a, &b, &shape, dtype, key)?;
    let out = crate::multiply(&sqrt2, &erfinv(&u)?)?;
    crate::maximum(&crate::minimum(&upper, &out)?, &lower)
}

/// Integers uniformly from `[low, high)` (`mx.random.randint`): `uniform(low, high)` in float32,
/// then `max(u, low)` truncated to `dtype`.
///
/// # Errors
/// `[randint]` for a non-integer dtype; as [`uniform`].
pub fn randint(
    low: impl ArrayLike,
    high: impl ArrayLike,
    shape: &[usize],
    dtype: Dtype,
    key: Option<&Tensor>,
) -> Result<Tensor> {
    if dtype.is_inexact() {
        return Err(Error::invalid("randint", "randint only accepts integer dtypes and bool."));
    }
    let low = low.into_operand();
    let u = uniform(low.clone(), high, shape, Dtype::Float32, key)?;
    let m = crate::maximum(&u, low)?;
    if dtype == Dtype::Bool {
        // MLX truncates to an integer first: u in [0, 1) is false.
        return astype(&astype(&m, Dtype::Int32)?, Dtype::Bool);
    }
    astype(&m, dtype)
}

/// A scalar probability is a float32 array (MLX's `array(p)`), not a weak scalar.
fn prob_tensor(p: Operand) -> Result<Tensor> {
    match p {
        Operand::Array(t) => Ok(t),
        Operand::Scalar(s) => crate::full(&[], s, s.default_dtype()),
    }
}

/// True with probability `p` (`mx.random.bernoulli`): `uniform(shape) < p`; `shape` defaults to
/// `p`'s shape.
///
/// # Errors
/// `[bernoulli]` when `p` is not floating; as [`uniform`].
pub fn bernoulli(p: impl ArrayLike, shape: Option<&[usize]>, key: Option<&Tensor>) -> Result<Tensor> {
    let p = prob_tensor(p.into_operand())?;
    if !p.dtype().is_floating() {
        return Err(Error::invalid("bernoulli", "bernoulli probability `p` must be a float type."));
    }
    let shape = shape.map_or_else(|| p.shape().to_vec(), |s| s.to_vec());
    let u = uniform(0.0, 1.0, &shape, p.dtype(), key)?;
    crate::less(&u, &p)
}

/// Gumbel samples `-log(-log(u))` (`mx.random.gumbel`).
///
/// # Errors
/// As [`uniform`].
pub fn gumbel(shape: &[usize], dtype: Dtype, key: Option<&Tensor>) -> Result<Tensor> {
    let u = uniform(0.0, 1.0, shape, dtype, key)?;
    crate::negative(&crate::log(&crate::negative(&crate::log(&u)?)?)?)
}

/// Laplace samples `loc + scale * sign(u) * log1p(-|u|)`, `u` uniform in `(-1, 1)`
/// (`mx.random.laplace`).
///
/// # Errors
/// As [`uniform`].
pub fn laplace(shape: &[usize], dtype: Dtype, loc: f64, scale: f64, key: Option<&Tensor>) -> Result<Tensor> {
    let low = crate::full(&[], f32::from_bits((-1.0f32).to_bits() - 1) as f64, dtype)?;
    let u = uniform(&low, &crate::full(&[], 1.0, dtype)?, shape, dtype, key)?;
    let mut s = crate::multiply(&sign(&u)?, &log1p(&crate::negative(&crate::abs(&u)?)?)?)?;
    if scale != 1.0 {
        s = crate::multiply(&crate::full(&[], scale, dtype)?, &s)?;
    }
    if loc != 0.0 {
        s = crate::add(&crate::full(&[], loc, dtype)?, &s)?;
    }
    Ok(s)
}

/// How many categorical samples to draw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Samples {
    /// One per distribution: the logits' shape without `axis`.
    #[default]
    One,
    /// This output shape (the logits without `axis` must broadcast to it).
    Shape(Vec<usize>),
    /// `n` per distribution, on a new last axis.
    Num(usize),
}

/// Indices sampled from the categorical distributions `softmax(logits, axis)`
/// (`mx.random.categorical`), by the Gumbel-max trick: `argmax(logits + gumbel, axis)` (uint32).
///
/// # Errors
/// `[categorical]` for an invalid axis; `[broadcast_shapes]` for an incompatible shape.
pub fn categorical(logits: &Tensor, axis: i32, samples: Samples, key: Option<&Tensor>) -> Result<Tensor> {
    let ax = mlx_ops::shape::normalize_axis("categorical", axis, logits.ndim())?;
    let mut rest = logits.shape().to_vec();
    let n = rest.remove(ax);
    let shape = match samples {
        Samples::One => rest,
        Samples::Shape(s) => s,
        Samples::Num(k) => {
            // MLX: samples on a new last axis of the logits, argmax over `axis`.
            let mut gshape = logits.shape().to_vec();
            gshape.push(k);
            let g = gumbel(&gshape, Dtype::Float32, key)?;
            let l = crate::expand_dims(logits, -1)?;
            return crate::argmax(&crate::add(&g, &l)?, ax as i32, false);
        }
    };
    let offset = (ax + shape.len() + 1).checked_sub(logits.ndim()).ok_or_else(|| {
        Error::invalid("categorical", format!("Shape {} has too few dimensions.", fmt_shape(&shape)))
    })?;
    let mut gshape = shape.clone();
    gshape.insert(offset, n);
    let g = gumbel(&gshape, Dtype::Float32, key)?;
    crate::argmax(&crate::add(&g, logits)?, offset as i32, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_splits_match_mlx() {
        assert_eq!(key(2u64.pow(40) + 5).to_vec::<u32>().unwrap(), vec![256, 5]);
        let s = split(&key(0), 2).unwrap();
        assert_eq!(s.to_vec::<u32>().unwrap(), vec![4146024105, 967050713, 2718843009, 1272950319]);
    }

    #[test]
    fn global_state_follows_mlx_key_sequence() {
        // mx.random.seed(3); mx.random.uniform(shape=(3,)) == [0.745215, 0.0406474, 0.95116]
        seed(3);
        let a = uniform(0.0, 1.0, &[3], Dtype::Float32, None).unwrap().to_vec::<f32>().unwrap();
        let b = uniform(0.0, 1.0, &[3], Dtype::Float32, None).unwrap().to_vec::<f32>().unwrap();
        for (x, y) in a.iter().zip([0.745215f32, 0.0406474, 0.95116]) {
            assert!((x - y).abs() < 1e-5, "{a:?}");
        }
        for (x, y) in b.iter().zip([0.280964f32, 0.463252, 0.498177]) {
            assert!((x - y).abs() < 1e-5, "{b:?}");
        }
    }
}

// --- permutation (fft branch, issue #3) ---

/// What [`permutation`] permutes: `arange(n)` or an array's entries along an axis.
#[derive(Debug, Clone)]
pub enum PermutationOf {
    N(usize),
    Array(Tensor),
}

impl From<usize> for PermutationOf {
    fn from(n: usize) -> Self {
        PermutationOf::N(n)
    }
}
impl From<&Tensor> for PermutationOf {
    fn from(x: &Tensor) -> Self {
        PermutationOf::Array(x.clone())
    }
}

/// A random permutation (`mx.random.permutation`), MLX's algorithm: the (stable) argsort of
/// `n` uint32 random bits from the key, so the same key gives MLX's permutation. For `N(n)` the
/// result is that uint32 permutation (`axis` ignored, as MLX); for an array, its entries along
/// `axis` taken in that order.
///
/// # Errors
/// `[bits]` for a malformed key; `[take]`-style errors for an axis out of range or a 0-d array.
pub fn permutation(x: impl Into<PermutationOf>, axis: i32, key: Option<&Tensor>) -> Result<Tensor> {
    match x.into() {
        PermutationOf::N(n) => crate::argsort(&bits(&[n], 4, key)?, 0),
        PermutationOf::Array(x) => {
            let nd = x.ndim() as i64;
            let ax = if axis < 0 { axis as i64 + nd } else { axis as i64 };
            if ax < 0 || ax >= nd {
                return Err(Error::invalid("permutation", format!("Invalid axis {axis} for array with {nd} dimensions.")));
            }
            let perm = crate::argsort(&bits(&[x.shape()[ax as usize]], 4, key)?, 0)?;
            crate::take(&x, &perm, axis)
        }
    }
}
