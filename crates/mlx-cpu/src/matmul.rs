//! Batched matrix multiplication, `(B.., M, K) @ (B.., K, N)` (the API has broadcast the batch
//! axes, possibly as stride-0 views).
//!
//! - f32 and f64 on x86-64 with AVX2+FMA: our GEMM (`crate::gemm`: packed, cache-blocked, 6x16
//!   / 6x8 micro-kernels, one shared packed B per step with rows or columns split across threads).
//! - Elsewhere: the `matrixmultiply` GEMM (runtime-chosen micro-kernels, portable);
//!   large products split their rows (or, for few rows, their columns) into one piece per thread.
//! - Both read operands through their strides, so transposed, sliced and broadcast operands are
//!   never copied; batches split across threads. Each output element is computed by the same
//!   kernel in the same order however the work is split (results do not depend on threads).
//! - GEMV (M = 1 or N = 1 per batch) is bandwidth-bound and has its own kernels
//!   (`crate::gemv`).
//! - f16/bf16: with our GEMM, widened to f32 while packing (no widened operand copies), f32
//!   accumulation, rounded once at the end (what MLX does on CPU); GEMV shapes and CPUs
//!   without AVX2+FMA widen the operands once and take the f32 path.
//! - complex64: the plain i-k-j loop.
//!
//! Invariant relied on by the `unsafe` GEMM calls: every index an operand's layout reaches lies
//! inside its buffer (checked once per call by `reachable_within`).

use half::{bf16, f16};
use mlx_ops::{ArrayData, Dtype, Element, Error, Layout, Result, Spec, C64};

use crate::elementwise::debug_checked;
use crate::gemm;
use crate::gemv::{gemv_dots, gemv_rows, Gemv};
use crate::num::{cast, Num};
use crate::par;
use crate::strided::{alloc, alloc_for_overwrite, contiguous_elems, elems, elems_mut, finish, for_each_offsets, reachable_within};

/// Real types with a packed GEMM: ours (`crate::gemm`) where the CPU has one, else
/// `matrixmultiply`'s.
trait Gemm: Gemv + gemm::Acc + gemm::Elem<Self> {
    /// `C = A @ B` for an (m,k) x (k,n) product through raw strides, with `matrixmultiply`.
    ///
    /// # Safety
    /// Every element `a + i*rsa + p*csa` (i < m, p < k), `b + p*rsb + j*csb` (p < k, j < n) must
    /// be readable and `c + i*rsc + j*csc` writable with no other access during the call.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const Self, sa: [isize; 2], b: *const Self, sb: [isize; 2], c: *mut Self, sc: [isize; 2]);
}

impl Gemm for f32 {
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const f32, sa: [isize; 2], b: *const f32, sb: [isize; 2], c: *mut f32, sc: [isize; 2]) {
        // SAFETY: forwarded from the caller's contract; beta = 0 means C is only written.
        unsafe { matrixmultiply::sgemm(m, k, n, 1.0, a, sa[0], sa[1], b, sb[0], sb[1], 0.0, c, sc[0], sc[1]) }
    }
}

impl Gemm for f64 {
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const f64, sa: [isize; 2], b: *const f64, sb: [isize; 2], c: *mut f64, sc: [isize; 2]) {
        // SAFETY: forwarded from the caller's contract; beta = 0 means C is only written.
        unsafe { matrixmultiply::dgemm(m, k, n, 1.0, a, sa[0], sa[1], b, sb[0], sb[1], 0.0, c, sc[0], sc[1]) }
    }
}


/// A raw output pointer that may cross threads; each thread writes a disjoint part.
#[derive(Clone, Copy)]
struct OutPtr<T>(*mut T);
// SAFETY: only used to hand disjoint column blocks of one output to scoped worker threads.
unsafe impl<T> Send for OutPtr<T> {}
// SAFETY: as above; the pointer itself is never used for overlapping writes.
unsafe impl<T> Sync for OutPtr<T> {}

/// Matrix-vector products with fewer matrix elements than this use the GEMM.
const GEMV_MIN: usize = 1 << 14;

/// Products smaller than this (m*k*n) run on one thread.
const PAR_MIN_FLOPS: usize = 1 << 21;

