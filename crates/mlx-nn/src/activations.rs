//! Activation functions (MLX's `nn.relu`, `nn.gelu`, ...) and their module forms (`nn.ReLU`,
//! ...). Each function is a composition of core ops, so gradients come from autograd; the
//! formulas are MLX's, written in the same order of operations.
//!
//! Integer inputs are computed in float32 where the formula needs it (exp, division), like MLX.

use mlx_core::{self as mx, Error, Result, Tensor};

use crate::math::{self, float};
use crate::module::{ModuleState, UnaryModule};

/// `max(x, 0)`.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    mx::maximum(x, 0)
}
/// `min(max(x, 0), 6)`.
pub fn relu6(x: &Tensor) -> Result<Tensor> {
    mx::minimum(&mx::maximum(x, 0)?, 6)
}
/// `relu(x)^2`.
pub fn relu2(x: &Tensor) -> Result<Tensor> {
    mx::square(&relu(x)?)
}
/// `max(negative_slope * x, x)` (MLX's default slope is 0.01).
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Result<Tensor> {
    mx::maximum(&mx::multiply(x, negative_slope)?, x)
}
/// `x` where `x > 0`, else `alpha * (exp(x) - 1)`.
pub fn elu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let neg = mx::multiply(&mx::subtract(&mx::exp(x)?, 1.0)?, alpha)?;
    mx::r#where(&mx::greater(x, 0)?, x, &neg)
}
/// `max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)`.
pub fn celu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let neg = mx::multiply(&mx::subtract(&mx::exp(&mx::divide(&mx::minimum(x, 0.0)?, alpha)?)?, 1.0)?, alpha)?;
    mx::add(&mx::maximum(x, 0.0)?, &neg)
}
/// `scale * elu(x, alpha)` with `alpha = 1.67326`, `scale = 1.0507`.
pub fn selu(x: &Tensor) -> Result<Tensor> {
    mx::multiply(&elu(x, 1.67326)?, 1.0507)
}
/// The logistic function `1 / (1 + exp(-x))`.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    math::sigmoid(x)
}
/// The hyperbolic tangent.
pub fn tanh(x: &Tensor) -> Result<Tensor> {
    math::tanh(x)
}
/// `x * sigmoid(x)` (swish).
pub fn silu(x: &Tensor) -> Result<Tensor> {
    mx::multiply(x, &sigmoid(x)?)
}
/// `log(1 + exp(x))`, as `logaddexp(x, 0)`.
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    math::logaddexp(x, 0.0)
}
/// `-softplus(-x)`.
pub fn log_sigmoid(x: &Tensor) -> Result<Tensor> {
    mx::negative(&softplus(&mx::negative(x)?)?)
}
/// `x / (1 + |x|)`.
pub fn softsign(x: &Tensor) -> Result<Tensor> {
    mx::divide(x, &mx::add(&mx::abs(x)?, 1)?)
}
/// `x * tanh(softplus(x))`.
pub fn mish(x: &Tensor) -> Result<Tensor> {
    mx::multiply(x, &tanh(&softplus(x)?)?)
}
/// `x * min(max(x + 3, 0), 6) / 6`.
pub fn hardswish(x: &Tensor) -> Result<Tensor> {
    let m = mx::minimum(&mx::maximum(&mx::add(x, 3)?, 0)?, 6)?;
    mx::divide(&mx::multiply(x, &m)?, 6)
}
/// `min(max(x, min_val), max_val)`.
pub fn hard_tanh(x: &Tensor, min_val: f64, max_val: f64) -> Result<Tensor> {
    mx::minimum(&mx::maximum(x, min_val)?, max_val)
}
/// `x` where `|x| > lambd`, else 0.
pub fn hard_shrink(x: &Tensor, lambd: f64) -> Result<Tensor> {
    mx::r#where(&mx::greater(&mx::abs(x)?, lambd)?, x, 0)
}
/// `x - sign(x) * lambd` where `|x| > lambd`, else 0.
pub fn softshrink(x: &Tensor, lambd: f64) -> Result<Tensor> {
    let shrunk = mx::subtract(x, &mx::multiply(&math::sign(x)?, lambd)?)?;
    mx::r#where(&mx::greater(&mx::abs(x)?, lambd)?, &shrunk, 0)
}
/// 1 where `x >= threshold`, else 0.
pub fn step(x: &Tensor, threshold: f64) -> Result<Tensor> {
    mx::r#where(&mx::greater_equal(x, threshold)?, 1, 0)
}
/// `max(0, x) + alpha * min(0, x)` with a learned `alpha` (broadcast against `x`).
pub fn prelu(x: &Tensor, alpha: &Tensor) -> Result<Tensor> {
    mx::add(&mx::maximum(x, 0)?, &mx::multiply(alpha, &mx::minimum(x, 0)?)?)
}
/// Exact GELU: `x * (1 + erf(x / sqrt(2))) / 2`.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    let e = math::erf(&mx::divide(&float(x)?, std::f64::consts::SQRT_2)?)?;
    mx::divide(&mx::multiply(x, &mx::add(&e, 1)?)?, 2)
}
/// GELU's tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
pub fn gelu_approx(x: &Tensor) -> Result<Tensor> {
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let inner = mx::multiply(&mx::add(x, &mx::multiply(&mx::multiply(&mx::square(x)?, x)?, 0.044715)?)?, c)?;
    mx::multiply(&mx::multiply(x, 0.5)?, &mx::add(&tanh(&inner)?, 1)?)
}
/// GELU's sigmoid approximation: `x * sigmoid(1.702 x)`.
pub fn gelu_fast_approx(x: &Tensor) -> Result<Tensor> {
    mx::multiply(x, &sigmoid(&mx::multiply(x, 1.702)?)?)
}
/// Softmax over `axis` (`nn.softmax`).
pub fn softmax(x: &Tensor, axis: i32) -> Result<Tensor> {
    mx::softmax(x, axis)
}
/// Softmin: `softmax(-x)`.
pub fn softmin(x: &Tensor, axis: i32) -> Result<Tensor> {
    mx::softmax(&mx::negative(x)?, axis)
}
/// `x - logsumexp(x, axis)`.
pub fn log_softmax(x: &Tensor, axis: i32) -> Result<Tensor> {
    mx::subtract(x, &mx::logsumexp(x, axis, true)?)
}
/// Gated linear unit: splits `x` in two halves `a, b` along `axis`; `a * sigmoid(b)`.
///
/// # Errors
/// `[glu]` when the axis length is odd.
pub fn glu(x: &Tensor, axis: i32) -> Result<Tensor> {
    let nd = x.ndim() as i32;
    let ax = if axis < 0 { axis + nd } else { axis };
    if ax < 0 || ax >= nd {
        return Err(Error::invalid("glu", format!("Invalid axis {axis} for array with {nd} dimensions.")));
    }
    let n = x.shape()[ax as usize];
    if n % 2 != 0 {
        return Err(Error::invalid("glu", format!("The size of axis {axis} must be even, got {n}.")));
    }
    let (a, b) = crate::layers::split_half(x, ax as usize)?;
    mx::multiply(&a, &sigmoid(&b)?)
}

