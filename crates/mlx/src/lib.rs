//! # mlx: a Rust-first MLX
//!
//! MLX's array programming model natively in Rust: lazy arrays, NumPy-like ops with MLX's
//! semantics (type promotion, broadcasting, errors) and a native CPU backend as the default.
//!
//! ```
//! use mlx::prelude::*;
//! let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3]).unwrap();
//! let y = &x * 2.0 + 1.0;               // lazy: nothing computed yet
//! assert_eq!(y.to_vec::<f32>().unwrap(), vec![3.0, 5.0, 7.0]);
//! ```
//!
//! `mlx::core` is the whole op API (`use mlx::core as mx;` reads like Python's
//! `import mlx.core as mx`); `mlx::transforms` the function transforms (MLX's `mx.grad`,
//! `mx.value_and_grad`, `mx.vjp`, `mx.jvp`, `mx.vmap`, `mx.custom_function`, `mx.checkpoint`);
//! `mlx::io` reads and writes safetensors, npy/npz and gguf (`mlx::io::load`,
//! `mlx::io::save_arrays`); `mlx::nn` modules, layers and losses (MLX's `mlx.nn`);
//! `mlx::optim` optimizers and schedules (`mlx.optimizers`); `mlx::prelude` brings the handle types and common functions.
//!
//! ```
//! use mlx::core as mx;
//! use mlx::transforms as tf;
//! use mlx::prelude::*;
//! let df = tf::grad1(|x: &Tensor| mx::sum(&mx::square(x)?, Axes::All, false));
//! let x = Tensor::from_slice(&[1.0f32, -2.0], &[2]).unwrap();
//! assert_eq!(df(&x).unwrap().to_vec::<f32>().unwrap(), vec![2.0, -4.0]);
//! ```

pub use mlx_autograd as transforms;
pub use mlx_core as core;
pub use mlx_io as io;
pub use mlx_nn as nn;
pub use mlx_optim as optim;

/// The types and functions most programs use.
pub mod prelude {
    pub use mlx_autograd::Tree;
    pub use mlx_core::{eval, Axes, Device, Dtype, Error, Result, Tensor};
}