/// `dst = A @ B` for one batch; `a`, `b` are whole buffers with the matrices at `oa`, `ob`.
#[allow(clippy::too_many_arguments)]
fn product<T: Gemm>(a: &[T], oa: usize, sa: [isize; 2], b: &[T], ob: usize, sb: [isize; 2], dst: &mut [T], m: usize, k: usize, n: usize, parallel: bool) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        dst.fill(T::zero());
        return;
    }
    // GEMV only where it pays; small products all take the GEMM, so tiny results never depend
    // on the operands' layout.
    let gemv = k * n.max(m) >= GEMV_MIN;
    if gemv && m == 1 && sb[1] == 1 {
        return gemv_rows(a, oa, sa[1], b, ob, sb[0], dst, k, n, parallel);
    }
    if gemv && n == 1 && sa[1] == 1 {
        return gemv_dots(a, oa, sa[0], b, ob, sb[0], dst, m, k, parallel);
    }
    if gemv && m == 1 && sb[0] == 1 {
        // x @ W with W column-major: one dot per column.
        return gemv_dots(b, ob, sb[1], a, oa, sa[1], dst, n, k, parallel);
    }
    let threads = par::num_threads();
    let parallel = parallel && threads > 1 && m * n * k >= PAR_MIN_FLOPS;
    if gemm::available() {
        // SAFETY: `available()` holds; the layouts were checked to stay inside their buffers
        // (`reachable_within`), so every A/B element is readable; dst holds exactly m*n
        // elements written row-major.
        unsafe { gemm::gemm::<T, T>(m, k, n, a.as_ptr().add(oa), sa, b.as_ptr().add(ob), sb, dst.as_mut_ptr(), n, if parallel { threads } else { 1 }) };
        return;
    }
    if !parallel {
        // SAFETY: the layouts were checked to stay inside their buffers (`reachable_within`), so
        // every A/B element is readable; dst holds exactly m*n elements written row-major.
        unsafe { T::gemm(m, k, n, a.as_ptr().add(oa), sa, b.as_ptr().add(ob), sb, dst.as_mut_ptr(), [n as isize, 1]) };
        return;
    }
    if m >= 16 * threads {
        // Split rows: one piece per thread, a multiple of 8 rows (the micro-kernel height).
        let rows = m.div_ceil(threads).div_ceil(8) * 8;
        par::for_each_chunk_mut(dst, rows * n, true, &|start, piece| {
            let (i0, mi) = (start / n, piece.len() / n);
            let a0 = (oa as isize + i0 as isize * sa[0]) as usize;
            // SAFETY: rows i0..i0+mi of A are inside its checked layout; piece is this
            // thread's own mi x n block of the output.
            unsafe { T::gemm(mi, k, n, a.as_ptr().add(a0), sa, b.as_ptr().add(ob), sb, piece.as_mut_ptr(), [n as isize, 1]) };
        });
    } else {
        // Few rows: split columns into one block per thread (multiples of 8).
        let cols = n.div_ceil(threads).div_ceil(8) * 8;
        let out = OutPtr(dst.as_mut_ptr());
        par::for_each_index(n.div_ceil(cols), true, &|p| {
            let out = out;
            let (j0, nj) = (p * cols, cols.min(n - p * cols));
            let b0 = (ob as isize + j0 as isize * sb[1]) as usize;
            // SAFETY: columns j0..j0+nj of B are inside its checked layout; each thread writes
            // only columns j0..j0+nj of the m x n output (disjoint blocks), which `dst`
            // exclusively borrows for the duration of this call.
            unsafe { T::gemm(m, k, nj, a.as_ptr().add(oa), sa, b.as_ptr().add(b0), sb, out.0.add(j0), [n as isize, 1]) };
        });
    }
}

/// The per-batch matrix offsets of both operands, in batch order.
fn batch_offsets(a: &Layout, b: &Layout) -> Vec<[usize; 2]> {
    let nd = a.ndim();
    let mut offs = Vec::new();
    for_each_offsets(&a.shape()[..nd - 2], [&a.strides()[..nd - 2], &b.strides()[..nd - 2]], [a.offset(), b.offset()], |o| {
        offs.push(o)
    });
    offs
}

/// Both operands' elements and matrix strides (rows, columns), after checking that their
/// layouts stay inside their buffers (what the raw-pointer GEMMs rely on).
#[allow(clippy::type_complexity)]
fn operands<'x, T: Element>(a: &'x ArrayData, b: &'x ArrayData) -> Result<(&'x [T], &'x [T], [isize; 2], [isize; 2])> {
    let (sa_all, sb_all) = (elems::<T>(a), elems::<T>(b));
    if !reachable_within(&a.layout, sa_all.len()) || !reachable_within(&b.layout, sb_all.len()) {
        return Err(Error::runtime("matmul", "operand layout reaches outside its buffer"));
    }
    let nd = a.layout.ndim();
    let sa = [a.layout.strides()[nd - 2], a.layout.strides()[nd - 1]];
    let sb = [b.layout.strides()[nd - 2], b.layout.strides()[nd - 1]];
    Ok((sa_all, sb_all, sa, sb))
}

