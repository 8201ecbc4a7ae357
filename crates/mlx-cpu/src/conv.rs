//! `ConvGeneral` on the CPU: im2col, then the shared matmul kernel (`crate::matmul::matmul`), so
//! convolutions speed up with every improvement of the GEMM.
//!
//! For each group g, the patch matrix `cols[g]` has one row per output position (n, o_1..o_d)
//! and one column per (kernel tap, input channel of the group); the weight is viewed, without a
//! copy, as `(groups, taps * C_in_g, C_out_g)`. Positions that fall into padding or between
//! dilated input elements are zero.
//!
//! The output rows are cut into blocks of about [`BLOCK_BYTES`] of patch matrix: each block is
//! built (whole channel runs copied per tap, only padding zeroed, into a reused buffer) and
//! multiplied while it is still in cache, and blocks run in parallel. Invariant: the block size
//! depends only on the problem, and every element of a block's patch matrix is written before
//! the GEMM reads it.

use half::{bf16, f16};
use mlx_ops::{ArrayData, ConvParams, Dtype, Element, Error, Layout, Result, Spec, C64};

use crate::elementwise::debug_checked;
use crate::par;
use crate::strided::{alloc_for_overwrite, contiguous_elems, elems, elems_mut, finish};

pub fn conv_general(x: &ArrayData, w: &ArrayData, p: &ConvParams, out: &Spec) -> Result<ArrayData> {
    let r = match x.dtype {
        Dtype::Float16 => run::<f16>(x, w, p, out)?,
        Dtype::Bfloat16 => run::<bf16>(x, w, p, out)?,
        Dtype::Float32 => run::<f32>(x, w, p, out)?,
        Dtype::Float64 => run::<f64>(x, w, p, out)?,
        Dtype::Complex64 => run::<C64>(x, w, p, out)?,
        d => {
            return Err(Error::invalid(
                "conv",
                format!("Invalid input array with type {d}. Convolution currently only supports floating point types"),
            ))
        }
    };
    Ok(debug_checked(r, out))
}

/// Row-major element strides of the spatial axes of an `(N, *spatial, C)` array.
fn spatial_strides(spatial: &[usize], channels: usize) -> Vec<usize> {
    let mut st = vec![0usize; spatial.len()];
    let mut acc = channels;
    for i in (0..spatial.len()).rev() {
        st[i] = acc;
        acc *= spatial[i];
    }
    st
}

/// For each spatial axis i, the input index that output position `o` reads through kernel tap
/// `k` (at `o * K_i + k`), or `None` in padding / between dilated input elements.
fn axis_tables(o_sp: &[usize], k_sp: &[usize], in_sp: &[usize], p: &ConvParams) -> Vec<Vec<Option<usize>>> {
    (0..o_sp.len())
        .map(|i| {
            let mut t = Vec::with_capacity(o_sp[i] * k_sp[i]);
            for o in 0..o_sp[i] {
                for k in 0..k_sp[i] {
                    let kk = if p.flip { k_sp[i] - 1 - k } else { k };
                    let pos = (o * p.stride[i] + kk * p.kernel_dilation[i]) as isize - p.padding_lo[i] as isize;
                    let ip = (pos >= 0 && (pos as usize).is_multiple_of(p.input_dilation[i])).then(|| pos as usize / p.input_dilation[i]);
                    t.push(ip.filter(|&ip| ip < in_sp[i]));
                }
            }
            t
        })
        .collect()
}

/// Unflattens `idx` into `out` over `shape` (row-major).
fn unravel(mut idx: usize, shape: &[usize], out: &mut [usize]) {
    for i in (0..shape.len()).rev() {
        out[i] = idx % shape[i];
        idx /= shape[i];
    }
}

/// The geometry of one convolution, shared by the row blocks.
struct Geometry<'a> {
    o_sp: &'a [usize],
    k_sp: &'a [usize],
    /// Row-major element strides of the input's spatial axes, and of its batch axis.
    st: Vec<usize>,
    batch_stride: usize,
    tables: Vec<Vec<Option<usize>>>,
    /// Each kernel tap's index per spatial axis (`kvol * sd`).
    taps: Vec<usize>,
    kvol: usize,
    groups: usize,
    cg: usize,
}

