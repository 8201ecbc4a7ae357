//! Elementwise kernels: unary, binary, select (`where`) and astype. Inputs share one shape (the
//! API broadcasts them with stride-0 views). Every layout is walked row by row
//! (`for_each_row`, after merging contiguous axes, so a row-contiguous operand set is one flat
//! row) and each row's loop is specialized for stride 1 / stride 0 (scalar or broadcast row)
//! operands, compiled for AVX2 when available (`par::simd!`; AVX-512 for [`map1`]). Outputs of `par::PAR_MIN_ELEMS`
//! elements or more are split along their leading axis across threads; each element is
//! computed by the same scalar function (`num.rs`) whatever the path, so results never depend
//! on layout or thread count. Cheap ops (`map1_cheap`, `map2_cheap`) write fresh outputs too
//! large for the cache with non-temporal stores (`crate::nontemporal`).

use mlx_ops::{dispatch_dtype, ArrayData, BinaryOp, Bool8, Error, Result, Spec, UnaryOp, C64};

use crate::donate::Operand;
use crate::nontemporal;
use crate::num::{cast, Inexact, Num};
use crate::par;
use crate::strided::{alloc_for_overwrite, elems, elems_mut, finish, for_each_row, par_leading};

/// `out[i] = f(x[i])`, into `x`'s own buffer when it is donated and fits (`crate::donate`).
/// For the costlier unary functions (exp, log, the trigonometric ones, ...): compute-bound, so
/// compiled for 512-bit vectors on AVX-512 CPUs (`par::simd!(wide if ..)`).
pub fn map1<'a, T: Num, U: Num>(x: impl Into<Operand<'a>>, f: impl Fn(T) -> U + Sync + Send) -> ArrayData {
    map1_impl::<T, U, false>(x, f)
}

/// [`map1`] for a cheap `f` (a few instructions per element), which memory bandwidth bounds: a
/// fresh output too large for the cache is written with non-temporal stores
/// (`crate::nontemporal`).
pub fn map1_cheap<'a, T: Num, U: Num>(x: impl Into<Operand<'a>>, f: impl Fn(T) -> U + Sync + Send) -> ArrayData {
    map1_impl::<T, U, true>(x, f)
}

/// [`map1`], with `STREAM` as in [`map1_cheap`].
fn map1_impl<'a, T: Num, U: Num, const STREAM: bool>(x: impl Into<Operand<'a>>, f: impl Fn(T) -> U + Sync + Send) -> ArrayData {
    let mut x = x.into();
    let in_place = x.write_in_place::<U>(|d| {
        let n = d.len();
        par::for_each_chunk_mut(d, par::chunk_len(n, par::PAR_MIN_ELEMS / 4), n >= par::PAR_MIN_ELEMS, &|_, d| {
            // The buffer holds T values (same dtype as U, checked by `write_in_place`).
            par::simd!(wide if !STREAM; d.iter_mut().for_each(|v| *v = f(bytemuck::cast::<U, T>(*v))))
        });
    });
    if let Some(r) = in_place {
        return r;
    }
    let x = &*x;
    let src = elems::<T>(x);
    let (shape, n) = (x.layout.shape(), x.layout.size());
    let mut buf = alloc_for_overwrite::<U>(n);
    let dst = elems_mut::<U>(&mut buf);
    let stream = STREAM && nontemporal::worth_it(std::mem::size_of_val(dst));
    if x.layout.is_row_contiguous() {
        let src = &src[x.layout.offset()..x.layout.offset() + n];
        par::for_each_chunk_mut(dst, par::chunk_len(n, par::PAR_MIN_ELEMS / 4), n >= par::PAR_MIN_ELEMS, &|start, d| {
            par::simd!(wide if !STREAM; nontemporal::fill::<STREAM, _>(d, stream, |j, d| {
                let src = &src[start + j..start + j + d.len()];
                for (d, &v) in d.iter_mut().zip(src) {
                    *d = f(v);
                }
            }))
        });
    } else {
        par_leading(shape, [x.layout.strides()], [x.layout.offset()], dst, |shape, starts, dst| {
            let mut i = 0;
            for_each_row(shape, [x.layout.strides()], starts, |[o], len, [s]| {
                let d = &mut dst[i..i + len];
                i += len;
                par::simd!(wide if !STREAM; nontemporal::fill::<STREAM, _>(d, stream, |j, d| {
                    let (o, len) = ((o as isize + j as isize * s) as usize, d.len());
                    match s {
                        1 => d.iter_mut().zip(&src[o..o + len]).for_each(|(d, &v)| *d = f(v)),
                        0 => d.fill(f(src[o])),
                        _ => d.iter_mut().enumerate().for_each(|(j, d)| *d = f(src[(o as isize + j as isize * s) as usize])),
                    }
                }))
            });
        });
    }
    finish::<U>(buf, shape)
}

