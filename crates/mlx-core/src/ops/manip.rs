//! Shape manipulation built from the view primitives and concatenate (no primitive of its own):
//! moveaxis, unflatten, broadcast_arrays, stack/unstack, split, tile, repeat, pad, roll, flip,
//! atleast_1d/2d/3d, diff and meshgrid. Each keeps the input dtype unless it says otherwise.

use mlx_ops::shape::{broadcast_shapes, normalize_axis, size_of};
use mlx_ops::{Error, Result, Scalar};

use crate::ops::Axes;
use crate::{broadcast_to, concatenate, expand_dims, full, reshape_usize, slice, squeeze, subtract, transpose, Tensor};

/// `slice` of one axis: `x[.., start:stop:step, ..]` (Python bounds; `i64::MAX`/`MIN` = open).
pub(crate) fn slice_axis(x: &Tensor, axis: usize, start: i64, stop: i64, step: i64) -> Result<Tensor> {
    let n = x.ndim();
    let (mut a, mut b, mut s) = (vec![0i64; n], vec![i64::MAX; n], vec![1i64; n]);
    a[axis] = start;
    b[axis] = stop;
    s[axis] = step;
    slice(x, &a, &b, &s)
}

/// Moves axis `source` to position `destination` (`mx.moveaxis`), a view.
///
/// # Errors
/// `[moveaxis]` for an axis out of range.
pub fn moveaxis(x: &Tensor, source: i32, destination: i32) -> Result<Tensor> {
    let s = normalize_axis("moveaxis", source, x.ndim())?;
    let d = normalize_axis("moveaxis", destination, x.ndim())?;
    let mut perm: Vec<i32> = (0..x.ndim() as i32).filter(|&a| a != s as i32).collect();
    perm.insert(d, s as i32);
    transpose(x, perm)
}

/// Splits `axis` into `shape` (one entry may be -1) (`mx.unflatten`).
///
/// # Errors
/// `[unflatten]` for a bad axis, an empty shape, more than one -1, or sizes that do not match.
pub fn unflatten(x: &Tensor, axis: i32, shape: &[i32]) -> Result<Tensor> {
    let a = normalize_axis("unflatten", axis, x.ndim())?;
    if shape.is_empty() {
        return Err(Error::invalid("unflatten", "Shape to unflatten to cannot be empty."));
    }
    let n = x.shape()[a];
    let (mut infer, mut known) = (None, 1usize);
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if infer.replace(i).is_some() {
                return Err(Error::invalid("unflatten", "Can only infer one dimension."));
            }
        } else if d < 0 {
            return Err(Error::invalid("unflatten", format!("Invalid dimension {d}.")));
        } else {
            known *= d as usize;
        }
    }
    let mut dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = infer {
        if known == 0 || !n.is_multiple_of(known) {
            return Err(Error::invalid("unflatten", format!("Cannot unflatten axis {a} with size {n} into {shape:?}.")));
        }
        dims[i] = n / known;
    }
    if size_of(&dims) != n {
        return Err(Error::invalid("unflatten", format!("Cannot unflatten axis {a} with size {n} into {shape:?}.")));
    }
    let mut out = x.shape()[..a].to_vec();
    out.extend(dims);
    out.extend_from_slice(&x.shape()[a + 1..]);
    reshape_usize(x, &out)
}

/// Broadcasts all arrays to their common shape (`mx.broadcast_arrays`).
///
/// # Errors
/// `[broadcast_shapes]` when the shapes do not broadcast.
pub fn broadcast_arrays<T: AsRef<Tensor>>(arrays: &[T]) -> Result<Vec<Tensor>> {
    let mut shape: Vec<usize> = vec![];
    for a in arrays {
        shape = broadcast_shapes(&shape, a.as_ref().shape())?;
    }
    arrays.iter().map(|a| broadcast_to(a.as_ref(), &shape)).collect()
}

