//! Our GEMM for x86-64 with AVX2+FMA or AVX-512F: `C = A @ B` with A, B read through arbitrary
//! strides and C a row-major matrix of the accumulator type ([`Acc`]): f32 (f32, f16 or bf16
//! elements, widened to f32 while packing) or f64. The [`Kernel`] is chosen at run time: 6x32
//! (f32) / 6x16 (f64) AVX-512F kernels where the CPU has AVX-512F, else 6x16 / 6x8 AVX2 ones;
//! bf16 operands on a CPU with AVX512_BF16 are packed as bf16 pairs instead of widened, for a
//! 6x48 kernel that multiplies two depths per instruction (same bits as the widening kernels,
//! but for subnormal values, which it treats as zero; `MLX_RS_NO_AVX512_BF16=1` turns it off).
//!
//! BLIS/OpenBLAS-Haswell structure: for each `NC`-column block of B and each `kc`-deep slice of
//! the inner dimension, B's slice is packed into `nr`-column micro-panels (k-major); `MC`-row
//! blocks of A are packed into `MR`-row micro-panels and the micro-kernel ([`x86`]) runs
//! over them (B micro-panel in L1, A block in L2). A last strip of fewer than MR rows runs an
//! R-row version of the kernel straight into C; tiles narrower than `nr` run the kernel on
//! zero-padded panels into a scratch tile. Threads split C's columns in fixed shares, and each
//! runs the whole loop nest on its own, packing B a few panels at a time just before using
//! them. Where that would leave each thread few columns against an MC block of rows or more
//! (im2col convolutions), they split C's rows instead: every B slice is packed once and shared
//! (each group of panels by the first thread to need it), and the threads claim small row
//! pieces as they go, so that a slower core does less of the work. Packing prefetches the B
//! rows it reads next, which lie a page or more apart (beyond what the hardware prefetchers
//! follow). In a thread's own loop nest (one thread, or the column split), a row-major B of
//! the accumulator type is not packed in a pass of its own: the first strip of rows runs a
//! packing kernel that reads each panel's rows where they lie and stores the packed panel as
//! it computes (128x4096x4096 f32 on one Zen 5 core: 19.55 -> 18.80 ms, same-run A/B; the
//! packing pass cost 2.6 ms of 19.6, and B streams from memory). While the other strips
//! compute from that panel, they prefetch ("stage") the next panel's B rows, which a
//! power-of-two row stride keeps from fitting in L2 at once, so the next packing strip reads
//! them from L2/L3 rather than memory; with a single row block, the full-width panels share
//! one buffer slot that stays in L1 (20.4 -> 18.5 ms with the R-row strips; a packing strip
//! went from about 4x a normal strip's time to 2x).
//!
//! Invariants:
//! - Each output element is `sum over kc slices (in order) of a 0-based FMA chain over the
//!   slice`, computed by the same kernel whatever tile it lands in (kernels of any width give
//!   the same bits for the same `kc`). Threads split rows or columns of C, never the inner
//!   dimension, so results do not depend on the thread count.
//! - The first kc slice overwrites C (no zeroing pass), later slices add to it.
//! - Pack buffers are per thread and reused across calls; a nested call (a product run inside
//!   another's packing closure) finds the slot empty and allocates its own.

#[cfg(target_arch = "x86_64")]
mod x86;

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};

use crate::num::Num;
use crate::par;

/// Micro-tile height (rows of A per micro-panel).
pub const MR: usize = 6;
/// The widest micro-tile (the AVX512_BF16 kernel's), for scratch tiles of any kernel.
const MAX_NR: usize = 48;
/// Depth of one packed slice, for every kernel: a B micro-panel of KC x NR is 16 KiB with the
/// AVX2 kernels (half of a 32 KiB L1d) and 32 KiB with the AVX-512 ones (of Zen 5's 48 KiB).
/// One depth for all keeps results the same bits on CPUs with and without AVX-512 (see `x86`).
/// Measured for AVX-512 on a Zen 5 EPYC (same-run A/B, medians, 2 threads / 1 thread): 2048^3
/// 37.6 / 69.2 ms at 128, 36.1 / 68.6 at 256, 35.4 / 67.9 at 512; 128x4096x4096 10.0 / 19.7 at
/// 128, 10.3 / 20.1 at 256. Even, so that only a product's last slice can end in half a pair
/// (the bf16 pairs kernel).
const KC: usize = 256;
/// Rows of A packed per block (MC x KC: 144 KiB of f32, 288 KiB of f64, inside the 1 MiB L2).
const MC: usize = 144;
/// Rows of C per piece of the row split: small, so that the threads finish each slice together
/// (a piece is about 0.3 ms at kc = 256, NC = 1024), yet 8 A strips that reuse each B micro-panel
/// (48 rows: 116-127 ms for 2048^3 on 2 threads; 96 and 144 rows: 124-126 and 138 ms; fixed
/// halves: 134-138 ms, in the same A/B runs).
const ROW_PIECE: usize = 8 * MR;
/// The least columns per thread for which threads split C's columns rather than its rows: each
/// thread then packs all of A (once per NC block), which is cheap next to 2 x 256 flops per
/// element of A.
const COL_SHARE_MIN: usize = 256;
/// Columns of B packed per block. With few rows the C block (m x NC f32, 512 KiB at m = 128)
/// stays in L2 across all KC slices; 4096 measured 15-20% slower at 128x4096x4096 and the same
/// at 1024^3 and 2048^3.
const NC: usize = 1024;
/// B micro-panels packed together (a row-major B is read 8 * 16 columns = 512 bytes at a time).
const PACK_GROUP: usize = 8;
/// The packing kernels prefetch B's row p + PREFETCH_NEAR into L1 and row p + PREFETCH_FAR
/// into L2 at depth step p. The rows lie a page or more apart, which the hardware prefetchers
/// do not follow; L1 holds few of them (a large power-of-two row stride maps them all to one
/// set), L2 a few dozen.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const PREFETCH_NEAR: isize = 4;
const PREFETCH_FAR: isize = 32;
/// Depth steps per cache line that a staging tile prefetches (a multiple of 4): at 8, the 21
/// strips after the packing one of a 128-row block stage all 256 rows of the next f32 panel
/// (2 lines a row), 16 rows per strip. 128x4096x4096 on 1 thread, same-run A/B: 18.2 ms at 8,
/// 18.9 at 4 (the 8 strips that stage run slower), 20.3 with no staging.
const STAGE_STEPS: usize = 8;
/// While packing B row p, row p + PACK_AHEAD is prefetched: rows lie a page or more apart, which
/// the hardware prefetchers do not follow.
const PACK_AHEAD: usize = 8;

/// A micro-kernel with the blocking it runs under.
#[derive(Clone, Copy)]
pub struct Kernel<T> {
    /// Micro-tile width (columns of B per micro-panel): two vectors.
    nr: usize,
    /// Depth of one packed slice.
    kc: usize,
    /// Panels hold bf16 k-pairs, one per 32-bit word (`x86::kernel_6x48_bf16`), instead of
    /// elements widened to `T`.
    pairs: bool,
    /// `C[0..MR, 0..nr] (+)= A @ B` for k-major packed panels (see `x86`). Safety: as for the
    /// `x86` kernels, whose CPU features [`Kernel::for_elem`] checked.
    run: RunFn<T>,
    /// The f32/f64 kernels' twins, which give `run`'s bits (see `x86`); without them every
    /// B panel is packed first and short tiles go through a scratch tile.
    twins: Option<Twins<T>>,
}

/// `(kc, a, b, c, ldc, add)` of a micro-kernel (`x86::f32_6x32::run`).
type RunFn<T> = unsafe fn(usize, *const T, *const T, *mut T, usize, bool);