/// `out[i] = f(a[i], b[i])`, into `a`'s or else `b`'s own buffer when it is donated and fits
/// (`crate::donate`).
pub fn map2<'a, 'b, T: Num, U: Num>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'b>>, f: impl Fn(T, T) -> U + Sync + Send) -> ArrayData {
    map2_impl::<T, U, false>(a, b, f)
}

/// [`map2`] for a cheap `f`, streaming large fresh outputs as [`map1_cheap`] does.
pub fn map2_cheap<'a, 'b, T: Num, U: Num>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'b>>, f: impl Fn(T, T) -> U + Sync + Send) -> ArrayData {
    map2_impl::<T, U, true>(a, b, f)
}

/// [`map2`], with `STREAM` as in [`map1_cheap`].
fn map2_impl<'a, 'b, T: Num, U: Num, const STREAM: bool>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'b>>, f: impl Fn(T, T) -> U + Sync + Send) -> ArrayData {
    let (mut a, mut b) = (a.into(), b.into());
    // Each attempt holds a shared handle of the other operand only while it runs (a second
    // handle would make that operand's buffer look shared to the next attempt).
    {
        let other = b.clone_shared();
        if let Some(r) = a.write_in_place::<U>(|d| in_place2::<T, U>(d, &other, &|x, y| f(x, y))) {
            return r;
        }
    }
    {
        let other = a.clone_shared();
        if let Some(r) = b.write_in_place::<U>(|d| in_place2::<T, U>(d, &other, &|y, x| f(x, y))) {
            return r;
        }
    }
    let (a, b) = (&*a, &*b);
    let (sa, sb) = (elems::<T>(a), elems::<T>(b));
    let (shape, n) = (a.layout.shape(), a.layout.size());
    let mut buf = alloc_for_overwrite::<U>(n);
    let dst = elems_mut::<U>(&mut buf);
    let stream = STREAM && nontemporal::worth_it(std::mem::size_of_val(dst));
    par_leading(
        shape,
        [a.layout.strides(), b.layout.strides()],
        [a.layout.offset(), b.layout.offset()],
        dst,
        |shape, starts, dst| {
            let mut i = 0;
            for_each_row(shape, [a.layout.strides(), b.layout.strides()], starts, |[oa, ob], len, [s, t]| {
                let d = &mut dst[i..i + len];
                i += len;
                par::simd!(nontemporal::fill::<STREAM, _>(d, stream, |j, d| {
                    let (oa, ob, len) = ((oa as isize + j as isize * s) as usize, (ob as isize + j as isize * t) as usize, d.len());
                    match (s, t) {
                        (1, 1) => {
                            for ((d, &x), &y) in d.iter_mut().zip(&sa[oa..oa + len]).zip(&sb[ob..ob + len]) {
                                *d = f(x, y);
                            }
                        }
                        (1, 0) => {
                            let y = sb[ob];
                            d.iter_mut().zip(&sa[oa..oa + len]).for_each(|(d, &x)| *d = f(x, y));
                        }
                        (0, 1) => {
                            let x = sa[oa];
                            d.iter_mut().zip(&sb[ob..ob + len]).for_each(|(d, &y)| *d = f(x, y));
                        }
                        _ => {
                            for (j, d) in d.iter_mut().enumerate() {
                                let j = j as isize;
                                *d = f(sa[(oa as isize + j * s) as usize], sb[(ob as isize + j * t) as usize]);
                            }
                        }
                    }
                }))
            });
        },
    );
    finish::<U>(buf, shape)
}

