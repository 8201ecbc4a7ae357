//! Elementwise math, rounding, predicates, bitwise and logical ops, and the small products
//! (`outer`, `inner`, `kron`) and closeness tests built on them (issue #3).
//!
//! Invariants: primitives are the ones with their own scalar semantics (trig, erf, floor,
//! power, remainder, shifts, ...); everything else here (degrees, clip, isnan, isclose,
//! logical_and, divmod, ...) is a composition, so autograd and every backend get it free.
//! Binary ops promote and broadcast exactly like `add` (weak Rust scalars included); ops that
//! need inexact values cast integers and bools to float32, as MLX does.

use mlx_ops::{BinaryOp, Dtype, Primitive, Result, UnaryOp};

use crate::operand::{result_type, ArrayLike, Operand};
use crate::ops::elementwise::{promote_broadcast, unary};
use crate::{astype, Axes, Error, Tensor};

macro_rules! unary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        /// Only from the op's dtype rule (see the summary).
        pub fn $name(x: &Tensor) -> Result<Tensor> {
            unary(UnaryOp::$op, x)
        }
    )*};
}
unary_fns!(
    /// `sin(x)` elementwise; integers and bools compute in float32; complex supported.
    sin => Sin,
    /// `cos(x)` elementwise; integers and bools compute in float32; complex supported.
    cos => Cos,
    /// `tan(x)` elementwise; integers and bools compute in float32; complex supported.
    tan => Tan,
    /// `asin(x)` elementwise (NaN outside [-1, 1]); integers and bools compute in float32.
    arcsin => ArcSin,
    /// `acos(x)` elementwise (NaN outside [-1, 1]); integers and bools compute in float32.
    arccos => ArcCos,
    /// `atan(x)` elementwise; integers and bools compute in float32.
    arctan => ArcTan,
    /// `sinh(x)` elementwise; integers and bools compute in float32.
    sinh => Sinh,
    /// `cosh(x)` elementwise; integers and bools compute in float32.
    cosh => Cosh,
    /// `tanh(x)` elementwise; integers and bools compute in float32.
    tanh => Tanh,
    /// `asinh(x)` elementwise; integers and bools compute in float32.
    arcsinh => ArcSinh,
    /// `acosh(x)` elementwise (NaN below 1); integers and bools compute in float32.
    arccosh => ArcCosh,
    /// `atanh(x)` elementwise (±inf at ±1); integers and bools compute in float32.
    arctanh => ArcTanh,
    /// `1 / (1 + e^-x)` elementwise; `[sigmoid]` error for complex64.
    sigmoid => Sigmoid,
    /// The error function `2/sqrt(pi) ∫_0^x e^(-t²) dt` (MLX's float32 approximation);
    /// `[erf]` error for complex64.
    erf => Erf,
    /// The inverse error function (MLX's float32 approximation; ±inf at ±1, NaN outside);
    /// `[erfinv]` error for complex64.
    erfinv => ErfInv,
    /// `e^x - 1`, accurate near 0; `[expm1]` error for complex64.
    expm1 => Expm1,
    /// `ln(1 + x)`, accurate near 0; complex supported.
    log1p => Log1p,
    /// Base-2 logarithm elementwise; complex supported.
    log2 => Log2,
    /// Base-10 logarithm elementwise; complex supported.
    log10 => Log10,
    /// Largest integer `<= x`; integers and bools are returned unchanged in value and dtype;
    /// `[floor]` error for complex64.
    floor => Floor,
    /// Smallest integer `>= x`; integers and bools unchanged; `[ceil]` error for complex64.
    ceil => Ceil,
    /// `-1`, `0` or `1` by the sign of `x` (0 for NaN and -0.0); unsigned: 0 or 1; bool
    /// unchanged; complex: `x / |x|` (0 at 0). Same dtype as `x`.
    sign => Sign,
    /// `!x` as bool: true where `x` is zero (any dtype).
    logical_not => LogicalNot,
    /// Bitwise NOT of integers (logical not of bools); `[bitwise_invert]` error otherwise.
    bitwise_invert => BitwiseInvert,
);

