//! Matrix-vector products (f32/f64; half types are widened to f32 by the caller).
//!
//! GEMV reads every matrix element once, so it is bound by memory bandwidth: the kernels aim to
//! stream W at the speed of memory and keep everything else in registers or L1.
//!
//! - `x @ W` with W's rows contiguous ([`gemv_rows`]): the columns are cut into blocks of
//!   [`COL_BYTES`] (the block of y stays in L1 and each row piece is many cache lines long, so the
//!   hardware prefetcher streams it); per block, 8 rows of W at a time are FMA'd into y.
//! - `W @ x` with W's rows contiguous ([`gemv_dots`]): one dot product per row, 4 rows at a time
//!   sharing the loads of x.
//! - AVX-512F kernels (`par::has_avx512f`) or AVX2+FMA ones (`par::has_avx2_fma`) are chosen at
//!   run time; other CPUs use the portable loops, which have the same structure.
//!
//! Invariant: each output element is computed in one fixed order that depends only on the
//! problem size and the kernel family, never on the thread count: in `x @ W` a column's value
//! does not depend on where column blocks are cut (the vector body and the scalar tail do the
//! same fused multiply-adds in the same order, lane by lane, so the AVX2 and AVX-512 kernels
//! agree bit for bit), so blocks may follow the thread count; in `W @ x` a row's dot product
//! does not depend on which rows share its pass (its lanes, 8 or 16 f32, are summed in a fixed
//! order, so the two families round differently).

use crate::num::Num;
use crate::par;

/// Bytes of y per column block of `x @ W` for the AVX2 kernels (f32: 4096 columns): y stays in
/// L1, and each row piece is 4 pages long. Measured on an AVX2-only EPYC (1 thread, 4096x4096
/// f32, min of 40, standalone harness under load): 16 KiB blocks 3.3-3.4 ms, 8 KiB 3.5-3.7 ms;
/// 4 rows per pass instead of 8 and software prefetch (256-1024 floats ahead) were slower.
const COL_BYTES: usize = 16 << 10;

/// Bytes of y per column block for the AVX-512 kernels (f32: 1024 columns, a page of each row).
/// Measured on a Zen 5 EPYC (1 thread, 4096x4096 f32 on huge pages, median of 40, standalone
/// harness, two runs): 4 KiB 1.19-1.26 ms, 8 KiB 1.26-1.28, 16 KiB 1.32-1.42, 2 KiB 1.70-1.83;
/// the AVX2 kernel with 16 KiB blocks took 1.70-1.87 ms there.
const COL_BYTES_512: usize = 4 << 10;

/// Rows per piece of `W @ x` handed to a thread: about 256 KiB of W.
const DOT_ROWS_BYTES: usize = 1 << 18;

/// Real types with GEMV kernels.
pub(crate) trait Gemv: Num {
    /// `y[j] = sum_p xs[p] * W[p, j]` for `j < y.len()`, where row p of W starts at `w + p*rw`.
    ///
    /// # Safety
    /// `w + p*rw + j` must be readable for every `p < xs.len()`, `j < y.len()`.
    unsafe fn rows_block(xs: &[Self], w: *const Self, rw: isize, y: &mut [Self]);

    /// `y[i] = sum_p W[i, p] * xs[p]` for `i < y.len()`, where row i of W starts at `w + i*rw`.
    ///
    /// # Safety
    /// `w + i*rw + p` must be readable for every `i < y.len()`, `p < xs.len()`.
    unsafe fn dots_block(w: *const Self, rw: isize, xs: &[Self], y: &mut [Self]);
}

/// The elements of a strided vector, gathered once (the kernels then read it from L1).
fn gather<T: Num>(x: &[T], ox: usize, sx: isize, k: usize) -> Vec<T> {
    (0..k).map(|p| x[(ox as isize + p as isize * sx) as usize]).collect()
}

/// Panics unless rows `0..rows` of `len` elements, starting at `off + r*stride`, lie in `0..total`.
fn check_rows(total: usize, off: usize, stride: isize, rows: usize, len: usize) {
    if rows == 0 || len == 0 {
        return;
    }
    let last = off as isize + (rows as isize - 1) * stride;
    let (lo, hi) = (last.min(off as isize), last.max(off as isize));
    assert!(lo >= 0 && hi as usize + len <= total, "gemv: matrix rows reach outside the buffer");
}

