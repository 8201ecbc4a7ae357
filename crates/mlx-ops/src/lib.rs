//! mlx-ops: the instruction set of the lazy graph and the contract of the machines that run it.
//!
//! - [`Dtype`] and MLX's type promotion ([`promote`], [`promote_weak`]);
//! - [`Primitive`]: every primitive with its parameters and its one inference rule;
//! - [`Layout`], [`Buffer`], [`ArrayData`]: realized data;
//! - [`Backend`]: the per-family kernel interface a device implements.
//!
//! Nothing here knows about `Tensor` or the graph.

mod backend;
mod buffer;
mod conv;
mod dtype;
mod element;
mod error;
mod fft;
mod fused;
mod indexing;
mod layout;
mod linalg;
mod per_output;
mod primitive;
mod scalar;
pub mod shape;

pub use backend::{ArrayData, Backend};
pub use buffer::{
    active_memory, cache_limit, cache_memory, clear_cache, peak_memory, reset_peak_memory, set_cache_limit, Buffer,
    ExternalBuffer, HostBuffer,
};
pub use dtype::{default_dtype, promote, promote_weak, Dtype, DtypeCategory, ScalarKind};
pub use element::{Bool8, Element, HostValue, C64};
pub use error::{Error, Result};
pub use fft::FftParams;
pub use fused::FusedOp;
pub use indexing::{ScanOp, ScatterMode};
pub use layout::Layout;
pub use per_output::PerOutput;
pub use linalg::{check_matrix, LinalgOp};
pub use conv::{conv_out_len, ConvParams};
pub use primitive::{ArgReduceOp, BinaryOp, Opaque, Primitive, ReduceOp, Spec, UnaryOp};
pub use scalar::Scalar;

#[doc(hidden)]
pub use half;
