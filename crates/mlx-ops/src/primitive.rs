//! The primitive set: the instruction set of the lazy graph. Each primitive carries its
//! parameters (already normalized by the API: axes non-negative, shapes explicit) and exactly one
//! inference rule, `infer`, which validates inputs and gives the outputs' shapes and dtypes.
//! Everything else (mean, softmax, squeeze, linspace, ...) is a composition in mlx-core.
//!
//! Elementwise primitives take inputs of one shape (the API broadcasts with `BroadcastTo` views)
//! and, except `Select`'s condition, one dtype (the API promotes with `AsType`).

use std::any::Any;
use std::sync::Arc;

use crate::fused::FusedOp;
use crate::conv::ConvParams;
use crate::fft::FftParams;
use crate::shape::{fmt_shape, size_of};
use crate::indexing::{ScanOp, ScatterMode};
use crate::linalg::LinalgOp;
use crate::{Dtype, Error, PerOutput, Result, Scalar};

/// Opaque data a higher layer attaches to a [`Primitive::Custom`] node (mlx-autograd stores a
/// custom function's forward and its user-defined vjp/jvp/vmap rules here). Compared by identity.
#[derive(Clone)]
pub struct Opaque(pub Arc<dyn Any + Send + Sync>);

impl PartialEq for Opaque {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(Arc::as_ptr(&self.0) as *const (), Arc::as_ptr(&other.0) as *const ())
    }
}

impl std::fmt::Debug for Opaque {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opaque(..)")
    }
}

/// Shape and dtype of an array, known before evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub shape: Vec<usize>,
    pub dtype: Dtype,
}

impl Spec {
    pub fn new(shape: Vec<usize>, dtype: Dtype) -> Self {
        Spec { shape, dtype }
    }
}

