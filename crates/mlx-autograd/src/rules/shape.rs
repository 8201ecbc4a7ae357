//! Rules of the shape primitives (reshape, transpose, broadcast_to, slice, concatenate, copy,
//! stop_gradient). All are linear: the JVP applies the same primitive to the tangent; the VJP is
//! the adjoint (inverse permutation, sum over broadcast axes, zero-padding of a slice, splitting
//! a concatenation). `stop_gradient` has derivative zero.

use mlx_core::{concatenate, zeros, Primitive, Result, Tensor};

use super::{ap, reshape_to};

/// d/dx transpose(x, p) applied to g = transpose(g, p^-1).
pub(super) fn transpose_vjp(perm: &[usize], g: &Tensor) -> Result<Tensor> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    ap(Primitive::Transpose { perm: inv }, vec![g.clone()])
}

/// d/dx broadcast_to(x, S) applied to g = sum of g over the broadcast axes, in x's shape.
pub(super) fn broadcast_vjp(x: &Tensor, g: &Tensor) -> Result<Tensor> {
    let lead = g.ndim() - x.ndim();
    let mut axes: Vec<usize> = (0..lead).collect();
    for (i, &d) in x.shape().iter().enumerate() {
        if d == 1 && g.shape()[lead + i] != 1 {
            axes.push(lead + i);
        }
    }
    let s = if axes.is_empty() { g.clone() } else { ap(Primitive::Reduce { op: mlx_core::ReduceOp::Sum, axes }, vec![g.clone()])? };
    let s = reshape_to(&s, x.shape())?;
    mlx_core::astype(&s, x.dtype())
}

/// Reverses axis `ax` of `t`.
fn reverse(t: &Tensor, ax: usize) -> Result<Tensor> {
    let n = t.ndim();
    let mut start = vec![0; n];
    start[ax] = t.shape()[ax].saturating_sub(1);
    let mut step = vec![1isize; n];
    step[ax] = -1;
    ap(Primitive::Slice { start, step, shape: t.shape().to_vec() }, vec![t.clone()])
}

fn with_dim(shape: &[usize], ax: usize, d: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s[ax] = d;
    s
}

/// d/dx x[start::step] applied to g: g scattered into zeros of x's shape, one axis at a time
/// (reverse a negative step, interleave `step - 1` zeros, pad both ends).
pub(super) fn slice_vjp(x: &Tensor, start: &[usize], step: &[isize], g: &Tensor) -> Result<Tensor> {
    let dt = g.dtype();
    if g.size() == 0 || x.size() == 0 {
        return zeros(x.shape(), dt);
    }
    let mut t = g.clone();
    for ax in 0..x.ndim() {
        let (n, m) = (x.shape()[ax], t.shape()[ax]);
        let (mut first, mut s) = (start[ax], step[ax]);
        if s < 0 {
            t = reverse(&t, ax)?;
            first = (start[ax] as isize + (m as isize - 1) * s) as usize;
            s = -s;
        }
        let s = s as usize;
        if m == n && s == 1 && first == 0 {
            continue;
        }
        if s > 1 && m > 1 {
            // [.., m, ..] -> [.., m, s, ..] (zeros after each element) -> [.., m * s, ..]
            let mut e = t.shape()[..=ax].to_vec();
            e.push(1);
            e.extend_from_slice(&t.shape()[ax + 1..]);
            let te = reshape_to(&t, &e)?;
            let z = zeros(&with_dim(&e, ax + 1, s - 1), dt)?;
            let inter = concatenate(&[te, z], (ax + 1) as i32)?;
            let flat = reshape_to(&inter, &with_dim(t.shape(), ax, m * s))?;
            let keep = (m - 1) * s + 1;
            let mut st = vec![0; flat.ndim()];
            st[ax] = 0;
            t = ap(
                Primitive::Slice { start: st, step: vec![1; flat.ndim()], shape: with_dim(flat.shape(), ax, keep) },
                vec![flat],
            )?;
        }
        let span = t.shape()[ax];
        let after = n - first - span;
        let mut parts = Vec::with_capacity(3);
        if first > 0 {
            parts.push(zeros(&with_dim(t.shape(), ax, first), dt)?);
        }
        parts.push(t.clone());
        if after > 0 {
            parts.push(zeros(&with_dim(t.shape(), ax, after), dt)?);
        }
        t = concatenate(&parts, ax as i32)?;
    }
    Ok(t)
}

/// d/dx_k concatenate(x, axis) applied to g = the k-th piece of g along `axis`.
pub(super) fn concatenate_vjp(inputs: &[Tensor], axis: usize, g: &Tensor, needed: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let mut off = 0;
    let mut out = Vec::with_capacity(inputs.len());
    for (i, x) in inputs.iter().enumerate() {
        let len = x.shape()[axis];
        if needed.get(i).copied().unwrap_or(true) {
            let mut start = vec![0; g.ndim()];
            start[axis] = if len == 0 { 0 } else { off };
            let piece = if len == 0 {
                zeros(x.shape(), g.dtype())?
            } else {
                ap(Primitive::Slice { start, step: vec![1; g.ndim()], shape: x.shape().to_vec() }, vec![g.clone()])?
            };
            out.push(Some(piece));
        } else {
            out.push(None);
        }
        off += len;
    }
    Ok(out)
}

/// d concatenate(x) = concatenate(dx) (zeros for inputs without a tangent).
pub(super) fn concatenate_jvp(inputs: &[Tensor], axis: usize, tangents: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let parts: Vec<Tensor> = inputs
        .iter()
        .zip(tangents)
        .map(|(x, t)| t.clone().map_or_else(|| mlx_core::zeros_like(x), Ok))
        .collect::<Result<_>>()?;
    Ok(vec![Some(ap(Primitive::Concatenate { axis }, parts)?)])
}

/// Batched `broadcast_to(x, shape)` with x's batch axis in front: insert the missing axes after
/// the batch axis, then broadcast to `[size, shape...]`.
pub(super) fn broadcast_batch(x: &Tensor, shape: &[usize], size: usize) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    let r = x.ndim() - 1;
    let mut s = vec![size];
    s.resize(1 + shape.len() - r, 1);
    s.extend_from_slice(&x.shape()[1..]);
    let x = reshape_to(x, &s)?;
    let mut target = vec![size];
    target.extend_from_slice(shape);
    let out = if x.shape() == target.as_slice() { x } else { ap(Primitive::BroadcastTo { shape: target }, vec![x])? };
    Ok((vec![out], vec![Some(0)]))
}
