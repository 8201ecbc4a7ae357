//! Kernels that create or move data without arithmetic: full, arange, copy, concatenate.

use mlx_ops::{dispatch_dtype, ArrayData, Layout, Result, Scalar, Spec, C64};

use crate::elementwise::debug_checked;
use crate::num::{Kind, Num};
use crate::strided::{alloc, alloc_for_overwrite, elems, elems_mut, finish, for_each_offsets};

pub fn full(out: &Spec, value: Scalar) -> Result<ArrayData> {
    fn run<T: Num>(shape: &[usize], value: Scalar) -> ArrayData {
        let v = match value {
            Scalar::Bool(b) => T::from_bool(b),
            Scalar::Int(i) => T::from_i64(i),
            Scalar::Float(f) => T::from_f64(f),
            Scalar::Complex(re, im) => T::from_c64(C64::new(re, im)),
        };
        let mut buf = alloc::<T>(shape.iter().product());
        elems_mut::<T>(&mut buf).fill(v);
        finish::<T>(buf, shape)
    }
    Ok(dispatch_dtype!(out.dtype, T => run::<T>(&out.shape, value)))
}

pub fn arange(out: &Spec, start: f64, step: f64) -> Result<ArrayData> {
    fn run<T: Num>(shape: &[usize], start: f64, step: f64) -> ArrayData {
        let mut buf = alloc::<T>(shape[0]);
        let out = elems_mut::<T>(&mut buf);
        if T::KIND == Kind::Float || T::KIND == Kind::Complex {
            for (i, d) in out.iter_mut().enumerate() {
                *d = T::from_f64(start + i as f64 * step);
            }
        } else {
            // Integers, as MLX: the step in the dtype is `T(start + step) - T(start)` (so
            // `arange(0.7, 5, 0.5, int32)` counts 0, 1, 2, ... and a negative step works for
            // unsigned dtypes), then values accumulate in the dtype (wrapping).
            // Bounds go through i64 and wrap into the dtype, so `arange(-1, 2, 1, uint8)` is
            // 255, 0, 1 as MLX gives on every platform we know (its double -> unsigned cast).
            let a = T::from_i64(start as i64);
            let s = T::from_i64((start + step) as i64).sub(a);
            let mut v = a;
            for d in out.iter_mut() {
                *d = v;
                v = v.add(s);
            }
        }
        finish::<T>(buf, shape)
    }
    Ok(dispatch_dtype!(out.dtype, T => run::<T>(&out.shape, start, step)))
}

/// Copies `src` (any layout) into `dst` laid out as `dst_layout` (same shape).
fn copy_into<T: Num>(src: &ArrayData, dst: &mut [T], dst_layout: &Layout) {
    let s = elems::<T>(src);
    for_each_offsets(
        src.layout.shape(),
        [dst_layout.strides(), src.layout.strides()],
        [dst_layout.offset(), src.layout.offset()],
        |[d, o]| dst[d] = s[o],
    );
}

pub fn copy(x: &ArrayData) -> Result<ArrayData> {
    fn run<T: Num>(x: &ArrayData) -> ArrayData {
        let shape = x.layout.shape();
        // Every element is written below, so a recycled buffer needs no zeroing.
        let mut buf = alloc_for_overwrite::<T>(x.layout.size());
        let dst = elems_mut::<T>(&mut buf);
        if !crate::transpose::copy_blocked::<T>(elems::<T>(x), &x.layout, dst) {
            copy_into::<T>(x, dst, &Layout::contiguous(shape));
        }
        finish::<T>(buf, shape)
    }
    Ok(dispatch_dtype!(x.dtype, T => run::<T>(x)))
}

pub fn concatenate(xs: &[ArrayData], axis: usize, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(xs: &[ArrayData], axis: usize, shape: &[usize]) -> ArrayData {
        let mut buf = alloc::<T>(shape.iter().product());
        let dst = elems_mut::<T>(&mut buf);
        let whole = Layout::contiguous(shape);
        let mut at = 0;
        for x in xs {
            let len = x.shape()[axis];
            let mut start = vec![0; shape.len()];
            start[axis] = at;
            let window = whole.slice(&start, &vec![1; shape.len()], x.shape());
            copy_into::<T>(x, dst, &window);
            at += len;
        }
        finish::<T>(buf, shape)
    }
    Ok(debug_checked(dispatch_dtype!(out.dtype, T => run::<T>(xs, axis, &out.shape)), out))
}