/// Elementwise functions of one array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Abs,
    Negative,
    Exp,
    Log,
    Sqrt,
    // elemops: math and predicates (issue #3)
    Sin,
    Cos,
    Tan,
    ArcSin,
    ArcCos,
    ArcTan,
    Sinh,
    Cosh,
    Tanh,
    ArcSinh,
    ArcCosh,
    ArcTanh,
    Sigmoid,
    Erf,
    ErfInv,
    Expm1,
    Log1p,
    Log2,
    Log10,
    Floor,
    Ceil,
    /// Round half to even (`decimals` is a composition in the API).
    Round,
    Sign,
    /// Real part of a complex array (float32).
    Real,
    /// Imaginary part of a complex array (float32).
    Imag,
    /// Complex conjugate of a complex array.
    Conjugate,
    LogicalNot,
    BitwiseInvert,
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 33] = [
        UnaryOp::Abs,
        UnaryOp::Negative,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::ArcSin,
        UnaryOp::ArcCos,
        UnaryOp::ArcTan,
        UnaryOp::Sinh,
        UnaryOp::Cosh,
        UnaryOp::Tanh,
        UnaryOp::ArcSinh,
        UnaryOp::ArcCosh,
        UnaryOp::ArcTanh,
        UnaryOp::Sigmoid,
        UnaryOp::Erf,
        UnaryOp::ErfInv,
        UnaryOp::Expm1,
        UnaryOp::Log1p,
        UnaryOp::Log2,
        UnaryOp::Log10,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::Sign,
        UnaryOp::Real,
        UnaryOp::Imag,
        UnaryOp::Conjugate,
        UnaryOp::LogicalNot,
        UnaryOp::BitwiseInvert,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Abs => "abs",
            UnaryOp::Negative => "negative",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::ArcSin => "arcsin",
            UnaryOp::ArcCos => "arccos",
            UnaryOp::ArcTan => "arctan",
            UnaryOp::Sinh => "sinh",
            UnaryOp::Cosh => "cosh",
            UnaryOp::Tanh => "tanh",
            UnaryOp::ArcSinh => "arcsinh",
            UnaryOp::ArcCosh => "arccosh",
            UnaryOp::ArcTanh => "arctanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Erf => "erf",
            UnaryOp::ErfInv => "erfinv",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Log2 => "log2",
            UnaryOp::Log10 => "log10",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Round => "round",
            UnaryOp::Sign => "sign",
            UnaryOp::Real => "real",
            UnaryOp::Imag => "imag",
            UnaryOp::Conjugate => "conjugate",
            UnaryOp::LogicalNot => "logical_not",
            UnaryOp::BitwiseInvert => "bitwise_invert",
        }
    }

    /// Whether the op is only defined on inexact dtypes (the API casts other inputs to float32).
    pub fn needs_inexact(self) -> bool {
        match self {
            UnaryOp::Abs | UnaryOp::Negative => false,
            UnaryOp::Exp | UnaryOp::Log | UnaryOp::Sqrt => true,
            UnaryOp::Sin
            | UnaryOp::Cos
            | UnaryOp::Tan
            | UnaryOp::ArcSin
            | UnaryOp::ArcCos
            | UnaryOp::ArcTan
            | UnaryOp::Sinh
            | UnaryOp::Cosh
            | UnaryOp::Tanh
            | UnaryOp::ArcSinh
            | UnaryOp::ArcCosh
            | UnaryOp::ArcTanh
            | UnaryOp::Sigmoid
            | UnaryOp::Erf
            | UnaryOp::ErfInv
            | UnaryOp::Expm1
            | UnaryOp::Log1p
            | UnaryOp::Log2
            | UnaryOp::Log10 => true,
            UnaryOp::Floor
            | UnaryOp::Ceil
            | UnaryOp::Round
            | UnaryOp::Sign
            | UnaryOp::Real
            | UnaryOp::Imag
            | UnaryOp::Conjugate
            | UnaryOp::LogicalNot
            | UnaryOp::BitwiseInvert => false,
        }
    }

    /// Ops MLX defines on real dtypes only.
    pub fn rejects_complex(self) -> bool {
        matches!(
            self,
            UnaryOp::Sigmoid | UnaryOp::Erf | UnaryOp::ErfInv | UnaryOp::Expm1 | UnaryOp::Floor | UnaryOp::Ceil
        )
    }

    fn out_dtype(self, x: Dtype) -> Result<Dtype> {
        match self {
            UnaryOp::Abs if x.is_complex() => Ok(Dtype::Float32),
            UnaryOp::Negative if x.is_bool() => {
                Err(Error::invalid("negative", "Not supported for bool, use logical_not instead."))
            }
            op if op.needs_inexact() && !x.is_inexact() => {
                Err(Error::invalid(op.name(), format!("Requires an inexact dtype but got {x}.")))
            }
            op if op.rejects_complex() && x.is_complex() => {
                Err(Error::invalid(op.name(), format!("Not supported for {x}.")))
            }
            UnaryOp::Real | UnaryOp::Imag | UnaryOp::Conjugate if !x.is_complex() => {
                Err(Error::invalid(self.name(), format!("Expects a complex input but got {x} (the API passes real arrays through).")))
            }
            UnaryOp::Real | UnaryOp::Imag => Ok(Dtype::Float32),
            UnaryOp::LogicalNot => Ok(Dtype::Bool),
            UnaryOp::BitwiseInvert if !(x.is_integer() || x.is_bool()) => {
                Err(Error::invalid("bitwise_invert", "Bitwise inverse only allowed on integer types."))
            }
            _ => Ok(x),
        }
    }
}

