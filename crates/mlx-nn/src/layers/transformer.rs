//! `TransformerEncoderLayer` and `TransformerEncoder` (MLX's structure and names:
//! `attention`, `ln1`, `ln2`, `linear1`, `linear2`, `layers.<i>`, final `ln`; ReLU MLP,
//! pre-norm by default). The decoder is not written yet (#6).

use mlx_core::{self as mx, Result, Tensor};

use crate::fast::AttentionMask;
use crate::layers::attention::MultiHeadAttention;
use crate::layers::dropout::Dropout;
use crate::layers::linear::Linear;
use crate::layers::norm::LayerNorm;
use crate::module::{ModuleState, UnaryModule};

/// `nn.TransformerEncoderLayer(dims, num_heads, mlp_dims=None, dropout=0.0, activation=relu,
/// norm_first=True)`.
pub struct TransformerEncoderLayer {
    pub state: ModuleState,
    pub attention: MultiHeadAttention,
    pub ln1: LayerNorm,
    pub ln2: LayerNorm,
    pub linear1: Linear,
    pub linear2: Linear,
    pub dropout1: Dropout,
    pub dropout2: Dropout,
    pub norm_first: bool,
}
crate::module_fields!(TransformerEncoderLayer {
    module attention, module ln1, module ln2, module linear1, module linear2, module dropout1, module dropout2
});

impl TransformerEncoderLayer {
    pub fn new(dims: usize, num_heads: usize, mlp_dims: Option<usize>, dropout: f64, norm_first: bool) -> Result<Self> {
        let mlp = mlp_dims.unwrap_or(dims * 4);
        Ok(TransformerEncoderLayer {
            state: ModuleState::default(),
            attention: MultiHeadAttention::new(dims, num_heads, false)?,
            ln1: LayerNorm::new(dims, 1e-5, true, true)?,
            ln2: LayerNorm::new(dims, 1e-5, true, true)?,
            linear1: Linear::new(dims, mlp, true)?,
            linear2: Linear::new(mlp, dims, true)?,
            dropout1: Dropout::new(dropout)?,
            dropout2: Dropout::new(dropout)?,
            norm_first,
        })
    }

    pub fn forward_mask(&self, x: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
        let mlp = |y: &Tensor| -> Result<Tensor> {
            let y = crate::activations::relu(&self.linear1.forward(y)?)?;
            self.linear2.forward(&self.dropout2.forward(&y)?)
        };
        if self.norm_first {
            let y = self.ln1.forward(x)?;
            let y = self.dropout1.forward(&self.attention.forward_qkv(&y, &y, &y, mask)?)?;
            let x = mx::add(x, &y)?;
            let y = mlp(&self.ln2.forward(&x)?)?;
            mx::add(&x, &y)
        } else {
            let y = self.dropout1.forward(&self.attention.forward_qkv(x, x, x, mask)?)?;
            let x = self.ln1.forward(&mx::add(x, &y)?)?;
            let y = mlp(&x)?;
            self.ln2.forward(&mx::add(&x, &y)?)
        }
    }
}

/// `nn.TransformerEncoder(num_layers, dims, num_heads, mlp_dims=None, dropout=0.0,
/// norm_first=True)`: the layers then a final LayerNorm `ln`.
pub struct TransformerEncoder {
    pub state: ModuleState,
    pub layers: Vec<TransformerEncoderLayer>,
    pub ln: LayerNorm,
}
crate::module_fields!(TransformerEncoder { modules layers, module ln });

impl TransformerEncoder {
    pub fn new(num_layers: usize, dims: usize, num_heads: usize, mlp_dims: Option<usize>, dropout: f64, norm_first: bool) -> Result<Self> {
        let layers = (0..num_layers).map(|_| TransformerEncoderLayer::new(dims, num_heads, mlp_dims, dropout, norm_first)).collect::<Result<_>>()?;
        Ok(TransformerEncoder { state: ModuleState::default(), layers, ln: LayerNorm::new(dims, 1e-5, true, true)? })
    }
    pub fn forward_mask(&self, x: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
        let mut x = x.clone();
        for l in &self.layers {
            x = l.forward_mask(&x, mask)?;
        }
        self.ln.forward(&x)
    }
}