impl Geometry<'_> {
    /// Writes the patch rows `r0..r0 + rows` into `c`, laid out `(groups, rows, taps * cg)`:
    /// whole channel runs are copied per tap, and only taps in padding are zeroed (so `c` may
    /// hold stale values on entry).
    fn im2col<T: Element>(&self, xv: &[T], r0: usize, rows: usize, c: &mut [T]) {
        let (sd, kvol, cg, g) = (self.o_sp.len(), self.kvol, self.cg, self.groups);
        let kc = kvol * cg;
        let ovol: usize = self.o_sp.iter().product();
        let mut o = vec![0usize; sd];
        for r in 0..rows {
            let row = r0 + r;
            unravel(row % ovol, self.o_sp, &mut o);
            let base = (row / ovol) * self.batch_stride;
            for tap in 0..kvol {
                let k = &self.taps[tap * sd..(tap + 1) * sd];
                let mut off = Some(base);
                for i in 0..sd {
                    off = match (off, self.tables[i][o[i] * self.k_sp[i] + k[i]]) {
                        (Some(off), Some(ip)) => Some(off + ip * self.st[i]),
                        _ => None,
                    };
                }
                for gi in 0..g {
                    let d = (gi * rows + r) * kc + tap * cg;
                    let dst = &mut c[d..d + cg];
                    match off {
                        Some(src) => dst.copy_from_slice(&xv[src + gi * cg..src + (gi + 1) * cg]),
                        None => dst.fill(T::zeroed()),
                    }
                }
            }
        }
    }
}

/// Bytes of patch matrix per row block: the block's im2col output stays in cache while its
/// GEMM reads it, and each block repacks the weight, so blocks should not be much smaller.
/// Measured on the 8x32x32x64 -> 64 3x3 benchmark: on an AVX2 EPYC (1 thread) 128-1024 KiB
/// blocks all beat one whole-problem patch matrix (15-18 ms vs 22-25 ms); on a Zen 5 (same-run
/// A/B, 1 / 2 threads) 64 KiB 5.15 / 2.60 ms, 256 KiB 3.52 / 1.96, 512 KiB 3.37-3.38 /
/// 1.92-1.93, 1 MiB 3.26-3.33 / 1.68-1.70, 2 MiB 3.13-3.21 / 1.83-1.84 (9 blocks: 5 and 4 per
/// thread).
const BLOCK_BYTES: usize = 1 << 20;

fn run<T: Element>(x: &ArrayData, w: &ArrayData, p: &ConvParams, out: &Spec) -> Result<ArrayData> {
    run_blocked::<T>(x, w, p, out, BLOCK_BYTES)
}

