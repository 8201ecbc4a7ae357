//! Forward mode: `jvp`. The function is traced on identity nodes of the primals; then the nodes
//! between inputs and outputs are visited in topological order, each primitive's JVP rule turning
//! its inputs' tangents into its outputs'.
//!
//! Invariants: tangents have their primal's shape; a missing tangent is a symbolic zero (`None`)
//! until an output needs it, then zeros of the output's shape and dtype.

use std::collections::HashMap;

use mlx_core::{Error, Result, Tensor};

use crate::rules;
use crate::vjp::{mlx_core_shape, trace, Fun};
use crate::walk::{active_nodes, edges, key, Key};

/// Tangents of `outputs` given tangents of `sources` (graph already traced).
pub(crate) fn forward(sources: &[Tensor], tangents: &[Tensor], outputs: &[Tensor]) -> Result<Vec<Tensor>> {
    // Rules may run transforms (custom functions): their release must wait.
    let _hold = mlx_core::graph::hold_graphs();
    let (order, _) = active_nodes(sources, outputs);
    let mut tans: HashMap<Key, Tensor> = HashMap::new();
    for (s, t) in sources.iter().zip(tangents) {
        tans.insert(key(s), t.clone());
    }
    for node in &order {
        let inputs = edges(node);
        let in_tans: Vec<Option<Tensor>> = inputs.iter().map(|i| tans.get(&key(i)).cloned()).collect();
        if in_tans.iter().all(Option::is_none) {
            continue;
        }
        let primitive = node.primitive().ok_or_else(|| Error::runtime("jvp", "an active node has no primitive"))?;
        let outs = node.siblings();
        let out_tans = rules::jvp(primitive, &node.inputs(), &outs, &in_tans)?;
        for (o, t) in outs.iter().zip(out_tans) {
            if let Some(t) = t {
                tans.insert(key(o), t);
            }
        }
    }
    outputs.iter().map(|o| tans.get(&key(o)).cloned().map_or_else(|| mlx_core::zeros_like(o), Ok)).collect()
}

pub(crate) fn jvp_dyn(f: Fun, primals: &[Tensor], tangents: &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    if primals.len() != tangents.len() {
        return Err(Error::invalid(
            "jvp",
            format!(
                "Number of inputs to compute the jvp for ({}) does not match number of tangents ({}).",
                primals.len(),
                tangents.len()
            ),
        ));
    }
    for (p, t) in primals.iter().zip(tangents) {
        if p.shape() != t.shape() {
            return Err(Error::invalid(
                "jvp",
                format!(
                    "Primal shape {} does not match tangent shape {}.",
                    mlx_core_shape(p.shape()),
                    mlx_core_shape(t.shape())
                ),
            ));
        }
    }
    let (inputs, outputs) = trace(f, primals)?;
    let out_tangents = forward(&inputs, tangents, &outputs)?;
    mlx_core::graph::release(&outputs);
    Ok((outputs, out_tangents))
}

/// Jacobian-vector product (`mx.jvp`): the outputs of `f(primals)` and their tangents given
/// `tangents` of the primals (one per primal, same shape).
///
/// # Errors
/// `[jvp]` when the number or shapes of the tangents do not match the primals; any error of `f`.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let x = Tensor::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
/// let (_, t) = mlx_autograd::jvp(|x| Ok(vec![mx::multiply(&x[0], &x[0])?]), &[x], &[mx::ones(&[2], None).unwrap()]).unwrap();
/// assert_eq!(t[0].to_vec::<f32>().unwrap(), vec![2.0, 4.0]);
/// ```
pub fn jvp<F>(f: F, primals: &[Tensor], tangents: &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    jvp_dyn(&f, primals, tangents)
}
