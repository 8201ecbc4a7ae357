//! Rules of the fused last-axis primitives (`Primitive::Fused`): every transform is applied to
//! the op's composite definition ([`mlx_core::fast::fused_definition`]), so the fused kernel's
//! derivatives are by construction those of the composition it replaces. Batching keeps the fused
//! op when only the array is batched (the op works on the last axis; the batch axis moves to the
//! front); otherwise it vmaps the composite.

use mlx_core::{FusedOp, Primitive, Result, Tensor};

use super::{ap, front};

fn definition(op: FusedOp) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>> {
    move |xs: &[Tensor]| Ok(vec![mlx_core::fast::fused_definition(op, xs)?])
}

/// VJP: the composite's VJP.
pub(super) fn vjp(op: FusedOp, inputs: &[Tensor], cts: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
    let grads = crate::vjp::vjp_dyn(&definition(op), inputs, cts)?.1;
    Ok(grads.into_iter().map(Some).collect())
}

/// JVP: the composite's JVP (absent tangents are zeros).
pub(super) fn jvp(op: FusedOp, inputs: &[Tensor], tangents: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let t: Vec<Tensor> = inputs
        .iter()
        .zip(tangents)
        .map(|(x, t)| t.clone().map_or_else(|| mlx_core::zeros_like(x), Ok))
        .collect::<Result<_>>()?;
    let out = crate::jvp::jvp_dyn(&definition(op), inputs, &t)?.1;
    Ok(out.into_iter().map(Some).collect())
}

/// Batching: see the module docs.
pub(super) fn batch(
    op: FusedOp,
    inputs: &[Tensor],
    axes: &[Option<usize>],
    size: usize,
) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    if axes[1..].iter().all(Option::is_none) {
        let mut ins = vec![front(&inputs[0], axes[0], size)?];
        ins.extend_from_slice(&inputs[1..]);
        return Ok((vec![ap(Primitive::Fused(op), ins)?], vec![Some(0)]));
    }
    let in_axes: Vec<Option<i32>> = axes.iter().map(|a| a.map(|a| a as i32)).collect();
    let outs = crate::vmap::vmap_dyn(&definition(op), inputs, &in_axes, &[0])?;
    Ok((outs, vec![Some(0)]))
}
