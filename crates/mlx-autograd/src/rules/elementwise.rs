//! Rules of the elementwise primitives: unary ops, binary ops, `where` (Select) and `astype`.
//!
//! Ties follow MLX: `maximum(a, b)` sends the gradient to `b` where `a == b` (a's mask is
//! `a > b`), and so does `minimum` (a's mask is `a < b`). `abs` has derivative `sign(x)`, 0 at 0.
//! Comparisons are not differentiable (no cotangent; the tangent is zeros of the tangent's dtype).

use mlx_core::{
    add, astype, cos, cosh, divide, exp, floor, greater, greater_equal, less, less_equal, log, multiply, negative,
    not_equal, r#where, sin, sinh, sqrt, square, subtract, zeros, zeros_like, BinaryOp, Dtype, Result, Tensor, UnaryOp,
    C64,
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
        // d/dx sin(x) = cos(x)
        UnaryOp::Sin => multiply(v, &cos(x)?),
        // d/dx cos(x) = -sin(x)
        UnaryOp::Cos => negative(&multiply(v, &sin(x)?)?),
        // d/dx tan(x) = 1 + tan(x)^2
        UnaryOp::Tan => multiply(v, &add(&square(y)?, 1.0)?),
        // d/dx arcsin(x) = 1 / sqrt(1 - x^2)
        UnaryOp::ArcSin => divide(v, &sqrt(&subtract(1.0, &square(x)?)?)?),
        // d/dx arccos(x) = -1 / sqrt(1 - x^2)
        UnaryOp::ArcCos => negative(&divide(v, &sqrt(&subtract(1.0, &square(x)?)?)?)?),
        // d/dx arctan(x) = 1 / (1 + x^2)
        UnaryOp::ArcTan => divide(v, &add(&square(x)?, 1.0)?),
        // d/dx sinh(x) = cosh(x)
        UnaryOp::Sinh => multiply(v, &cosh(x)?),
        // d/dx cosh(x) = sinh(x)
        UnaryOp::Cosh => multiply(v, &sinh(x)?),
        // d/dx tanh(x) = 1 - tanh(x)^2
        UnaryOp::Tanh => multiply(v, &subtract(1.0, &square(y)?)?),
        // d/dx arcsinh(x) = 1 / sqrt(x^2 + 1)
        UnaryOp::ArcSinh => divide(v, &sqrt(&add(&square(x)?, 1.0)?)?),
        // d/dx arccosh(x) = 1 / sqrt(x^2 - 1)
        UnaryOp::ArcCosh => divide(v, &sqrt(&subtract(&square(x)?, 1.0)?)?),
        // d/dx arctanh(x) = 1 / (1 - x^2)
        UnaryOp::ArcTanh => divide(v, &subtract(1.0, &square(x)?)?),
        // d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))
        UnaryOp::Sigmoid => multiply(v, &multiply(y, &subtract(1.0, y)?)?),
        // d/dx erf(x) = 2 / sqrt(pi) exp(-x^2)
        UnaryOp::Erf => multiply(v, &multiply(&exp(&negative(&square(x)?)?)?, std::f64::consts::FRAC_2_SQRT_PI)?),
        // d/dx erfinv(x) = sqrt(pi) / 2 exp(erfinv(x)^2)
        UnaryOp::ErfInv => multiply(v, &multiply(&exp(&square(y)?)?, std::f64::consts::PI.sqrt() / 2.0)?),
        // d/dx expm1(x) = exp(x) = expm1(x) + 1
        UnaryOp::Expm1 => multiply(v, &add(y, 1.0)?),
        // d/dx log1p(x) = 1 / (1 + x)
        UnaryOp::Log1p => divide(v, &add(x, 1.0)?),
        // d/dx log2(x) = 1 / (x ln 2)
        UnaryOp::Log2 => divide(v, &multiply(x, std::f64::consts::LN_2)?),
        // d/dx log10(x) = 1 / (x ln 10)
        UnaryOp::Log10 => divide(v, &multiply(x, std::f64::consts::LN_10)?),
        // Piecewise constant (or integer/bool valued): the derivative is 0, as in MLX.
        UnaryOp::Floor
        | UnaryOp::Ceil
        | UnaryOp::Round
        | UnaryOp::Sign
        | UnaryOp::LogicalNot
        | UnaryOp::BitwiseInvert => zeros_like(v),
        // real(z): linear. A complex v is a tangent (JVP: real(dz)); a real v is a cotangent
        // (VJP: v + 0i).
        UnaryOp::Real => {
            if v.dtype().is_complex() {
                mlx_core::real(v)
            } else {
                astype(v, Dtype::Complex64)
            }
        }
        // imag(z): linear. JVP: imag(dz); VJP: -i v (MLX's convention: products are not
        // conjugated in VJPs, so d imag(z) pairs with -i).
        UnaryOp::Imag => {
            if v.dtype().is_complex() {
                mlx_core::imag(v)
            } else {
                multiply(&astype(v, Dtype::Complex64)?, C64::new(0.0, -1.0))
            }
        }
        // conj(z): linear and its own transpose.
        UnaryOp::Conjugate => mlx_core::conjugate(v),
    }
}

