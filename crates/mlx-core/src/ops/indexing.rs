//! Indexing: take, take_along_axis, put_along_axis, slice_update, as_strided, NumPy-style
//! `x[...]` ([`Tensor::index`]), index assignment ([`Tensor::index_put`]) and MLX's
//! `x.at[idx].add(v)` ([`Tensor::at`]). Two primitives carry all of it: `Gather` and `Scatter`
//! along one axis. Index values are only known at eval: an index outside `-n..n` on its axis
//! makes `eval` fail with `[gather] Index i is out of bounds for an axis of size n.` (MLX reads or writes out of
//! bounds there); negative indices count from the end, as in MLX.
//!
//! # The index API
//! An index is a tuple (or one item, or a `Vec<IndexItem>`) of items, one per axis, as Python's:
//!
//! | Python            | Rust                                   |
//! |-------------------|----------------------------------------|
//! | `x[1]`, `x[-1]`   | `x.index(1)`, `x.index(-1)`            |
//! | `x[1:3]`, `x[:3]`, `x[2:]`, `x[:]` | `x.index(1..3)`, `(..3)`, `(2..)`, `(..)` |
//! | `x[::2]`, `x[3:0:-1]` | `x.index(sl(None, None, 2))`, `sl(3, 0, -1)` |
//! | `x[None]`, `x[...]` | `x.index(NewAxis)`, `x.index(Ellipsis)` |
//! | `x[idx]` (array)  | `x.index(&idx)`                        |
//! | `x[1:, None, ..., idx]` | `x.index((1.., NewAxis, Ellipsis, &idx))` |
//! | `x[idx] = v`      | `x.index_put(&idx, &v)` (a new array)  |
//! | `x.at[idx].add(v)`| `x.at(&idx).add(&v)`                   |
//!
//! Semantics are NumPy's (and MLX's): integer and slice items are views; array items (and
//! integers, when any array is present) are advanced indices, broadcast together; their
//! result dimensions replace them in place when they are adjacent, else they go first.
//! Boolean masks are not supported (as MLX).

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

use mlx_ops::shape::{broadcast_shapes, fmt_shape, normalize_axis};
use mlx_ops::{Dtype, Error, Primitive, Result, ScatterMode};

use crate::ops::manip::broadcast_arrays;
use crate::{arange, astype, broadcast_to, divide, negative, reshape_usize, slice, squeeze, transpose, ArrayLike, Tensor};

// ----------------------------------------------------------------------------------------
// take / take_along_axis / put_along_axis / slice_update / as_strided
// ----------------------------------------------------------------------------------------

/// Elements of `x` at `indices` along `axis` (`None`: of the flattened array) (`mx.take`).
///
/// Shape: `x.shape[..axis] + indices.shape + x.shape[axis+1..]`; dtype: `x`'s.
///
/// # Errors
/// `[take]` for a 0-d array with an axis or a bad axis; `[gather]` for non-integer indices, and
/// from `eval` for an index outside `-n..n`.
pub fn take(x: &Tensor, indices: &Tensor, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, axis) = match axis.into() {
        None => (reshape_usize(x, &[x.size()])?, 0),
        Some(a) => {
            if x.ndim() == 0 {
                return Err(Error::invalid("take", "Cannot do a non-empty take on a 0-d array."));
            }
            (x.clone(), normalize_axis("take", a, x.ndim())?)
        }
    };
    let (pre, n, post) = (
        x.shape()[..axis].iter().product::<usize>(),
        x.shape()[axis],
        x.shape()[axis + 1..].iter().product::<usize>(),
    );
    let m = indices.size();
    let x3 = reshape_usize(&x, &[pre, n, post])?;
    let idx = broadcast_to(&reshape_usize(indices, &[1, m, 1])?, &[pre, m, post])?;
    let g = Tensor::from_primitive(Primitive::Gather { axis: 1 }, vec![x3, idx])?;
    let mut shape = x.shape()[..axis].to_vec();
    shape.extend_from_slice(indices.shape());
    shape.extend_from_slice(&x.shape()[axis + 1..]);
    reshape_usize(&g, &shape)
}

