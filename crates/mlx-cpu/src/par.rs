//! Threads and SIMD dispatch for the kernels.
//!
//! - One global pool ([`crate::pool`]) sized by `MLX_RS_NUM_THREADS` (default: the available
//!   cores), built on first use; with one thread no pool exists and every helper runs inline.
//! - Work is split only above a size threshold, so small ops never pay for synchronization.
//! - Invariant: the way work is cut into pieces depends only on the problem size, never on the
//!   thread count, so results (floating-point sums included) are identical for any number of
//!   threads.
//! - [`simd!`] evaluates an expression compiled for AVX2+FMA when the CPU has them (runtime
//!   detection: one binary runs on any x86-64; other architectures use the portable build).

use std::sync::OnceLock;

use crate::pool::Pool;

/// Elementwise work below this many elements runs on the calling thread.
pub const PAR_MIN_ELEMS: usize = 1 << 16;

/// The number of threads kernels use: `MLX_RS_NUM_THREADS` if set to a positive integer,
/// otherwise the available parallelism.
pub fn num_threads() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("MLX_RS_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    })
}

fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();
    *POOL.get_or_init(|| Pool::new(num_threads()))
}

/// Calls `f(index)` for `0..n` pieces, in parallel when a pool exists and `parallel` holds.
///
/// `f` is a trait object so the pool machinery is compiled once, not per kernel closure.
pub fn for_each_index(n: usize, parallel: bool, f: &(dyn Fn(usize) + Sync)) {
    match pool() {
        Some(p) if parallel && n > 1 => p.run(n, f),
        _ => (0..n).for_each(f),
    }
}

/// `f(start, chunk)` over consecutive chunks of `dst` of `chunk` elements (the last may be
/// shorter), in parallel when a pool exists and `parallel` holds.
pub fn for_each_chunk_mut<T: Send>(dst: &mut [T], chunk: usize, parallel: bool, f: &(dyn Fn(usize, &mut [T]) + Sync)) {
    let chunk = chunk.max(1);
    let len = dst.len();
    let base = SendPtr(dst.as_mut_ptr());
    for_each_index(len.div_ceil(chunk), parallel && len > chunk, &|i| {
        let start = i * chunk;
        let end = (start + chunk).min(len);
        // SAFETY: pieces i cover disjoint ranges start..end inside dst (end <= len), each piece
        // runs once, and dst stays mutably borrowed by this call until every piece has run.
        f(start, unsafe { std::slice::from_raw_parts_mut(base.get().add(start), end - start) })
    });
}

/// A pointer handed to the pieces of one parallel call.
struct SendPtr<T>(*mut T);
impl<T> Clone for SendPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SendPtr<T> {}
impl<T> SendPtr<T> {
    /// The pointer (a method, so closures capture the whole `SendPtr`, not its field).
    fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: used only by `for_each_chunk_mut`, whose pieces touch disjoint ranges of `T: Send`
// elements.
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above; the pointer itself is only copied, never written through concurrently at
// the same element.
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// `f(i)` for `0..n`, collected in order; in parallel when a pool exists and `parallel` holds.
pub fn map_collect<R: Send>(n: usize, parallel: bool, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    if !(parallel && n > 1 && pool().is_some()) {
        return (0..n).map(f).collect();
    }
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for_each_chunk_mut(&mut out, 1, parallel, &|i, slot| slot[0] = Some(f(i)));
    // Every slot was filled (each piece runs exactly once).
    out.into_iter().flatten().collect()
}

/// A chunk length for splitting `n` elements: about 4 pieces per thread of the machine's
/// maximum, at least `min`, a multiple of 64, independent of `MLX_RS_NUM_THREADS`.
pub fn chunk_len(n: usize, min: usize) -> usize {
    let pieces = 16;
    (n.div_ceil(pieces).max(min).div_ceil(64) * 64).max(64)
}

/// The CPU check `$check` on x86-64 (false elsewhere, where it would not compile), computed once
/// per call site.
macro_rules! x86_once {
    ($check:expr) => {{
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                $check
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                false
            }
        })
    }};
}

/// True when the environment variable `name` is set to anything but `0` or the empty string.
fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// True when `MLX_RS_PORTABLE` is set (to anything but `0` or the empty string): every kernel
/// then takes its portable path, as on a CPU without AVX/AVX2/FMA. CI runs the test suite this
/// way too, so the fallbacks stay tested on machines that have the vector units.
pub fn portable_only() -> bool {
    static PORTABLE: OnceLock<bool> = OnceLock::new();
    *PORTABLE.get_or_init(|| env_flag("MLX_RS_PORTABLE"))
}

