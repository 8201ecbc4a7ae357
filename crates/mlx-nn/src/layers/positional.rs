//! Positional encodings: `RoPE` (through [`crate::fast::rope`]) and `ALiBi`. Neither has
//! parameters.

use mlx_core::{self as mx, Dtype, Result, Tensor};

use crate::fast;
use crate::module::{ModuleState, UnaryModule};

/// `nn.RoPE(dims, traditional=False, base=10000, scale=1.0)`.
#[derive(Debug, Clone)]
pub struct RoPE {
    pub state: ModuleState,
    pub dims: usize,
    pub traditional: bool,
    pub base: f64,
    pub scale: f64,
}
crate::module_fields!(RoPE {});
impl RoPE {
    pub fn new(dims: usize, traditional: bool, base: f64, scale: f64) -> Self {
        RoPE { state: ModuleState::default(), dims, traditional, base, scale }
    }
    /// Rotates `x` `(..., L, D)` for positions `offset..offset + L`.
    pub fn forward_offset(&self, x: &Tensor, offset: usize) -> Result<Tensor> {
        fast::rope(x, self.dims, self.traditional, self.base, self.scale, offset)
    }
}
impl UnaryModule for RoPE {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_offset(x, 0)
    }
}

/// `nn.ALiBi`: adds `-|i - j| * slope_h` to attention scores `(B, H, L, S)`.
#[derive(Debug, Clone, Default)]
pub struct ALiBi {
    pub state: ModuleState,
}
crate::module_fields!(ALiBi {});

impl ALiBi {
    pub fn new() -> Self {
        ALiBi::default()
    }
    /// The per-head slopes, shape `(H, 1, 1)` (`ALiBi.create_alibi_slope`).
    pub fn create_alibi_slope(num_heads: usize, dtype: Dtype) -> Result<Tensor> {
        fn slopes(n: usize) -> Vec<f64> {
            let start = 2f64.powf(-(2f64.powf(-((n as f64).log2() - 3.0))));
            (0..n).map(|i| start * start.powi(i as i32)).collect()
        }
        let n = num_heads;
        let s = if n.is_power_of_two() {
            slopes(n)
        } else {
            let p = 1usize << (usize::BITS - 1 - n.leading_zeros());
            let mut s = slopes(p);
            s.extend(slopes(2 * p).into_iter().step_by(2).take(n - p));
            s
        };
        mx::astype(&Tensor::from_slice(&s, &[n, 1, 1])?, dtype)
    }
    /// The bias matrix `(1, H, q_len - offset, k_len)` (`ALiBi.create_alibi_matrix`).
    pub fn create_alibi_matrix(q_len: usize, k_len: usize, num_heads: usize, offset: usize, dtype: Dtype) -> Result<Tensor> {
        let x1 = mx::reshape(&mx::arange(offset as i64, q_len as i64, 1, Dtype::Int32)?, &[-1, 1])?;
        let x2 = mx::reshape(&mx::arange(0, k_len as i64, 1, Dtype::Int32)?, &[1, -1])?;
        let dist = mx::negative(&mx::abs(&mx::subtract(&x1, &x2)?)?)?;
        let dist = mx::expand_dims(&dist, [0, 1])?;
        mx::astype(&mx::multiply(&dist, &ALiBi::create_alibi_slope(num_heads, Dtype::Float32)?)?, dtype)
    }
    /// `scores + alibi (+ mask)`.
    pub fn forward_scores(&self, scores: &Tensor, offset: usize, mask: Option<&Tensor>) -> Result<Tensor> {
        let s = scores.shape();
        if s.len() != 4 {
            return Err(mx::Error::invalid("ALiBi", format!("Expected attention scores (B, H, L, S), got shape {s:?}.")));
        }
        let mut bias = ALiBi::create_alibi_matrix(s[2] + offset, s[3], s[1], offset, scores.dtype())?;
        if let Some(m) = mask {
            bias = mx::add(&bias, m)?;
        }
        mx::add(scores, &bias)
    }
}
