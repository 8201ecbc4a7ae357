//! `MultiHeadAttention` (MLX's projections and names: `query_proj`, `key_proj`, `value_proj`,
//! `out_proj`, no bias by default) and `SinusoidalPositionalEncoding`.

use mlx_core::{self as mx, Dtype, Error, Result, Tensor};

use crate::fast::{self, AttentionMask};
use crate::layers::linear::Linear;
use crate::module::{ModuleState, UnaryModule};

/// `nn.MultiHeadAttention(dims, num_heads, bias=False)` (query/key/value input dims = dims).
pub struct MultiHeadAttention {
    pub state: ModuleState,
    pub num_heads: usize,
    pub query_proj: Linear,
    pub key_proj: Linear,
    pub value_proj: Linear,
    pub out_proj: Linear,
}
crate::module_fields!(MultiHeadAttention { module query_proj, module key_proj, module value_proj, module out_proj });

impl MultiHeadAttention {
    /// # Errors
    /// `[MultiHeadAttention]` when `num_heads` does not divide `dims`.
    pub fn new(dims: usize, num_heads: usize, bias: bool) -> Result<Self> {
        if num_heads == 0 || dims % num_heads != 0 {
            return Err(Error::invalid(
                "MultiHeadAttention",
                format!("The input feature dimensions should be divisible by the number of heads ({dims} % {num_heads}) != 0"),
            ));
        }
        Ok(MultiHeadAttention {
            state: ModuleState::default(),
            num_heads,
            query_proj: Linear::new(dims, dims, bias)?,
            key_proj: Linear::new(dims, dims, bias)?,
            value_proj: Linear::new(dims, dims, bias)?,
            out_proj: Linear::new(dims, dims, bias)?,
        })
    }

    fn heads(&self, x: &Tensor) -> Result<Tensor> {
        let s = x.shape();
        let (b, l, d) = (s[0] as i32, s[1] as i32, s[2] as i32);
        mx::transpose(&mx::reshape(x, &[b, l, self.num_heads as i32, d / self.num_heads as i32])?, [0, 2, 1, 3])
    }

    /// `queries` `(B, L, dims)`, `keys`/`values` `(B, S, dims)` -> `(B, L, dims)`.
    pub fn forward_qkv(&self, queries: &Tensor, keys: &Tensor, values: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
        if queries.ndim() != 3 || keys.ndim() != 3 || values.ndim() != 3 {
            return Err(Error::invalid("MultiHeadAttention", "queries, keys and values must be (B, L, D)."));
        }
        let q = self.heads(&self.query_proj.forward(queries)?)?;
        let k = self.heads(&self.key_proj.forward(keys)?)?;
        let v = self.heads(&self.value_proj.forward(values)?)?;
        let scale = (1.0 / q.shape()[3] as f64).sqrt();
        let o = fast::scaled_dot_product_attention(&q, &k, &v, scale, mask)?;
        let o = mx::transpose(&o, [0, 2, 1, 3])?;
        let s = o.shape();
        let o = mx::reshape(&o, &[s[0] as i32, s[1] as i32, -1])?;
        self.out_proj.forward(&o)
    }

    /// The additive causal mask `(N, N)` of `dtype` (MLX's
    /// `create_additive_causal_mask(N, dtype=float32)`): 0 on and below the diagonal, the
    /// dtype's lowest finite value (`finfo(dtype).min`) above, so masked scores stay finite.
    ///
    /// # Errors
    /// `[finfo]` for a dtype that is not floating point.
    pub fn create_additive_causal_mask(n: usize, dtype: Dtype) -> Result<Tensor> {
        let idx = mx::arange(0, n as i64, 1, Dtype::Int32)?;
        let above = mx::less(&mx::reshape(&idx, &[-1, 1])?, &mx::reshape(&idx, &[1, -1])?)?;
        let lowest = mx::finfo(dtype)?.min;
        // MLX: mask.astype(dtype) * finfo(dtype).min (a weak scalar: the dtype stays).
        mx::multiply(&mx::astype(&above, dtype)?, lowest)
    }
}

/// `nn.SinusoidalPositionalEncoding(dims, min_freq=1e-4, max_freq=1, scale=None,
/// cos_first=False, full_turns=False)`: `x` (positions) -> `(..., dims)`.
#[derive(Debug, Clone)]
pub struct SinusoidalPositionalEncoding {
    pub state: ModuleState,
    sigmas: Tensor,
    pub scale: f64,
    pub cos_first: bool,
}
crate::module_fields!(SinusoidalPositionalEncoding {});

impl SinusoidalPositionalEncoding {
    /// # Errors
    /// `[SinusoidalPositionalEncoding]` unless `dims` is positive and even.
    pub fn new(dims: usize, min_freq: f64, max_freq: f64, scale: Option<f64>, cos_first: bool, full_turns: bool) -> Result<Self> {
        if dims == 0 || dims % 2 != 0 {
            return Err(Error::invalid("SinusoidalPositionalEncoding", format!("dims must be positive and even but got {dims}.")));
        }
        let half = dims / 2;
        let one_zero = if dims == 2 {
            Tensor::from_slice(&[1.0f32], &[1])?
        } else {
            mx::subtract(1.0, &mx::divide(&mx::arange(0, half as i64, 1, Dtype::Int32)?, (half - 1) as f64)?)?
        };
        let (lo, hi) = (min_freq.ln(), max_freq.ln());
        let mut sigmas = mx::exp(&mx::add(&mx::multiply(&one_zero, hi - lo)?, lo)?)?;
        if full_turns {
            sigmas = mx::multiply(&sigmas, 2.0 * std::f64::consts::PI)?;
        }
        Ok(SinusoidalPositionalEncoding {
            state: ModuleState::default(),
            sigmas,
            scale: scale.unwrap_or((2.0 / dims as f64).sqrt()),
            cos_first,
        })
    }
}

impl UnaryModule for SinusoidalPositionalEncoding {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = mx::multiply(&mx::expand_dims(x, -1)?, &self.sigmas)?;
        let (c, s) = (mx::cos(&y)?, mx::sin(&y)?);
        let y = if self.cos_first { mx::concatenate(&[c, s], -1)? } else { mx::concatenate(&[s, c], -1)? };
        if self.scale != 1.0 {
            mx::multiply(&y, self.scale)
        } else {
            Ok(y)
        }
    }
}
