//! Threads and SIMD dispatch for the kernels.
//!
//! - One global rayon pool sized by `MLX_RS_NUM_THREADS` (default: the available cores), built
//!   on first use; with one thread no pool exists and every helper runs inline.
//! - Work is split only above a size threshold, so small ops never pay for synchronization.
//! - Invariant: the way work is cut into pieces depends only on the problem size, never on the
//!   thread count, so results (floating-point sums included) are identical for any number of
//!   threads.
//! - [`simd`] runs a closure compiled for AVX2+FMA when the CPU has them (runtime detection: one
//!   binary runs on any x86-64; other architectures use the portable build).

use std::sync::OnceLock;

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

fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let n = num_threads();
        if n <= 1 {
            return None;
        }
        // A pool that cannot be built (no threads allowed) means sequential execution.
        rayon::ThreadPoolBuilder::new().num_threads(n).thread_name(|i| format!("mlx-cpu-{i}")).build().ok()
    })
    .as_ref()
}

/// Calls `f(index)` for `0..n` pieces, in parallel when a pool exists and `parallel` holds.
///
/// `f` is a trait object so the rayon machinery is compiled once, not per kernel closure.
pub fn for_each_index(n: usize, parallel: bool, f: &(dyn Fn(usize) + Sync)) {
    match pool() {
        Some(p) if parallel && n > 1 => p.install(|| {
            use rayon::prelude::*;
            (0..n).into_par_iter().for_each(f)
        }),
        _ => (0..n).for_each(f),
    }
}

/// `f(start, chunk)` over consecutive chunks of `dst` of `chunk` elements (the last may be
/// shorter), in parallel when a pool exists and `parallel` holds.
///
/// `f` is a trait object so the rayon machinery is compiled once per element type.
pub fn for_each_chunk_mut<T: Send>(dst: &mut [T], chunk: usize, parallel: bool, f: &(dyn Fn(usize, &mut [T]) + Sync)) {
    let chunk = chunk.max(1);
    match pool() {
        Some(p) if parallel && dst.len() > chunk => p.install(|| {
            use rayon::prelude::*;
            dst.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i * chunk, c))
        }),
        _ => dst.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i * chunk, c)),
    }
}

/// `f(i)` for `0..n`, collected in order; in parallel when a pool exists and `parallel` holds.
pub fn map_collect<R: Send>(n: usize, parallel: bool, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    match pool() {
        Some(p) if parallel && n > 1 => p.install(|| {
            use rayon::prelude::*;
            (0..n).into_par_iter().map(f).collect()
        }),
        _ => (0..n).map(f).collect(),
    }
}

/// A chunk length for splitting `n` elements: about 4 pieces per thread of the machine's
/// maximum, at least `min`, a multiple of 64, independent of `MLX_RS_NUM_THREADS`.
pub fn chunk_len(n: usize, min: usize) -> usize {
    let pieces = 16;
    (n.div_ceil(pieces).max(min).div_ceil(64) * 64).max(64)
}

/// True when the CPU supports AVX2 and FMA (cached by std).
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `f` compiled with AVX2+FMA enabled when the CPU has them, portably otherwise. `f` is
/// inlined into the feature-enabled frame, so its loops vectorize with 256-bit registers.
#[inline(always)]
pub fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirement
            // of calling a function compiled with those features.
            return unsafe { run_avx2(f) };
        }
    }
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
        let s = simd(|| v.iter().map(|x| x * 2.0).sum::<f32>());
        assert_eq!(s, 999_000.0);
    }
}
