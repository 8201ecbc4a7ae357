//! `custom_function` (user-defined vjp/jvp/vmap) and `checkpoint`.
//!
//! A call builds the forward graph, then one `Custom` node whose inputs are the arguments
//! followed by the forward outputs; evaluating it passes the outputs through (no copy).
//! Transforms stop at that node and use its rules, never the forward graph behind it.
//!
//! Invariants: a custom vjp returns one cotangent per argument (shaped like it); a custom jvp one
//! tangent per output; a custom vmap one output and one batch axis per output.

use std::sync::Arc;

use mlx_core::graph::{apply, pause_tracing};
use mlx_core::{Opaque, Primitive, Result, Tensor};

use crate::rules::CustomRules;

/// A function with custom transforms (`mx.custom_function`). Transforms not given fall back to
/// transforming the forward definition.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// use mlx_autograd::CustomFunction;
/// // exp with a (deliberately) doubled gradient
/// let f = CustomFunction::new(|x: &[Tensor]| Ok(vec![mx::exp(&x[0])?]))
///     .with_vjp(|_primals, cts, outs| Ok(vec![mx::multiply(&mx::multiply(&cts[0], &outs[0])?, 2.0)?]));
/// let g = mlx_autograd::grad1(move |x: &Tensor| Ok(f.call(&[x.clone()])?.remove(0)));
/// let x = Tensor::scalar(0.0f32);
/// assert_eq!(g(&x).unwrap().item::<f32>().unwrap(), 2.0);
/// ```
#[derive(Clone)]
pub struct CustomFunction {
    rules: CustomRules,
}

impl CustomFunction {
    /// A custom function whose forward definition is `f`.
    pub fn new<F>(f: F) -> Self
    where
        F: Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
    {
        CustomFunction { rules: CustomRules { forward: Arc::new(f), vjp: None, jvp: None, vmap: None } }
    }

    /// The reverse-mode rule: `(primals, cotangents, outputs) -> one cotangent per primal`.
    pub fn with_vjp<V>(mut self, v: V) -> Self
    where
        V: Fn(&[Tensor], &[Tensor], &[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
    {
        self.rules.vjp = Some(Arc::new(v));
        self
    }

    /// The forward-mode rule: `(primals, tangents) -> one tangent per output`.
    pub fn with_jvp<J>(mut self, j: J) -> Self
    where
        J: Fn(&[Tensor], &[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
    {
        self.rules.jvp = Some(Arc::new(j));
        self
    }

    /// The batching rule: `(inputs, batch axes) -> (outputs, their batch axes)`; an input's axis
    /// is `None` when it is not batched.
    pub fn with_vmap<B>(mut self, b: B) -> Self
    where
        B: Fn(&[Tensor], &[Option<usize>]) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> + Send + Sync + 'static,
    {
        self.rules.vmap = Some(Arc::new(b));
        self
    }

    /// Calls the function.
    ///
    /// # Errors
    /// Any error of the forward definition; `[custom] ...` when it returns no outputs.
    pub fn call(&self, args: &[Tensor]) -> Result<Vec<Tensor>> {
        let outs = (self.rules.forward)(args)?;
        self.wrap(args, outs)
    }

    fn wrap(&self, args: &[Tensor], outs: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let num_outputs = outs.len();
        if num_outputs == 0 {
            return Ok(outs);
        }
        let mut inputs = args.to_vec();
        inputs.extend(outs);
        let rules = Opaque(Arc::new(self.rules.clone()));
        apply(Primitive::Custom { num_outputs, rules }, inputs)
    }
}

/// `mx.checkpoint(f)`: the same function, but transforms do not keep its intermediate values:
/// its forward pass runs without tracing (evaluated intermediates are freed) and reverse mode
/// recomputes it from the inputs.
pub fn checkpoint<F>(f: F) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let fwd = f.clone();
    let cf = CustomFunction::new(move |xs: &[Tensor]| fwd(xs))
        .with_vjp(move |primals, cts, _outs| Ok(crate::vjp::vjp_dyn(&*f, primals, cts)?.1));
    move |xs: &[Tensor]| {
        let outs = {
            let _pause = pause_tracing();
            (cf.rules.forward)(xs)?
        };
        cf.wrap(xs, outs)
    }
}