fn run<T: Gemm>(a: &ArrayData, b: &ArrayData, shape: &[usize], dims: (usize, usize, usize, usize)) -> Result<ArrayData> {
    let (batch, m, k, n) = dims;
    let (sa_all, sb_all, sa, sb) = operands::<T>(a, b)?;
    let mut buf = alloc_for_overwrite::<T>(batch * m * n);
    let dst = elems_mut::<T>(&mut buf);
    let offs = batch_offsets(&a.layout, &b.layout);
    if m * n == 0 {
        return Ok(finish::<T>(buf, shape));
    }
    let threads = par::num_threads();
    let across = batch >= threads && batch * m * n * k >= PAR_MIN_FLOPS;
    par::for_each_chunk_mut(dst, m * n, across, &|start, c| {
        let [oa, ob] = offs[start / (m * n)];
        product(sa_all, oa, sa, sb_all, ob, sb, c, m, k, n, !across);
    });
    Ok(finish::<T>(buf, shape))
}

/// Half floats with our GEMM: widened while packing, f32 product per batch, rounded once.
fn run_half<T: Num + gemm::Elem>(a: &ArrayData, b: &ArrayData, shape: &[usize], dims: (usize, usize, usize, usize)) -> Result<ArrayData> {
    let (batch, m, k, n) = dims;
    if !gemm::available() || m == 1 || n == 1 {
        return run_half_widened::<T>(a, b, shape, dims);
    }
    let (sa_all, sb_all, sa, sb) = operands::<T>(a, b)?;
    let mut buf = alloc_for_overwrite::<T>(batch * m * n);
    if m * n == 0 {
        return Ok(finish::<T>(buf, shape));
    }
    let offs = batch_offsets(&a.layout, &b.layout);
    let threads = par::num_threads();
    let across = batch >= threads && batch * m * n * k >= PAR_MIN_FLOPS;
    let inner = if !across && m * n * k >= PAR_MIN_FLOPS { threads } else { 1 };
    par::for_each_chunk_mut(elems_mut::<T>(&mut buf), m * n, across, &|start, c| {
        let [oa, ob] = offs[start / (m * n)];
        // The f32 product goes to a scratch buffer from the buffer cache (already faulted in
        // after the first call; every element is written by the GEMM before it is read).
        let mut scratch = alloc_for_overwrite::<f32>(m * n);
        let c32 = elems_mut::<f32>(&mut scratch);
        // SAFETY: `available()` holds; the layouts stay inside their buffers (checked above)
        // and c32 is an m x n row-major matrix owned here.
        unsafe { gemm::gemm::<T, f32>(m, k, n, sa_all.as_ptr().add(oa), sa, sb_all.as_ptr().add(ob), sb, c32.as_mut_ptr(), n, inner) };
        let c32 = &*c32;
        par::for_each_chunk_mut(c, par::chunk_len(m * n, 1 << 16), inner > 1, &|i, d| T::narrow_slice(&c32[i..i + d.len()], d));
    });
    Ok(finish::<T>(buf, shape))
}

/// Half floats without our GEMM: widen the operands to f32, multiply, round once.
fn run_half_widened<T: Num>(a: &ArrayData, b: &ArrayData, shape: &[usize], dims: (usize, usize, usize, usize)) -> Result<ArrayData> {
    let widen = |x: &ArrayData| -> Result<ArrayData> {
        let v: Vec<f32> = contiguous_elems::<T>(x).iter().map(|&v| cast::<T, f32>(v)).collect();
        let mut buf = alloc_for_overwrite::<f32>(v.len());
        elems_mut::<f32>(&mut buf).copy_from_slice(&v);
        Ok(finish::<f32>(buf, x.shape()))
    };
    let c = run::<f32>(&widen(a)?, &widen(b)?, shape, dims)?;
    let cv = elems::<f32>(&c);
    let mut buf = alloc_for_overwrite::<T>(cv.len());
    for (d, &v) in elems_mut::<T>(&mut buf).iter_mut().zip(cv) {
        *d = cast::<f32, T>(v);
    }
    Ok(finish::<T>(buf, shape))
}