/// `run`'s twins for one kernel.
#[derive(Clone, Copy)]
struct Twins<T> {
    /// `short[h - 1]` computes a tile of h < MR rows straight into C.
    short: [RunFn<T>; MR - 1],
    /// For B rows of `T` at a unit column stride: takes B's rows where they lie (`b`, row
    /// stride `ldb`) and packs them into the panel at `dst` while it computes, so the first
    /// strip of a slice packs it.
    packing: PackingRun<T>,
    /// Prefetches into L2 the rows of B (`rows`, row stride `ldr`) that a later packing tile
    /// will read, while it computes from packed panels: in this way the packing tile finds
    /// its rows in cache rather than memory.
    staging: StagingRun<T>,
}

/// `(kc, a, b, ldb, dst, c, ldc, add)` of a packing kernel (`x86::f32_6x32::packing`).
type PackingRun<T> = unsafe fn(usize, *const T, *const T, isize, *mut T, *mut T, usize, bool);

/// `(kc, a, b, rows, ldr, c, ldc, add)` of a staging kernel (`x86::f32_6x32::staging`).
type StagingRun<T> = unsafe fn(usize, *const T, *const T, *const T, isize, *mut T, usize, bool);

/// An accumulator type: what packed panels and C hold, with its micro-kernels.
pub trait Acc: Num + Send + Sync + 'static {
    /// The AVX2+FMA kernel.
    const AVX2: Kernel<Self>;
    /// The AVX-512F kernel.
    const AVX512: Kernel<Self>;
    /// The AVX512_BF16 kernel for bf16 operands, if this type has one.
    const BF16_PAIRS: Option<Kernel<Self>> = None;
}

/// The `x86` kernel function `$k` (off x86-64 the stand-in `$off`: [`available`] is false
/// there, so no kernel runs).
#[cfg(target_arch = "x86_64")]
macro_rules! kernel_fn {
    ($($k:ident)::+ $(<$r:tt>)?, $off:ident) => {
        x86::$($k)::+ $(::<$r>)?
    };
}
#[cfg(not(target_arch = "x86_64"))]
macro_rules! kernel_fn {
    ($($k:ident)::+ $(<$r:tt>)?, $off:ident) => {
        $off
    };
}

/// The stand-in kernel off x86-64 (never called).
#[cfg(not(target_arch = "x86_64"))]
unsafe fn off_x86<T>(_: usize, _: *const T, _: *const T, _: *mut T, _: usize, _: bool) {
    unreachable!("gemm::available() is false off x86-64");
}

/// The stand-in packing and staging kernel off x86-64 (never called).
#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn off_x86_twin<T, U, V>(_: usize, _: *const T, _: *const T, _: U, _: V, _: *mut T, _: usize, _: bool) {
    unreachable!("gemm::available() is false off x86-64");
}

/// The f32/f64 kernel module `$m` of `x86` (`$nr` columns) with its twins.
macro_rules! twinned {
    ($m:ident, $nr:expr) => {
        Kernel {
            nr: $nr,
            kc: KC,
            pairs: false,
            run: kernel_fn!($m::run<MR>, off_x86),
            twins: Some(Twins {
                short: [kernel_fn!($m::run<1>, off_x86), kernel_fn!($m::run<2>, off_x86), kernel_fn!($m::run<3>, off_x86), kernel_fn!($m::run<4>, off_x86), kernel_fn!($m::run<5>, off_x86)],
                packing: kernel_fn!($m::packing, off_x86_twin),
                staging: kernel_fn!($m::staging, off_x86_twin),
            }),
        }
    };
}

/// `Acc` for `$t` with its AVX2 kernel module `$k2` (`$nr2` columns), AVX-512 kernel module
/// `$k5` (`$nr5`) and optionally AVX512_BF16 kernel `$kb` (`$nrb`).
macro_rules! acc {
    ($t:ty, $k2:ident / $nr2:expr, $k5:ident / $nr5:expr $(, $kb:ident / $nrb:expr)?) => {
        impl Acc for $t {
            const AVX2: Kernel<$t> = twinned!($k2, $nr2);
            const AVX512: Kernel<$t> = twinned!($k5, $nr5);
            $(const BF16_PAIRS: Option<Kernel<$t>> = Some(Kernel { nr: $nrb, kc: KC, pairs: true, run: kernel_fn!($kb, off_x86), twins: None });)?
        }
    };
}
acc!(f32, f32_6x16 / 16, f32_6x32 / 32, kernel_6x48_bf16 / 48);
acc!(f64, f64_6x8 / 8, f64_6x16 / 16);

impl<T: Acc> Kernel<T> {
    /// The widest kernel this CPU runs (AVX-512F unless [`par::has_avx512f`] says no).
    pub fn best() -> Kernel<T> {
        if par::has_avx512f() {
            T::AVX512
        } else {
            T::AVX2
        }
    }

    /// The kernel for products of `S` elements: the bf16 pairs kernel for bf16 operands where
    /// [`par::has_avx512_bf16`] holds, else [`Kernel::best`].
    pub fn for_elem<S: Elem<T>>() -> Kernel<T> {
        match T::BF16_PAIRS {
            Some(k) if S::BF16_BITS.is_some() && par::has_avx512_bf16() => k,
            _ => Self::best(),
        }
    }

    /// Words per packed row (B) or column (A) of a slice `kc` deep: one per element, or one per
    /// pair of elements.
    fn depth(&self, kc: usize) -> usize {
        if self.pairs {
            kc.div_ceil(2)
        } else {
            kc
        }
    }
}

/// An element type that packing widens to the accumulator type `T`.
pub trait Elem<T: Acc = f32>: Copy + Send + Sync + 'static {
    /// True when `Self` is `T` (packing copies without converting).
    const IS_ACC: bool = false;
    /// The bf16 bit pattern of an element, for types the bf16 pairs kernel takes (bf16 only).
    const BF16_BITS: Option<fn(Self) -> u16> = None;
    fn widen(self) -> T;
    /// `dst[i] = round(src[i])` (same lengths), round to nearest even.
    fn narrow_slice(src: &[T], dst: &mut [Self]);
    /// `dst[i] = src[i].widen()` (same lengths).
    #[inline(always)]
    fn widen_slice(src: &[Self], dst: &mut [T]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s.widen();
        }
    }
}

/// The accumulator types are elements of themselves.
macro_rules! acc_elem {
    ($($t:ty),*) => {$(
        impl Elem<$t> for $t {
            const IS_ACC: bool = true;
            fn narrow_slice(src: &[$t], dst: &mut [$t]) {
                dst.copy_from_slice(src);
            }
            #[inline(always)]
            fn widen(self) -> $t {
                self
            }
            #[inline(always)]
            fn widen_slice(src: &[$t], dst: &mut [$t]) {
                dst.copy_from_slice(src);
            }
        }
    )*};
}
acc_elem!(f32, f64);

impl Elem for f16 {
    fn narrow_slice(src: &[f32], dst: &mut [f16]) {
        dst.convert_from_f32_slice(src);
    }
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn widen_slice(src: &[f16], dst: &mut [f32]) {
        // F16C when the CPU has it (runtime-detected by `half`).
        src.convert_to_f32_slice(dst);
    }
}

impl Elem for bf16 {
    const BF16_BITS: Option<fn(bf16) -> u16> = Some(bf16::to_bits);
    fn narrow_slice(src: &[f32], dst: &mut [bf16]) {
        dst.convert_from_f32_slice(src);
    }
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
}

/// True when this CPU runs our GEMM (x86-64 with AVX2 and FMA); otherwise callers use the
/// portable `matrixmultiply`.
pub fn available() -> bool {
    cfg!(target_arch = "x86_64") && par::has_avx2_fma()
}

/// A raw pointer handed to scoped worker threads.
#[derive(Clone, Copy)]
struct Ptr<T>(*mut T);
// SAFETY: used only to share read-only operands and disjoint output blocks with the workers of
// one `gemm` call, which all finish before it returns.
unsafe impl<T> Send for Ptr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Ptr<T> {}

