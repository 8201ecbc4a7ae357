//! The rules of every primitive: VJP (reverse mode), JVP (forward mode) and batching (vmap).
//!
//! Each `match` on [`Primitive`] here is exhaustive with no `_ =>` arm: a new primitive does not
//! compile until it has all three rules. The families mirror mlx-ops/mlx-core file names
//! (`conv`, `creation`, `elementwise`, `indexing`, `reduce`, `linalg`, `shape`, `custom`, and for
//! issue #4 `scan` (cumprod/cummax/cummin/logcumsumexp), `scatter` (max/min/prod), `gather_mm`,
//! `strided` (as_strided, view)); each rule states its derivative in a comment.
//!
//! Conventions (MLX's):
//! - VJP: given the cotangents of a node's outputs (materialized, one per output), returns one
//!   `Option` per input that transforms follow (`None`: zero, or not differentiable, such as a
//!   comparison, an argmax or a `where` condition). `needed[i]` says whether input `i` needs one.
//! - JVP: given `Option` tangents of the inputs (`None`: zero), returns one per output.
//! - Batching: given inputs with an optional batch axis (all batched ones of size `size`),
//!   returns outputs with theirs. Most rules move the batch axis to the front first.

mod conv;
mod creation;
mod custom;
mod elementwise;
mod gather_mm;
mod fft;
mod fused;
mod indexing;
mod linalg;
mod reduce;
mod scan;
mod scatter;
mod shape;
mod strided;

pub(crate) use custom::CustomRules;

use mlx_core::graph::apply;
use mlx_core::{Primitive, Result, ScanOp, Tensor};

/// Output `0` of `primitive` applied to `inputs`.
pub(crate) fn ap(primitive: Primitive, inputs: Vec<Tensor>) -> Result<Tensor> {
    Ok(apply(primitive, inputs)?.remove(0))
}

/// `t` reshaped to `shape` (itself when the shape matches).
pub(crate) fn reshape_to(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if t.shape() == shape {
        return Ok(t.clone());
    }
    ap(Primitive::Reshape { shape: shape.to_vec() }, vec![t.clone()])
}

/// `t` with its batch axis (if any) moved to the front; an unbatched `t` gets a broadcast one.
pub(crate) fn front(t: &Tensor, axis: Option<usize>, size: usize) -> Result<Tensor> {
    match axis {
        Some(a) => crate::vmap::moveaxis(t, a, 0),
        None => crate::vmap::broadcast_batch(t, size),
    }
}