/// Joins arrays of one shape along a new `axis` (`mx.stack`); dtypes promote.
///
/// # Errors
/// `[stack]` for no arrays or unequal shapes; a bad axis.
pub fn stack<T: AsRef<Tensor>>(arrays: &[T], axis: i32) -> Result<Tensor> {
    let Some(first) = arrays.first() else {
        return Err(Error::invalid("stack", "No arrays provided for stacking"));
    };
    let shape = first.as_ref().shape().to_vec();
    if arrays.iter().any(|a| a.as_ref().shape() != shape) {
        return Err(Error::invalid("stack", "All arrays must have the same shape"));
    }
    let nd = shape.len() as i32 + 1;
    if axis < -nd || axis >= nd {
        return Err(Error::invalid("stack", format!("Invalid axis {axis} for array with {nd} dimensions.")));
    }
    let ex: Vec<Tensor> = arrays.iter().map(|a| expand_dims(a.as_ref(), axis)).collect::<Result<_>>()?;
    concatenate(&ex, axis)
}

/// Splits `x` along `axis` into its slices, each without the axis (`mx.unstack`).
///
/// # Errors
/// `[unstack]` for a 0-d array or a bad axis.
pub fn unstack(x: &Tensor, axis: i32) -> Result<Vec<Tensor>> {
    if x.ndim() == 0 {
        return Err(Error::invalid("unstack", "No axis to unstack."));
    }
    let a = normalize_axis("unstack", axis, x.ndim())?;
    (0..x.shape()[a] as i64).map(|i| squeeze(&slice_axis(x, a, i, i + 1, 1)?, a as i32)).collect()
}

/// How `split` divides an axis: into `Sections(n)` equal parts, or at the given `Indices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitArg {
    Sections(usize),
    Indices(Vec<i64>),
}
impl From<usize> for SplitArg {
    fn from(n: usize) -> Self {
        SplitArg::Sections(n)
    }
}
impl From<i32> for SplitArg {
    fn from(n: i32) -> Self {
        SplitArg::Sections(n.max(0) as usize)
    }
}
impl From<Vec<i64>> for SplitArg {
    fn from(v: Vec<i64>) -> Self {
        SplitArg::Indices(v)
    }
}
impl From<&[i64]> for SplitArg {
    fn from(v: &[i64]) -> Self {
        SplitArg::Indices(v.to_vec())
    }
}

/// Splits `x` along `axis` (`mx.split`): into `n` equal sections, or at indices (Python slice
/// bounds: negative count from the end, out-of-range clamp). Each part is a view.
///
/// # Errors
/// `[split]` for a bad axis, zero sections, or sections that do not divide the axis.
pub fn split(x: &Tensor, indices_or_sections: impl Into<SplitArg>, axis: i32) -> Result<Vec<Tensor>> {
    let a = normalize_axis("split", axis, x.ndim())?;
    let n = x.shape()[a];
    let bounds: Vec<i64> = match indices_or_sections.into() {
        SplitArg::Sections(k) => {
            if k == 0 || !n.is_multiple_of(k) {
                return Err(Error::invalid("split", "Array split does not result in sub arrays with equal size"));
            }
            (1..k).map(|i| (i * n / k) as i64).collect()
        }
        SplitArg::Indices(v) => v,
    };
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut prev = 0i64;
    for &b in &bounds {
        out.push(slice_axis(x, a, prev, b, 1)?);
        prev = b;
    }
    out.push(slice_axis(x, a, prev, i64::MAX, 1)?);
    Ok(out)
}