thread_local! {
    // In f64 units (any accumulator type fits its alignment); shared by both types.
    static PACK_A: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
    static PACK_B: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with this thread's buffer from `slot`, room for at least `len` elements of `T`
/// starting at a 64-byte boundary; the buffer goes back to the slot afterwards.
fn with_buf<T: Acc, R>(slot: &'static std::thread::LocalKey<Cell<Vec<f64>>>, len: usize, f: impl FnOnce(*mut T) -> R) -> R {
    let words = (len * std::mem::size_of::<T>()).div_ceil(8);
    let mut v = slot.with(|c| c.take());
    if v.len() < words + 8 {
        v = vec![0f64; words + 8];
    }
    let p = v.as_mut_ptr();
    let skip = p.align_offset(64).min(7);
    // SAFETY: skip <= 7 < 8 spare words, so the `words` words from p + skip are inside v; they
    // hold len elements of T, whose alignment (4 or 8) the 64-byte boundary satisfies, and any
    // bit pattern is a valid f32/f64.
    let r = f(unsafe { p.add(skip) }.cast::<T>());
    slot.with(|c| c.set(v));
    r
}

/// `C = A @ B`: A is m x k at `a` with element strides `sa` (rows, columns), B is k x n at `b`
/// with strides `sb`, C is m x n row-major at `c` with row stride `ldc`. Uses up to `threads`
/// threads of the crate pool (work permitting) and the [`Kernel::best`] micro-kernel.
///
/// # Safety
/// [`available`] must hold. Every `a + i*sa[0] + p*sa[1]` (i < m, p < k) and
/// `b + p*sb[0] + j*sb[1]` (p < k, j < n) must be readable, and `c + i*ldc + j` (i < m, j < n)
/// writable with no other access during the call.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm<S: Elem<T>, T: Acc>(m: usize, k: usize, n: usize, a: *const S, sa: [isize; 2], b: *const S, sb: [isize; 2], c: *mut T, ldc: usize, threads: usize) {
    // SAFETY: forwarded; `for_elem` picks a kernel this CPU runs, for S.
    unsafe { gemm_with(Kernel::for_elem::<S>(), m, k, n, a, sa, b, sb, c, ldc, threads) }
}

/// [`gemm`] with the micro-kernel `kern`.
///
/// # Safety
/// As for [`gemm`], and the CPU has `kern`'s features; a pairs kernel only for bf16 operands.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_with<S: Elem<T>, T: Acc>(kern: Kernel<T>, m: usize, k: usize, n: usize, a: *const S, sa: [isize; 2], b: *const S, sb: [isize; 2], c: *mut T, ldc: usize, threads: usize) {
    debug_assert!(!kern.pairs || S::BF16_BITS.is_some(), "the pairs kernel takes bf16 operands");
    let nr = kern.nr;
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m {
            // SAFETY: row i of C is writable (caller contract).
            unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), n) }.fill(T::zero());
        }
        return;
    }
    let (a, b, c) = (Ptr(a as *mut S), Ptr(b as *mut S), Ptr(c));
    let threads = threads.max(1);
    // Few columns for many rows (an im2col convolution): split rows (see `split_rows`), since
    // the column split below packs all of A in every thread. Otherwise split columns: a fixed
    // share per thread runs at the slower core's pace, but with no synchronization it was the
    // faster on Zen 5's two vCPUs (2 threads, same-run A/B: f32 2048^3 33.1 ms split by columns,
    // 35.6 by rows; 1024^3 4.13 and 4.24; f16 2048^3 34.2 and 35.6; bf16 2048^3 19.4 and 19.0;
    // conv2d 8x32x32x64 -> 64 (n = 64) 1.84 and 1.65).
    if threads > 1 && m >= threads * MC && n < threads * COL_SHARE_MIN {
        // SAFETY: forwarded from this function's contract.
        unsafe { split_rows(kern, m, k, n, a, sa, b, sb, c, ldc) };
        return;
    }
    // Split C's columns: each piece runs the whole loop nest over its own columns, packing its
    // B panels just before using them (hot in cache), with no synchronization between pieces.
    let pieces = threads.min(n.div_ceil(nr));
    let cols = n.div_ceil(nr).div_ceil(pieces) * nr;
    par::for_each_index(n.div_ceil(cols), pieces > 1, &|t| {
        let (a, c) = (a, c);
        let (j0, j1) = (t * cols, ((t + 1) * cols).min(n));
        for_each_slice(kern, b, sb, (j0, j1), k, |slice| {
            // SAFETY: the slice's buffer is this thread's; this piece alone writes C's columns
            // j0..j1 (contract of `gemm` for the rest).
            unsafe { block(a, sa, c, ldc, &slice, (0, m), (0, slice.panels()), Packing::Own) };
        });
    });
}

/// Calls `f` for each kc x NC slice of B's columns `j0..j1`, NC blocks outer and kc slices
/// inner (in order), with this thread's pack buffer sized for the slice.
fn for_each_slice<S: Elem<T>, T: Acc>(kern: Kernel<T>, b: Ptr<S>, sb: [isize; 2], (j0, j1): (usize, usize), k: usize, mut f: impl FnMut(Slice<S, T>)) {
    // Whole micro-panels per block (1024 columns, 1008 for the 48-wide kernel).
    let block = NC / kern.nr * kern.nr;
    for jc in (j0..j1).step_by(block) {
        let nc = block.min(j1 - jc);
        for pc in (0..k).step_by(kern.kc) {
            let kc = kern.kc.min(k - pc);
            with_buf(&PACK_B, nc.div_ceil(kern.nr) * kern.nr * kern.depth(kc), |bp| f(Slice { kern, b, sb, bp, jc, nc, pc, kc }));
        }
    }
}

/// [`gemm`] with C's rows split between the pool's threads: the threads claim [`ROW_PIECE`]-row
/// pieces of C as they finish the previous ones, so a slower core takes fewer (an AVX2-only
/// EPYC VM's two vCPUs: 217 and 274 ms for the same 2048^3 product run on both at once). Each
/// kc x NC slice of B is packed once and shared: a group of its
/// panels is packed by the first piece that reaches it ([`Packing::Shared`]), so packing
/// overlaps the other threads' products.
///
/// # Safety
/// As for [`gemm`].
#[allow(clippy::too_many_arguments)]
unsafe fn split_rows<S: Elem<T>, T: Acc>(kern: Kernel<T>, m: usize, k: usize, n: usize, a: Ptr<S>, sa: [isize; 2], b: Ptr<S>, sb: [isize; 2], c: Ptr<T>, ldc: usize) {
    for_each_slice(kern, b, sb, (0, n), k, |slice| {
        let panels = slice.panels();
        let states: Vec<AtomicU8> = (0..panels.div_ceil(PACK_GROUP)).map(|_| AtomicU8::new(UNPACKED)).collect();
        par::for_each_index(m.div_ceil(ROW_PIECE), true, &|t| {
            // Whole `Slice`s (Send + Sync), not their raw-pointer fields, are captured.
            let (a, c, sl) = (a, c, slice);
            let (i0, i1) = (t * ROW_PIECE, ((t + 1) * ROW_PIECE).min(m));
            // SAFETY: the slice's panel groups are packed once each, under `states`; this piece
            // writes only C rows i0..i1.
            unsafe { block(a, sa, c, ldc, &sl, (i0, i1), (0, panels), Packing::Shared(&states)) };
        });
    });
}

/// One kc x NC slice of B and its packed buffer, for the micro-kernel `kern`.
#[derive(Clone, Copy)]
struct Slice<S, T> {
    kern: Kernel<T>,
    b: Ptr<S>,
    sb: [isize; 2],
    bp: *mut T,
    jc: usize,
    nc: usize,
    pc: usize,
    kc: usize,
}
// SAFETY: shared with the workers of one `gemm` call only; they write disjoint panels of `bp`.
unsafe impl<S, T> Send for Slice<S, T> {}
// SAFETY: as above.
unsafe impl<S, T> Sync for Slice<S, T> {}