/// True when the CPU supports AVX-512F, [`has_avx2_fma`] holds and `MLX_RS_NO_AVX512` is not
/// set (to anything but `0` or the empty string; it keeps the AVX2 kernels, e.g. to compare the
/// two on one machine). The GEMM and GEMV kernels use AVX-512F; `simd!(wide if ..)` bodies also
/// need [`has_avx512_simd`].
pub fn has_avx512f() -> bool {
    x86_once!(has_avx2_fma() && std::is_x86_feature_detected!("avx512f") && !env_flag("MLX_RS_NO_AVX512"))
}

/// True when [`has_avx512f`] holds and the CPU supports AVX512_BF16 (bf16 dot products, used by
/// the bf16 GEMM kernel) and `MLX_RS_NO_AVX512_BF16` is not set (to anything but `0` or the
/// empty string; it keeps bf16 products on the widening f32 kernels, which also handle
/// subnormal values exactly).
pub fn has_avx512_bf16() -> bool {
    x86_once!(has_avx512f() && std::is_x86_feature_detected!("avx512bf16") && !env_flag("MLX_RS_NO_AVX512_BF16"))
}

/// True when [`has_avx512f`] holds and the CPU also has AVX-512 BW, DQ and VL (every AVX-512
/// CPU since Skylake-SP): [`simd!`] bodies are then compiled for 512-bit vectors.
#[inline]
pub fn has_avx512_simd() -> bool {
    x86_once!(has_avx512f() && std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512dq") && std::is_x86_feature_detected!("avx512vl"))
}

/// True when the CPU supports AVX2 and FMA and [`portable_only`] is off. Computed once: it is
/// asked on every [`simd!`] evaluation, per row in the strided paths.
#[inline]
pub fn has_avx2_fma() -> bool {
    x86_once!(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") && !portable_only())
}

/// Evaluates the expression `$body` compiled with AVX2+FMA when the CPU has them (runtime
/// detection: one binary runs on any x86-64), portably otherwise. `simd!(wide if COND; body)`
/// compiles it for 512-bit vectors instead where COND holds and the CPU has AVX-512
/// ([`has_avx512_simd`]): only for bodies measured to gain, the compute-bound ones. On a Zen 5
/// (16M f32, 1 thread) exp went 7.4 -> 4.0 ms and a softmax over rows of 4096x4096 16.3 -> 12.8
/// ms, but `where` went 4.2 -> 11.6 ms, sum over axis 0 1.6 -> 2.2 ms and logsumexp 11.5 -> 13.0
/// ms with every body compiled wide.
///
/// A macro, not a function taking a closure: the body must be inlined into the
/// feature-enabled frame to be compiled with 256-bit registers, and LLVM inlines a closure
/// reliably only when it has a single call site. A function `simd(f)` calls `f` twice (the
/// AVX2 frame and the fallback), so whether the loop got AVX2 depended on the inliner's size
/// heuristics: an unrelated change once left `sum` running SSE code, 15% slower. Here the
/// closure is called only from [`run_avx2`] and the fallback is a separate copy of the body.
macro_rules! simd {
    (wide if $wide:expr; $body:expr) => {
        if $wide && $crate::par::has_avx512_simd() {
            // SAFETY: the CPU supports the AVX-512 subsets and AVX2+FMA (checked just above),
            // the only requirement of calling a function compiled with those features.
            #[allow(unused_unsafe)]
            unsafe {
                $crate::par::run_avx512(|| $body)
            }
        } else {
            $crate::par::simd!($body)
        }
    };
    ($body:expr) => {
        if $crate::par::has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirement
            // of calling a function compiled with those features.
            #[allow(unused_unsafe)]
            unsafe {
                $crate::par::run_avx2(|| $body)
            }
        } else {
            $body
        }
    };
}
pub(crate) use simd;

/// Runs `f`, compiled with AVX2 and FMA enabled (through [`simd!`], which checks for them).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f`, compiled with AVX-512 F/BW/DQ/VL, AVX2 and FMA enabled (through [`simd!`], which
/// checks for them).
///
/// # Safety
/// The CPU must support those features ([`has_avx512_simd`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
pub unsafe fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` (no AVX-512 off x86-64; [`has_avx512_simd`] is false there).
///
/// # Safety
/// None needed; `unsafe` only to match the x86-64 signature.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` (no AVX2 off x86-64; [`has_avx2_fma`] is false there, so [`simd!`] never calls this).
///
/// # Safety
/// None needed; `unsafe` only to match the x86-64 signature.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_once() {
        let mut v = vec![0u32; 100_003];
        for_each_chunk_mut(&mut v, 1000, true, &|start, c| {
            for (i, x) in c.iter_mut().enumerate() {
                *x += (start + i) as u32;
            }
        });
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
        assert_eq!(map_collect(5, true, |i| i * 2), vec![0, 2, 4, 6, 8]);
        assert!(num_threads() >= 1);
    }

    #[test]
    fn simd_runs_the_closure() {
        let v: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let s = simd!(v.iter().map(|x| x * 2.0).sum::<f32>());
        assert_eq!(s, 999_000.0);
    }
}
