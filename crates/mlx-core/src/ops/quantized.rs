//! Affine quantization (`mx.quantize`, `mx.dequantize`, `mx.quantized_matmul`), as compositions
//! of existing ops (no primitive of its own): autograd sees `quantized_matmul` as a cast, a
//! dequantization of constants and a `matmul`, so gradients w.r.t. `x` come for free.
//!
//! Mode: only `"affine"` (MLX's default) is implemented. `"mxfp4"`, `"mxfp8"` and `"nvfp4"` are
//! recognized and rejected with `[quantize] Quantization mode 'mxfp4' is not supported ...` (and
//! `[dequantize]` / `[quantized_matmul]`); any other name is `Invalid quantization mode`.
//!
//! Invariants (checked against MLX 0.32.4's CPU backend by the golden family "quantized"):
//! - Supported: `bits` in {1, 2, 3, 4, 5, 6, 8}, `group_size` in {32, 64, 128}; defaults 4 and 64.
//!   `quantize` takes float32 / float16 / bfloat16 (MLX's CPU kernel has no float64).
//! - Layout: the `bits`-bit codes of a row form one little-endian bit stream, code `j` at bit
//!   `j * bits`, stored in uint32 words: word `i` holds stream bits `32 i .. 32 i + 32`. For bits
//!   dividing 32 that is `32 / bits` codes per word, lowest code in the lowest bits; 3, 5 and 6
//!   bit codes straddle word boundaries (MLX packs them as 3- / 5-byte little-endian groups, which
//!   is the same stream). `w_q` has shape `(..., d * bits / 32)` and dtype uint32; `scales` and
//!   `biases` have shape `(..., d / group_size)` and `w`'s dtype.
//! - `quantize` is MLX's CPU kernel step by step in float32, so results are bit-exact: per group,
//!   for bits > 1, `s = max((max - min) / (2^bits - 1), 1e-7)` signed toward the edge of larger
//!   magnitude, `q0 = rint(edge / s)`, and when `q0 != 0`: `s = edge / q0`, `b = edge` (else
//!   `b = 0`); for bits == 1: `s = max(max - min, 1e-7)`, `b = min`. Codes are
//!   `clip(rint((w - b) / s), 0, 2^bits - 1)` computed with the float32 `s`, `b`.
//! - `dequantize` is `codes * scales + biases` (two roundings) in `promote(scales, biases)`, then
//!   cast to `dtype` when given: bit-exact with MLX.
//! - `quantized_matmul` is `matmul(x, dequantize(w).T)` (or without `.T`) in
//!   `promote(x, scales, biases)`; MLX's fused kernel sums in another order (in the input dtype
//!   for 3/5/6 bits), so results agree to rounding, not bit for bit.
//!
//! Differences from MLX (stricter, documented): MLX accepts scales whose leading dimensions do not
//! match `w` in `quantized_matmul` and a 2-D `x` against a batched `w`
//! (returning one batch); we reject the first and broadcast the second like `matmul`. MLX rejects
//! a non-32/64/128 `group_size` or an unsupported `bits` of consistent shapes only when
//! evaluating `quantized_matmul`; we reject them when building. `dequantize` accepts any positive
//! `group_size` consistent with the shapes (as MLX) but only the bit widths above. NaN or inf in a
//! group is not pinned against MLX (its kernel ignores NaN in min/max and casts NaN codes, which is
//! undefined behaviour in C++).

use mlx_ops::shape::fmt_shape;
use mlx_ops::{promote, Dtype, Error, Result};

use crate::ops::shape::reshape_usize;
use crate::{
    abs, add, astype, bitwise_and, bitwise_or, concatenate, divide, expand_dims, greater, left_shift, matmul, max,
    maximum, min, minimum, multiply, negative, not_equal, r#where, right_shift, round, slice, subtract, sum,
    swapaxes, take, Tensor,
};

const SUPPORTED_BITS: [i32; 7] = [1, 2, 3, 4, 5, 6, 8];
const SUPPORTED_GROUP_SIZES: [i32; 3] = [32, 64, 128];
const DEFAULT_BITS: i32 = 4;
const DEFAULT_GROUP_SIZE: i32 = 64;
const EPS: f32 = 1e-7;