/// VJP of one node. See the module docs.
pub(crate) fn vjp(
    p: &Primitive,
    inputs: &[Tensor],
    outputs: &[Tensor],
    cts: &[Tensor],
    needed: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let (x, y, g) = (inputs.first(), &outputs[0], &cts[0]);
    let x0 = || x.ok_or_else(|| mlx_core::Error::runtime(p.name(), "missing input"));
    match p {
        Primitive::Full { .. } | Primitive::Arange { .. } => Ok(creation::vjp()),
        Primitive::Unary(op) => Ok(vec![Some(elementwise::unary_linear(*op, x0()?, y, g)?)]),
        Primitive::Binary(op) => elementwise::binary_vjp(*op, &inputs[0], &inputs[1], y, g, needed),
        Primitive::Select => elementwise::select_vjp(&inputs[0], g),
        Primitive::AsType(_) => Ok(vec![Some(mlx_core::astype(g, x0()?.dtype())?)]),
        Primitive::Reduce { op, axes } => Ok(vec![Some(reduce::reduce_vjp(*op, axes, x0()?, y, g)?)]),
        Primitive::ArgReduce { .. } => Ok(vec![None]),
        Primitive::Matmul => linalg::matmul_vjp(&inputs[0], &inputs[1], g, needed),
        Primitive::Reshape { .. } => Ok(vec![Some(reshape_to(g, x0()?.shape())?)]),
        Primitive::Transpose { perm } => Ok(vec![Some(shape::transpose_vjp(perm, g)?)]),
        Primitive::BroadcastTo { .. } => Ok(vec![Some(shape::broadcast_vjp(x0()?, g)?)]),
        Primitive::Slice { start, step, .. } => Ok(vec![Some(shape::slice_vjp(x0()?, start, step, g)?)]),
        Primitive::Concatenate { axis } => shape::concatenate_vjp(inputs, *axis, g, needed),
        Primitive::Copy => Ok(vec![Some(g.clone())]),
        Primitive::StopGradient => Ok(vec![None]),
        Primitive::Custom { num_outputs, rules } => custom::vjp(rules, *num_outputs, inputs, outputs, cts),
        // Random bits are integers of a key: no gradient.
        Primitive::RandomBits { .. } => Ok(vec![None]),
        // Integer outputs: no gradient (as argmax).
        Primitive::ArgSort { .. } => Ok(vec![None]),
        Primitive::Gather { axis } => indexing::gather_vjp(*axis, &inputs[0], &inputs[1], g),
        Primitive::Scatter { axis, mode } if indexing::scatter_has_rule(*mode) => {
            indexing::scatter_vjp(*axis, *mode, &inputs[1], &inputs[2], g, needed)
        }
        Primitive::Scan { op: ScanOp::Sum, axis, reverse, inclusive } => indexing::scan_vjp(ScanOp::Sum, *axis, *reverse, *inclusive, g),
        Primitive::Sort { axis } => indexing::sort_vjp(*axis, x0()?, g),
        Primitive::Fft(q) => Ok(vec![Some(fft::vjp(q, x0()?, y, g)?)]),
        // --- issue #4: the remaining rules (gather_mm, scans, reducing scatters, strided views) ---
        Primitive::GatherMm => gather_mm::gather_mm_vjp(inputs, g, needed),
        Primitive::Scan { op, axis, reverse, inclusive } => scan::scan_vjp(*op, *axis, *reverse, *inclusive, x0()?, y, g),
        Primitive::Scatter { axis, mode } => scatter::scatter_reduce_vjp(*axis, *mode, inputs, y, g, needed),
        Primitive::AsStrided { .. } => strided::as_strided_vjp(p, x0()?, g),
        Primitive::View { dtype } => strided::view_not_differentiable("vjp", *dtype),
        Primitive::ConvGeneral(cp) => conv::conv_vjp(cp, &inputs[0], &inputs[1], g, needed),
        // MLX 0.32 differentiates none of its factorizations (QRF, SVD, Inverse, Cholesky,
        // Eig, Eigh, LUF all raise "Not implemented"): neither do we.
        Primitive::Linalg(_) => no_rule(p),
        // d fused(x) = d composite(x) (rules/fused.rs)
        Primitive::Fused(op) => fused::vjp(*op, inputs, cts),
    }
}

