//! MLX's transformer stack: `TransformerEncoderLayer`, `TransformerEncoder`,
//! `TransformerDecoderLayer`, `TransformerDecoder` and `Transformer` (encoder + decoder).
//!
//! Invariants (MLX's `nn/layers/transformer.py`, checked by golden cases with MLX's weights):
//! - Parameter names are MLX's: `attention`/`self_attention`/`cross_attention` (each a
//!   [`MultiHeadAttention`] without biases), `ln1..ln3`, `linear1`, `linear2`, `layers.<i>`, the
//!   stack's final `ln`, and `encoder.`/`decoder.` in [`Transformer`]; dropouts hold no
//!   parameters.
//! - `norm_first` (the default) normalizes before each sub-block and adds the residual after;
//!   otherwise each residual sum is normalized (post-norm). Dropout follows the attention
//!   blocks and the MLP activation; it is active only in training mode.
//! - The MLP is `linear2(dropout(activation(linear1(x))))`, `mlp_dims = 4 * dims` unless given,
//!   the activation ReLU unless set with `with_activation`.
//!
//! MLX's `checkpoint=True` (recompute each layer in the backward pass) is not offered here;
//! `mlx_autograd::checkpoint` can wrap a layer's forward by hand.

use mlx_core::{self as mx, Result, Tensor};

use crate::fast::AttentionMask;
use crate::layers::attention::MultiHeadAttention;
use crate::layers::dropout::Dropout;
use crate::layers::linear::Linear;
use crate::layers::norm::LayerNorm;
use crate::module::{ModuleState, UnaryModule};

/// The MLP activation of a transformer layer (`activation=` in MLX), e.g. [`crate::relu`] or
/// [`crate::gelu`].
pub type Activation = fn(&Tensor) -> Result<Tensor>;

fn layer_norm(dims: usize) -> Result<LayerNorm> {
    LayerNorm::new(dims, 1e-5, true, true)
}

/// The feed-forward block shared by both layer kinds: `linear2(dropout(act(linear1(x))))`.
fn mlp(linear1: &Linear, linear2: &Linear, dropout: &Dropout, activation: Activation, x: &Tensor) -> Result<Tensor> {
    let y = activation(&linear1.forward(x)?)?;
    linear2.forward(&dropout.forward(&y)?)
}

/// Self-attention of `x` on itself.
fn self_attend(att: &MultiHeadAttention, x: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
    att.forward_qkv(x, x, x, mask)
}

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
    pub activation: Activation,
    pub norm_first: bool,
}
crate::module_fields!(TransformerEncoderLayer {
    module attention, module ln1, module ln2, module linear1, module linear2, module dropout1, module dropout2
});

impl TransformerEncoderLayer {
    /// # Errors
    /// `[MultiHeadAttention]` when `num_heads` does not divide `dims`; `[Dropout]` for a bad `dropout`.
    pub fn new(dims: usize, num_heads: usize, mlp_dims: Option<usize>, dropout: f64, norm_first: bool) -> Result<Self> {
        let mlp = mlp_dims.unwrap_or(dims * 4);
        Ok(TransformerEncoderLayer {
            state: ModuleState::default(),
            attention: MultiHeadAttention::new(dims, num_heads, false)?,
            ln1: layer_norm(dims)?,
            ln2: layer_norm(dims)?,
            linear1: Linear::new(dims, mlp, true)?,
            linear2: Linear::new(mlp, dims, true)?,
            dropout1: Dropout::new(dropout)?,
            dropout2: Dropout::new(dropout)?,
            activation: crate::activations::relu,
            norm_first,
        })
    }

    /// The same layer with another MLP activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// `layer(x, mask)`: `x` `(B, L, dims)` -> `(B, L, dims)`.
    pub fn forward_mask(&self, x: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
        let ff = |y: &Tensor| mlp(&self.linear1, &self.linear2, &self.dropout2, self.activation, y);
        if self.norm_first {
            let y = self.ln1.forward(x)?;
            let x = mx::add(x, &self.dropout1.forward(&self_attend(&self.attention, &y, mask)?)?)?;
            mx::add(&x, &ff(&self.ln2.forward(&x)?)?)
        } else {
            let y = self.dropout1.forward(&self_attend(&self.attention, x, mask)?)?;
            let x = self.ln1.forward(&mx::add(x, &y)?)?;
            self.ln2.forward(&mx::add(&x, &ff(&x)?)?)
        }
    }
}

