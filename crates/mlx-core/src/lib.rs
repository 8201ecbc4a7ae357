//! mlx-core: MLX's programming model in Rust. [`Tensor`] is a lazy handle to a graph node;
//! ops build the graph (validating shapes and dtypes immediately) and [`eval`] computes it on
//! the node's device (the native CPU backend by default).
//!
//! ```
//! use mlx_core as mx;
//! let a = mx::Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
//! let b = mx::softmax(&mx::matmul(&a, &a).unwrap(), -1).unwrap(); // nothing computed yet
//! let rows = mx::sum(&b, -1, false).unwrap();
//! assert!(rows.to_vec::<f32>().unwrap().iter().all(|v| (v - 1.0).abs() < 1e-6));
//! ```
//!
//! Errors: every op returns `Result` with messages like MLX's (`[reshape] Cannot reshape array
//! of size 6 into shape (4).`). The `std::ops` operators on `&Tensor` (`&a + &b`) panic with the
//! same message instead; use the functions where input may be bad.

mod device;
mod display;
mod eval;
pub mod fast;
pub mod graph;
/// Matrix factorizations and linear algebra (`mx.linalg`).
pub mod linalg;
mod operand;
mod operators;
pub mod ops;
mod tensor;

pub use display::{get_printoptions, printoptions, set_printoptions, PrintOptions, PrintOptionsGuard};
pub use device::{default_device, register_backend, set_default_device, Device};
pub use eval::run as run_primitive;
pub use mlx_ops::{
    active_memory, cache_memory, clear_cache, peak_memory, promote, reset_peak_memory, set_cache_limit, ArgReduceOp,
    Backend, BinaryOp, Bool8, ConvParams, Dtype, DtypeCategory, Error, FftParams, FusedOp, LinalgOp, Opaque, Primitive, ReduceOp, Result, Scalar, ScanOp,
    ScatterMode, Spec, UnaryOp, C64,
};
pub use operand::{result_type, ArrayLike, Operand};
pub use ops::aliases::*;
pub use ops::composite::*;
pub use ops::conv::*;
pub use ops::creation::*;
pub use ops::dtypes::*;
pub use ops::elementwise::*;
pub use ops::linalg::*;
pub use ops::math::*;
/// Discrete Fourier transforms (`mx.fft`).
pub use ops::fft;
/// Key-based random numbers (`mx.random`).
pub use ops::random;
pub use ops::products::*;
pub use ops::quantized::{dequantize, quantize, quantized_matmul};
pub use ops::reduce::*;
pub use ops::shape::*;
// shapeops
pub use ops::diag::*;
pub use ops::indexing::*;
pub use ops::manip::*;
pub use ops::scan::*;
pub use ops::sort::*;
pub use ops::Axes;
pub use tensor::Tensor;

pub(crate) use ops::shape::reshape_usize;

/// Evaluates several arrays at once, sharing their common subgraphs (`mx.eval`).
pub fn eval<T: AsRef<Tensor>>(arrays: &[T]) -> Result<()> {
    let refs: Vec<&Tensor> = arrays.iter().map(|t| t.as_ref()).collect();
    eval::eval(&refs)
}