/// `c += a @ b` for one row-major (m,k) x (k,n) product (complex64).
fn gemm_ikj<T: Num>(a: &[T], b: &[T], c: &mut [T], m: usize, k: usize, n: usize) {
    for i in 0..m {
        let crow = &mut c[i * n..(i + 1) * n];
        for p in 0..k {
            let aip = a[i * k + p];
            let brow = &b[p * n..(p + 1) * n];
            for (cj, &bj) in crow.iter_mut().zip(brow) {
                *cj = cj.add(aip.mul(bj));
            }
        }
    }
}

fn run_generic<T: Num>(a: &ArrayData, b: &ArrayData, shape: &[usize], dims: (usize, usize, usize, usize)) -> ArrayData {
    let (batch, m, k, n) = dims;
    let (av, bv) = (contiguous_elems::<T>(a), contiguous_elems::<T>(b));
    let mut buf = alloc::<T>(batch * m * n);
    let c = elems_mut::<T>(&mut buf);
    for bi in 0..batch {
        gemm_ikj(&av[bi * m * k..(bi + 1) * m * k], &bv[bi * k * n..(bi + 1) * k * n], &mut c[bi * m * n..(bi + 1) * m * n], m, k, n);
    }
    finish::<T>(buf, shape)
}

pub fn matmul(a: &ArrayData, b: &ArrayData, out: &Spec) -> Result<ArrayData> {
    let nd = a.layout.ndim();
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let batch = a.shape()[..nd - 2].iter().product();
    let dims = (batch, m, k, n);
    let r = match a.dtype {
        Dtype::Float32 => run::<f32>(a, b, &out.shape, dims)?,
        Dtype::Float64 => run::<f64>(a, b, &out.shape, dims)?,
        Dtype::Complex64 => run_generic::<C64>(a, b, &out.shape, dims),
        Dtype::Float16 => run_half::<f16>(a, b, &out.shape, dims)?,
        Dtype::Bfloat16 => run_half::<bf16>(a, b, &out.shape, dims)?,
        d => return Err(Error::invalid("matmul", format!("Only inexact types are supported but got {d}."))),
    };
    Ok(debug_checked(r, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::{Buffer, HostBuffer};
    use std::sync::Arc;

    fn arr(v: &[f32], layout: Layout) -> ArrayData {
        ArrayData::new(Arc::new(Buffer::Host(HostBuffer::from_bytes(bytemuck::cast_slice(v)))), layout, Dtype::Float32)
    }

    /// The fast paths (GEMM, both GEMVs, split rows/columns, transposed operands) agree with a
    /// plain triple loop.
    #[test]
    fn matches_naive_for_all_paths() {
        for &(m, k, n) in &[(1, 300, 257), (259, 300, 1), (1, 1000, 100), (3, 5, 7), (300, 70, 90), (17, 129, 1000), (1, 1, 1), (4, 0, 3)] {
            let av: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0).collect();
            let bv: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 4.0).collect();
            let mut want = vec![0f32; m * n];
            for i in 0..m {
                for j in 0..n {
                    want[i * n + j] = (0..k).map(|p| av[i * k + p] as f64 * bv[p * n + j] as f64).sum::<f64>() as f32;
                }
            }
            // Row-major operands, and the same matrices stored transposed.
            let at: Vec<f32> = (0..k * m).map(|q| av[(q % m) * k + q / m]).collect();
            let bt: Vec<f32> = (0..n * k).map(|q| bv[(q % k) * n + q / k]).collect();
            let cases = [
                (arr(&av, Layout::contiguous(&[m, k])), arr(&bv, Layout::contiguous(&[k, n]))),
                (arr(&at, Layout::new(vec![m, k], vec![1, m as isize], 0)), arr(&bt, Layout::new(vec![k, n], vec![1, k as isize], 0))),
            ];
            for (a, b) in cases {
                let c = matmul(&a, &b, &Spec::new(vec![m, n], Dtype::Float32)).unwrap();
                let got = elems::<f32>(&c);
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{m}x{k}x{n}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn rejects_out_of_bounds_layouts() {
        let l = Layout::new(vec![2, 2], vec![2, 1], 0);
        assert!(reachable_within(&l, 4));
        assert!(!reachable_within(&l, 3));
        assert!(reachable_within(&Layout::new(vec![2, 2], vec![-2, 1], 2), 4));
    }
}