/// Elementwise functions of two arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Maximum,
    Minimum,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    // elemops (issue #3)
    Power,
    FloorDivide,
    Remainder,
    LogAddExp,
    ArcTan2,
    BitwiseAnd,
    BitwiseOr,
    BitwiseXor,
    LeftShift,
    RightShift,
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 22] = [
        BinaryOp::Add,
        BinaryOp::Subtract,
        BinaryOp::Multiply,
        BinaryOp::Divide,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::Less,
        BinaryOp::LessEqual,
        BinaryOp::Greater,
        BinaryOp::GreaterEqual,
        BinaryOp::Power,
        BinaryOp::FloorDivide,
        BinaryOp::Remainder,
        BinaryOp::LogAddExp,
        BinaryOp::ArcTan2,
        BinaryOp::BitwiseAnd,
        BinaryOp::BitwiseOr,
        BinaryOp::BitwiseXor,
        BinaryOp::LeftShift,
        BinaryOp::RightShift,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Subtract => "subtract",
            BinaryOp::Multiply => "multiply",
            BinaryOp::Divide => "divide",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Equal => "equal",
            BinaryOp::NotEqual => "not_equal",
            BinaryOp::Less => "less",
            BinaryOp::LessEqual => "less_equal",
            BinaryOp::Greater => "greater",
            BinaryOp::GreaterEqual => "greater_equal",
            BinaryOp::Power => "power",
            BinaryOp::FloorDivide => "floor_divide",
            BinaryOp::Remainder => "remainder",
            BinaryOp::LogAddExp => "logaddexp",
            BinaryOp::ArcTan2 => "arctan2",
            BinaryOp::BitwiseAnd => "bitwise_and",
            BinaryOp::BitwiseOr => "bitwise_or",
            BinaryOp::BitwiseXor => "bitwise_xor",
            BinaryOp::LeftShift => "left_shift",
            BinaryOp::RightShift => "right_shift",
        }
    }

    /// Ops on the bits of integers and bools.
    pub fn is_bitwise(self) -> bool {
        matches!(
            self,
            BinaryOp::BitwiseAnd | BinaryOp::BitwiseOr | BinaryOp::BitwiseXor | BinaryOp::LeftShift | BinaryOp::RightShift
        )
    }

    /// Comparisons return bool.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Equal
                | BinaryOp::NotEqual
                | BinaryOp::Less
                | BinaryOp::LessEqual
                | BinaryOp::Greater
                | BinaryOp::GreaterEqual
        )
    }

    fn out_dtype(self, x: Dtype) -> Result<Dtype> {
        match self {
            op if op.is_comparison() => Ok(Dtype::Bool),
            BinaryOp::Divide | BinaryOp::LogAddExp | BinaryOp::ArcTan2 if !x.is_inexact() => {
                Err(Error::invalid(self.name(), format!("Requires an inexact dtype but got {x}.")))
            }
            BinaryOp::ArcTan2 if x.is_complex() => Err(Error::invalid("arctan2", format!("Not supported for {x}."))),
            BinaryOp::Remainder | BinaryOp::FloorDivide if x.is_complex() => {
                Err(Error::invalid(self.name(), "Complex type not supported."))
            }
            op if op.is_bitwise() && !(x.is_integer() || x.is_bool()) => Err(Error::invalid(
                op.name(),
                format!("Only allowed on integer or boolean types but got types {x} and {x}."),
            )),
            _ => Ok(x),
        }
    }
}

/// Reductions over axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Prod,
    Max,
    Min,
}

impl ReduceOp {
    pub const ALL: [ReduceOp; 4] = [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min];

    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        }
    }
}

/// Index-of-extremum reductions along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgReduceOp {
    ArgMax,
    ArgMin,
}

impl ArgReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ArgReduceOp::ArgMax => "argmax",
            ArgReduceOp::ArgMin => "argmin",
        }
    }
}