/// Repeats the whole array `reps[i]` times along axis i (`mx.tile`); the shorter of `x.shape`
/// and `reps` is padded with leading ones.
///
/// # Errors
/// `[tile]` for a negative repetition.
pub fn tile(x: &Tensor, reps: &[i32]) -> Result<Tensor> {
    if reps.iter().any(|&r| r < 0) {
        return Err(Error::invalid("tile", "Repetitions must be non-negative."));
    }
    let nd = x.ndim().max(reps.len());
    let mut shape = vec![1usize; nd - x.ndim()];
    shape.extend_from_slice(x.shape());
    let mut r = vec![1usize; nd - reps.len()];
    r.extend(reps.iter().map(|&v| v as usize));
    let inter: Vec<usize> = shape.iter().flat_map(|&d| [1, d]).collect();
    let big: Vec<usize> = shape.iter().zip(&r).flat_map(|(&d, &k)| [k, d]).collect();
    let out: Vec<usize> = shape.iter().zip(&r).map(|(&d, &k)| d * k).collect();
    reshape_usize(&broadcast_to(&reshape_usize(x, &inter)?, &big)?, &out)
}

/// Repeats each element `repeats` times along `axis` (`None`: flattened) (`mx.repeat`).
///
/// # Errors
/// `[repeat]` for a negative count or a bad axis.
pub fn repeat(x: &Tensor, repeats: i32, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    if repeats < 0 {
        return Err(Error::invalid("repeat", "Number of repeats cannot be negative"));
    }
    let (x, a) = match axis.into() {
        None => (reshape_usize(x, &[x.size()])?, 0),
        Some(a) => (x.clone(), normalize_axis("repeat", a, x.ndim())?),
    };
    let mut inter = x.shape().to_vec();
    inter.insert(a + 1, 1);
    let mut big = x.shape().to_vec();
    big.insert(a + 1, repeats as usize);
    let mut out = x.shape().to_vec();
    out[a] *= repeats as usize;
    reshape_usize(&broadcast_to(&reshape_usize(&x, &inter)?, &big)?, &out)
}

/// How `pad` fills the new elements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadMode {
    /// A constant value (cast to the array's dtype).
    Constant(Scalar),
    /// Repeats the edge element.
    Edge,
    /// Mirrors without repeating the edge (`[1,2,3]` -> `[3,2,1,2,3]` for 2 before).
    Reflect,
    /// Mirrors repeating the edge (`[1,2,3]` -> `[2,1,1,2,3]` for 2 before).
    Symmetric,
}

/// Pads each axis with `pad_width[i] = (before, after)` elements (`mx.pad`); a single pair
/// applies to every axis.
///
/// # Errors
/// `[pad]` for a width list whose length is neither 1 nor `ndim`, or (reflect/symmetric) a
/// width larger than the axis allows, or an empty axis padded by edge/reflect/symmetric.
pub fn pad(x: &Tensor, pad_width: &[(usize, usize)], mode: PadMode) -> Result<Tensor> {
    let nd = x.ndim();
    let widths: Vec<(usize, usize)> = match pad_width.len() {
        1 => vec![pad_width[0]; nd],
        n if n == nd => pad_width.to_vec(),
        n => {
            return Err(Error::invalid(
                "pad",
                format!("Invalid number of padding sizes passed to pad with axes of size {n} for array with {nd} dimensions."),
            ))
        }
    };
    let mut y = x.clone();
    for (a, &(lo, hi)) in widths.iter().enumerate() {
        if lo == 0 && hi == 0 {
            continue;
        }
        let n = y.shape()[a];
        let (before, after) = match mode {
            PadMode::Constant(v) => {
                let mut s = y.shape().to_vec();
                s[a] = lo;
                let b = full(&s, v, y.dtype())?;
                s[a] = hi;
                (b, full(&s, v, y.dtype())?)
            }
            _ if n == 0 => return Err(Error::invalid("pad", "Cannot pad an empty axis with this mode.")),
            PadMode::Edge => {
                let mut s = y.shape().to_vec();
                s[a] = lo;
                let first = broadcast_to(&slice_axis(&y, a, 0, 1, 1)?, &s)?;
                s[a] = hi;
                (first, broadcast_to(&slice_axis(&y, a, n as i64 - 1, n as i64, 1)?, &s)?)
            }
            PadMode::Reflect | PadMode::Symmetric => {
                // Wider than the axis allows: pad in rounds, each reflecting the result so far
                // (NumPy's and MLX's periodic reflection).
                let sym = mode == PadMode::Symmetric;
                let (mut lo, mut hi) = (lo, hi);
                while lo > 0 || hi > 0 {
                    let n = y.shape()[a];
                    let limit = if sym { n } else { n - 1 };
                    if limit == 0 {
                        return Err(Error::invalid("pad", "Cannot reflect an axis of size 1."));
                    }
                    let (l, h) = (lo.min(limit), hi.min(limit));
                    y = reflect_once(&y, a, l, h, sym)?;
                    (lo, hi) = (lo - l, hi - h);
                }
                continue;
            }
        };
        y = concatenate(&[before, y, after], a as i32)?;
    }
    Ok(y)
}