/// Partial derivatives `(dy/da, dy/db)` of the smooth binary ops added with the math family;
/// `None` where no gradient flows (integer-valued ops).
fn binary_partials(op: BinaryOp, a: &Tensor, b: &Tensor, y: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
    Ok(match op {
        // d/da a^b = b a^(b - 1); d/db a^b = a^b log(a), taken as 0 where a^b == 0 (MLX).
        BinaryOp::Power => {
            let da = multiply(b, &mlx_core::power(a, &subtract(b, 1.0)?)?)?;
            let db = r#where(&not_equal(y, 0.0)?, &multiply(y, &log(a)?)?, 0.0)?;
            (Some(da), Some(db))
        }
        // d/da (a mod b) = 1; d/db = -floor(a / b)
        BinaryOp::Remainder => (Some(mlx_core::ones_like(y)?), Some(negative(&floor(&divide(a, b)?)?)?)),
        // d/da log(e^a + e^b) = e^(a - y); d/db = e^(b - y)
        BinaryOp::LogAddExp => (Some(exp(&subtract(a, y)?)?), Some(exp(&subtract(b, y)?)?)),
        // d/da atan2(a, b) = b / (a^2 + b^2); d/db = -a / (a^2 + b^2)
        BinaryOp::ArcTan2 => {
            let r2 = add(&square(a)?, &square(b)?)?;
            (Some(divide(b, &r2)?), Some(negative(&divide(a, &r2)?)?))
        }
        // Integer valued: no gradient.
        _ => (None, None),
    })
}

/// The masks of `maximum`/`minimum`: which elements take a's and b's value (ties go to b).
fn extremum_masks(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    if op == BinaryOp::Maximum {
        Ok((greater(a, b)?, less_equal(a, b)?))
    } else {
        Ok((less(a, b)?, greater_equal(a, b)?))
    }
}

pub(super) fn binary_vjp(
    op: BinaryOp,
    a: &Tensor,
    b: &Tensor,
    y: &Tensor,
    g: &Tensor,
    needed: &[bool],
) -> Result<Vec<Option<Tensor>>> {
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
        // Comparisons and integer-valued ops are piecewise constant: no gradient.
        BinaryOp::Equal
        | BinaryOp::NotEqual
        | BinaryOp::Less
        | BinaryOp::LessEqual
        | BinaryOp::Greater
        | BinaryOp::GreaterEqual
        | BinaryOp::FloorDivide
        | BinaryOp::BitwiseAnd
        | BinaryOp::BitwiseOr
        | BinaryOp::BitwiseXor
        | BinaryOp::LeftShift
        | BinaryOp::RightShift => Ok(vec![None, None]),
        BinaryOp::Power | BinaryOp::Remainder | BinaryOp::LogAddExp | BinaryOp::ArcTan2 => {
            let (pa, pb) = binary_partials(op, a, b, y)?;
            let times = |p: Option<Tensor>, need: bool| -> Result<Option<Tensor>> {
                match (p, need) {
                    (Some(p), true) => Ok(Some(multiply(g, &p)?)),
                    _ => Ok(None),
                }
            };
            Ok(vec![times(pa, na)?, times(pb, nb)?])
        }
    }
}

/// A zero tangent of `y`'s shape in the tangents' dtype (float32 when both are symbolic zeros).
fn zero_tangent(y: &Tensor, ta: &Option<Tensor>, tb: &Option<Tensor>) -> Result<Tensor> {
    zeros(y.shape(), ta.as_ref().or(tb.as_ref()).map_or(Dtype::Float32, |t| t.dtype()))
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
        // d y = da dy/da + db dy/db
        BinaryOp::Power | BinaryOp::Remainder | BinaryOp::LogAddExp | BinaryOp::ArcTan2 => {
            let (pa, pb) = binary_partials(op, a, b, y)?;
            let term = |t: &Option<Tensor>, p: Option<Tensor>| -> Result<Option<Tensor>> {
                match (t, p) {
                    (Some(t), Some(p)) => Ok(Some(multiply(t, &p)?)),
                    _ => Ok(None),
                }
            };
            match sum_opt(term(ta, pa)?, term(tb, pb)?)? {
                Some(t) => Some(t),
                None => Some(zero_tangent(y, ta, tb)?),
            }
        }
        // Comparisons and integer-valued ops: zeros of the tangent's dtype, as MLX.
        BinaryOp::Equal
        | BinaryOp::NotEqual
        | BinaryOp::Less
        | BinaryOp::LessEqual
        | BinaryOp::Greater
        | BinaryOp::GreaterEqual
        | BinaryOp::FloorDivide
        | BinaryOp::BitwiseAnd
        | BinaryOp::BitwiseOr
        | BinaryOp::BitwiseXor
        | BinaryOp::LeftShift
        | BinaryOp::RightShift => {
            Some(zero_tangent(y, ta, tb)?)
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
