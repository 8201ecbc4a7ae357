//! FFT kernels (`Primitive::Fft`): any length, computed in f64 whatever the stored dtype.
//!
//! One 1-D plan per length: radix-2 Cooley-Tukey for powers of two, a direct DFT for other
//! lengths up to [`DIRECT_MAX`], and Bluestein's chirp-z algorithm (a circular convolution done
//! with power-of-two FFTs) above it, so every length is `O(n log n)` and exact to f64 rounding.
//! An n-d transform is 1-D transforms along each axis in turn on a contiguous f64 buffer; a
//! real forward transform does its real axis first (keeping `n / 2 + 1` bins), a real inverse
//! does it last (rebuilding the Hermitian spectrum and keeping the real part, which ignores the
//! imaginary parts of the DC and Nyquist bins as pocketfft does). Inverses scale by `1 / n`.

use mlx_ops::{ArrayData, FftParams, Result, Spec, C64};
use num_complex::Complex;

use crate::strided::{alloc, contiguous_elems, elems_mut, finish};

type C = Complex<f64>;

/// Lengths up to this (not powers of two) use the direct `O(n^2)` DFT.
const DIRECT_MAX: usize = 32;

/// A 1-D transform of one length and direction (unscaled: `sum x_j e^{∓2πi jk/n}`).
enum Plan {
    Pow2 { tw: Vec<C> },
    Direct { tw: Vec<C> },
    Bluestein { chirp: Vec<C>, kernel_hat: Vec<C>, inner: Box<Plan>, inner_inv: Box<Plan>, m: usize },
}

/// `e^{sign 2πi k / n}`.
fn twiddle(k: usize, n: usize, sign: f64) -> C {
    let a = sign * 2.0 * std::f64::consts::PI * (k as f64) / (n as f64);
    C::new(a.cos(), a.sin())
}

impl Plan {
    fn new(n: usize, inverse: bool) -> Plan {
        let sign = if inverse { 1.0 } else { -1.0 };
        if n.is_power_of_two() {
            return Plan::Pow2 { tw: (0..n / 2).map(|k| twiddle(k, n, sign)).collect() };
        }
        if n <= DIRECT_MAX {
            return Plan::Direct { tw: (0..n).map(|k| twiddle(k, n, sign)).collect() };
        }
        // Bluestein: jk = (j^2 + k^2 - (k - j)^2) / 2, so X_k = w_k sum_j (x_j w_j) conj(w_{k-j})
        // with w_j = e^{sign πi j^2 / n}; j^2 is reduced mod 2n first to keep the angle exact.
        let chirp: Vec<C> = (0..n)
            .map(|j| {
                let q = ((j as u128 * j as u128) % (2 * n as u128)) as f64;
                let a = sign * std::f64::consts::PI * q / n as f64;
                C::new(a.cos(), a.sin())
            })
            .collect();
        let m = (2 * n - 1).next_power_of_two();
        let inner = Plan::new(m, false);
        let inner_inv = Plan::new(m, true);
        let mut kernel = vec![C::new(0.0, 0.0); m];
        kernel[0] = chirp[0].conj();
        for j in 1..n {
            kernel[j] = chirp[j].conj();
            kernel[m - j] = chirp[j].conj();
        }
        inner.run(&mut kernel, &mut Vec::new());
        Plan::Bluestein { chirp, kernel_hat: kernel, inner: Box::new(inner), inner_inv: Box::new(inner_inv), m }
    }

    /// Transforms `a` in place; `scratch` is reused between calls.
    fn run(&self, a: &mut [C], scratch: &mut Vec<C>) {
        let n = a.len();
        match self {
            Plan::Pow2 { tw } => radix2(a, tw),
            Plan::Direct { tw } => {
                scratch.clear();
                scratch.extend_from_slice(a);
                for (k, out) in a.iter_mut().enumerate() {
                    let mut acc = C::new(0.0, 0.0);
                    for (j, x) in scratch.iter().enumerate() {
                        acc += x * tw[(j * k) % n];
                    }
                    *out = acc;
                }
            }
            Plan::Bluestein { chirp, kernel_hat, inner, inner_inv, m } => {
                let mut buf = vec![C::new(0.0, 0.0); *m];
                for j in 0..n {
                    buf[j] = a[j] * chirp[j];
                }
                inner.run(&mut buf, scratch);
                for (b, k) in buf.iter_mut().zip(kernel_hat) {
                    *b *= k;
                }
                inner_inv.run(&mut buf, scratch);
                let scale = 1.0 / *m as f64;
                for k in 0..n {
                    a[k] = buf[k] * chirp[k] * scale;
                }
            }
        }
    }
}

/// Iterative radix-2 decimation in time; `tw[k] = e^{∓2πi k / n}` for `k < n / 2`.
fn radix2(a: &mut [C], tw: &[C]) {
    let n = a.len();
    if n <= 1 {
        return;
    }
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            a.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let step = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let w = tw[k * step];
                let u = a[start + k];
                let v = a[start + k + len / 2] * w;
                a[start + k] = u + v;
                a[start + k + len / 2] = u - v;
            }
        }
        len <<= 1;
    }
}

/// Applies `f(lane_in, lane_out)` to every lane along `axis` of the row-contiguous `buf` of
/// `shape`, producing a row-contiguous buffer whose `axis` has length `new_len`.
fn along_axis(buf: &[C], shape: &mut [usize], axis: usize, new_len: usize, mut f: impl FnMut(&mut [C], &mut [C])) -> Vec<C> {
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut out = vec![C::new(0.0, 0.0); outer * new_len * inner];
    let mut lane = vec![C::new(0.0, 0.0); len];
    let mut res = vec![C::new(0.0, 0.0); new_len];
    for o in 0..outer {
        for i in 0..inner {
            for (k, v) in lane.iter_mut().enumerate() {
                *v = buf[(o * len + k) * inner + i];
            }
            f(&mut lane, &mut res);
            for (k, v) in res.iter().enumerate() {
                out[(o * new_len + k) * inner + i] = *v;
            }
        }
    }
    shape[axis] = new_len;
    out
}

