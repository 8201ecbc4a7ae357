//! Fused last-axis kernels (issue #5): softmax, logsumexp, rms_norm, layer_norm as single
//! primitives so a backend can compute each row in one pass over memory.
//!
//! Invariant: each fused op means exactly its composite definition in `mlx_core` (the composite
//! is what autograd differentiates); a backend's kernel may only differ by rounding. The ops are
//! built only for floating inputs whose reduced axis is the last one, with the weight/bias (when
//! present) 1-D of that axis' length and of the input's dtype; callers fall back to the composite
//! otherwise, so inference here rejects anything else.

use crate::primitive::Spec;
use crate::shape::fmt_shape;
use crate::{Dtype, Error, Result};

/// A fused reduction-and-map over the last axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FusedOp {
    /// `exp(x - max) / sum(exp(x - max))` over the last axis; same shape and dtype.
    Softmax,
    /// `log(sum(exp(x - m))) + m` (`m` the max, or 0 when infinite) over the last axis, which is
    /// kept with size 1.
    LogSumExp,
    /// `x * rsqrt(mean(x^2) + eps) [* weight]`; inputs `[x]` or `[x, weight]`.
    RmsNorm { eps: f64, weight: bool },
    /// `(x - mean) * rsqrt(var + eps) [* weight] [+ bias]`; inputs `[x, weight?, bias?]`.
    LayerNorm { eps: f64, weight: bool, bias: bool },
}

impl FusedOp {
    /// Every fused op, for catalogs.
    pub const ALL: [FusedOp; 4] = [
        FusedOp::Softmax,
        FusedOp::LogSumExp,
        FusedOp::RmsNorm { eps: 1e-5, weight: true },
        FusedOp::LayerNorm { eps: 1e-5, weight: true, bias: true },
    ];

    pub fn name(self) -> &'static str {
        match self {
            FusedOp::Softmax => "softmax",
            FusedOp::LogSumExp => "logsumexp",
            FusedOp::RmsNorm { .. } => "rms_norm",
            FusedOp::LayerNorm { .. } => "layer_norm",
        }
    }

    /// The number of inputs: the array, then the optional weight and bias.
    pub fn arity(self) -> usize {
        match self {
            FusedOp::Softmax | FusedOp::LogSumExp => 1,
            FusedOp::RmsNorm { weight, .. } => 1 + weight as usize,
            FusedOp::LayerNorm { weight, bias, .. } => 1 + weight as usize + bias as usize,
        }
    }

    /// Output shape and dtype; see the module docs for what is accepted.
    pub fn infer(self, inputs: &[&Spec]) -> Result<Spec> {
        let op = self.name();
        let x = &inputs[0];
        if !matches!(x.dtype, Dtype::Float16 | Dtype::Bfloat16 | Dtype::Float32 | Dtype::Float64) {
            return Err(Error::invalid(op, format!("Received unsupported type {}.", x.dtype)));
        }
        let Some(&d) = x.shape.last() else {
            return Err(Error::invalid(op, "Input must have at least 1 dimension."));
        };
        for p in &inputs[1..] {
            if p.shape != [d] || p.dtype != x.dtype {
                return Err(Error::invalid(
                    op,
                    format!("Expected a {} parameter of shape ({d}) but got {} {}.", x.dtype, p.dtype, fmt_shape(&p.shape)),
                ));
            }
        }
        Ok(match self {
            FusedOp::LogSumExp => {
                if d == 0 {
                    return Err(Error::invalid(op, "Received empty array."));
                }
                let mut shape = x.shape.clone();
                *shape.last_mut().unwrap_or(&mut 0) = 1;
                Spec::new(shape, x.dtype)
            }
            _ => Spec::clone(x),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inference_accepts_only_the_fused_forms() {
        let x = Spec::new(vec![2, 3], Dtype::Float32);
        let w = Spec::new(vec![3], Dtype::Float32);
        assert_eq!(FusedOp::Softmax.infer(&[&x]).unwrap(), x);
        assert_eq!(FusedOp::LogSumExp.infer(&[&x]).unwrap().shape, vec![2, 1]);
        let ln = FusedOp::LayerNorm { eps: 1e-5, weight: true, bias: true };
        assert_eq!(ln.arity(), 3);
        assert_eq!(ln.infer(&[&x, &w, &w]).unwrap(), x);
        // Integer input, wrong weight length or dtype, 0-d input, empty logsumexp.
        assert!(FusedOp::Softmax.infer(&[&Spec::new(vec![3], Dtype::Int32)]).is_err());
        let rms = FusedOp::RmsNorm { eps: 1e-5, weight: true };
        assert!(rms.infer(&[&x, &Spec::new(vec![2], Dtype::Float32)]).is_err());
        assert!(rms.infer(&[&x, &Spec::new(vec![3], Dtype::Float16)]).is_err());
        assert!(FusedOp::Softmax.infer(&[&Spec::new(vec![], Dtype::Float32)]).is_err());
        assert!(FusedOp::LogSumExp.infer(&[&Spec::new(vec![4, 0], Dtype::Float32)]).is_err());
    }
}