/// One node's operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Primitive {
    /// An array of `shape` filled with `value` (cast to `dtype`). No inputs.
    Full { shape: Vec<usize>, dtype: Dtype, value: Scalar },
    /// `start + i * step` for `i` in `0..len`. For integer dtypes, as MLX, the values start at
    /// `T(start)` and step by `T(start + step) - T(start)` in the dtype (`arange(0, 1, 0.3, int32)`
    /// is four zeros, `arange(6, 0, -2, uint8)` is 6, 4, 2); floats compute in f64. No inputs.
    Arange { start: f64, step: f64, len: usize, dtype: Dtype },
    Unary(UnaryOp),
    Binary(BinaryOp),
    /// `where(condition, x, y)`: condition is bool; x and y share a dtype; all share a shape.
    Select,
    /// Conversion to another dtype with C++ cast semantics.
    AsType(Dtype),
    /// Reduction over `axes` (sorted, unique); reduced axes are kept with size 1.
    Reduce { op: ReduceOp, axes: Vec<usize> },
    /// Index (uint32) of the extremum along `axis`, which is kept with size 1.
    ArgReduce { op: ArgReduceOp, axis: usize },
    /// `(..., M, K) @ (..., K, N)` with equal batch shapes.
    Matmul,
    /// Same elements, new shape of equal size (a view when the layout allows).
    Reshape { shape: Vec<usize> },
    /// Output axis i is input axis `perm[i]` (a view).
    Transpose { perm: Vec<usize> },
    /// NumPy broadcasting to `shape` (a view).
    BroadcastTo { shape: Vec<usize> },
    /// Axis i takes `shape[i]` elements from `start[i]` in steps of `step[i]` (a view).
    Slice { start: Vec<usize>, step: Vec<isize>, shape: Vec<usize> },
    /// Joins inputs of one dtype along `axis`.
    Concatenate { axis: usize },
    /// A row-contiguous copy.
    Copy,
    /// The identity whose derivative is zero (`mx.stop_gradient`; a view).
    StopGradient,
    /// A function with user-defined transforms (`mx.custom_function`): its inputs are the
    /// function's arguments followed by its `num_outputs` outputs, and evaluating it passes those
    /// last inputs through (views). `rules` carries what the transforms need.
    Custom { num_outputs: usize, rules: Opaque },
    /// elemops: `shape` elements of `width` bytes (1, 2 or 4: uint8/16/32) of threefry-2x32 bits
    /// from one key (a uint32 array of shape `(2,)`), laid out exactly as MLX's `RandomBits`.
    RandomBits { shape: Vec<usize>, width: usize },
    // --- convolution and gathered matmul (linalg branch) ---
    /// N-d convolution, channels last: `(N, *S, C_in)` with `(C_out, *K, C_in / groups)`.
    ConvGeneral(ConvParams),
    /// Batched matmul of gathered batch entries: `a[lhs[i]] @ b[rhs[i]]` for every index i.
    GatherMm,
    // --- shapeops: scans, sort, gather/scatter, as_strided (rules in `crate::indexing`) ---
    /// Cumulative `op` along `axis`; `reverse` scans from the end, `!inclusive` shifts by one.
    Scan { op: ScanOp, axis: usize, reverse: bool, inclusive: bool },
    /// Values sorted ascending along `axis` (NaN last, stable).
    Sort { axis: usize },
    /// Indices (uint32) that sort along `axis` (stable; NaN last).
    ArgSort { axis: usize },
    /// `out[..i..] = x[.. idx[..i..] ..]` along `axis` (take_along_axis); inputs `[x, idx]`.
    Gather { axis: usize },
    /// `x` with `upd` combined into the positions `idx` along `axis`; inputs `[x, idx, upd]`.
    Scatter { axis: usize, mode: ScatterMode },
    /// The row-major elements of the input reread with `shape`/`strides`/`offset` (a view).
    AsStrided { shape: Vec<usize>, strides: Vec<isize>, offset: usize },
    /// The same bytes read as another dtype (`mx.view`); the last axis scales with the size.
    View { dtype: Dtype },
    // --- linalg: the factorizations of mlx.core.linalg (rules in `crate::linalg`) ---
    /// One factorization of the trailing matrices; one input, one or more outputs.
    Linalg(LinalgOp),
    // --- fft (rule in `crate::fft`) ---
    /// MLX's `FFT`: a complex, real-forward or real-inverse transform over `axes`.
    Fft(FftParams),
    // --- fused last-axis kernels (speed branch, issue #5; rules in `crate::fused`) ---
    /// A fused softmax / logsumexp / rms_norm / layer_norm over the last axis.
    Fused(FusedOp),
}

