//! Elementwise kernels: unary, binary, select (`where`) and astype. Inputs share one shape (the
//! API broadcasts them with stride-0 views); a row-contiguous operand set runs as a flat loop,
//! anything else through `for_each_offsets`.

use mlx_ops::{dispatch_dtype, ArrayData, BinaryOp, Bool8, Error, Result, Spec, UnaryOp, C64};

use crate::num::{cast, Inexact, Num};
use crate::strided::{alloc, elems, elems_mut, finish, for_each_offsets};

/// `out[i] = f(x[i])`.
pub fn map1<T: Num, U: Num>(x: &ArrayData, f: impl Fn(T) -> U) -> ArrayData {
    let src = elems::<T>(x);
    let (shape, n) = (x.layout.shape(), x.layout.size());
    let mut buf = alloc::<U>(n);
    let dst = elems_mut::<U>(&mut buf);
    if x.layout.is_row_contiguous() {
        let off = x.layout.offset();
        for (d, &v) in dst.iter_mut().zip(&src[off..off + n]) {
            *d = f(v);
        }
    } else {
        let mut i = 0;
        for_each_offsets(shape, [x.layout.strides()], [x.layout.offset()], |[o]| {
            dst[i] = f(src[o]);
            i += 1;
        });
    }
    finish::<U>(buf, shape)
}

/// One element broadcast everywhere (every stride 0), as a scalar operand is.
fn is_splat(l: &mlx_ops::Layout) -> bool {
    l.strides().iter().all(|&s| s == 0)
}

/// `out[i] = f(a[i], b[i])`.
pub fn map2<T: Num, U: Num>(a: &ArrayData, b: &ArrayData, f: impl Fn(T, T) -> U) -> ArrayData {
    let (sa, sb) = (elems::<T>(a), elems::<T>(b));
    let (shape, n) = (a.layout.shape(), a.layout.size());
    let mut buf = alloc::<U>(n);
    let dst = elems_mut::<U>(&mut buf);
    let (ca, cb) = (a.layout.is_row_contiguous(), b.layout.is_row_contiguous());
    let (oa, ob) = (a.layout.offset(), b.layout.offset());
    let (za, zb) = (is_splat(&a.layout), is_splat(&b.layout));
    if ca && cb {
        for ((d, &x), &y) in dst.iter_mut().zip(&sa[oa..oa + n]).zip(&sb[ob..ob + n]) {
            *d = f(x, y);
        }
    } else if ca && zb && n > 0 {
        let y = sb[ob];
        for (d, &x) in dst.iter_mut().zip(&sa[oa..oa + n]) {
            *d = f(x, y);
        }
    } else if za && cb && n > 0 {
        let x = sa[oa];
        for (d, &y) in dst.iter_mut().zip(&sb[ob..ob + n]) {
            *d = f(x, y);
        }
    } else {
        let mut i = 0;
        for_each_offsets(
            shape,
            [a.layout.strides(), b.layout.strides()],
            [a.layout.offset(), b.layout.offset()],
            |[oa, ob]| {
                dst[i] = f(sa[oa], sb[ob]);
                i += 1;
            },
        );
    }
    finish::<U>(buf, shape)
}

pub fn unary(op: UnaryOp, x: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let not_inexact = || Err(Error::invalid(op.name(), format!("Requires an inexact dtype but got {}.", x.dtype)));
    Ok(match op {
        UnaryOp::Abs if x.dtype.is_complex() => map1::<C64, f32>(x, |z| z.norm()),
        UnaryOp::Abs => dispatch_dtype!(x.dtype, T => map1::<T, T>(x, Num::abs)),
        UnaryOp::Negative => dispatch_dtype!(x.dtype, T => map1::<T, T>(x, Num::neg)),
        UnaryOp::Exp => crate::dispatch_inexact!(x.dtype, T => map1::<T, T>(x, Inexact::exp), else return not_inexact()),
        UnaryOp::Log => crate::dispatch_inexact!(x.dtype, T => map1::<T, T>(x, Inexact::log), else return not_inexact()),
        UnaryOp::Sqrt => {
            crate::dispatch_inexact!(x.dtype, T => map1::<T, T>(x, Inexact::sqrt), else return not_inexact())
        }
        _ => return crate::elementwise_ext::unary(op, x, out),
    })
    .map(|r| debug_checked(r, out))
}