/// `nn.TransformerEncoder(num_layers, dims, num_heads, mlp_dims=None, dropout=0.0,
/// activation=relu, norm_first=True)`: the layers then a final LayerNorm `ln`.
pub struct TransformerEncoder {
    pub state: ModuleState,
    pub layers: Vec<TransformerEncoderLayer>,
    pub ln: LayerNorm,
}
crate::module_fields!(TransformerEncoder { modules layers, module ln });

impl TransformerEncoder {
    /// # Errors
    /// As [`TransformerEncoderLayer::new`].
    pub fn new(num_layers: usize, dims: usize, num_heads: usize, mlp_dims: Option<usize>, dropout: f64, norm_first: bool) -> Result<Self> {
        let layers = (0..num_layers).map(|_| TransformerEncoderLayer::new(dims, num_heads, mlp_dims, dropout, norm_first)).collect::<Result<_>>()?;
        Ok(TransformerEncoder { state: ModuleState::default(), layers, ln: layer_norm(dims)? })
    }

    /// Every layer with another MLP activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.layers = self.layers.into_iter().map(|l| l.with_activation(activation)).collect();
        self
    }

    /// `encoder(x, mask)`.
    pub fn forward_mask(&self, x: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
        let mut x = x.clone();
        for l in &self.layers {
            x = l.forward_mask(&x, mask)?;
        }
        self.ln.forward(&x)
    }
}

/// `nn.TransformerDecoderLayer(dims, num_heads, mlp_dims=None, dropout=0.0, activation=relu,
/// norm_first=True)`: self-attention, cross-attention on the encoder's output (`memory`), MLP.
pub struct TransformerDecoderLayer {
    pub state: ModuleState,
    pub self_attention: MultiHeadAttention,
    pub cross_attention: MultiHeadAttention,
    pub ln1: LayerNorm,
    pub ln2: LayerNorm,
    pub ln3: LayerNorm,
    pub linear1: Linear,
    pub linear2: Linear,
    pub dropout1: Dropout,
    pub dropout2: Dropout,
    pub dropout3: Dropout,
    pub activation: Activation,
    pub norm_first: bool,
}
crate::module_fields!(TransformerDecoderLayer {
    module self_attention, module cross_attention, module ln1, module ln2, module ln3,
    module linear1, module linear2, module dropout1, module dropout2, module dropout3
});

impl TransformerDecoderLayer {
    /// # Errors
    /// `[MultiHeadAttention]` when `num_heads` does not divide `dims`; `[Dropout]` for a bad `dropout`.
    pub fn new(dims: usize, num_heads: usize, mlp_dims: Option<usize>, dropout: f64, norm_first: bool) -> Result<Self> {
        let mlp = mlp_dims.unwrap_or(dims * 4);
        Ok(TransformerDecoderLayer {
            state: ModuleState::default(),
            self_attention: MultiHeadAttention::new(dims, num_heads, false)?,
            cross_attention: MultiHeadAttention::new(dims, num_heads, false)?,
            ln1: layer_norm(dims)?,
            ln2: layer_norm(dims)?,
            ln3: layer_norm(dims)?,
            linear1: Linear::new(dims, mlp, true)?,
            linear2: Linear::new(mlp, dims, true)?,
            dropout1: Dropout::new(dropout)?,
            dropout2: Dropout::new(dropout)?,
            dropout3: Dropout::new(dropout)?,
            activation: crate::activations::relu,
            norm_first,
        })
    }

    /// The same layer with another MLP activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// `layer(x, memory, x_mask, memory_mask)`: `x` `(B, L, dims)`, `memory` `(B, S, dims)`
    /// -> `(B, L, dims)`.
    pub fn forward(&self, x: &Tensor, memory: &Tensor, x_mask: &AttentionMask, memory_mask: &AttentionMask) -> Result<Tensor> {
        let ff = |y: &Tensor| mlp(&self.linear1, &self.linear2, &self.dropout3, self.activation, y);
        let cross = |y: &Tensor| self.cross_attention.forward_qkv(y, memory, memory, memory_mask);
        if self.norm_first {
            let y = self.ln1.forward(x)?;
            let x = mx::add(x, &self.dropout1.forward(&self_attend(&self.self_attention, &y, x_mask)?)?)?;
            let y = self.ln2.forward(&x)?;
            let x = mx::add(&x, &self.dropout2.forward(&cross(&y)?)?)?;
            mx::add(&x, &ff(&self.ln3.forward(&x)?)?)
        } else {
            let y = self.dropout1.forward(&self_attend(&self.self_attention, x, x_mask)?)?;
            let x = self.ln1.forward(&mx::add(x, &y)?)?;
            let y = self.dropout2.forward(&cross(&x)?)?;
            let x = self.ln2.forward(&mx::add(&x, &y)?)?;
            self.ln3.forward(&mx::add(&x, &ff(&x)?)?)
        }
    }
}

