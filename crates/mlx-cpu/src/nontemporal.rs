//! Non-temporal ("streaming") writes for outputs larger than the cache.
//!
//! An ordinary store first reads its destination line into the cache (read-for-ownership) and
//! writes it back later, so an output too big to stay in cache crosses the memory bus twice. A
//! non-temporal store writes whole lines straight to memory. Measured on the 2-core EPYC VM of
//! BENCHMARKS.md (standalone harness, 1 thread, medians): adding two arrays of 16M f32 took
//! 11.4-14.2 ms with ordinary stores and 7.8-9.4 ms streaming. For an output that the next op
//! would still find in cache, streaming loses (an 8 MiB sum followed by a read of it: 1.05 ms
//! ordinary, 1.26 ms streaming; at 16 MiB streaming won, 2.97 against 3.46 ms), so only outputs
//! of at least half the last-level cache ([`worth_it`]) stream.
//!
//! [`fill`] has the kernel compute each block of [`STAGE_BYTES`] into a buffer on the stack (it
//! stays in L1), then copies the block out with 16-byte non-temporal stores (SSE2,
//! which every x86-64 has). Elsewhere, with `MLX_RS_PORTABLE`, and for small outputs the kernel
//! writes the destination directly. Kernels stream only where staging costs nothing that
//! matters: the cheap elementwise ops of `elementwise::map1_cheap`/`map2_cheap` and `where`
//! (bound by memory bandwidth), the fused row ops of `fused.rs` (each row is computed into a
//! row buffer first, so only its copy-out is staged) and the transpose-copy, whose AVX kernel
//! stores whole lines from registers. For exp and the like, staging inside the compute loop
//! cost more than streaming saved.
//!
//! Invariants: the values written are exactly the ones the kernel computes (only the way they
//! reach memory changes), and every streamed `fill` ends with an `sfence`, so its stores are
//! ordered before whatever hands the output to another thread (the pool's join).

use std::sync::OnceLock;

use crate::num::Num;

/// Bytes per staged block: a few cache lines, so that the kernel's loads and the streaming
/// stores stay interleaved (measured, add of 16M f32 on 1 thread: staging 256-512 bytes ran
/// within 5-10% of storing straight from registers; 4-16 KiB blocks lost half the gain).
const STAGE_BYTES: usize = 512;

/// The staging buffer, aligned for every element type.
#[repr(C, align(64))]
struct Stage([u8; STAGE_BYTES]);

/// The last-level cache assumed when the OS does not say (bytes).
const DEFAULT_LLC: usize = 32 << 20;

#[cfg(test)]
thread_local! {
    /// Set by tests on the calling thread: every output streams, whatever its size.
    pub static FORCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True when an output of `bytes` bytes should be written with non-temporal stores.
pub fn worth_it(bytes: usize) -> bool {
    #[cfg(test)]
    if FORCE.with(|f| f.get()) {
        return cfg!(target_arch = "x86_64");
    }
    static MIN_BYTES: OnceLock<usize> = OnceLock::new();
    let min = *MIN_BYTES.get_or_init(|| {
        if !cfg!(target_arch = "x86_64") || crate::par::portable_only() {
            usize::MAX
        } else {
            last_level_cache().unwrap_or(DEFAULT_LLC) / 2
        }
    });
    bytes >= min
}

/// The size of the largest CPU cache, from Linux's sysfs (`None` elsewhere or unreadable).
fn last_level_cache() -> Option<usize> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("size")).ok())
        .filter_map(|s| parse_size(s.trim()))
        .max()
}

/// Parses sysfs cache sizes such as `32768K`, `1M` or `512`.
fn parse_size(s: &str) -> Option<usize> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' => (&s[..s.len() - 1], 1 << 10),
        b'M' => (&s[..s.len() - 1], 1 << 20),
        b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

