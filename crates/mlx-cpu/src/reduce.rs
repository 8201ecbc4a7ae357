//! Reductions. The input is viewed with the kept axes first and the reduced axes last, so each
//! output element owns one consecutive run of `for_each_offsets` visits; that works for any
//! strides. Half floats accumulate in f32; sum/prod of narrow integers were widened by the API.
//!
//! Fast paths: (1) each reduced block is one contiguous run (reducing trailing axes of a
//! row-contiguous array): a tight in-order loop per output, outputs split across threads;
//! (2) the kept axes are contiguous (reducing leading axes): whole rows accumulate into a row of
//! accumulators (vectorized across columns), columns split across threads. Invariant: every
//! path folds each output's values in the same (row-major) order, so results are bit-identical
//! for any layout and thread count.

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

/// Folds `v` in order. (Sequential on purpose: every layout path must give bit-identical
/// results, and the general path folds in order; a multi-lane version is issue #5 follow-up.)
#[inline(always)]
fn fold_slice<T: Num, A: Copy>(v: &[T], init: A, step: &impl Fn(A, T) -> A) -> A {
    v.iter().fold(init, |a, &x| step(a, x))
}

/// The reduced part as one contiguous run: `Some(block)` when the reduced axes of the permuted
/// layout collapse to a single stride-1 axis (or nothing).
fn reduced_run(layout: &mlx_ops::Layout, nred: usize) -> bool {
    let nd = layout.ndim();
    let (shape, [strides]) = collapse(&layout.shape()[nd - nred..], [&layout.strides()[nd - nred..]]);
    shape.is_empty() || (shape.len() == 1 && strides[0] == 1)
}

/// Folds each block of `T` values into an accumulator `A`, writing `fin(acc)` as `T`.
/// `_comb` merges two partial accumulators (kept for the multi-lane path of the follow-up).
#[allow(clippy::too_many_arguments)]
fn fold<T: Num, A: Copy + Send + Sync>(
    x: &ArrayData,
    axes: &[usize],
    out_shape: &[usize],
    init: A,
    step: impl Fn(A, T) -> A + Sync + Send,
    _comb: impl Fn(A, A) -> A + Sync + Send,
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
        {
            let per = (par::PAR_MIN_ELEMS / block).max(1);
            par::for_each_chunk_mut(dst, per, big, &|start, d| {
                par::simd(|| {
                    for (j, d) in d.iter_mut().enumerate() {
                        let b = bases[start + j];
                        *d = fin(fold_slice(&src[b..b + block], init, &step));
                    }
                })
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
        let cols = (par::PAR_MIN_ELEMS / 16).max(1024);
        par::for_each_chunk_mut(dst, cols, big, &|start, d| {
            let mut acc = vec![init; d.len()];
            par::simd(|| {
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
        ReduceOp::Prod if axes.iter().all(|&a| x.shape()[a] == 1) => {
            fold::<T, T>(x, axes, shape, T::one(), |_, v| v, |_, v| v, |a| a)
        }
        ReduceOp::Prod => fold::<T, T>(x, axes, shape, T::one(), Num::mul, Num::mul, |a| a),
        ReduceOp::Max => fold::<T, T>(x, axes, shape, T::lowest(), Num::max, Num::max, |a| a),
        ReduceOp::Min => fold::<T, T>(x, axes, shape, T::highest(), Num::min, Num::min, |a| a),
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
