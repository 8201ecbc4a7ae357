//! Shape ops. reshape, transpose, broadcast_to and slice are view primitives (no copy when the
//! layout allows); squeeze, expand_dims and flatten are reshapes; concatenate copies.

use mlx_ops::shape::{fmt_shape, normalize_axes, normalize_axis, size_of};
use mlx_ops::{promote, Error, Primitive, Result};

use crate::ops::Axes;
use crate::{astype, Tensor};

/// Same elements in a new shape; one entry may be -1 and is inferred (`mx.reshape`).
///
/// # Errors
/// `[reshape]` when the sizes differ or more than one -1 is given.
pub fn reshape(x: &Tensor, shape: &[i32]) -> Result<Tensor> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if infer.replace(i).is_some() {
                return Err(Error::invalid("reshape", "Reshape can only infer one dimension."));
            }
        } else if d < 0 {
            return Err(Error::invalid("reshape", format!("Invalid dimension {d} in shape.")));
        } else {
            known *= d as usize;
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = infer {
        if known == 0 {
            return Err(Error::invalid("reshape", "Cannot infer the shape of an empty array"));
        }
        if x.size() % known != 0 {
            let shown: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            return Err(Error::invalid(
                "reshape",
                format!("Cannot reshape array of size {} into shape ({}).", x.size(), shown.join(",")),
            ));
        }
        out[i] = x.size() / known;
    }
    reshape_usize(x, &out)
}

/// `reshape` with an explicit shape; returns `x` itself when the shape is unchanged.
pub(crate) fn reshape_usize(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if x.shape() == shape {
        return Ok(x.clone());
    }
    Tensor::from_primitive(Primitive::Reshape { shape: shape.to_vec() }, vec![x.clone()])
}

/// Flattens axes `start_axis..=end_axis` into one (`mx.flatten`; `0, -1` flattens all). Axes
/// out of range are clamped, as MLX.
///
/// # Errors
/// `[flatten]` when the (clamped) start comes after the end.
pub fn flatten(x: &Tensor, start_axis: i32, end_axis: i32) -> Result<Tensor> {
    if x.ndim() == 0 {
        return reshape_usize(x, &[1]);
    }
    // As MLX: negatives count from the end, then the range is clamped to the axes.
    let nd = x.ndim() as i64;
    let norm = |a: i32| if a < 0 { a as i64 + nd } else { a as i64 };
    let (s, e) = (norm(start_axis).max(0), norm(end_axis).min(nd - 1));
    if s > e {
        return Err(Error::invalid("flatten", "start_axis must be less than or equal to end_axis"));
    }
    let (s, e) = (s as usize, e as usize);
    let mut shape = x.shape()[..s].to_vec();
    shape.push(size_of(&x.shape()[s..=e]));
    shape.extend_from_slice(&x.shape()[e + 1..]);
    reshape_usize(x, &shape)
}

/// Permutes axes (`mx.transpose`); `Axes::All` reverses them.
///
/// # Errors
/// `[transpose]` for a wrong number of axes, an out-of-range or repeated axis.
pub fn transpose(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    let perm: Vec<usize> = match axes.into() {
        Axes::All => (0..x.ndim()).rev().collect(),
        Axes::These(a) => {
            if a.len() != x.ndim() {
                return Err(Error::invalid(
                    "transpose",
                    format!("Received {} axes for array with {} dimensions.", a.len(), x.ndim()),
                ));
            }
            a.iter().map(|&i| normalize_axis("transpose", i, x.ndim())).collect::<Result<_>>()?
        }
    };
    Tensor::from_primitive(Primitive::Transpose { perm }, vec![x.clone()])
}

/// Swaps two axes.
pub fn swapaxes(x: &Tensor, axis1: i32, axis2: i32) -> Result<Tensor> {
    let a = normalize_axis("swapaxes", axis1, x.ndim())?;
    let b = normalize_axis("swapaxes", axis2, x.ndim())?;
    let mut perm: Vec<i32> = (0..x.ndim() as i32).collect();
    perm.swap(a, b);
    transpose(x, perm)
}