/// Rounds to `decimals` decimal places, half to even (`mx.round`).
///
/// `decimals == 0` is the rounding primitive (integers unchanged). Otherwise, as MLX:
/// `round(x * 10^d) * (1/10^d)` (scale factors rounded to float32) computed in `x`'s float type (float32 for integers) and cast back
/// to `x`'s dtype (so `round(int 15, -1)` is 20).
///
/// # Errors
/// None beyond the dtype rules of `multiply`.
pub fn round(x: &Tensor, decimals: i32) -> Result<Tensor> {
    if decimals == 0 {
        return Tensor::from_primitive(Primitive::Unary(UnaryOp::Round), vec![x.clone()]);
    }
    let dtype = x.dtype().to_inexact();
    // MLX computes the scale and its inverse in float32, then casts them to the dtype.
    let scale = 10f32.powi(decimals);
    let inv = 1.0f32 / scale;
    let scaled = crate::multiply(&astype(x, dtype)?, &crate::full(&[], scale as f64, dtype)?)?;
    let r = round(&scaled, 0)?;
    astype(&crate::multiply(&r, &crate::full(&[], inv as f64, dtype)?)?, x.dtype())
}

/// The real part (`mx.real`): float32 for complex64, `x` itself otherwise.
pub fn real(x: &Tensor) -> Result<Tensor> {
    if x.dtype().is_complex() {
        return unary(UnaryOp::Real, x);
    }
    Ok(x.clone())
}

/// The imaginary part (`mx.imag`): float32 for complex64, zeros of `x`'s dtype otherwise.
pub fn imag(x: &Tensor) -> Result<Tensor> {
    if x.dtype().is_complex() {
        return unary(UnaryOp::Imag, x);
    }
    crate::zeros_like(x)
}

/// The complex conjugate (`mx.conjugate`); real arrays are returned unchanged.
pub fn conjugate(x: &Tensor) -> Result<Tensor> {
    if x.dtype().is_complex() {
        return unary(UnaryOp::Conjugate, x);
    }
    Ok(x.clone())
}

/// Alias of [`conjugate`] (`mx.conj`).
pub fn conj(x: &Tensor) -> Result<Tensor> {
    conjugate(x)
}

/// Radians to degrees: `x * 180/pi` in `x`'s float type (float32 for integers).
pub fn degrees(x: &Tensor) -> Result<Tensor> {
    let d = x.dtype().to_inexact();
    crate::multiply(&astype(x, d)?, &crate::full(&[], 180.0 / std::f64::consts::PI, d)?)
}

/// Degrees to radians: `x * pi/180` in `x`'s float type (float32 for integers).
pub fn radians(x: &Tensor) -> Result<Tensor> {
    let d = x.dtype().to_inexact();
    crate::multiply(&astype(x, d)?, &crate::full(&[], std::f64::consts::PI / 180.0, d)?)
}

/// `1 / x` in `x`'s float type (float32 for integers).
pub fn reciprocal(x: &Tensor) -> Result<Tensor> {
    let d = x.dtype().to_inexact();
    crate::divide(&crate::full(&[], 1.0, d)?, x)
}

/// `1 / sqrt(x)` in `x`'s float type (float32 for integers).
pub fn rsqrt(x: &Tensor) -> Result<Tensor> {
    reciprocal(&crate::sqrt(x)?)
}

/// True where `x` is NaN (always false for integers and bools).
pub fn isnan(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_inexact() {
        return crate::full(x.shape(), false, Dtype::Bool);
    }
    crate::not_equal(x, x)
}

/// True where `x` is +inf.
pub fn isposinf(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_inexact() {
        return crate::full(x.shape(), false, Dtype::Bool);
    }
    crate::equal(x, f64::INFINITY)
}

