//! Rules of `ConvGeneral`: y = conv(x, w) is bilinear, so both gradients are convolutions again
//! (built from the same primitive, so grad of grad and vmap of grad work).
//!
//! Per spatial axis (input length `L`, kernel `K`, output `O`, stride `s`, kernel dilation `kd`,
//! input dilation `id`, padding `lo`/`hi`):
//! `y[n, o, co] = sum_{k, ci} xd[n, o*s + k*kd - lo, g*Cg + ci] * w[co, k', ci]` with `xd` the
//! input dilated by `id`, `k' = K-1-k` when `flip`, `g` the group of `co`.
//!
//! - input grad = conv_transpose of the cotangent: a convolution of the cotangent dilated by `s`
//!   with the weight's channel axes swapped within each group, flipped the other way, stride
//!   `id`, kernel dilation `kd`, padding `lo' = (K-1)*kd - lo`, `hi' = (L-1)*id - (O-1)*s + lo`.
//! - weight grad = correlation of the input with the cotangent: input channels become the batch,
//!   the batch becomes the channels (per group), the cotangent is the kernel: stride `kd`,
//!   kernel dilation `s`, input dilation `id`, padding `lo`, `hi = (K-1)*kd + (O-1)*s - (L-1)*id
//!   - lo`; reversed along each spatial axis when `flip`.
//!
//! The primitive takes non-negative padding only. A negative `lo'` (padding wider than the
//! kernel: the first outputs saw only zeros) is raised by whole strides and the extra leading
//! outputs are sliced off; a negative `hi` (trailing inputs the strides never reached) becomes 0
//! and the extra trailing outputs are sliced off. Invariant: each rule returns exactly the
//! shape of the input it differentiates.

use mlx_core::{ConvParams, Primitive, Result, Tensor};

use super::{ap, front, reshape_to};

fn conv(p: ConvParams, x: &Tensor, w: &Tensor) -> Result<Tensor> {
    ap(Primitive::ConvGeneral(p), vec![x.clone(), w.clone()])
}

fn transpose(t: &Tensor, perm: Vec<usize>) -> Result<Tensor> {
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return Ok(t.clone());
    }
    ap(Primitive::Transpose { perm }, vec![t.clone()])
}

/// Swaps axes 0 and the last.
fn swap_ends(t: &Tensor) -> Result<Tensor> {
    let n = t.ndim();
    let mut perm: Vec<usize> = (0..n).collect();
    perm.swap(0, n - 1);
    transpose(t, perm)
}

/// `t[:, start_i : start_i + len_i, ..., :]` over the spatial axes (1..=sd), reversed when `rev`.
fn crop(t: &Tensor, start: &[usize], len: &[usize], rev: bool) -> Result<Tensor> {
    let sh = t.shape();
    if !rev && start.iter().all(|&s| s == 0) && sh[1..sh.len() - 1] == *len {
        return Ok(t.clone());
    }
    let mut st = vec![0usize];
    let mut step = vec![1isize];
    let mut shape = vec![sh[0]];
    for (&s, &l) in start.iter().zip(len) {
        st.push(if rev { s + l - 1 } else { s });
        step.push(if rev { -1 } else { 1 });
        shape.push(l);
    }
    st.push(0);
    step.push(1);
    shape.push(sh[sh.len() - 1]);
    ap(Primitive::Slice { start: st, step, shape }, vec![t.clone()])
}

/// d/dx conv(x, w) applied to g (see the module docs): the transposed convolution of g.
fn input_grad(p: &ConvParams, x: &Tensor, w: &Tensor, g: &Tensor) -> Result<Tensor> {
    let sd = x.ndim() - 2;
    let (xs, ws, gs) = (x.shape(), w.shape(), g.shape());
    let (groups, cout, cg) = (p.groups, ws[0], ws[sd + 1]);
    let og = cout / groups;
    // w (G*Og, K.., Cg) -> (G, Og, K.., Cg) -> (G, Cg, K.., Og) -> (G*Cg, K.., Og)
    let mut split = vec![groups, og];
    split.extend_from_slice(&ws[1..=sd]);
    split.push(cg);
    let mut perm = vec![0, sd + 2];
    perm.extend(2..sd + 2);
    perm.push(1);
    let mut merged = vec![groups * cg];
    merged.extend_from_slice(&ws[1..=sd]);
    merged.push(og);
    let wt = reshape_to(&transpose(&reshape_to(w, &split)?, perm)?, &merged)?;

    let mut q = ConvParams {
        stride: p.input_dilation.clone(),
        padding_lo: vec![0; sd],
        padding_hi: vec![0; sd],
        kernel_dilation: p.kernel_dilation.clone(),
        input_dilation: p.stride.clone(),
        groups,
        flip: !p.flip,
    };
    let mut skip = vec![0usize; sd];
    for i in 0..sd {
        let (l, k, o) = (xs[i + 1] as i64, ws[i + 1] as i64, gs[i + 1] as i64);
        let (s, kd, id, lo) = (p.stride[i] as i64, p.kernel_dilation[i] as i64, p.input_dilation[i] as i64, p.padding_lo[i] as i64);
        let lo_t = (k - 1) * kd - lo;
        let hi_t = (l - 1) * id - (o - 1) * s + lo;
        // Raise a negative low padding by whole output strides; those outputs are dropped.
        let t = if lo_t < 0 { (-lo_t + id - 1) / id } else { 0 };
        skip[i] = t as usize;
        q.padding_lo[i] = (lo_t + t * id) as usize;
        q.padding_hi[i] = hi_t.max(0) as usize;
    }
    crop(&conv(q, g, &wt)?, &skip, &xs[1..=sd], false)
}

