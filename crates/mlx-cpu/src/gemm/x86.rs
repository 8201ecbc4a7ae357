//! The micro-kernels: a 6 x NR tile of C held in 12 vector accumulators; each step of the inner
//! dimension loads NR packed B values (2 vectors), broadcasts 6 packed A values and issues 12
//! FMAs. AVX2+FMA (ymm): f32 6x16, f64 6x8. AVX-512F (zmm): f32 6x32, f64 6x16. AVX512_BF16:
//! bf16 6x48 over k-pairs ([`kernel_6x48_bf16`]), two depths per instruction.
//!
//! Accumulators start at zero and every lane runs the same FMA chain over p = 0..kc whatever the
//! vector width, so a C element's value depends only on its row of A and column of B in the
//! packed panels: the AVX2 and AVX-512 kernels give bit-identical tiles.
//!
//! Each f32/f64 kernel (a module: `f32_6x32::run` and so on) comes in R-row versions for the
//! last strip of rows (`run::<R>`, written straight into C) and has two full-tile twins:
//! `packing` reads B from its rows instead of a packed panel and stores the panel on the way,
//! and `staging` prefetches rows of B for a later `packing` tile. Their FMAs are `run`'s, so
//! they give the same bits.

use std::arch::x86_64::*;

use super::{MR, PREFETCH_FAR, PREFETCH_NEAR, STAGE_STEPS};

/// Runs the kernel's `$step!(o)` (step `o` of the current group of four) over `$steps` depth
/// steps, four at a time, then one at a time, moving each pointer `$p` by `$s` elements per step
/// (the packed A panel by MR, B by its row stride). The moves wrap: B read from its rows ends a
/// row stride past its last row, which may lie outside B's allocation (rows narrower than their
/// stride), where `offset` would be undefined even unread (same-run A/B against `offset`:
/// within noise).
macro_rules! depth_loop {
    ($steps:expr, $step:ident; $($p:ident += $s:expr),+) => {{
        let steps = $steps;
        let mut p = 0;
        while p + 4 <= steps {
            $step!(0);
            $step!(1);
            $step!(2);
            $step!(3);
            $($p = $p.wrapping_offset(4 * $s as isize);)+
            p += 4;
        }
        while p < steps {
            $step!(0);
            $($p = $p.wrapping_offset($s as isize);)+
            p += 1;
        }
    }};
}

