//! `Upsample` with `mode="nearest"` and integer scale factors (each spatial position repeated
//! `scale` times, which is MLX's nearest rule for integer scales). Inputs are channels-last
//! `(N, *spatial, C)`. Linear/cubic modes and fractional scales need gather (#6).

use mlx_core::{self as mx, Error, Result, Tensor};

use crate::module::{ModuleState, UnaryModule};

/// `nn.Upsample(scale_factor, mode="nearest")` for integer `scale_factor` per spatial axis.
#[derive(Debug, Clone)]
pub struct Upsample {
    pub state: ModuleState,
    pub scale_factor: Vec<usize>,
}
crate::module_fields!(Upsample {});

impl Upsample {
    /// # Errors
    /// `[Upsample]` for a zero scale.
    pub fn new(scale_factor: &[usize]) -> Result<Self> {
        if scale_factor.is_empty() || scale_factor.contains(&0) {
            return Err(Error::invalid("Upsample", format!("Invalid scale factor {scale_factor:?}.")));
        }
        Ok(Upsample { state: ModuleState::default(), scale_factor: scale_factor.to_vec() })
    }
}

impl UnaryModule for Upsample {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let nd = x.ndim();
        let dims = nd.saturating_sub(2);
        if nd < 3 {
            return Err(Error::invalid("Upsample", format!("Expected (N, *spatial, C), got shape {:?}.", x.shape())));
        }
        let scales: Vec<usize> = if self.scale_factor.len() == 1 { vec![self.scale_factor[0]; dims] } else { self.scale_factor.clone() };
        if scales.len() != dims {
            return Err(Error::invalid("Upsample", format!("A scale factor per spatial axis is needed: {} for shape {:?}.", dims, x.shape())));
        }
        let mut y = x.clone();
        for (i, &s) in scales.iter().enumerate() {
            let ax = i + 1;
            let mut shape = y.shape().to_vec();
            let e = mx::expand_dims(&y, (ax + 1) as i32)?;
            let mut b = e.shape().to_vec();
            b[ax + 1] = s;
            let e = mx::broadcast_to(&e, &b)?;
            shape[ax] *= s;
            y = mx::reshape(&e, &shape.iter().map(|&d| d as i32).collect::<Vec<_>>())?;
        }
        Ok(y)
    }
}