/// A raw read-only pointer that may cross threads (the matrix is only read).
#[derive(Clone, Copy)]
struct InPtr<T>(*const T);
// SAFETY: the pointee is a shared, immutable borrow for the whole parallel call.
unsafe impl<T> Send for InPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for InPtr<T> {}

impl<T> InPtr<T> {
    /// The pointer (a method, so closures capture the whole `Send` wrapper, not its field).
    fn get(self) -> *const T {
        self.0
    }
}

/// `y = x @ W` with W (k x n) at `ow` with row stride `rw` and unit column stride; `x` has `k`
/// elements at `ox` with stride `sx`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemv_rows<T: Gemv>(x: &[T], ox: usize, sx: isize, w: &[T], ow: usize, rw: isize, y: &mut [T], k: usize, n: usize, parallel: bool) {
    debug_assert_eq!(y.len(), n);
    if k == 0 {
        y.fill(T::zero());
        return;
    }
    check_rows(w.len(), ow, rw, k, n);
    let xs = gather(x, ox, sx, k);
    // SAFETY: `ow` is in bounds (checked by `check_rows`).
    let base = InPtr(unsafe { w.as_ptr().add(ow) });
    let parallel = parallel && k * n >= par::PAR_MIN_ELEMS * 4;
    let block_bytes = if par::has_avx512f() { COL_BYTES_512 } else { COL_BYTES };
    let mut cols = block_bytes / std::mem::size_of::<T>();
    if parallel {
        // One block per thread at least (results do not depend on the cut, see the module doc).
        cols = cols.min(n.div_ceil(par::num_threads()).div_ceil(64) * 64);
    }
    par::for_each_chunk_mut(y, cols, parallel, &|j0, yb| {
        // SAFETY: rows 0..k of W hold n >= j0 + yb.len() readable elements each (`check_rows`).
        unsafe { T::rows_block(&xs, base.get().add(j0), rw, yb) }
    });
}

/// `y = W @ x` with W (m x k) at `ow` with row stride `rw` and unit column stride; `x` has `k`
/// elements at `ox` with stride `sx`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemv_dots<T: Gemv>(w: &[T], ow: usize, rw: isize, x: &[T], ox: usize, sx: isize, y: &mut [T], m: usize, k: usize, parallel: bool) {
    debug_assert_eq!(y.len(), m);
    if k == 0 {
        y.fill(T::zero());
        return;
    }
    check_rows(w.len(), ow, rw, m, k);
    let xs = gather(x, ox, sx, k);
    // SAFETY: `ow` is in bounds (checked by `check_rows`).
    let base = InPtr(unsafe { w.as_ptr().add(ow) });
    let rows = (DOT_ROWS_BYTES / (k * std::mem::size_of::<T>())).max(4) / 4 * 4;
    par::for_each_chunk_mut(y, rows, parallel && m * k >= par::PAR_MIN_ELEMS * 4, &|i0, yb| {
        // SAFETY: rows i0..i0+yb.len() <= m of W hold k readable elements each (`check_rows`).
        unsafe { T::dots_block(base.get().offset(i0 as isize * rw), rw, &xs, yb) }
    });
}

/// Portable kernels with the structure of the AVX2 ones (used where AVX2/FMA is missing).
mod portable {
    use crate::num::Num;

    /// See [`super::Gemv::rows_block`]; same safety contract.
    pub unsafe fn rows_block<T: Num>(xs: &[T], w: *const T, rw: isize, y: &mut [T]) {
        y.fill(T::zero());
        let n = y.len();
        let mut p = 0;
        while p + 4 <= xs.len() {
            // SAFETY: rows p..p+4 < k have n readable elements (caller's contract).
            let r: [&[T]; 4] = std::array::from_fn(|i| unsafe { std::slice::from_raw_parts(w.offset((p + i) as isize * rw), n) });
            let (x0, x1, x2, x3) = (xs[p], xs[p + 1], xs[p + 2], xs[p + 3]);
            for j in 0..n {
                y[j] = y[j].add(x0.mul(r[0][j]).add(x1.mul(r[1][j])).add(x2.mul(r[2][j]).add(x3.mul(r[3][j]))));
            }
            p += 4;
        }
        while p < xs.len() {
            // SAFETY: row p < k has n readable elements (caller's contract).
            let r = unsafe { std::slice::from_raw_parts(w.offset(p as isize * rw), n) };
            for j in 0..n {
                y[j] = y[j].add(xs[p].mul(r[j]));
            }
            p += 1;
        }
    }

