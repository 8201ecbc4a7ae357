//! Rules of `gather_mm`: `out[i] = a[lhs[i]] @ b[rhs[i]]`, with `a: (..A, M, K)`,
//! `b: (..B, K, N)`, `lhs`/`rhs` flat indices into the batch axes (one shape `I`), and
//! `out: (*I, M, N)`. Indices are integers: no gradient.
//!
//! The VJP is MLX's (`GatherMM::vjp`): each gathered product's matmul gradient, scatter-added
//! back to the matrix it was gathered from (repeated indices accumulate). The JVP is linear in
//! each operand. Batching flattens a batched operand's vmap axis into its batch axes and offsets
//! the indices by `batch * matrices per batch`, so one `GatherMm` serves every batch element.

use mlx_core::{add, arange, broadcast_to, Dtype, Primitive, Result, ScatterMode, Tensor};

use super::{ap, front, reshape_to};

fn gmm(a: &Tensor, b: &Tensor, li: &Tensor, ri: &Tensor) -> Result<Tensor> {
    ap(Primitive::GatherMm, vec![a.clone(), b.clone(), li.clone(), ri.clone()])
}

/// Swaps the last two axes.
fn mt(t: &Tensor) -> Result<Tensor> {
    let n = t.ndim();
    let mut perm: Vec<usize> = (0..n).collect();
    perm.swap(n - 2, n - 1);
    ap(Primitive::Transpose { perm }, vec![t.clone()])
}

/// Number of matrices in the batch axes of `t`.
fn count(t: &Tensor) -> usize {
    t.shape()[..t.ndim() - 2].iter().product()
}

/// `0..P` in the indices' shape: the identity gather over the output's batch.
fn iota(idx: &Tensor) -> Result<Tensor> {
    let p = idx.size();
    reshape_to(&arange(0, p as i64, 1, Dtype::Uint32)?, idx.shape())
}

/// `per` (`(*I, R, C)`, one matrix per index) scatter-added into zeros of `like`'s shape at the
/// matrices `idx` names.
fn scatter_back(per: &Tensor, idx: &Tensor, like: &Tensor) -> Result<Tensor> {
    let (r, c) = (like.shape()[like.ndim() - 2], like.shape()[like.ndim() - 1]);
    let p = idx.size();
    let per = reshape_to(per, &[p, r * c])?;
    let at = broadcast_to(&reshape_to(idx, &[p, 1])?, &[p, r * c])?;
    let z = mlx_core::zeros(&[count(like), r * c], per.dtype())?;
    let s = ap(Primitive::Scatter { axis: 0, mode: ScatterMode::Add }, vec![z, at, per])?;
    reshape_to(&s, like.shape())
}

/// d/dA applied to G: G_i B[rhs_i]^T scatter-added at lhs_i; d/dB: A[lhs_i]^T G_i at rhs_i.
pub(super) fn gather_mm_vjp(inputs: &[Tensor], g: &Tensor, needed: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let (a, b, li, ri) = (&inputs[0], &inputs[1], &inputs[2], &inputs[3]);
    let all = iota(li)?;
    let ga = if needed.first().copied().unwrap_or(true) {
        Some(scatter_back(&gmm(g, &mt(b)?, &all, ri)?, li, a)?)
    } else {
        None
    };
    let gb = if needed.get(1).copied().unwrap_or(true) {
        Some(scatter_back(&gmm(&mt(a)?, g, li, &all)?, ri, b)?)
    } else {
        None
    };
    Ok(vec![ga, gb, None, None])
}

/// d gather_mm(A, B) = gather_mm(dA, B) + gather_mm(A, dB).
pub(super) fn gather_mm_jvp(inputs: &[Tensor], tangents: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let (a, b, li, ri) = (&inputs[0], &inputs[1], &inputs[2], &inputs[3]);
    let l = tangents[0].as_ref().map(|t| gmm(t, b, li, ri)).transpose()?;
    let r = tangents[1].as_ref().map(|t| gmm(a, t, li, ri)).transpose()?;
    Ok(vec![match (l, r) {
        (Some(l), Some(r)) => Some(add(&l, &r)?),
        (l, None) => l,
        (None, r) => r,
    }])
}

/// A batched operand `(B, ..X, R, C)` as `(B * count, R, C)` and the offset `b * count` to add
/// to batch element b's indices; an unbatched one unchanged (offset zero).
fn flatten_operand(t: &Tensor, axis: Option<usize>, size: usize) -> Result<(Tensor, Option<Tensor>)> {
    match axis {
        None => Ok((t.clone(), None)),
        Some(_) => {
            let t = front(t, axis, size)?;
            let (r, c) = (t.shape()[t.ndim() - 2], t.shape()[t.ndim() - 1]);
            let per = count(&t) / size.max(1);
            let flat = reshape_to(&t, &[count(&t), r, c])?;
            let off = arange(0, (size * per) as i64, per.max(1) as i64, Dtype::Uint32)?;
            Ok((flat, Some(off)))
        }
    }
}

/// Batching: indices get their vmap axis in front (broadcast when unbatched), offset into the
/// flattened batched operands. Output `(B, *I, M, N)` with the batch axis first.
pub(super) fn gather_mm_batch(inputs: &[Tensor], axes: &[Option<usize>], size: usize) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    let (a, oa) = flatten_operand(&inputs[0], axes[0], size)?;
    let (b, ob) = flatten_operand(&inputs[1], axes[1], size)?;
    let index = |t: &Tensor, ax: Option<usize>, off: Option<Tensor>| -> Result<Tensor> {
        let t = front(t, ax, size)?;
        match off {
            None => Ok(t),
            Some(off) => {
                let mut s = vec![1; t.ndim()];
                s[0] = size;
                let off = broadcast_to(&reshape_to(&off, &s)?, t.shape())?;
                ap(Primitive::Binary(mlx_core::BinaryOp::Add), vec![t, mlx_core::astype(&off, Dtype::Uint32)?])
            }
        }
    };
    let li = index(&inputs[2], axes[2], oa)?;
    let ri = index(&inputs[3], axes[3], ob)?;
    Ok((vec![gmm(&a, &b, &li, &ri)?], vec![Some(0)]))
}
