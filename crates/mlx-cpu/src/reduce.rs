//! Reductions. The input is viewed with the kept axes first and the reduced axes last, so each
//! output element owns one consecutive run of `for_each_offsets` visits; that works for any
//! strides. Half floats accumulate in f32; sum/prod of narrow integers were widened by the API.
//!
//! Fast paths: (1) each reduced block is one contiguous run (reducing trailing axes of a
//! row-contiguous array): runs of at least `2 * LANES` values fold into `LANES` independent
//! accumulators (element `i` into lane `i % LANES`, which vectorizes and breaks the add
//! latency chain), merged by a fixed pairwise tree; runs longer than `2 * CHUNK` are cut into
//! `CHUNK`-sized pieces folded in parallel and merged in order; outputs split across threads.
//! (2) the kept axes are contiguous (reducing leading axes): whole rows accumulate into a row of
//! accumulators (vectorized across columns), columns split across threads. (3) otherwise an
//! in-order walk.
//!
//! Invariant: the order of the additions depends only on the input's shape and layout, never on
//! the thread count, so results are reproducible run to run. Different layouts of the same values
//! may differ in the last bits (as in MLX and NumPy, whose reductions also vectorize).

use half::{bf16, f16};
use mlx_ops::{dispatch_dtype, ArgReduceOp, ArrayData, Dtype, ReduceOp, Result, Spec};

use crate::elementwise::{astype, debug_checked};
use crate::num::{cast, Num};
use crate::par;
use crate::strided::{alloc, alloc_for_overwrite, collapse, elems, elems_mut, finish, for_each_offsets};

/// Kept axes first, reduced axes last; returns the permuted layout and the reduced block size.
fn reduced_last(x: &ArrayData, axes: &[usize]) -> (mlx_ops::Layout, usize) {
    let nd = x.layout.ndim();
    let mut perm: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
    perm.extend_from_slice(axes);
    let block = axes.iter().map(|&a| x.layout.shape()[a]).product();
    (x.layout.transpose(&perm), block)
}

/// Independent accumulators of the lane fold: 4 AVX2 registers of f32.
const LANES: usize = 32;
/// Values per parallel piece of one long contiguous run (a fixed size, so the merge order
/// does not depend on the thread count).
const CHUNK: usize = 1 << 15;

/// Folds `v` in the order the module docs define: in order when short, else lane `i % LANES`
/// takes element `i` and the lanes merge pairwise (lane j with lane j + w, w = 16, 8, .., 1).
#[inline(always)]
fn fold_slice<T: Num, A: Copy>(v: &[T], init: A, step: &impl Fn(A, T) -> A, comb: &impl Fn(A, A) -> A) -> A {
    if v.len() < 2 * LANES {
        return v.iter().fold(init, |a, &x| step(a, x));
    }
    let mut acc = [init; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            acc[j] = step(acc[j], c[j]);
        }
    }
    for (j, &x) in tail.iter().enumerate() {
        acc[j] = step(acc[j], x);
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            acc[j] = comb(acc[j], acc[j + w]);
        }
    }
    acc[0]
}

/// [`fold_slice`] of one long run, cut into `CHUNK`-sized pieces folded in parallel (when
/// `parallel`) and merged in order.
fn fold_run<T: Num, A: Copy + Send + Sync>(
    v: &[T],
    init: A,
    step: &(impl Fn(A, T) -> A + Sync),
    comb: &(impl Fn(A, A) -> A + Sync),
    parallel: bool,
) -> A {
    if v.len() < 2 * CHUNK {
        return par::simd!(fold_slice(v, init, step, comb));
    }
    let pieces = v.len().div_ceil(CHUNK);
    let partial = par::map_collect(pieces, parallel, |p| {
        let piece = &v[p * CHUNK..v.len().min((p + 1) * CHUNK)];
        par::simd!(fold_slice(piece, init, step, comb))
    });
    let mut it = partial.into_iter();
    let first = it.next().unwrap_or(init);
    it.fold(first, |a, b| comb(a, b))
}

