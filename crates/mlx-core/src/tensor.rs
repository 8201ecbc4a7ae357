//! The lazy array handle. A `Tensor` is an `Arc` to a graph node plus an output index; the node
//! knows every output's shape and dtype from inference, so nothing is computed until `eval`.
//! Invariants: a node with data no longer needs its inputs (they are dropped after evaluation,
//! freeing intermediate buffers) unless it was created while a transform was tracing
//! (`keep_inputs`, see [`crate::graph`]); dropping a long chain of nodes is iterative, never
//! recursive.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};

use mlx_ops::{shape::size_of, ArrayData, Dtype, Error, HostBuffer, HostValue, Layout, PerOutput, Primitive, Result, Spec};

use crate::device::{default_device, Device};

pub(crate) struct Node {
    /// `None` for leaves created from host data (their data is set at creation).
    pub(crate) primitive: Option<Primitive>,
    pub(crate) specs: PerOutput<Spec>,
    pub(crate) device: Device,
    pub(crate) inputs: Mutex<Vec<Tensor>>,
    pub(crate) data: OnceLock<PerOutput<ArrayData>>,
    /// Created while a transform traced: evaluation keeps the inputs so the transform can walk
    /// the graph even if the traced function called `eval`/`item`. Cleared by
    /// [`crate::graph::release`] when the outermost transform is done.
    pub(crate) keep_inputs: AtomicBool,
}

impl Node {
    /// An unevaluated node computing `primitive` of `inputs`, validated by its inference rule.
    fn computing(primitive: Primitive, inputs: Vec<Tensor>) -> Result<Arc<Node>> {
        // Borrowed specs, on the stack for the usual arities: building a node is hot for small
        // arrays, and a list (or cloned shapes) would cost allocations per node.
        let out = match &inputs[..] {
            [] => primitive.infer(&[]),
            [a] => primitive.infer(&[a.spec()]),
            [a, b] => primitive.infer(&[a.spec(), b.spec()]),
            [a, b, c] => primitive.infer(&[a.spec(), b.spec(), c.spec()]),
            many => primitive.infer(&many.iter().map(Tensor::spec).collect::<Vec<_>>()),
        }?;
        let device = inputs.first().map(|t| t.device()).unwrap_or_else(default_device);
        Ok(Arc::new(Node {
            primitive: Some(primitive),
            specs: out,
            device,
            inputs: Mutex::new(inputs),
            data: OnceLock::new(),
            keep_inputs: AtomicBool::new(crate::graph::is_tracing()),
        }))
    }

    pub(crate) fn take_inputs(&self) -> Vec<Tensor> {
        std::mem::take(&mut *self.inputs.lock().unwrap_or_else(|e| e.into_inner()))
    }
    pub(crate) fn inputs(&self) -> Vec<Tensor> {
        self.inputs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Unlink inputs iteratively: a node whose last handle we hold gives up its inputs to our
        // stack before it drops, so no drop ever recurses more than one level.
        let mut stack = std::mem::take(self.inputs.get_mut().unwrap_or_else(|e| e.into_inner()));
        while let Some(t) = stack.pop() {
            if let Ok(mut node) = Arc::try_unwrap(t.node) {
                stack.append(node.inputs.get_mut().unwrap_or_else(|e| e.into_inner()));
            }
        }
    }
}

/// A lazily evaluated n-dimensional array (MLX's `array`). Cloning is cheap and shares the node.
/// `Send + Sync`: handles may be shared and evaluated from several threads.
#[derive(Clone)]
pub struct Tensor {
    pub(crate) node: Arc<Node>,
    pub(crate) output: usize,
}

impl Tensor {
    /// A node computing `primitive` of `inputs`, after validating them with its inference rule.
    pub(crate) fn from_primitive(primitive: Primitive, inputs: Vec<Tensor>) -> Result<Tensor> {
        let node = Node::computing(primitive, inputs)?;
        if node.specs.len() != 1 {
            return Err(Error::runtime("graph", "a multi-output primitive was built as a single output"));
        }
        Ok(Tensor { node, output: 0 })
    }

    /// A node computing `primitive` of `inputs`; one handle per output.
    pub(crate) fn from_primitive_multi(primitive: Primitive, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let node = Node::computing(primitive, inputs)?;
        Ok((0..node.specs.len()).map(|output| Tensor { node: node.clone(), output }).collect())
    }

    /// A leaf holding realized data.
    pub(crate) fn from_data(data: ArrayData, device: Device) -> Tensor {
        let spec = Spec::new(data.shape().to_vec(), data.dtype);
        let node = Node {
            primitive: None,
            specs: PerOutput::One(spec),
            device,
            inputs: Mutex::new(vec![]),
            data: OnceLock::from(PerOutput::One(data)),
            keep_inputs: AtomicBool::new(false),
        };
        Tensor { node: Arc::new(node), output: 0 }
    }

