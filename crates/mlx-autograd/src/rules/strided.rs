//! Rules of the two reinterpreting views, `as_strided` and `view`.
//!
//! - `as_strided(x, shape, strides, offset)` reads the row-major elements of `x`: output element
//!   `o` is `x_flat[pos(o)]`. It is linear: the JVP is the same view of the tangent, the VJP
//!   scatter-adds the cotangent to `pos` (elements read several times accumulate), as MLX's
//!   `AsStrided::vjp`. Batching prepends the vmap axis with stride `x.size()`.
//! - `view(x, dtype)` reinterprets bits, which has no derivative: like MLX (`[Primitive::vjp]
//!   Not implemented for View`), reverse and forward mode fail with a clear error; vmap works.

use mlx_core::{Dtype, Error, Primitive, Result, ScatterMode, Tensor};

use super::{ap, reshape_to};

/// d as_strided(x)_o / d x_j = [pos(o) == j]: g scatter-added at the flat positions.
pub(super) fn as_strided_vjp(prim: &Primitive, x: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let n = x.size();
    let iota = ap(Primitive::Arange { start: 0.0, step: 1.0, len: n, dtype: Dtype::Int64 }, vec![])?;
    let pos = ap(prim.clone(), vec![reshape_to(&iota, x.shape())?])?;
    let m = pos.size();
    let pos = reshape_to(&pos, &[m])?;
    let gf = reshape_to(g, &[m])?;
    let z = mlx_core::zeros(&[n], g.dtype())?;
    let dx = ap(Primitive::Scatter { axis: 0, mode: ScatterMode::Add }, vec![z, pos, gf])?;
    Ok(vec![Some(reshape_to(&dx, x.shape())?)])
}

/// as_strided over a batch: `(B, *x)` read with an extra leading stride of `x.size()`.
pub(super) fn as_strided_batch(prim: &Primitive, x_front: &Tensor) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    let Primitive::AsStrided { shape, strides, offset } = prim else {
        return Err(Error::runtime(prim.name(), "not an as_strided primitive"));
    };
    let per: usize = x_front.shape()[1..].iter().product();
    let mut sh = vec![x_front.shape()[0]];
    sh.extend_from_slice(shape);
    let mut st = vec![per as isize];
    st.extend_from_slice(strides);
    Ok((vec![ap(Primitive::AsStrided { shape: sh, strides: st, offset: *offset }, vec![x_front.clone()])?], vec![Some(0)]))
}

/// `view` has no derivative (bit reinterpretation): the error MLX raises.
pub(super) fn view_not_differentiable<T>(mode: &str, dtype: Dtype) -> Result<T> {
    Err(Error::invalid("view", format!("{mode} is not implemented for View {dtype} (a bit reinterpretation has no derivative, as in MLX).")))
}