/// One reflection round: `lo`/`hi` at most the axis length (symmetric) or one less (reflect).
fn reflect_once(y: &Tensor, a: usize, lo: usize, hi: usize, sym: bool) -> Result<Tensor> {
    let (lo, hi, n) = (lo as i64, hi as i64, y.shape()[a] as i64);
    // A negative stop would wrap (Python bounds): it means "through index 0".
    let open = |v: i64| if v < 0 { i64::MIN } else { v };
    let empty = slice_axis(y, a, 0, 0, 1)?;
    let before = if lo == 0 {
        empty.clone()
    } else if sym {
        slice_axis(y, a, lo - 1, i64::MIN, -1)?
    } else {
        slice_axis(y, a, lo, 0, -1)?
    };
    let after = if hi == 0 {
        empty
    } else if sym {
        slice_axis(y, a, n - 1, open(n - 1 - hi), -1)?
    } else {
        slice_axis(y, a, n - 2, open(n - 2 - hi), -1)?
    };
    concatenate(&[before, y.clone(), after], a as i32)
}

/// Shifts elements by `shift` along `axes` with wrap-around (`mx.roll`); `Axes::All` rolls the
/// flattened array. A single shift applies to every axis given.
///
/// # Errors
/// `[roll]` for a bad axis or a shift list whose length differs from the axes'.
pub fn roll(x: &Tensor, shift: &[i64], axes: impl Into<Axes>) -> Result<Tensor> {
    match axes.into() {
        Axes::All => {
            if shift.len() != 1 {
                return Err(Error::invalid("roll", "Exactly one shift must be given without axes."));
            }
            let flat = reshape_usize(x, &[x.size()])?;
            reshape_usize(&roll_axis(&flat, 0, shift[0])?, x.shape())
        }
        Axes::These(axes) => {
            let shifts: Vec<i64> = match shift.len() {
                1 => vec![shift[0]; axes.len()],
                n if n == axes.len() => shift.to_vec(),
                _ => return Err(Error::invalid("roll", "Shift and axes must have the same number of elements.")),
            };
            let mut y = x.clone();
            for (&a, &s) in axes.iter().zip(&shifts) {
                let a = normalize_axis("roll", a, x.ndim())?;
                y = roll_axis(&y, a, s)?;
            }
            Ok(y)
        }
    }
}

fn roll_axis(x: &Tensor, axis: usize, shift: i64) -> Result<Tensor> {
    let n = x.shape()[axis] as i64;
    if n == 0 {
        return Ok(x.clone());
    }
    let s = shift.rem_euclid(n);
    if s == 0 {
        return Ok(x.clone());
    }
    concatenate(&[slice_axis(x, axis, n - s, n, 1)?, slice_axis(x, axis, 0, n - s, 1)?], axis as i32)
}

/// Reverses the order of elements along `axes` (`Axes::All`: every axis) (`mx.flip`), a view.
///
/// # Errors
/// `[flip]` for a bad or repeated axis.
pub fn flip(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    let axes = axes.into().resolve("flip", x.ndim())?;
    let nd = x.ndim();
    let (mut a, mut b, mut s) = (vec![0i64; nd], vec![i64::MAX; nd], vec![1i64; nd]);
    for &i in &axes {
        a[i] = i64::MAX;
        b[i] = i64::MIN;
        s[i] = -1;
    }
    slice(x, &a, &b, &s)
}

