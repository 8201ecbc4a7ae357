//! Rules of the reductions. The `Reduce` primitive keeps reduced axes with size 1, so its output
//! and cotangent broadcast against the input directly.
//!
//! Ties follow MLX: `max`/`min` split the gradient evenly among the elements equal to the
//! extremum. `prod`'s derivative is the product of the other elements, computed without dividing
//! by zero (one zero in a group: only that element gets a gradient; two or more: none).
//! Arg-reductions have integer outputs and no gradient.

use mlx_core::{
    astype, broadcast_to, divide, equal, multiply, r#where, zeros_like, Axes, Primitive, ReduceOp, Result, Tensor,
};

use super::ap;

fn axes_i32(axes: &[usize]) -> Axes {
    Axes::These(axes.iter().map(|&a| a as i32).collect())
}

/// `sum` over `axes` keeping them (the primitive itself, so no promotion of inexact inputs).
fn sum_keep(t: &Tensor, axes: &[usize]) -> Result<Tensor> {
    ap(Primitive::Reduce { op: ReduceOp::Sum, axes: axes.to_vec() }, vec![t.clone()])
}

/// dy/dx for `y = prod(x)` over `axes`: the product of the other elements of each group.
fn prod_factor(x: &Tensor, axes: &[usize]) -> Result<Tensor> {
    let zero = equal(x, 0)?;
    let nz = mlx_core::sum(&zero, axes_i32(axes), true)?;
    let one = mlx_core::ones_like(x)?;
    let safe = r#where(&zero, &one, x)?;
    let p = mlx_core::prod(&safe, axes_i32(axes), true)?;
    let zeros = zeros_like(x)?;
    let at_zero = r#where(&equal(&nz, 1)?, &broadcast_to(&astype(&p, x.dtype())?, x.shape())?, &zeros)?;
    let others = astype(&divide(&p, &safe)?, x.dtype())?;
    let off_zero = r#where(&equal(&nz, 0)?, &others, &zeros)?;
    r#where(&zero, &at_zero, &off_zero)
}

/// dy/dx for `y = max(x)` (or min) over `axes`: `[x == y] / count(x == y)`.
fn extremum_weight(x: &Tensor, y: &Tensor, axes: &[usize]) -> Result<Tensor> {
    let mask = equal(x, y)?;
    let count = mlx_core::sum(&mask, axes_i32(axes), true)?;
    let w = divide(&astype(&mask, x.dtype().to_inexact())?, &astype(&count, x.dtype().to_inexact())?)?;
    Ok(w)
}

pub(super) fn reduce_vjp(op: ReduceOp, axes: &[usize], x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    let gb = broadcast_to(g, x.shape())?;
    let r = match op {
        // d/dx_i sum(x) = 1
        ReduceOp::Sum => gb,
        // d/dx_i prod(x) = prod_{j != i} x_j
        ReduceOp::Prod => multiply(&gb, &prod_factor(x, axes)?)?,
        // d/dx_i max(x) = [x_i == max] / count(x == max) (min likewise)
        ReduceOp::Max | ReduceOp::Min => multiply(&gb, &extremum_weight(x, y, axes)?)?,
    };
    astype(&r, x.dtype())
}

pub(super) fn reduce_jvp(op: ReduceOp, axes: &[usize], x: &Tensor, y: &Tensor, t: &Tensor) -> Result<Tensor> {
    let r = match op {
        // d sum(x) = sum(dx)
        ReduceOp::Sum => sum_keep(t, axes)?,
        // d prod(x) = sum_i dx_i prod_{j != i} x_j
        ReduceOp::Prod => sum_keep(&multiply(t, &prod_factor(x, axes)?)?, axes)?,
        // d max(x) = sum_i dx_i [x_i == max] / count
        ReduceOp::Max | ReduceOp::Min => sum_keep(&multiply(t, &extremum_weight(x, y, axes)?)?, axes)?,
    };
    astype(&r, y.dtype())
}