impl Primitive {
    /// The user-facing op name used in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Primitive::Full { .. } => "full",
            Primitive::Arange { .. } => "arange",
            Primitive::Unary(op) => op.name(),
            Primitive::Binary(op) => op.name(),
            Primitive::Select => "where",
            Primitive::AsType(_) => "astype",
            Primitive::Reduce { op, .. } => op.name(),
            Primitive::ArgReduce { op, .. } => op.name(),
            Primitive::Matmul => "matmul",
            Primitive::Reshape { .. } => "reshape",
            Primitive::Transpose { .. } => "transpose",
            Primitive::BroadcastTo { .. } => "broadcast_to",
            Primitive::Slice { .. } => "slice",
            Primitive::Concatenate { .. } => "concatenate",
            Primitive::Copy => "copy",
            Primitive::StopGradient => "stop_gradient",
            Primitive::Custom { .. } => "custom",
            Primitive::RandomBits { .. } => "bits",
            Primitive::ConvGeneral(_) => "conv_general",
            Primitive::GatherMm => "gather_mm",
            Primitive::Scan { op, .. } => op.name(),
            Primitive::Sort { .. } => "sort",
            Primitive::ArgSort { .. } => "argsort",
            Primitive::Gather { .. } => "gather",
            Primitive::Scatter { mode, .. } => mode.name(),
            Primitive::AsStrided { .. } => "as_strided",
            Primitive::View { .. } => "view",
            Primitive::Linalg(op) => op.name(),
            Primitive::Fft(_) => "fft",
            Primitive::Fused(op) => op.name(),
        }
    }

    /// How many inputs the primitive takes (`None`: any number of at least one).
    pub fn arity(&self) -> Option<usize> {
        Some(match self {
            Primitive::Full { .. } | Primitive::Arange { .. } => 0,
            Primitive::Binary(_) | Primitive::Matmul => 2,
            Primitive::Select | Primitive::Scatter { .. } => 3,
            Primitive::Gather { .. } => 2,
            Primitive::Scan { .. } | Primitive::Sort { .. } | Primitive::ArgSort { .. } | Primitive::AsStrided { .. } | Primitive::View { .. } => 1,
            Primitive::Concatenate { .. } | Primitive::Custom { .. } => return None,
            Primitive::Fused(op) => op.arity(),
            Primitive::ConvGeneral(_) => 2,
            Primitive::GatherMm => 4,
            Primitive::Unary(_)
            | Primitive::AsType(_)
            | Primitive::Reduce { .. }
            | Primitive::ArgReduce { .. }
            | Primitive::Reshape { .. }
            | Primitive::Transpose { .. }
            | Primitive::BroadcastTo { .. }
            | Primitive::Slice { .. }
            | Primitive::Copy
            | Primitive::StopGradient => 1,
            | Primitive::RandomBits { .. } => 1,
            Primitive::Linalg(_) => 1,
            Primitive::Fft(_) => 1,
        })
    }

    /// Whether the output can share the input's buffer (layout change only).
    pub fn is_view(&self) -> bool {
        matches!(
            self,
            Primitive::Reshape { .. }
                | Primitive::Transpose { .. }
                | Primitive::BroadcastTo { .. }
                | Primitive::Slice { .. }
                | Primitive::StopGradient
                | Primitive::Custom { .. }
                | Primitive::AsStrided { .. }
        )
    }

    /// Validates the inputs and returns the outputs' shapes and dtypes. Takes references so a
    /// graph node can be checked without cloning its inputs' shapes.
    pub fn infer(&self, inputs: &[&Spec]) -> Result<PerOutput<Spec>> {
        let op = self.name();
        match self.arity() {
            Some(n) if inputs.len() != n => {
                return Err(Error::invalid(op, format!("Expected {n} inputs but got {}.", inputs.len())))
            }
            None if inputs.is_empty() => return Err(Error::invalid(op, "Expected at least one input.")),
            _ => {}
        }
        let same_shape = || -> Result<()> {
            if inputs.iter().any(|s| !crate::shape::same_shape(&s.shape, &inputs[0].shape)) {
                return Err(Error::invalid(op, "Inputs must have the same shape (broadcast them first)."));
            }
            Ok(())
        };
        let out = match self {
            Primitive::Full { shape, dtype, .. } => Spec::new(shape.clone(), *dtype),
            Primitive::Arange { len, dtype, .. } => {
                if dtype.is_bool() {
                    return Err(Error::invalid(op, "Cannot make an arange of bools."));
                }
                Spec::new(vec![*len], *dtype)
            }
            Primitive::Unary(u) => Spec::new(inputs[0].shape.clone(), u.out_dtype(inputs[0].dtype)?),
            Primitive::Binary(b) => {
                same_shape()?;
                if inputs[0].dtype != inputs[1].dtype {
                    return Err(Error::invalid(op, "Inputs must have the same dtype (promote them first)."));
                }
                Spec::new(inputs[0].shape.clone(), b.out_dtype(inputs[0].dtype)?)
            }
            Primitive::Select => {
                same_shape()?;
                if !inputs[0].dtype.is_bool() {
                    return Err(Error::invalid(op, "The condition must be boolean."));
                }
                if inputs[1].dtype != inputs[2].dtype {
                    return Err(Error::invalid(op, "Inputs must have the same dtype (promote them first)."));
                }
                Spec::new(inputs[0].shape.clone(), inputs[1].dtype)
            }
            Primitive::AsType(d) => Spec::new(inputs[0].shape.clone(), *d),
            Primitive::Reduce { op: r, axes } => {
                let x = &inputs[0];
                check_axes(op, axes, x.shape.len())?;
                if matches!(r, ReduceOp::Max | ReduceOp::Min) {
                    if let Some(&a) = axes.iter().find(|&&a| x.shape[a] == 0) {
                        return Err(Error::invalid(op, format!("Cannot {op} reduce over axis {a} with size 0.")));
                    }
                }
                let mut shape = x.shape.clone();
                for &a in axes {
                    shape[a] = 1;
                }
                let dtype = match r {
                    ReduceOp::Sum | ReduceOp::Prod => x.dtype.to_accumulator(),
                    ReduceOp::Max | ReduceOp::Min => x.dtype,
                };
                Spec::new(shape, dtype)
            }
            Primitive::ArgReduce { axis, .. } => {
                let x = &inputs[0];
                check_axes(op, &[*axis], x.shape.len())?;
                if size_of(&x.shape) == 0 {
                    return Err(Error::invalid(op, "Cannot reduce an empty array."));
                }
                let mut shape = x.shape.clone();
                shape[*axis] = 1;
                Spec::new(shape, Dtype::Uint32)
            }
            Primitive::Matmul => infer_matmul(inputs[0], inputs[1])?,
            Primitive::Reshape { shape } => {
                if size_of(shape) != size_of(&inputs[0].shape) {
                    return Err(Error::invalid(
                        op,
                        format!(
                            "Cannot reshape array of size {} into shape {}.",
                            size_of(&inputs[0].shape),
                            fmt_shape(shape)
                        ),
                    ));
                }
                Spec::new(shape.clone(), inputs[0].dtype)
            }
            Primitive::Transpose { perm } => {
                let x = &inputs[0];
                if perm.len() != x.shape.len() {
                    return Err(Error::invalid(
                        op,
                        format!("Received {} axes for array with {} dimensions.", perm.len(), x.shape.len()),
                    ));
                }
                let mut seen = vec![false; perm.len()];
                for &p in perm {
                    if p >= perm.len() || std::mem::replace(&mut seen[p], true) {
                        return Err(Error::invalid(op, "Repeat axes not allowed."));
                    }
                }
                Spec::new(perm.iter().map(|&p| x.shape[p]).collect(), x.dtype)
            }
            Primitive::BroadcastTo { shape } => {
                let x = &inputs[0];
                let ok = shape.len() >= x.shape.len()
                    && x.shape.iter().rev().zip(shape.iter().rev()).all(|(&a, &b)| a == b || a == 1);
                if !ok {
                    return Err(Error::invalid(
                        "broadcast_shapes",
                        format!("Shapes {} and {} cannot be broadcast.", fmt_shape(&x.shape), fmt_shape(shape)),
                    ));
                }
                Spec::new(shape.clone(), x.dtype)
            }
            Primitive::Slice { start, step, shape } => {
                let x = &inputs[0];
                let n = x.shape.len();
                if start.len() != n || step.len() != n || shape.len() != n {
                    return Err(Error::invalid(op, "Expected one start, step and length per axis."));
                }
                for i in 0..n {
                    if step[i] == 0 {
                        return Err(Error::invalid(op, "Slice step cannot be zero."));
                    }
                    if shape[i] > 0 {
                        let last = start[i] as i64 + (shape[i] as i64 - 1) * step[i] as i64;
                        if start[i] >= x.shape[i] || last < 0 || last >= x.shape[i] as i64 {
                            return Err(Error::invalid(op, format!("Slice out of bounds on axis {i}.")));
                        }
                    }
                }
                Spec::new(shape.clone(), x.dtype)
            }
            Primitive::Concatenate { axis } => {
                let first = &inputs[0];
                if *axis >= first.shape.len() {
                    return Err(Error::invalid(
                        op,
                        format!("Invalid axis {axis} for arrays with {} dimensions.", first.shape.len()),
                    ));
                }
                let mut shape = first.shape.clone();
                shape[*axis] = 0;
                for s in inputs {
                    let matches = s.shape.len() == first.shape.len()
                        && s.shape.iter().zip(&first.shape).enumerate().all(|(i, (a, b))| i == *axis || a == b);
                    if !matches {
                        let shapes: Vec<String> = inputs.iter().map(|s| fmt_shape(&s.shape)).collect();
                        return Err(Error::invalid(
                            op,
                            format!(
                                "All the input array dimensions must match exactly except for the concatenation axis. However, the provided shapes are {}, and the concatenation axis is {axis}.",
                                shapes.join(", ")
                            ),
                        ));
                    }
                    if s.dtype != first.dtype {
                        return Err(Error::invalid(op, "Inputs must have the same dtype (promote them first)."));
                    }
                    shape[*axis] += s.shape[*axis];
                }
                Spec::new(shape, first.dtype)
            }
            Primitive::Copy | Primitive::StopGradient => Spec::clone(inputs[0]),
            Primitive::Custom { num_outputs, .. } => {
                if *num_outputs == 0 || *num_outputs > inputs.len() {
                    return Err(Error::invalid(op, "Expected the function's outputs among the inputs."));
                }
                return Ok(PerOutput::Many(inputs[inputs.len() - num_outputs..].iter().map(|&s| s.clone()).collect()));
            }
            Primitive::RandomBits { shape, width } => {
                let k = &inputs[0];
                if k.dtype != Dtype::Uint32 {
                    return Err(Error::invalid(op, format!("Expected key type uint32 but received {}.", k.dtype)));
                }
                if k.shape != [2] {
                    return Err(Error::invalid(op, format!("Expected key shape (2) but received {}.", fmt_shape(&k.shape))));
                }
                let dtype = match width {
                    1 => Dtype::Uint8,
                    2 => Dtype::Uint16,
                    4 => Dtype::Uint32,
                    w => return Err(Error::invalid(op, format!("Bit width must be in {{1, 2, 4}} but got {w}."))),
                };
                Spec::new(shape.clone(), dtype)
            }
            Primitive::ConvGeneral(p) => crate::conv::infer_conv(p, inputs[0], inputs[1])?,
            Primitive::GatherMm => crate::conv::infer_gather_mm(inputs)?,
            Primitive::Scan { op: s, axis, .. } => crate::indexing::infer_scan(*s, *axis, inputs[0])?,
            Primitive::Sort { axis } | Primitive::ArgSort { axis } => {
                let x = inputs[0];
                check_axes(op, &[*axis], x.shape.len())?;
                let dtype = if matches!(self, Primitive::ArgSort { .. }) { Dtype::Uint32 } else { x.dtype };
                Spec::new(x.shape.clone(), dtype)
            }
            Primitive::Gather { axis } => crate::indexing::infer_gather(*axis, inputs[0], inputs[1])?,
            Primitive::Scatter { axis, mode } => {
                crate::indexing::infer_scatter(*axis, *mode, inputs[0], inputs[1], inputs[2])?
            }
            Primitive::AsStrided { shape, strides, offset } => {
                crate::indexing::infer_as_strided(shape, strides, *offset, inputs[0])?
            }
            Primitive::View { dtype } => crate::indexing::infer_view(*dtype, inputs[0])?,
            Primitive::Fft(p) => crate::fft::infer_fft(p, inputs[0])?,
            Primitive::Fused(f) => f.infer(inputs)?,
            // Several outputs: returned whole.
            Primitive::Linalg(l) => return l.infer(inputs[0]).map(PerOutput::from),
        };
        Ok(PerOutput::One(out))
    }

    /// One instance of every primitive (and of every sub-op), for tests that must cover them all.
    pub fn catalog() -> Vec<Primitive> {
        let mut all = vec![
            Primitive::Full { shape: vec![2], dtype: Dtype::Float32, value: Scalar::Float(1.0) },
            Primitive::Arange { start: 0.0, step: 1.0, len: 3, dtype: Dtype::Float32 },
        ];
        all.extend(UnaryOp::ALL.map(Primitive::Unary));
        all.extend(BinaryOp::ALL.map(Primitive::Binary));
        all.push(Primitive::Select);
        all.push(Primitive::AsType(Dtype::Float32));
        all.extend(ReduceOp::ALL.map(|op| Primitive::Reduce { op, axes: vec![0] }));
        all.push(Primitive::ArgReduce { op: ArgReduceOp::ArgMax, axis: 0 });
        all.push(Primitive::ArgReduce { op: ArgReduceOp::ArgMin, axis: 0 });
        all.push(Primitive::Matmul);
        all.push(Primitive::Reshape { shape: vec![1] });
        all.push(Primitive::Transpose { perm: vec![0] });
        all.push(Primitive::BroadcastTo { shape: vec![1] });
        all.push(Primitive::Slice { start: vec![0], step: vec![1], shape: vec![1] });
        all.push(Primitive::Concatenate { axis: 0 });
        all.push(Primitive::Copy);
        all.push(Primitive::StopGradient);
        all.push(Primitive::Custom { num_outputs: 1, rules: Opaque(Arc::new(())) });
        all.push(Primitive::RandomBits { shape: vec![2], width: 4 });
        all.push(Primitive::ConvGeneral(ConvParams::simple(1)));
        all.push(Primitive::GatherMm);
        all.extend(crate::indexing::catalog());
        all.extend(crate::linalg::LinalgOp::catalog().into_iter().map(Primitive::Linalg));
        all.extend(crate::fft::catalog());
        all.extend(crate::fused::FusedOp::ALL.map(Primitive::Fused));
        all
    }
}

