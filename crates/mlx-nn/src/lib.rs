//! mlx-nn: MLX's `mlx.nn` in Rust: the [`Module`] abstraction (a named parameter tree with
//! freeze/unfreeze, train/eval, update, apply, set_dtype, load/save weights), layers,
//! activations, losses, initializers, and `fast` compositions.
//!
//! ```
//! use mlx_core::{self as mx, Tensor};
//! use mlx_nn::{self as nn, Module, UnaryModule};
//! let model = nn::Sequential::new()
//!     .add(nn::Linear::new(4, 8, true).unwrap())
//!     .add(nn::ReLU::new())
//!     .add(nn::Linear::new(8, 3, true).unwrap());
//! let names: Vec<String> = model.parameters().into_keys().collect();
//! assert_eq!(names, ["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"]);
//! let x = mx::ones(&[2, 4], mx::Dtype::Float32).unwrap();
//! assert_eq!(model.forward(&x).unwrap().shape(), &[2, 3]);
//! ```
//!
//! Training follows MLX's `nn.value_and_grad(model, loss_fn)` pattern: [`value_and_grad`]
//! gives the loss and the gradient tree of the trainable parameters, which an optimizer from
//! `mlx-optim` applies with `model.update`.

pub mod activations;
pub mod fast;
pub mod init;
pub mod layers;
pub mod losses;
mod math;
pub mod module;

pub use activations::*;
pub use layers::attention::{MultiHeadAttention, SinusoidalPositionalEncoding};
pub use layers::conv::{Conv, Conv1d, Conv2d, Conv3d, ConvTranspose, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d};
pub use layers::dropout::{Dropout, Dropout2d, Dropout3d};
pub use layers::linear::{Bilinear, Embedding, Identity, Linear, Sequential};
pub use layers::norm::{BatchNorm, GroupNorm, InstanceNorm, LayerNorm, RMSNorm};
pub use layers::positional::{ALiBi, RoPE};
pub use layers::recurrent::{Gru, Lstm, Rnn};
pub use layers::pooling::{AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d, Pool, PoolKind};
pub use layers::transformer::{
    Activation, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, TransformerOptions,
};
pub use layers::upsample::{Upsample, UpsampleMode};
pub use losses::Reduction;
pub use mlx_autograd::Tree;
pub use module::{load_tree, value_and_grad, Child, ChildMut, Module, ModuleState, UnaryModule};
