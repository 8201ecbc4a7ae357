//! MLX's `mx.fast` ops, re-exported from [`mlx_core::fast`] (where they live, with their fused
//! CPU kernels) so `mlx_nn::fast::*` keeps working.

pub use mlx_core::fast::*;