fn atleast(x: &Tensor, n: usize) -> Result<Tensor> {
    match (x.ndim(), n) {
        (d, n) if d >= n => Ok(x.clone()),
        (0, _) => reshape_usize(x, &vec![1; n]),
        (1, 2) | (1, 3) => {
            let mut s = vec![1, x.shape()[0]];
            if n == 3 {
                s.push(1);
            }
            reshape_usize(x, &s)
        }
        _ => reshape_usize(x, &[x.shape(), &[1][..]].concat()),
    }
}

/// `x` with at least one dimension (`mx.atleast_1d`): a 0-d array becomes shape `(1)`.
pub fn atleast_1d(x: &Tensor) -> Result<Tensor> {
    atleast(x, 1)
}
/// `x` with at least two dimensions (`mx.atleast_2d`): `(n)` becomes `(1, n)`.
pub fn atleast_2d(x: &Tensor) -> Result<Tensor> {
    atleast(x, 2)
}
/// `x` with at least three dimensions (`mx.atleast_3d`): `(n)` -> `(1, n, 1)`, `(m, n)` -> `(m, n, 1)`.
pub fn atleast_3d(x: &Tensor) -> Result<Tensor> {
    atleast(x, 3)
}

/// The `n`-th discrete difference along `axis`: `out[i] = x[i+1] - x[i]`, applied `n` times
/// (`mx.diff`). Bool uses `!=` (as NumPy and MLX). Shape: the axis shrinks by `n` (to 0 at least).
///
/// # Errors
/// `[diff]` for a 0-d array or a bad axis.
pub fn diff(x: &Tensor, n: i32, axis: i32) -> Result<Tensor> {
    if x.ndim() == 0 {
        return Err(Error::invalid("diff", "Input must be at least 1-dimensional."));
    }
    if n < 0 {
        return Err(Error::invalid("diff", format!("Order must be non-negative but got {n}.")));
    }
    let a = normalize_axis("diff", axis, x.ndim())?;
    let mut y = x.clone();
    for _ in 0..n {
        let hi = slice_axis(&y, a, 1, i64::MAX, 1)?;
        let lo = slice_axis(&y, a, 0, -1, 1)?;
        y = if y.dtype().is_bool() { crate::not_equal(&hi, &lo)? } else { subtract(&hi, &lo)? };
    }
    Ok(y)
}

/// Coordinate grids from 1-D coordinate arrays (`mx.meshgrid`). `indexing`: `"xy"` (Cartesian:
/// the first two outputs' axes swapped) or `"ij"` (matrix). `sparse` keeps size-1 axes
/// instead of broadcasting. Each input is flattened first.
///
/// # Errors
/// `[meshgrid]` for an unknown indexing.
pub fn meshgrid<T: AsRef<Tensor>>(arrays: &[T], sparse: bool, indexing: &str) -> Result<Vec<Tensor>> {
    if indexing != "xy" && indexing != "ij" {
        return Err(Error::invalid("meshgrid", "Invalid indexing value. Valid values are 'xy' and 'ij'."));
    }
    let n = arrays.len();
    let flat: Vec<Tensor> = arrays.iter().map(|a| reshape_usize(a.as_ref(), &[a.as_ref().size()])).collect::<Result<_>>()?;
    let mut outs = Vec::with_capacity(n);
    for (i, a) in flat.iter().enumerate() {
        let mut s = vec![1usize; n];
        s[i] = a.size();
        if indexing == "xy" && n > 1 && i < 2 {
            s.swap(0, 1);
        }
        outs.push(reshape_usize(a, &s)?);
    }
    if sparse {
        return Ok(outs);
    }
    broadcast_arrays(&outs)
}