/// True where `x` is -inf.
pub fn isneginf(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_inexact() {
        return crate::full(x.shape(), false, Dtype::Bool);
    }
    crate::equal(x, f64::NEG_INFINITY)
}

/// True where `x` is neither infinite nor NaN.
pub fn isfinite(x: &Tensor) -> Result<Tensor> {
    logical_not(&logical_or(&crate::isinf(x)?, &isnan(x)?)?)
}

/// Replaces NaN with `nan`, +inf with `posinf` and -inf with `neginf` (defaults: 0, the
/// dtype's largest and lowest finite values); integer and bool arrays are returned unchanged.
///
/// # Errors
/// None.
pub fn nan_to_num(x: &Tensor, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
    let d = x.dtype();
    if !d.is_floating() {
        if d.is_complex() {
            return Err(Error::invalid("nan_to_num", "Not supported for complex64."));
        }
        return Ok(x.clone());
    }
    let info = crate::finfo(d)?;
    let posinf = posinf.unwrap_or(info.max);
    let neginf = neginf.unwrap_or(info.min);
    let full = |v: f64| crate::full(&[], v, d);
    let y = crate::r#where(&isnan(x)?, &full(nan)?, x)?;
    let y = crate::r#where(&isposinf(x)?, &full(posinf)?, &y)?;
    crate::r#where(&isneginf(x)?, &full(neginf)?, &y)
}

/// Clips `a` to `[a_min, a_max]` (`maximum(a, a_min)` then `minimum(.., a_max)`); either bound
/// may be `None`.
///
/// # Errors
/// `[clip]` when both bounds are `None`; `[broadcast_shapes]` for bounds that do not broadcast.
pub fn clip(a: &Tensor, a_min: Option<Operand>, a_max: Option<Operand>) -> Result<Tensor> {
    if a_min.is_none() && a_max.is_none() {
        return Err(Error::invalid("clip", "At most one of a_min and a_max may be None"));
    }
    let mut r = a.clone();
    if let Some(lo) = a_min {
        r = crate::maximum(&r, lo)?;
    }
    if let Some(hi) = a_max {
        r = crate::minimum(&r, hi)?;
    }
    Ok(r)
}

impl ArrayLike for Operand {
    fn into_operand(self) -> Operand {
        self
    }
}

/// A binary primitive after promotion: `inexact` casts the common dtype to a float, bools
/// become uint8 for shifts (as MLX).
fn binary_ext(op: BinaryOp, a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    let operands = [a.into_operand(), b.into_operand()];
    let mut dtype = result_type(&operands);
    match op {
        BinaryOp::LogAddExp | BinaryOp::ArcTan2 => dtype = dtype.to_inexact(),
        BinaryOp::LeftShift | BinaryOp::RightShift if dtype.is_bool() => dtype = Dtype::Uint8,
        _ => {}
    }
    let inputs = promote_broadcast(&operands, Some(dtype))?;
    if op == BinaryOp::FloorDivide && dtype.is_complex() {
        // MLX: complex floor division is plain division (no floor of a complex number).
        return Tensor::from_primitive(Primitive::Binary(BinaryOp::Divide), inputs);
    }
    Tensor::from_primitive(Primitive::Binary(op), inputs)
}