/// Shapes of x and indices broadcast off `axis`, each keeping its own size on `axis`.
fn along_axis_shapes(op: &str, x: &[usize], idx: &[usize], axis: usize) -> Result<(Vec<usize>, Vec<usize>)> {
    if idx.len() != x.len() {
        return Err(Error::invalid(
            op,
            format!("Indices of dimension {} does not match array of dimension {}.", idx.len(), x.len()),
        ));
    }
    let mut xo = x.to_vec();
    let mut io = idx.to_vec();
    for d in 0..x.len() {
        if d != axis {
            let b = broadcast_shapes(&[x[d]], &[idx[d]])?;
            xo[d] = b[0];
            io[d] = b[0];
        }
    }
    Ok((xo, io))
}

/// `out[.., i, ..] = x[.., indices[.., i, ..], ..]` along `axis` (`mx.take_along_axis`; `None`:
/// both flattened). Off the axis, `x` and `indices` broadcast; the output has the broadcast
/// shape with `indices`' length on the axis.
///
/// # Errors
/// `[take_along_axis]` for unequal ranks or a bad axis; `[gather]` for non-integer indices and,
/// from `eval`, for out-of-range ones.
pub fn take_along_axis(x: &Tensor, indices: &Tensor, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (x, indices, axis) = match axis.into() {
        None => (reshape_usize(x, &[x.size()])?, reshape_usize(indices, &[indices.size()])?, 0),
        Some(a) => (x.clone(), indices.clone(), normalize_axis("take_along_axis", a, x.ndim())?),
    };
    let (xs, is) = along_axis_shapes("take_along_axis", x.shape(), indices.shape(), axis)?;
    Tensor::from_primitive(Primitive::Gather { axis }, vec![broadcast_to(&x, &xs)?, broadcast_to(&indices, &is)?])
}

/// `x` with `values` written at `indices` along `axis` (`mx.put_along_axis`; `None`: flattened,
/// reshaped back). `indices` broadcast to `x` off the axis and `values` to the indices; values
/// are cast to `x`'s dtype. With repeated indices the last write wins.
///
/// # Errors
/// `[put_along_axis]` for unequal ranks, shapes that do not broadcast or a bad axis;
/// `[scatter]` for non-integer indices and, from `eval`, out-of-range ones.
pub fn put_along_axis(x: &Tensor, indices: &Tensor, values: &Tensor, axis: impl Into<Option<i32>>) -> Result<Tensor> {
    let (xf, indices, values, axis) = match axis.into() {
        None => (
            reshape_usize(x, &[x.size()])?,
            reshape_usize(indices, &[indices.size()])?,
            reshape_usize(values, &[values.size()])?,
            0,
        ),
        Some(a) => (x.clone(), indices.clone(), values.clone(), normalize_axis("put_along_axis", a, x.ndim())?),
    };
    if indices.ndim() != xf.ndim() {
        return Err(Error::invalid(
            "put_along_axis",
            format!("Indices of dimension {} does not match array of dimension {}.", indices.ndim(), xf.ndim()),
        ));
    }
    let mut ishape = broadcast_shapes(indices.shape(), values.shape())?;
    if ishape.len() != xf.ndim() {
        return Err(Error::invalid("put_along_axis", "Values must broadcast to the indices' rank."));
    }
    for d in 0..xf.ndim() {
        if d != axis {
            ishape[d] = xf.shape()[d];
        }
    }
    let idx = broadcast_to(&indices, &ishape)?;
    let upd = broadcast_to(&astype(&values, xf.dtype())?, &ishape)?;
    let r = Tensor::from_primitive(Primitive::Scatter { axis, mode: ScatterMode::Set }, vec![xf, idx, upd])?;
    reshape_usize(&r, x.shape())
}