/// One complex transform of every lane along `axis`, in place, scaled by `1 / n` if inverse.
fn c2c(buf: Vec<C>, shape: &mut [usize], axis: usize, inverse: bool) -> Vec<C> {
    let n = shape[axis];
    if n == 0 || buf.is_empty() {
        return buf;
    }
    let plan = Plan::new(n, inverse);
    let scale = if inverse { 1.0 / n as f64 } else { 1.0 };
    let mut scratch = Vec::new();
    along_axis(&buf, shape, axis, n, |lane, res| {
        plan.run(lane, &mut scratch);
        for (r, v) in res.iter_mut().zip(lane.iter()) {
            *r = v * scale;
        }
    })
}

pub fn fft(x: &ArrayData, p: &FftParams, out: &Spec) -> Result<ArrayData> {
    let mut shape = x.shape().to_vec();
    let mut buf: Vec<C> = if p.real && !p.inverse {
        contiguous_elems::<f32>(x).iter().map(|&v| C::new(v as f64, 0.0)).collect()
    } else {
        contiguous_elems::<C64>(x).iter().map(|v| C::new(v.re as f64, v.im as f64)).collect()
    };
    let (last, rest) = match p.axes.split_last() {
        Some((l, r)) => (*l, r),
        None => return Err(mlx_ops::Error::invalid("fft", "no axes")),
    };
    let empty = out.shape.iter().product::<usize>() == 0;
    if !empty {
        if p.real && !p.inverse {
            // Real axis first: the full transform of the real lane, keeping n / 2 + 1 bins.
            let n = shape[last];
            let plan = Plan::new(n, false);
            let mut scratch = Vec::new();
            buf = along_axis(&buf, &mut shape, last, n / 2 + 1, |lane, res| {
                plan.run(lane, &mut scratch);
                res.copy_from_slice(&lane[..res.len()]);
            });
            for &a in rest {
                buf = c2c(buf, &mut shape, a, false);
            }
        } else if p.real {
            for &a in rest {
                buf = c2c(buf, &mut shape, a, true);
            }
            // Rebuild the Hermitian spectrum X_{n-k} = conj(X_k), invert, keep the real part.
            let m = shape[last];
            let n = out.shape[last];
            let plan = Plan::new(n, true);
            let mut scratch = Vec::new();
            let mut full = vec![C::new(0.0, 0.0); n];
            let scale = 1.0 / n as f64;
            buf = along_axis(&buf, &mut shape, last, n, |lane, res| {
                for k in 0..n {
                    full[k] = if k < m.min(n / 2 + 1) { lane[k] } else if n - k < m { lane[n - k].conj() } else { C::new(0.0, 0.0) };
                }
                plan.run(&mut full, &mut scratch);
                for (r, v) in res.iter_mut().zip(full.iter()) {
                    *r = C::new(v.re * scale, 0.0);
                }
            });
        } else {
            for &a in &p.axes {
                buf = c2c(buf, &mut shape, a, p.inverse);
            }
        }
    }
    let size: usize = out.shape.iter().product();
    if p.real && p.inverse {
        let mut ob = alloc::<f32>(size);
        for (d, s) in elems_mut::<f32>(&mut ob).iter_mut().zip(&buf) {
            *d = s.re as f32;
        }
        Ok(finish::<f32>(ob, &out.shape))
    } else {
        let mut ob = alloc::<C64>(size);
        for (d, s) in elems_mut::<C64>(&mut ob).iter_mut().zip(&buf) {
            *d = C64::new(s.re as f32, s.im as f32);
        }
        Ok(finish::<C64>(ob, &out.shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[C], inverse: bool) -> Vec<C> {
        let n = x.len();
        let sign = if inverse { 1.0 } else { -1.0 };
        (0..n).map(|k| (0..n).map(|j| x[j] * twiddle((j * k) % n, n, sign)).sum()).collect()
    }

    #[test]
    fn every_plan_kind_matches_the_naive_dft() {
        for n in [1, 2, 3, 5, 8, 12, 17, 32, 33, 64, 97, 100, 257] {
            let x: Vec<C> = (0..n).map(|j| C::new((j as f64 * 0.37).sin(), (j as f64 * 1.3).cos())).collect();
            for inverse in [false, true] {
                let mut a = x.clone();
                Plan::new(n, inverse).run(&mut a, &mut Vec::new());
                let want = naive(&x, inverse);
                for (g, w) in a.iter().zip(&want) {
                    assert!((g - w).norm() < 1e-9 * n as f64, "n={n} inverse={inverse}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn real_inverse_ignores_dc_and_nyquist_imaginary_parts() {
        // irfft([1+1j, 2, 3+5j], n=4) = real part of the inverse of [1, 2, 3, 2].
        let x = [C64::new(1.0, 1.0), C64::new(2.0, 0.0), C64::new(3.0, 5.0)];
        let data = crate::strided::finish::<C64>(
            {
                let mut b = alloc::<C64>(3);
                elems_mut::<C64>(&mut b).copy_from_slice(&x);
                b
            },
            &[3],
        );
        let p = FftParams { axes: vec![0], inverse: true, real: true, odd_out: false };
        let r = fft(&data, &p, &Spec::new(vec![4], mlx_ops::Dtype::Float32)).unwrap();
        let got = crate::strided::elems::<f32>(&r);
        assert_eq!(got, &[2.0, -0.5, 0.0, -0.5]);
    }
}