macro_rules! binary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// Operands are promoted (`result_type`, weak scalars) and broadcast.
        ///
        /// # Errors
        /// `[broadcast_shapes]` when the shapes cannot broadcast; the op's dtype rule.
        pub fn $name(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
            binary_ext(BinaryOp::$op, a, b)
        }
    )*};
}
binary_fns!(
    /// `a ** b` elementwise. Integers: exact by squaring, wrapping, `x ** negative` = 0.
    power => Power,
    /// `floor(a / b)` elementwise in the promoted dtype. Integer division by zero gives 0 and
    /// `MIN // -1` gives `MIN` (MLX: undefined, see DIFFERENCES.md); complex64 divides without
    /// flooring, as MLX.
    floor_divide => FloorDivide,
    /// `a - b * floor(a / b)`, with the divisor's sign. Integer remainder by zero gives `a`
    /// (MLX: undefined; see DIFFERENCES.md); `[remainder]` error for complex64.
    remainder => Remainder,
    /// `log(e^a + e^b)` without overflow; integers compute in float32.
    logaddexp => LogAddExp,
    /// The angle of the point `(b, a)`: `atan2(a, b)`; integers compute in float32.
    arctan2 => ArcTan2,
    /// Bitwise AND of integers or bools; `[bitwise_and]` error for floats.
    bitwise_and => BitwiseAnd,
    /// Bitwise OR of integers or bools; `[bitwise_or]` error for floats.
    bitwise_or => BitwiseOr,
    /// Bitwise XOR of integers or bools; `[bitwise_xor]` error for floats.
    bitwise_xor => BitwiseXor,
    /// `a << b` (bools as uint8). Shifting by the bit width or more, or by a negative amount,
    /// gives 0 (C++: undefined).
    left_shift => LeftShift,
    /// `a >> b`, arithmetic for signed (bools as uint8). Shifting by the width or more, or by a
    /// negative amount, gives 0 (-1 for negative values) (C++: undefined).
    right_shift => RightShift,
);

/// `(floor_divide(a, b), remainder(a, b))` (`mx.divmod`).
///
/// Two nodes, not one with two outputs: the core's nodes have one output today.
///
/// # Errors
/// `[divmod] Complex type not supported.`; `[broadcast_shapes]`.
pub fn divmod(a: impl ArrayLike, b: impl ArrayLike) -> Result<(Tensor, Tensor)> {
    let (a, b) = (a.into_operand(), b.into_operand());
    if result_type(&[a.clone(), b.clone()]).is_complex() {
        return Err(Error::invalid("divmod", "Complex type not supported."));
    }
    Ok((floor_divide(a.clone(), b.clone())?, remainder(a, b)?))
}

fn to_bool(x: impl ArrayLike) -> Result<Tensor> {
    x.into_operand().to_tensor(Dtype::Bool)
}

/// Logical AND of the truth values of `a` and `b`, as bool (broadcast).
pub fn logical_and(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    bitwise_and(&to_bool(a)?, &to_bool(b)?)
}

/// Logical OR of the truth values of `a` and `b`, as bool (broadcast).
pub fn logical_or(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    bitwise_or(&to_bool(a)?, &to_bool(b)?)
}

/// Logical XOR of the truth values of `a` and `b`, as bool (broadcast).
pub fn logical_xor(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    bitwise_xor(&to_bool(a)?, &to_bool(b)?)
}

/// The outer product of the flattened inputs: `out[i, j] = a[i] * b[j]`, shape
/// `(a.size, b.size)`, promoted dtype.
pub fn outer(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    crate::multiply(&crate::reshape(a, &[-1, 1])?, &crate::reshape(b, &[-1])?)
}

/// The inner product over the last axes: shape `a.shape[:-1] + b.shape[:-1]`; a 0-d operand
/// multiplies.
///
/// # Errors
/// `[inner]` when the last dimensions differ; `matmul`'s dtype rule (inexact only).
pub fn inner(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return crate::multiply(a, b);
    }
    let (ka, kb) = (a.shape()[a.ndim() - 1], b.shape()[b.ndim() - 1]);
    if ka != kb {
        return Err(Error::invalid("inner", format!("a and b must have the same last dimension (got {ka} and {kb}).")));
    }
    let a2 = crate::reshape(a, &[-1, ka as i32])?;
    let b2 = crate::reshape(b, &[-1, kb as i32])?;
    let m = crate::matmul(&a2, &crate::transpose(&b2, Axes::All)?)?;
    let shape: Vec<i32> =
        a.shape()[..a.ndim() - 1].iter().chain(&b.shape()[..b.ndim() - 1]).map(|&d| d as i32).collect();
    crate::reshape(&m, &shape)
}

