//! The shape/indexing primitive families: scans, sort, gather/scatter along one axis and
//! `as_strided`, with their inference rules. Every richer indexing form (`take`, `x[i, j]`,
//! `x.at[idx].add(v)`, `put_along_axis`, `slice_update`) is a composition over these in mlx-core.
//!
//! Invariants established here: gather/scatter indices are integral and have the rank of the
//! array, matching it off the axis (the API broadcasts first); a scatter's updates have the
//! indices' shape and the array's dtype; an `as_strided` view reaches only elements inside its
//! input, so the layout invariant (every reachable index is in the buffer) always holds. Index
//! *values* are only known at eval time: kernels reject out-of-range ones with an error.

use crate::primitive::{check_axes, Primitive, Spec};
use crate::shape::{fmt_shape, size_of};
use crate::{Dtype, Error, Result};

/// Cumulative scans (`cumsum`, `cumprod`, `cummax`, `cummin`, `logcumsumexp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanOp {
    Sum,
    Prod,
    Max,
    Min,
    LogAddExp,
}

impl ScanOp {
    pub const ALL: [ScanOp; 5] = [ScanOp::Sum, ScanOp::Prod, ScanOp::Max, ScanOp::Min, ScanOp::LogAddExp];

    pub fn name(self) -> &'static str {
        match self {
            ScanOp::Sum => "cumsum",
            ScanOp::Prod => "cumprod",
            ScanOp::Max => "cummax",
            ScanOp::Min => "cummin",
            ScanOp::LogAddExp => "logcumsumexp",
        }
    }
}

/// How a scatter combines an update with the value already at its position (duplicates in the
/// indices combine in order; for `Set` the last one wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScatterMode {
    Set,
    Add,
    Prod,
    Max,
    Min,
}

impl ScatterMode {
    pub const ALL: [ScatterMode; 5] =
        [ScatterMode::Set, ScatterMode::Add, ScatterMode::Prod, ScatterMode::Max, ScatterMode::Min];

    pub fn name(self) -> &'static str {
        match self {
            ScatterMode::Set => "scatter",
            ScatterMode::Add => "scatter_add",
            ScatterMode::Prod => "scatter_prod",
            ScatterMode::Max => "scatter_max",
            ScatterMode::Min => "scatter_min",
        }
    }
}

/// One instance of each primitive of this module, for `Primitive::catalog`.
pub(crate) fn catalog() -> Vec<Primitive> {
    let mut all: Vec<Primitive> =
        ScanOp::ALL.iter().map(|&op| Primitive::Scan { op, axis: 0, reverse: false, inclusive: true }).collect();
    all.push(Primitive::Sort { axis: 0 });
    all.push(Primitive::ArgSort { axis: 0 });
    all.push(Primitive::Gather { axis: 0 });
    all.extend(ScatterMode::ALL.iter().map(|&mode| Primitive::Scatter { axis: 0, mode }));
    all.push(Primitive::AsStrided { shape: vec![1], strides: vec![1], offset: 0 });
    all.push(Primitive::View { dtype: Dtype::Int32 });
    all
}

/// `view`: equal sizes keep the shape; otherwise the last axis' bytes must divide evenly.
pub(crate) fn infer_view(dtype: Dtype, x: &Spec) -> Result<Spec> {
    let (from, to) = (x.dtype.size(), dtype.size());
    if from == to {
        return Ok(Spec::new(x.shape.clone(), dtype));
    }
    let Some(&last) = x.shape.last() else {
        return Err(Error::invalid("view", "Changing the type of a scalar is only allowed for types with the same size."));
    };
    if (last * from) % to != 0 {
        return Err(Error::invalid(
            "view",
            "When viewing as a larger dtype, the size in bytes of the last axis must be a multiple of the requested type size.",
        ));
    }
    let mut shape = x.shape.clone();
    let n = shape.len();
    shape[n - 1] = last * from / to;
    Ok(Spec::new(shape, dtype))
}

/// cumsum of bool counts in int32 (as MLX); every other scan keeps the dtype. logcumsumexp
/// needs a real floating dtype (the API casts integers to float32).
pub(crate) fn infer_scan(op: ScanOp, axis: usize, x: &Spec) -> Result<Spec> {
    check_axes(op.name(), &[axis], x.shape.len())?;
    let dtype = match op {
        ScanOp::Sum if x.dtype.is_bool() => Dtype::Int32,
        ScanOp::LogAddExp if !x.dtype.is_floating() => {
            return Err(Error::invalid(op.name(), format!("Requires a floating dtype but got {}.", x.dtype)))
        }
        _ => x.dtype,
    };
    Ok(Spec::new(x.shape.clone(), dtype))
}

