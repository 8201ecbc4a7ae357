//! Scalar semantics of the math, rounding, bitwise and predicate ops (issue #3), one definition
//! per op per storage type, shared by every kernel. Kept apart from `num.rs` (the core
//! arithmetic) so the two grow independently.
//!
//! Invariants: half floats compute in f32 and round once; `erf` and `erfinv` are MLX's own
//! float32 approximations (so results agree with MLX to a few ulps, and `random::normal`, which
//! is built on `erfinv`, reproduces MLX's samples); integer ops never overflow-panic (they wrap),
//! and integer `x // 0` is 0 and `x % 0` is `x` (C++ MLX: undefined; `MIN // -1` dies of SIGFPE).

use half::{bf16, f16};
use mlx_ops::{BinaryOp, Bool8, UnaryOp, C64};

use crate::num::Num;

/// MLX's `erf` (`simd::erf`, Abramowitz-Stegun 7.1.26 with an fma evaluation), in `f32`.
pub fn erf_f32(x: f32) -> f32 {
    let t = 1.0 / 0.327_591_1f32.mul_add(x.abs(), 1.0);
    let mut r = 1.061_405_4f32.mul_add(t, -1.453_152);
    r = r.mul_add(t, 1.421_413_7);
    r = r.mul_add(t, -0.284_496_72);
    r = r.mul_add(t, 0.254_829_6);
    let e = -(-x * x).exp();
    let result = (e * t).mul_add(r, 1.0);
    if x > 0.0 {
        result
    } else {
        -result
    }
}

/// MLX's `erfinv` (`simd::erfinv`, M. Giles' single-precision approximation), in `f32`.
pub fn erfinv_f32(a: f32) -> f32 {
    let t = a.mul_add(0.0 - a, 1.0).ln();
    let p = if t.abs() > 6.125 {
        let mut p = 3.036_975_7e-10f32;
        for c in [2.932_431e-8, 1.221_503_3e-6, 2.841_089_6e-5, 3.935_529_7e-4, 3.026_988_1e-3, 4.831_858e-3, -2.646_461_4e-1, 8.400_165e-1] {
            p = p.mul_add(t, c);
        }
        p
    } else {
        let mut p = 5.438_778_3e-9f32;
        for c in [1.432_854_5e-7, 1.227_747_9e-6, 1.129_636_3e-7, -5.615_307_6e-5, -1.476_976_3e-4, 2.314_686_8e-3, 1.153_925_8e-2, -2.320_154_8e-1, 8.862_269e-1] {
            p = p.mul_add(t, c);
        }
        p
    };
    a * p
}

/// MLX's `logaddexp`: NaN if either is NaN; the larger when the other is -inf or it is +inf.
macro_rules! logaddexp {
    ($t:ty, $x:expr, $y:expr) => {{
        let (x, y): ($t, $t) = ($x, $y);
        if x.is_nan() || y.is_nan() {
            <$t>::NAN
        } else {
            let (hi, lo) = if x > y { (x, y) } else { (y, x) };
            if lo == <$t>::NEG_INFINITY || hi == <$t>::INFINITY {
                hi
            } else {
                hi + (lo - hi).exp().ln_1p()
            }
        }
    }};
}

/// MLX's complex `logaddexp`: `hi + log1p(exp(lo - hi))` with `hi`, `lo` from MLX's complex
/// maximum and minimum, which return `x` when `x` has a NaN part and otherwise compare
/// lexicographically (so a NaN part in `y` alone can lose: `logaddexp(1e-6, -inf + nanj)` is
/// `1e-6` in MLX, `logaddexp(-inf + nanj, 1e-6)` is NaN). `hi` is returned as is when `lo`
/// equals -inf or `hi` equals +inf as complex numbers (imaginary part 0):
/// `logaddexp(-inf - 1j, -inf - 1j)` is NaN there, not `-inf - 1j`.
pub fn logaddexp_c64(x: C64, y: C64) -> C64 {
    let x_nan = x.is_nan();
    let hi = if x_nan || Num::lt(y, x) { x } else { y };
    let lo = if x_nan || Num::lt(x, y) { x } else { y };
    if lo == C64::new(f32::NEG_INFINITY, 0.0) || hi == C64::new(f32::INFINITY, 0.0) {
        return hi;
    }
    hi + ((lo - hi).exp() + C64::new(1.0, 0.0)).ln()
}

/// Real floating storage types (f16, bf16, f32, f64): the float-only unary and binary ops.
pub trait FloatMath: Num {
    /// `op` applied to `self`, for every unary op defined on reals (others return `None`).
    fn unary_fn(op: UnaryOp) -> Option<fn(Self) -> Self>;
    fn binary_fn(op: BinaryOp) -> Option<fn(Self, Self) -> Self>;
}

