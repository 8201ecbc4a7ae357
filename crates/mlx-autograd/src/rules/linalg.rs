//! Rules of `matmul`. The primitive takes operands of equal rank and equal batch shape (the API
//! broadcasts them first, and the broadcast's own rule sums the gradient back).

use mlx_core::{Primitive, Result, Tensor};

use super::ap;

/// Swaps the last two axes.
fn mt(t: &Tensor) -> Result<Tensor> {
    let n = t.ndim();
    let mut perm: Vec<usize> = (0..n).collect();
    perm.swap(n - 2, n - 1);
    ap(Primitive::Transpose { perm }, vec![t.clone()])
}

fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    ap(Primitive::Matmul, vec![a.clone(), b.clone()])
}

/// d/dA (A B) applied to G = G B^T; d/dB = A^T G.
pub(super) fn matmul_vjp(a: &Tensor, b: &Tensor, g: &Tensor, needed: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let ga = if needed.first().copied().unwrap_or(true) { Some(mm(g, &mt(b)?)?) } else { None };
    let gb = if needed.get(1).copied().unwrap_or(true) { Some(mm(&mt(a)?, g)?) } else { None };
    Ok(vec![ga, gb])
}

/// d(A B) = dA B + A dB.
pub(super) fn matmul_jvp(a: &Tensor, b: &Tensor, ta: &Option<Tensor>, tb: &Option<Tensor>) -> Result<Vec<Option<Tensor>>> {
    let l = ta.as_ref().map(|t| mm(t, b)).transpose()?;
    let r = tb.as_ref().map(|t| mm(a, t)).transpose()?;
    Ok(vec![match (l, r) {
        (Some(l), Some(r)) => Some(mlx_core::add(&l, &r)?),
        (l, None) => l,
        (None, r) => r,
    }])
}