pub fn binary(op: BinaryOp, a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
    use BinaryOp::*;
    let r = match op {
        Add => dispatch_dtype!(a.dtype, T => map2::<T, T>(a, b, Num::add)),
        Subtract => dispatch_dtype!(a.dtype, T => map2::<T, T>(a, b, Num::sub)),
        Multiply => dispatch_dtype!(a.dtype, T => map2::<T, T>(a, b, Num::mul)),
        Divide => crate::dispatch_inexact!(a.dtype, T => map2::<T, T>(a, b, Inexact::div),
            else return Err(Error::invalid("divide", format!("Requires an inexact dtype but got {}.", a.dtype)))),
        Maximum => dispatch_dtype!(a.dtype, T => map2::<T, T>(a, b, Num::max)),
        Minimum => dispatch_dtype!(a.dtype, T => map2::<T, T>(a, b, Num::min)),
        Equal => dispatch_dtype!(a.dtype, T => map2::<T, Bool8>(a, b, |x, y| Bool8::from(x == y))),
        NotEqual => dispatch_dtype!(a.dtype, T => map2::<T, Bool8>(a, b, |x, y| Bool8::from(x != y))),
        Less => dispatch_dtype!(a.dtype, T => map2::<T, Bool8>(a, b, |x, y| Bool8::from(x.lt(y)))),
        LessEqual => dispatch_dtype!(a.dtype, T => map2::<T, Bool8>(a, b, |x, y| Bool8::from(x.le(y)))),
        Greater => dispatch_dtype!(a.dtype, T => map2::<T, Bool8>(a, b, |x, y| Bool8::from(y.lt(x)))),
        GreaterEqual => dispatch_dtype!(a.dtype, T => map2::<T, Bool8>(a, b, |x, y| Bool8::from(y.le(x)))),
        _ => return crate::elementwise_ext::binary(op, a, b, out),
    };
    Ok(debug_checked(r, out))
}

pub fn select(cond: &ArrayData, x: &ArrayData, y: &ArrayData, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(cond: &ArrayData, x: &ArrayData, y: &ArrayData) -> ArrayData {
        let (sc, sx, sy) = (elems::<Bool8>(cond), elems::<T>(x), elems::<T>(y));
        let shape = x.layout.shape();
        let mut buf = alloc::<T>(x.layout.size());
        let dst = elems_mut::<T>(&mut buf);
        let mut i = 0;
        for_each_offsets(
            shape,
            [cond.layout.strides(), x.layout.strides(), y.layout.strides()],
            [cond.layout.offset(), x.layout.offset(), y.layout.offset()],
            |[c, a, b]| {
                dst[i] = if sc[c].get() { sx[a] } else { sy[b] };
                i += 1;
            },
        );
        finish::<T>(buf, shape)
    }
    Ok(debug_checked(dispatch_dtype!(x.dtype, T => run::<T>(cond, x, y)), out))
}

pub fn astype(x: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let r = dispatch_dtype!(x.dtype, S => dispatch_dtype!(out.dtype, D => map1::<S, D>(x, cast::<S, D>)));
    Ok(debug_checked(r, out))
}

/// In debug builds, checks a kernel's result against the inferred spec.
pub fn debug_checked(r: ArrayData, out: &Spec) -> ArrayData {
    debug_assert_eq!(r.shape(), &out.shape[..], "kernel shape differs from inference");
    debug_assert_eq!(r.dtype, out.dtype, "kernel dtype differs from inference");
    r
}
