//! Rules of a custom function (`Primitive::Custom`): the user's vjp/jvp/vmap when given, else
//! the transform applied to the function's forward definition. The node's inputs are the
//! function's arguments followed by its outputs; only the arguments get cotangents/tangents.

use std::sync::Arc;

use mlx_core::{Error, Opaque, Result, Tensor};

use crate::vjp::mlx_core_shape;

/// The forward definition of a custom function.
pub type ForwardFn = Arc<dyn Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync>;
/// `(primals, cotangents, outputs) -> cotangents of the primals`.
pub type VjpFn = Arc<dyn Fn(&[Tensor], &[Tensor], &[Tensor]) -> Result<Vec<Tensor>> + Send + Sync>;
/// `(primals, tangents) -> tangents of the outputs`.
pub type JvpFn = Arc<dyn Fn(&[Tensor], &[Tensor]) -> Result<Vec<Tensor>> + Send + Sync>;
/// `(inputs, batch axes) -> (outputs, their batch axes)`.
pub type VmapFn = Arc<dyn Fn(&[Tensor], &[Option<usize>]) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> + Send + Sync>;

/// What a `Custom` node carries (inside an [`Opaque`]).
#[derive(Clone)]
pub(crate) struct CustomRules {
    pub(crate) forward: ForwardFn,
    pub(crate) vjp: Option<VjpFn>,
    pub(crate) jvp: Option<JvpFn>,
    pub(crate) vmap: Option<VmapFn>,
}

fn rules_of(o: &Opaque) -> Result<&CustomRules> {
    o.0.downcast_ref::<CustomRules>()
        .ok_or_else(|| Error::runtime("custom_function", "the node carries rules of an unknown kind"))
}

fn check(what: &str, got: &[Tensor], want: &[Tensor]) -> Result<()> {
    if got.len() != want.len() {
        return Err(Error::invalid(
            "custom_function",
            format!("The {what} must return {} arrays but returned {}.", want.len(), got.len()),
        ));
    }
    for (g, w) in got.iter().zip(want) {
        if g.shape() != w.shape() {
            return Err(Error::invalid(
                "custom_function",
                format!(
                    "The {what} returned an array of shape {} where {} was expected.",
                    mlx_core_shape(g.shape()),
                    mlx_core_shape(w.shape())
                ),
            ));
        }
    }
    Ok(())
}

/// The user's vjp, or the vjp of the forward definition.
pub(super) fn vjp(
    rules: &Opaque,
    num_outputs: usize,
    inputs: &[Tensor],
    outputs: &[Tensor],
    cts: &[Tensor],
) -> Result<Vec<Option<Tensor>>> {
    let r = rules_of(rules)?;
    let args = &inputs[..inputs.len().saturating_sub(num_outputs)];
    let grads = match &r.vjp {
        Some(v) => v(args, cts, outputs)?,
        None => crate::vjp::vjp_dyn(&*r.forward, args, cts)?.1,
    };
    check("vjp", &grads, args)?;
    Ok(grads.into_iter().map(Some).collect())
}

/// The user's jvp, or the jvp of the forward definition.
pub(super) fn jvp(rules: &Opaque, num_outputs: usize, inputs: &[Tensor], tangents: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let r = rules_of(rules)?;
    let n = inputs.len().saturating_sub(num_outputs);
    let (args, outs) = inputs.split_at(n);
    let tangents: Vec<Tensor> = args
        .iter()
        .zip(tangents)
        .map(|(x, t)| t.clone().map_or_else(|| mlx_core::zeros_like(x), Ok))
        .collect::<Result<_>>()?;
    let out_t = match &r.jvp {
        Some(j) => j(args, &tangents)?,
        None => crate::jvp::jvp_dyn(&*r.forward, args, &tangents)?.1,
    };
    check("jvp", &out_t, outs)?;
    Ok(out_t.into_iter().map(Some).collect())
}

/// The user's vmap, or the vmap of the forward definition (outputs batched on axis 0).
pub(super) fn batch(
    rules: &Opaque,
    num_outputs: usize,
    args: &[Tensor],
    axes: &[Option<usize>],
) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    let r = rules_of(rules)?;
    let (outs, out_axes) = match &r.vmap {
        Some(v) => v(args, axes)?,
        None => {
            let in_axes: Vec<Option<i32>> = axes.iter().map(|a| a.map(|a| a as i32)).collect();
            let outs = crate::vmap::vmap_dyn(&*r.forward, args, &in_axes, &[0])?;
            let n = outs.len();
            (outs, vec![Some(0); n])
        }
    };
    if outs.len() != num_outputs || out_axes.len() != num_outputs {
        return Err(Error::invalid(
            "custom_function",
            format!("The vmap must return {num_outputs} arrays and as many axes."),
        ));
    }
    for (o, a) in outs.iter().zip(&out_axes) {
        if let Some(a) = a {
            if *a >= o.ndim() {
                return Err(Error::invalid(
                    "custom_function",
                    format!("The vmap returned batch axis {a} for an array with {} dimensions.", o.ndim()),
                ));
            }
        }
    }
    Ok((outs, out_axes))
}
