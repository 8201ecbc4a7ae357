//! Sorting: sort and argsort are primitives (stable, ascending, NaN last like MLX); partition,
//! argpartition, topk and median are compositions over them. MLX leaves the order inside a
//! partition (and of topk's result) unspecified; ours is fully sorted, which is one valid answer.

use mlx_ops::shape::{fmt_shape, normalize_axis};
use mlx_ops::{Error, Primitive, Result};

use crate::ops::Axes;
use crate::{astype, divide, reshape_usize, slice, Tensor};

/// (array, axis): `None` flattens.
fn resolve(op: &str, x: &Tensor, axis: Option<i32>) -> Result<(Tensor, usize)> {
    match axis {
        None => Ok((reshape_usize(x, &[x.size()])?, 0)),
        Some(a) => Ok((x.clone(), normalize_axis(op, a, x.ndim())?)),
    }
}

/// Values sorted ascending along `axis` (`None`: the flattened array); NaN sorts last.
///
/// Shape and dtype: the input's (flattened for `None`).
///
/// # Errors
/// `[sort]` for an axis out of range.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let x = Tensor::from_slice(&[3i32, 1, 2], &[3]).unwrap();
/// assert_eq!(mx::sort(&x, -1).unwrap().to_vec::<i32>().unwrap(), vec![1, 2, 3]);
/// ```
pub fn sort(x: &Tensor, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, axis) = resolve("sort", x, axis.into())?;
    Tensor::from_primitive(Primitive::Sort { axis }, vec![x])
}

/// Indices (uint32) that sort `x` along `axis` (stable: equal values keep their order).
///
/// # Errors
/// `[argsort]` for an axis out of range.
pub fn argsort(x: &Tensor, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, axis) = resolve("argsort", x, axis.into())?;
    Tensor::from_primitive(Primitive::ArgSort { axis }, vec![x])
}

fn check_kth(op: &str, x: &Tensor, kth: i32, axis: usize) -> Result<()> {
    let n = x.shape()[axis] as i64;
    if (kth as i64) < -n || kth as i64 >= n {
        return Err(Error::invalid(
            op,
            format!("Received invalid kth {kth} along axis {axis} for array with shape: {}", fmt_shape(x.shape())),
        ));
    }
    Ok(())
}

/// Rearranges `x` along `axis` so the element at `kth` is where it would be after sorting, the
/// smaller ones before it and the larger after (ours returns the sorted array, a valid partition).
///
/// # Errors
/// `[partition]` for a bad axis or `kth` outside `-n..n`.
pub fn partition(x: &Tensor, kth: i32, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, axis) = resolve("partition", x, axis.into())?;
    check_kth("partition", &x, kth, axis)?;
    Tensor::from_primitive(Primitive::Sort { axis }, vec![x])
}

/// The indices of a partition of `x` (see [`partition`]); uint32.
///
/// # Errors
/// `[argpartition]` for a bad axis or `kth` outside `-n..n`.
pub fn argpartition(x: &Tensor, kth: i32, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, axis) = resolve("argpartition", x, axis.into())?;
    check_kth("argpartition", &x, kth, axis)?;
    Tensor::from_primitive(Primitive::ArgSort { axis }, vec![x])
}

/// The `k` largest values along `axis` (`None`: flattened); ours come in ascending order (MLX
/// leaves it unspecified). Shape: the axis becomes `k`.
///
/// # Errors
/// `[topk]` for a bad axis or `k` outside `0..=n`.
pub fn topk(x: &Tensor, k: i32, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, axis) = resolve("topk", x, axis.into())?;
    let n = x.shape()[axis];
    if k < 0 || k as usize > n {
        return Err(Error::invalid(
            "topk",
            format!("Received invalid k={k} along axis {axis} for array with shape: {}", fmt_shape(x.shape())),
        ));
    }
    let s = Tensor::from_primitive(Primitive::Sort { axis }, vec![x.clone()])?;
    let nd = s.ndim();
    let mut start = vec![0i64; nd];
    let mut stop = vec![i64::MAX; nd];
    let step = vec![1i64; nd];
    start[axis] = (n - k as usize) as i64;
    stop[axis] = n as i64;
    slice(&s, &start, &stop, &step)
}

/// The median over `axes` (`Axes::All`: every element): the middle of the sorted values, the
/// mean of the two middle ones for an even count. Integers give float32; NaN sorts last.
///
/// # Errors
/// `[median]` for a bad or repeated axis, or an empty reduction.
pub fn median(x: &Tensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
    let axes = axes.into().resolve("median", x.ndim())?;
    let dtype = x.dtype().to_inexact();
    let x = astype(x, dtype)?;
    // Reduced axes last, flattened into one, sorted.
    let kept: Vec<usize> = (0..x.ndim()).filter(|a| !axes.contains(a)).collect();
    let mut perm: Vec<i32> = kept.iter().map(|&a| a as i32).collect();
    perm.extend(axes.iter().map(|&a| a as i32));
    let t = crate::transpose(&x, perm)?;
    let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let mut shape: Vec<usize> = kept.iter().map(|&a| x.shape()[a]).collect();
    shape.push(n);
    let s = sort(&reshape_usize(&t, &shape)?, -1)?;
    let last = shape.len() - 1;
    let pick = |i: usize| -> Result<Tensor> {
        let mut start = vec![0i64; shape.len()];
        let mut stop = vec![i64::MAX; shape.len()];
        start[last] = i as i64;
        stop[last] = i as i64 + 1;
        slice(&s, &start, &stop, &vec![1; shape.len()])
    };
    let mid = if n == 0 {
        return Err(Error::invalid("median", "Cannot take median along empty axis."));
    } else if n % 2 == 1 {
        pick(n / 2)?
    } else {
        divide(&crate::add(&pick(n / 2 - 1)?, &pick(n / 2)?)?, 2.0)?
    };
    let mid = astype(&mid, dtype)?;
    let out_shape: Vec<usize> =
        (0..x.ndim()).map(|a| if axes.contains(&a) { 1 } else { x.shape()[a] }).collect();
    let squeezed: Vec<usize> = kept.iter().map(|&a| x.shape()[a]).collect();
    // `mid` is kept-axes + [1]; restore the requested layout.
    let flat = reshape_usize(&mid, &squeezed)?;
    if keepdims {
        reshape_usize(&flat, &out_shape)
    } else {
        Ok(flat)
    }
}