/// `x` with the block starting at `start_indices[i]` on axis `axes[i]` replaced by `update`
/// (`mx.slice_update`; the block's size is `update`'s shape, which must have `x`'s rank).
///
/// # Errors
/// `[slice_update]` for lists of unequal length, a bad axis, a rank mismatch or a block that
/// does not fit inside `x`.
pub fn slice_update(x: &Tensor, update: &Tensor, start_indices: &[i64], axes: &[i32]) -> Result<Tensor> {
    if start_indices.len() != axes.len() {
        return Err(Error::invalid("slice_update", "start_indices and axes must have the same length."));
    }
    if update.ndim() > x.ndim() {
        return Err(Error::invalid("slice_update", "The update must not have more dimensions than the array."));
    }
    let update = reshape_usize(update, &[vec![1; x.ndim() - update.ndim()], update.shape().to_vec()].concat())?;
    let mut items: Vec<IndexItem> = (0..x.ndim()).map(|_| IndexItem::full()).collect();
    for (&s, &a) in start_indices.iter().zip(axes) {
        let a = normalize_axis("slice_update", a, x.ndim())?;
        let n = x.shape()[a] as i64;
        let s = if s < 0 { s + n } else { s };
        let len = update.shape()[a] as i64;
        if s < 0 || s + len > n {
            return Err(Error::invalid(
                "slice_update",
                format!("The update of shape {} does not fit at {s} on axis {a} of size {n}.", fmt_shape(update.shape())),
            ));
        }
        items[a] = IndexItem::Slice { start: Some(s), stop: Some(s + len), step: 1 };
    }
    index_update(x, items, &update, ScatterMode::Set)
}

/// A view of the row-major elements of `x` with explicit `shape`, `strides` (in elements, may
/// be negative) and `offset` (`mx.as_strided`).
///
/// # Errors
/// `[as_strided]` when the view would reach outside `x`'s elements (MLX reads out of bounds)
/// or shape and strides differ in length.
pub fn as_strided(x: &Tensor, shape: &[usize], strides: &[isize], offset: usize) -> Result<Tensor> {
    Tensor::from_primitive(
        Primitive::AsStrided { shape: shape.to_vec(), strides: strides.to_vec(), offset },
        vec![x.clone()],
    )
}

// ----------------------------------------------------------------------------------------
// Index expressions
// ----------------------------------------------------------------------------------------

/// One entry of an index expression (see the module docs).
#[derive(Clone)]
pub enum IndexItem {
    /// One position (negative counts from the end); removes the axis.
    Int(i64),
    /// Python's `start:stop:step` (`None`: open).
    Slice { start: Option<i64>, stop: Option<i64>, step: i64 },
    /// A new size-1 axis (`None` in Python).
    NewAxis,
    /// As many full slices as needed (`...`).
    Ellipsis,
    /// Integer array indices (advanced indexing).
    Array(Tensor),
}

impl IndexItem {
    /// The full slice `:`.
    pub fn full() -> Self {
        IndexItem::Slice { start: None, stop: None, step: 1 }
    }
}

/// `None` in a Python index: a new axis.
#[derive(Debug, Clone, Copy)]
pub struct NewAxis;
/// `...` in a Python index.
#[derive(Debug, Clone, Copy)]
pub struct Ellipsis;

/// Python's `start:stop:step` as an index item: `sl(None, None, -1)` is `::-1`.
pub fn sl(start: impl Into<Option<i64>>, stop: impl Into<Option<i64>>, step: i64) -> IndexItem {
    IndexItem::Slice { start: start.into(), stop: stop.into(), step }
}