impl<S: Elem<T>, T: Acc> Slice<S, T> {
    /// Micro-panels in the slice.
    fn panels(&self) -> usize {
        self.nc.div_ceil(self.kern.nr)
    }

    /// Micro-panel `q` of the packed slice.
    fn panel(&self, q: usize) -> *mut T {
        self.bp.wrapping_add(q * self.kern.nr * self.kern.depth(self.kc))
    }

    /// Packs micro-panels `q0..q1` of the slice, PACK_GROUP panels at a time.
    ///
    /// # Safety
    /// B's slice is readable (contract of [`gemm`]); no other thread touches these panels.
    unsafe fn pack(&self, q0: usize, q1: usize) {
        let (sb, kc, nr) = (self.sb, self.kc, self.kern.nr);
        for g in (q0..q1).step_by(PACK_GROUP) {
            let (j0, j1) = (g * nr, ((g + PACK_GROUP).min(q1) * nr).min(self.nc));
            // SAFETY: B rows pc..pc+kc, columns jc+j0..jc+j1 are readable; the destination
            // micro-panels from g lie inside the buffer (sized by `for_each_slice`).
            unsafe {
                let src = self.b.0.offset(self.pc as isize * sb[0] + (self.jc + j0) as isize * sb[1]);
                match S::BF16_BITS {
                    Some(bits) if self.kern.pairs => pack_b_pairs(bits, kc, nr, j1 - j0, src, sb, self.panel(g).cast()),
                    _ => pack_b(kc, nr, j1 - j0, src, sb, self.panel(g)),
                }
            }
        }
    }

    /// The kernel's twins where its packing twin can read this slice's B rows directly
    /// (elements of the accumulator type at a unit column stride), for blocks of at least
    /// `rows` >= MR rows.
    fn fusing(&self, rows: usize) -> Option<Twins<T>> {
        self.kern.twins.filter(|_| S::IS_ACC && self.sb[1] == 1 && rows >= MR)
    }

    /// Rows of B that one staging tile prefetches: one cache line per [`STAGE_STEPS`] depth
    /// steps, `nr` elements (`LINES` cache lines in `x86`'s kernel modules) per row. After the
    /// packing strip, `prefetch_head` also asks for the next panel's first rows, which the
    /// first staging strip asks for again (cheap, cache hits); it is kept for blocks with no
    /// full staging strip (fewer than 2 * MR rows, or a slice too shallow to stage): skipping
    /// it where staging runs measured within noise (128x4096x4096 17.56 against 17.65 ms).
    fn staged_rows(&self) -> usize {
        self.kc / STAGE_STEPS / (self.kern.nr * std::mem::size_of::<T>()).div_ceil(64)
    }

    /// Where micro-panel `q`'s B rows lie (only for [`Slice::fusing`]'s layouts: `S` is
    /// `T`).
    fn source(&self, q: usize) -> *const T {
        self.b.0.wrapping_offset(self.pc as isize * self.sb[0] + (self.jc + q * self.kern.nr) as isize).cast::<T>()
    }

    /// Asks for the first [`PREFETCH_FAR`] rows behind micro-panel `q` (into L2), which the
    /// packing kernel reaches before its own prefetches have run far enough ahead.
    fn prefetch_head(&self, q: usize) {
        let (row, stride) = (self.source(q).cast::<i8>(), self.sb[0] * std::mem::size_of::<T>() as isize);
        for p in 0..self.kc.min(PREFETCH_FAR as usize) {
            let line = row.wrapping_offset(p as isize * stride);
            for off in (0..self.kern.nr * std::mem::size_of::<T>()).step_by(64) {
                prefetch_line(line.wrapping_add(off), false);
            }
        }
    }

    /// Packs `h` (<= MR) rows of A from `a` (strides `sa`), columns pc..pc+kc, into the A
    /// micro-panel at `dst` in the kernel's layout.
    ///
    /// # Safety
    /// As for [`pack_a`].
    unsafe fn pack_a(&self, h: usize, a: *const S, sa: [isize; 2], dst: *mut T) {
        // SAFETY: forwarded.
        unsafe {
            match S::BF16_BITS {
                Some(bits) if self.kern.pairs => pack_a_pairs(bits, self.kc, h, a, sa, dst.cast()),
                _ => pack_a(self.kc, h, a, sa, dst),
            }
        }
    }
}

/// Prefetches of a block of B rows (`total / lines` rows of `lines` cache lines each, starting
/// `stride` bytes apart), issued `per_step` at a time.
struct Prefetch {
    base: *const i8,
    stride: isize,
    lines: usize,
    total: usize,
    next: usize,
    per_step: usize,
}

impl Prefetch {
    const NONE: Prefetch = Prefetch { base: std::ptr::null(), stride: 0, lines: 1, total: 0, next: 0, per_step: 0 };

    /// Issues the next `per_step` prefetches (to L2).
    #[inline(always)]
    fn step(&mut self) {
        let end = (self.next + self.per_step).min(self.total);
        while self.next < end {
            let (r, l) = (self.next / self.lines, self.next % self.lines);
            prefetch_line(self.base.wrapping_offset(r as isize * self.stride).wrapping_add(l * 64), false);
            self.next += 1;
        }
    }
}

impl<S: Elem<T>, T: Acc> Slice<S, T> {
    /// The prefetches of the B rows behind micro-panels `q0..q1`, spread over `steps` steps;
    /// none unless B's rows are contiguous (the other layouts pack from strided reads anyway).
    fn rows_of(&self, q0: usize, q1: usize, steps: usize) -> Prefetch {
        if self.sb[1] != 1 || steps == 0 {
            return Prefetch::NONE;
        }
        let (j0, j1) = (q0 * self.kern.nr, (q1 * self.kern.nr).min(self.nc));
        let lines = ((j1 - j0) * std::mem::size_of::<S>()).div_ceil(64);
        let offset = self.pc as isize * self.sb[0] + (self.jc + j0) as isize;
        let total = lines * self.kc;
        Prefetch {
            base: self.b.0.wrapping_offset(offset).cast::<i8>(),
            stride: self.sb[0] * std::mem::size_of::<S>() as isize,
            lines,
            total,
            next: 0,
            per_step: total.div_ceil(steps),
        }
    }
}

/// Group states of [`Packing::Shared`].
const UNPACKED: u8 = 0;
const PACKING: u8 = 1;
const PACKED: u8 = 2;

/// Who packs the B panels a [`block`] uses.
#[derive(Clone, Copy)]
enum Packing<'a> {
    /// This call, group by group during its first row block (the column split: the panels are
    /// its own).
    Own,
    /// Shared by the row split's pieces: group `g` (PACK_GROUP panels from q0) is packed by the
    /// first piece that moves its state from UNPACKED to PACKING, which sets PACKED when done; a
    /// piece computes the groups that are packed or that it packs, and comes back for the ones
    /// another piece is still packing.
    Shared(&'a [AtomicU8]),
}

