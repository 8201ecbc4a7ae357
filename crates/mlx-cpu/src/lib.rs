//! mlx-cpu: the native CPU backend. Every primitive family of `mlx_ops::Backend` has a kernel
//! for every dtype MLX allows it on; view primitives never reach a backend (the scheduler turns
//! them into layout changes).

mod complex;
mod conv;
mod copy;
mod donate;
mod transpose;
#[cfg(target_arch = "x86_64")]
mod transpose_avx;
mod elementwise;
mod elementwise_ext;
mod fft;
mod fused;
mod math;
mod gather_mm;
mod gemm;
mod gemv;
mod indexing;
mod linalg;
mod linalg_eig;
mod matmul;
mod nontemporal;
pub mod num;
mod random;
mod reduce;
mod scan;
pub mod par;
mod pool;
pub mod strided;
pub mod vmath;

use mlx_ops::{ArgReduceOp, ArrayData, Backend, BinaryOp, ConvParams, ReduceOp, Result, Scalar, Spec, UnaryOp};
use mlx_ops::{FftParams, FusedOp, LinalgOp, ScanOp, ScatterMode};

/// The CPU backend (stateless; one instance serves every thread).
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn full(&self, out: &Spec, value: Scalar) -> Result<ArrayData> {
        copy::full(out, value)
    }
    fn arange(&self, out: &Spec, start: f64, step: f64) -> Result<ArrayData> {
        copy::arange(out, start, step)
    }
    fn unary(&self, op: UnaryOp, x: &ArrayData, out: &Spec) -> Result<ArrayData> {
        elementwise::unary(op, x, out)
    }
    fn binary(&self, op: BinaryOp, a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
        elementwise::binary(op, a, b, out)
    }
    fn unary_donated(&self, op: UnaryOp, x: &mut ArrayData, out: &Spec) -> Result<ArrayData> {
        elementwise::unary(op, x, out)
    }
    fn binary_donated(&self, op: BinaryOp, a: &mut ArrayData, b: &mut ArrayData, out: &Spec) -> Result<ArrayData> {
        elementwise::binary(op, a, b, out)
    }
    fn select(&self, cond: &ArrayData, x: &ArrayData, y: &ArrayData, out: &Spec) -> Result<ArrayData> {
        elementwise::select(cond, x, y, out)
    }
    fn astype(&self, x: &ArrayData, out: &Spec) -> Result<ArrayData> {
        elementwise::astype(x, out)
    }
    fn reduce(&self, op: ReduceOp, x: &ArrayData, axes: &[usize], out: &Spec) -> Result<ArrayData> {
        reduce::reduce(op, x, axes, out)
    }
    fn arg_reduce(&self, op: ArgReduceOp, x: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
        reduce::arg_reduce(op, x, axis, out)
    }
    fn matmul(&self, a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
        matmul::matmul(a, b, out)
    }
    fn copy(&self, x: &ArrayData) -> Result<ArrayData> {
        copy::copy(x)
    }
    fn concatenate(&self, xs: &[ArrayData], axis: usize, out: &Spec) -> Result<ArrayData> {
        copy::concatenate(xs, axis, out)
    }
    fn random_bits(&self, key: &ArrayData, out: &Spec) -> Result<ArrayData> {
        random::random_bits(key, out)
    }
    // --- convolution and gathered matmul (linalg branch) ---
    fn conv_general(&self, x: &ArrayData, w: &ArrayData, params: &ConvParams, out: &Spec) -> Result<ArrayData> {
        conv::conv_general(x, w, params, out)
    }
    fn gather_mm(&self, a: &ArrayData, b: &ArrayData, lhs: &ArrayData, rhs: &ArrayData, out: &Spec) -> Result<ArrayData> {
        gather_mm::gather_mm(a, b, lhs, rhs, out)
    }
    // --- shapeops ---
    fn scan(&self, op: ScanOp, x: &ArrayData, axis: usize, reverse: bool, inclusive: bool, out: &Spec) -> Result<ArrayData> {
        scan::scan(op, x, axis, reverse, inclusive, out)
    }
    fn sort(&self, x: &ArrayData, axis: usize, arg: bool, out: &Spec) -> Result<ArrayData> {
        scan::sort(x, axis, arg, out)
    }
    fn gather(&self, x: &ArrayData, idx: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
        indexing::gather(x, idx, axis, out)
    }
    fn scatter(&self, mode: ScatterMode, x: &ArrayData, idx: &ArrayData, upd: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
        indexing::scatter(mode, x, idx, upd, axis, out)
    }
    // --- linalg ---
    fn linalg(&self, op: LinalgOp, x: &ArrayData, outs: &[Spec]) -> Result<Vec<ArrayData>> {
        linalg::linalg(op, x, outs)
    }

    // --- fft ---
    fn fft(&self, x: &ArrayData, params: &FftParams, out: &Spec) -> Result<ArrayData> {
        fft::fft(x, params, out)
    }

    // --- fused last-axis kernels (speed branch) ---
    fn fused(&self, op: FusedOp, xs: &[ArrayData], out: &Spec) -> Result<ArrayData> {
        fused::fused(op, xs, out)
    }
}
