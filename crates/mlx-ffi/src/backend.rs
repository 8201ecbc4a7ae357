//! The FFI backend: each `Backend` method is one call of [`FfiBackend::call`] with the MLX op's
//! name and its parameters (see the op table in `mlx-sys/src/shim.cpp`).
//!
//! Adding a primitive: implement its `Backend` method here as one `self.call(...)` line, and
//! add one entry to the shim's op table. New sub-ops of an existing family (a new `UnaryOp`,
//! `BinaryOp`, `ReduceOp`, ...) need only the shim's entry when their `name()` is MLX's name.

use std::borrow::Cow;
use std::sync::Arc;

use mlx_core::Device;
use mlx_ops::{
    ArgReduceOp, ArrayData, Backend, BinaryOp, Buffer, ConvParams, Dtype, Error, FusedOp, HostBuffer, Layout, LinalgOp, ReduceOp,
    Result, Scalar, ScanOp, ScatterMode, Spec, UnaryOp,
};

/// The real MLX as a backend (stateless; calls are serialized by `mlx_sys::lock`).
#[derive(Debug, Default, Clone, Copy)]
pub struct FfiBackend;

/// Registers [`FfiBackend`] as the backend of `Device::Ffi` (idempotent).
pub fn register() {
    mlx_core::register_backend(Device::Ffi, Arc::new(FfiBackend));
}

fn dtype_code(d: Dtype) -> i32 {
    Dtype::ALL.iter().position(|&x| x == d).map_or(-1, |i| i as i32)
}

/// An MLX message `[op] rest` becomes `Error::Runtime { op, rest }`, so it displays unchanged.
fn mlx_error(op: &str, msg: String) -> Error {
    if let Some(rest) = msg.strip_prefix('[') {
        if let Some((name, tail)) = rest.split_once("] ") {
            return Error::runtime(name, tail);
        }
    }
    Error::runtime(op, msg)
}

/// The elements of `x` in row-major order (borrowed when already contiguous).
fn row_major_bytes(x: &ArrayData) -> Result<Cow<'_, [u8]>> {
    let bytes = x.buffer.host().ok_or_else(|| Error::unsupported("copy", "ffi", "device memory"))?;
    let size = x.dtype.size();
    let n = x.layout.size();
    let span_err = || Error::runtime("copy", "layout reaches outside its buffer");
    if n == 0 {
        // An empty view may carry an offset past its buffer's end.
        return Ok(Cow::Borrowed(&[]));
    }
    if x.layout.is_row_contiguous() {
        let start = x.layout.offset() * size;
        return bytes.get(start..start + n * size).map(Cow::Borrowed).ok_or_else(span_err);
    }
    if x.layout.span_end() * size > bytes.len() {
        return Err(span_err());
    }
    let mut out = Vec::with_capacity(n * size);
    mlx_cpu::strided::for_each_offsets(x.layout.shape(), [x.layout.strides()], [x.layout.offset()], |[o]| {
        out.extend_from_slice(&bytes[o * size..(o + 1) * size]);
    });
    Ok(Cow::Owned(out))
}

fn to_mlx(op: &str, x: &ArrayData) -> Result<mlx_sys::Array> {
    let bytes = row_major_bytes(x)?;
    mlx_sys::Array::from_host(&bytes, x.shape(), dtype_code(x.dtype)).map_err(|m| mlx_error(op, m))
}

fn from_mlx(op: &str, mut a: mlx_sys::Array) -> Result<ArrayData> {
    let (shape, code) = a.info().map_err(|m| mlx_error(op, m))?;
    let dtype = usize::try_from(code)
        .ok()
        .and_then(|i| Dtype::ALL.get(i).copied())
        .ok_or_else(|| Error::runtime(op, format!("MLX returned unknown dtype code {code}")))?;
    let n: usize = shape.iter().product();
    let mut buf = HostBuffer::zeroed(n * dtype.size());
    a.copy_out(buf.as_bytes_mut()).map_err(|m| mlx_error(op, m))?;
    Ok(ArrayData::new(Arc::new(Buffer::Host(buf)), Layout::contiguous(&shape), dtype))
}

fn ints(xs: &[usize]) -> Vec<i64> {
    xs.iter().map(|&x| x as i64).collect()
}

/// The index values of `idx` (any integer dtype) as i64, row-major.
fn index_values(idx: &ArrayData) -> Result<Vec<i64>> {
    let wide = if idx.dtype == Dtype::Int64 {
        idx.clone()
    } else {
        mlx_cpu::CpuBackend.astype(idx, &Spec::new(idx.shape().to_vec(), Dtype::Int64))?
    };
    let bytes = row_major_bytes(&wide)?;
    Ok(bytes.chunks_exact(8).map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])).collect())
}