/// Accepts `"affine"`; names MLX's other modes as unsupported, anything else as invalid.
fn check_mode(op: &str, mode: &str) -> Result<()> {
    match mode {
        "affine" => Ok(()),
        "mxfp4" | "mxfp8" | "nvfp4" => Err(Error::invalid(
            op,
            format!("Quantization mode '{mode}' is not supported; only 'affine' quantization is implemented."),
        )),
        _ => Err(Error::invalid(op, format!("Invalid quantization mode '{mode}'."))),
    }
}

fn bits_error(op: &str, bits: i32) -> Error {
    Error::invalid(
        op,
        format!("The requested number of bits {bits} is not supported. The supported bits are 1, 2, 3, 4, 5, 6 and 8."),
    )
}

fn group_size_error(op: &str, group_size: i32) -> Error {
    Error::invalid(
        op,
        format!(
            "The requested group size {group_size} is not supported. The supported group sizes are 32, 64, and 128."
        ),
    )
}

/// `bits` and `group_size` from the supported sets (after the shape checks, as MLX orders them).
fn check_supported(op: &str, group_size: i32, bits: i32) -> Result<()> {
    if !SUPPORTED_GROUP_SIZES.contains(&group_size) {
        return Err(group_size_error(op, group_size));
    }
    if !SUPPORTED_BITS.contains(&bits) {
        return Err(bits_error(op, bits));
    }
    Ok(())
}