/// Broadcasts to `shape` with NumPy rules (a view).
///
/// # Errors
/// `[broadcast_shapes]` when `x` cannot broadcast to `shape`.
pub fn broadcast_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if x.shape() == shape {
        return Ok(x.clone());
    }
    Tensor::from_primitive(Primitive::BroadcastTo { shape: shape.to_vec() }, vec![x.clone()])
}

/// Removes size-1 axes (`Axes::All`: every size-1 axis).
///
/// # Errors
/// `[squeeze]` when a named axis is out of range, repeated, or not of size 1.
pub fn squeeze(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    let axes: Vec<usize> = match axes.into() {
        Axes::All => (0..x.ndim()).filter(|&i| x.shape()[i] == 1).collect(),
        Axes::These(a) => normalize_axes("squeeze", &a, x.ndim())?,
    };
    for &a in &axes {
        if x.shape()[a] != 1 {
            return Err(Error::invalid(
                "squeeze",
                format!("Cannot squeeze axis {a} with size {} which is not equal to 1.", x.shape()[a]),
            ));
        }
    }
    let shape: Vec<usize> = (0..x.ndim()).filter(|i| !axes.contains(i)).map(|i| x.shape()[i]).collect();
    reshape_usize(x, &shape)
}

/// Inserts size-1 axes at `axes` (positions in the output; negative count from its end).
///
/// # Errors
/// `[expand_dims]` for an out-of-range or repeated axis.
pub fn expand_dims(x: &Tensor, axes: impl Into<Axes>) -> Result<Tensor> {
    let Axes::These(axes) = axes.into() else {
        return Err(Error::invalid("expand_dims", "Axes must be given."));
    };
    let out_ndim = x.ndim() + axes.len();
    let mut norm = Vec::with_capacity(axes.len());
    for &a in &axes {
        let n = out_ndim as i64;
        if (a as i64) < -n || (a as i64) >= n {
            return Err(Error::invalid(
                "expand_dims",
                format!("Axis {a} is out of bounds for array with {out_ndim} dimensions."),
            ));
        }
        norm.push(if a < 0 { (a as i64 + n) as usize } else { a as usize });
    }
    norm.sort_unstable();
    if norm.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid("expand_dims", "Received duplicate axes."));
    }
    let mut src = x.shape().iter();
    let shape: Vec<usize> =
        (0..out_ndim).map(|i| if norm.contains(&i) { 1 } else { *src.next().expect("invariant: ranks add up") }).collect();
    reshape_usize(x, &shape)
}

/// Python-style slice of one axis of length `n`: clamps like `range(n)[start:stop:step]`;
/// `i64::MIN`/`i64::MAX` stand for an omitted bound. Returns (first index, length).
fn resolve_slice(n: usize, start: i64, stop: i64, step: i64) -> (usize, usize) {
    let n = n as i64;
    let norm = |v: i64, lo: i64, hi: i64| -> i64 {
        let v = if v < 0 && v != i64::MIN { v.saturating_add(n) } else { v };
        v.clamp(lo, hi)
    };
    let (first, len) = if step > 0 {
        let a = if start == i64::MIN { 0 } else { norm(start, 0, n) };
        let b = if stop == i64::MAX { n } else { norm(stop, 0, n) };
        (a, if b > a { (b - a + step - 1) / step } else { 0 })
    } else {
        let a = if start == i64::MAX || start == i64::MIN { n - 1 } else { norm(start, -1, n - 1) };
        let b = if stop == i64::MIN || stop == i64::MAX { -1 } else { norm(stop, -1, n - 1) };
        (a, if a > b { (a - b + (-step) - 1) / (-step) } else { 0 })
    };
    (first.max(0) as usize, len as usize)
}