/// MLX reads and writes out of bounds on an out-of-range index (DIFFERENCES.md); like mlx-cpu,
/// this backend rejects one before calling MLX (negatives in `-n..0` wrap, as in both).
fn check_index_range(op: &str, idx: &ArrayData, n: usize) -> Result<()> {
    let n = n as i64;
    if let Some(&bad) = index_values(idx)?.iter().find(|&&i| i < -n || i >= n) {
        return Err(Error::runtime(op, format!("Index {bad} is out of bounds for an axis of size {n}.")));
    }
    Ok(())
}

impl FfiBackend {
    /// Runs MLX op `op` (a name in the shim's table) on `inputs` and copies the result out.
    pub fn call(&self, op: &str, inputs: &[&ArrayData], ints: &[i64], floats: &[f64]) -> Result<ArrayData> {
        let _guard = mlx_sys::lock();
        let arrays = inputs.iter().map(|x| to_mlx(op, x)).collect::<Result<Vec<_>>>()?;
        let refs: Vec<&mlx_sys::Array> = arrays.iter().collect();
        let out = mlx_sys::op(op, &refs, ints, floats).map_err(|m| mlx_error(op, m))?;
        from_mlx(op, out)
    }
}

impl Backend for FfiBackend {
    fn name(&self) -> &'static str {
        "ffi"
    }
    fn full(&self, out: &Spec, value: Scalar) -> Result<ArrayData> {
        let (kind, i, f, im) = match value {
            Scalar::Bool(b) => (0, b as i64, 0.0, 0.0),
            Scalar::Int(i) => (1, i, 0.0, 0.0),
            Scalar::Float(f) => (2, 0, f, 0.0),
            Scalar::Complex(re, im) => (3, 0, re as f64, im as f64),
        };
        let mut p = vec![dtype_code(out.dtype) as i64, kind, i];
        p.extend(ints(&out.shape));
        self.call("full", &[], &p, &[f, im])
    }
    fn arange(&self, out: &Spec, start: f64, step: f64) -> Result<ArrayData> {
        let len = out.shape.first().copied().unwrap_or(0);
        self.call("arange", &[], &[dtype_code(out.dtype) as i64, len as i64], &[start, step])
    }
    fn unary(&self, op: UnaryOp, x: &ArrayData, _out: &Spec) -> Result<ArrayData> {
        self.call(op.name(), &[x], &[], &[])
    }
    fn binary(&self, op: BinaryOp, a: &ArrayData, b: &ArrayData, _out: &Spec) -> Result<ArrayData> {
        self.call(op.name(), &[a, b], &[], &[])
    }
    fn select(&self, cond: &ArrayData, x: &ArrayData, y: &ArrayData, _out: &Spec) -> Result<ArrayData> {
        self.call("where", &[cond, x, y], &[], &[])
    }
    fn astype(&self, x: &ArrayData, out: &Spec) -> Result<ArrayData> {
        self.call("astype", &[x], &[dtype_code(out.dtype) as i64], &[])
    }
    fn reduce(&self, op: ReduceOp, x: &ArrayData, axes: &[usize], _out: &Spec) -> Result<ArrayData> {
        self.call(op.name(), &[x], &ints(axes), &[])
    }
    fn arg_reduce(&self, op: ArgReduceOp, x: &ArrayData, axis: usize, _out: &Spec) -> Result<ArrayData> {
        self.call(op.name(), &[x], &[axis as i64], &[])
    }
    fn matmul(&self, a: &ArrayData, b: &ArrayData, _out: &Spec) -> Result<ArrayData> {
        self.call("matmul", &[a, b], &[], &[])
    }
    fn copy(&self, x: &ArrayData) -> Result<ArrayData> {
        self.call("copy", &[x], &[], &[])
    }
    fn concatenate(&self, xs: &[ArrayData], axis: usize, _out: &Spec) -> Result<ArrayData> {
        let refs: Vec<&ArrayData> = xs.iter().collect();
        self.call("concatenate", &refs, &[axis as i64], &[])
    }
    fn random_bits(&self, key: &ArrayData, out: &Spec) -> Result<ArrayData> {
        let mut p = vec![out.dtype.size() as i64];
        p.extend(ints(&out.shape));
        self.call("bits", &[key], &p, &[])
    }
    fn conv_general(&self, x: &ArrayData, w: &ArrayData, params: &ConvParams, _out: &Spec) -> Result<ArrayData> {
        let mut p = vec![params.groups as i64, params.flip as i64, params.stride.len() as i64];
        for list in [&params.stride, &params.padding_lo, &params.padding_hi, &params.kernel_dilation, &params.input_dilation] {
            p.extend(ints(list));
        }
        self.call("conv_general", &[x, w], &p, &[])
    }
    fn gather_mm(&self, a: &ArrayData, b: &ArrayData, lhs: &ArrayData, rhs: &ArrayData, _out: &Spec) -> Result<ArrayData> {
        let batch = |x: &ArrayData| x.shape()[..x.shape().len() - 2].iter().product::<usize>();
        // Unlike mlx-cpu, negative indices are not wrapped here: they are uint32 already.
        for (name, idx, n) in [("lhs", lhs, batch(a)), ("rhs", rhs, batch(b))] {
            if let Some(&bad) = index_values(idx)?.iter().find(|&&i| i < 0 || i >= n as i64) {
                return Err(Error::runtime("gather_mm", format!("{name} index {bad} is out of range for {n} matrices.")));
            }
        }
        self.call("gather_mm", &[a, b, lhs, rhs], &[], &[])
    }
    fn scan(&self, op: ScanOp, x: &ArrayData, axis: usize, reverse: bool, inclusive: bool, _out: &Spec) -> Result<ArrayData> {
        self.call(op.name(), &[x], &[axis as i64, reverse as i64, inclusive as i64], &[])
    }
    // --- fft ---
    fn fft(&self, x: &ArrayData, params: &mlx_ops::FftParams, out: &Spec) -> Result<ArrayData> {
        let full = if params.real && params.inverse { &out.shape[..] } else { x.shape() };
        let mut p = vec![params.inverse as i64, params.real as i64, params.axes.len() as i64];
        p.extend(params.axes.iter().map(|&a| a as i64));
        p.extend(params.axes.iter().map(|&a| full[a] as i64));
        self.call("fft", &[x], &p, &[])
    }
    fn sort(&self, x: &ArrayData, axis: usize, arg: bool, _out: &Spec) -> Result<ArrayData> {
        self.call(if arg { "argsort" } else { "sort" }, &[x], &[axis as i64], &[])
    }
    fn gather(&self, x: &ArrayData, idx: &ArrayData, axis: usize, _out: &Spec) -> Result<ArrayData> {
        check_index_range("gather", idx, x.shape()[axis])?;
        self.call("gather", &[x, idx], &[axis as i64], &[])
    }
    fn scatter(&self, mode: ScatterMode, x: &ArrayData, idx: &ArrayData, upd: &ArrayData, axis: usize, _out: &Spec) -> Result<ArrayData> {
        check_index_range(mode.name(), idx, x.shape()[axis])?;
        self.call(mode.name(), &[x, idx, upd], &[axis as i64], &[])
    }
    // --- linalg: MLX's factorizations, one output per call (the shim returns one array) ---
    fn linalg(&self, op: LinalgOp, x: &ArrayData, outs: &[Spec]) -> Result<Vec<ArrayData>> {
        let (kind, a, b) = match op {
            LinalgOp::Qr => (0, false, false),
            LinalgOp::Svd { compute_uv } => (1, compute_uv, false),
            LinalgOp::Inverse { tri, upper } => (2, tri, upper),
            LinalgOp::Cholesky { upper } => (3, upper, false),
            LinalgOp::Eig { vectors } => (4, vectors, false),
            LinalgOp::Eigh { upper, vectors } => (5, upper, vectors),
            LinalgOp::Lu => (6, false, false),
        };
        (0..outs.len()).map(|k| self.call("linalg", &[x], &[kind, a as i64, b as i64, k as i64], &[])).collect()
    }
    // --- fused last-axis kernels (speed branch): MLX's softmax/logsumexp and mx.fast norms ---
    fn fused(&self, op: FusedOp, xs: &[ArrayData], _out: &Spec) -> Result<ArrayData> {
        let refs: Vec<&ArrayData> = xs.iter().collect();
        match op {
            FusedOp::Softmax | FusedOp::LogSumExp => self.call(op.name(), &refs, &[], &[]),
            FusedOp::RmsNorm { eps, .. } => self.call("rms_norm", &refs, &[], &[eps]),
            FusedOp::LayerNorm { eps, weight, bias } => self.call("layer_norm", &refs, &[weight as i64, bias as i64], &[eps]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_mlx_text() {
        let e = mlx_error("matmul", "[matmul] Last dimension mismatch.".to_string());
        assert_eq!(e.to_string(), "[matmul] Last dimension mismatch.");
        assert_eq!(mlx_error("add", "boom".to_string()).to_string(), "[add] boom");
    }

    #[test]
    fn strided_inputs_are_gathered() {
        let buf = HostBuffer::from_bytes(&[0, 1, 2, 3, 4, 5]);
        let x = ArrayData::new(Arc::new(Buffer::Host(buf)), Layout::contiguous(&[2, 3]), Dtype::Uint8);
        let t = x.with_layout(x.layout.transpose(&[1, 0]));
        assert_eq!(&*row_major_bytes(&t).unwrap(), &[0, 3, 1, 4, 2, 5]);
        let s = x.with_layout(x.layout.slice(&[1, 2], &[-1, -2], &[2, 2]));
        assert_eq!(&*row_major_bytes(&s).unwrap(), &[5, 3, 2, 0]);
    }
}