macro_rules! float_math {
    ($t:ty, $erf:expr, $erfinv:expr) => {
        impl FloatMath for $t {
            fn unary_fn(op: UnaryOp) -> Option<fn($t) -> $t> {
                use UnaryOp::*;
                Some(match op {
                    Sin => |x: $t| x.sin(),
                    Cos => |x: $t| x.cos(),
                    Tan => |x: $t| x.tan(),
                    ArcSin => |x: $t| x.asin(),
                    ArcCos => |x: $t| x.acos(),
                    ArcTan => |x: $t| x.atan(),
                    Sinh => |x: $t| x.sinh(),
                    Cosh => |x: $t| x.cosh(),
                    Tanh => |x: $t| x.tanh(),
                    ArcSinh => |x: $t| x.asinh(),
                    ArcCosh => |x: $t| x.acosh(),
                    // Not std's atanh, 0.5 * ln_1p(2x / (1 - x)): near |x| = 1 the quotient's
                    // rounding error is amplified by 1 / (1 - |x|) (f32 atanh(-0.99968314) was
                    // off by 8e-5). Both ln_1p terms here are accurate and never cancel.
                    ArcTanh => |x: $t| 0.5 * (x.ln_1p() - (-x).ln_1p()),
                    // MLX: 1 / (1 + exp(-x))
                    Sigmoid => |x: $t| 1.0 / (1.0 + (-x).exp()),
                    Erf => $erf,
                    ErfInv => $erfinv,
                    Expm1 => |x: $t| x.exp_m1(),
                    Log1p => |x: $t| x.ln_1p(),
                    Log2 => |x: $t| x.log2(),
                    Log10 => |x: $t| x.log10(),
                    Floor => |x: $t| x.floor(),
                    Ceil => |x: $t| x.ceil(),
                    Round => |x: $t| x.round_ties_even(),
                    // MLX: (x > 0) - (x < 0), so sign(NaN) = sign(-0) = 0
                    Sign => |x: $t| ((x > 0.0) as i8 - (x < 0.0) as i8) as $t,
                    Abs | Negative | Exp | Log | Sqrt | Real | Imag | Conjugate | LogicalNot | BitwiseInvert => return None,
                })
            }
            fn binary_fn(op: BinaryOp) -> Option<fn($t, $t) -> $t> {
                use BinaryOp::*;
                Some(match op {
                    Power => |x: $t, y: $t| x.powf(y),
                    FloorDivide => |x: $t, y: $t| (x / y).floor(),
                    // MLX: fmod, moved to the divisor's sign
                    Remainder => |x: $t, y: $t| {
                        let r = x % y;
                        if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                            r + y
                        } else {
                            r
                        }
                    },
                    LogAddExp => |x: $t, y: $t| logaddexp!($t, x, y),
                    ArcTan2 => |x: $t, y: $t| x.atan2(y),
                    _ => return None,
                })
            }
        }
    };
}
float_math!(f32, erf_f32, erfinv_f32);
// float64 erf/erfinv: MLX evaluates them with its float32 approximations; so do we.
float_math!(f64, |x: f64| erf_f32(x as f32) as f64, |x: f64| erfinv_f32(x as f32) as f64);

macro_rules! half_math {
    ($t:ty; $($u:ident),*; $($b:ident),*) => {
        impl FloatMath for $t {
            // One closure per op keeps the result a plain function pointer.
            fn unary_fn(op: UnaryOp) -> Option<fn($t) -> $t> {
                Some(match op {
                    $(UnaryOp::$u => |x: $t| {
                        let f = <f32 as FloatMath>::unary_fn(UnaryOp::$u);
                        <$t>::from_f32(f.map_or(f32::NAN, |f| f(x.to_f32())))
                    },)*
                    _ => return None,
                })
            }
            fn binary_fn(op: BinaryOp) -> Option<fn($t, $t) -> $t> {
                Some(match op {
                    $(BinaryOp::$b => |x: $t, y: $t| {
                        let f = <f32 as FloatMath>::binary_fn(BinaryOp::$b);
                        <$t>::from_f32(f.map_or(f32::NAN, |f| f(x.to_f32(), y.to_f32())))
                    },)*
                    _ => return None,
                })
            }
        }
    };
}
macro_rules! half_math_all {
    ($($t:ty),*) => {$(
        half_math!($t; Sin, Cos, Tan, ArcSin, ArcCos, ArcTan, Sinh, Cosh, Tanh, ArcSinh, ArcCosh, ArcTanh,
            Sigmoid, Erf, ErfInv, Expm1, Log1p, Log2, Log10, Floor, Ceil, Round, Sign;
            Power, FloorDivide, Remainder, LogAddExp, ArcTan2);
    )*};
}
half_math_all!(f16, bf16);