/// The reduced part as one contiguous run: `Some(block)` when the reduced axes of the permuted
/// layout collapse to a single stride-1 axis (or nothing).
fn reduced_run(layout: &mlx_ops::Layout, nred: usize) -> bool {
    let nd = layout.ndim();
    let (shape, [strides]) = collapse(&layout.shape()[nd - nred..], [&layout.strides()[nd - nred..]]);
    shape.is_empty() || (shape.len() == 1 && strides[0] == 1)
}

/// Folds each block of `T` values into an accumulator `A`, writing `fin(acc)` as `T`; `comb`
/// merges two partial accumulators (lanes and pieces of the contiguous-run path).
#[allow(clippy::too_many_arguments)]
fn fold<T: Num, A: Copy + Send + Sync>(
    x: &ArrayData,
    axes: &[usize],
    out_shape: &[usize],
    init: A,
    step: impl Fn(A, T) -> A + Sync + Send,
    comb: impl Fn(A, A) -> A + Sync + Send,
    fin: impl Fn(A) -> T + Sync + Send,
) -> ArrayData {
    let (layout, block) = reduced_last(x, axes);
    let src = elems::<T>(x);
    let n_out: usize = out_shape.iter().product();
    let mut buf = alloc_for_overwrite::<T>(n_out);
    let dst = elems_mut::<T>(&mut buf);
    if block == 0 {
        dst.iter_mut().for_each(|d| *d = fin(init));
        return finish::<T>(buf, out_shape);
    }
    if n_out == 0 {
        return finish::<T>(buf, out_shape);
    }
    let nd = layout.ndim();
    let nred = axes.len();
    let (kept_shape, kept_strides) = (&layout.shape()[..nd - nred], &layout.strides()[..nd - nred]);
    let big = n_out * block >= par::PAR_MIN_ELEMS;
    if reduced_run(&layout, nred) {
        // Each output reduces one contiguous run of `block` elements starting at its base.
        let mut bases = Vec::with_capacity(n_out);
        for_each_offsets(kept_shape, [kept_strides], [layout.offset()], |[o]| bases.push(o));
        if n_out < par::num_threads() && block >= 2 * CHUNK {
            // Few long runs: the parallelism is inside each run.
            for (d, &b) in dst.iter_mut().zip(&bases) {
                *d = fin(fold_run(&src[b..b + block], init, &step, &comb, big));
            }
        } else {
            let per = (par::PAR_MIN_ELEMS / block).max(1);
            par::for_each_chunk_mut(dst, per, big, &|start, d| {
                for (j, d) in d.iter_mut().enumerate() {
                    let b = bases[start + j];
                    *d = fin(fold_run(&src[b..b + block], init, &step, &comb, false));
                }
            });
        }
        return finish::<T>(buf, out_shape);
    }
    let (ks, [kst]) = collapse(kept_shape, [kept_strides]);
    if ks.len() == 1 && kst[0] == 1 {
        // Kept axes contiguous (reducing leading axes): accumulate whole rows, vectorized, with
        // columns split across threads.
        let red_shape = &layout.shape()[nd - nred..];
        let red_strides = &layout.strides()[nd - nred..];
        let mut row_bases = Vec::with_capacity(block);
        for_each_offsets(red_shape, [red_strides], [layout.offset()], |[o]| row_bases.push(o));
        // One piece per thread, each at most 4096 columns (its accumulators stay in L1).
        let cols = n_out.div_ceil(par::num_threads()).div_ceil(64).clamp(4, 64) * 64;
        par::for_each_chunk_mut(dst, cols, big, &|start, d| {
            let mut acc = vec![init; d.len()];
            par::simd!({
                for &b in &row_bases {
                    let row = &src[b + start..b + start + d.len()];
                    for (a, &v) in acc.iter_mut().zip(row) {
                        *a = step(*a, v);
                    }
                }
                for (d, &a) in d.iter_mut().zip(&acc) {
                    *d = fin(a);
                }
            })
        });
        return finish::<T>(buf, out_shape);
    }
    let (mut acc, mut k, mut o) = (init, 0usize, 0usize);
    for_each_offsets(layout.shape(), [layout.strides()], [layout.offset()], |[i]| {
        acc = step(acc, src[i]);
        k += 1;
        if k == block {
            dst[o] = fin(acc);
            o += 1;
            k = 0;
            acc = init;
        }
    });
    finish::<T>(buf, out_shape)
}