impl From<NewAxis> for IndexItem {
    fn from(_: NewAxis) -> Self {
        IndexItem::NewAxis
    }
}
impl From<Ellipsis> for IndexItem {
    fn from(_: Ellipsis) -> Self {
        IndexItem::Ellipsis
    }
}
impl From<&Tensor> for IndexItem {
    fn from(t: &Tensor) -> Self {
        IndexItem::Array(t.clone())
    }
}
impl From<Tensor> for IndexItem {
    fn from(t: Tensor) -> Self {
        IndexItem::Array(t)
    }
}
impl From<RangeFull> for IndexItem {
    fn from(_: RangeFull) -> Self {
        IndexItem::full()
    }
}
macro_rules! int_index {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexItem {
            fn from(i: $t) -> Self { IndexItem::Int(i as i64) }
        }
        impl From<Range<$t>> for IndexItem {
            fn from(r: Range<$t>) -> Self { sl(r.start as i64, r.end as i64, 1) }
        }
        impl From<RangeFrom<$t>> for IndexItem {
            fn from(r: RangeFrom<$t>) -> Self { sl(r.start as i64, None, 1) }
        }
        impl From<RangeTo<$t>> for IndexItem {
            fn from(r: RangeTo<$t>) -> Self { sl(None, r.end as i64, 1) }
        }
        impl From<RangeInclusive<$t>> for IndexItem {
            fn from(r: RangeInclusive<$t>) -> Self {
                let end = *r.end() as i64;
                // `a..=-1` runs to the end; `a..=b` stops after b.
                sl(*r.start() as i64, if end == -1 { None } else { Some(end + 1) }, 1)
            }
        }
        impl From<RangeToInclusive<$t>> for IndexItem {
            fn from(r: RangeToInclusive<$t>) -> Self {
                let end = r.end as i64;
                sl(None, if end == -1 { None } else { Some(end + 1) }, 1)
            }
        }
    )*};
}
int_index!(i32, i64, usize);

/// Anything usable as a whole index expression: one item, a tuple of items, or a `Vec`.
pub trait IntoIndex {
    fn into_items(self) -> Vec<IndexItem>;
}
impl IntoIndex for Vec<IndexItem> {
    fn into_items(self) -> Vec<IndexItem> {
        self
    }
}
macro_rules! single_index {
    ($($t:ty),*) => {$(
        impl IntoIndex for $t {
            fn into_items(self) -> Vec<IndexItem> { vec![self.into()] }
        }
    )*};
}
single_index!(IndexItem, NewAxis, Ellipsis, Tensor, RangeFull, i32, i64, usize, Range<i32>, Range<i64>, Range<usize>,
    RangeFrom<i32>, RangeFrom<i64>, RangeFrom<usize>, RangeTo<i32>, RangeTo<i64>, RangeTo<usize>,
    RangeInclusive<i32>, RangeInclusive<i64>, RangeToInclusive<i32>, RangeToInclusive<i64>);
impl IntoIndex for &Tensor {
    fn into_items(self) -> Vec<IndexItem> {
        vec![self.into()]
    }
}
macro_rules! tuple_index {
    ($($name:ident),+) => {
        impl<$($name: Into<IndexItem>),+> IntoIndex for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_items(self) -> Vec<IndexItem> {
                let ($($name,)+) = self;
                vec![$($name.into()),+]
            }
        }
    };
}
tuple_index!(A);
tuple_index!(A, B);
tuple_index!(A, B, C);
tuple_index!(A, B, C, D);
tuple_index!(A, B, C, D, E);
tuple_index!(A, B, C, D, E, F);