    /// An array of `shape` holding a copy of `data` in row-major order (`mx.array`).
    ///
    /// # Errors
    /// `[array]` when `data.len()` differs from the shape's size.
    ///
    /// ```
    /// use mlx_core::Tensor;
    /// let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(x.shape(), &[2, 2]);
    /// ```
    pub fn from_slice<T: HostValue>(data: &[T], shape: &[usize]) -> Result<Tensor> {
        if data.len() != size_of(shape) {
            return Err(Error::invalid(
                "array",
                format!("{} values cannot fill shape {}.", data.len(), mlx_ops::shape::fmt_shape(shape)),
            ));
        }
        let stored: Vec<T::Stored> = data.iter().map(|&v| v.to_stored()).collect();
        let buf = HostBuffer::from_bytes(bytemuck::cast_slice(&stored));
        let data = ArrayData::new(Arc::new(mlx_ops::Buffer::Host(buf)), Layout::contiguous(shape), <T::Stored as mlx_ops::Element>::DTYPE);
        Ok(Tensor::from_data(data, default_device()))
    }

    /// An array of `shape` and `dtype` holding a copy of `bytes`: the elements in row-major order,
    /// each in its little-endian storage form (bool one byte 0/1, complex64 two f32). This is the
    /// form files hold, so loaders use it.
    ///
    /// # Errors
    /// `[array]` when `bytes.len()` is not `size(shape) * dtype.size()` (or that overflows).
    pub fn from_bytes(bytes: &[u8], shape: &[usize], dtype: Dtype) -> Result<Tensor> {
        check_nbytes(bytes.len(), shape, dtype)?;
        let mut buf = HostBuffer::from_bytes(bytes);
        if dtype == Dtype::Bool {
            // Stored bools are 0 or 1 (kernels rely on it); files may hold any nonzero byte.
            buf.as_bytes_mut().iter_mut().for_each(|b| *b = (*b != 0) as u8);
        }
        let data = ArrayData::new(Arc::new(mlx_ops::Buffer::Host(buf)), Layout::contiguous(shape), dtype);
        Ok(Tensor::from_data(data, default_device()))
    }

    /// An array of `shape` and `dtype` that views `buffer`'s bytes in place (no copy), as
    /// `from_bytes` reads them. Used for memory-mapped files.
    ///
    /// # Errors
    /// `[array]` when the byte count does not match, when the bytes do not start at a multiple of
    /// the element size (kernels view them as typed slices), or, for bool, when a byte is not 0/1.
    pub fn from_external(buffer: mlx_ops::ExternalBuffer, shape: &[usize], dtype: Dtype) -> Result<Tensor> {
        check_nbytes(buffer.nbytes(), shape, dtype)?;
        if !buffer.is_aligned_to(dtype.size()) {
            return Err(Error::invalid("array", format!("External bytes are not aligned for {dtype}.")));
        }
        if dtype == Dtype::Bool && buffer.as_bytes().iter().any(|&b| b > 1) {
            return Err(Error::invalid("array", "External bool bytes must be 0 or 1."));
        }
        let data = ArrayData::new(Arc::new(mlx_ops::Buffer::External(buffer)), Layout::contiguous(shape), dtype);
        Ok(Tensor::from_data(data, default_device()))
    }