fn reduce_typed<T: Num>(op: ReduceOp, x: &ArrayData, axes: &[usize], shape: &[usize]) -> ArrayData {
    match op {
        ReduceOp::Sum => fold::<T, T>(x, axes, shape, T::zero(), Num::add, Num::add, |a| a),
        // A reduction over size-1 axes copies its element, as MLX's does: `1 * z` is not `z`
        // for a complex z with a NaN part (`1 * (0.5 + NaN i)` is `NaN + NaN i`).
        // So does a max or min: MLX's complex initial values (`Num::max_init`) can beat an
        // element, which they never do over a single one.
        ReduceOp::Prod | ReduceOp::Max | ReduceOp::Min if axes.iter().all(|&a| x.shape()[a] == 1) => {
            fold::<T, T>(x, axes, shape, T::one(), |_, v| v, |_, v| v, |a| a)
        }
        ReduceOp::Prod => fold::<T, T>(x, axes, shape, T::one(), Num::mul, Num::mul, |a| a),
        ReduceOp::Max => fold::<T, T>(x, axes, shape, T::max_init(), Num::max, Num::max, |a| a),
        ReduceOp::Min => fold::<T, T>(x, axes, shape, T::min_init(), Num::min, Num::min, |a| a),
    }
}

/// Sum and product of half floats accumulate in f32 and round once at the end.
fn reduce_half<T: Num>(op: ReduceOp, x: &ArrayData, axes: &[usize], shape: &[usize]) -> ArrayData {
    match op {
        ReduceOp::Sum => fold::<T, f32>(x, axes, shape, 0.0, |a, v| a + cast::<T, f32>(v), |a, b| a + b, cast::<f32, T>),
        ReduceOp::Prod => fold::<T, f32>(x, axes, shape, 1.0, |a, v| a * cast::<T, f32>(v), |a, b| a * b, cast::<f32, T>),
        ReduceOp::Max | ReduceOp::Min => reduce_typed::<T>(op, x, axes, shape),
    }
}

pub fn reduce(op: ReduceOp, x: &ArrayData, axes: &[usize], out: &Spec) -> Result<ArrayData> {
    // sum/prod widen narrow integers and bools: cast first, then reduce in the output dtype.
    let widened;
    let x = if x.dtype != out.dtype {
        widened = astype(x, &Spec::new(x.shape().to_vec(), out.dtype))?;
        &widened
    } else {
        x
    };
    let r = match x.dtype {
        Dtype::Float16 => reduce_half::<f16>(op, x, axes, &out.shape),
        Dtype::Bfloat16 => reduce_half::<bf16>(op, x, axes, &out.shape),
        d => dispatch_dtype!(d, T => reduce_typed::<T>(op, x, axes, &out.shape)),
    };
    Ok(debug_checked(r, out))
}