/// `x[start0:stop0:step0, start1:stop1:step1, ...]` with Python semantics (a view). Axes not
/// named (the lists may be shorter than `ndim`) are kept whole; out-of-range bounds clamp.
///
/// # Errors
/// `[slice]` for a zero step, lists of unequal length, or more entries than axes.
pub fn slice(x: &Tensor, start: &[i64], stop: &[i64], step: &[i64]) -> Result<Tensor> {
    if start.len() != stop.len() || start.len() != step.len() {
        return Err(Error::invalid("slice", "start, stop and step must have the same length."));
    }
    if start.len() > x.ndim() {
        return Err(Error::invalid("slice", format!("Too many indices for array with {} dimensions.", x.ndim())));
    }
    let (mut first, mut steps, mut shape) = (vec![], vec![], vec![]);
    for (i, &n) in x.shape().iter().enumerate() {
        let (a, b, s) = if i < start.len() { (start[i], stop[i], step[i]) } else { (0, i64::MAX, 1) };
        if s == 0 {
            return Err(Error::invalid("slice", "Slice step cannot be zero."));
        }
        let (f, len) = resolve_slice(n, a, b, s);
        first.push(if len == 0 { 0 } else { f });
        steps.push(s as isize);
        shape.push(len);
    }
    Tensor::from_primitive(Primitive::Slice { start: first, step: steps, shape }, vec![x.clone()])
}

/// Joins arrays along `axis` (`mx.concatenate`); dtypes are promoted.
///
/// # Errors
/// `[concatenate]` for no inputs, a bad axis, or shapes that differ off the axis.
pub fn concatenate<T: AsRef<Tensor>>(arrays: &[T], axis: i32) -> Result<Tensor> {
    let Some(first) = arrays.first() else {
        return Err(Error::invalid("concatenate", "No arrays provided for concatenation"));
    };
    let first = first.as_ref();
    let ndim = first.ndim();
    let axis = normalize_axis("concatenate", axis, ndim.max(1)).and_then(|a| {
        if ndim == 0 {
            Err(Error::invalid("concatenate", "Cannot concatenate 0-d arrays."))
        } else {
            Ok(a)
        }
    })?;
    for a in arrays {
        if a.as_ref().ndim() != ndim {
            let shapes: Vec<String> = arrays.iter().map(|t| fmt_shape(t.as_ref().shape())).collect();
            return Err(Error::invalid(
                "concatenate",
                format!(
                    "All the input arrays must have the same number of dimensions. However, got arrays with shapes {}.",
                    shapes.join(", ")
                ),
            ));
        }
    }
    let dtype = arrays.iter().map(|t| t.as_ref().dtype()).reduce(promote).expect("invariant: non-empty");
    let inputs: Vec<Tensor> = arrays.iter().map(|t| astype(t.as_ref(), dtype)).collect::<Result<_>>()?;
    if inputs.len() == 1 {
        return Ok(inputs.into_iter().next().expect("invariant: one input"));
    }
    Tensor::from_primitive(Primitive::Concatenate { axis }, inputs)
}

/// A row-contiguous copy of `x` (`mx.contiguous`).
pub fn contiguous(x: &Tensor) -> Result<Tensor> {
    Tensor::from_primitive(Primitive::Copy, vec![x.clone()])
}

/// `x` itself, with a zero derivative (`mx.stop_gradient`): transforms treat it as a constant.
pub fn stop_gradient(x: &Tensor) -> Result<Tensor> {
    Tensor::from_primitive(Primitive::StopGradient, vec![x.clone()])
}

impl AsRef<Tensor> for Tensor {
    fn as_ref(&self) -> &Tensor {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_slice;

    #[test]
    fn python_slices() {
        assert_eq!(resolve_slice(5, 1, 4, 1), (1, 3));
        assert_eq!(resolve_slice(5, -2, i64::MAX, 1), (3, 2));
        assert_eq!(resolve_slice(5, i64::MAX, i64::MIN, -1), (4, 5));
        assert_eq!(resolve_slice(5, 4, 0, -2), (4, 2));
        assert_eq!(resolve_slice(5, 10, -10, -3), (4, 2));
        assert_eq!(resolve_slice(5, 3, 1, 1), (3, 0));
        assert_eq!(resolve_slice(0, 0, 3, 1), (0, 0));
    }
}