    /// The elements in row-major order as little-endian storage bytes (the inverse of
    /// `from_bytes`), evaluating first.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        mlx_ops::dispatch_dtype!(self.dtype(), T => {
            let v = self.to_vec::<T>()?;
            Ok(bytemuck::cast_slice::<T, u8>(&v).to_vec())
        })
    }

    /// A 1-D array of `data`.
    pub fn from_vec<T: HostValue>(data: Vec<T>) -> Tensor {
        let n = data.len();
        Tensor::from_slice(&data, &[n]).expect("invariant: a vector fills its own length")
    }

    /// A 0-d array holding `value` with the dtype of `T` (`mx.array(3.5)` is `Tensor::scalar(3.5f32)`).
    pub fn scalar<T: HostValue>(value: T) -> Tensor {
        Tensor::from_slice(&[value], &[]).expect("invariant: one value fills a 0-d shape")
    }

    pub(crate) fn spec(&self) -> &Spec {
        &self.node.specs[self.output]
    }
    /// The shape, known without evaluating.
    pub fn shape(&self) -> &[usize] {
        &self.spec().shape
    }
    /// The element type, known without evaluating.
    pub fn dtype(&self) -> Dtype {
        self.spec().dtype
    }
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }
    /// Number of elements.
    pub fn size(&self) -> usize {
        size_of(self.shape())
    }
    /// Bytes the elements take (`size * itemsize`).
    pub fn nbytes(&self) -> usize {
        self.size() * self.dtype().size()
    }
    pub fn itemsize(&self) -> usize {
        self.dtype().size()
    }
    pub fn device(&self) -> Device {
        self.node.device
    }
    /// Whether the data has been computed.
    pub fn is_evaluated(&self) -> bool {
        self.node.data.get().is_some()
    }
    /// True when both handles refer to the same node output.
    pub fn same_node(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.node, &other.node) && self.output == other.output
    }

    /// The realized data; evaluates first if needed.
    pub(crate) fn data(&self) -> Result<ArrayData> {
        if let Some(d) = self.node.data.get() {
            return Ok(d[self.output].clone());
        }
        crate::eval::eval(&[self])?;
        self.node.data.get().map(|d| d[self.output].clone()).ok_or_else(|| Error::runtime("eval", "evaluation produced no data"))
    }

    /// Computes this array (`mx.eval(x)`).
    pub fn eval(&self) -> Result<()> {
        crate::eval::eval(&[self])
    }

    /// The elements in row-major order, evaluating first.
    ///
    /// # Errors
    /// `[to_vec]` when `T` is not this array's element type (use `astype` first).
    pub fn to_vec<T: HostValue>(&self) -> Result<Vec<T>> {
        let want = <T::Stored as mlx_ops::Element>::DTYPE;
        if want != self.dtype() {
            return Err(Error::invalid("to_vec", format!("Array of dtype {} cannot be read as {want}.", self.dtype())));
        }
        let data = self.data()?;
        let host = crate::eval::host_copy_if_needed(&data)?;
        let values = mlx_cpu::strided::contiguous_elems::<T::Stored>(&host);
        Ok(values.iter().map(|&s| T::from_stored(s)).collect())
    }

    /// The single element of a size-1 array (`x.item()`).
    ///
    /// # Errors
    /// `[item]` when the array does not have exactly one element, or `T` is not its element type.
    pub fn item<T: HostValue>(&self) -> Result<T> {
        if self.size() != 1 {
            return Err(Error::invalid("item", format!("Can only convert an array with one element, got {}.", self.size())));
        }
        Ok(self.to_vec::<T>()?[0])
    }
}

/// Checks that `nbytes` is exactly the size of `shape` elements of `dtype`, without overflow.
fn check_nbytes(nbytes: usize, shape: &[usize], dtype: Dtype) -> Result<()> {
    let want = shape.iter().try_fold(dtype.size(), |acc, &d| acc.checked_mul(d));
    if want != Some(nbytes) {
        return Err(Error::invalid(
            "array",
            format!("{nbytes} bytes cannot hold shape {} of {dtype}.", mlx_ops::shape::fmt_shape(shape)),
        ));
    }
    Ok(())
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn tensor_is_send_and_sync() {
        assert_send_sync::<Tensor>();
    }

    #[test]
    fn construction_checks_size() {
        assert!(Tensor::from_slice(&[1i32, 2, 3], &[2, 2]).is_err());
        let x = Tensor::from_slice(&[true, false], &[2]).unwrap();
        assert_eq!(x.dtype(), Dtype::Bool);
        assert_eq!(x.to_vec::<bool>().unwrap(), vec![true, false]);
        assert!(x.to_vec::<f32>().is_err());
    }

    #[test]
    fn bytes_round_trip_and_checks() {
        let x = Tensor::from_bytes(&[0, 0, 128, 63, 0, 0, 0, 64], &[2], Dtype::Float32).unwrap();
        assert_eq!(x.to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
        assert_eq!(x.to_bytes().unwrap(), vec![0, 0, 128, 63, 0, 0, 0, 64]);
        assert!(Tensor::from_bytes(&[0; 7], &[2], Dtype::Float32).is_err());
        assert!(Tensor::from_bytes(&[], &[usize::MAX, 2], Dtype::Float32).is_err());
        let b = Tensor::from_bytes(&[0, 7], &[2], Dtype::Bool).unwrap();
        assert_eq!(b.to_vec::<bool>().unwrap(), vec![false, true]);
        let owner: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(HostBuffer::from_bytes(&[9, 0, 0, 128, 63]));
        let ext = mlx_ops::ExternalBuffer::new(owner.clone(), 1..5).unwrap();
        assert!(Tensor::from_external(ext, &[1], Dtype::Float32).is_err(), "misaligned");
        let ext = mlx_ops::ExternalBuffer::new(owner, 1..5).unwrap();
        assert_eq!(Tensor::from_external(ext, &[4], Dtype::Uint8).unwrap().to_vec::<u8>().unwrap(), vec![0, 0, 128, 63]);
    }
}