/// `x[items]` with NumPy semantics (see the module docs).
fn index_items(x: &Tensor, items: Vec<IndexItem>) -> Result<Tensor> {
    let op = "index";
    let nd = x.ndim();
    let consumed = items.iter().filter(|i| !matches!(i, IndexItem::NewAxis | IndexItem::Ellipsis)).count();
    if items.iter().filter(|i| matches!(i, IndexItem::Ellipsis)).count() > 1 {
        return Err(Error::invalid(op, "An index can only have a single ellipsis (\"...\")."));
    }
    if consumed > nd {
        return Err(Error::invalid(op, format!("Too many indices for array with {nd} dimensions.")));
    }
    // Expand the ellipsis (or append full slices), then turn new axes into size-1 axes of x.
    let mut expanded = Vec::with_capacity(nd + items.len());
    let mut had_ellipsis = false;
    for it in items {
        if let IndexItem::Ellipsis = it {
            had_ellipsis = true;
            expanded.extend((0..nd - consumed).map(|_| IndexItem::full()));
        } else {
            expanded.push(it);
        }
    }
    if !had_ellipsis {
        expanded.extend((0..nd - consumed).map(|_| IndexItem::full()));
    }
    let mut shape = Vec::with_capacity(expanded.len());
    let mut src = x.shape().iter();
    for it in expanded.iter_mut() {
        if let IndexItem::NewAxis = it {
            shape.push(1);
            *it = IndexItem::full();
        } else {
            shape.push(*src.next().ok_or_else(|| Error::runtime(op, "index bookkeeping"))?);
        }
    }
    let y = reshape_usize(x, &shape)?;
    let has_array = expanded.iter().any(|i| matches!(i, IndexItem::Array(_)));
    // Basic items as one slice view; integers become length-1 slices (squeezed below) unless
    // advanced indexing is on, where they are 0-d index arrays.
    let n = expanded.len();
    let (mut a, mut b, mut s) = (vec![0i64; n], vec![i64::MAX; n], vec![1i64; n]);
    let mut squeeze_axes = vec![];
    let mut adv: Vec<(usize, Tensor)> = vec![];
    for (ax, it) in expanded.iter().enumerate() {
        match it {
            IndexItem::Slice { start, stop, step } => {
                if *step == 0 {
                    return Err(Error::invalid("slice", "Slice step cannot be zero."));
                }
                let open_lo = if *step > 0 { i64::MIN } else { i64::MAX };
                let open_hi = if *step > 0 { i64::MAX } else { i64::MIN };
                a[ax] = start.unwrap_or(open_lo);
                b[ax] = stop.unwrap_or(open_hi);
                s[ax] = *step;
            }
            IndexItem::Int(i) if !has_array => {
                let len = shape[ax] as i64;
                let j = if *i < 0 { i + len } else { *i };
                if j < 0 || j >= len {
                    return Err(Error::invalid(op, format!("Index {i} is out of bounds for axis {ax} with size {len}.")));
                }
                (a[ax], b[ax]) = (j, j + 1);
                squeeze_axes.push(ax as i32);
            }
            IndexItem::Int(i) => adv.push((ax, Tensor::scalar(*i))),
            IndexItem::Array(t) => adv.push((ax, t.clone())),
            IndexItem::NewAxis | IndexItem::Ellipsis => return Err(Error::runtime(op, "index bookkeeping")),
        }
    }
    let v = slice(&y, &a, &b, &s)?;
    if !has_array {
        return if squeeze_axes.is_empty() { Ok(v) } else { squeeze(&v, squeeze_axes) };
    }
    // Advanced indices: broadcast them, move their axes first, gather one axis at a time.
    let arrays: Vec<Tensor> = adv.iter().map(|(_, t)| t.clone()).collect();
    let arrays = broadcast_arrays(&arrays)?;
    let bshape = arrays[0].shape().to_vec();
    let axes: Vec<usize> = adv.iter().map(|(ax, _)| *ax).collect();
    let rest: Vec<usize> = (0..n).filter(|d| !axes.contains(d)).collect();
    let perm: Vec<i32> = axes.iter().chain(&rest).map(|&d| d as i32).collect();
    let v = transpose(&v, perm)?;
    let mut t = take(&v, &arrays[0], 0)?;
    let nb = bshape.len();
    for idx in &arrays[1..] {
        // t: B + [a_k, ...]; gather axis nb with the index laid out as B + [1] + [1...].
        let tail = t.ndim() - nb - 1;
        let mut ishape = bshape.clone();
        ishape.push(1);
        ishape.extend(std::iter::repeat_n(1, tail));
        let mut full_shape = t.shape().to_vec();
        full_shape[nb] = 1;
        let i = broadcast_to(&reshape_usize(idx, &ishape)?, &full_shape)?;
        let g = Tensor::from_primitive(Primitive::Gather { axis: nb }, vec![t, i])?;
        t = squeeze(&g, nb as i32)?;
    }
    // Adjacent advanced indices put their dimensions where they were.
    let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
    let p = axes[0];
    if adjacent && p > 0 {
        let total = t.ndim();
        let perm: Vec<i32> = (nb..nb + p).chain(0..nb).chain(nb + p..total).map(|d| d as i32).collect();
        t = transpose(&t, perm)?;
    }
    Ok(t)
}