/// d/dw conv(x, w) applied to g (see the module docs): the correlation of x with g.
fn weight_grad(p: &ConvParams, x: &Tensor, w: &Tensor, g: &Tensor) -> Result<Tensor> {
    let sd = x.ndim() - 2;
    let (xs, ws, gs) = (x.shape(), w.shape(), g.shape());
    let (n, groups, cin) = (xs[0], p.groups, xs[sd + 1]);
    let cg = cin / groups;
    // x (N, L.., G*Cg) -> (N, L.., G, Cg) -> (Cg, L.., G, N) -> (Cg, L.., G*N)
    let mut split = xs[..=sd].to_vec();
    split.extend([groups, cg]);
    let mut perm = vec![sd + 2];
    perm.extend(1..=sd);
    perm.extend([sd + 1, 0]);
    let mut merged = vec![cg];
    merged.extend_from_slice(&xs[1..=sd]);
    merged.push(groups * n);
    let xt = reshape_to(&transpose(&reshape_to(x, &split)?, perm)?, &merged)?;
    // g (N, O.., Cout) -> (Cout, O.., N): the kernel of the correlation.
    let gt = swap_ends(g)?;

    let mut q = ConvParams {
        stride: p.kernel_dilation.clone(),
        padding_lo: p.padding_lo.clone(),
        padding_hi: vec![0; sd],
        kernel_dilation: p.stride.clone(),
        input_dilation: p.input_dilation.clone(),
        groups,
        flip: false,
    };
    for i in 0..sd {
        let (l, k, o) = (xs[i + 1] as i64, ws[i + 1] as i64, gs[i + 1] as i64);
        let (s, kd, id, lo) = (p.stride[i] as i64, p.kernel_dilation[i] as i64, p.input_dilation[i] as i64, p.padding_lo[i] as i64);
        // Negative: trailing inputs no window reached; the extra outputs are cropped below.
        q.padding_hi[i] = ((k - 1) * kd + (o - 1) * s - (l - 1) * id - lo).max(0) as usize;
    }
    // (Cg, K'.., Cout), K' >= K -> (Cg, K.., Cout), reversed for a flipped convolution.
    let r = crop(&conv(q, &xt, &gt)?, &vec![0; sd], &ws[1..=sd], p.flip)?;
    swap_ends(&r)
}

/// VJP of y = conv(x, w): `[input grad, weight grad]` where needed.
pub(super) fn conv_vjp(p: &ConvParams, x: &Tensor, w: &Tensor, g: &Tensor, needed: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let dx = if needed.first().copied().unwrap_or(true) { Some(input_grad(p, x, w, g)?) } else { None };
    let dw = if needed.get(1).copied().unwrap_or(true) { Some(weight_grad(p, x, w, g)?) } else { None };
    Ok(vec![dx, dw])
}

/// d conv(x, w) = conv(dx, w) + conv(x, dw) (bilinear).
pub(super) fn conv_jvp(p: &ConvParams, x: &Tensor, w: &Tensor, tx: &Option<Tensor>, tw: &Option<Tensor>) -> Result<Vec<Option<Tensor>>> {
    let l = tx.as_ref().map(|t| conv(p.clone(), t, w)).transpose()?;
    let r = tw.as_ref().map(|t| conv(p.clone(), x, t)).transpose()?;
    Ok(vec![match (l, r) {
        (Some(l), Some(r)) => Some(mlx_core::add(&l, &r)?),
        (l, None) => l,
        (None, r) => r,
    }])
}

/// Batching: a batched input alone folds the batch into N; a batched weight folds the batch
/// into the channel groups (`groups * B`: batch element b's input channels meet only its own
/// weights), with the input broadcast when unbatched. The output's batch axis is in front.
pub(super) fn conv_batch(p: &ConvParams, inputs: &[Tensor], axes: &[Option<usize>], size: usize) -> Result<(Vec<Tensor>, Vec<Option<usize>>)> {
    let x = front(&inputs[0], axes[0], size)?;
    let xs = x.shape().to_vec();
    let sd = xs.len() - 3;
    if axes[1].is_none() {
        let mut folded = vec![size * xs[1]];
        folded.extend_from_slice(&xs[2..]);
        let y = conv(p.clone(), &reshape_to(&x, &folded)?, &inputs[1])?;
        let mut shape = vec![size, xs[1]];
        shape.extend_from_slice(&y.shape()[1..]);
        return Ok((vec![reshape_to(&y, &shape)?], vec![Some(0)]));
    }
    let w = front(&inputs[1], axes[1], size)?;
    let ws = w.shape().to_vec();
    // x (B, N, S.., C) -> (N, S.., B, C) -> (N, S.., B*C)
    let mut perm: Vec<usize> = (1..sd + 2).collect();
    perm.extend([0, sd + 2]);
    let mut xshape = xs[1..sd + 2].to_vec();
    xshape.push(size * xs[sd + 2]);
    let xf = reshape_to(&transpose(&x, perm)?, &xshape)?;
    // w (B, Cout, K.., Cg) -> (B*Cout, K.., Cg)
    let mut wshape = vec![size * ws[1]];
    wshape.extend_from_slice(&ws[2..]);
    let wf = reshape_to(&w, &wshape)?;
    let q = ConvParams { groups: p.groups * size, ..p.clone() };
    let y = conv(q, &xf, &wf)?;
    // (N, O.., B*Cout) -> (N, O.., B, Cout) -> (B, N, O.., Cout)
    let mut ys = y.shape().to_vec();
    let cout = ws[1];
    ys.pop();
    ys.extend([size, cout]);
    let mut perm = vec![sd + 1];
    perm.extend(0..=sd);
    perm.push(sd + 2);
    Ok((vec![transpose(&reshape_to(&y, &ys)?, perm)?], vec![Some(0)]))
}