/// One kernel as module `$name`, for element `$t` in vectors of `$l` lanes (NR = 2 * `$l`):
/// `run::<R>` (tiles of R <= MR rows), and the full-tile twins `packing` (reads B's rows where
/// they lie and packs them on the way) and `staging` (prefetches rows of B that a later packing
/// tile will read). All three run `body`'s FMA chain, so they give the same bits.
macro_rules! kernel {
    ($name:ident, $features:literal, $t:ty, $l:expr, $zero:ident, $loadu:ident, $storeu:ident, $bcast:ident, $fmadd:ident, $add:ident) => {
        pub mod $name {
            use super::*;

            const NR: usize = 2 * $l;
            /// Cache lines per row of a B micro-panel (NR elements).
            const LINES: isize = (NR * std::mem::size_of::<$t>() / 64) as isize;
            /// Groups of 4 depth steps per line a staging kernel prefetches.
            const GROUPS_PER_LINE: isize = (STAGE_STEPS / 4) as isize;

            /// `C[0..R, 0..NR] (+)= A @ B` for k-major packed panels `a` (kc x MR, rows past R
            /// unread) and `b` (kc x NR); C has row stride `ldc` and unit column stride; `add`
            /// adds to C instead of overwriting.
            ///
            /// # Safety
            /// The CPU supports the kernel's features (AVX2 and FMA, or AVX-512F); R <= MR; `a`
            /// holds kc*MR and `b` kc*NR readable elements; the R rows of NR elements at
            /// `c + r*ldc` are writable (and readable when `add`).
            #[target_feature(enable = $features)]
            pub unsafe fn run<const R: usize>(kc: usize, a: *const $t, b: *const $t, c: *mut $t, ldc: usize, add: bool) {
                // SAFETY: forwarded; without PACK or STAGE `aux` is not used.
                unsafe { body::<R, false, false>(kc, a, b, NR as isize, b.cast_mut(), c, ldc, add) }
            }

            /// As `run::<MR>`, for B read from its rows (`kc` rows of NR elements, `ldb` apart,
            /// at `b`), each of which is also stored into the k-major packed panel at `dst`
            /// (kc x NR), which later tiles then read. The same bits as packing first.
            ///
            /// # Safety
            /// As for `run`, with `b + p*ldb` (p < kc) holding NR readable elements and `dst`
            /// room for kc*NR elements that nothing else accesses during the call.
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            pub unsafe fn packing(kc: usize, a: *const $t, b: *const $t, ldb: isize, dst: *mut $t, c: *mut $t, ldc: usize, add: bool) {
                // SAFETY: forwarded.
                unsafe { body::<MR, true, false>(kc, a, b, ldb, dst, c, ldc, add) }
            }

            /// As `run::<MR>`, also prefetching into L2 the micro-panel rows of B from `rows`
            /// (`ldr` apart): one cache line per STAGE_STEPS depth steps, so
            /// `kc / STAGE_STEPS / LINES` rows (16 of f32 AVX-512 panels at kc = 256), which a
            /// later packing tile will read.
            ///
            /// # Safety
            /// As for `run` (`rows` may point anywhere: prefetches never fault).
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            pub unsafe fn staging(kc: usize, a: *const $t, b: *const $t, rows: *const $t, ldr: isize, c: *mut $t, ldc: usize, add: bool) {
                // SAFETY: forwarded; with STAGE `aux` is only prefetched.
                unsafe { body::<MR, false, true>(kc, a, b, ldr, rows.cast_mut(), c, ldc, add) }
            }

            /// The kernels' shared body: R rows of C; B read at `b` with row stride `ld` (PACK)
            /// or from the packed panel; with PACK each B row is stored to `aux`'s packed
            /// panel, with STAGE the rows from `aux` (`ld` apart) are prefetched.
            ///
            /// # Safety
            /// As for the caller (`run`, `packing` or `staging`).
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            #[inline]
            unsafe fn body<const R: usize, const PACK: bool, const STAGE: bool>(kc: usize, a: *const $t, b: *const $t, ld: isize, aux: *mut $t, c: *mut $t, ldc: usize, add: bool) {
                // SAFETY: every pointer read or written below lies inside the panels / rows /
                // tile of the contract (prefetched and wrapped pointers may lie anywhere).
                unsafe {
                    let mut acc = [[$zero(); 2]; R];
                    let ldb = if PACK { ld } else { NR as isize };
                    // Without PACK, `dst` walks the packed panel `b` (in bounds, never written).
                    let (mut a, mut b, mut dst) = (a, b, if PACK { aux } else { b.cast_mut() });
                    let (mut staged, mut part, mut wait) = (aux.cast::<i8>().cast_const(), 0isize, 1isize);
                    macro_rules! step {
                        ($o:expr) => {{
                            let row = b.offset($o * ldb);
                            if PACK {
                                let near = row.wrapping_offset(PREFETCH_NEAR * ldb).cast::<i8>();
                                _mm_prefetch::<_MM_HINT_T0>(near);
                                _mm_prefetch::<_MM_HINT_T0>(near.wrapping_add(64));
                                let far = row.wrapping_offset(PREFETCH_FAR * ldb).cast::<i8>();
                                _mm_prefetch::<_MM_HINT_T1>(far);
                                _mm_prefetch::<_MM_HINT_T1>(far.wrapping_add(64));
                            }
                            if STAGE && $o == 0 {
                                // At every GROUPS_PER_LINE-th group of 4 steps, the next line
                                // of the staged rows (LINES lines a row).
                                wait -= 1;
                                if wait == 0 {
                                    wait = GROUPS_PER_LINE;
                                    _mm_prefetch::<_MM_HINT_T1>(staged.wrapping_offset(part * 64));
                                    part += 1;
                                    if part == LINES {
                                        part = 0;
                                        staged = staged.wrapping_offset(ld * std::mem::size_of::<$t>() as isize);
                                    }
                                }
                            }
                            let b0 = $loadu(row);
                            let b1 = $loadu(row.add($l));
                            if PACK {
                                $storeu(dst.add($o * NR), b0);
                                $storeu(dst.add($o * NR + $l), b1);
                            }
                            for r in 0..R {
                                let x = $bcast(&*a.add($o * MR + r));
                                acc[r][0] = $fmadd(x, b0, acc[r][0]);
                                acc[r][1] = $fmadd(x, b1, acc[r][1]);
                            }
                        }};
                    }
                    depth_loop!(kc, step; a += MR, b += ldb, dst += NR);
                    for (r, row) in acc.iter().enumerate() {
                        let cr = c.add(r * ldc);
                        let (mut v0, mut v1) = (row[0], row[1]);
                        if add {
                            v0 = $add(v0, $loadu(cr));
                            v1 = $add(v1, $loadu(cr.add($l)));
                        }
                        $storeu(cr, v0);
                        $storeu(cr.add($l), v1);
                    }
                }
            }
        }
    };
}

