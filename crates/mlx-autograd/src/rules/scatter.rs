//! Rules of the reducing scatters `scatter_max`, `scatter_min` (`x.at[idx].maximum(u)`) and
//! `scatter_prod` (`x.at[idx].multiply(u)`); set and add live with the other indexing rules.
//!
//! Conventions:
//! - max/min follow MLX's `Scatter::vjp`: the array element gets `g` where the result equals
//!   it, and each update gets `g` at its position where the result equals it. A tie is not
//!   split: every element equal to the result receives the full cotangent (unlike `mx.max`,
//!   which splits it evenly).
//! - prod: MLX has no VJP (it raises); ours is the exact derivative, zero-safe like `prod`'s:
//!   `y_p = x_p * prod_{k: idx_k = p} u_k`, so `dy/dx_p` is the product of the updates at `p`
//!   and `dy/du_k = x_p * prod_{other k' at p} u_k'`, computed without dividing by a zero update
//!   (one zero among them: only that update gets a gradient; two or more: none).
//! - The JVPs (MLX raises for all scatters but set/add) are the transposes of these VJPs.

use mlx_core::{astype, equal, multiply, ones_like, r#where, zeros, Primitive, Result, ScatterMode, Tensor};

use super::ap;

fn scatter(axis: usize, mode: ScatterMode, x: Tensor, idx: &Tensor, upd: Tensor) -> Result<Tensor> {
    ap(Primitive::Scatter { axis, mode }, vec![x, idx.clone(), upd])
}

fn gather(axis: usize, x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    ap(Primitive::Gather { axis }, vec![x.clone(), idx.clone()])
}

/// The derivative factors of a reducing scatter `y = scatter(x, idx, u)`: `dy/dx` (in x's
/// shape) and `dy/du` (in u's shape), both elementwise (the scatter's structure is applied by
/// the callers).
struct Factors {
    dx: Tensor,
    du: Tensor,
}

fn factors(axis: usize, mode: ScatterMode, x: &Tensor, idx: &Tensor, u: &Tensor, y: &Tensor) -> Result<Factors> {
    let dtype = y.dtype();
    let as_dtype = |t: Tensor| astype(&t, dtype);
    match mode {
        // dy_p/dx_p = [y_p == x_p]; dy_p/du_k = [y_p == u_k] for idx_k = p
        ScatterMode::Max | ScatterMode::Min => Ok(Factors {
            dx: as_dtype(equal(y, x)?)?,
            du: as_dtype(equal(&gather(axis, y, idx)?, u)?)?,
        }),
        // dy_p/dx_p = prod_{k at p} u_k; dy_p/du_k = x_p prod_{k' != k at p} u_k'
        ScatterMode::Prod => {
            let uz = equal(u, 0.0)?;
            let one = ones_like(x)?;
            let all = scatter(axis, ScatterMode::Prod, one.clone(), idx, u.clone())?;
            let safe_u = r#where(&uz, 1.0, u)?;
            let nonzero = gather(axis, &scatter(axis, ScatterMode::Prod, one, idx, safe_u.clone())?, idx)?;
            let zeros_at = scatter(axis, ScatterMode::Add, zeros(x.shape(), dtype)?, idx, as_dtype(uz.clone())?)?;
            let zk = gather(axis, &zeros_at, idx)?;
            let if_zero = r#where(&equal(&zk, 1.0)?, &nonzero, 0.0)?;
            let if_not = r#where(&equal(&zk, 0.0)?, &mlx_core::divide(&nonzero, &safe_u)?, 0.0)?;
            let others = r#where(&uz, &if_zero, &if_not)?;
            Ok(Factors { dx: all, du: multiply(&gather(axis, x, idx)?, &others)? })
        }
        ScatterMode::Set | ScatterMode::Add => {
            Err(mlx_core::Error::runtime(mode.name(), "set/add scatters use the linear rules"))
        }
    }
}

/// VJP: dx = g * dy/dx; du_k = g[idx_k] * dy/du_k.
pub(super) fn scatter_reduce_vjp(
    axis: usize,
    mode: ScatterMode,
    inputs: &[Tensor],
    y: &Tensor,
    g: &Tensor,
    needed: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let (x, idx, u) = (&inputs[0], &inputs[1], &inputs[2]);
    let f = factors(axis, mode, x, idx, u, y)?;
    let dx = if needed.first().copied().unwrap_or(true) { Some(multiply(g, &f.dx)?) } else { None };
    let du = if needed.get(2).copied().unwrap_or(true) { Some(multiply(&gather(axis, g, idx)?, &f.du)?) } else { None };
    Ok(vec![dx, None, du])
}

/// JVP: dy = tx * dy/dx + scatter_add(0, idx, tu * dy/du).
pub(super) fn scatter_reduce_jvp(
    axis: usize,
    mode: ScatterMode,
    inputs: &[Tensor],
    y: &Tensor,
    tangents: &[Option<Tensor>],
) -> Result<Vec<Option<Tensor>>> {
    let (x, idx, u) = (&inputs[0], &inputs[1], &inputs[2]);
    let (tx, tu) = (tangents[0].as_ref(), tangents.get(2).and_then(Option::as_ref));
    if tx.is_none() && tu.is_none() {
        return Ok(vec![None]);
    }
    let f = factors(axis, mode, x, idx, u, y)?;
    let from_x = tx.map(|t| multiply(t, &f.dx)).transpose()?;
    let from_u = tu
        .map(|t| scatter(axis, ScatterMode::Add, zeros(y.shape(), y.dtype())?, idx, multiply(t, &f.du)?))
        .transpose()?;
    Ok(vec![match (from_x, from_u) {
        (Some(a), Some(b)) => Some(mlx_core::add(&a, &b)?),
        (a, None) => a,
        (None, b) => b,
    }])
}