fn check_indices(op: &str, axis: usize, x: &Spec, idx: &Spec) -> Result<()> {
    if idx.dtype.is_bool() || !idx.dtype.is_integer() {
        return Err(Error::invalid(op, "Got indices with invalid dtype. Indices must be integral."));
    }
    check_axes(op, &[axis], x.shape.len())?;
    let matches = idx.shape.len() == x.shape.len()
        && idx.shape.iter().zip(&x.shape).enumerate().all(|(d, (a, b))| d == axis || a == b);
    if !matches {
        return Err(Error::invalid(
            op,
            format!(
                "Indices of shape {} do not match array of shape {} off axis {axis} (broadcast them first).",
                fmt_shape(&idx.shape),
                fmt_shape(&x.shape)
            ),
        ));
    }
    Ok(())
}

pub(crate) fn infer_gather(axis: usize, x: &Spec, idx: &Spec) -> Result<Spec> {
    check_indices("gather", axis, x, idx)?;
    Ok(Spec::new(idx.shape.clone(), x.dtype))
}

pub(crate) fn infer_scatter(axis: usize, mode: ScatterMode, x: &Spec, idx: &Spec, upd: &Spec) -> Result<Spec> {
    let op = mode.name();
    check_indices(op, axis, x, idx)?;
    if upd.shape != idx.shape {
        return Err(Error::invalid(
            op,
            format!("Updates of shape {} must match the indices' shape {}.", fmt_shape(&upd.shape), fmt_shape(&idx.shape)),
        ));
    }
    if upd.dtype != x.dtype {
        return Err(Error::invalid(op, "Updates must have the array's dtype (promote them first)."));
    }
    Ok(x.clone())
}

/// The view must stay inside the input's `size` row-major elements.
pub(crate) fn infer_as_strided(shape: &[usize], strides: &[isize], offset: usize, x: &Spec) -> Result<Spec> {
    let op = "as_strided";
    if shape.len() != strides.len() {
        return Err(Error::invalid(op, "Expected one stride per dimension."));
    }
    if size_of(shape) > 0 {
        let (mut lo, mut hi) = (offset as i128, offset as i128);
        for (&d, &s) in shape.iter().zip(strides) {
            let reach = s as i128 * (d as i128 - 1);
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        if lo < 0 || hi >= size_of(&x.shape) as i128 {
            return Err(Error::invalid(
                op,
                format!(
                    "The view (shape {}, strides {strides:?}, offset {offset}) reaches elements {lo}..={hi} outside the input's {} elements.",
                    fmt_shape(shape),
                    size_of(&x.shape)
                ),
            ));
        }
    }
    Ok(Spec::new(shape.to_vec(), x.dtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(shape: &[usize], dtype: Dtype) -> Spec {
        Spec::new(shape.to_vec(), dtype)
    }

    #[test]
    fn rules() {
        let f = Dtype::Float32;
        assert_eq!(infer_scan(ScanOp::Sum, 0, &spec(&[3], Dtype::Bool)).unwrap().dtype, Dtype::Int32);
        assert!(infer_scan(ScanOp::LogAddExp, 0, &spec(&[3], Dtype::Int32)).is_err());
        assert!(infer_gather(0, &spec(&[3, 2], f), &spec(&[5, 2], Dtype::Int32)).is_ok());
        assert!(infer_gather(0, &spec(&[3, 2], f), &spec(&[5, 1], Dtype::Int32)).is_err());
        assert!(infer_gather(0, &spec(&[3], f), &spec(&[5], Dtype::Float32)).is_err());
        assert!(infer_scatter(0, ScatterMode::Add, &spec(&[3], f), &spec(&[2], Dtype::Int64), &spec(&[2], f)).is_ok());
        assert!(infer_as_strided(&[2, 2], &[1, 1], 0, &spec(&[3], f)).is_ok());
        assert!(infer_as_strided(&[2, 2], &[2, 1], 0, &spec(&[3], f)).is_err());
        assert!(infer_as_strided(&[2], &[-1], 0, &spec(&[3], f)).is_err());
    }
}