/// An elementwise unary op; a donated `x` may receive the result (`crate::donate`).
pub fn unary<'a>(op: UnaryOp, x: impl Into<Operand<'a>>, out: &Spec) -> Result<ArrayData> {
    let x = x.into();
    let dtype = x.dtype;
    let not_inexact = || Err(Error::invalid(op.name(), format!("Requires an inexact dtype but got {dtype}.")));
    Ok(match op {
        UnaryOp::Abs if dtype.is_complex() => map1_cheap::<C64, f32>(x, |z| z.norm()),
        UnaryOp::Abs => dispatch_dtype!(dtype, T => map1_cheap::<T, T>(x, Num::abs)),
        UnaryOp::Negative => dispatch_dtype!(dtype, T => map1_cheap::<T, T>(x, Num::neg)),
        UnaryOp::Exp => crate::dispatch_inexact!(dtype, T => map1::<T, T>(x, Inexact::exp), else return not_inexact()),
        UnaryOp::Log => crate::dispatch_inexact!(dtype, T => map1::<T, T>(x, Inexact::log), else return not_inexact()),
        UnaryOp::Sqrt => {
            crate::dispatch_inexact!(dtype, T => map1::<T, T>(x, Inexact::sqrt), else return not_inexact())
        }
        _ => return crate::elementwise_ext::unary(op, x, out),
    })
    .map(|r| debug_checked(r, out))
}

/// An elementwise binary op; a donated `a` or `b` may receive the result (`crate::donate`).
pub fn binary<'a, 'b>(op: BinaryOp, a: impl Into<Operand<'a>>, b: impl Into<Operand<'b>>, out: &Spec) -> Result<ArrayData> {
    use BinaryOp::*;
    let (a, b) = (a.into(), b.into());
    let dtype = a.dtype;
    let r = match op {
        Add => dispatch_dtype!(dtype, T => map2_cheap::<T, T>(a, b, Num::add)),
        Subtract => dispatch_dtype!(dtype, T => map2_cheap::<T, T>(a, b, Num::sub)),
        Multiply => dispatch_dtype!(dtype, T => map2_cheap::<T, T>(a, b, Num::mul)),
        Divide => crate::dispatch_inexact!(dtype, T => map2_cheap::<T, T>(a, b, Inexact::div),
            else return Err(Error::invalid("divide", format!("Requires an inexact dtype but got {dtype}.")))),
        Maximum => dispatch_dtype!(dtype, T => map2_cheap::<T, T>(a, b, Num::max)),
        Minimum => dispatch_dtype!(dtype, T => map2_cheap::<T, T>(a, b, Num::min)),
        Equal => dispatch_dtype!(dtype, T => map2_cheap::<T, Bool8>(a, b, |x, y| Bool8::from(x == y))),
        NotEqual => dispatch_dtype!(dtype, T => map2_cheap::<T, Bool8>(a, b, |x, y| Bool8::from(x != y))),
        Less => dispatch_dtype!(dtype, T => map2_cheap::<T, Bool8>(a, b, |x, y| Bool8::from(x.lt(y)))),
        LessEqual => dispatch_dtype!(dtype, T => map2_cheap::<T, Bool8>(a, b, |x, y| Bool8::from(x.le(y)))),
        Greater => dispatch_dtype!(dtype, T => map2_cheap::<T, Bool8>(a, b, |x, y| Bool8::from(y.lt(x)))),
        GreaterEqual => dispatch_dtype!(dtype, T => map2_cheap::<T, Bool8>(a, b, |x, y| Bool8::from(y.le(x)))),
        _ => return crate::elementwise_ext::binary(op, a, b, out),
    };
    Ok(debug_checked(r, out))
}

/// `d[i] = f(d[i], other[i])` over the donated contiguous buffer `d` (T values, read as `U`'s
/// bits: same dtype) and the other operand through its layout.
fn in_place2<T: Num, U: Num>(d: &mut [U], other: &ArrayData, f: &(impl Fn(T, T) -> U + Sync)) {
    let so = elems::<T>(other);
    let l = &other.layout;
    par_leading(l.shape(), [l.strides()], [l.offset()], d, |shape, starts, d| {
        let mut i = 0;
        for_each_row(shape, [l.strides()], starts, |[o], len, [s]| {
            let d = &mut d[i..i + len];
            i += len;
            let mine = |v: &U| bytemuck::cast::<U, T>(*v);
            par::simd!(match s {
                1 => d.iter_mut().zip(&so[o..o + len]).for_each(|(d, &y)| *d = f(mine(d), y)),
                0 => {
                    let y = so[o];
                    d.iter_mut().for_each(|d| *d = f(mine(d), y))
                }
                _ => d.iter_mut().enumerate().for_each(|(j, d)| *d = f(mine(d), so[(o as isize + j as isize * s) as usize])),
            })
        });
    });
}