/// complex64 versions of the unary ops MLX defines on complex numbers (the transcendental ones
/// live in `crate::complex`, with C99's branch cuts and special values).
pub fn complex_unary_fn(op: UnaryOp) -> Option<fn(C64) -> C64> {
    use UnaryOp::*;
    Some(match op {
        Log2 => |z: C64| z.ln() / std::f32::consts::LN_2,
        Log10 => |z: C64| z.ln() / std::f32::consts::LN_10,
        Round => |z: C64| C64::new(z.re.round_ties_even(), z.im.round_ties_even()),
        Sign => crate::complex::sign,
        Conjugate => |z: C64| z.conj(),
        _ => return crate::complex::unary(op),
    })
}

/// Integer and bool storage types: rounding (identity), sign, bit operations and the
/// integer division family.
pub trait IntMath: Num {
    fn sign(self) -> Self;
    fn bit_not(self) -> Self;
    fn bit_and(self, o: Self) -> Self;
    fn bit_or(self, o: Self) -> Self;
    fn bit_xor(self, o: Self) -> Self;
    /// `self << o`; shifting by the bit width or more (or a negative amount) gives 0.
    fn shl(self, o: Self) -> Self;
    /// `self >> o` (arithmetic for signed); shifting by the width or more (or a negative
    /// amount) gives 0, or -1 for a negative signed value.
    fn shr(self, o: Self) -> Self;
    /// Floor division; by zero gives 0; `MIN // -1` wraps to `MIN`.
    fn floor_div(self, o: Self) -> Self;
    /// Remainder with the divisor's sign; by zero gives `self` (so `a == (a // b) * b + a % b`
    /// holds for every `b`).
    fn rem(self, o: Self) -> Self;
    /// Exponentiation by squaring (wrapping); a negative exponent gives 0.
    fn pow(self, o: Self) -> Self;
}

macro_rules! int_math {
    ($($t:ty),*) => {$(
        impl IntMath for $t {
            fn sign(self) -> Self {
                #[allow(unused_comparisons)]
                let neg = self < 0;
                if neg { (0 as $t).wrapping_sub(1) } else if self > 0 { 1 } else { 0 }
            }
            fn bit_not(self) -> Self { !self }
            fn bit_and(self, o: Self) -> Self { self & o }
            fn bit_or(self, o: Self) -> Self { self | o }
            fn bit_xor(self, o: Self) -> Self { self ^ o }
            fn shl(self, o: Self) -> Self {
                u32::try_from(o).ok().and_then(|s| self.checked_shl(s)).unwrap_or(0)
            }
            fn shr(self, o: Self) -> Self {
                #[allow(unused_comparisons)]
                let fill = if self < 0 { (0 as $t).wrapping_sub(1) } else { 0 };
                u32::try_from(o).ok().and_then(|s| self.checked_shr(s)).unwrap_or(fill)
            }
            fn floor_div(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let q = self.wrapping_div(o);
                #[allow(unused_comparisons)]
                let adjust = (self.wrapping_rem(o) != 0) && ((self < 0) != (o < 0));
                if adjust { q.wrapping_sub(1) } else { q }
            }
            fn rem(self, o: Self) -> Self {
                if o == 0 {
                    return self;
                }
                let r = self.wrapping_rem(o);
                #[allow(unused_comparisons)]
                let adjust = r != 0 && ((r < 0) != (o < 0));
                if adjust { r.wrapping_add(o) } else { r }
            }
            fn pow(self, o: Self) -> Self {
                #[allow(unused_comparisons)]
                let negative = o < 0;
                if negative {
                    return 0;
                }
                let (mut base, mut e, mut acc) = (self, o, 1 as $t);
                while e != 0 {
                    if e & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    e >>= 1;
                    base = base.wrapping_mul(base);
                }
                acc
            }
        }
    )*};
}
int_math!(u8, u16, u32, u64, i8, i16, i32, i64);