pub fn arg_reduce(op: ArgReduceOp, x: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(op: ArgReduceOp, x: &ArrayData, axis: usize, shape: &[usize]) -> ArrayData {
        let (layout, block) = reduced_last(x, &[axis]);
        let src = elems::<T>(x);
        let mut buf = alloc::<u32>(shape.iter().product());
        let dst = elems_mut::<u32>(&mut buf);
        // `better(v, best)`: v replaces the current best. NaN beats everything and the first
        // extremum wins ties, as in MLX and NumPy.
        let better = |v: T, best: T| match op {
            ArgReduceOp::ArgMax => !best.is_nan() && (v.is_nan() || best.lt(v)),
            ArgReduceOp::ArgMin => !best.is_nan() && (v.is_nan() || v.lt(best)),
        };
        let (mut best, mut best_k, mut k, mut o) = (T::zero(), 0u32, 0usize, 0usize);
        for_each_offsets(layout.shape(), [layout.strides()], [layout.offset()], |[i]| {
            let v = src[i];
            if k == 0 || better(v, best) {
                best = v;
                best_k = k as u32;
            }
            k += 1;
            if k == block {
                dst[o] = best_k;
                o += 1;
                k = 0;
            }
        });
        finish::<u32>(buf, shape)
    }
    Ok(debug_checked(dispatch_dtype!(x.dtype, T => run::<T>(op, x, axis, &out.shape)), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7919 % 1000) as f32 - 500.0) / 64.0).collect()
    }

    /// Lane folds and chunked runs agree with an f64 sum for short, lane-boundary and long
    /// runs, and the chunked result is the same bits with and without threads.
    #[test]
    fn lane_and_chunk_folds_sum_correctly() {
        let add = |a: f32, b: f32| a + b;
        for n in [0, 1, 63, 64, 65, 97, 1000, 2 * CHUNK - 1, 2 * CHUNK + 13, 5 * CHUNK + 7] {
            let v = values(n);
            let want: f64 = v.iter().map(|&x| x as f64).sum();
            let serial = fold_run(&v, 0.0f32, &add, &add, false);
            let threaded = fold_run(&v, 0.0f32, &add, &add, true);
            assert_eq!(serial.to_bits(), threaded.to_bits(), "n = {n}");
            assert!((serial as f64 - want).abs() <= 1e-6 * (1.0 + v.iter().map(|x| x.abs() as f64).sum::<f64>()), "n = {n}: {serial} vs {want}");
        }
    }

    /// Complex max/min start from MLX's initial values, which beat elements with an infinite
    /// real part and a larger (min) or smaller (max) imaginary part, except over one element
    /// (values from MLX 0.32.4: min of three inf + 0.375i is inf + 0i, of one is itself).
    #[test]
    fn complex_max_min_start_where_mlx_does() {
        use mlx_ops::{Layout, C64};
        let run = |op: ReduceOp, v: C64, n: usize| {
            let mut buf = crate::strided::alloc::<C64>(n);
            elems_mut::<C64>(&mut buf).fill(v);
            let x = ArrayData::new(std::sync::Arc::new(mlx_ops::Buffer::Host(buf)), Layout::contiguous(&[n]), Dtype::Complex64);
            let r = reduce(op, &x, &[0], &Spec::new(vec![], Dtype::Complex64)).unwrap();
            crate::strided::contiguous_elems::<C64>(&r)[0]
        };
        let inf = f32::INFINITY;
        let cases = [
            (ReduceOp::Min, C64::new(inf, 0.375), 3, C64::new(inf, 0.0)),
            (ReduceOp::Min, C64::new(inf, 0.375), 1, C64::new(inf, 0.375)),
            (ReduceOp::Min, C64::new(inf, -0.375), 3, C64::new(inf, -0.375)),
            (ReduceOp::Min, C64::new(inf, inf), 3, C64::new(inf, 0.0)),
            (ReduceOp::Min, C64::new(3.0, 1.0), 3, C64::new(3.0, 1.0)),
            (ReduceOp::Max, C64::new(-inf, 0.375), 3, C64::new(-inf, 0.375)),
            (ReduceOp::Max, C64::new(-inf, -0.375), 3, C64::new(-inf, 0.0)),
            (ReduceOp::Max, C64::new(-inf, -0.375), 1, C64::new(-inf, -0.375)),
            (ReduceOp::Max, C64::new(-inf, -inf), 3, C64::new(-inf, 0.0)),
        ];
        for (op, v, n, want) in cases {
            let got = run(op, v, n);
            assert!(got.re == want.re && got.im == want.im, "{op:?} of {n} x {v}: {got} vs {want}");
        }
    }

    /// A NaN in any lane or piece reaches the result of max/min.
    #[test]
    fn nan_propagates_through_lanes() {
        for at in [0, 5, 31, 32, 100, CHUNK + 3] {
            let mut v = values(3 * CHUNK);
            v[at] = f32::NAN;
            let m = fold_run(&v, f32::NEG_INFINITY, &Num::max, &Num::max, true);
            let n = fold_run(&v, f32::INFINITY, &Num::min, &Num::min, true);
            assert!(m.is_nan() && n.is_nan(), "NaN at {at}");
        }
        let v = values(1000);
        assert_eq!(fold_run(&v, f32::NEG_INFINITY, &Num::max, &Num::max, false), v.iter().cloned().fold(f32::NEG_INFINITY, f32::max));
    }
}