/// Fills `dst` through `compute(start, block)`, which must write elements
/// `start..start + block.len()` of the output into `block`. With `STAGED` and `stream` (see
/// [`worth_it`]), blocks of [`STAGE_BYTES`] are staged on the stack and copied out with
/// non-temporal stores; otherwise `compute` writes `dst` directly.
///
/// Inlined, so that called inside `par::simd!` the block loop and `compute` are compiled for
/// AVX2 as one loop nest; `compute` has a single call site because LLVM reliably inlines a
/// closure only then (a closure left out of line is not compiled for AVX2). `STAGED` is a
/// constant so that kernels which never stream (compute-bound ones: the staging loop cost exp
/// 10% even when it wrote directly) compile to exactly `compute(0, dst)`.
#[inline(always)]
pub fn fill<const STAGED: bool, U: Num>(dst: &mut [U], stream: bool, mut compute: impl FnMut(usize, &mut [U])) {
    if !STAGED {
        return compute(0, dst);
    }
    let (len, size) = (dst.len(), std::mem::size_of::<U>());
    let stream = stream && cfg!(target_arch = "x86_64") && len * size >= 4 * STAGE_BYTES && (dst.as_ptr() as usize).is_multiple_of(size);
    // Elements before the first 16-byte boundary are written directly (element sizes are powers
    // of two up to 16, so the boundary falls between elements).
    let head = if stream { ((dst.as_ptr() as usize).wrapping_neg() % 16) / size } else { len };
    // Zeroed only when used: `fill` also runs once per row of strided outputs.
    let mut raw = std::mem::MaybeUninit::<Stage>::uninit();
    let stage: &mut [U] = if stream { bytemuck::cast_slice_mut(&mut raw.write(Stage([0; STAGE_BYTES])).0) } else { &mut [] };
    let mut start = 0;
    while start < len {
        let direct = start < head;
        let n = if direct { head } else { stage.len().min(len - start) };
        let block = if direct { &mut dst[..n] } else { &mut stage[..n] };
        compute(start, block);
        #[cfg(target_arch = "x86_64")]
        if !direct {
            x86::stream_copy(bytemuck::cast_slice(&stage[..n]), bytemuck::cast_slice_mut(&mut dst[start..start + n]));
        }
        start += n;
    }
    #[cfg(target_arch = "x86_64")]
    if stream {
        x86::fence();
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_sfence, _mm_stream_si128};

    /// Copies `src` to `dst` (same length; `dst` 16-byte aligned) with non-temporal stores for
    /// the whole 16-byte units and ordinary ones for the tail.
    #[inline(always)]
    pub fn stream_copy(src: &[u8], dst: &mut [u8]) {
        assert!(src.len() == dst.len() && (dst.as_ptr() as usize).is_multiple_of(16), "stream_copy: misaligned or unequal");
        let whole = dst.len() / 16 * 16;
        for i in (0..whole).step_by(16) {
            // SAFETY: i + 16 <= whole <= both lengths; dst + i is 16-byte aligned (asserted
            // above, i a multiple of 16), as `_mm_stream_si128` requires; SSE2 is part of
            // x86-64. The load is unaligned-tolerant.
            unsafe {
                let v = _mm_loadu_si128(src.as_ptr().add(i).cast::<__m128i>());
                _mm_stream_si128(dst.as_mut_ptr().add(i).cast::<__m128i>(), v);
            }
        }
        dst[whole..].copy_from_slice(&src[whole..]);
    }

    /// Orders the non-temporal stores before any later store (the pool's join).
    pub fn fence() {
        // SAFETY: `sfence` (SSE, part of x86-64) has no preconditions.
        unsafe { _mm_sfence() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::C64;

    /// Streams `len` elements at element offset `off` of a buffer and checks every one.
    fn check<U: Num + std::fmt::Debug>(len: usize, off: usize, value: impl Fn(usize) -> U) {
        let mut buf = vec![U::zero(); len + off];
        let dst = &mut buf[off..];
        let mut calls = 0;
        fill::<true, U>(dst, true, |start, block| {
            calls += 1;
            for (j, v) in block.iter_mut().enumerate() {
                *v = value(start + j);
            }
        });
        for (i, v) in buf[off..].iter().enumerate() {
            assert_eq!(*v, value(i), "element {i} of {len} at offset {off}");
        }
        if cfg!(target_arch = "x86_64") && len * std::mem::size_of::<U>() >= 4 * STAGE_BYTES {
            assert!(calls > 1, "a long output was not staged");
        }
    }

    #[test]
    fn streamed_outputs_hold_every_computed_value() {
        for len in [0, 5, 127, 128, 131, 256, 513, 2048 + 17, 5000] {
            for off in 0..5 {
                check::<f32>(len, off, |i| i as f32 * 0.5 - 3.0);
                check::<f64>(len, off, |i| i as f64 * 0.25);
                check::<u8>(len, off, |i| (i * 7) as u8);
                check::<i16>(len, off, |i| i as i16 - 100);
                check::<C64>(len, off, |i| C64::new(i as f32, -(i as f32)));
            }
        }
    }

    #[test]
    fn cache_sizes_parse() {
        assert_eq!(parse_size("32768K"), Some(32 << 20));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size(""), None);
    }
}