/// `where(cond, x, y)`: a cheap op, so walked like `map2` (rows, stride-1 and scalar-operand
/// loops compiled for AVX2, threads over the leading axis, large outputs streamed).
pub fn select(cond: &ArrayData, x: &ArrayData, y: &ArrayData, out: &Spec) -> Result<ArrayData> {
    fn run<T: Num>(cond: &ArrayData, x: &ArrayData, y: &ArrayData) -> ArrayData {
        let (sc, sx, sy) = (elems::<Bool8>(cond), elems::<T>(x), elems::<T>(y));
        let shape = x.layout.shape();
        let mut buf = alloc_for_overwrite::<T>(x.layout.size());
        let dst = elems_mut::<T>(&mut buf);
        let stream = nontemporal::worth_it(std::mem::size_of_val(dst));
        let strides = [cond.layout.strides(), x.layout.strides(), y.layout.strides()];
        par_leading(shape, strides, [cond.layout.offset(), x.layout.offset(), y.layout.offset()], dst, |shape, starts, dst| {
            let mut i = 0;
            for_each_row(shape, strides, starts, |o, len, st| {
                let d = &mut dst[i..i + len];
                i += len;
                par::simd!(nontemporal::fill::<true, _>(d, stream, |j, d| {
                    let [oc, ox, oy] = std::array::from_fn(|k| (o[k] as isize + j as isize * st[k]) as usize);
                    let len = d.len();
                    match st {
                        [1, 1, 1] => {
                            for (((d, c), &a), &b) in d.iter_mut().zip(&sc[oc..oc + len]).zip(&sx[ox..ox + len]).zip(&sy[oy..oy + len]) {
                                *d = pick(*c, a, b);
                            }
                        }
                        [1, 1, 0] => {
                            let b = sy[oy];
                            for ((d, c), &a) in d.iter_mut().zip(&sc[oc..oc + len]).zip(&sx[ox..ox + len]) {
                                *d = pick(*c, a, b);
                            }
                        }
                        [1, 0, 1] => {
                            let a = sx[ox];
                            for ((d, c), &b) in d.iter_mut().zip(&sc[oc..oc + len]).zip(&sy[oy..oy + len]) {
                                *d = pick(*c, a, b);
                            }
                        }
                        [s0, s1, s2] => {
                            for (k, d) in d.iter_mut().enumerate() {
                                let k = k as isize;
                                let c = sc[(oc as isize + k * s0) as usize];
                                *d = pick(c, sx[(ox as isize + k * s1) as usize], sy[(oy as isize + k * s2) as usize]);
                            }
                        }
                    }
                }))
            });
        });
        finish::<T>(buf, shape)
    }
    Ok(debug_checked(dispatch_dtype!(x.dtype, T => run::<T>(cond, x, y)), out))
}

/// `if c { a } else { b }`, computed on the bits of both values: LLVM turned the plain `if` into
/// a choice between the two addresses followed by scalar loads (`perf`: where 16M at 17 ms on
/// 1 or 2 threads); a bit blend vectorizes. Every bit of the chosen value is kept (NaN
/// payloads included).
#[inline(always)]
fn pick<T: Num>(c: Bool8, a: T, b: T) -> T {
    macro_rules! blend {
        ($u:ty) => {{
            let m = <$u>::from(c.get()).wrapping_neg();
            bytemuck::cast::<$u, T>((bytemuck::cast::<T, $u>(a) & m) | (bytemuck::cast::<T, $u>(b) & !m))
        }};
    }
    match std::mem::size_of::<T>() {
        1 => blend!(u8),
        2 => blend!(u16),
        4 => blend!(u32),
        8 => blend!(u64),
        _ => {
            if c.get() {
                a
            } else {
                b
            }
        }
    }
}

pub fn astype(x: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let r = dispatch_dtype!(x.dtype, S => dispatch_dtype!(out.dtype, D => map1_cheap::<S, D>(x, cast::<S, D>)));
    Ok(debug_checked(r, out))
}