pub(crate) fn check_axes(op: &str, axes: &[usize], ndim: usize) -> Result<()> {
    for (i, &a) in axes.iter().enumerate() {
        if a >= ndim {
            return Err(Error::invalid(op, format!("Invalid axis {a} for array with {ndim} dimensions.")));
        }
        if i > 0 && axes[i - 1] >= a {
            return Err(Error::invalid(op, "Axes must be sorted and unique."));
        }
    }
    Ok(())
}

fn infer_matmul(a: &Spec, b: &Spec) -> Result<Spec> {
    let op = "matmul";
    if a.shape.len() < 2 || b.shape.len() < 2 || a.shape.len() != b.shape.len() {
        return Err(Error::invalid(op, "Expected operands of equal rank >= 2 (broadcast them first)."));
    }
    let n = a.shape.len();
    if a.shape[n - 1] != b.shape[n - 2] {
        return Err(Error::invalid(
            op,
            format!(
                "Last dimension of first input with shape {} must match second to last dimension of second input with shape {}.",
                fmt_shape(&a.shape),
                fmt_shape(&b.shape)
            ),
        ));
    }
    if a.shape[..n - 2] != b.shape[..n - 2] {
        return Err(Error::invalid(op, "Batch dimensions must match (broadcast them first)."));
    }
    if a.dtype != b.dtype || !a.dtype.is_inexact() {
        return Err(Error::invalid(
            op,
            format!(
                "Only inexact types are supported but {} and {} were provided which results in {}, which is not inexact.",
                a.dtype,
                b.dtype,
                crate::promote(a.dtype, b.dtype)
            ),
        ));
    }
    let mut shape = a.shape.clone();
    shape[n - 1] = b.shape[n - 1];
    Ok(Spec::new(shape, a.dtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(shape: &[usize], dtype: Dtype) -> Spec {
        Spec::new(shape.to_vec(), dtype)
    }

    #[test]
    fn catalog_covers_every_name_once_per_sub_op() {
        let names: Vec<&str> = Primitive::catalog().iter().map(|p| p.name()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn infer_rules() {
        let f = Dtype::Float32;
        let r = Primitive::Reduce { op: ReduceOp::Sum, axes: vec![1] }.infer(&[&spec(&[2, 3], Dtype::Int8)]).unwrap();
        assert_eq!(r[0], spec(&[2, 1], Dtype::Int32));
        assert!(Primitive::Matmul.infer(&[&spec(&[2, 3], f), &spec(&[4, 2], f)]).is_err());
        assert_eq!(Primitive::Matmul.infer(&[&spec(&[5, 2, 3], f), &spec(&[5, 3, 4], f)]).unwrap()[0].shape, vec![5, 2, 4]);
        assert!(Primitive::Reshape { shape: vec![4] }.infer(&[&spec(&[2, 3], f)]).is_err());
        assert!(Primitive::Unary(UnaryOp::Negative).infer(&[&spec(&[2], Dtype::Bool)]).is_err());
        assert!(Primitive::Transpose { perm: vec![0, 0] }.infer(&[&spec(&[2, 3], f)]).is_err());
        assert!(Primitive::Slice { start: vec![4], step: vec![-1], shape: vec![2] }.infer(&[&spec(&[5], f)]).is_ok());
        assert!(Primitive::Slice { start: vec![4], step: vec![1], shape: vec![2] }.infer(&[&spec(&[5], f)]).is_err());
    }
}