impl IntMath for Bool8 {
    fn sign(self) -> Self {
        self
    }
    fn bit_not(self) -> Self {
        Bool8::from(!self.get())
    }
    fn bit_and(self, o: Self) -> Self {
        Bool8::from(self.get() && o.get())
    }
    fn bit_or(self, o: Self) -> Self {
        Bool8::from(self.get() || o.get())
    }
    fn bit_xor(self, o: Self) -> Self {
        Bool8::from(self.get() != o.get())
    }
    fn shl(self, o: Self) -> Self {
        Bool8::from(self.get() && !o.get())
    }
    fn shr(self, o: Self) -> Self {
        Bool8::from(self.get() && !o.get())
    }
    fn floor_div(self, o: Self) -> Self {
        Bool8::from(self.get() && o.get())
    }
    fn rem(self, o: Self) -> Self {
        Bool8::from(self.get() && !o.get())
    }
    fn pow(self, o: Self) -> Self {
        Bool8::from(self.get() || !o.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_edge_cases_are_defined() {
        assert_eq!(7i32.floor_div(0), 0);
        assert_eq!(7i32.rem(0), 7);
        assert_eq!(i32::MIN.floor_div(-1), i32::MIN);
        assert_eq!(i32::MIN.rem(-1), 0);
        assert_eq!((-7i32).floor_div(2), -4);
        assert_eq!((-7i32).rem(2), 1);
        assert_eq!(7i8.rem(-2), -1);
        assert_eq!(200u8.floor_div(0), 0);
    }

    #[test]
    fn shifts_and_powers() {
        assert_eq!(1i8.shl(7), -128);
        assert_eq!(1i8.shl(8), 0);
        assert_eq!((-8i8).shr(1), -4);
        assert_eq!((-8i8).shr(9), -1);
        assert_eq!(IntMath::pow(2u8, 9), 0);
        assert_eq!(IntMath::pow(3i32, -1), 0);
        assert_eq!(IntMath::pow(-2i32, 3), -8);
    }

    #[test]
    fn complex_logaddexp_at_infinities_matches_mlx() {
        let c = C64::new;
        let (inf, nan) = (f32::INFINITY, f32::NAN);
        let y = c(0.5, 1.0);
        // (x, y, mx.logaddexp(x, y)) from MLX 0.32.4, complex64.
        let cases = [
            (c(-inf, -1.0), c(-inf, -1.0), c(nan, nan)),
            (c(-inf, 0.0), c(-inf, 0.0), c(-inf, 0.0)),
            (c(1.0, inf), c(1.0, inf), c(nan, nan)),
            (c(inf, 2.0), c(inf, 2.0), c(nan, nan)),
            (c(-inf, -1.0), y, y),
            (c(inf, 2.0), y, c(inf, 2.0)),
            (c(inf, 0.0), y, c(inf, 0.0)),
        ];
        let same = |a: C64, b: C64| (a.re == b.re || (a.re.is_nan() && b.re.is_nan())) && (a.im == b.im || (a.im.is_nan() && b.im.is_nan()));
        for (x, y, want) in cases {
            for got in [logaddexp_c64(x, y), logaddexp_c64(y, x)] {
                assert!(same(got, want), "logaddexp({x}, {y}) = {got}, MLX: {want}");
            }
        }
        // A NaN part: the order matters (mx.logaddexp(y, a) and mx.logaddexp(a, y), y = 1e-6).
        let y = c(1e-6, 0.0);
        let nan_nan = c(nan, nan);
        for (a, y_first) in [
            (c(-inf, nan), y),
            (c(nan, 0.0), nan_nan),
            (c(0.0, nan), nan_nan),
            (c(inf, nan), c(inf, nan)),
            (c(1.0, nan), nan_nan),
        ] {
            assert!(same(logaddexp_c64(y, a), y_first), "logaddexp({y}, {a})");
            assert!(same(logaddexp_c64(a, y), nan_nan), "logaddexp({a}, {y})");
        }
    }

    #[test]
    fn arctanh_is_accurate_near_one() {
        let f = <f32 as FloatMath>::unary_fn(UnaryOp::ArcTanh).unwrap();
        for x in [-0.99968314f32, 0.9999, -0.5, 1e-3, 0.0] {
            let want = (x as f64).atanh();
            assert!((f(x) as f64 - want).abs() <= 2e-7 * want.abs(), "{x}: {} vs {want}", f(x));
        }
        assert_eq!(f(1.0), f32::INFINITY);
        assert_eq!(f(-1.0), f32::NEG_INFINITY);
        assert!(f(1.5).is_nan());
        assert!(f(-0.0).is_sign_negative());
    }

    #[test]
    fn erf_and_erfinv_invert() {
        for x in [-0.9f32, -0.3, 0.0, 0.2, 0.7] {
            assert!((erf_f32(erfinv_f32(x)) - x).abs() < 1e-5);
        }
    }
}
