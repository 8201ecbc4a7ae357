//! Scans and sorts: kernels that work lane by lane along one axis. `for_each_lane` hands each
//! lane's element offsets in the input (any strides) and in the row-contiguous output, so the
//! kernels never care about the input layout.

use mlx_ops::{dispatch_dtype, ArrayData, Layout, Result, ScanOp, Spec};

use crate::elementwise::{astype, debug_checked};
use crate::num::Num;
use crate::strided::{alloc, elems, elems_mut, finish, for_each_offsets};

/// Calls `f(input_offsets, output_offsets)` once per lane along `axis` (each of length
/// `shape[axis]`, in axis order); the output is row-contiguous of the input's shape.
pub(crate) fn for_each_lane(x: &Layout, axis: usize, mut f: impl FnMut(&[usize], &[usize])) {
    let n = x.shape()[axis];
    if n == 0 || x.size() == 0 {
        return;
    }
    let mut perm: Vec<usize> = (0..x.ndim()).filter(|&a| a != axis).collect();
    perm.push(axis);
    let xl = x.transpose(&perm);
    let ol = Layout::contiguous(x.shape()).transpose(&perm);
    let (mut xs, mut os) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for_each_offsets(xl.shape(), [xl.strides(), ol.strides()], [xl.offset(), 0], |[a, b]| {
        xs.push(a);
        os.push(b);
        if xs.len() == n {
            f(&xs, &os);
            xs.clear();
            os.clear();
        }
    });
}

/// `log(exp(a) + exp(b))` without overflow, in f64.
fn log_add_exp(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if hi.is_infinite() {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

pub fn scan(op: ScanOp, x: &ArrayData, axis: usize, reverse: bool, inclusive: bool, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(op: ScanOp, x: &ArrayData, axis: usize, reverse: bool, inclusive: bool) -> ArrayData {
        let src = elems::<T>(x);
        let mut buf = alloc::<T>(x.layout.size());
        let dst = elems_mut::<T>(&mut buf);
        let (init, comb): (T, fn(T, T) -> T) = match op {
            ScanOp::Sum => (T::zero(), Num::add),
            ScanOp::Prod => (T::one(), Num::mul),
            ScanOp::Max => (T::lowest(), Num::max),
            ScanOp::Min => (T::highest(), Num::min),
            ScanOp::LogAddExp => {
                (T::from_f64(f64::NEG_INFINITY), |a: T, b: T| T::from_f64(log_add_exp(a.to_f64(), b.to_f64())))
            }
        };
        for_each_lane(&x.layout, axis, |xo, oo| {
            let n = xo.len();
            let mut acc = init;
            for k in 0..n {
                let i = if reverse { n - 1 - k } else { k };
                if inclusive {
                    acc = comb(acc, src[xo[i]]);
                    dst[oo[i]] = acc;
                } else {
                    dst[oo[i]] = acc;
                    acc = comb(acc, src[xo[i]]);
                }
            }
        });
        finish::<T>(buf, x.layout.shape())
    }
    // cumsum of bool counts in int32: cast first.
    let widened;
    let x = if x.dtype != out.dtype {
        widened = astype(x, &Spec::new(x.shape().to_vec(), out.dtype))?;
        &widened
    } else {
        x
    };
    Ok(debug_checked(dispatch_dtype!(out.dtype, T => run::<T>(op, x, axis, reverse, inclusive)), out))
}

/// Ascending order with NaN after everything (as MLX and NumPy).
fn order<T: Num>(a: T, b: T) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Equal,
        (true, false) => Greater,
        (false, true) => Less,
        _ if a.lt(b) => Less,
        _ if b.lt(a) => Greater,
        _ => Equal,
    }
}

pub fn sort(x: &ArrayData, axis: usize, arg: bool, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(x: &ArrayData, axis: usize, arg: bool) -> ArrayData {
        let src = elems::<T>(x);
        let shape = x.layout.shape();
        let size = x.layout.size();
        let mut vals = alloc::<T>(if arg { 0 } else { size });
        let mut idxs = alloc::<u32>(if arg { size } else { 0 });
        let (dv, di) = (elems_mut::<T>(&mut vals), elems_mut::<u32>(&mut idxs));
        let mut lane: Vec<(T, u32)> = Vec::new();
        for_each_lane(&x.layout, axis, |xo, oo| {
            lane.clear();
            lane.extend(xo.iter().enumerate().map(|(k, &o)| (src[o], k as u32)));
            lane.sort_by(|a, b| order(a.0, b.0)); // stable
            for (k, &(v, i)) in lane.iter().enumerate() {
                if arg {
                    di[oo[k]] = i;
                } else {
                    dv[oo[k]] = v;
                }
            }
        });
        if arg {
            finish::<u32>(idxs, shape)
        } else {
            finish::<T>(vals, shape)
        }
    }
    Ok(debug_checked(dispatch_dtype!(x.dtype, T => run::<T>(x, axis, arg)), out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::{Buffer, Dtype, HostBuffer};
    use std::sync::Arc;

    fn data(v: &[f32], shape: &[usize]) -> ArrayData {
        let buf = HostBuffer::from_bytes(bytemuck::cast_slice(v));
        ArrayData::new(Arc::new(Buffer::Host(buf)), Layout::contiguous(shape), Dtype::Float32)
    }

    #[test]
    fn lanes_follow_the_axis_for_any_strides() {
        let x = data(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &[2, 3]);
        let spec = Spec::new(vec![2, 3], Dtype::Float32);
        let r = scan(ScanOp::Sum, &x, 0, false, true, &spec).unwrap();
        assert_eq!(crate::strided::contiguous_elems::<f32>(&r).to_vec(), vec![0.0, 1.0, 2.0, 3.0, 5.0, 7.0]);
        let r = scan(ScanOp::Max, &x, 1, true, false, &spec).unwrap();
        assert_eq!(crate::strided::contiguous_elems::<f32>(&r).to_vec(), vec![2.0, 2.0, f32::NEG_INFINITY, 5.0, 5.0, f32::NEG_INFINITY]);
        // A transposed input sorted along its (strided) last axis.
        let t = x.with_layout(x.layout.transpose(&[1, 0]));
        let r = sort(&t, 1, true, &Spec::new(vec![3, 2], Dtype::Uint32)).unwrap();
        assert_eq!(crate::strided::contiguous_elems::<u32>(&r).to_vec(), vec![0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn nan_sorts_last_and_log_add_exp_is_stable() {
        assert_eq!(order(f32::NAN, 1.0), std::cmp::Ordering::Greater);
        assert_eq!(order(1.0f32, f32::NAN), std::cmp::Ordering::Less);
        assert_eq!(log_add_exp(1000.0, 1000.0), 1000.0 + std::f64::consts::LN_2);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY), f64::NEG_INFINITY);
    }
}