/// The packing block for `bits`: `(words, codes)`, the fewest whole words holding whole codes.
fn block(bits: usize) -> (usize, usize) {
    let g = gcd(bits, 32);
    (bits / g, 32 / g)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Number of codes in a row of `words` packed words, if the row holds whole blocks.
fn codes_per_row(words: usize, bits: usize) -> Option<usize> {
    let (wpb, cpb) = block(bits);
    words.is_multiple_of(wpb).then_some(words / wpb * cpb)
}

fn u32_vec(v: Vec<usize>) -> Tensor {
    Tensor::from_vec(v.into_iter().map(|x| x as u32).collect::<Vec<u32>>())
}

/// Packs codes `q` (uint32, `(rows, n)`, `n` a multiple of the block's codes) into words.
fn pack(q: &Tensor, bits: usize) -> Result<Tensor> {
    let (rows, n) = (q.shape()[0], q.shape()[1]);
    let (wpb, cpb) = block(bits);
    let nb = n / cpb;
    let q = reshape_usize(q, &[rows, nb, cpb])?;
    let mut words = Vec::with_capacity(wpb);
    for word in 0..wpb {
        let (lo, hi) = (32 * word, 32 * word + 32);
        // The codes overlapping this word's bits form one contiguous run.
        let ks: Vec<usize> = (0..cpb).filter(|k| k * bits < hi && k * bits + bits > lo).collect();
        let (Some(&k0), Some(&k1)) = (ks.first(), ks.last()) else {
            return Err(Error::runtime("quantize", "internal: empty packing word"));
        };
        let part = slice(&q, &[0, 0, k0 as i64], &[rows as i64, nb as i64, k1 as i64 + 1], &[1, 1, 1])?;
        let left: Vec<usize> = ks.iter().map(|k| (k * bits).saturating_sub(lo)).collect();
        let right: Vec<usize> = ks.iter().map(|k| lo.saturating_sub(k * bits)).collect();
        let mut part = left_shift(&part, u32_vec(left))?;
        if right.iter().any(|&s| s > 0) {
            part = right_shift(&part, u32_vec(right))?;
        }
        // The codes' bits are disjoint, so the sum is their bitwise or.
        words.push(sum(&part, -1, true)?);
    }
    let packed = if words.len() == 1 { words.swap_remove(0) } else { concatenate(&words, -1)? };
    reshape_usize(&packed, &[rows, nb * wpb])
}

/// Unpacks words `w` (uint32, `(rows, words)`, whole blocks) into codes (uint32, `(rows, n)`).
fn unpack(w: &Tensor, bits: usize) -> Result<Tensor> {
    let (rows, nw) = (w.shape()[0], w.shape()[1]);
    let (wpb, cpb) = block(bits);
    let nb = nw / wpb;
    let w = reshape_usize(w, &[rows, nb, wpb])?;
    let mask = Tensor::scalar(((1u64 << bits) - 1) as u32);
    let offsets: Vec<usize> = (0..cpb).map(|k| k * bits).collect();
    let shifts = u32_vec(offsets.iter().map(|o| o % 32).collect());
    let codes = if wpb == 1 {
        bitwise_and(&right_shift(&w, &shifts)?, &mask)?
    } else {
        let lo_idx = u32_vec(offsets.iter().map(|o| o / 32).collect());
        let lo = bitwise_and(&right_shift(&take(&w, &lo_idx, -1)?, &shifts)?, &mask)?;
        // A code that straddles into the next word takes its high bits from there.
        let spills = |o: &usize| o % 32 + bits > 32;
        let hi_idx = u32_vec(offsets.iter().map(|o| if spills(o) { o / 32 + 1 } else { o / 32 }).collect());
        let hi_shift = u32_vec(offsets.iter().map(|o| if spills(o) { 32 - o % 32 } else { 0 }).collect());
        let hi_mask = Tensor::from_vec(
            offsets.iter().map(|o| if spills(o) { ((1u64 << bits) - 1) as u32 } else { 0 }).collect::<Vec<u32>>(),
        );
        let hi = bitwise_and(&left_shift(&take(&w, &hi_idx, -1)?, &hi_shift)?, &hi_mask)?;
        bitwise_or(&lo, &hi)?
    };
    reshape_usize(&codes, &[rows, nb * cpb])
}

/// Quantizes `w` along its last axis in groups of `group_size` with `bits` bits per element
/// (`mx.quantize`); returns `(w_q, scales, biases)`. Defaults: `group_size` 64, `bits` 4,
/// `mode` `"affine"` (the only mode implemented). See the module docs for layout and rounding.
///
/// # Errors
/// `[quantize]` for another mode, a non-floating (or float64) `w`, fewer than 2 dimensions, a
/// last dimension not divisible by `group_size`, an unsupported `group_size` or `bits`.
pub fn quantize(
    w: &Tensor,
    group_size: impl Into<Option<i32>>,
    bits: impl Into<Option<i32>>,
    mode: &str,
) -> Result<(Tensor, Tensor, Tensor)> {
    let op = "quantize";
    check_mode(op, mode)?;
    let group_size = group_size.into().unwrap_or(DEFAULT_GROUP_SIZE);
    let bits = bits.into().unwrap_or(DEFAULT_BITS);
    let dtype = w.dtype();
    if !dtype.is_floating() {
        return Err(Error::invalid(op, format!("Only real floating types can be quantized but w has type {dtype}.")));
    }
    if dtype == Dtype::Float64 {
        // MLX builds the graph and fails when evaluating: its CPU kernel has no float64.
        return Err(Error::invalid(op, "Only float32, float16 and bfloat16 can be quantized but w has type float64."));
    }
    if w.ndim() < 2 {
        return Err(Error::invalid(
            op,
            format!("The matrix to be quantized must have at least 2 dimension but it has only {}.", w.ndim()),
        ));
    }
    let shape = w.shape().to_vec();
    let d = shape[shape.len() - 1];
    if group_size <= 0 {
        return Err(group_size_error(op, group_size));
    }
    if !d.is_multiple_of(group_size as usize) {
        return Err(Error::invalid(
            op,
            format!(
                "The last dimension of the matrix needs to be divisible by the quantization group size {group_size}. \
                 However the provided  matrix has shape {}",
                fmt_shape(&shape)
            ),
        ));
    }
    check_supported(op, group_size, bits)?;
    let (gs, nbits) = (group_size as usize, bits as usize);
    let lead = &shape[..shape.len() - 1];
    let rows: usize = lead.iter().product();
    let groups = d / gs;

    let wf = reshape_usize(&astype(w, Dtype::Float32)?, &[rows, groups, gs])?;
    let w_max = max(&wf, -1, true)?;
    let w_min = min(&wf, -1, true)?;
    let n_bins = ((1u32 << bits) - 1) as f32;
    let (scale, bias) = if bits == 1 {
        (maximum(&subtract(&w_max, &w_min)?, EPS)?, w_min)
    } else {
        let mask = greater(&abs(&w_min)?, &abs(&w_max)?)?;
        let s = maximum(&divide(&subtract(&w_max, &w_min)?, n_bins)?, EPS)?;
        let s = r#where(&mask, &s, &negative(&s)?)?;
        let edge = r#where(&mask, &w_min, &w_max)?;
        let q0 = round(&divide(&edge, &s)?, 0)?;
        let nonzero = not_equal(&q0, 0.0f32)?;
        let s = r#where(&nonzero, &divide(&edge, &q0)?, &s)?;
        let b = r#where(&nonzero, &edge, 0.0f32)?;
        (s, b)
    };
    let q = round(&divide(&subtract(&wf, &bias)?, &scale)?, 0)?;
    let q = astype(&minimum(&maximum(&q, 0.0f32)?, n_bins)?, Dtype::Uint32)?;
    let packed = pack(&reshape_usize(&q, &[rows, d])?, nbits)?;

    let with_last = |n: usize| -> Vec<usize> { lead.iter().copied().chain(std::iter::once(n)).collect() };
    let w_q = reshape_usize(&packed, &with_last(d * nbits / 32))?;
    let scales = reshape_usize(&astype(&scale, dtype)?, &with_last(groups))?;
    let biases = reshape_usize(&astype(&bias, dtype)?, &with_last(groups))?;
    Ok((w_q, scales, biases))
}

/// The checks shared by `dequantize` and `quantized_matmul` on scales and biases: present, and
/// of a real floating promoted dtype, which is returned.
fn scales_dtype(op: &str, scales: &Tensor, biases: Option<&Tensor>) -> Result<(Dtype, Tensor)> {
    let Some(biases) = biases else {
        return Err(Error::invalid(op, "Biases must be provided for affine quantization."));
    };
    let dtype = promote(scales.dtype(), biases.dtype());
    if !dtype.is_floating() {
        return Err(Error::invalid(
            op,
            format!(
                "Only real floating types are supported but scales.dtype() == {} and biases.dtype() == {}.",
                scales.dtype(),
                biases.dtype()
            ),
        ));
    }
    Ok((dtype, biases.clone()))
}

/// `codes * scales + biases` in `dtype`, after the callers' validation: `w` uint32 with at least
/// 2 dimensions, scales and biases of `w`'s leading shape with `d / group_size` groups.
fn dequantize_affine(
    w: &Tensor,
    scales: &Tensor,
    biases: &Tensor,
    group_size: usize,
    bits: usize,
    dtype: Dtype,
) -> Result<Tensor> {
    let shape = w.shape();
    let lead = &shape[..shape.len() - 1];
    let rows: usize = lead.iter().product();
    let words = shape[shape.len() - 1];
    let d = codes_per_row(words, bits).unwrap_or(0);
    let groups = d / group_size;
    let codes = unpack(&reshape_usize(w, &[rows, words])?, bits)?;
    let codes = reshape_usize(&astype(&codes, dtype)?, &[rows, groups, group_size])?;
    let s = expand_dims(&reshape_usize(scales, &[rows, groups])?, -1)?;
    let b = expand_dims(&reshape_usize(biases, &[rows, groups])?, -1)?;
    let out = add(&multiply(&codes, &s)?, &b)?;
    let out_shape: Vec<usize> = lead.iter().copied().chain(std::iter::once(d)).collect();
    reshape_usize(&out, &out_shape)
}

/// Reconstructs `w` from [`quantize`]'s output (`mx.dequantize`): `codes * scales + biases` per
/// group, computed in `promote(scales, biases)` and cast to `dtype` when given. `biases` is
/// required for `"affine"` (an `Option` only to mirror MLX's signature).
///
/// # Errors
/// `[dequantize]` for another mode, missing biases, non-floating scales/biases or `dtype`,
/// non-positive or unsupported `bits`, a `w` that is not uint32 or has fewer than 2 dimensions,
/// scales/biases whose shape does not match `w` given `group_size` and `bits`.
pub fn dequantize(
    w: &Tensor,
    scales: &Tensor,
    biases: Option<&Tensor>,
    group_size: impl Into<Option<i32>>,
    bits: impl Into<Option<i32>>,
    mode: &str,
    dtype: impl Into<Option<Dtype>>,
) -> Result<Tensor> {
    let op = "dequantize";
    check_mode(op, mode)?;
    let group_size = group_size.into().unwrap_or(DEFAULT_GROUP_SIZE);
    let bits = bits.into().unwrap_or(DEFAULT_BITS);
    let (compute, biases) = scales_dtype(op, scales, biases)?;
    let out_dtype = dtype.into().unwrap_or(compute);
    if !out_dtype.is_floating() {
        return Err(Error::invalid(
            op,
            format!("Only real floating types are supported but output dtype == {out_dtype}."),
        ));
    }
    if bits <= 0 {
        return Err(Error::invalid(op, format!("Invalid value for bits: {bits}")));
    }
    if group_size <= 0 {
        return Err(Error::invalid(op, format!("Invalid value for group_size: {group_size}")));
    }
    if w.dtype() != Dtype::Uint32 {
        return Err(Error::invalid(op, "The matrix should be given as a uint32"));
    }
    if w.ndim() < 2 {
        return Err(Error::invalid(
            op,
            format!("The matrix to be dequantized must have at least 2 dimension but it has only {}.", w.ndim()),
        ));
    }
    let (ws, ss) = (w.shape(), scales.shape());
    let n = ws.len();
    if ss.len() != n || ss[..n - 1] != ws[..n - 1] || biases.shape() != ss {
        return Err(Error::invalid(op, "Shape of scales and biases does not match the matrix"));
    }
    // MLX accepts any positive bits here; only the widths `quantize` produces have a layout.
    if !SUPPORTED_BITS.contains(&bits) {
        return Err(bits_error(op, bits));
    }
    let (gs, nbits) = (group_size as usize, bits as usize);
    match codes_per_row(ws[n - 1], nbits) {
        Some(d) if d == ss[n - 1] * gs => {}
        _ => {
            return Err(Error::invalid(
                op,
                format!(
                    "Shape of scales and biases does not match the matrix given the quantization parameters. \
                     Provided matrix of shape {} and scales/biases of shape {} with group_size={group_size} and bits={bits}.",
                    fmt_shape(ws),
                    fmt_shape(ss)
                ),
            ))
        }
    }
    let out = dequantize_affine(w, scales, &biases, gs, nbits, compute)?;
    astype(&out, out_dtype)
}

/// `x @ dequantize(w).T` (`transpose`, MLX's default) or `x @ dequantize(w)`
/// (`mx.quantized_matmul`), in `promote(x, scales, biases)`, with `matmul`'s batch broadcasting.
/// Built from `dequantize` and `matmul`, so it is differentiable w.r.t. `x`.
///
/// # Errors
/// `[quantized_matmul]` for another mode, missing biases, a non-uint32 `w`, non-floating
/// scales/biases, scales and biases of different shapes, scales whose leading shape is not
/// `w`'s, shapes inconsistent with `group_size`/`bits`, `x`'s last dimension not matching,
/// an unsupported `group_size` or `bits`, a float64 result.
#[allow(clippy::too_many_arguments)]
pub fn quantized_matmul(
    x: &Tensor,
    w: &Tensor,
    scales: &Tensor,
    biases: Option<&Tensor>,
    transpose: bool,
    group_size: impl Into<Option<i32>>,
    bits: impl Into<Option<i32>>,
    mode: &str,
) -> Result<Tensor> {
    let op = "quantized_matmul";
    check_mode(op, mode)?;
    let group_size = group_size.into().unwrap_or(DEFAULT_GROUP_SIZE);
    let bits = bits.into().unwrap_or(DEFAULT_BITS);
    let Some(b) = biases else {
        return Err(Error::invalid(op, "Biases must be provided for affine quantization."));
    };
    if w.dtype() != Dtype::Uint32 {
        return Err(Error::invalid(op, format!("The weight matrix should be uint32 but received {}", w.dtype())));
    }
    let (compute, biases) = scales_dtype(op, scales, Some(b))?;
    let (ws, ss) = (w.shape(), scales.shape());
    if biases.shape() != ss {
        return Err(Error::invalid(
            op,
            format!(
                "Scales and biases should have the same shape. Received scales with shape {} and biases with {}",
                fmt_shape(ss),
                fmt_shape(biases.shape())
            ),
        ));
    }
    let n = ws.len();
    if n < 2 || ss.len() != n || ss[..n - 1] != ws[..n - 1] {
        return Err(Error::invalid(
            op,
            format!(
                "Weight and scales should have the same batch shape. Received weight with shape {}, scales with {}.",
                fmt_shape(ws),
                fmt_shape(ss)
            ),
        ));
    }
    if bits <= 0 {
        return Err(bits_error(op, bits));
    }
    if group_size <= 0 {
        return Err(group_size_error(op, group_size));
    }
    let (gs, nbits) = (group_size as usize, bits as usize);
    // MLX's expansion of a row; the layout also needs whole packing blocks.
    let d = ws[n - 1] * 32 / nbits;
    let whole = !SUPPORTED_BITS.contains(&bits) || codes_per_row(ws[n - 1], nbits) == Some(d);
    if d != ss[n - 1] * gs || !whole {
        return Err(Error::invalid(
            op,
            format!(
                "The shapes of the weight and scales are incompatible based on bits and group_size. \
                 w.shape() == {} and scales.shape() == {} with group_size={group_size} and bits={bits}",
                fmt_shape(ws),
                fmt_shape(ss)
            ),
        ));
    }
    let (k, out_n) = if transpose { (d, ws[n - 2]) } else { (ws[n - 2], d) };
    let x_last = x.shape().last().copied();
    if x_last != Some(k) {
        let shown = x_last.map_or_else(|| "()".to_string(), |l| format!("(..., {l})"));
        return Err(Error::invalid(
            op,
            format!(
                "Last dimension of first input with shape {shown} does not match the expanded quantized matrix \
                 ({k}, {out_n}) computed from shape {} with group_size={group_size}, bits={bits} and transpose={transpose}",
                fmt_shape(ws)
            ),
        ));
    }
    check_supported(op, group_size, bits)?;
    let out_dtype = promote(x.dtype(), compute);
    if out_dtype == Dtype::Float64 {
        // MLX fails when evaluating: its kernel has no float64.
        return Err(Error::invalid(op, "only floating types are supported"));
    }
    let wd = astype(&dequantize_affine(w, scales, &biases, gs, nbits, compute)?, out_dtype)?;
    let wd = if transpose { swapaxes(&wd, -1, -2)? } else { wd };
    matmul(&astype(x, out_dtype)?, &wd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        assert_eq!(block(4), (1, 8));
        assert_eq!(block(3), (3, 32));
        assert_eq!(block(5), (5, 32));
        assert_eq!(block(6), (3, 16));
        assert_eq!(block(8), (1, 4));
        assert_eq!(block(1), (1, 32));
    }

    #[test]
    fn pack_unpack_round_trip() {
        for bits in [1usize, 2, 3, 4, 5, 6, 8] {
            let n = 64;
            let codes: Vec<u32> = (0..2 * n).map(|i| (i as u32 * 7 + 3) % (1 << bits)).collect();
            let q = Tensor::from_slice(&codes, &[2, n]).unwrap();
            let packed = pack(&q, bits).unwrap();
            assert_eq!(packed.shape(), &[2, n * bits / 32]);
            // The stream layout: code j at bit j * bits.
            let words = packed.to_vec::<u32>().unwrap();
            for (j, &c) in codes[..n].iter().enumerate() {
                let bit = j * bits;
                let mut v = (words[bit / 32] as u64) >> (bit % 32);
                if bit % 32 + bits > 32 {
                    v |= (words[bit / 32 + 1] as u64) << (32 - bit % 32);
                }
                assert_eq!(v as u32 & ((1 << bits) - 1), c, "bits {bits} code {j}");
            }
            let back = unpack(&packed, bits).unwrap().to_vec::<u32>().unwrap();
            assert_eq!(back, codes, "bits {bits}");
        }
    }

    #[test]
    fn modes_and_errors() {
        let w = Tensor::from_slice(&[0.5f32; 64], &[1, 64]).unwrap();
        let e = quantize(&w, None, None, "mxfp4").unwrap_err().to_string();
        assert!(e.starts_with("[quantize] Quantization mode 'mxfp4' is not supported"), "{e}");
        assert!(quantize(&w, None, None, "foo").unwrap_err().to_string().contains("Invalid quantization mode"));
        assert!(quantize(&w, 16, None, "affine").is_err());
        assert!(quantize(&w, None, 7, "affine").is_err());
        let (q, s, b) = quantize(&w, None, None, "affine").unwrap();
        assert_eq!(q.shape(), &[1, 8]);
        assert!(dequantize(&q, &s, None, None, None, "affine", None).is_err());
        let d = dequantize(&q, &s, Some(&b), None, None, "affine", None).unwrap();
        assert_eq!(d.to_vec::<f32>().unwrap(), vec![0.5f32; 64]);
    }
}
