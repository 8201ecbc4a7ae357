//! Vectorizable math functions: branch-free scalar code that LLVM turns into SIMD loops (with
//! 256-bit registers inside `par::simd!`). Each function documents its accuracy, measured by the
//! tests below against the correctly rounded f64 result.
//!
//! `exp_f32`: Cody-Waite range reduction `x = n ln2 + r` (|r| <= ln2/2, ln2 split in two so
//! `n ln2` is exact), Cephes' degree-7 polynomial for `e^r`, and `2^n` applied in two halves
//! so subnormal results round once. Max error 1 ulp over [-103, 88.7] for normal results
//! (MLX's own CPU exp, a degree-6 polynomial in `2^f` without a split ln2, is measured by
//! `bench/exp_accuracy.py` for comparison). Exact: exp(-inf) = 0, exp(+inf) = inf, NaN -> NaN,
//! overflow (x > 88.72) -> inf, underflow (x < -103.97) -> 0.

/// `e^x` for f32; see the module docs for accuracy.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4; // 0.693359375: 9 significant bits, so n * LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5 * 2^23 rounds to an integer (nearest even) and leaves it in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    const MAGIC_BITS: i32 = 0x4B40_0000;
    // Clamp: below -104 the result rounds to 0, above 89 it overflows; NaN compares false and
    // passes through to a NaN result.
    let xc = if x < -104.0 {
        -104.0
    } else if x > 89.0 {
        89.0
    } else {
        x
    };
    let t = xc * LOG2E + MAGIC;
    let n = t - MAGIC;
    let ni = (t.to_bits() as i32).wrapping_sub(MAGIC_BITS);
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let z = r * r;
    let p = 1.987_569_2e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5.000_000_1e-1;
    let y = p * z + r + 1.0;
    // 2^n = 2^n1 * 2^n2 with both halves normal for n in [-150, 129].
    let n1 = ni >> 1;
    let n2 = ni.wrapping_sub(n1);
    let s1 = f32::from_bits((n1.wrapping_add(127) as u32).wrapping_shl(23));
    let s2 = f32::from_bits((n2.wrapping_add(127) as u32).wrapping_shl(23));
    y * s1 * s2
}

/// Distance in units in the last place between `a` and the f32 nearest to `want`.
#[cfg(test)]
pub(crate) fn ulp_diff(a: f32, want: f64) -> u32 {
    let b = want as f32;
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    let key = |v: f32| {
        let i = v.to_bits() as i32;
        if i < 0 {
            i32::MIN.wrapping_sub(i) as i64
        } else {
            i as i64
        }
    };
    (key(a) - key(b)).unsigned_abs() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_one_ulp() {
        let mut worst = (0u32, 0.0f32);
        // Every 97th f32 bit pattern in [-104, 89] (about 20M values) plus the boundaries.
        let mut check = |x: f32| {
            let u = ulp_diff(exp_f32(x), (x as f64).exp());
            if u > worst.0 {
                worst = (u, x);
            }
        };
        for bits in (0u32..0x42B2_0000).step_by(97) {
            check(f32::from_bits(bits));
        }
        for bits in (0x8000_0000u32..0xC2D0_0000).step_by(97) {
            check(f32::from_bits(bits));
        }
        for x in [0.0, -0.0, 1.0, -1.0, 88.72, 88.7228, -87.33, -103.9, 1e-30, -1e-30] {
            check(x);
        }
        assert!(worst.0 <= 1, "worst {} ulp at {}", worst.0, worst.1);
    }

    #[test]
    fn exp_special_values() {
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(88.73), f32::INFINITY);
        assert_eq!(exp_f32(1000.0), f32::INFINITY);
        assert_eq!(exp_f32(-104.5), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        // Subnormal results are close to the true value.
        let x = -100.0f32;
        assert!(ulp_diff(exp_f32(x), (x as f64).exp()) <= 1);
    }
}
