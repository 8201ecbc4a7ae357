//! Norms and the cross product: compositions of reductions (MLX's `linalg::norm` and
//! `linalg::cross`), with the 2-norm and nuclear norm of matrices from singular values.

use mlx_ops::{shape::normalize_axes, Dtype, Error, LinalgOp, Result};

use super::factor;
use crate::{Axes, Tensor};

/// Which norm (`ord` of `mx.linalg.norm`): `Default` (None: 2-norm of vectors, Frobenius of
/// matrices), a number `P(p)` (`p` may be `inf`/`-inf`), `Fro` or `Nuc`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormOrd {
    Default,
    P(f64),
    Fro,
    Nuc,
}

impl From<f64> for NormOrd {
    fn from(p: f64) -> Self {
        NormOrd::P(p)
    }
}
impl From<i32> for NormOrd {
    fn from(p: i32) -> Self {
        NormOrd::P(p as f64)
    }
}
impl From<Option<f64>> for NormOrd {
    fn from(p: Option<f64>) -> Self {
        p.map_or(NormOrd::Default, NormOrd::P)
    }
}

/// Integers and bools become float32; floats keep their dtype.
fn at_least_float(d: Dtype) -> Dtype {
    if d.is_inexact() && !d.is_complex() {
        d
    } else if d.is_complex() {
        Dtype::Float32
    } else {
        Dtype::Float32
    }
}

/// `sqrt(sum(|a|^2))` over `axes`.
fn l2(a: &Tensor, axes: &[i32], keepdims: bool) -> Result<Tensor> {
    let sq = if a.dtype().is_complex() { crate::square(&crate::abs(a)?)? } else { crate::square(a)? };
    crate::sqrt(&crate::sum(&sq, axes.to_vec(), keepdims)?)
}

/// Vector or matrix norm (`mx.linalg.norm`) over `axis` (`Axes::All`: every axis, which must
/// be 1 or 2 of them unless `ord` is `Default`, when the flattened array's 2-norm is taken).
///
/// Vector norms: `p = 0` counts nonzeros, `inf`/`-inf` are max/min of `|a|`, otherwise
/// `(sum |a|^p)^(1/p)`. Matrix norms: `1`/`-1` (max/min column sum), `inf`/`-inf` (max/min row
/// sum), `2`/`-2` (largest/smallest singular value), `Fro`, `Nuc` (sum of singular values).
/// Integer inputs give float32.
///
/// # Errors
/// `[linalg::norm]` for more than 2 axes, `Fro`/`Nuc` over other than 2 axes, or a matrix
/// `ord` MLX does not define; axis errors as the reductions.
pub fn norm(a: &Tensor, ord: impl Into<NormOrd>, axis: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    let op = "linalg::norm";
    let ord = ord.into();
    let axis = axis.into();
    let ax: Vec<i32> = match (&axis, ord) {
        (Axes::All, NormOrd::Default) => {
            let flat = crate::reshape(a, &[-1])?;
            let r = l2(&flat, &[0], false)?;
            if keepdims {
                return crate::reshape(&r, &vec![1; a.ndim()]);
            }
            return Ok(r);
        }
        (Axes::All, _) => (0..a.ndim() as i32).collect(),
        (Axes::These(v), _) => v.clone(),
    };
    match ord {
        NormOrd::Fro | NormOrd::Nuc if ax.len() != 2 => {
            let name = if ord == NormOrd::Fro { "fro" } else { "nuc" };
            return Err(Error::invalid(
                op,
                format!("Norm '{name}' only supported for matrices, but received {} axis/axes.", ax.len()),
            ));
        }
        _ => {}
    }
    if ax.len() > 2 || ax.is_empty() {
        return Err(Error::invalid(op, "Received too many axes for norm."));
    }
    normalize_axes(op, &ax, a.ndim())?;
    let dtype = at_least_float(a.dtype());
    let cast = |t: Tensor| crate::astype(&t, dtype);
    let abs = || crate::abs(a);
    match (ord, ax.len()) {
        (NormOrd::Default | NormOrd::Fro, _) => l2(a, &ax, keepdims),
        (NormOrd::P(p), 1) => {
            if p == 0.0 {
                cast(crate::sum(&crate::not_equal(a, 0i32)?, ax, keepdims)?)
            } else if p == 1.0 {
                cast(crate::sum(&abs()?, ax, keepdims)?)
            } else if p == 2.0 {
                l2(a, &ax, keepdims)
            } else if p == f64::INFINITY {
                cast(crate::max(&abs()?, ax, keepdims)?)
            } else if p == f64::NEG_INFINITY {
                cast(crate::min(&abs()?, ax, keepdims)?)
            } else {
                let x = cast(abs()?)?;
                let pw = crate::power(&x, &crate::astype(&Tensor::scalar(p), dtype)?)?;
                let s = crate::sum(&pw, ax, keepdims)?;
                crate::power(&s, &crate::astype(&Tensor::scalar(1.0 / p), dtype)?)
            }
        }
        (NormOrd::P(p), _) => matrix_norm(a, p, &ax, keepdims, dtype),
        (NormOrd::Nuc, _) => singular_norm(a, &ax, keepdims, |s| crate::sum(s, -1, false)),
    }
}

