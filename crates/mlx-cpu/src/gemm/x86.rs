//! The AVX2+FMA micro-kernel: a 6x16 f32 tile of C held in 12 ymm accumulators; each step of
//! the inner dimension loads 16 packed B values (2 ymm), broadcasts 6 packed A values and issues
//! 12 FMAs. Accumulators start at zero, so a tile's value depends only on its packed panels.

use std::arch::x86_64::*;

use super::{MR, NR};

/// `C[0..6, 0..16] (+)= A @ B` for k-major packed panels `a` (kc x 6) and `b` (kc x 16); C has
/// row stride `ldc` and unit column stride; `add` adds to C instead of overwriting it.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `a` holds kc*6 and `b` kc*16 readable f32; the 6 rows of 16
/// f32 at `c + r*ldc` are writable (and readable when `add`).
#[target_feature(enable = "avx2,fma")]
pub unsafe fn kernel_6x16(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, add: bool) {
    // SAFETY: every pointer offset below stays inside the panels / tile of the contract.
    unsafe {
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        let (mut a, mut b) = (a, b);
        macro_rules! step {
            ($o:expr) => {{
                let b0 = _mm256_loadu_ps(b.add($o * NR));
                let b1 = _mm256_loadu_ps(b.add($o * NR + 8));
                for r in 0..MR {
                    let x = _mm256_broadcast_ss(&*a.add($o * MR + r));
                    acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
                }
            }};
        }
        let mut p = 0;
        while p + 4 <= kc {
            step!(0);
            step!(1);
            step!(2);
            step!(3);
            a = a.add(4 * MR);
            b = b.add(4 * NR);
            p += 4;
        }
        while p < kc {
            step!(0);
            a = a.add(MR);
            b = b.add(NR);
            p += 1;
        }
        for (r, row) in acc.iter().enumerate() {
            let cr = c.add(r * ldc);
            let (mut v0, mut v1) = (row[0], row[1]);
            if add {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr.add(8)));
            }
            _mm256_storeu_ps(cr, v0);
            _mm256_storeu_ps(cr.add(8), v1);
        }
    }
}