/// JVP of one node. See the module docs.
pub(crate) fn jvp(
    p: &Primitive,
    inputs: &[Tensor],
    outputs: &[Tensor],
    tangents: &[Option<Tensor>],
) -> Result<Vec<Option<Tensor>>> {
    let y = &outputs[0];
    let t0 = tangents.first().cloned().flatten();
    let one = |t: Result<Tensor>| -> Result<Vec<Option<Tensor>>> { Ok(vec![Some(t?)]) };
    // Linear structural ops: the same op applied to the tangent.
    let same = |t: Option<Tensor>| -> Result<Vec<Option<Tensor>>> {
        match t {
            Some(t) => one(ap(p.clone(), vec![t])),
            None => Ok(vec![None]),
        }
    };
    match p {
        Primitive::Full { .. } | Primitive::Arange { .. } => Ok(creation::jvp()),
        Primitive::Unary(op) => match t0 {
            Some(t) => one(elementwise::unary_linear(*op, &inputs[0], y, &t)),
            None => Ok(vec![None]),
        },
        Primitive::Binary(op) => elementwise::binary_jvp(*op, &inputs[0], &inputs[1], y, &tangents[0], &tangents[1]),
        Primitive::Select => elementwise::select_jvp(inputs, &tangents[1], &tangents[2]),
        Primitive::AsType(d) => match t0 {
            // d/dx astype(x) = 1 (the tangent is cast like the value)
            Some(t) => one(mlx_core::astype(&t, *d)),
            None => Ok(vec![None]),
        },
        Primitive::Reduce { op, axes } => match t0 {
            Some(t) => one(reduce::reduce_jvp(*op, axes, &inputs[0], y, &t)),
            None => Ok(vec![None]),
        },
        // Integer output: no tangent (zeros of the output's dtype, as MLX).
        Primitive::ArgReduce { .. } => Ok(vec![None]),
        Primitive::Matmul => linalg::matmul_jvp(&inputs[0], &inputs[1], &tangents[0], &tangents[1]),
        Primitive::Reshape { .. }
        | Primitive::Transpose { .. }
        | Primitive::BroadcastTo { .. }
        | Primitive::Slice { .. }
        | Primitive::Copy => same(t0),
        Primitive::Concatenate { axis } => shape::concatenate_jvp(inputs, *axis, tangents),
        Primitive::StopGradient => Ok(vec![None]),
        Primitive::Custom { num_outputs, rules } => custom::jvp(rules, *num_outputs, inputs, tangents),
        Primitive::RandomBits { .. } => Ok(vec![None]),
        // Integer outputs: no gradient (as argmax).
        Primitive::ArgSort { .. } => Ok(vec![None]),
        Primitive::Gather { axis } => indexing::gather_jvp(*axis, &inputs[1], t0),
        Primitive::Scatter { axis, mode } if indexing::scatter_has_rule(*mode) => {
            indexing::scatter_jvp(*axis, *mode, inputs, tangents)
        }
        // d cumsum(x) = cumsum(dx)
        Primitive::Scan { op: ScanOp::Sum, .. } => same(t0),
        Primitive::Sort { axis } => indexing::sort_jvp(*axis, &inputs[0], t0),
        // d fft(x) = fft(dx) (linear)
        Primitive::Fft(_) => same(t0),
        // --- issue #4: the remaining rules (gather_mm, scans, reducing scatters, strided views) ---
        Primitive::GatherMm => gather_mm::gather_mm_jvp(inputs, tangents),
        Primitive::Scan { op, axis, reverse, inclusive } => scan::scan_jvp(*op, *axis, *reverse, *inclusive, &inputs[0], y, t0),
        Primitive::Scatter { axis, mode } => scatter::scatter_reduce_jvp(*axis, *mode, inputs, y, tangents),
        // d as_strided(x) = as_strided(dx) (linear)
        Primitive::AsStrided { .. } => same(t0),
        Primitive::View { dtype } => strided::view_not_differentiable("jvp", *dtype),
        Primitive::ConvGeneral(cp) => conv::conv_jvp(cp, &inputs[0], &inputs[1], &tangents[0], &tangents[1]),
        // MLX 0.32 differentiates none of its factorizations (QRF, SVD, Inverse, Cholesky,
        // Eig, Eigh, LUF all raise "Not implemented"): neither do we.
        Primitive::Linalg(_) => no_rule(p),
        Primitive::Fused(op) => fused::jvp(*op, inputs, tangents),
    }
}