kernel!(f32_6x16, "avx2,fma", f32, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_add_ps);
kernel!(f64_6x8, "avx2,fma", f64, 4, _mm256_setzero_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_broadcast_sd, _mm256_fmadd_pd, _mm256_add_pd);
kernel!(f32_6x32, "avx512f,avx2,fma", f32, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_storeu_ps, broadcast512_ps, _mm512_fmadd_ps, _mm512_add_ps);
kernel!(f64_6x16, "avx512f,avx2,fma", f64, 8, _mm512_setzero_pd, _mm512_loadu_pd, _mm512_storeu_pd, broadcast512_pd, _mm512_fmadd_pd, _mm512_add_pd);

/// `*x` in every lane (an embedded-broadcast memory operand of the FMA once inlined).
///
/// # Safety
/// The CPU supports AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn broadcast512_ps(x: &f32) -> __m512 {
    _mm512_set1_ps(*x)
}

/// As [`broadcast512_ps`] for f64.
///
/// # Safety
/// The CPU supports AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn broadcast512_pd(x: &f64) -> __m512d {
    _mm512_set1_pd(*x)
}

/// The avx512_bf16 kernel: `C[0..6, 0..48] (+)= A @ B` for bf16 A and B packed in k-pairs
/// (f32 accumulators and C). Each 32-bit word of the panels holds two bf16 values of
/// consecutive depths p, p+1: p in the high half, p+1 in the low half (+0.0 past an odd `kc`:
/// the accumulators start at +0.0 and a rounded sum is -0.0 only when both addends are, so no
/// lane ever holds -0.0 and adding a zero product changes nothing).
/// `a` holds kc.div_ceil(2) x 6 words (one per row), `b` kc.div_ceil(2) x 48 words.
///
/// One `vdpbf16ps` per 16 lanes and pair adds the high-half product, rounds, then adds the
/// low-half product and rounds (measured on Zen 5: all of 1.6 million random lanes), and a
/// product of two bf16 values is exact in f32, so each lane runs exactly the FMA chain of
/// [`f32_6x32::run`] on the widened values: the same bits, except that the instruction treats
/// subnormal inputs and results (below 2^-126 in magnitude) as zero.
///
/// 48 columns (18 accumulators), not 32: the instruction's latency needs more than 12 chains in
/// flight (Zen 5, standalone loop: 488 GFLOP/s with 12 accumulators, 539 with 16); 2048^3 bf16
/// on one thread took 45.5 ms with a 6x32 tile and 38.4-39.3 ms with 6x48.
///
/// # Safety
/// The CPU supports AVX512_BF16 and AVX-512F; `a` and `b` hold the words above; the 6 rows of
/// 48 f32 at `c + r*ldc` are writable (and readable when `add`).
#[target_feature(enable = "avx512bf16,avx512f,avx2,fma")]
pub unsafe fn kernel_6x48_bf16(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, add: bool) {
    const V: usize = 3;
    const L: usize = 16;
    const NR: usize = V * L;
    // SAFETY: every pointer offset below stays inside the panels / tile of the contract; the
    // transmutes reinterpret 512 bits as 32 bf16 lanes (same size, any bit pattern valid).
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); V]; MR];
        let (mut a, mut b) = (a.cast::<i32>(), b.cast::<i32>());
        macro_rules! step {
            ($o:expr) => {{
                let bv: [__m512bh; V] = std::array::from_fn(|v| std::mem::transmute(_mm512_loadu_si512(b.add($o * NR + v * L).cast())));
                for r in 0..MR {
                    let x: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add($o * MR + r)));
                    for v in 0..V {
                        acc[r][v] = _mm512_dpbf16_ps(acc[r][v], x, bv[v]);
                    }
                }
            }};
        }
        depth_loop!(kc.div_ceil(2), step; a += MR, b += NR);
        for (r, row) in acc.iter().enumerate() {
            let cr = c.add(r * ldc);
            for (v, &x) in row.iter().enumerate() {
                let y = if add { _mm512_add_ps(x, _mm512_loadu_ps(cr.add(v * L))) } else { x };
                _mm512_storeu_ps(cr.add(v * L), y);
            }
        }
    }
}