fn matrix_norm(a: &Tensor, p: f64, ax: &[i32], keepdims: bool, dtype: Dtype) -> Result<Tensor> {
    let nd = a.ndim() as i32;
    let norm_ax = |x: i32| if x < 0 { x + nd } else { x };
    let (mut row, mut col) = (norm_ax(ax[0]), norm_ax(ax[1]));
    let abs = crate::abs(a)?;
    let cast = |t: Tensor| crate::astype(&t, dtype);
    if p == 1.0 || p == -1.0 {
        // Column sums (over rows), then the extremum over columns.
        col -= (!keepdims && col > row) as i32;
        let s = crate::sum(&abs, row, keepdims)?;
        return cast(if p > 0.0 { crate::max(&s, col, keepdims)? } else { crate::min(&s, col, keepdims)? });
    }
    if p.is_infinite() {
        row -= (!keepdims && row > col) as i32;
        let s = crate::sum(&abs, col, keepdims)?;
        return cast(if p > 0.0 { crate::max(&s, row, keepdims)? } else { crate::min(&s, row, keepdims)? });
    }
    if p == 2.0 {
        return singular_norm(a, ax, keepdims, |s| crate::max(s, -1, false));
    }
    if p == -2.0 {
        return singular_norm(a, ax, keepdims, |s| crate::min(s, -1, false));
    }
    Err(Error::invalid("linalg::norm", format!("Invalid ord {} for matrix norm.", fmt_ord(p))))
}

/// `p` as MLX prints it (`3`, `0.5`).
fn fmt_ord(p: f64) -> String {
    if p.fract() == 0.0 && p.is_finite() {
        format!("{}", p as i64)
    } else {
        format!("{p}")
    }
}

/// `reduce` of the singular values of the matrices spanned by `ax`.
fn singular_norm(a: &Tensor, ax: &[i32], keepdims: bool, reduce: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let axes = normalize_axes("linalg::norm", ax, a.ndim())?;
    if axes.len() != 2 || ax.len() != 2 {
        return Err(Error::invalid("linalg::norm", "Repeated axes in norm."));
    }
    let (r, c) = (ax[0], ax[1]);
    let nd = a.ndim() as i32;
    let (r, c) = (if r < 0 { r + nd } else { r }, if c < 0 { c + nd } else { c });
    // Move the row axis, then the column axis, to the end.
    let mut perm: Vec<i32> = (0..nd).filter(|&i| i != r && i != c).collect();
    perm.push(r);
    perm.push(c);
    let x = crate::transpose(a, perm)?;
    let s = factor(LinalgOp::Svd { compute_uv: false }, &x)?.remove(0);
    let out = reduce(&s)?;
    if keepdims {
        let mut both = [r, c];
        both.sort();
        crate::expand_dims(&out, both.to_vec())
    } else {
        Ok(out)
    }
}

/// Cross product of 3-vectors (2-vectors get a zero third component) along `axis`
/// (`mx.linalg.cross`); the other axes broadcast.
///
/// # Errors
/// `[linalg::cross]` when the axis has a size other than 2 or 3 in either input, or the
/// shapes do not broadcast.
pub fn cross(a: &Tensor, b: &Tensor, axis: i32) -> Result<Tensor> {
    let op = "linalg::cross";
    let ia = mlx_ops::shape::normalize_axis(op, axis, a.ndim())?;
    let ib = mlx_ops::shape::normalize_axis(op, axis, b.ndim())?;
    let (na, nb) = (a.shape()[ia], b.shape()[ib]);
    if !matches!(na, 2 | 3) || !matches!(nb, 2 | 3) {
        return Err(Error::invalid(op, "The input arrays must have either 2 or 3 elements along the given axis."));
    }
    let dtype = mlx_ops::promote(a.dtype(), b.dtype());
    let pad = |x: &Tensor, i: usize| -> Result<Tensor> {
        let x = crate::astype(x, dtype)?;
        if x.shape()[i] == 3 {
            return Ok(x);
        }
        let mut zshape = x.shape().to_vec();
        zshape[i] = 1;
        crate::concatenate(&[x, crate::zeros(&zshape, dtype)?], i as i32)
    };
    let (a, b) = (pad(a, ia)?, pad(b, ib)?);
    let comp = |x: &Tensor, i: usize, k: i64| -> Result<Tensor> {
        let nd = x.ndim();
        let mut start = vec![0i64; nd];
        let mut stop: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
        start[i] = k;
        stop[i] = k + 1;
        crate::slice(x, &start, &stop, &vec![1; nd])
    };
    let (a0, a1, a2) = (comp(&a, ia, 0)?, comp(&a, ia, 1)?, comp(&a, ia, 2)?);
    let (b0, b1, b2) = (comp(&b, ib, 0)?, comp(&b, ib, 1)?, comp(&b, ib, 2)?);
    let m = |x: &Tensor, y: &Tensor| crate::multiply(x, y);
    let c0 = crate::subtract(&m(&a1, &b2)?, &m(&a2, &b1)?)?;
    let c1 = crate::subtract(&m(&a2, &b0)?, &m(&a0, &b2)?)?;
    let c2 = crate::subtract(&m(&a0, &b1)?, &m(&a1, &b0)?)?;
    let out_axis = if axis < 0 { axis } else { axis };
    crate::concatenate(&[c0, c1, c2], out_axis)
}