/// The Kronecker product: for equal ranks (the shorter shape is padded with leading 1s),
/// `out[i*B + j] = a[i] * b[j]` per axis, shape `a.shape * b.shape`.
///
/// # Errors
/// `[kron] Input arrays cannot be empty.`
pub fn kron(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.size() == 0 || b.size() == 0 {
        return Err(Error::invalid("kron", "Input arrays cannot be empty."));
    }
    if a.ndim() == 0 || b.ndim() == 0 {
        return crate::multiply(a, b);
    }
    let n = a.ndim().max(b.ndim());
    let pad = |s: &[usize]| -> Vec<usize> { [vec![1; n - s.len()], s.to_vec()].concat() };
    let (sa, sb) = (pad(a.shape()), pad(b.shape()));
    let ia: Vec<i32> = sa.iter().flat_map(|&d| [d as i32, 1]).collect();
    let ib: Vec<i32> = sb.iter().flat_map(|&d| [1, d as i32]).collect();
    let out: Vec<i32> = sa.iter().zip(&sb).map(|(&x, &y)| (x * y) as i32).collect();
    let p = crate::multiply(&crate::reshape(a, &ia)?, &crate::reshape(b, &ib)?)?;
    crate::reshape(&p, &out)
}

/// Elementwise `|a - b| <= atol + rtol * |b|`, with infinities equal only to the same infinity
/// and NaN equal to NaN when `equal_nan` (`mx.isclose`), as bool.
///
/// # Errors
/// `[broadcast_shapes]` when the shapes cannot broadcast.
pub fn isclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    let lhs = crate::abs(&crate::subtract(a, b)?)?;
    let rhs = crate::add(&crate::multiply(&crate::abs(b)?, rtol)?, atol)?;
    let mut out = crate::less_equal(&lhs, &rhs)?;
    let any_inf = logical_or(&crate::isinf(a)?, &crate::isinf(b)?)?;
    let both_inf = logical_or(
        &logical_and(&isposinf(a)?, &isposinf(b)?)?,
        &logical_and(&isneginf(a)?, &isneginf(b)?)?,
    )?;
    out = logical_or(&logical_and(&out, &logical_not(&any_inf)?)?, &both_inf)?;
    if equal_nan {
        out = logical_or(&out, &logical_and(&isnan(a)?, &isnan(b)?)?)?;
    }
    Ok(out)
}

/// True (a 0-d bool) when every element of the inputs is close (`mx.allclose`; see [`isclose`]).
pub fn allclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    all(&isclose(a, b, rtol, atol, equal_nan)?)
}

/// True (a 0-d bool) when `a` and `b` have the same shape and equal elements (NaN equal to
/// NaN when `equal_nan`); dtypes may differ (`mx.array_equal`).
pub fn array_equal(a: &Tensor, b: &Tensor, equal_nan: bool) -> Result<Tensor> {
    if a.shape() != b.shape() {
        return crate::full(&[], false, Dtype::Bool);
    }
    let mut eq = crate::equal(a, b)?;
    if equal_nan {
        eq = logical_or(&eq, &logical_and(&isnan(a)?, &isnan(b)?)?)?;
    }
    all(&eq)
}

/// Whether every element is true (empty: true), as a 0-d bool.
fn all(x: &Tensor) -> Result<Tensor> {
    let falses = crate::sum(&logical_not(x)?, Axes::All, false)?;
    crate::equal(&falses, 0)
}

