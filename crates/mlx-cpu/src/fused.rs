//! Fused last-axis kernels: softmax, logsumexp, rms_norm, layer_norm, one row at a time.
//!
//! Each row (the last axis, at most a few hundred KiB) is read from memory once and written once;
//! the passes over it (max, exp-and-sum, scale) run while it sits in cache, where the composite
//! definition makes a full-array pass per step. Invariant: the arithmetic is the composite's
//! (`mlx_core::ops::composite`, `mlx_core::fast`), in f32 for f16/bf16/f32 inputs and f64 for f64,
//! rounded once to the output dtype; rows are independent, so results do not depend on the
//! thread count. Sums use 8 interleaved accumulators (a fixed order that vectorizes).

use mlx_ops::{ArrayData, Dtype, Error, FusedOp, Result, Spec};

use crate::strided::{alloc_for_overwrite, contiguous_elems, elems_mut, finish};

/// The compute type of a row: f32 (with the SIMD-friendly `vmath::exp_f32`) or f64.
trait Real: Copy + Send + Sync + PartialOrd + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self> + std::ops::Div<Output = Self> + 'static
{
    const ZERO: Self;
    const NEG_INF: Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn from_f64(v: f64) -> Self;
    fn from_usize(v: usize) -> Self;
    fn is_infinite(self) -> bool;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const NEG_INF: Self = f32::NEG_INFINITY;
    #[inline(always)]
    fn exp(self) -> Self {
        crate::vmath::exp_f32(self)
    }
    fn ln(self) -> Self {
        f32::ln(self)
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn from_usize(v: usize) -> Self {
        v as f32
    }
    fn is_infinite(self) -> bool {
        f32::is_infinite(self)
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const NEG_INF: Self = f64::NEG_INFINITY;
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn from_usize(v: usize) -> Self {
        v as f64
    }
    fn is_infinite(self) -> bool {
        f64::is_infinite(self)
    }
}

const LANES: usize = 8;

/// Sum of `f(v)` over the row with `LANES` interleaved accumulators, combined pairwise.
#[inline(always)]
fn sum_by<R: Real>(row: &[R], f: impl Fn(R) -> R) -> R {
    let mut acc = [R::ZERO; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..LANES {
            acc[k] = acc[k] + f(c[k]);
        }
    }
    for (k, &v) in tail.iter().enumerate() {
        acc[k] = acc[k] + f(v);
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// The row's maximum (NaN elements are skipped here; they make the row NaN downstream anyway).
#[inline(always)]
fn max_of<R: Real>(row: &[R]) -> R {
    let mut acc = [R::NEG_INF; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..LANES {
            acc[k] = if c[k] > acc[k] { c[k] } else { acc[k] };
        }
    }
    for (k, &v) in tail.iter().enumerate() {
        acc[k] = if v > acc[k] { v } else { acc[k] };
    }
    acc.iter().fold(R::NEG_INF, |m, &v| if v > m { v } else { m })
}

/// One row of `op`: `x` in, `out` (the row's output: `x.len()` elements, or 1 for logsumexp).
#[inline(always)]
fn row<R: Real>(op: FusedOp, x: &[R], w: Option<&[R]>, b: Option<&[R]>, out: &mut [R]) {
    let n = R::from_usize(x.len());
    match op {
        FusedOp::Softmax => {
            let m = max_of(x);
            for (o, &v) in out.iter_mut().zip(x) {
                *o = (v - m).exp();
            }
            let s = sum_by(out, |v| v);
            for o in out.iter_mut() {
                *o = *o / s;
            }
        }
        FusedOp::LogSumExp => {
            let m = max_of(x);
            // An infinite maximum would turn x - m into NaN; shift by 0 instead (the composite).
            let m = if m.is_infinite() { R::ZERO } else { m };
            out[0] = sum_by(x, |v| (v - m).exp()).ln() + m;
        }
        FusedOp::RmsNorm { eps, .. } => {
            let r = (sum_by(x, |v| v * v) / n + R::from_f64(eps)).sqrt();
            match w {
                Some(w) => out.iter_mut().zip(x).zip(w).for_each(|((o, &v), &w)| *o = v / r * w),
                None => out.iter_mut().zip(x).for_each(|(o, &v)| *o = v / r),
            }
        }
        FusedOp::LayerNorm { eps, .. } => {
            let mean = sum_by(x, |v| v) / n;
            let var = sum_by(x, |v| (v - mean) * (v - mean)) / n;
            let r = (var + R::from_f64(eps)).sqrt();
            for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
                let mut y = (v - mean) / r;
                if let Some(w) = w {
                    y = y * w[i];
                }
                if let Some(b) = b {
                    y = y + b[i];
                }
                *o = y;
            }
        }
    }
}

/// Storage types and their compute type: identity for f32/f64, widening for f16/bf16.
trait Store: crate::num::Num + Copy + Send + Sync {
    type R: Real;
    fn load(self) -> Self::R;
    fn store(v: Self::R) -> Self;
}
impl Store for f32 {
    type R = f32;
    fn load(self) -> f32 {
        self
    }
    fn store(v: f32) -> f32 {
        v
    }
}
impl Store for f64 {
    type R = f64;
    fn load(self) -> f64 {
        self
    }
    fn store(v: f64) -> f64 {
        v
    }
}
impl Store for half::f16 {
    type R = f32;
    fn load(self) -> f32 {
        self.to_f32()
    }
    fn store(v: f32) -> Self {
        half::f16::from_f32(v)
    }
}
impl Store for half::bf16 {
    type R = f32;
    fn load(self) -> f32 {
        self.to_f32()
    }
    fn store(v: f32) -> Self {
        half::bf16::from_f32(v)
    }
}

/// Rows per parallel task: about 64K input elements, at least one row.
fn rows_per_task(d: usize) -> usize {
    (crate::par::PAR_MIN_ELEMS / d.max(1)).max(1)
}

fn run<T: Store>(op: FusedOp, xs: &[ArrayData], out: &Spec) -> ArrayData {
    let x = contiguous_elems::<T>(&xs[0]);
    let params: Vec<Vec<T::R>> = xs[1..].iter().map(|p| contiguous_elems::<T>(p).iter().map(|v| v.load()).collect()).collect();
    let (w, b) = match op {
        FusedOp::RmsNorm { weight: true, .. } | FusedOp::LayerNorm { weight: true, .. } => (params.first(), params.get(1)),
        FusedOp::LayerNorm { weight: false, bias: true, .. } => (None, params.first()),
        _ => (None, None),
    };
    let d = xs[0].shape().last().copied().unwrap_or(1);
    let out_d = if op == FusedOp::LogSumExp { 1 } else { d };
    let total: usize = out.shape.iter().product();
    let mut buf = alloc_for_overwrite::<T>(total);
    let dst = elems_mut::<T>(&mut buf);
    let stream = crate::nontemporal::worth_it(std::mem::size_of_val(dst));
    if total > 0 && d > 0 {
        let per = rows_per_task(d);
        crate::par::for_each_chunk_mut(dst, per * out_d, xs[0].layout.size() >= crate::par::PAR_MIN_ELEMS, &|start, piece| {
            crate::par::simd!(wide if op == FusedOp::Softmax; {
                let r0 = start / out_d;
                let rows = piece.len() / out_d;
                let (mut xin, mut yout) = (vec![T::R::ZERO; d], vec![T::R::ZERO; out_d]);
                for r in 0..rows {
                    let src = &x[(r0 + r) * d..(r0 + r + 1) * d];
                    for (a, &v) in xin.iter_mut().zip(src) {
                        *a = v.load();
                    }
                    row(op, &xin, w.map(|v| &v[..]), b.map(|v| &v[..]), &mut yout);
                    // The row is computed in `yout` already, so storing it is a plain copy:
                    // large outputs stream it (`crate::nontemporal`) whatever the op costs.
                    crate::nontemporal::fill::<true, T>(&mut piece[r * out_d..(r + 1) * out_d], stream, |j, o| {
                        for (o, &v) in o.iter_mut().zip(&yout[j..]) {
                            *o = T::store(v);
                        }
                    });
                }
            })
        });
    }
    finish::<T>(buf, &out.shape)
}

/// Evaluates a [`FusedOp`] on `xs` (the array, then its optional weight and bias).
pub fn fused(op: FusedOp, xs: &[ArrayData], out: &Spec) -> Result<ArrayData> {
    Ok(match out.dtype {
        Dtype::Float32 => run::<f32>(op, xs, out),
        Dtype::Float64 => run::<f64>(op, xs, out),
        Dtype::Float16 => run::<half::f16>(op, xs, out),
        Dtype::Bfloat16 => run::<half::bf16>(op, xs, out),
        d => return Err(Error::invalid(op.name(), format!("Received unsupported type {d}."))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::Layout;

    fn arr(v: &[f32], shape: &[usize]) -> ArrayData {
        let mut buf = crate::strided::alloc::<f32>(v.len());
        elems_mut::<f32>(&mut buf).copy_from_slice(v);
        finish::<f32>(buf, shape)
    }

    fn vals(a: &ArrayData) -> Vec<f32> {
        contiguous_elems::<f32>(a).to_vec()
    }

    #[test]
    fn streamed_rows_equal_direct_ones() {
        let (r, d) = (5, 1031); // rows of 4124 bytes: staged blocks, an unaligned start, a tail
        let v: Vec<f32> = (0..r * d).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        let x = arr(&v, &[r, d]);
        let w = arr(&(0..d).map(|i| i as f32 * 0.01 - 1.0).collect::<Vec<_>>(), &[d]);
        let spec = Spec::new(vec![r, d], Dtype::Float32);
        let ops = [
            (FusedOp::Softmax, vec![x.clone()]),
            (FusedOp::RmsNorm { eps: 1e-5, weight: true }, vec![x.clone(), w.clone()]),
            (FusedOp::LayerNorm { eps: 1e-5, weight: true, bias: true }, vec![x.clone(), w.clone(), w]),
        ];
        for (op, xs) in ops {
            let run = |force: bool| {
                crate::nontemporal::FORCE.with(|f| f.set(force));
                let out = vals(&fused(op, &xs, &spec).unwrap());
                crate::nontemporal::FORCE.with(|f| f.set(false));
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!(run(true), run(false), "{op:?}");
        }
    }

    #[test]
    fn rows_match_the_definitions() {
        // 2 rows of 11 (a tail after the 8 lanes), one with -inf and a large value.
        let v: Vec<f32> = (0..22).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        let mut v2 = v.clone();
        v2[12] = f32::NEG_INFINITY;
        v2[20] = 80.0;
        let x = arr(&v2, &[2, 11]);
        let spec = Spec::new(vec![2, 11], Dtype::Float32);
        let sm = vals(&fused(FusedOp::Softmax, &[x.clone()], &spec).unwrap());
        let lse = vals(&fused(FusedOp::LogSumExp, &[x.clone()], &Spec::new(vec![2, 1], Dtype::Float32)).unwrap());
        for r in 0..2 {
            let row: Vec<f64> = v2[r * 11..(r + 1) * 11].iter().map(|&v| v as f64).collect();
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
            assert!((lse[r] as f64 - (s.ln() + m)).abs() < 1e-5, "{r}");
            for i in 0..11 {
                assert!((sm[r * 11 + i] as f64 - (row[i] - m).exp() / s).abs() < 1e-6);
            }
        }
        assert_eq!(sm[12], 0.0);
        let w = arr(&(0..11).map(|i| i as f32 * 0.5 - 1.0).collect::<Vec<_>>(), &[11]);
        let bias = arr(&[0.25; 11], &[11]);
        let x = arr(&v, &[2, 11]);
        let rms = vals(&fused(FusedOp::RmsNorm { eps: 1e-5, weight: true }, &[x.clone(), w.clone()], &spec).unwrap());
        let ln = vals(&fused(FusedOp::LayerNorm { eps: 1e-5, weight: true, bias: true }, &[x, w, bias], &spec).unwrap());
        for r in 0..2 {
            let row: Vec<f64> = v[r * 11..(r + 1) * 11].iter().map(|&v| v as f64).collect();
            let ms = row.iter().map(|v| v * v).sum::<f64>() / 11.0;
            let mean = row.iter().sum::<f64>() / 11.0;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 11.0;
            for i in 0..11 {
                let wi = i as f64 * 0.5 - 1.0;
                assert!((rms[r * 11 + i] as f64 - row[i] / (ms + 1e-5).sqrt() * wi).abs() < 1e-5);
                assert!((ln[r * 11 + i] as f64 - ((row[i] - mean) / (var + 1e-5).sqrt() * wi + 0.25)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn strided_input_and_parallel_rows_agree() {
        // A transposed (non-contiguous) 300x400 input: split into several tasks.
        let v: Vec<f32> = (0..120_000).map(|i| ((i * 7919) % 1000) as f32 / 100.0 - 5.0).collect();
        let x = arr(&v, &[400, 300]);
        let xt = x.with_layout(Layout::contiguous(&[400, 300]).transpose(&[1, 0]));
        let spec = Spec::new(vec![300, 400], Dtype::Float32);
        let got = vals(&fused(FusedOp::Softmax, &[xt.clone()], &spec).unwrap());
        let copy = arr(&contiguous_elems::<f32>(&xt), &[300, 400]);
        assert_eq!(got, vals(&fused(FusedOp::Softmax, &[copy], &spec).unwrap()));
        for r in [0, 157, 299] {
            let s: f32 = got[r * 400..(r + 1) * 400].iter().sum();
            assert!((s - 1.0).abs() < 1e-5);
        }
    }
}
