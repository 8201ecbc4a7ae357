//! The contract between the scheduler and a backend: realized arrays in, realized arrays out.
//! One method per primitive family; each defaults to an `Unsupported` error so a partial backend
//! (a GPU backend in progress, say) still type-checks and reports clearly what it lacks.

use std::sync::Arc;

use crate::{
    ArgReduceOp, BinaryOp, Buffer, ConvParams, Dtype, Element, Error, Layout, ReduceOp, Result, Scalar, Spec, UnaryOp,
};
use crate::{FftParams, FusedOp, LinalgOp, ScanOp, ScatterMode};

/// A realized array: a buffer shared by views, and where this array's elements are in it.
#[derive(Clone)]
pub struct ArrayData {
    pub buffer: Arc<Buffer>,
    pub layout: Layout,
    pub dtype: Dtype,
}

impl ArrayData {
    pub fn new(buffer: Arc<Buffer>, layout: Layout, dtype: Dtype) -> Self {
        ArrayData { buffer, layout, dtype }
    }
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }
    /// Same buffer, another layout (a view).
    pub fn with_layout(&self, layout: Layout) -> Self {
        ArrayData { buffer: self.buffer.clone(), layout, dtype: self.dtype }
    }
    /// The whole host buffer as elements of `T` (index it through `layout`), if host-visible and
    /// `T` is this array's storage type.
    pub fn host_slice<T: Element>(&self) -> Option<&[T]> {
        if T::DTYPE != self.dtype {
            return None;
        }
        let bytes = self.buffer.host()?;
        bytemuck::try_cast_slice(bytes).ok()
    }
}

fn unsupported<T>(backend: &str, op: &str) -> Result<T> {
    Err(Error::unsupported(op, backend, "no kernel"))
}

/// A device's kernels. Inputs satisfy the primitive's `infer` rule; `out` is the inferred spec.
#[allow(unused_variables)]
pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;

    fn full(&self, out: &Spec, value: Scalar) -> Result<ArrayData> {
        unsupported(self.name(), "full")
    }
    fn arange(&self, out: &Spec, start: f64, step: f64) -> Result<ArrayData> {
        unsupported(self.name(), "arange")
    }
    fn unary(&self, op: UnaryOp, x: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), op.name())
    }
    fn binary(&self, op: BinaryOp, a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), op.name())
    }
    /// [`Backend::unary`] on an input the scheduler hands over because nothing needs it after
    /// this op (buffer donation): when `x` is its buffer's only owner the backend may write the
    /// result into that buffer, leaving `x` with unspecified contents. On `Err`, `x` is
    /// untouched. The default computes into a fresh buffer.
    fn unary_donated(&self, op: UnaryOp, x: &mut ArrayData, out: &Spec) -> Result<ArrayData> {
        self.unary(op, x, out)
    }
    /// [`Backend::binary`] with both inputs handed over, as [`Backend::unary_donated`].
    fn binary_donated(&self, op: BinaryOp, a: &mut ArrayData, b: &mut ArrayData, out: &Spec) -> Result<ArrayData> {
        self.binary(op, a, b, out)
    }
    fn select(&self, cond: &ArrayData, x: &ArrayData, y: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "where")
    }
    fn astype(&self, x: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "astype")
    }
    fn reduce(&self, op: ReduceOp, x: &ArrayData, axes: &[usize], out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), op.name())
    }
    fn arg_reduce(&self, op: ArgReduceOp, x: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), op.name())
    }
    fn matmul(&self, a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "matmul")
    }
    /// A contiguous copy of `x` (used by `Copy`, and by reshape when no view is possible).
    fn copy(&self, x: &ArrayData) -> Result<ArrayData> {
        unsupported(self.name(), "copy")
    }
    fn concatenate(&self, xs: &[ArrayData], axis: usize, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "concatenate")
    }
    /// Threefry-2x32 bits from `key` (uint32, shape `(2,)`) filling `out` (uint8/16/32).
    fn random_bits(&self, key: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "bits")
    }
    // --- convolution and gathered matmul (linalg branch) ---
    /// `ConvGeneral`: input `(N, *S, C_in)`, weight `(C_out, *K, C_in / groups)`, one dtype.
    fn conv_general(&self, x: &ArrayData, w: &ArrayData, params: &ConvParams, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "conv_general")
    }
    /// `GatherMm`: uint32 `lhs`/`rhs` index the flattened batch axes of `a` and `b`; an index
    /// out of range is an error (MLX reads out of bounds).
    fn gather_mm(&self, a: &ArrayData, b: &ArrayData, lhs: &ArrayData, rhs: &ArrayData, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "gather_mm")
    }
    // --- shapeops ---
    fn scan(&self, op: ScanOp, x: &ArrayData, axis: usize, reverse: bool, inclusive: bool, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), op.name())
    }
    /// Sorted values (`arg == false`) or the sorting indices (`arg == true`) along `axis`.
    fn sort(&self, x: &ArrayData, axis: usize, arg: bool, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "sort")
    }
    /// Errors (never reads out of bounds) on an index outside `-n..n`; negatives wrap.
    fn gather(&self, x: &ArrayData, idx: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "gather")
    }
    /// Errors (never writes out of bounds) on an index outside `-n..n`; negatives wrap.
    fn scatter(&self, mode: ScatterMode, x: &ArrayData, idx: &ArrayData, upd: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), mode.name())
    }
    // --- linalg ---
    /// A factorization of every trailing matrix of `x`; `outs` are the inferred outputs, in
    /// order (`LinalgOp::infer`). Data-dependent failures (a singular matrix to invert) are
    /// errors.
    fn linalg(&self, op: LinalgOp, x: &ArrayData, outs: &[Spec]) -> Result<Vec<ArrayData>> {
        unsupported(self.name(), op.name())
    }

    // --- fft ---
    /// `Fft`: the transform `params` describe (inverse ones scaled by `1 / n`), computed along
    /// each axis in turn.
    fn fft(&self, x: &ArrayData, params: &FftParams, out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), "fft")
    }

    // --- fused last-axis kernels (speed branch) ---
    /// `Fused`: `xs` is the array then its optional weight and bias (see [`FusedOp`]).
    fn fused(&self, op: FusedOp, xs: &[ArrayData], out: &Spec) -> Result<ArrayData> {
        unsupported(self.name(), op.name())
    }
}
