//! Rules of the cumulative scans other than cumsum (which lives with the indexing rules):
//! `cumprod`, `cummax`, `cummin`, `logcumsumexp`.
//!
//! Exclusive scans reduce to inclusive ones: `y_excl[i] = y_incl[i - 1]` (forward; `i + 1` for a
//! reverse scan) and `y_excl` at the start is a constant, so the VJP shifts the cotangent one
//! step back before the inclusive rule, and the JVP shifts the inclusive tangent forward.
//!
//! Conventions (MLX 0.32's `Scan::vjp`, checked with `mx.grad`):
//! - cumprod: zeros are handled without dividing by them. Before the first zero of a lane the
//!   derivative is `revcumsum(g * y) / x`; the first zero gets `revcumsum(g * cumprod(x'))`
//!   with that zero replaced by one in `x'`; every element after the first zero gets zero.
//! - cummax/cummin: output `i` sends its whole cotangent to one element, the latest (in scan
//!   order) element that equals the running extremum: for `[1, 3, 3, 2]` the tie at 3 routes
//!   outputs 2 and 3 to element 2. (Reverse scans: the nearest such element at or after `i`.)
//! - logcumsumexp: `dy_i/dx_j = exp(x_j - y_i)` for `j <= i`, computed in log space with the
//!   cotangent split into its positive and negative parts, so no `exp` overflows (and no `-inf`
//!   enters, so the rule is itself differentiable).
//!
//! MLX raises for the JVPs of these scans; ours are the transposes of the VJPs above (see
//! DIFFERENCES.md).

use mlx_core::{
    add, astype, concatenate, divide, equal, exp, log, logical_and, multiply, negative, not_equal, r#where,
    subtract, zeros, Dtype, Primitive, Result, ScanOp, ScatterMode, Tensor,
};

use super::{ap, reshape_to};

fn scan(op: ScanOp, axis: usize, reverse: bool, inclusive: bool, x: &Tensor) -> Result<Tensor> {
    ap(Primitive::Scan { op, axis, reverse, inclusive }, vec![x.clone()])
}

/// `t` moved one step along `axis`, zero-filled: `up` gives `out[i] = t[i - 1]`, otherwise
/// `out[i] = t[i + 1]`.
fn shift(t: &Tensor, axis: usize, up: bool) -> Result<Tensor> {
    let n = t.shape()[axis];
    if n == 0 {
        return Ok(t.clone());
    }
    let nd = t.ndim();
    let mut shape = t.shape().to_vec();
    shape[axis] = n - 1;
    let mut start = vec![0; nd];
    if !up {
        start[axis] = 1;
    }
    let part = ap(Primitive::Slice { start, step: vec![1; nd], shape }, vec![t.clone()])?;
    let mut zs = t.shape().to_vec();
    zs[axis] = 1;
    let z = zeros(&zs, t.dtype())?;
    let parts = if up { [z, part] } else { [part, z] };
    concatenate(&parts, axis as i32)
}

/// The index along `axis` of every element, as int32, in `x`'s shape.
fn positions(x: &Tensor, axis: usize) -> Result<Tensor> {
    let n = x.shape()[axis];
    let iota = ap(Primitive::Arange { start: 0.0, step: 1.0, len: n, dtype: Dtype::Int32 }, vec![])?;
    let mut s = vec![1; x.ndim()];
    s[axis] = n;
    mlx_core::broadcast_to(&reshape_to(&iota, &s)?, x.shape())
}

