//! `Identity`, `Linear`, `Bilinear`, `Embedding` and the `Sequential` container.
//!
//! Invariants (MLX's): `Linear.weight` is `(output_dims, input_dims)` and the layer computes
//! `x @ weight.T + bias`; both are initialized `U(-1/sqrt(in), 1/sqrt(in))`. `Embedding.weight`
//! is `(num_embeddings, dims)`, initialized `N(0, sqrt(1/dims))`.

use mlx_core::{self as mx, Dtype, Error, Result, Tensor};

use crate::init;
use crate::module::{ModuleState, UnaryModule};

/// `nn.Identity`: returns its input.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub state: ModuleState,
}
impl Identity {
    pub fn new() -> Self {
        Identity::default()
    }
}
crate::module_fields!(Identity {});
impl UnaryModule for Identity {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
}

/// `nn.Linear(input_dims, output_dims, bias=True)`: `x @ weight.T + bias`.
#[derive(Debug, Clone)]
pub struct Linear {
    pub state: ModuleState,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}
crate::module_fields!(Linear { param weight, opt_param bias });

impl Linear {
    /// Weights and bias drawn from `U(-1/sqrt(input_dims), 1/sqrt(input_dims))`.
    pub fn new(input_dims: usize, output_dims: usize, bias: bool) -> Result<Self> {
        let scale = (1.0 / input_dims.max(1) as f64).sqrt();
        let weight = init::uniform(&[output_dims, input_dims], -scale, scale, Dtype::Float32)?;
        let bias = if bias { Some(init::uniform(&[output_dims], -scale, scale, Dtype::Float32)?) } else { None };
        Ok(Linear { state: ModuleState::default(), weight, bias })
    }
}
impl UnaryModule for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let w = mx::transpose(&self.weight, [1, 0])?;
        let y = mx::matmul(x, &w)?;
        match &self.bias {
            Some(b) => mx::add(&y, b),
            None => Ok(y),
        }
    }
}

/// `nn.Bilinear(input1_dims, input2_dims, output_dims, bias=True)`:
/// `y_i = x1^T W_i x2 + b_i`, `weight` of shape `(output_dims, input2_dims, input1_dims)`.
#[derive(Debug, Clone)]
pub struct Bilinear {
    pub state: ModuleState,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}
crate::module_fields!(Bilinear { param weight, opt_param bias });

impl Bilinear {
    pub fn new(input1_dims: usize, input2_dims: usize, output_dims: usize, bias: bool) -> Result<Self> {
        let scale = (1.0 / input1_dims.max(1) as f64).sqrt();
        let weight = init::uniform(&[output_dims, input2_dims, input1_dims], -scale, scale, Dtype::Float32)?;
        let bias = if bias { Some(init::uniform(&[output_dims], -scale, scale, Dtype::Float32)?) } else { None };
        Ok(Bilinear { state: ModuleState::default(), weight, bias })
    }

    /// `x1` `(..., in1)`, `x2` `(..., in2)` -> `(..., out)`.
    pub fn forward(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let (out, in2, in1) = (self.weight.shape()[0], self.weight.shape()[1], self.weight.shape()[2]);
        let xs = x1.shape();
        if xs.last() != Some(&in1) || x2.shape().last() != Some(&in2) {
            return Err(Error::invalid("Bilinear", format!("Inputs of shapes {:?} and {:?} do not match weight {:?}.", xs, x2.shape(), self.weight.shape())));
        }
        let batch: Vec<i32> = xs[..xs.len() - 1].iter().map(|&d| d as i32).collect();
        let x1f = mx::reshape(x1, &[-1, in1 as i32])?;
        let x2f = mx::reshape(x2, &[-1, 1, in2 as i32])?;
        // (N, in1) @ (in1, out*in2) -> (N, out, in2); then (N, out, in2) . x2 over in2.
        let w = mx::reshape(&mx::transpose(&self.weight, [2, 0, 1])?, &[in1 as i32, (out * in2) as i32])?;
        let y = mx::reshape(&mx::matmul(&x1f, &w)?, &[-1, out as i32, in2 as i32])?;
        let y = mx::sum(&mx::multiply(&y, &x2f)?, -1, false)?;
        let mut shape = batch;
        shape.push(out as i32);
        let y = mx::reshape(&y, &shape)?;
        match &self.bias {
            Some(b) => mx::add(&y, b),
            None => Ok(y),
        }
    }
}

/// `nn.Embedding(num_embeddings, dims)`: a lookup table.
#[derive(Debug, Clone)]
pub struct Embedding {
    pub state: ModuleState,
    pub weight: Tensor,
}
crate::module_fields!(Embedding { param weight });

impl Embedding {
    pub fn new(num_embeddings: usize, dims: usize) -> Result<Self> {
        let scale = (1.0 / dims.max(1) as f64).sqrt();
        Ok(Embedding { state: ModuleState::default(), weight: init::normal(&[num_embeddings, dims], 0.0, scale, Dtype::Float32)? })
    }
    /// Integer indices of any shape -> `(*shape, dims)`: MLX's `self.weight[x]`, a gather of
    /// rows (`take(weight, x, 0)`), so memory is O(indices * dims) and the gradient scatters
    /// into the rows used.
    ///
    /// # Errors
    /// `[Embedding]` for non-integer indices; from `eval`, `[gather]` for an index outside
    /// `-num_embeddings..num_embeddings`.
    pub fn forward(&self, indices: &Tensor) -> Result<Tensor> {
        if !indices.dtype().is_integer() {
            return Err(Error::invalid("Embedding", format!("Indices must be integers, got {}.", indices.dtype())));
        }
        mx::take(&self.weight, indices, 0)
    }
    /// Uses the table as a linear layer: `x @ weight.T` (MLX's `as_linear`, for tied output
    /// embeddings): `(..., dims)` -> `(..., num_embeddings)`.
    pub fn as_linear(&self, x: &Tensor) -> Result<Tensor> {
        mx::matmul(x, &mx::transpose(&self.weight, [1, 0])?)
    }
}

/// `nn.Sequential`: calls its layers in order; parameters are named `layers.<i>.<name>`.
#[derive(Default)]
pub struct Sequential {
    pub state: ModuleState,
    pub layers: Vec<Box<dyn UnaryModule>>,
}
crate::module_fields!(Sequential { modules layers });

impl Sequential {
    pub fn new() -> Self {
        Sequential::default()
    }
    /// Appends a layer (builder style).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl UnaryModule + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }
}
impl UnaryModule for Sequential {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut y = x.clone();
        for l in &self.layers {
            y = l.forward(&y)?;
        }
        Ok(y)
    }
}
