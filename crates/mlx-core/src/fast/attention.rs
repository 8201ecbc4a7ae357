//! `mx.fast.scaled_dot_product_attention` as a composition (masks, grouped-query attention).

use crate::{self as mx, Dtype, Error, Result, Tensor};

/// The mask argument of [`scaled_dot_product_attention`].
#[derive(Clone)]
pub enum AttentionMask {
    None,
    /// `"causal"`: query `i` attends to keys `j <= i + (S - L)`.
    Causal,
    /// A bool array (true = attend) or an additive float array, broadcast to `(B, H, L, S)`.
    Array(Tensor),
}

/// `softmax(q k^T * scale + mask) v` for `q` `(B, Hq, L, D)`, `k`/`v` `(B, Hkv, S, D)`;
/// `Hq` must be a multiple of `Hkv` (grouped-query attention shares each key head among
/// `Hq / Hkv` query heads).
///
/// # Errors
/// `[scaled_dot_product_attention]` for non-4-D inputs or incompatible head counts.
pub fn scaled_dot_product_attention(q: &Tensor, k: &Tensor, v: &Tensor, scale: f64, mask: &AttentionMask) -> Result<Tensor> {
    let op = "scaled_dot_product_attention";
    if q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4 {
        return Err(Error::invalid(op, "queries, keys and values must be 4-D (B, H, L, D)."));
    }
    let (b, hq, l, dq) = (q.shape()[0], q.shape()[1], q.shape()[2], q.shape()[3]);
    let (hkv, s) = (k.shape()[1], k.shape()[2]);
    if hkv == 0 || hq % hkv != 0 || v.shape()[1] != hkv {
        return Err(Error::invalid(op, format!("The number of query heads ({hq}) must be a multiple of the key/value heads ({hkv}).")));
    }
    let rep = hq / hkv;
    let qs = mx::multiply(q, scale)?;
    let qs = mx::reshape(&qs, &[b as i32, hkv as i32, rep as i32, l as i32, dq as i32])?;
    let kt = mx::expand_dims(&mx::swapaxes(k, -1, -2)?, 2)?;
    let vv = mx::expand_dims(v, 2)?;
    let mut scores = mx::matmul(&qs, &kt)?; // (B, Hkv, rep, L, S)
    let to5 = |m: &Tensor| -> Result<Tensor> {
        let m = mx::broadcast_to(m, &[b, hq, l, s])?;
        mx::reshape(&m, &[b as i32, hkv as i32, rep as i32, l as i32, s as i32])
    };
    match mask {
        AttentionMask::None => {}
        AttentionMask::Causal => {
            let rows = mx::reshape(&mx::arange(0, l as i64, 1, Dtype::Int32)?, &[-1, 1])?;
            let cols = mx::arange(0, s as i64, 1, Dtype::Int32)?;
            let keep = mx::less_equal(&cols, &mx::add(&rows, (s as i64 - l as i64) as i32)?)?;
            scores = mx::r#where(&keep, &scores, f64::NEG_INFINITY)?;
        }
        AttentionMask::Array(m) if m.dtype() == Dtype::Bool => {
            scores = mx::r#where(&to5(m)?, &scores, f64::NEG_INFINITY)?;
        }
        AttentionMask::Array(m) => {
            scores = mx::add(&scores, &to5(&mx::astype(m, scores.dtype())?)?)?;
        }
    }
    let p = mx::softmax(&scores, -1)?;
    let out = mx::matmul(&p, &vv)?; // (B, Hkv, rep, L, Dv)
    let dv = v.shape()[3];
    mx::reshape(&out, &[b as i32, hq as i32, l as i32, dv as i32])
}