/// Declares unit-like activation modules: `state` plus copyable hyperparameters.
macro_rules! activation_modules {
    ($($(#[$doc:meta])* $name:ident { $($f:ident : $t:ty = $d:expr),* } => |$s:ident, $x:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name { pub state: ModuleState, $(pub $f: $t),* }
        impl $name {
            /// With MLX's default hyperparameters.
            pub fn new() -> Self { $name { state: ModuleState::default(), $($f: $d),* } }
        }
        impl Default for $name {
            fn default() -> Self { Self::new() }
        }
        crate::module_fields!($name {});
        impl UnaryModule for $name {
            fn forward(&self, $x: &Tensor) -> Result<Tensor> { let $s = self; let _ = $s; $body }
        }
    )*};
}

activation_modules! {
    /// `nn.ReLU`.
    ReLU {} => |s, x| relu(x);
    /// `nn.ReLU6`.
    ReLU6 {} => |s, x| relu6(x);
    /// `nn.ReLU2`.
    ReLU2 {} => |s, x| relu2(x);
    /// `nn.LeakyReLU(negative_slope=0.01)`.
    LeakyReLU { negative_slope: f64 = 0.01 } => |s, x| leaky_relu(x, s.negative_slope);
    /// `nn.ELU(alpha=1.0)`.
    ELU { alpha: f64 = 1.0 } => |s, x| elu(x, s.alpha);
    /// `nn.CELU(alpha=1.0)`.
    CELU { alpha: f64 = 1.0 } => |s, x| celu(x, s.alpha);
    /// `nn.SELU`.
    SELU {} => |s, x| selu(x);
    /// `nn.Sigmoid`.
    Sigmoid {} => |s, x| sigmoid(x);
    /// `nn.Tanh`.
    Tanh {} => |s, x| tanh(x);
    /// `nn.SiLU`.
    SiLU {} => |s, x| silu(x);
    /// `nn.Softplus`.
    Softplus {} => |s, x| softplus(x);
    /// `nn.LogSigmoid`.
    LogSigmoid {} => |s, x| log_sigmoid(x);
    /// `nn.Softsign`.
    Softsign {} => |s, x| softsign(x);
    /// `nn.Mish`.
    Mish {} => |s, x| mish(x);
    /// `nn.Hardswish`.
    Hardswish {} => |s, x| hardswish(x);
    /// `nn.HardTanh`.
    HardTanh { min_val: f64 = -1.0, max_val: f64 = 1.0 } => |s, x| hard_tanh(x, s.min_val, s.max_val);
    /// `nn.HardShrink(lambd=0.5)`.
    HardShrink { lambd: f64 = 0.5 } => |s, x| hard_shrink(x, s.lambd);
    /// `nn.Softshrink(lambd=0.5)`.
    Softshrink { lambd: f64 = 0.5 } => |s, x| softshrink(x, s.lambd);
    /// `nn.Step(threshold=0.0)`.
    Step { threshold: f64 = 0.0 } => |s, x| step(x, s.threshold);
    /// `nn.GELU(approx="none")`; set `approx` to `Approx::Precise`/`Tanh` or `Fast`.
    GELU { approx: GeluApprox = GeluApprox::None } => |s, x| match s.approx {
        GeluApprox::None => gelu(x),
        GeluApprox::Tanh => gelu_approx(x),
        GeluApprox::Fast => gelu_fast_approx(x),
    };
    /// `nn.Softmax(axis=-1)`.
    Softmax { axis: i32 = -1 } => |s, x| softmax(x, s.axis);
    /// `nn.Softmin(axis=-1)`.
    Softmin { axis: i32 = -1 } => |s, x| softmin(x, s.axis);
    /// `nn.LogSoftmax(axis=-1)`.
    LogSoftmax { axis: i32 = -1 } => |s, x| log_softmax(x, s.axis);
    /// `nn.GLU(axis=-1)`.
    GLU { axis: i32 = -1 } => |s, x| glu(x, s.axis);
}

/// Which GELU formula `nn.GELU` uses (MLX's `approx="none" | "precise"/"tanh" | "fast"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeluApprox {
    None,
    Tanh,
    Fast,
}

/// `nn.PReLU(num_parameters=1, init=0.25)`: a learned negative slope `weight`.
#[derive(Debug, Clone)]
pub struct PReLU {
    pub state: ModuleState,
    pub weight: Tensor,
}
impl PReLU {
    pub fn new(num_parameters: usize, init: f64) -> Result<Self> {
        Ok(PReLU { state: ModuleState::default(), weight: mx::full(&[num_parameters], init, mx::Dtype::Float32)? })
    }
}
crate::module_fields!(PReLU { param weight });
impl UnaryModule for PReLU {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        prelu(x, &self.weight)
    }
}
