//! mlx-optim: MLX's `mlx.optimizers` in Rust: optimizers that update a module's parameter tree,
//! learning-rate schedules, and `clip_grad_norm`.
//!
//! ```
//! use mlx_core::{self as mx, Tensor};
//! use mlx_nn::{self as nn, Module, UnaryModule};
//! use mlx_optim::{Optimizer, Sgd};
//! let mut model = nn::Linear::new(2, 1, true).unwrap();
//! let mut opt = Sgd::new(0.1);
//! let x = Tensor::from_slice(&[1.0f32, 2.0], &[1, 2]).unwrap();
//! let y = Tensor::from_slice(&[3.0f32], &[1, 1]).unwrap();
//! let step = nn::value_and_grad(|m: &nn::Linear, b: &[Tensor]| {
//!     Ok(vec![nn::losses::mse_loss(&m.forward(&b[0])?, &b[1], nn::Reduction::Mean)?])
//! });
//! let (first, g) = step(&mut model, &[x.clone(), y.clone()]).unwrap();
//! opt.update(&mut model, &g).unwrap();
//! let (second, _) = step(&mut model, &[x, y]).unwrap();
//! assert!(second[0].item::<f32>().unwrap() < first[0].item::<f32>().unwrap());
//! ```
//!
//! Invariants: an optimizer's state is a flat tree: `"step"` (uint64, the number of updates
//! done), `"learning_rate"` (float32, the value used by the last update) and one entry per
//! parameter and slot, `"<parameter name>.<slot>"` (`"layers.0.weight.m"`), the names MLX's
//! `tree_flatten(optimizer.state)` gives. [`Optimizer::state`] / [`Optimizer::set_state`]
//! save and restore it exactly; slots are created for a parameter the first time it has a
//! gradient.

mod muon;
mod optimizers;
pub mod schedulers;

pub use muon::Muon;
pub use optimizers::*;
pub use schedulers::{cosine_decay, exponential_decay, join_schedules, linear_schedule, step_decay, Schedule};