/// Batching rule of one node. See the module docs.
pub(crate) fn batch(
    p: &Primitive,
    inputs: &[Tensor],
    axes: &[Option<usize>],
    size: usize,
) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    // Elementwise with one input: the batch axis stays where it is.
    let keep = || -> Result<(Vec<Tensor>, Vec<Option<usize>>)> { Ok((vec![ap(p.clone(), inputs.to_vec())?], vec![axes[0]])) };
    // All inputs batched at the front (unbatched ones broadcast), then `q`.
    let all_front = |q: Primitive| -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
        let ins: Vec<Tensor> = inputs.iter().zip(axes).map(|(t, a)| front(t, *a, size)).collect::<Result<_>>()?;
        Ok((vec![ap(q, ins)?], vec![Some(0)]))
    };
    let x_front = || front(&inputs[0], axes[0], size);
    let shifted = |v: &[usize]| -> Vec<usize> { v.iter().map(|a| a + 1).collect() };
    match p {
        Primitive::Full { .. } | Primitive::Arange { .. } => creation::batch(p),
        Primitive::Unary(_) | Primitive::AsType(_) | Primitive::Copy | Primitive::StopGradient => keep(),
        Primitive::Binary(_) | Primitive::Select | Primitive::Matmul => all_front(p.clone()),
        Primitive::Reduce { op, axes: r } => Ok((vec![ap(Primitive::Reduce { op: *op, axes: shifted(r) }, vec![x_front()?])?], vec![Some(0)])),
        Primitive::ArgReduce { op, axis } => {
            Ok((vec![ap(Primitive::ArgReduce { op: *op, axis: axis + 1 }, vec![x_front()?])?], vec![Some(0)]))
        }
        Primitive::Reshape { shape } => {
            let mut s = vec![size];
            s.extend_from_slice(shape);
            Ok((vec![reshape_to(&x_front()?, &s)?], vec![Some(0)]))
        }
        Primitive::Transpose { perm } => {
            let mut q = vec![0];
            q.extend(shifted(perm));
            Ok((vec![ap(Primitive::Transpose { perm: q }, vec![x_front()?])?], vec![Some(0)]))
        }
        Primitive::BroadcastTo { shape } => shape::broadcast_batch(&x_front()?, shape, size),
        Primitive::Slice { start, step, shape } => {
            let x = x_front()?;
            let mut st = vec![0];
            st.extend_from_slice(start);
            let mut sp = vec![1];
            sp.extend_from_slice(step);
            let mut sh = vec![size];
            sh.extend_from_slice(shape);
            Ok((vec![ap(Primitive::Slice { start: st, step: sp, shape: sh }, vec![x])?], vec![Some(0)]))
        }
        Primitive::Concatenate { axis } => all_front(Primitive::Concatenate { axis: axis + 1 }),
        Primitive::Custom { num_outputs, rules } => custom::batch(rules, *num_outputs, inputs, axes),
        Primitive::RandomBits { .. } => match axes[0] {
            // One key: the same bits for every batch element (unbatched output).
            None => Ok((vec![ap(p.clone(), inputs.to_vec())?], vec![None])),
            // A batch of keys: bits from each key, stacked along a new leading axis.
            Some(_) => {
                let keys = x_front()?;
                let rows: Vec<Tensor> = (0..size)
                    .map(|i| {
                        let k = mlx_core::slice(&keys, &[i as i64], &[i as i64 + 1], &[1])?;
                        let k = reshape_to(&k, &[2])?;
                        mlx_core::expand_dims(&ap(p.clone(), vec![k])?, 0)
                    })
                    .collect::<Result<_>>()?;
                Ok((vec![mlx_core::concatenate(&rows, 0)?], vec![Some(0)]))
            }
        },
        // Batch axis in front; the axis shifts by one. Gather/scatter indices and updates get a
        // broadcast batch axis when unbatched (they match the array off `axis`).
        Primitive::Gather { axis } => all_front(Primitive::Gather { axis: axis + 1 }),
        Primitive::Scatter { axis, mode } => all_front(Primitive::Scatter { axis: axis + 1, mode: *mode }),
        Primitive::Scan { op, axis, reverse, inclusive } => Ok((
            vec![ap(Primitive::Scan { op: *op, axis: axis + 1, reverse: *reverse, inclusive: *inclusive }, vec![x_front()?])?],
            vec![Some(0)],
        )),
        Primitive::Sort { axis } => Ok((vec![ap(Primitive::Sort { axis: axis + 1 }, vec![x_front()?])?], vec![Some(0)])),
        Primitive::ArgSort { axis } => Ok((vec![ap(Primitive::ArgSort { axis: axis + 1 }, vec![x_front()?])?], vec![Some(0)])),
        Primitive::Fft(q) => Ok((vec![ap(fft::batched(q), vec![x_front()?])?], vec![Some(0)])),
        // --- issue #4 ---
        Primitive::GatherMm => gather_mm::gather_mm_batch(inputs, axes, size),
        Primitive::AsStrided { .. } => strided::as_strided_batch(p, &x_front()?),
        // The batch axis in front never is the (reinterpreted) last axis.
        Primitive::View { dtype } => Ok((vec![ap(Primitive::View { dtype: *dtype }, vec![x_front()?])?], vec![Some(0)])),
        Primitive::ConvGeneral(cp) => conv::conv_batch(cp, inputs, axes, size),
        // Factorizations batch over leading axes already: move the batch axis to the front.
        // Every output carries it there.
        Primitive::Linalg(_) => {
            let outs = apply(p.clone(), vec![x_front()?])?;
            let n = outs.len();
            Ok((outs, vec![Some(0); n]))
        }
        Primitive::Fused(op) => fused::batch(*op, inputs, axes, size),
    }
}

/// The primitives whose rules are not written yet: transforms through them fail clearly
/// instead of giving a wrong answer. (Tracked in issue #4.)
fn no_rule<T>(p: &Primitive) -> Result<T> {
    Err(mlx_core::Error::unsupported(p.name(), "autograd", "no transform rule for this primitive yet"))
}
