//! mlx-autograd: MLX's function transforms as graph transformations over the lazy IR.
//!
//! - Reverse mode: [`vjp`], [`grad`], [`value_and_grad`] (argnums; extra outputs are auxiliary,
//!   MLX's `has_aux`), single-tensor forms [`grad1`], [`value_and_grad1`], and parameter trees
//!   ([`Tree`], [`value_and_grad_tree`], [`grad_tree`], and for training loops
//!   [`value_and_grad_params`]: `f(params, batch)`).
//! - Forward mode: [`jvp`].
//! - Vectorization: [`vmap`] / [`vmap1`] with `in_axes` / `out_axes`.
//! - [`CustomFunction`] (user vjp/jvp/vmap), [`checkpoint`], and `mlx_core::stop_gradient`.
//! - [`compile`] (`mx.compile`): trace once per input signature, simplify (constant folding,
//!   CSE, DCE), replay; [`disable_compile`] / [`enable_compile`].
//!
//! Every transform traces the function once (under `mlx_core::graph::TraceGuard`, so evaluated
//! nodes keep their inputs), then walks the traced graph applying one rule per primitive
//! (`rules/`, exhaustive over `Primitive`). The results are ordinary lazy tensors built from
//! ops, so transforms compose: grad of grad, jvp of vjp, vmap of grad, grad of vmap.
//!
//! Functions are closures `Fn(&[Tensor]) -> Result<Vec<Tensor>>`; tensors they capture are
//! constants (as in MLX). Transforms keep no global state: they may run on several threads.
//!
//! ```
//! use mlx_core::{self as mx, Tensor};
//! use mlx_autograd as tf;
//! // f(x, y) = sum(x * y); df/dx = y, df/dy = x
//! let f = |a: &[Tensor]| Ok(vec![mx::sum(&mx::multiply(&a[0], &a[1])?, mx::Axes::All, false)?]);
//! let x = Tensor::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
//! let y = Tensor::from_slice(&[3.0f32, 4.0], &[2]).unwrap();
//! let (loss, grads) = tf::value_and_grad(f, &[0, 1])(&[x, y]).unwrap();
//! assert_eq!(loss[0].item::<f32>().unwrap(), 11.0);
//! assert_eq!(grads[0].to_vec::<f32>().unwrap(), vec![3.0, 4.0]);
//! assert_eq!(grads[1].to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
//! ```

mod compile;
mod custom;
mod jvp;
mod rules;
mod vjp;
mod vmap;
mod walk;

pub use compile::{compile, compile_with, disable_compile, enable_compile, is_compile_enabled, CompileOptions, Compiled, TapeStats};
pub use custom::{checkpoint, CustomFunction};
pub use jvp::jvp;
pub use mlx_core::stop_gradient;
pub use vjp::{
    grad, grad1, grad_tree, value_and_grad, value_and_grad1, value_and_grad_params, value_and_grad_tree,
    value_and_grad_tree_aux, vjp, Tree,
};
pub use vmap::{vmap, vmap1};