/// In debug builds, checks a kernel's result against the inferred spec.
pub fn debug_checked(r: ArrayData, out: &Spec) -> ArrayData {
    debug_assert_eq!(r.shape(), &out.shape[..], "kernel shape differs from inference");
    debug_assert_eq!(r.dtype, out.dtype, "kernel dtype differs from inference");
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::{Dtype, Layout};

    fn arr<T: Num>(v: &[T], layout: Layout) -> ArrayData {
        let mut buf = crate::strided::alloc::<T>(v.len());
        elems_mut::<T>(&mut buf).copy_from_slice(v);
        ArrayData::new(std::sync::Arc::new(mlx_ops::Buffer::Host(buf)), layout, T::DTYPE)
    }

    /// The results of `a op b` (and of `-a`, `a < b`, a cast and `where`) with streaming forced, which must
    /// equal the direct writes bit for bit, over layouts that take every row path.
    fn streamed_and_direct(a: &ArrayData, b: &ArrayData) -> [[Vec<u8>; 6]; 2] {
        let run = |force: bool| {
            crate::nontemporal::FORCE.with(|f| f.set(force));
            let shape = a.shape().to_vec();
            let spec = |d| Spec::new(shape.clone(), d);
            let outs = [
                binary(BinaryOp::Add, a, b, &spec(Dtype::Float32)).unwrap(),
                binary(BinaryOp::Multiply, a, b, &spec(Dtype::Float32)).unwrap(),
                binary(BinaryOp::Less, a, b, &spec(Dtype::Bool)).unwrap(),
                unary(UnaryOp::Negative, a, &spec(Dtype::Float32)).unwrap(),
                astype(b, &spec(Dtype::Float64)).unwrap(),
                select(&binary(BinaryOp::Less, a, b, &spec(Dtype::Bool)).unwrap(), a, b, &spec(Dtype::Float32)).unwrap(),
            ];
            crate::nontemporal::FORCE.with(|f| f.set(false));
            outs.map(|o| o.buffer.host().unwrap()[..o.layout.size() * o.dtype.size()].to_vec())
        };
        [run(true), run(false)]
    }

    #[test]
    fn select_keeps_every_bit_of_the_chosen_value() {
        let nan = f32::from_bits(0x7fc0_1234);
        let vx = [nan, -0.0, 1.5, f32::INFINITY, 2.0];
        let vy = [0.0, 7.0, f32::from_bits(0xffc0_0001), -3.0, 9.0];
        let vc = [1u8, 1, 0, 1, 0].map(Bool8);
        let (x, y) = (arr(&vx, Layout::contiguous(&[5])), arr(&vy, Layout::contiguous(&[5])));
        let cond = arr(&vc, Layout::contiguous(&[5]));
        let r = select(&cond, &x, &y, &Spec::new(vec![5], Dtype::Float32)).unwrap();
        let got: Vec<u32> = crate::strided::contiguous_elems::<f32>(&r).iter().map(|v| v.to_bits()).collect();
        let want: Vec<u32> = (0..5).map(|i| if vc[i].get() { vx[i] } else { vy[i] }.to_bits()).collect();
        assert_eq!(got, want);
        // Every element size takes its own blend (1, 2, 4, 8 bytes; complex64 the branch).
        let c64 = |re: f32| C64::new(re, -re);
        let z = select(&cond, &arr(&[c64(1.0); 5], Layout::contiguous(&[5])), &arr(&[c64(2.0); 5], Layout::contiguous(&[5])), &Spec::new(vec![5], Dtype::Complex64)).unwrap();
        let zs: Vec<f32> = crate::strided::contiguous_elems::<C64>(&z).iter().map(|v| v.re).collect();
        assert_eq!(zs, [1.0, 1.0, 2.0, 1.0, 2.0]);
        let h = select(&cond, &arr(&[1i16; 5], Layout::contiguous(&[5])), &arr(&[-1i16; 5], Layout::contiguous(&[5])), &Spec::new(vec![5], Dtype::Int16)).unwrap();
        assert_eq!(&*crate::strided::contiguous_elems::<i16>(&h), &[1, 1, -1, 1, -1]);
        let d = select(&cond, &arr(&[1.0f64; 5], Layout::contiguous(&[5])), &arr(&[-1.0f64; 5], Layout::contiguous(&[5])), &Spec::new(vec![5], Dtype::Float64)).unwrap();
        assert_eq!(&*crate::strided::contiguous_elems::<f64>(&d), &[1.0, 1.0, -1.0, 1.0, -1.0]);
        let u = select(&cond, &arr(&[3u8; 5], Layout::contiguous(&[5])), &arr(&[4u8; 5], Layout::contiguous(&[5])), &Spec::new(vec![5], Dtype::Uint8)).unwrap();
        assert_eq!(&*crate::strided::contiguous_elems::<u8>(&u), &[3, 3, 4, 3, 4]);
    }

    /// `map1` bodies are compiled for 512-bit vectors on AVX-512 CPUs, AVX2 elsewhere: either
    /// way each element must be the scalar function's bits, on the contiguous, strided and
    /// in-place paths, above and below the parallel threshold.
    #[test]
    fn vectorized_unary_ops_give_the_scalar_bits() {
        use crate::math::FloatMath;
        use crate::num::Inexact;
        let n = par::PAR_MIN_ELEMS * 2 + 13;
        let v: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.0137).sin() * 90.0 - (i % 7) as f32).collect();
        let mut ops: Vec<(UnaryOp, fn(f32) -> f32)> = vec![(UnaryOp::Exp, Inexact::exp), (UnaryOp::Log, Inexact::log), (UnaryOp::Sqrt, Inexact::sqrt)];
        for op in [UnaryOp::Sin, UnaryOp::Tanh, UnaryOp::Sigmoid, UnaryOp::Erf, UnaryOp::Log1p] {
            ops.push((op, <f32 as FloatMath>::unary_fn(op).unwrap()));
        }
        for len in [n, 1000] {
            let x = arr(&v[..len], Layout::contiguous(&[len]));
            let strided = arr(&v[..len], Layout::contiguous(&[len / 2, 2])).with_layout(Layout::contiguous(&[len / 2, 2]).transpose(&[1, 0]));
            for &(op, f) in &ops {
                let spec = Spec::new(vec![len], Dtype::Float32);
                let got = unary(op, &x, &spec).unwrap();
                let got: Vec<u32> = crate::strided::contiguous_elems::<f32>(&got).iter().map(|y| y.to_bits()).collect();
                let want: Vec<u32> = v[..len].iter().map(|&y| f(y).to_bits()).collect();
                assert_eq!(got, want, "{op:?} over {len}");
                let got_t = unary(op, &strided, &Spec::new(vec![2, len / 2], Dtype::Float32)).unwrap();
                let want_t: Vec<u32> = (0..2).flat_map(|r| (0..len / 2).map(move |c| (r, c))).map(|(r, c)| f(v[c * 2 + r]).to_bits()).collect();
                let got_t: Vec<u32> = crate::strided::contiguous_elems::<f32>(&got_t).iter().map(|y| y.to_bits()).collect();
                assert_eq!(got_t, want_t, "{op:?} over a transposed {len}");
                let mut own = arr(&v[..len], Layout::contiguous(&[len]));
                let donated = map1::<f32, f32>(Operand::Donated(&mut own), f);
                let donated: Vec<u32> = crate::strided::contiguous_elems::<f32>(&donated).iter().map(|y| y.to_bits()).collect();
                assert_eq!(donated, want, "{op:?} in place over {len}");
            }
        }
    }

    #[test]
    fn streamed_outputs_equal_direct_ones() {
        let (r, c) = (37, 1301); // rows of 1301 f32: unaligned starts, staged blocks and tails
        let va: Vec<f32> = (0..r * c).map(|i| (i as f32 * 0.37).sin() * 5.0).collect();
        let vb: Vec<f32> = (0..r * c).map(|i| (i as f32 * 0.11).cos() * 5.0).collect();
        let a = arr(&va, Layout::contiguous(&[r, c]));
        let b_full = arr(&vb, Layout::contiguous(&[r, c]));
        let b_row = arr(&vb[..c], Layout::contiguous(&[c])).with_layout(Layout::contiguous(&[c]).broadcast_to(&[r, c]));
        // b's values read through a transposed view (stride c along the output rows).
        let b_t = arr(&vb, Layout::contiguous(&[c, r])).with_layout(Layout::contiguous(&[c, r]).transpose(&[1, 0]));
        for b in [&b_full, &b_row, &b_t] {
            let [streamed, direct] = streamed_and_direct(&a, b);
            assert_eq!(streamed, direct);
            // And the values are the ones asked for (spot-check the sum).
            let bv = crate::strided::contiguous_elems::<f32>(b);
            let sum: Vec<f32> = bytemuck::cast_slice(&streamed[0]).to_vec();
            let min: Vec<f32> = bytemuck::cast_slice(&streamed[5]).to_vec();
            for i in (0..r * c).step_by(97) {
                assert_eq!(sum[i], va[i] + bv[i], "element {i}");
                assert_eq!(min[i], if va[i] < bv[i] { va[i] } else { bv[i] }, "element {i}");
            }
        }
    }
}
