//! Rules of the elementwise primitives: unary ops, binary ops, `where` (Select) and `astype`.
//!
//! Ties follow MLX: `maximum(a, b)` sends the gradient to `b` where `a == b` (a's mask is
//! `a > b`), and so does `minimum` (a's mask is `a < b`). `abs` has derivative `sign(x)`, 0 at 0.
//! Comparisons are not differentiable (no cotangent; the tangent is zeros of the tangent's dtype).

use mlx_core::{
    add, astype, divide, greater, greater_equal, less, less_equal, multiply, negative, r#where, square, subtract,
    zeros, zeros_like, BinaryOp, Result, Tensor, UnaryOp,
};

/// `sign(x)` in `x`'s dtype (`x / |x|` for complex; 0 at 0).
fn sign(x: &Tensor) -> Result<Tensor> {
    if x.dtype().is_complex() {
        let m = mlx_core::abs(x)?;
        let z = mlx_core::equal(&m, 0.0)?;
        return r#where(&z, &zeros_like(x)?, &divide(x, &m)?);
    }
    let pos = astype(&greater(x, 0)?, x.dtype())?;
    let neg = astype(&less(x, 0)?, x.dtype())?;
    subtract(&pos, &neg)
}

/// `v * f'(x)` for a unary `f` with output `y`: the VJP (v a cotangent) and, since the
/// derivative of an elementwise function is diagonal, the JVP too (v a tangent).
pub(super) fn unary_linear(op: UnaryOp, x: &Tensor, y: &Tensor, v: &Tensor) -> Result<Tensor> {
    match op {
        // d/dx |x| = sign(x)
        UnaryOp::Abs => multiply(v, &sign(x)?),
        // d/dx -x = -1
        UnaryOp::Negative => negative(v),
        // d/dx exp(x) = exp(x)
        UnaryOp::Exp => multiply(v, y),
        // d/dx log(x) = 1 / x
        UnaryOp::Log => divide(v, x),
        // d/dx sqrt(x) = 1 / (2 sqrt(x))
        UnaryOp::Sqrt => divide(v, &multiply(y, 2.0)?),
    }
}

/// The masks of `maximum`/`minimum`: which elements take a's and b's value (ties go to b).
fn extremum_masks(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    if op == BinaryOp::Maximum {
        Ok((greater(a, b)?, less_equal(a, b)?))
    } else {
        Ok((less(a, b)?, greater_equal(a, b)?))
    }
}

pub(super) fn binary_vjp(op: BinaryOp, a: &Tensor, b: &Tensor, g: &Tensor, needed: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let (na, nb) = (needed.first().copied().unwrap_or(true), needed.get(1).copied().unwrap_or(true));
    let pick = |ga: &dyn Fn() -> Result<Tensor>, gb: &dyn Fn() -> Result<Tensor>| -> Result<Vec<Option<Tensor>>> {
        Ok(vec![if na { Some(ga()?) } else { None }, if nb { Some(gb()?) } else { None }])
    };
    match op {
        // d/da (a + b) = 1, d/db = 1
        BinaryOp::Add => pick(&|| Ok(g.clone()), &|| Ok(g.clone())),
        // d/da (a - b) = 1, d/db = -1
        BinaryOp::Subtract => pick(&|| Ok(g.clone()), &|| negative(g)),
        // d/da (a * b) = b, d/db = a
        BinaryOp::Multiply => pick(&|| multiply(g, b), &|| multiply(g, a)),
        // d/da (a / b) = 1 / b, d/db = -a / b^2
        BinaryOp::Divide => pick(&|| divide(g, b), &|| negative(&divide(&multiply(g, a)?, &square(b)?)?)),
        // d/da max(a, b) = [a > b], d/db = [a <= b]; min: [a < b], [a >= b]
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let (ma, mb) = extremum_masks(op, a, b)?;
            pick(&|| multiply(g, &ma), &|| multiply(g, &mb))
        }
        // Comparisons are piecewise constant: no gradient.
        BinaryOp::Equal
        | BinaryOp::NotEqual
        | BinaryOp::Less
        | BinaryOp::LessEqual
        | BinaryOp::Greater
        | BinaryOp::GreaterEqual => Ok(vec![None, None]),
    }
}

/// `ta + tb` where either may be a symbolic zero.
fn sum_opt(ta: Option<Tensor>, tb: Option<Tensor>) -> Result<Option<Tensor>> {
    Ok(match (ta, tb) {
        (Some(a), Some(b)) => Some(add(&a, &b)?),
        (a, None) => a,
        (None, b) => b,
    })
}

pub(super) fn binary_jvp(
    op: BinaryOp,
    a: &Tensor,
    b: &Tensor,
    y: &Tensor,
    ta: &Option<Tensor>,
    tb: &Option<Tensor>,
) -> Result<Vec<Option<Tensor>>> {
    let map = |t: &Option<Tensor>, f: &dyn Fn(&Tensor) -> Result<Tensor>| -> Result<Option<Tensor>> {
        t.as_ref().map(f).transpose()
    };
    let out = match op {
        // d(a + b) = da + db
        BinaryOp::Add => sum_opt(ta.clone(), tb.clone())?,
        // d(a - b) = da - db
        BinaryOp::Subtract => sum_opt(ta.clone(), map(tb, &negative)?)?,
        // d(a * b) = da b + a db
        BinaryOp::Multiply => sum_opt(map(ta, &|t| multiply(t, b))?, map(tb, &|t| multiply(a, t))?)?,
        // d(a / b) = da / b - a db / b^2
        BinaryOp::Divide => sum_opt(
            map(ta, &|t| divide(t, b))?,
            map(tb, &|t| negative(&divide(&multiply(a, t)?, &square(b)?)?))?,
        )?,
        // d max(a, b) = da [a > b] + db [a <= b] (min: [a < b], [a >= b])
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let (ma, mb) = extremum_masks(op, a, b)?;
            sum_opt(map(ta, &|t| multiply(t, &ma))?, map(tb, &|t| multiply(t, &mb))?)?
        }
        // Comparisons: zeros of the tangent's dtype, as MLX.
        BinaryOp::Equal
        | BinaryOp::NotEqual
        | BinaryOp::Less
        | BinaryOp::LessEqual
        | BinaryOp::Greater
        | BinaryOp::GreaterEqual => {
            let d = ta.as_ref().or(tb.as_ref()).map_or(mlx_core::Dtype::Float32, |t| t.dtype());
            Some(zeros(y.shape(), d)?)
        }
    };
    Ok(vec![out])
}

/// `where(c, x, y)`: d/dx = [c], d/dy = [not c]; the condition has no gradient.
pub(super) fn select_vjp(c: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let z = zeros_like(g)?;
    Ok(vec![None, Some(r#where(c, g, &z)?), Some(r#where(c, &z, g)?)])
}

/// d where(c, x, y) = where(c, dx, dy).
pub(super) fn select_jvp(inputs: &[Tensor], tx: &Option<Tensor>, ty: &Option<Tensor>) -> Result<Vec<Option<Tensor>>> {
    let (c, x, y) = (&inputs[0], &inputs[1], &inputs[2]);
    let tx = match tx {
        Some(t) => t.clone(),
        None => zeros_like(x)?,
    };
    let ty = match ty {
        Some(t) => t.clone(),
        None => zeros_like(y)?,
    };
    Ok(vec![Some(r#where(c, &tx, &ty)?)])
}
