//! Rules of the indexing primitives: gather (take_along_axis), scatter (put_along_axis and
//! `x.at(idx).add`), scans (cumsum; the others in `scan.rs`) and sort. Indices are integers: they never get a gradient.
//!
//! `Gather`/`Scatter` indices already have the array's shape off `axis` (the public ops
//! broadcast them first), so the rules need no broadcasting of their own.

use mlx_core::{zeros, Primitive, Result, ScanOp, ScatterMode, Tensor};

use super::ap;

fn gather(axis: usize, x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    ap(Primitive::Gather { axis }, vec![x.clone(), idx.clone()])
}

fn scatter(axis: usize, mode: ScatterMode, x: Tensor, idx: &Tensor, upd: Tensor) -> Result<Tensor> {
    ap(Primitive::Scatter { axis, mode }, vec![x, idx.clone(), upd])
}

/// y = x[.. idx ..] along `axis`: dy/dx applied to g = g scatter-added into zeros of x's shape
/// (repeated indices accumulate), as MLX's Gather::vjp.
pub(super) fn gather_vjp(axis: usize, x: &Tensor, idx: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let z = zeros(x.shape(), g.dtype())?;
    Ok(vec![Some(scatter(axis, ScatterMode::Add, z, idx, g.clone())?), None])
}

/// d gather(x, idx) = gather(dx, idx) (linear in x).
pub(super) fn gather_jvp(axis: usize, idx: &Tensor, t: Option<Tensor>) -> Result<Vec<Option<Tensor>>> {
    Ok(vec![match t {
        Some(t) => Some(gather(axis, &t, idx)?),
        None => None,
    }])
}

/// Whether this scatter mode is linear and handled here (set and add; prod/max/min: `scatter.rs`).
pub(super) fn scatter_has_rule(mode: ScatterMode) -> bool {
    matches!(mode, ScatterMode::Set | ScatterMode::Add)
}

/// y = scatter(x, idx, u):
/// - set: dy/dx applied to g = g with the written positions zeroed; dy/du = gather(g, idx)
///   (every update, even one overwritten by a later duplicate, gets the cotangent, as MLX).
/// - add: dy/dx = identity; dy/du = gather(g, idx).
pub(super) fn scatter_vjp(axis: usize, mode: ScatterMode, idx: &Tensor, upd: &Tensor, g: &Tensor, needed: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let dx = if needed.first().copied().unwrap_or(true) {
        Some(match mode {
            ScatterMode::Set => scatter(axis, ScatterMode::Set, g.clone(), idx, zeros(upd.shape(), g.dtype())?)?,
            _ => g.clone(),
        })
    } else {
        None
    };
    let du = if needed.get(2).copied().unwrap_or(true) { Some(gather(axis, g, idx)?) } else { None };
    Ok(vec![dx, None, du])
}

/// d scatter(x, idx, u) = scatter(dx, idx, du) for set and add (both linear in (x, u)).
pub(super) fn scatter_jvp(axis: usize, mode: ScatterMode, inputs: &[Tensor], tangents: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let (tx, tu) = (tangents[0].clone(), tangents.get(2).cloned().flatten());
    if tx.is_none() && tu.is_none() {
        return Ok(vec![None]);
    }
    let dt = tx.as_ref().or(tu.as_ref()).map(|t| t.dtype()).unwrap_or(inputs[0].dtype());
    let tx = match tx {
        Some(t) => t,
        None => zeros(inputs[0].shape(), dt)?,
    };
    let tu = match tu {
        Some(t) => t,
        None => zeros(inputs[2].shape(), dt)?,
    };
    Ok(vec![Some(scatter(axis, mode, tx, &inputs[1], tu)?)])
}

/// y = cumsum(x) along `axis`: dy/dx applied to g = cumsum of g in the other direction (same
/// inclusiveness): dx_j = sum_{i >= j} g_i (exclusive: i > j).
pub(super) fn scan_vjp(op: ScanOp, axis: usize, reverse: bool, inclusive: bool, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
    debug_assert!(op == ScanOp::Sum);
    Ok(vec![Some(ap(Primitive::Scan { op, axis, reverse: !reverse, inclusive }, vec![g.clone()])?)])
}

/// y = sort(x) along `axis` = gather(x, argsort(x)): dy/dx applied to g = g scatter-added back
/// to the sorted elements' positions.
pub(super) fn sort_vjp(axis: usize, x: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let idx = ap(Primitive::ArgSort { axis }, vec![x.clone()])?;
    Ok(vec![gather_vjp(axis, x, &idx, g)?.remove(0)])
}

/// d sort(x) = gather(dx, argsort(x)).
pub(super) fn sort_jvp(axis: usize, x: &Tensor, t: Option<Tensor>) -> Result<Vec<Option<Tensor>>> {
    match t {
        Some(t) => {
            let idx = ap(Primitive::ArgSort { axis }, vec![x.clone()])?;
            gather_jvp(axis, &idx, Some(t))
        }
        None => Ok(vec![None]),
    }
}