/// One thread's share of a B slice: rows `i0..i1` of C against micro-panels `q0..q1`, whose
/// packing `packing` says.
///
/// # Safety
/// As for [`gemm`]; no other thread touches this block of C; with [`Packing::Own`] no other
/// thread touches these panels, and with [`Packing::Shared`] only through the same states.
#[allow(clippy::too_many_arguments)]
unsafe fn block<S: Elem<T>, T: Acc>(a: Ptr<S>, sa: [isize; 2], c: Ptr<T>, ldc: usize, sl: &Slice<S, T>, (i0, i1): (usize, usize), (q0, q1): (usize, usize), packing: Packing) {
    let (kc, first, nr) = (sl.kc, sl.pc == 0, sl.kern.nr);
    for ic in (i0..i1).step_by(MC) {
        let mc = MC.min(i1 - ic);
        let strips = mc.div_ceil(MR);
        let strip = MR * sl.kern.depth(kc);
        with_buf(&PACK_A, strips * strip, |ap: *mut T| {
            for s in 0..strips {
                let i = ic + s * MR;
                // SAFETY: A rows i..i+h, columns pc..pc+kc are readable; strip s of the buffer
                // is inside it.
                unsafe { sl.pack_a(MR.min(i1 - i), a.0.offset(i as isize * sa[0] + sl.pc as isize * sa[1]), sa, ap.add(s * strip)) };
            }
            // Micro-panels g..g1 against every strip, issuing `ahead`'s prefetches on the way.
            // With `fused`, strip 0 packs each full-width panel (from B's rows) as it computes
            // its tile, and then asks for the first rows of the next panel; the next strips
            // stage the rest of that panel's rows. With `ring` (one row block, so a packed
            // panel is not used again) the full-width panels share one slot, still in L1 for
            // the next panel's stores.
            let run_group = |g: usize, g1: usize, ahead: &mut Prefetch, fused: Option<Twins<T>>, ring: bool| {
                let staged = sl.staged_rows();
                for q in g..g1 {
                    let j = sl.jc + q * nr;
                    let w = nr.min(sl.jc + sl.nc - j);
                    let bq = if ring && w == nr { sl.panel(q0) } else { sl.panel(q) };
                    // The next panel, when strip 0 packs it.
                    let next = (q + 1 < q1 && (q + 2) * nr <= sl.nc).then(|| sl.source(q + 1));
                    for s in 0..strips {
                        ahead.step();
                        let i = ic + s * MR;
                        let h = MR.min(i1 - i);
                        let ct = c.0.wrapping_add(i * ldc + j);
                        match (fused, next) {
                            (Some(tw), _) if s == 0 && w == nr => {
                                // SAFETY: strip 0 is full (`fusing` checked the rows), and so
                                // is the panel; B's rows behind it are readable, panel q is
                                // this thread's, C's tile is as below, and the CPU runs the
                                // kernel (`gemm_with`).
                                unsafe { (tw.packing)(kc, ap, sl.source(q), sl.sb[0], bq, ct, ldc, !first) };
                                if q + 1 < q1 {
                                    sl.prefetch_head(q + 1);
                                }
                            }
                            (Some(tw), Some(rows)) if s > 0 && h == MR && w == nr && staged > 0 && (s - 1) * staged < kc => {
                                let from = rows.wrapping_offset(((s - 1) * staged) as isize * sl.sb[0]);
                                // SAFETY: as for `tile` below (a full tile); prefetched
                                // addresses need not be valid.
                                unsafe { (tw.staging)(kc, ap.add(s * strip), bq, from, sl.sb[0], ct, ldc, !first) };
                            }
                            // SAFETY: strip s and micro-panel q (inside the slice) are packed;
                            // the C tile rows i..i+h, columns j..j+w is this thread's and
                            // writable; the CPU runs `sl.kern` (`gemm_with`).
                            _ => unsafe { tile(sl.kern, kc, ap.add(s * strip), bq, ct, ldc, h, w, first) },
                        }
                    }
                }
            };
            match packing {
                Packing::Own => {
                    let fused = if ic == i0 { sl.fusing(i1 - i0) } else { None };
                    let ring = fused.is_some() && i1 - i0 <= MC;
                    for g in (q0..q1).step_by(PACK_GROUP) {
                        let g1 = (g + PACK_GROUP).min(q1);
                        if ic == i0 {
                            // A fused strip 0 packs the full-width panels; packed here are the
                            // others (a narrower last panel, or all when not fused).
                            let full = if fused.is_some() { (sl.nc / nr).clamp(g, g1) } else { g };
                            // SAFETY: these panels are this call's (contract).
                            unsafe { sl.pack(full, g1) };
                        }
                        // While this group computes, the next group's B rows are fetched into
                        // cache, a few lines per micro-tile, so that packing it reads from
                        // cache (the fused strips prefetch for themselves instead).
                        let mut ahead = if ic == i0 && g1 < q1 && fused.is_none() { sl.rows_of(g1, (g1 + PACK_GROUP).min(q1), (g1 - g) * strips) } else { Prefetch::NONE };
                        run_group(g, g1, &mut ahead, fused, ring);
                    }
                }
                Packing::Shared(states) => {
                    let mut left: Vec<usize> = (q0..q1).step_by(PACK_GROUP).collect();
                    while !left.is_empty() {
                        let before = left.len();
                        left.retain(|&g| {
                            let state = &states[(g - q0) / PACK_GROUP];
                            let g1 = (g + PACK_GROUP).min(q1);
                            let ready = state.load(Ordering::Acquire) == PACKED
                                || (state.compare_exchange(UNPACKED, PACKING, Ordering::Acquire, Ordering::Relaxed).is_ok() && {
                                    // SAFETY: this piece alone moved the group to PACKING, so no
                                    // other thread reads or writes its panels until PACKED.
                                    unsafe { sl.pack(g, g1) };
                                    state.store(PACKED, Ordering::Release);
                                    true
                                });
                            if ready {
                                let mut none = Prefetch::NONE;
                                run_group(g, g1, &mut none, None, false);
                            }
                            !ready
                        });
                        if left.len() == before {
                            // Every group left is being packed by another piece.
                            std::hint::spin_loop();
                        }
                    }
                }
            }
        });
    }
}

/// One micro-tile: `C[..h, ..w] (=|+=) Apanel @ Bpanel`, full tiles straight into C, edge tiles
/// through a scratch tile (the padded rows/columns are zeros and are dropped).
///
/// # Safety
/// `ap` holds kc*MR and `bp` kc*nr packed elements; C rows `..h`, columns `..w` from `c` (row
/// stride ldc) are writable; the CPU has `kern`'s features.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn tile<T: Acc>(kern: Kernel<T>, kc: usize, ap: *const T, bp: *const T, c: *mut T, ldc: usize, h: usize, w: usize, first: bool) {
    let nr = kern.nr;
    // SAFETY: forwarded from this function's contract; the scratch tile holds MR x MAX_NR.
    unsafe {
        if h == MR && w == nr {
            (kern.run)(kc, ap, bp, c, ldc, !first);
        } else if let Some(tw) = kern.twins.filter(|_| w == nr) {
            (tw.short[h - 1])(kc, ap, bp, c, ldc, !first);
        } else {
            let mut t = [T::zero(); MR * MAX_NR];
            (kern.run)(kc, ap, bp, t.as_mut_ptr(), nr, false);
            for r in 0..h {
                let row = std::slice::from_raw_parts_mut(c.add(r * ldc), w);
                let src = &t[r * nr..r * nr + w];
                if first {
                    row.copy_from_slice(src);
                } else {
                    for (d, &s) in row.iter_mut().zip(src) {
                        *d = d.add(s);
                    }
                }
            }
        }
    }
}

/// Packs `kc` rows x `w` columns of B (strides `sb`) into consecutive k-major micro-panels of
/// `nr` columns (each kc*nr elements), zero-padding the last panel's columns beyond `w`. Row-major
/// B is read row by row across the panels (sequential reads, few write streams).
///
/// # Safety
/// The kc x w elements are readable; `dst` has room for `w.div_ceil(nr)` panels.
unsafe fn pack_b<S: Elem<T>, T: Acc>(kc: usize, nr: usize, w: usize, b: *const S, sb: [isize; 2], dst: *mut T) {
    // A compile-time width turns each panel row's copy into a few vector moves (a run-time one
    // calls memcpy per row).
    // SAFETY: forwarded.
    unsafe {
        match nr {
            8 => pack_b_n::<S, T, 8>(kc, w, b, sb, dst),
            16 => pack_b_n::<S, T, 16>(kc, w, b, sb, dst),
            32 => pack_b_n::<S, T, 32>(kc, w, b, sb, dst),
            _ => unreachable!("micro-tile widths are 8, 16 and 32"),
        }
    }
}