/// The convolution with patch-matrix blocks of about `block_bytes` (tests force small blocks).
fn run_blocked<T: Element>(x: &ArrayData, w: &ArrayData, p: &ConvParams, out: &Spec, block_bytes: usize) -> Result<ArrayData> {
    let xs = x.shape();
    let ws = w.shape();
    let sd = xs.len() - 2;
    let (batch, cin) = (xs[0], xs[sd + 1]);
    let g = p.groups;
    let cg = cin / g;
    let og = ws[0] / g;
    let cout = ws[0];
    let (in_sp, k_sp, o_sp) = (&xs[1..=sd], &ws[1..=sd], &out.shape[1..=sd]);
    let kvol: usize = k_sp.iter().product();
    let ovol: usize = o_sp.iter().product();
    let rows = batch * ovol;
    let kc = kvol * cg;

    let mut res = alloc_for_overwrite::<T>(rows * cout);
    if rows * cout == 0 {
        return Ok(finish::<T>(res, &out.shape));
    }
    if kc == 0 {
        elems_mut::<T>(&mut res).fill(T::zeroed());
        return Ok(finish::<T>(res, &out.shape));
    }
    let xv = contiguous_elems::<T>(x);
    let st = spatial_strides(in_sp, cin);
    let mut taps = vec![0usize; kvol * sd];
    for tap in 0..kvol {
        unravel(tap, k_sp, &mut taps[tap * sd..(tap + 1) * sd]);
    }
    let geo = Geometry {
        o_sp,
        k_sp,
        batch_stride: st.first().map_or(cin, |&s0| s0 * in_sp[0]),
        st,
        tables: axis_tables(o_sp, k_sp, in_sp, p),
        taps,
        kvol,
        groups: g,
        cg,
    };

    // The weight (C_out, *K, C_in_g) as (groups, taps * C_in_g, C_out_g), a strided view.
    let wc = if w.layout.is_row_contiguous() { w.clone() } else { crate::copy::copy(w)? };
    let wt = wc.with_layout(Layout::new(vec![g, kc, og], vec![(og * kc) as isize, 1, kc as isize], wc.layout.offset()));

    // Row blocks: im2col of a block, then its GEMM, so the patch rows are still in cache; the
    // block size depends only on the problem, so results do not depend on the thread count.
    let block = (block_bytes / (g * kc * std::mem::size_of::<T>())).max(1).div_ceil(8) * 8;
    let dst = elems_mut::<T>(&mut res);
    let failed = std::sync::Mutex::new(None);
    par::for_each_chunk_mut(dst, block * cout, rows * kc * cout >= 1 << 20, &|start, piece| {
        let (r0, nr) = (start / cout, piece.len() / cout);
        let mut cols = alloc_for_overwrite::<T>(g * nr * kc);
        geo.im2col(&xv, r0, nr, elems_mut::<T>(&mut cols));
        let cols = finish::<T>(cols, &[g, nr, kc]);
        let prod = match crate::matmul::matmul(&cols, &wt, &Spec::new(vec![g, nr, og], out.dtype)) {
            Ok(prod) => prod,
            Err(e) => {
                *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                return;
            }
        };
        // (groups, nr, C_out_g) -> (nr, groups, C_out_g) rows of the (N, *O, C_out) output.
        let pv = elems::<T>(&prod);
        for r in 0..nr {
            for gi in 0..g {
                piece[r * cout + gi * og..r * cout + (gi + 1) * og].copy_from_slice(&pv[(gi * nr + r) * og..(gi * nr + r + 1) * og]);
            }
        }
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    Ok(finish::<T>(res, &out.shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strided::alloc;

    fn arr(v: &[f32], shape: &[usize]) -> ArrayData {
        let mut buf = alloc::<f32>(v.len());
        elems_mut::<f32>(&mut buf).copy_from_slice(v);
        finish::<f32>(buf, shape)
    }

    #[test]
    fn conv1d_matches_direct_sum() {
        // x: (1, 4, 1) = [1, 2, 3, 4]; w: (1, 2, 1) = [1, 10]; valid cross-correlation.
        let x = arr(&[1., 2., 3., 4.], &[1, 4, 1]);
        let w = arr(&[1., 10.], &[1, 2, 1]);
        let p = ConvParams::simple(1);
        let out = Spec::new(vec![1, 3, 1], Dtype::Float32);
        let r = conv_general(&x, &w, &p, &out).unwrap();
        assert_eq!(contiguous_elems::<f32>(&r).to_vec(), vec![21., 32., 43.]);
        let mut f = ConvParams::simple(1);
        f.flip = true;
        let r = conv_general(&x, &w, &f, &out).unwrap();
        assert_eq!(contiguous_elems::<f32>(&r).to_vec(), vec![12., 23., 34.]);
    }

    /// The direct sum `out[n, o, co] = sum_{k, c} x[n, pos(o, k), g*cg + c] * w[co, k, c]`.
    fn direct(x: &[f32], xs: &[usize], w: &[f32], ws: &[usize], p: &ConvParams, os: &[usize]) -> Vec<f32> {
        let sd = xs.len() - 2;
        let (cin, cout) = (xs[sd + 1], ws[0]);
        let (cg, og) = (cin / p.groups, cout / p.groups);
        let (ovol, kvol): (usize, usize) = (os[1..=sd].iter().product(), ws[1..=sd].iter().product());
        let mut out = vec![0f32; os[0] * ovol * cout];
        let (mut o, mut k) = (vec![0; sd], vec![0; sd]);
        for n in 0..os[0] {
            for oi in 0..ovol {
                unravel(oi, &os[1..=sd], &mut o);
                for co in 0..cout {
                    let mut acc = 0f64;
                    for ki in 0..kvol {
                        unravel(ki, &ws[1..=sd], &mut k);
                        let mut xoff = Some(n);
                        for i in 0..sd {
                            let kk = if p.flip { ws[1 + i] - 1 - k[i] } else { k[i] };
                            let pos = (o[i] * p.stride[i] + kk * p.kernel_dilation[i]) as isize - p.padding_lo[i] as isize;
                            let d = p.input_dilation[i] as isize;
                            xoff = xoff.filter(|_| pos >= 0 && pos % d == 0 && ((pos / d) as usize) < xs[1 + i]).map(|b| b * xs[1 + i] + (pos / d) as usize);
                        }
                        let Some(xb) = xoff else { continue };
                        for c in 0..cg {
                            acc += x[xb * cin + (co / og) * cg + c] as f64 * w[(co * kvol + ki) * cg + c] as f64;
                        }
                    }
                    out[(n * ovol + oi) * cout + co] = acc as f32;
                }
            }
        }
        out
    }

    /// Blocked im2col + GEMM matches the direct sum for 1d/2d/3d, strides, padding, both
    /// dilations, groups and flip, with blocks of a few rows (many blocks, a short last one).
    #[test]
    fn blocked_matches_direct_sum() {
        // (input shape, weight shape, stride, pad lo, pad hi, kernel dil, input dil, groups, flip)
        type Case = (Vec<usize>, Vec<usize>, usize, usize, usize, usize, usize, usize, bool);
        let cases: Vec<Case> = vec![
            (vec![2, 9, 3], vec![4, 3, 3], 1, 1, 1, 1, 1, 1, false),
            (vec![1, 11, 4], vec![6, 2, 2], 2, 0, 3, 2, 1, 2, true),
            (vec![2, 7, 6, 5], vec![5, 3, 3, 5], 1, 1, 1, 1, 1, 1, false),
            (vec![1, 6, 5, 6], vec![6, 3, 2, 2], 2, 2, 1, 1, 2, 3, true),
            (vec![2, 5, 8, 4], vec![4, 2, 3, 1], 1, 0, 2, 2, 1, 4, false),
            (vec![1, 4, 3, 5, 2], vec![3, 2, 2, 3, 2], 1, 1, 0, 1, 1, 1, true),
        ];
        for (xs, ws, s, lo, hi, kd, id, g, flip) in cases {
            let sd = xs.len() - 2;
            let p = ConvParams {
                stride: vec![s; sd],
                padding_lo: vec![lo; sd],
                padding_hi: vec![hi; sd],
                kernel_dilation: vec![kd; sd],
                input_dilation: vec![id; sd],
                groups: g,
                flip,
            };
            let mut os = vec![xs[0]];
            for i in 0..sd {
                let span = (xs[1 + i] - 1) * id + 1 + lo + hi;
                os.push((span - (ws[1 + i] - 1) * kd - 1) / s + 1);
            }
            os.push(ws[0]);
            let xv: Vec<f32> = (0..xs.iter().product()).map(|i: usize| ((i * 7 % 19) as f32 - 9.0) / 8.0).collect();
            let wv: Vec<f32> = (0..ws.iter().product()).map(|i: usize| ((i * 5 % 13) as f32 - 6.0) / 4.0).collect();
            let want = direct(&xv, &xs, &wv, &ws, &p, &os);
            let spec = Spec::new(os.clone(), Dtype::Float32);
            for block_bytes in [1, 100, 1000, BLOCK_BYTES] {
                let r = run_blocked::<f32>(&arr(&xv, &xs), &arr(&wv, &ws), &p, &spec, block_bytes).unwrap();
                let got = contiguous_elems::<f32>(&r);
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{xs:?} {ws:?} block {block_bytes}: [{i}] {g} vs {w}");
                }
            }
        }
    }
}