/// MLX's window functions (`hanning`, `hamming`, `blackman`, `bartlett`): `m` points, float32,
/// symmetric; `m == 1` gives `[1]`, `m == 0` an empty array.
fn cosine_window(m: usize, coeffs: &[f64]) -> Result<Tensor> {
    if m <= 1 {
        return crate::ones(&[m], Dtype::Float32);
    }
    let n = crate::arange(0i32, m as i32, 1i32, Dtype::Float32)?;
    let phase = crate::multiply(&n, 2.0 * std::f64::consts::PI / (m - 1) as f64)?;
    let mut w = crate::full(&[m], coeffs[0], Dtype::Float32)?;
    for (k, &c) in coeffs.iter().enumerate().skip(1) {
        let term = crate::multiply(&cos(&crate::multiply(&phase, k as f64)?)?, c)?;
        w = crate::add(&w, &term)?;
    }
    Ok(w)
}

/// The Hann window `0.5 - 0.5 cos(2πn/(M-1))`, float32.
pub fn hanning(m: usize) -> Result<Tensor> {
    cosine_window(m, &[0.5, -0.5])
}

/// The Hamming window `0.54 - 0.46 cos(2πn/(M-1))`, float32.
pub fn hamming(m: usize) -> Result<Tensor> {
    cosine_window(m, &[0.54, -0.46])
}

/// The Blackman window `0.42 - 0.5 cos(2πn/(M-1)) + 0.08 cos(4πn/(M-1))`, float32.
pub fn blackman(m: usize) -> Result<Tensor> {
    cosine_window(m, &[0.42, -0.5, 0.08])
}

/// The Bartlett (triangular) window `1 - |2n/(M-1) - 1|`, float32.
pub fn bartlett(m: usize) -> Result<Tensor> {
    if m <= 1 {
        return crate::ones(&[m], Dtype::Float32);
    }
    let n = crate::arange(0i32, m as i32, 1i32, Dtype::Float32)?;
    let t = crate::subtract(&crate::multiply(&n, 2.0 / (m - 1) as f64)?, 1.0)?;
    crate::subtract(1.0, &crate::abs(&t)?)
}

/// Rounds toward zero (`mx.trunc`): `ceil` for negative values, `floor` otherwise (so -0.2
/// gives -0.0); integers and bools unchanged.
///
/// # Errors
/// `[trunc] Not supported for complex64.`
pub fn trunc(x: &Tensor) -> Result<Tensor> {
    let d = x.dtype();
    if d.is_complex() {
        return Err(Error::invalid("trunc", format!("Not supported for {d}.")));
    }
    if !d.is_floating() {
        return Ok(x.clone());
    }
    crate::r#where(&crate::less(x, 0.0)?, &ceil(x)?, &floor(x)?)
}

/// `x` itself (`mx.positive`, unary `+`).
pub fn positive(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

macro_rules! aliases {
    ($($(#[$doc:meta])* $alias:ident => $target:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $alias(x: &Tensor) -> Result<Tensor> {
            $target(x)
        }
    )*};
}
aliases!(
    /// Alias of [`arccos`] (`mx.acos`).
    acos => arccos,
    /// Alias of [`arccosh`] (`mx.acosh`).
    acosh => arccosh,
    /// Alias of [`arcsin`] (`mx.asin`).
    asin => arcsin,
    /// Alias of [`arcsinh`] (`mx.asinh`).
    asinh => arcsinh,
    /// Alias of [`arctan`] (`mx.atan`).
    atan => arctan,
    /// Alias of [`arctanh`] (`mx.atanh`).
    atanh => arctanh,
);

/// Alias of [`arctan2`] (`mx.atan2`).
pub fn atan2(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    arctan2(a, b)
}

/// Alias of [`power`] (`mx.pow`).
pub fn pow(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    power(a, b)
}

/// Alias of [`left_shift`] (`mx.bitwise_left_shift`).
pub fn bitwise_left_shift(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    left_shift(a, b)
}

/// Alias of [`right_shift`] (`mx.bitwise_right_shift`).
pub fn bitwise_right_shift(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    right_shift(a, b)
}
