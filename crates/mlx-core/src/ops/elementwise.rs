//! Elementwise ops. Binary ops promote their operands (`result_type`, with weak scalars) and
//! broadcast them before the primitive; ops that need inexact values cast integers to float32.

use mlx_ops::{shape::{broadcast_shapes, same_shape}, BinaryOp, Dtype, Primitive, Result, UnaryOp};

use crate::operand::{result_type, ArrayLike};
use crate::{broadcast_to, Tensor};

pub(crate) fn unary(op: UnaryOp, x: &Tensor) -> Result<Tensor> {
    let x = if op.needs_inexact() { astype(x, x.dtype().to_inexact())? } else { x.clone() };
    Tensor::from_primitive(Primitive::Unary(op), vec![x])
}

/// Promotes and broadcasts operands to one dtype and one shape.
pub(crate) fn promote_broadcast(operands: &[crate::operand::Operand], dtype: Option<Dtype>) -> Result<Vec<Tensor>> {
    let dtype = dtype.unwrap_or_else(|| result_type(operands));
    let tensors: Vec<Tensor> = operands.iter().map(|o| o.to_tensor(dtype)).collect::<Result<_>>()?;
    broadcast_all(tensors)
}

/// Broadcasts arrays to their common shape. Arrays that already share one shape come back as
/// they are, without allocating (the common case, and graph building is hot for small arrays).
pub(crate) fn broadcast_all(tensors: Vec<Tensor>) -> Result<Vec<Tensor>> {
    let Some((first, rest)) = tensors.split_first() else { return Ok(tensors) };
    let mut common: Option<Vec<usize>> = None;
    for t in rest {
        let shape = common.as_deref().unwrap_or(first.shape());
        if !same_shape(t.shape(), shape) {
            common = Some(broadcast_shapes(shape, t.shape())?);
        }
    }
    match common {
        None => Ok(tensors),
        Some(shape) => tensors.iter().map(|t| broadcast_to(t, &shape)).collect(),
    }
}

fn binary(op: BinaryOp, a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
    let operands = [a.into_operand(), b.into_operand()];
    let mut dtype = result_type(&operands);
    if op == BinaryOp::Divide {
        dtype = dtype.to_inexact();
    }
    let inputs = promote_broadcast(&operands, Some(dtype))?;
    Tensor::from_primitive(Primitive::Binary(op), inputs)
}

macro_rules! unary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(x: &Tensor) -> Result<Tensor> {
            unary(UnaryOp::$op, x)
        }
    )*};
}
unary_fns!(
    /// `|x|` elementwise (complex gives its float32 magnitude).
    abs => Abs,
    /// `-x` elementwise. Errors on bool (`[negative]`); unsigned integers wrap.
    negative => Negative,
    /// `e^x` elementwise; integers and bools compute in float32.
    exp => Exp,
    /// Natural logarithm elementwise; integers and bools compute in float32.
    log => Log,
    /// Square root elementwise; integers and bools compute in float32.
    sqrt => Sqrt,
);

macro_rules! binary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// Operands are promoted (`result_type`) and broadcast.
        ///
        /// # Errors
        /// `[broadcast_shapes]` when the shapes cannot broadcast.
        pub fn $name(a: impl ArrayLike, b: impl ArrayLike) -> Result<Tensor> {
            binary(BinaryOp::$op, a, b)
        }
    )*};
}
binary_fns!(
    /// `a + b` elementwise (integers wrap; bools: logical or).
    add => Add,
    /// `a - b` elementwise.
    subtract => Subtract,
    /// `a * b` elementwise.
    multiply => Multiply,
    /// `a / b` elementwise; integer operands divide in float32.
    divide => Divide,
    /// The larger of `a` and `b` elementwise; NaN propagates.
    maximum => Maximum,
    /// The smaller of `a` and `b` elementwise; NaN propagates.
    minimum => Minimum,
    /// `a == b` elementwise, as bool.
    equal => Equal,
    /// `a != b` elementwise, as bool.
    not_equal => NotEqual,
    /// `a < b` elementwise, as bool.
    less => Less,
    /// `a <= b` elementwise, as bool.
    less_equal => LessEqual,
    /// `a > b` elementwise, as bool.
    greater => Greater,
    /// `a >= b` elementwise, as bool.
    greater_equal => GreaterEqual,
);

/// `x` where `condition` is true, else `y` (`mx.where`). `x` and `y` are promoted; all three
/// broadcast.
pub fn r#where(condition: impl ArrayLike, x: impl ArrayLike, y: impl ArrayLike) -> Result<Tensor> {
    let (x, y) = (x.into_operand(), y.into_operand());
    let dtype = result_type(&[x.clone(), y.clone()]);
    let cond = condition.into_operand().to_tensor(Dtype::Bool)?;
    let (x, y) = (x.to_tensor(dtype)?, y.to_tensor(dtype)?);
    let inputs = broadcast_all(vec![cond, x, y])?;
    Tensor::from_primitive(Primitive::Select, inputs)
}

/// `x` converted to `dtype` (C++ cast semantics: floats truncate toward zero into integers).
/// Returns `x` itself when the dtype already matches.
pub fn astype(x: &Tensor, dtype: Dtype) -> Result<Tensor> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    Tensor::from_primitive(Primitive::AsType(dtype), vec![x.clone()])
}

/// `x * x` elementwise.
pub fn square(x: &Tensor) -> Result<Tensor> {
    multiply(x, x)
}

/// True where `x` is +inf or -inf.
pub fn isinf(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_inexact() {
        return crate::full(x.shape(), false, Dtype::Bool);
    }
    equal(&abs(x)?, f64::INFINITY)
}