/// `nn.TransformerDecoder(num_layers, dims, num_heads, mlp_dims=None, dropout=0.0,
/// activation=relu, norm_first=True)`: the layers then a final LayerNorm `ln`.
pub struct TransformerDecoder {
    pub state: ModuleState,
    pub layers: Vec<TransformerDecoderLayer>,
    pub ln: LayerNorm,
}
crate::module_fields!(TransformerDecoder { modules layers, module ln });

impl TransformerDecoder {
    /// # Errors
    /// As [`TransformerDecoderLayer::new`].
    pub fn new(num_layers: usize, dims: usize, num_heads: usize, mlp_dims: Option<usize>, dropout: f64, norm_first: bool) -> Result<Self> {
        let layers = (0..num_layers).map(|_| TransformerDecoderLayer::new(dims, num_heads, mlp_dims, dropout, norm_first)).collect::<Result<_>>()?;
        Ok(TransformerDecoder { state: ModuleState::default(), layers, ln: layer_norm(dims)? })
    }

    /// Every layer with another MLP activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.layers = self.layers.into_iter().map(|l| l.with_activation(activation)).collect();
        self
    }

    /// `decoder(x, memory, x_mask, memory_mask)`.
    pub fn forward(&self, x: &Tensor, memory: &Tensor, x_mask: &AttentionMask, memory_mask: &AttentionMask) -> Result<Tensor> {
        let mut x = x.clone();
        for l in &self.layers {
            x = l.forward(&x, memory, x_mask, memory_mask)?;
        }
        self.ln.forward(&x)
    }
}

/// `nn.Transformer` hyperparameters with MLX's defaults (`dims=512, num_heads=8,
/// num_encoder_layers=6, num_decoder_layers=6, mlp_dims=None, dropout=0.0, activation=relu,
/// norm_first=True`).
#[derive(Debug, Clone, Copy)]
pub struct TransformerOptions {
    pub dims: usize,
    pub num_heads: usize,
    pub num_encoder_layers: usize,
    pub num_decoder_layers: usize,
    pub mlp_dims: Option<usize>,
    pub dropout: f64,
    pub activation: Activation,
    pub norm_first: bool,
}

impl Default for TransformerOptions {
    fn default() -> Self {
        TransformerOptions {
            dims: 512,
            num_heads: 8,
            num_encoder_layers: 6,
            num_decoder_layers: 6,
            mlp_dims: None,
            dropout: 0.0,
            activation: crate::activations::relu,
            norm_first: true,
        }
    }
}

/// `nn.Transformer`: `decoder(tgt, encoder(src, src_mask), tgt_mask, memory_mask)`.
/// Parameters are named `encoder.layers.0.attention.query_proj.weight`,
/// `decoder.layers.0.cross_attention.out_proj.weight`, ... as in MLX. MLX's `custom_encoder` /
/// `custom_decoder` become replacing the public `encoder` / `decoder` fields.
pub struct Transformer {
    pub state: ModuleState,
    pub encoder: TransformerEncoder,
    pub decoder: TransformerDecoder,
}
crate::module_fields!(Transformer { module encoder, module decoder });

impl Transformer {
    /// # Errors
    /// As [`TransformerEncoderLayer::new`].
    pub fn new(o: TransformerOptions) -> Result<Self> {
        let encoder = TransformerEncoder::new(o.num_encoder_layers, o.dims, o.num_heads, o.mlp_dims, o.dropout, o.norm_first)?
            .with_activation(o.activation);
        let decoder = TransformerDecoder::new(o.num_decoder_layers, o.dims, o.num_heads, o.mlp_dims, o.dropout, o.norm_first)?
            .with_activation(o.activation);
        Ok(Transformer { state: ModuleState::default(), encoder, decoder })
    }

    /// `model(src, tgt, src_mask, tgt_mask, memory_mask)`: `src` `(B, S, dims)`, `tgt`
    /// `(B, L, dims)` -> `(B, L, dims)`.
    pub fn forward(&self, src: &Tensor, tgt: &Tensor, src_mask: &AttentionMask, tgt_mask: &AttentionMask, memory_mask: &AttentionMask) -> Result<Tensor> {
        let memory = self.encoder.forward_mask(src, src_mask)?;
        self.decoder.forward(tgt, &memory, tgt_mask, memory_mask)
    }
}