/// `x` with the indexed positions combined with `values` (broadcast to the indexed shape and
/// cast to `x`'s dtype) by `mode`, via a scatter on the flattened array.
fn index_update(x: &Tensor, items: Vec<IndexItem>, values: &Tensor, mode: ScatterMode) -> Result<Tensor> {
    let size = x.size();
    let idt = if size <= i32::MAX as usize { Dtype::Int32 } else { Dtype::Int64 };
    let positions = reshape_usize(&arange(0i64, size as i64, 1i64, idt)?, x.shape())?;
    let pos = index_items(&positions, items)?;
    let v = broadcast_to(&astype(values, x.dtype())?, pos.shape()).map_err(|_| {
        Error::invalid(
            "index",
            format!("Cannot broadcast values of shape {} to the indexed shape {}.", fmt_shape(values.shape()), fmt_shape(pos.shape())),
        )
    })?;
    let m = pos.size();
    let r = Tensor::from_primitive(
        Primitive::Scatter { axis: 0, mode },
        vec![reshape_usize(x, &[size])?, reshape_usize(&pos, &[m])?, reshape_usize(&v, &[m])?],
    )?;
    reshape_usize(&r, x.shape())
}

fn operand(values: impl ArrayLike, dtype: Dtype) -> Result<Tensor> {
    values.into_operand().to_tensor(dtype)
}

impl Tensor {
    /// `x[index]` with NumPy/MLX semantics (see the module docs for the item syntax).
    ///
    /// # Errors
    /// `[index]` for too many indices, two ellipses, or an integer out of range; `[slice]` for a
    /// zero step; `[gather]` for non-integer index arrays and, from `eval`, out-of-range ones.
    ///
    /// ```
    /// use mlx_core::{NewAxis, Tensor, sl};
    /// let x = Tensor::from_slice(&[0i32, 1, 2, 3, 4, 5], &[2, 3]).unwrap();
    /// assert_eq!(x.index((1, sl(None, None, -1))).unwrap().to_vec::<i32>().unwrap(), vec![5, 4, 3]);
    /// assert_eq!(x.index((NewAxis, .., 1..)).unwrap().shape(), &[1, 2, 2]);
    /// let idx = Tensor::from_slice(&[2i32, 0], &[2]).unwrap();
    /// assert_eq!(x.index((.., &idx)).unwrap().to_vec::<i32>().unwrap(), vec![2, 0, 5, 3]);
    /// ```
    pub fn index(&self, index: impl IntoIndex) -> Result<Tensor> {
        index_items(self, index.into_items())
    }

    /// `x[index] = values` as a functional update: a new array, `x` unchanged. With repeated
    /// positions the last write wins.
    ///
    /// # Errors
    /// As [`Tensor::index`], plus `[index]` when `values` do not broadcast to the indexed shape.
    pub fn index_put(&self, index: impl IntoIndex, values: impl ArrayLike) -> Result<Tensor> {
        let v = operand(values, self.dtype())?;
        index_update(self, index.into_items(), &v, ScatterMode::Set)
    }

    /// MLX's `x.at[index]`: scatter updates that accumulate over repeated positions, e.g.
    /// `x.at(&idx).add(1.0)` adds once per occurrence of each index.
    pub fn at(&self, index: impl IntoIndex) -> At {
        At { x: self.clone(), items: index.into_items() }
    }
}

