//! `Dropout`, `Dropout2d`, `Dropout3d`: in training mode zero elements (or whole channels)
//! with probability `p` and scale the rest by `1 / (1 - p)`; identity in eval mode.

use mlx_core::{self as mx, Error, Result, Tensor};

use crate::init;
use crate::module::{ModuleState, UnaryModule};

fn check_p(op: &str, p: f64) -> Result<()> {
    if !(0.0..1.0).contains(&p) {
        return Err(Error::invalid(op, format!("The dropout probability {p} is not in [0, 1).")));
    }
    Ok(())
}

fn drop_with_mask(x: &Tensor, p: f64, mask_shape: &[usize]) -> Result<Tensor> {
    // MLX: (mask * x) * (1 / (1 - p)).
    let keep = init::bernoulli(1.0 - p, mask_shape)?;
    mx::multiply(&mx::multiply(&keep, x)?, 1.0 / (1.0 - p))
}

macro_rules! dropout_module {
    ($(#[$doc:meta])* $name:ident, $op:literal, |$x:ident| $mask:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pub state: ModuleState,
            pub p: f64,
        }
        crate::module_fields!($name {});
        impl $name {
            /// # Errors
            /// When `p` is not in `[0, 1)`.
            pub fn new(p: f64) -> Result<Self> {
                check_p($op, p)?;
                Ok($name { state: ModuleState::default(), p })
            }
        }
        impl UnaryModule for $name {
            fn forward(&self, $x: &Tensor) -> Result<Tensor> {
                if !self.state.training || self.p == 0.0 {
                    return Ok($x.clone());
                }
                let shape: Result<Vec<usize>> = $mask;
                drop_with_mask($x, self.p, &shape?)
            }
        }
    };
}

dropout_module!(
    /// `nn.Dropout(p=0.5)`: each element independently.
    Dropout, "Dropout", |x| Ok(x.shape().to_vec())
);
dropout_module!(
    /// `nn.Dropout2d(p=0.5)`: whole channels of `(N, H, W, C)` / `(H, W, C)` inputs.
    Dropout2d, "Dropout2d", |x| channel_mask(x, 3, "Dropout2d")
);
dropout_module!(
    /// `nn.Dropout3d(p=0.5)`: whole channels of `(N, D, H, W, C)` / `(D, H, W, C)` inputs.
    Dropout3d, "Dropout3d", |x| channel_mask(x, 4, "Dropout3d")
);

/// The mask shape that keeps or drops whole channels: spatial axes set to 1.
fn channel_mask(x: &Tensor, spatial_plus_channel: usize, op: &str) -> Result<Vec<usize>> {
    let nd = x.ndim();
    if nd != spatial_plus_channel && nd != spatial_plus_channel + 1 {
        return Err(Error::invalid(op, format!("Received input with {nd} dimensions; expected {} or {}.", spatial_plus_channel, spatial_plus_channel + 1)));
    }
    let mut shape = x.shape().to_vec();
    let first_spatial = nd - spatial_plus_channel;
    for s in shape.iter_mut().take(nd - 1).skip(first_spatial) {
        *s = 1;
    }
    Ok(shape)
}