/// [`pack_b`] for micro-panels of `NR` columns.
///
/// # Safety
/// As for [`pack_b`].
unsafe fn pack_b_n<S: Elem<T>, T: Acc, const NR: usize>(kc: usize, w: usize, b: *const S, sb: [isize; 2], dst: *mut T) {
    let nr = NR;
    let (full, panels) = (w / nr, w.div_ceil(nr));
    // SAFETY: per the contract: rows p < kc and columns j < w are readable, dst has
    // panels*kc*NR.
    unsafe {
        let dst = std::slice::from_raw_parts_mut(dst, panels * kc * nr);
        if sb[1] == 1 {
            for p in 0..kc {
                if p + PACK_AHEAD < kc {
                    prefetch_row(b.offset((p + PACK_AHEAD) as isize * sb[0]), w * std::mem::size_of::<S>());
                }
                let row = std::slice::from_raw_parts(b.offset(p as isize * sb[0]), w);
                for q in 0..full {
                    S::widen_slice(&row[q * nr..(q + 1) * nr], &mut dst[(q * kc + p) * nr..(q * kc + p + 1) * nr]);
                }
            }
        } else {
            for q in 0..full {
                for p in 0..kc {
                    let row = b.offset(p as isize * sb[0] + (q * nr) as isize * sb[1]);
                    for (j, x) in dst[(q * kc + p) * nr..(q * kc + p + 1) * nr].iter_mut().enumerate() {
                        *x = (*row.offset(j as isize * sb[1])).widen();
                    }
                }
            }
        }
        if full < panels {
            let j0 = full * nr;
            for p in 0..kc {
                let row = b.offset(p as isize * sb[0] + j0 as isize * sb[1]);
                for (j, x) in dst[(full * kc + p) * nr..(full * kc + p + 1) * nr].iter_mut().enumerate() {
                    *x = if j0 + j < w { (*row.offset(j as isize * sb[1])).widen() } else { T::zero() };
                }
            }
        }
    }
}

/// Asks for the `bytes` bytes from `p` to be brought into L1.
#[inline(always)]
fn prefetch_row<T>(p: *const T, bytes: usize) {
    for off in (0..bytes).step_by(64) {
        prefetch_line(p.cast::<i8>().wrapping_add(off), true);
    }
}

/// Asks for the cache line at `p` to be brought into L1 (`into_l1`) or L2; a no-op off x86-64.
#[inline(always)]
fn prefetch_line(p: *const i8, into_l1: bool) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0, _MM_HINT_T1};
        if into_l1 {
            _mm_prefetch::<_MM_HINT_T0>(p)
        } else {
            _mm_prefetch::<_MM_HINT_T1>(p)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, into_l1);
}

/// Packs `h` (<= MR) rows x `kc` columns of A (strides `sa`) into one k-major micro-panel of MR
/// rows, zero-padding rows `h..MR`.
///
/// # Safety
/// The h x kc elements are readable; `dst` has room for kc*MR elements.
unsafe fn pack_a<S: Elem<T>, T: Acc>(kc: usize, h: usize, a: *const S, sa: [isize; 2], dst: *mut T) {
    // SAFETY: per the contract: rows r < h and columns p < kc are readable, dst has kc*MR.
    unsafe {
        let dst = std::slice::from_raw_parts_mut(dst, kc * MR);
        if h == MR && sa[1] == 1 && !S::IS_ACC {
            // Widen a few columns of the 6 rows at a time (vectorized conversions), then
            // interleave.
            const W: usize = 64;
            let mut tmp = [[T::zero(); W]; MR];
            for p0 in (0..kc).step_by(W) {
                let w = W.min(kc - p0);
                for (r, t) in tmp.iter_mut().enumerate() {
                    S::widen_slice(std::slice::from_raw_parts(a.offset(r as isize * sa[0] + p0 as isize), w), &mut t[..w]);
                }
                for (p, d) in dst[p0 * MR..(p0 + w) * MR].chunks_exact_mut(MR).enumerate() {
                    for r in 0..MR {
                        d[r] = tmp[r][p];
                    }
                }
            }
        } else if h == MR && sa[1] == 1 {
            let rows: [&[S]; MR] = std::array::from_fn(|r| std::slice::from_raw_parts(a.offset(r as isize * sa[0]), kc));
            for (p, d) in dst.chunks_exact_mut(MR).enumerate() {
                for r in 0..MR {
                    d[r] = rows[r][p].widen();
                }
            }
        } else {
            for (p, d) in dst.chunks_exact_mut(MR).enumerate() {
                let col = a.offset(p as isize * sa[1]);
                for (r, x) in d.iter_mut().enumerate() {
                    *x = if r < h { (*col.offset(r as isize * sa[0])).widen() } else { T::zero() };
                }
            }
        }
    }
}

/// One 32-bit word of the pairs layout: `hi` (depth p) in the high half, `lo` (depth p + 1) in
/// the low half.
#[inline(always)]
fn pair_word(hi: u16, lo: u16) -> u32 {
    (hi as u32) << 16 | lo as u32
}

/// [`pack_b`] for the pairs kernel: packs `kc` rows x `w` columns of bf16 B (bit patterns from
/// `bits`) into consecutive micro-panels of `nr` columns, each `kc.div_ceil(2) * nr` words;
/// word (q, j) holds rows 2q and 2q + 1 (+0.0 past kc) of column j; columns past `w` are zeros.
///
/// # Safety
/// The kc x w elements are readable; `dst` has room for `w.div_ceil(nr)` such panels.
unsafe fn pack_b_pairs<S: Copy>(bits: fn(S) -> u16, kc: usize, nr: usize, w: usize, b: *const S, sb: [isize; 2], dst: *mut u32) {
    let (depth, panels) = (kc.div_ceil(2), w.div_ceil(nr));
    // Full panels of a row-major B: two rows read side by side into whole panel rows (a loop
    // the compiler vectorizes); the rest element by element.
    let full = if sb[1] == 1 { w / nr } else { 0 };
    // SAFETY: per the contract: rows p < kc and columns j < w are readable, dst has
    // panels*depth*nr words.
    unsafe {
        let dst = std::slice::from_raw_parts_mut(dst, panels * depth * nr);
        let at = |p: usize, j: usize| if p < kc && j < w { bits(*b.offset(p as isize * sb[0] + j as isize * sb[1])) } else { 0 };
        for q in 0..depth {
            let (p0, p1) = (2 * q, 2 * q + 1);
            if full > 0 && p1 < kc {
                if p1 + PACK_AHEAD < kc {
                    prefetch_row(b.offset((p0 + PACK_AHEAD) as isize * sb[0]), w * std::mem::size_of::<S>());
                    prefetch_row(b.offset((p1 + PACK_AHEAD) as isize * sb[0]), w * std::mem::size_of::<S>());
                }
                let r0 = std::slice::from_raw_parts(b.offset(p0 as isize * sb[0]), full * nr);
                let r1 = std::slice::from_raw_parts(b.offset(p1 as isize * sb[0]), full * nr);
                for panel in 0..full {
                    let words = &mut dst[(panel * depth + q) * nr..(panel * depth + q + 1) * nr];
                    let (x0, x1) = (&r0[panel * nr..(panel + 1) * nr], &r1[panel * nr..(panel + 1) * nr]);
                    for ((word, &hi), &lo) in words.iter_mut().zip(x0).zip(x1) {
                        *word = pair_word(bits(hi), bits(lo));
                    }
                }
            }
            let from = if p1 < kc { full } else { 0 };
            for panel in from..panels {
                let words = &mut dst[(panel * depth + q) * nr..(panel * depth + q + 1) * nr];
                for (jj, word) in words.iter_mut().enumerate() {
                    let j = panel * nr + jj;
                    *word = pair_word(at(p0, j), at(p1, j));
                }
            }
        }
    }
}