/// The pending `x.at[index]` of [`Tensor::at`]; each method returns the updated array.
pub struct At {
    x: Tensor,
    items: Vec<IndexItem>,
}

impl At {
    fn apply(&self, v: Tensor, mode: ScatterMode) -> Result<Tensor> {
        index_update(&self.x, self.items.clone(), &v, mode)
    }
    /// `x[index] += values` (repeated positions accumulate).
    pub fn add(&self, values: impl ArrayLike) -> Result<Tensor> {
        self.apply(operand(values, self.x.dtype())?, ScatterMode::Add)
    }
    /// `x[index] -= values`.
    pub fn subtract(&self, values: impl ArrayLike) -> Result<Tensor> {
        self.apply(negative(&operand(values, self.x.dtype())?)?, ScatterMode::Add)
    }
    /// `x[index] *= values`.
    pub fn multiply(&self, values: impl ArrayLike) -> Result<Tensor> {
        self.apply(operand(values, self.x.dtype())?, ScatterMode::Prod)
    }
    /// `x[index] /= values` (as MLX: multiplies by the reciprocal).
    pub fn divide(&self, values: impl ArrayLike) -> Result<Tensor> {
        let v = operand(values, self.x.dtype())?;
        self.apply(divide(1.0, &v)?, ScatterMode::Prod)
    }
    /// `x[index] = maximum(x[index], values)`.
    pub fn maximum(&self, values: impl ArrayLike) -> Result<Tensor> {
        self.apply(operand(values, self.x.dtype())?, ScatterMode::Max)
    }
    /// `x[index] = minimum(x[index], values)`.
    pub fn minimum(&self, values: impl ArrayLike) -> Result<Tensor> {
        self.apply(operand(values, self.x.dtype())?, ScatterMode::Min)
    }
}

// ----------------------------------------------------------------------------------------
// view / searchsorted / empty
// ----------------------------------------------------------------------------------------

/// The same bytes reinterpreted as `dtype` (`mx.view`). Equal item sizes keep the shape;
/// otherwise the last axis is rescaled (`(2) float32` viewed as uint8 is `(8)`).
///
/// # Errors
/// `[view]` for a 0-d array with a different item size, or a last axis whose bytes do not
/// divide into the new item size.
pub fn view(x: &Tensor, dtype: Dtype) -> Result<Tensor> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    Tensor::from_primitive(Primitive::View { dtype }, vec![x.clone()])
}

/// Insertion points of `values` into the 1-D ascending `sorted_sequence` that keep it sorted
/// (`mx.searchsorted`): `side = "left"` counts elements `< v`, `"right"` elements `<= v`.
/// Shape: `values`'; dtype: uint32.
///
/// # Errors
/// `[searchsorted]` for a sequence that is not 1-D or an unknown side.
pub fn searchsorted(sorted_sequence: &Tensor, values: &Tensor, side: &str) -> Result<Tensor> {
    if sorted_sequence.ndim() != 1 {
        return Err(Error::invalid(
            "searchsorted",
            format!("The sorted sequence must be 1-D but has {} dimensions.", sorted_sequence.ndim()),
        ));
    }
    let v = crate::expand_dims(values, -1)?;
    let hits = match side {
        "left" => crate::less(sorted_sequence, &v)?,
        "right" => crate::less_equal(sorted_sequence, &v)?,
        _ => return Err(Error::invalid("searchsorted", "side must be 'left' or 'right'.")),
    };
    astype(&crate::sum(&hits, -1, false)?, Dtype::Uint32)
}

/// An array of `shape` (`mx.empty`): in MLX 0.32.4 this is `zeros`, and so it is here.
pub fn empty(shape: &[usize], dtype: impl Into<Option<Dtype>>) -> Result<Tensor> {
    crate::zeros(shape, dtype)
}
