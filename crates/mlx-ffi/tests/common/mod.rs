//! Comparing results of two backends: one tolerance table per dtype; ints and bools exact;
//! NaN equals NaN, infinities must match in sign.

#![allow(dead_code)]

use half::{bf16, f16};
use mlx_ops::{ArrayData, Dtype};

/// (relative, absolute) tolerance per dtype. float64 gets float32's: MLX computes float64
/// transcendentals at float32 accuracy (DIFFERENCES.md).
pub fn tolerance(d: Dtype) -> Option<(f64, f64)> {
    match d {
        Dtype::Float16 => Some((2e-3 * 5.0, 1e-2)),
        Dtype::Bfloat16 => Some((1.6e-2, 2e-2)),
        Dtype::Float32 | Dtype::Complex64 => Some((1e-5, 1e-5)),
        Dtype::Float64 => Some((1e-5, 1e-6)),
        _ => None,
    }
}

/// An element: exact integer or (re, im) float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    I(i128),
    F(f64, f64),
}

fn chunks<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    })
}

/// Decodes row-major little-endian storage bytes of `dtype`.
pub fn decode(bytes: &[u8], dtype: Dtype) -> Vec<Val> {
    use Val::*;
    match dtype {
        Dtype::Bool => bytes.iter().map(|&b| I((b != 0) as i128)).collect(),
        Dtype::Uint8 => bytes.iter().map(|&b| I(b as i128)).collect(),
        Dtype::Int8 => bytes.iter().map(|&b| I(b as i8 as i128)).collect(),
        Dtype::Uint16 => chunks::<2>(bytes).map(|c| I(u16::from_le_bytes(c) as i128)).collect(),
        Dtype::Int16 => chunks::<2>(bytes).map(|c| I(i16::from_le_bytes(c) as i128)).collect(),
        Dtype::Uint32 => chunks::<4>(bytes).map(|c| I(u32::from_le_bytes(c) as i128)).collect(),
        Dtype::Int32 => chunks::<4>(bytes).map(|c| I(i32::from_le_bytes(c) as i128)).collect(),
        Dtype::Uint64 => chunks::<8>(bytes).map(|c| I(u64::from_le_bytes(c) as i128)).collect(),
        Dtype::Int64 => chunks::<8>(bytes).map(|c| I(i64::from_le_bytes(c) as i128)).collect(),
        Dtype::Float16 => chunks::<2>(bytes).map(|c| F(f16::from_le_bytes(c).to_f64(), 0.0)).collect(),
        Dtype::Bfloat16 => chunks::<2>(bytes).map(|c| F(bf16::from_le_bytes(c).to_f64(), 0.0)).collect(),
        Dtype::Float32 => chunks::<4>(bytes).map(|c| F(f32::from_le_bytes(c) as f64, 0.0)).collect(),
        Dtype::Float64 => chunks::<8>(bytes).map(|c| F(f64::from_le_bytes(c), 0.0)).collect(),
        Dtype::Complex64 => chunks::<8>(bytes)
            .map(|c| {
                let re = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let im = f32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                F(re as f64, im as f64)
            })
            .collect(),
    }
}

/// Row-major bytes of realized data (any layout).
pub fn data_bytes(x: &ArrayData) -> Vec<u8> {
    let bytes = x.buffer.host().expect("host data");
    let size = x.dtype.size();
    let mut out = Vec::new();
    mlx_cpu::strided::for_each_offsets(x.layout.shape(), [x.layout.strides()], [x.layout.offset()], |[o]| {
        out.extend_from_slice(&bytes[o * size..(o + 1) * size])
    });
    out
}

fn close(a: f64, b: f64, rtol: f64, atol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= atol + rtol * b.abs()
}

/// Compares `got` with `want` elementwise; `skip[i]` exempts element i. `Err` names the first
/// differing element.
pub fn compare(want: &[Val], got: &[Val], dtype: Dtype, skip: Option<&[bool]>) -> Result<(), String> {
    if want.len() != got.len() {
        return Err(format!("{} elements vs {}", want.len(), got.len()));
    }
    let (rtol, atol) = tolerance(dtype).unwrap_or((0.0, 0.0));
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        if skip.is_some_and(|s| s.get(i).copied().unwrap_or(false)) {
            continue;
        }
        let ok = match (w, g) {
            (Val::I(a), Val::I(b)) => a == b,
            // MLX computes float64 `exp` in float32 (DIFFERENCES.md), so it overflows to inf
            // past float32's range where we return the finite float64 value.
            (Val::F(ar, 0.0), Val::F(br, 0.0))
                if dtype == Dtype::Float64 && br.is_infinite() && ar.abs() > f32::MAX as f64 && ar.signum() == br.signum() =>
            {
                true
            }
            (Val::F(ar, ai), Val::F(br, bi)) => close(*br, *ar, rtol, atol) && close(*bi, *ai, rtol, atol),
            _ => false,
        };
        if !ok {
            return Err(format!("element {i}: cpu {w:?} vs mlx {g:?} ({dtype})"));
        }
    }
    Ok(())
}
