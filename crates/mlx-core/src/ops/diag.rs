//! Triangles and diagonals, all compositions: tri, tril, triu, diag, diagonal, trace.

use mlx_ops::shape::normalize_axis;
use mlx_ops::{Dtype, Error, Result};

use crate::{
    arange, astype, broadcast_to, equal, expand_dims, less_equal, r#where, reshape_usize, slice, subtract, sum, zeros, Tensor,
};

/// `(rows, cols)` int64 index grids of shape `(n, 1)` and `(m)`.
fn grid(n: usize, m: usize) -> Result<(Tensor, Tensor)> {
    let rows = expand_dims(&arange(0i64, n as i64, 1i64, Dtype::Int64)?, 1)?;
    let cols = arange(0i64, m as i64, 1i64, Dtype::Int64)?;
    Ok((rows, cols))
}

/// An `n x m` array with ones at and below the `k`-th diagonal (`j <= i + k`) and zeros
/// elsewhere (`mx.tri`; `m` defaults to `n`, dtype to float32).
pub fn tri(n: usize, m: impl Into<Option<usize>>, k: i64, dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    let m = m.into().unwrap_or(n);
    let (rows, cols) = grid(n, m)?;
    astype(&less_equal(&cols, &crate::add(&rows, k)?)?, dtype.into().unwrap_or(Dtype::Float32))
}

fn triangle(op: &str, x: &Tensor, k: i64, lower: bool) -> Result<Tensor> {
    if x.ndim() < 2 {
        return Err(Error::invalid(op, "array must be at least 2-D"));
    }
    let (n, m) = (x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1]);
    let mask = tri(n, m, if lower { k } else { k - 1 }, Dtype::Bool)?;
    let zero = zeros(&[], x.dtype())?;
    if lower {
        r#where(&mask, x, &zero)
    } else {
        r#where(&mask, &zero, x)
    }
}

/// The lower triangle of the last two axes: elements with `j > i + k` zeroed (`mx.tril`).
///
/// # Errors
/// `[tril]` for fewer than two dimensions.
pub fn tril(x: &Tensor, k: i64) -> Result<Tensor> {
    triangle("tril", x, k, true)
}

/// The upper triangle of the last two axes: elements with `j < i + k` zeroed (`mx.triu`).
///
/// # Errors
/// `[triu]` for fewer than two dimensions.
pub fn triu(x: &Tensor, k: i64) -> Result<Tensor> {
    triangle("triu", x, k, false)
}

/// The `offset`-th diagonal of the planes spanned by `axis1` and `axis2` (`mx.diagonal`):
/// those two axes are removed and the diagonal becomes the last axis.
///
/// # Errors
/// `[diagonal]` for fewer than two dimensions, equal axes or an axis out of range.
pub fn diagonal(x: &Tensor, offset: i64, axis1: i32, axis2: i32) -> Result<Tensor> {
    if x.ndim() < 2 {
        return Err(Error::invalid("diagonal", "Array must have at least two dimensions"));
    }
    let a1 = normalize_axis("diagonal", axis1, x.ndim())?;
    let a2 = normalize_axis("diagonal", axis2, x.ndim())?;
    if a1 == a2 {
        return Err(Error::invalid("diagonal", "axis1 and axis2 cannot be the same axis"));
    }
    // Move axis1, axis2 to the end (in that order), flatten them, take every (m+1)-th element.
    let mut perm: Vec<i32> = (0..x.ndim()).filter(|&a| a != a1 && a != a2).map(|a| a as i32).collect();
    perm.push(a1 as i32);
    perm.push(a2 as i32);
    let t = crate::transpose(x, perm)?;
    let nd = t.ndim();
    let (n, m) = (t.shape()[nd - 2] as i64, t.shape()[nd - 1] as i64);
    let len = if offset >= 0 { n.min(m - offset) } else { (n + offset).min(m) }.max(0);
    let mut flat = t.shape()[..nd - 2].to_vec();
    flat.push((n * m) as usize);
    let f = reshape_usize(&t, &flat)?;
    let start = if offset >= 0 { offset } else { -offset * m };
    let (mut a, mut b, mut s) = (vec![0i64; nd - 1], vec![i64::MAX; nd - 1], vec![1i64; nd - 1]);
    if len == 0 {
        (a[nd - 2], b[nd - 2]) = (0, 0);
    } else {
        a[nd - 2] = start;
        b[nd - 2] = start + (len - 1) * (m + 1) + 1;
        s[nd - 2] = m + 1;
    }
    slice(&f, &a, &b, &s)
}

/// `diag(v, k)`: for a 1-D `v`, the square matrix with `v` on its `k`-th diagonal; for a 2-D
/// array, its `k`-th diagonal (`mx.diag`).
///
/// # Errors
/// `[diag]` unless the input is 1-D or 2-D.
pub fn diag(x: &Tensor, k: i64) -> Result<Tensor> {
    match x.ndim() {
        1 => {
            let n = x.shape()[0] + k.unsigned_abs() as usize;
            let (rows, cols) = grid(n, n)?;
            let mask = equal(&subtract(&cols, &rows)?, k)?;
            let padded = crate::pad(x, &[(0, k.unsigned_abs() as usize)], crate::PadMode::Constant(0.into()))?;
            let v = if k >= 0 { expand_dims(&padded, 1)? } else { expand_dims(&padded, 0)? };
            let v = broadcast_to(&v, &[n, n])?;
            r#where(&mask, &v, &zeros(&[], x.dtype())?)
        }
        2 => diagonal(x, k, 0, 1),
        _ => Err(Error::invalid("diag", "array must be 1-D or 2-D")),
    }
}

/// Sum of the `offset`-th diagonal over `axis1`/`axis2` (`mx.trace`), cast to `dtype` when
/// given (else `sum`'s dtype rule).
///
/// # Errors
/// As [`diagonal`].
pub fn trace(x: &Tensor, offset: i64, axis1: i32, axis2: i32, dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    let s = sum(&diagonal(x, offset, axis1, axis2)?, -1, false)?;
    match dtype.into() {
        Some(d) => astype(&s, d),
        None => Ok(s),
    }
}