/// For cummax/cummin (inclusive) with output `y`: the index each output takes its value from.
fn source_index(axis: usize, reverse: bool, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let mask = equal(x, y)?;
    let pos = positions(x, axis)?;
    if reverse {
        let last = x.shape()[axis].saturating_sub(1) as i32;
        scan(ScanOp::Min, axis, true, true, &r#where(&mask, &pos, last)?)
    } else {
        scan(ScanOp::Max, axis, false, true, &r#where(&mask, &pos, 0)?)
    }
}

/// `(log g+, log g-)` with `g = g+ - g-`, both parts non-negative. A zero part gets a large
/// finite negative log instead of `-inf`: its `exp` is still exactly zero, but no `-inf - -inf`
/// or `log'(0) * 0` appears, so the rule can itself be differentiated (grad of grad).
fn log_parts(g: &Tensor) -> Result<(Tensor, Tensor)> {
    let tiny = if g.dtype() == Dtype::Float16 { -3.0e4 } else { -1.0e30 };
    let part = |p: Tensor| -> Result<Tensor> {
        let pos = mlx_core::greater(&p, 0.0)?;
        r#where(&pos, &log(&r#where(&pos, &p, 1.0)?)?, tiny)
    };
    Ok((part(g.clone())?, part(negative(g)?)?))
}

/// VJP of an inclusive scan with output `y` (`op` not `Sum`).
fn inclusive_vjp(op: ScanOp, axis: usize, reverse: bool, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    match op {
        // dy/dx for cumsum is handled in `indexing::scan_vjp`; kept here for completeness.
        ScanOp::Sum => scan(ScanOp::Sum, axis, !reverse, true, g),
        // d/dx_j cumprod(x)_i = prod_{k <= i, k != j} x_k for j <= i
        ScanOp::Prod => {
            let excl = scan(ScanOp::Prod, axis, reverse, false, x)?;
            let eq_zero = equal(y, 0.0)?;
            let first_zero = logical_and(&eq_zero, &not_equal(&excl, 0.0)?)?;
            let partial = |a: &Tensor| scan(ScanOp::Sum, axis, !reverse, true, &multiply(a, g)?);
            let with_one = scan(ScanOp::Prod, axis, reverse, true, &r#where(&first_zero, 1.0, x)?)?;
            let at_first = partial(&with_one)?;
            let before = divide(&partial(y)?, x)?;
            r#where(&first_zero, &at_first, &r#where(&eq_zero, 0.0, &before)?)
        }
        // d/dx_j cummax(x)_i = [j == source(i)]: the cotangent scatter-added to the sources
        ScanOp::Max | ScanOp::Min => {
            let idx = source_index(axis, reverse, x, y)?;
            let z = zeros(x.shape(), g.dtype())?;
            ap(Primitive::Scatter { axis, mode: ScatterMode::Add }, vec![z, idx, g.clone()])
        }
        // d/dx_j logcumsumexp(x)_i = exp(x_j - y_i) for j <= i:
        // dx_j = sum_{i >= j} g_i exp(x_j - y_i) = exp(x_j + logcumsumexp_rev(log g_i - y_i))
        ScanOp::LogAddExp => {
            let (gp, gn) = log_parts(g)?;
            let part = |lg: &Tensor| exp(&add(x, &scan(ScanOp::LogAddExp, axis, !reverse, true, &subtract(lg, y)?)?)?);
            subtract(&part(&gp)?, &part(&gn)?)
        }
    }
}

/// JVP of an inclusive scan with output `y` (`op` not `Sum`).
fn inclusive_jvp(op: ScanOp, axis: usize, reverse: bool, x: &Tensor, y: &Tensor, t: &Tensor) -> Result<Tensor> {
    match op {
        ScanOp::Sum => scan(ScanOp::Sum, axis, reverse, true, t),
        // dy_i = sum_{j <= i} t_j prod_{k <= i, k != j} x_k. Before the first zero z that is
        // y_i * cumsum(t / x)_i; from z on only the j = z term survives: t_z * cumprod(x')_i,
        // with x' = x but x_z = 1 (a later zero makes it vanish too). cumprod(x') = y before z.
        ScanOp::Prod => {
            let excl = scan(ScanOp::Prod, axis, reverse, false, x)?;
            let eq_zero = equal(y, 0.0)?;
            let first_zero = logical_and(&eq_zero, &not_equal(&excl, 0.0)?)?;
            let with_one = scan(ScanOp::Prod, axis, reverse, true, &r#where(&first_zero, 1.0, x)?)?;
            let safe = r#where(&eq_zero, 1.0, x)?;
            let before = scan(ScanOp::Sum, axis, reverse, true, &divide(t, &safe)?)?;
            let after = scan(ScanOp::Sum, axis, reverse, true, &r#where(&first_zero, t, 0.0)?)?;
            multiply(&with_one, &r#where(&eq_zero, &after, &before)?)
        }
        // dy_i = t_{source(i)}
        ScanOp::Max | ScanOp::Min => {
            let idx = source_index(axis, reverse, x, y)?;
            ap(Primitive::Gather { axis }, vec![t.clone(), idx])
        }
        // dy_i = sum_{j <= i} t_j exp(x_j - y_i) = exp(logcumsumexp(log t_j + x_j) - y_i)
        ScanOp::LogAddExp => {
            let (tp, tn) = log_parts(t)?;
            let part = |lt: &Tensor| exp(&subtract(&scan(ScanOp::LogAddExp, axis, reverse, true, &add(lt, x)?)?, y)?);
            subtract(&part(&tp)?, &part(&tn)?)
        }
    }
}

/// The inclusive output: `y` itself, or the inclusive scan recomputed for an exclusive one.
fn inclusive_output(op: ScanOp, axis: usize, reverse: bool, inclusive: bool, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    if inclusive {
        Ok(y.clone())
    } else {
        scan(op, axis, reverse, true, x)
    }
}

pub(super) fn scan_vjp(
    op: ScanOp,
    axis: usize,
    reverse: bool,
    inclusive: bool,
    x: &Tensor,
    y: &Tensor,
    g: &Tensor,
) -> Result<Vec<Option<Tensor>>> {
    let yi = inclusive_output(op, axis, reverse, inclusive, x, y)?;
    // y_excl[i] = y_incl[i -/+ 1]: the inclusive output i receives the cotangent of i +/- 1.
    let gi = if inclusive { g.clone() } else { shift(g, axis, reverse)? };
    let dx = inclusive_vjp(op, axis, reverse, x, &yi, &gi)?;
    Ok(vec![Some(astype(&dx, x.dtype())?)])
}

pub(super) fn scan_jvp(
    op: ScanOp,
    axis: usize,
    reverse: bool,
    inclusive: bool,
    x: &Tensor,
    y: &Tensor,
    t: Option<Tensor>,
) -> Result<Vec<Option<Tensor>>> {
    let Some(t) = t else { return Ok(vec![None]) };
    let yi = inclusive_output(op, axis, reverse, inclusive, x, y)?;
    let dy = inclusive_jvp(op, axis, reverse, x, &yi, &t)?;
    let dy = if inclusive { dy } else { shift(&dy, axis, !reverse)? };
    Ok(vec![Some(astype(&dy, y.dtype())?)])
}