    /// See [`super::Gemv::dots_block`]; same safety contract.
    pub unsafe fn dots_block<T: Num>(w: *const T, rw: isize, xs: &[T], y: &mut [T]) {
        const L: usize = 8;
        for (i, yi) in y.iter_mut().enumerate() {
            // SAFETY: row i has xs.len() readable elements (caller's contract).
            let r = unsafe { std::slice::from_raw_parts(w.offset(i as isize * rw), xs.len()) };
            let mut acc = [T::zero(); L];
            let (cr, cx) = (r.chunks_exact(L), xs.chunks_exact(L));
            let (tr, tx) = (cr.remainder(), cx.remainder());
            for (a, b) in cr.zip(cx) {
                for j in 0..L {
                    acc[j] = acc[j].add(a[j].mul(b[j]));
                }
            }
            let s = ((acc[0].add(acc[4])).add(acc[1].add(acc[5]))).add((acc[2].add(acc[6])).add(acc[3].add(acc[7])));
            *yi = tr.iter().zip(tx).fold(s, |s, (&a, &b)| s.add(a.mul(b)));
        }
    }
}

/// SIMD kernels for one element type and instruction set: `$features` the target features,
/// `$v` the vector type, `$l` its lanes, and the matching intrinsics.
#[cfg(target_arch = "x86_64")]
macro_rules! simd_kernels {
    ($modname:ident, $features:literal, $t:ty, $v:ty, $l:expr, $loadu:ident, $storeu:ident, $set1:ident, $fmadd:ident, $mul:ident, $add:ident, $zero:ident) => {
        mod $modname {
            use std::arch::x86_64::*;

            const L: usize = $l;

            /// Sums the lanes of `v` in a fixed order.
            #[inline(always)]
            fn hsum(v: [$t; L]) -> $t {
                let mut w = L;
                let mut a = v;
                while w > 1 {
                    w /= 2;
                    for j in 0..w {
                        a[j] += a[j + w];
                    }
                }
                a[0]
            }

            /// See `Gemv::rows_block`. 8 rows per pass: y is read and written once per 8 rows
            /// of W; two partial sums keep the FMA chain short.
            ///
            /// # Safety
            /// The CPU supports `$features`; the pointer contract of `Gemv::rows_block`.
            #[target_feature(enable = $features)]
            pub unsafe fn rows_block(xs: &[$t], w: *const $t, rw: isize, y: &mut [$t]) {
                let (n, k) = (y.len(), xs.len());
                let nv = n / L * L;
                let yp = y.as_mut_ptr();
                // SAFETY (whole body): every W address is row p < k, column j < n (caller's
                // contract); every y address is below n = y.len().
                unsafe {
                    let mut p = 0;
                    while p + 8 <= k {
                        let r: [*const $t; 8] = std::array::from_fn(|i| w.offset((p + i) as isize * rw));
                        let x: [$v; 8] = std::array::from_fn(|i| $set1(xs[p + i]));
                        let first = p == 0;
                        let mut j = 0;
                        while j < nv {
                            let y0 = if first { $zero() } else { $loadu(yp.add(j)) };
                            let mut a = $fmadd(x[0], $loadu(r[0].add(j)), y0);
                            let mut b = $mul(x[1], $loadu(r[1].add(j)));
                            a = $fmadd(x[2], $loadu(r[2].add(j)), a);
                            b = $fmadd(x[3], $loadu(r[3].add(j)), b);
                            a = $fmadd(x[4], $loadu(r[4].add(j)), a);
                            b = $fmadd(x[5], $loadu(r[5].add(j)), b);
                            a = $fmadd(x[6], $loadu(r[6].add(j)), a);
                            b = $fmadd(x[7], $loadu(r[7].add(j)), b);
                            $storeu(yp.add(j), $add(a, b));
                            j += L;
                        }
                        while j < n {
                            let y0 = if first { 0.0 } else { *yp.add(j) };
                            let mut a = xs[p].mul_add(*r[0].add(j), y0);
                            let mut b = xs[p + 1] * *r[1].add(j);
                            a = xs[p + 2].mul_add(*r[2].add(j), a);
                            b = xs[p + 3].mul_add(*r[3].add(j), b);
                            a = xs[p + 4].mul_add(*r[4].add(j), a);
                            b = xs[p + 5].mul_add(*r[5].add(j), b);
                            a = xs[p + 6].mul_add(*r[6].add(j), a);
                            b = xs[p + 7].mul_add(*r[7].add(j), b);
                            *yp.add(j) = a + b;
                            j += 1;
                        }
                        p += 8;
                    }
                    if p == 0 {
                        y.fill(0.0);
                    }
                    while p < k {
                        let r = w.offset(p as isize * rw);
                        let x = $set1(xs[p]);
                        let mut j = 0;
                        while j < nv {
                            $storeu(yp.add(j), $fmadd(x, $loadu(r.add(j)), $loadu(yp.add(j))));
                            j += L;
                        }
                        while j < n {
                            *yp.add(j) = xs[p].mul_add(*r.add(j), *yp.add(j));
                            j += 1;
                        }
                        p += 1;
                    }
                }
            }

            /// The dot product of one row with `xs`: two vector accumulators over 2L elements
            /// per step, their lanes summed in a fixed order, then the scalar tail. Shared by
            /// the 4-row pass (same operations, same order), so a row's value does not depend
            /// on its neighbours.
            #[target_feature(enable = $features)]
            unsafe fn dot_finish(a0: $v, a1: $v, r: *const $t, xs: &[$t], from: usize) -> $t {
                let mut lanes = [0.0 as $t; L];
                // SAFETY: `lanes` has L elements; the tail reads row elements from..xs.len()
                // (caller's contract).
                unsafe {
                    $storeu(lanes.as_mut_ptr(), $add(a0, a1));
                    let mut s = hsum(lanes);
                    for p in from..xs.len() {
                        s = (*r.add(p)).mul_add(xs[p], s);
                    }
                    s
                }
            }

            /// See `Gemv::dots_block`.
            ///
            /// # Safety
            /// The CPU supports `$features`; the pointer contract of `Gemv::dots_block`.
            #[target_feature(enable = $features)]
            pub unsafe fn dots_block(w: *const $t, rw: isize, xs: &[$t], y: &mut [$t]) {
                let k = xs.len();
                let kv = k / (2 * L) * (2 * L);
                let xp = xs.as_ptr();
                // SAFETY (whole body): row addresses are rows i < y.len(), columns p < k
                // (caller's contract); x addresses are below k.
                unsafe {
                    let mut i = 0;
                    while i + 4 <= y.len() {
                        let r: [*const $t; 4] = std::array::from_fn(|q| w.offset((i + q) as isize * rw));
                        let mut a: [[$v; 2]; 4] = [[$zero(); 2]; 4];
                        let mut p = 0;
                        while p < kv {
                            let (x0, x1) = ($loadu(xp.add(p)), $loadu(xp.add(p + L)));
                            for q in 0..4 {
                                a[q][0] = $fmadd($loadu(r[q].add(p)), x0, a[q][0]);
                                a[q][1] = $fmadd($loadu(r[q].add(p + L)), x1, a[q][1]);
                            }
                            p += 2 * L;
                        }
                        for q in 0..4 {
                            y[i + q] = dot_finish(a[q][0], a[q][1], r[q], xs, kv);
                        }
                        i += 4;
                    }
                    while i < y.len() {
                        let r = w.offset(i as isize * rw);
                        let (mut a0, mut a1) = ($zero(), $zero());
                        let mut p = 0;
                        while p < kv {
                            a0 = $fmadd($loadu(r.add(p)), $loadu(xp.add(p)), a0);
                            a1 = $fmadd($loadu(r.add(p + L)), $loadu(xp.add(p + L)), a1);
                            p += 2 * L;
                        }
                        y[i] = dot_finish(a0, a1, r, xs, kv);
                        i += 1;
                    }
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
simd_kernels!(avx2_f32, "avx2,fma", f32, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_setzero_ps);
#[cfg(target_arch = "x86_64")]
simd_kernels!(avx2_f64, "avx2,fma", f64, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_mul_pd, _mm256_add_pd, _mm256_setzero_pd);
#[cfg(target_arch = "x86_64")]
simd_kernels!(avx512_f32, "avx512f,avx2,fma", f32, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_mul_ps, _mm512_add_ps, _mm512_setzero_ps);
#[cfg(target_arch = "x86_64")]
simd_kernels!(avx512_f64, "avx512f,avx2,fma", f64, __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_mul_pd, _mm512_add_pd, _mm512_setzero_pd);

macro_rules! impl_gemv {
    ($t:ty, $avx:ident, $avx512:ident) => {
        impl Gemv for $t {
            unsafe fn rows_block(xs: &[$t], w: *const $t, rw: isize, y: &mut [$t]) {
                #[cfg(target_arch = "x86_64")]
                if par::has_avx512f() {
                    // SAFETY: AVX-512F (and AVX2+FMA) are present (checked); contract forwarded.
                    return unsafe { $avx512::rows_block(xs, w, rw, y) };
                }
                #[cfg(target_arch = "x86_64")]
                if par::has_avx2_fma() {
                    // SAFETY: AVX2+FMA are present (checked); pointer contract forwarded.
                    return unsafe { $avx::rows_block(xs, w, rw, y) };
                }
                // SAFETY: pointer contract forwarded.
                unsafe { portable::rows_block(xs, w, rw, y) }
            }
            unsafe fn dots_block(w: *const $t, rw: isize, xs: &[$t], y: &mut [$t]) {
                #[cfg(target_arch = "x86_64")]
                if par::has_avx512f() {
                    // SAFETY: AVX-512F (and AVX2+FMA) are present (checked); contract forwarded.
                    return unsafe { $avx512::dots_block(w, rw, xs, y) };
                }
                #[cfg(target_arch = "x86_64")]
                if par::has_avx2_fma() {
                    // SAFETY: AVX2+FMA are present (checked); pointer contract forwarded.
                    return unsafe { $avx::dots_block(w, rw, xs, y) };
                }
                // SAFETY: pointer contract forwarded.
                unsafe { portable::dots_block(w, rw, xs, y) }
            }
        }
    };
}
impl_gemv!(f32, avx2_f32, avx512_f32);
impl_gemv!(f64, avx2_f64, avx512_f64);

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random matrix/vector value in [-1, 1).
    fn val(i: usize) -> f64 {
        ((i.wrapping_mul(2654435761) % 1000) as f64 - 500.0) / 500.0
    }

    /// Checks `gemv_rows` and `gemv_dots` for T against a plain f64 loop, with W stored with row
    /// stride `n + pad` at an offset and x strided; parallel (the pool's threads) and sequential
    /// runs must agree bit for bit.
    fn check<T: Gemv>(k: usize, n: usize, tol: f64) {
        let (pad, ow, sx, ox) = (3, 5, 2, 1);
        let rw = n + pad;
        let w: Vec<T> = (0..ow + k * rw).map(|i| T::from_f64(val(i))).collect();
        let x: Vec<T> = (0..ox + k * sx as usize + 1).map(|i| T::from_f64(val(i + 7))).collect();
        let xe = |p: usize| x[ox + p * sx as usize].to_f64();
        let we = |p: usize, j: usize| w[ow + p * rw + j].to_f64();
        // x @ W: W is k x n.
        let want: Vec<f64> = (0..n).map(|j| (0..k).map(|p| xe(p) * we(p, j)).sum()).collect();
        let mut seq = vec![T::from_f64(f64::NAN); n];
        gemv_rows(&x, ox, sx, &w, ow, rw as isize, &mut seq, k, n, false);
        let mut par_ = vec![T::from_f64(f64::NAN); n];
        gemv_rows(&x, ox, sx, &w, ow, rw as isize, &mut par_, k, n, true);
        for j in 0..n {
            let g = seq[j].to_f64();
            assert!((g - want[j]).abs() <= tol * (1.0 + k as f64), "rows {k}x{n} j={j}: {g} vs {}", want[j]);
            assert_eq!(g.to_bits(), par_[j].to_f64().to_bits(), "rows {k}x{n} j={j}: thread split changed the value");
        }
        // W @ x: the same W (k rows of n), x now has n elements.
        let xs: Vec<T> = (0..ox + n * sx as usize + 1).map(|i| T::from_f64(val(i + 3))).collect();
        let xe = |p: usize| xs[ox + p * sx as usize].to_f64();
        let want: Vec<f64> = (0..k).map(|i| (0..n).map(|p| we(i, p) * xe(p)).sum()).collect();
        let mut seq = vec![T::from_f64(f64::NAN); k];
        gemv_dots(&w, ow, rw as isize, &xs, ox, sx, &mut seq, k, n, false);
        let mut par_ = vec![T::from_f64(f64::NAN); k];
        gemv_dots(&w, ow, rw as isize, &xs, ox, sx, &mut par_, k, n, true);
        for i in 0..k {
            let g = seq[i].to_f64();
            assert!((g - want[i]).abs() <= tol * (1.0 + n as f64), "dots {k}x{n} i={i}: {g} vs {}", want[i]);
            assert_eq!(g.to_bits(), par_[i].to_f64().to_bits(), "dots {k}x{n} i={i}: thread split changed the value");
        }
        // A row's dot product does not depend on the rows sharing its pass.
        if k > 0 && n > 0 {
            let xg = gather(&xs, ox, sx, n);
            for (i, &want) in seq.iter().enumerate() {
                let mut one = [T::zero()];
                // SAFETY: row i of W has n elements at ow + i*rw (inside `w`).
                unsafe { T::dots_block(w.as_ptr().add(ow + i * rw), rw as isize, &xg, &mut one) };
                assert_eq!(one[0].to_f64().to_bits(), want.to_f64().to_bits(), "dots {k}x{n}: row {i} alone");
            }
        }
    }

    #[test]
    fn small_and_odd_sizes_match_f64_loop() {
        for k in 0..40 {
            for n in 0..40 {
                check::<f32>(k, n, 1e-5);
                check::<f64>(k, n, 1e-13);
            }
        }
    }

    #[test]
    fn large_sizes_match_f64_loop() {
        for &(k, n) in &[(4095, 37), (4097, 9), (33, 4095), (9, 4097), (300, 2049), (2050, 300), (17, 6001), (64, 8200)] {
            check::<f32>(k, n, 1e-5);
            check::<f64>(k, n, 1e-13);
        }
    }

    /// Where the CPU has AVX-512F, its `x @ W` kernel gives the AVX2 kernel's bits (same FMAs,
    /// lane by lane) and its `W @ x` kernel agrees to rounding (16 lanes summed instead of 8).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_kernels_agree_with_avx2() {
        if !par::has_avx512f() {
            return;
        }
        for &(k, n) in &[(1, 1), (7, 15), (8, 16), (9, 33), (17, 100), (64, 1031), (300, 47)] {
            let rw = n + 3;
            let w: Vec<f32> = (0..k * rw).map(val).map(|v| v as f32).collect();
            let xk: Vec<f32> = (0..k).map(|i| val(i + 1) as f32).collect();
            let xn: Vec<f32> = (0..n).map(|i| val(i + 2) as f32).collect();
            let (mut y2, mut y5) = (vec![f32::NAN; n], vec![f32::NAN; n]);
            // SAFETY: both feature sets are present (checked above); rows 0..k of w hold n
            // elements each at i*rw.
            unsafe {
                avx2_f32::rows_block(&xk, w.as_ptr(), rw as isize, &mut y2);
                avx512_f32::rows_block(&xk, w.as_ptr(), rw as isize, &mut y5);
            }
            assert_eq!(y2.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), y5.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "rows {k}x{n}");
            let (mut d2, mut d5) = (vec![f32::NAN; k], vec![f32::NAN; k]);
            // SAFETY: as above; rows 0..k hold n elements, xn has n.
            unsafe {
                avx2_f32::dots_block(w.as_ptr(), rw as isize, &xn, &mut d2);
                avx512_f32::dots_block(w.as_ptr(), rw as isize, &xn, &mut d5);
            }
            for i in 0..k {
                assert!((d2[i] - d5[i]).abs() <= 1e-5 * (1.0 + n as f32), "dots {k}x{n} i={i}: {} vs {}", d2[i], d5[i]);
            }
        }
    }

    #[test]
    fn portable_kernels_match_f64_loop() {
        for &(k, n) in &[(0, 5), (1, 1), (3, 17), (9, 33), (40, 7), (130, 65)] {
            let rw = n + 2;
            let w: Vec<f32> = (0..k * rw).map(val).map(|v| v as f32).collect();
            let xk: Vec<f32> = (0..k).map(|i| val(i + 1) as f32).collect();
            let xn: Vec<f32> = (0..n).map(|i| val(i + 2) as f32).collect();
            let mut y = vec![f32::NAN; n];
            // SAFETY: rows 0..k of w hold n elements each at i*rw.
            unsafe { portable::rows_block(&xk, w.as_ptr(), rw as isize, &mut y) };
            for j in 0..n {
                let want: f64 = (0..k).map(|p| xk[p] as f64 * w[p * rw + j] as f64).sum();
                assert!((y[j] as f64 - want).abs() <= 1e-5 * (1.0 + k as f64));
            }
            let mut y = vec![f32::NAN; k];
            // SAFETY: as above.
            unsafe { portable::dots_block(w.as_ptr(), rw as isize, &xn, &mut y) };
            for i in 0..k {
                let want: f64 = (0..n).map(|p| w[i * rw + p] as f64 * xn[p] as f64).sum();
                assert!((y[i] as f64 - want).abs() <= 1e-5 * (1.0 + n as f64));
            }
        }
    }
}
