//! The x86-64 AVX kernel of the transpose-copy for 4-byte elements whose output rows run along
//! the source's stride-1 axis (`sr == 1`, e.g. the copy of `x.T` for a row-major `x`).
//!
//! Work goes in strips of 16 output columns (one 64-byte line of an output row), each swept
//! down all rows of the band: the 16 source rows of a strip are read as 16 sequential streams
//! (which the hardware prefetcher follows) and every output line is written whole, 8x8 blocks
//! at a time transposed in registers. Large outputs use non-temporal stores, which skip reading
//! the output lines before writing them and keep the caches for the source. Only bits move (no
//! float arithmetic), so every value, NaN payloads included, is copied exactly.

use std::arch::x86_64::*;

/// True when the CPU has AVX (and `MLX_RS_PORTABLE` does not ask for the portable kernels).
pub fn available() -> bool {
    std::is_x86_feature_detected!("avx") && !crate::par::portable_only()
}

/// Writes rows `[i0, i1)` (all `cols` columns) of the view `out[i][j] = src[base + i + j * sc]`
/// into `out` (row-major, `(i1 - i0) * cols` elements).
///
/// # Safety
/// AVX must be available; `src.offset(base + i + j * sc)` must be readable for every
/// `i0 <= i < i1`, `j < cols`; `out` must be valid for `(i1 - i0) * cols` writes and not
/// otherwise accessed during the call. With `nt`, `out` and `cols * 4` must be multiples of 32
/// bytes (non-temporal stores need aligned addresses).
#[target_feature(enable = "avx")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn rows(src: *const u32, base: isize, sc: isize, i0: usize, i1: usize, cols: usize, out: *mut u32, nt: bool) {
    let at = |i: usize, j: usize| base + i as isize + j as isize * sc;
    let full_rows = i0 + (i1 - i0) / 8 * 8;
    let full_cols = cols / 8 * 8;
    let mut j = 0;
    while j < full_cols {
        // A strip of 16 columns (8 at the last odd block), swept down the rows.
        let strip = if j + 16 <= full_cols { 16 } else { 8 };
        let mut i = i0;
        while i < full_rows {
            for jj in (j..j + strip).step_by(8) {
                // SAFETY: the 8x8 block (i..i+8, jj..jj+8) lies inside the rows and columns the
                // caller vouches for, and its output rows inside `out`.
                unsafe { block8(src.offset(at(i, jj)), sc, out.add((i - i0) * cols + jj), cols, nt) };
            }
            i += 8;
        }
        j += strip;
    }
    if nt {
        // Non-temporal stores are weakly ordered: fence before the output is handed on.
        _mm_sfence();
    }
    // The rows and columns left over from the 8x8 blocks, element by element.
    for i in i0..i1 {
        let from = if i < full_rows { full_cols } else { 0 };
        for jj in from..cols {
            // SAFETY: inside the caller's ranges, as above.
            unsafe { *out.add((i - i0) * cols + jj) = *src.offset(at(i, jj)) };
        }
    }
}

/// Transposes the 8x8 block whose source rows start at `src + k * sc` (k < 8) into the 8 output
/// rows at `dst + t * ds` (t < 8).
///
/// # Safety
/// AVX; 8 elements readable at each `src + k * sc`, writable at each `dst + t * ds`, which are
/// 32-byte aligned when `nt`.
#[target_feature(enable = "avx")]
#[inline]
unsafe fn block8(src: *const u32, sc: isize, dst: *mut u32, ds: usize, nt: bool) {
    let s = src as *const f32;
    // SAFETY: 8 readable elements at each of the 8 source rows (caller).
    let r = unsafe { [0, 1, 2, 3, 4, 5, 6, 7].map(|k| _mm256_loadu_ps(s.offset(k * sc))) };
    let t = [
        _mm256_unpacklo_ps(r[0], r[1]),
        _mm256_unpackhi_ps(r[0], r[1]),
        _mm256_unpacklo_ps(r[2], r[3]),
        _mm256_unpackhi_ps(r[2], r[3]),
        _mm256_unpacklo_ps(r[4], r[5]),
        _mm256_unpackhi_ps(r[4], r[5]),
        _mm256_unpacklo_ps(r[6], r[7]),
        _mm256_unpackhi_ps(r[6], r[7]),
    ];
    let u = [
        _mm256_shuffle_ps::<0x44>(t[0], t[2]),
        _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
        _mm256_shuffle_ps::<0x44>(t[1], t[3]),
        _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
        _mm256_shuffle_ps::<0x44>(t[4], t[6]),
        _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
        _mm256_shuffle_ps::<0x44>(t[5], t[7]),
        _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
    ];
    let rows = [
        _mm256_permute2f128_ps::<0x20>(u[0], u[4]),
        _mm256_permute2f128_ps::<0x20>(u[1], u[5]),
        _mm256_permute2f128_ps::<0x20>(u[2], u[6]),
        _mm256_permute2f128_ps::<0x20>(u[3], u[7]),
        _mm256_permute2f128_ps::<0x31>(u[0], u[4]),
        _mm256_permute2f128_ps::<0x31>(u[1], u[5]),
        _mm256_permute2f128_ps::<0x31>(u[2], u[6]),
        _mm256_permute2f128_ps::<0x31>(u[3], u[7]),
    ];
    let d = dst as *mut f32;
    for (t, v) in rows.into_iter().enumerate() {
        // SAFETY: 8 writable elements at each output row (caller), 32-byte aligned with `nt`.
        unsafe {
            if nt {
                _mm256_stream_ps(d.add(t * ds), v)
            } else {
                _mm256_storeu_ps(d.add(t * ds), v)
            }
        }
    }
}
