//! Gather and scatter along one axis. Indices may have any integer dtype and any layout; they
//! are read once into i64. Negative indices count from the end of the axis (as MLX); an index
//! outside `-n..n` is an error, never an out-of-bounds access (MLX reads/writes out of bounds).

use mlx_ops::{dispatch_dtype, ArrayData, Error, Layout, Result, ScatterMode, Spec};

use crate::copy::copy;
use crate::elementwise::debug_checked;
use crate::num::Num;
use crate::strided::{alloc, contiguous_elems, elems, elems_mut, finish, for_each_offsets};

/// The indices in row-major order as i64.
fn indices(idx: &ArrayData) -> Vec<i64> {
    dispatch_dtype!(idx.dtype, I => contiguous_elems::<I>(idx).iter().map(|&i| Num::to_i64(i)).collect())
}

/// Resolves one index against an axis of length `n`.
fn resolve(op: &str, i: i64, n: usize) -> Result<usize> {
    let j = if i < 0 { i + n as i64 } else { i };
    if j < 0 || j >= n as i64 {
        return Err(Error::invalid(op, format!("Index {i} is out of bounds for an axis of size {n}.")));
    }
    Ok(j as usize)
}

/// Strides of `layout` with `axis` zeroed: the offset of the lane start for each position.
fn lane_strides(layout: &Layout, axis: usize) -> Vec<isize> {
    let mut s = layout.strides().to_vec();
    s[axis] = 0;
    s
}

pub fn gather(x: &ArrayData, idx: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(x: &ArrayData, ids: &[i64], shape: &[usize], axis: usize) -> Result<ArrayData> {
        let src = elems::<T>(x);
        let mut buf = alloc::<T>(ids.len());
        let dst = elems_mut::<T>(&mut buf);
        let (n, step) = (x.layout.shape()[axis], x.layout.strides()[axis]);
        let base = lane_strides(&x.layout, axis);
        let mut k = 0usize;
        let mut err = None;
        for_each_offsets(shape, [&base], [x.layout.offset()], |[o]| {
            if err.is_none() {
                match resolve("gather", ids[k], n) {
                    Ok(j) => dst[k] = src[(o as isize + j as isize * step) as usize],
                    Err(e) => err = Some(e),
                }
            }
            k += 1;
        });
        match err {
            Some(e) => Err(e),
            None => Ok(finish::<T>(buf, shape)),
        }
    }
    let ids = indices(idx);
    let r = dispatch_dtype!(x.dtype, T => run::<T>(x, &ids, &out.shape, axis))?;
    Ok(debug_checked(r, out))
}

pub fn scatter(mode: ScatterMode, x: &ArrayData, idx: &ArrayData, upd: &ArrayData, axis: usize, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(mode: ScatterMode, x: &ArrayData, ids: &[i64], upd: &ArrayData, axis: usize) -> Result<ArrayData> {
        let target = copy(x)?;
        let mut buf = match std::sync::Arc::try_unwrap(target.buffer) {
            Ok(mlx_ops::Buffer::Host(b)) => b,
            _ => return Err(Error::runtime(mode.name(), "the copy is not an owned host buffer")),
        };
        let dst = elems_mut::<T>(&mut buf);
        let u = elems::<T>(upd);
        let whole = Layout::contiguous(x.layout.shape());
        let n = whole.shape()[axis];
        let step = whole.strides()[axis];
        let base = lane_strides(&whole, axis);
        let comb: fn(T, T) -> T = match mode {
            ScatterMode::Set => |_, v| v,
            ScatterMode::Add => Num::add,
            ScatterMode::Prod => Num::mul,
            ScatterMode::Max => Num::max,
            ScatterMode::Min => Num::min,
        };
        let mut k = 0usize;
        let mut err = None;
        for_each_offsets(upd.layout.shape(), [&base, upd.layout.strides()], [0, upd.layout.offset()], |[o, uo]| {
            if err.is_none() {
                match resolve(mode.name(), ids[k], n) {
                    Ok(j) => {
                        let at = (o as isize + j as isize * step) as usize;
                        dst[at] = comb(dst[at], u[uo]);
                    }
                    Err(e) => err = Some(e),
                }
            }
            k += 1;
        });
        match err {
            Some(e) => Err(e),
            None => Ok(finish::<T>(buf, x.layout.shape())),
        }
    }
    let ids = indices(idx);
    let r = dispatch_dtype!(x.dtype, T => run::<T>(mode, x, &ids, upd, axis))?;
    Ok(debug_checked(r, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::{Buffer, Dtype, HostBuffer};
    use std::sync::Arc;

    fn data<T: mlx_ops::Element>(v: &[T], shape: &[usize]) -> ArrayData {
        let buf = HostBuffer::from_bytes(bytemuck::cast_slice(v));
        ArrayData::new(Arc::new(Buffer::Host(buf)), Layout::contiguous(shape), T::DTYPE)
    }

    #[test]
    fn gather_wraps_negatives_and_rejects_out_of_range() {
        let x = data(&[10i32, 11, 12], &[3]);
        let spec = Spec::new(vec![2], Dtype::Int32);
        let r = gather(&x, &data(&[-1i64, 0], &[2]), 0, &spec).unwrap();
        assert_eq!(contiguous_elems::<i32>(&r).to_vec(), vec![12, 10]);
        assert!(gather(&x, &data(&[3u8, 0], &[2]), 0, &spec).is_err());
        assert!(gather(&x, &data(&[-4i16, 0], &[2]), 0, &spec).is_err());
    }

    #[test]
    fn scatter_combines_repeated_indices_in_order() {
        let x = data(&[0.0f32, 0.0], &[2]);
        let idx = data(&[1i32, 1, 0], &[3]);
        let upd = data(&[1.0f32, 2.0, 5.0], &[3]);
        let spec = Spec::new(vec![2], Dtype::Float32);
        let add = scatter(ScatterMode::Add, &x, &idx, &upd, 0, &spec).unwrap();
        assert_eq!(contiguous_elems::<f32>(&add).to_vec(), vec![5.0, 3.0]);
        let set = scatter(ScatterMode::Set, &x, &idx, &upd, 0, &spec).unwrap();
        assert_eq!(contiguous_elems::<f32>(&set).to_vec(), vec![5.0, 2.0]);
        assert!(scatter(ScatterMode::Set, &x, &data(&[2i32, 0, 0], &[3]), &upd, 0, &spec).is_err());
    }
}
