//! Rules of the creation primitives (`full`, `arange`): they have no inputs, so nothing flows
//! through them; a transform never reaches them as active nodes.

use mlx_core::{Error, Primitive, Result, Tensor};

/// No inputs, no cotangents.
pub(super) fn vjp() -> Vec<Option<Tensor>> {
    vec![]
}

/// A constant: zero tangent.
pub(super) fn jvp() -> Vec<Option<Tensor>> {
    vec![None]
}

/// Never batched (a constant does not depend on a mapped input).
pub(super) fn batch(p: &Primitive) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    Err(Error::runtime("vmap", format!("{} has no inputs and cannot be batched", p.name())))
}