/// [`pack_a`] for the pairs kernel: packs `h` (<= MR) rows x `kc` columns of bf16 A into one
/// micro-panel of `kc.div_ceil(2) * MR` words; word (q, r) holds columns 2q and 2q + 1 (+0.0
/// past kc) of row r; rows h..MR are zeros.
///
/// # Safety
/// The h x kc elements are readable; `dst` has room for `kc.div_ceil(2) * MR` words.
unsafe fn pack_a_pairs<S: Copy>(bits: fn(S) -> u16, kc: usize, h: usize, a: *const S, sa: [isize; 2], dst: *mut u32) {
    let depth = kc.div_ceil(2);
    // SAFETY: per the contract: rows r < h and columns p < kc are readable, dst has depth*MR.
    unsafe {
        let dst = std::slice::from_raw_parts_mut(dst, depth * MR);
        let at = |r: usize, p: usize| if r < h && p < kc { bits(*a.offset(r as isize * sa[0] + p as isize * sa[1])) } else { 0 };
        // Whole pairs of a full strip with contiguous rows: six row slices read in step.
        let whole = if h == MR && sa[1] == 1 { kc / 2 } else { 0 };
        if whole > 0 {
            let rows: [&[S]; MR] = std::array::from_fn(|r| std::slice::from_raw_parts(a.offset(r as isize * sa[0]), 2 * whole));
            for (q, d) in dst[..whole * MR].chunks_exact_mut(MR).enumerate() {
                for r in 0..MR {
                    d[r] = pair_word(bits(rows[r][2 * q]), bits(rows[r][2 * q + 1]));
                }
            }
        }
        for q in whole..depth {
            for r in 0..MR {
                dst[q * MR + r] = pair_word(at(r, 2 * q), at(r, 2 * q + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The accumulator types under test, with their conversions and tolerance.
    trait Real: Acc + Elem<Self> {
        const TOL: f64;
        fn from_f32(x: f32) -> Self;
        fn wide(self) -> f64;
    }
    impl Real for f32 {
        const TOL: f64 = 1e-5;
        fn from_f32(x: f32) -> f32 {
            x
        }
        fn wide(self) -> f64 {
            self as f64
        }
    }
    impl Real for f64 {
        const TOL: f64 = 1e-13;
        fn from_f32(x: f32) -> f64 {
            x as f64
        }
        fn wide(self) -> f64 {
            self
        }
    }

    /// Storage and (offset, strides) of a rows x cols view of the given kind.
    fn view<T: Real>(rows: usize, cols: usize, kind: usize, seed: u64) -> (Vec<T>, usize, [isize; 2]) {
        let (r, c) = (rows as isize, cols as isize);
        let (len, off, s): (isize, isize, [isize; 2]) = match kind {
            0 => (r * c, 0, [c, 1]),                                 // row-major
            1 => (r * c, 0, [1, r]),                                 // transposed
            2 => ((r * (2 * c + 3)).max(1), 1, [2 * c + 3, 2]),      // sliced rows and columns
            3 => (r * c, (r * c - 1).max(0), [-c, -1]),              // both axes reversed
            _ => (c.max(1), 0, [0, 1]),                              // rows broadcast
        };
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v = (0..len.max(1))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                T::from_f32(((x >> 40) % 2001) as f32 / 1000.0 - 1.0)
            })
            .collect();
        (v, off as usize, s)
    }

    fn at<T: Real>(v: &[T], off: usize, s: [isize; 2], i: usize, j: usize) -> f64 {
        v[(off as isize + i as isize * s[0] + j as isize * s[1]) as usize].wide()
    }

    /// The kernels this CPU runs: AVX2 always, AVX-512 where present (said on stderr when not).
    fn kernels<T: Acc>() -> Vec<Kernel<T>> {
        if par::has_avx512f() {
            vec![T::AVX2, T::AVX512]
        } else {
            eprintln!("no AVX-512F here: only the AVX2 kernels are tested");
            vec![T::AVX2]
        }
    }

    /// Calls the generic `$check` with every f32 and f64 kernel this CPU runs (none without
    /// AVX2+FMA).
    macro_rules! for_each_kernel {
        ($check:ident) => {
            if available() {
                kernels::<f32>().into_iter().for_each($check);
                kernels::<f64>().into_iter().for_each($check);
            }
        };
    }

    /// Runs our GEMM with `kern` on the views and checks it against an f64 triple loop; returns C.
    #[allow(clippy::too_many_arguments)]
    fn check<T: Real>(kern: Kernel<T>, m: usize, k: usize, n: usize, ka: usize, kb: usize, threads: usize) -> Vec<T> {
        let (av, oa, sa) = view::<T>(m, k, ka, (m * 31 + k) as u64);
        let (bv, ob, sb) = view::<T>(k, n, kb, (k * 17 + n) as u64);
        let mut c = vec![T::from_f32(f32::NAN); m * n];
        // SAFETY: available() is checked by the callers, who pass kernels from `kernels`; the
        // views lie in their storage and c holds m*n.
        unsafe { gemm_with::<T, T>(kern, m, k, n, av.as_ptr().add(oa), sa, bv.as_ptr().add(ob), sb, c.as_mut_ptr(), n, threads) };
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| at(&av, oa, sa, i, p) * at(&bv, ob, sb, p, j)).sum();
                let tol = T::TOL * (1.0 + (0..k).map(|p| (at(&av, oa, sa, i, p) * at(&bv, ob, sb, p, j)).abs()).sum::<f64>());
                let got = c[i * n + j].wide();
                assert!((got - want).abs() <= tol, "{m}x{k}x{n} kinds {ka},{kb} threads {threads} at ({i},{j}): {got} vs {want}");
            }
        }
        c
    }

    #[test]
    fn matches_f64_reference_over_shapes_and_layouts() {
        if !available() {
            return;
        }
        let dims = [1, 2, 5, 6, 7, 11, 15, 16, 17, 20, 31, 33];
        let (k32, k64) = (kernels::<f32>(), kernels::<f64>());
        for &m in &dims {
            for &n in &dims {
                for &k in &[0, 1, 3, 8, 13] {
                    for ka in 0..5 {
                        for &kern in &k32 {
                            check(kern, m, k, n, ka, (ka + m + n) % 5, 1);
                        }
                        for &kern in &k64 {
                            check(kern, m, k, n, ka, (ka + m + n) % 5, 1);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn matches_f64_reference_at_block_boundaries() {
        for_each_kernel!(at_block_boundaries);
    }

    fn at_block_boundaries<T: Real>(kern: Kernel<T>) {
        let (nr, kc) = (kern.nr, kern.kc);
        for &(m, k, n) in &[
            (MC - 1, kc + 1, 2 * nr + 1),
            (MC + 1, 2 * kc + 3, 3 * nr - 1),
            (2 * MC + 5, kc - 1, nr + 3),
            (6 * MR + 1, 3 * kc, 5 * nr),
            (3, 7, NC + 1),
            (7, kc + 5, NC + 2 * nr - 1),
            (300, 70, 90),
            (2 * MC + 1, 5, 2 * NC + nr + 1), // B in several NC blocks
            (2 * MC + 1, 2 * kc + 1, 2 * nr + 5), // rows split (few columns)
        ] {
            for (ka, kb) in [(0, 0), (1, 1), (3, 2), (2, 4)] {
                let one = check(kern, m, k, n, ka, kb, 1);
                let two = check(kern, m, k, n, ka, kb, 2);
                // Threads split rows or columns, never the inner dimension: identical bits.
                assert!(one.iter().zip(&two).all(|(x, y)| x.wide().to_bits() == y.wide().to_bits()), "{m}x{k}x{n}");
            }
        }
    }

    /// The row split (which `gemm` picks for few columns only) gives one thread's bits, over
    /// edge pieces, several slices and NC blocks, and every layout.
    #[test]
    fn row_split_gives_the_bits_of_one_thread() {
        for_each_kernel!(row_split_bits);
    }

    fn row_split_bits<T: Real>(kern: Kernel<T>) {
        for &(m, k, n) in &[(2 * MC + 1, 5, 2 * NC + kern.nr + 1), (ROW_PIECE + 3, KC + 7, 3 * kern.nr - 1), (MR, 2 * KC, 1)] {
            for (ka, kb) in [(0, 0), (1, 1), (3, 2), (2, 4)] {
                let want = check(kern, m, k, n, ka, kb, 1);
                let (av, oa, sa) = view::<T>(m, k, ka, (m * 31 + k) as u64);
                let (bv, ob, sb) = view::<T>(k, n, kb, (k * 17 + n) as u64);
                let mut c = vec![T::from_f32(f32::NAN); m * n];
                // SAFETY: as in `check`.
                unsafe { split_rows(kern, m, k, n, Ptr(av.as_ptr().add(oa).cast_mut()), sa, Ptr(bv.as_ptr().add(ob).cast_mut()), sb, Ptr(c.as_mut_ptr()), n) };
                assert!(c.iter().zip(&want).all(|(x, y)| x.wide().to_bits() == y.wide().to_bits()), "{m}x{k}x{n} kinds {ka},{kb}");
            }
        }
    }

    /// The AVX-512 kernels give the AVX2 kernels' bits (same slice depth, and each lane runs the
    /// same FMA chain), so results do not depend on whether the CPU has AVX-512.
    #[test]
    fn avx512_kernels_match_avx2_bits() {
        if !available() || !par::has_avx512f() {
            eprintln!("no AVX-512F here: nothing to compare");
            return;
        }
        same_bits::<f32>();
        same_bits::<f64>();
    }

    fn same_bits<T: Real>() {
        assert_eq!(T::AVX512.kc, T::AVX2.kc);
        for &(m, k, n) in &[(6, 5, 32), (13, 2 * KC + 7, 71), (MC + 7, 300, NC + 45), (1, 9, 3)] {
            for (ka, kb) in [(0, 0), (1, 2), (3, 4)] {
                let wide = check(T::AVX512, m, k, n, ka, kb, 2);
                let base = check(T::AVX2, m, k, n, ka, kb, 1);
                assert!(wide.iter().zip(&base).all(|(x, y)| x.wide().to_bits() == y.wide().to_bits()), "{m}x{k}x{n} kinds {ka},{kb}");
            }
        }
    }

    /// The kernel's twins give the plain kernel's bits: a strip that packs B's panels while it
    /// computes (against packing first), strips that stage the next panel, the shared panel
    /// slot of a single row block, and R-row last strips (against a scratch tile); over one and
    /// two row blocks, narrow last panels, several slices and NC blocks, the column and row
    /// splits, and B layouts the packing strip takes (row-major, rows broadcast) or leaves.
    #[test]
    fn kernel_twins_give_the_plain_kernels_bits() {
        for_each_kernel!(twins_bits);
    }

    fn twins_bits<T: Real>(kern: Kernel<T>) {
        assert!(kern.twins.is_some());
        let first = Kernel { twins: None, ..kern };
        let (nr, kc) = (kern.nr, kern.kc);
        for &(m, k, n) in &[(MR, 3, nr), (13, kc + 5, 3 * nr + 7), (MC + 9, 2 * kc + 1, NC + nr - 3), (2 * MC + 1, 9, 2 * nr + 1), (7, 70, NC + 1)] {
            for (ka, kb) in [(0, 0), (1, 4), (2, 0), (3, 1), (0, 2), (4, 3)] {
                for threads in [1, 2] {
                    let fused = check(kern, m, k, n, ka, kb, threads);
                    let want = check(first, m, k, n, ka, kb, threads);
                    assert!(fused.iter().zip(&want).all(|(x, y)| x.wide().to_bits() == y.wide().to_bits()), "{m}x{k}x{n} kinds {ka},{kb}, {threads} threads");
                }
            }
        }
    }

    /// Where the CPU has AVX512_BF16, the pairs kernel gives the widening f32 kernels' bits for
    /// bf16 operands (normal values and zeros) over shapes that end slices in half a pair, edge
    /// tiles, several slices and NC blocks, every layout, and 1 and 2 threads.
    #[test]
    fn bf16_pairs_kernel_matches_widening_kernels_bits() {
        let Some(pairs) = <f32 as Acc>::BF16_PAIRS.filter(|_| available() && par::has_avx512_bf16()) else {
            eprintln!("no AVX512_BF16 here: nothing to compare");
            return;
        };
        for &(m, k, n) in &[(1, 1, 1), (6, 2, 32), (7, 3, 33), (13, KC + 1, 71), (MC + 7, 2 * KC + 3, NC + 45), (2 * MC + 1, 5, 2 * NC + 33), (300, 70, 90)] {
            for (ka, kb) in [(0, 0), (1, 1), (3, 2), (2, 4), (0, 1)] {
                let (av, oa, sa) = view::<f32>(m, k, ka, (m * 7 + k) as u64);
                let (bv, ob, sb) = view::<f32>(k, n, kb, (k * 5 + n) as u64);
                let (a, b): (Vec<bf16>, Vec<bf16>) = (av.iter().map(|&x| bf16::from_f32(x)).collect(), bv.iter().map(|&x| bf16::from_f32(x)).collect());
                let run = |kern: Kernel<f32>, threads: usize| {
                    let mut c = vec![f32::NAN; m * n];
                    // SAFETY: the CPU runs both kernels (checked above); the views lie in their
                    // storage and c holds m*n.
                    unsafe { gemm_with::<bf16, f32>(kern, m, k, n, a.as_ptr().add(oa), sa, b.as_ptr().add(ob), sb, c.as_mut_ptr(), n, threads) };
                    c.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                };
                let want = run(<f32 as Acc>::AVX2, 1);
                assert_eq!(run(pairs, 1), want, "{m}x{k}x{n} kinds {ka},{kb}, 1 thread");
                assert_eq!(run(pairs, 2), want, "{m}x{k}x{n} kinds {ka},{kb}, 2 threads");
            }
        }
    }

    #[test]
    fn half_operands_widen_while_packing() {
        if !available() {
            return;
        }
        let (m, k, n) = (13, KC + 9, 37);
        let (av, _, _) = view::<f32>(m, k, 0, 1);
        let (bv, _, _) = view::<f32>(k, n, 0, 2);
        let want = check_half::<f32>(&av, &bv, m, k, n);
        let got16 = check_half::<f16>(&av, &bv, m, k, n);
        let gotb = check_half::<bf16>(&av, &bv, m, k, n);
        for ((w, h), b) in want.iter().zip(&got16).zip(&gotb) {
            assert!((w - h).abs() <= 2e-3 * (1.0 + w.abs()) * (k as f32).sqrt());
            assert!((w - b).abs() <= 2e-2 * (1.0 + w.abs()) * (k as f32).sqrt());
        }
    }

    trait Narrow {
        fn narrow(x: f32) -> Self;
    }
    impl Narrow for f32 {
        fn narrow(x: f32) -> f32 {
            x
        }
    }
    impl Narrow for f16 {
        fn narrow(x: f32) -> f16 {
            f16::from_f32(x)
        }
    }
    impl Narrow for bf16 {
        fn narrow(x: f32) -> bf16 {
            bf16::from_f32(x)
        }
    }

    /// C from operands rounded to `S` (B read transposed); the f64 reference of the rounded
    /// values must match tightly, the f32 one loosely (checked by the caller).
    fn check_half<S: Elem + Narrow>(av: &[f32], bv: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let a: Vec<S> = av.iter().map(|&x| S::narrow(x)).collect();
        let bt: Vec<S> = (0..n * k).map(|q| S::narrow(bv[(q % k) * n + q / k])).collect();
        let mut c = vec![0f32; m * n];
        // SAFETY: a is m x k row-major, bt holds B transposed (B[p][j] at j*k + p), c is m x n.
        unsafe { gemm::<S, f32>(m, k, n, a.as_ptr(), [k as isize, 1], bt.as_ptr(), [1, k as isize], c.as_mut_ptr(), n, 2) };
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| a[i * k + p].widen() as f64 * bt[j * k + p].widen() as f64).sum();
                assert!((c[i * n + j] as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()));
            }
        }
        c
    }
}
