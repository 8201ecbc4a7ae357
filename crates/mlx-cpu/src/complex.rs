//! complex64 elementary functions with MLX's results: C99 Annex G semantics (what MLX's CPU
//! backend gets from `std::complex` over glibc's `csinf`, `casinf`, ...) on branch cuts, signed
//! zeros, infinities and NaNs, and the C `__divsc3` rules for division.
//!
//! Invariant: every function takes the input's signed zeros as the side of a branch cut it lies
//! on (`arcsin(1.125 + 0i)` has imaginary part `+0.4949`, `arcsin(1.125 - 0i)` has `-0.4949`), so
//! multiplying by `i` or `-i` is done by swapping parts, never by arithmetic that could lose a
//! zero's sign. Finite inputs are computed in f64 (every f32 input converts exactly) with
//! Kahan's formulas ("Branch Cuts for Complex Elementary Functions", 1987) and rounded once to
//! f32, so no intermediate of an f32 input overflows and no cancellation reaches the f32 result.
//! Non-finite inputs follow the Annex G tables, with glibc's choices where the standard leaves a
//! sign open (checked against MLX by the `complex_special` golden family).

use mlx_ops::C64;
use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// A complex number in f64 parts.
#[derive(Clone, Copy)]
struct Z(f64, f64);

impl Z {
    fn of(z: C64) -> Z {
        Z(z.re as f64, z.im as f64)
    }
    fn f32(self) -> C64 {
        C64::new(self.0 as f32, self.1 as f32)
    }
    /// `i z`, exactly.
    fn mul_i(self) -> Z {
        Z(-self.1, self.0)
    }
    /// `-i z`, exactly.
    fn mul_neg_i(self) -> Z {
        Z(self.1, -self.0)
    }
    fn mul(self, o: Z) -> Z {
        Z(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn conj(self) -> Z {
        Z(self.0, -self.1)
    }
    fn finite(self) -> bool {
        self.0.is_finite() && self.1.is_finite()
    }
}

fn sqrt_z(Z(x, y): Z) -> Z {
    if y.is_infinite() {
        return Z(INF, y); // x + i inf -> inf + i inf, even for NaN x
    }
    if x.is_nan() {
        return Z(NAN, NAN);
    }
    if x.is_infinite() {
        if y.is_nan() {
            return if x > 0.0 { Z(x, y) } else { Z(NAN, INF) };
        }
        return if x > 0.0 { Z(x, 0f64.copysign(y)) } else { Z(0.0, INF.copysign(y)) };
    }
    if y.is_nan() {
        return Z(NAN, NAN);
    }
    if x == 0.0 && y == 0.0 {
        return Z(0.0, y);
    }
    // t = sqrt((|x| + |z|) / 2) has no cancellation; the other part follows from 2 t u = |y|.
    let t = ((x.abs() + x.hypot(y)) / 2.0).sqrt();
    if x >= 0.0 {
        Z(t, y / (2.0 * t))
    } else {
        Z(y.abs() / (2.0 * t), t.copysign(y))
    }
}

fn exp_z(Z(x, y): Z) -> Z {
    if x.is_finite() && y.is_finite() {
        let e = x.exp();
        // y = 0 gives a real result (no inf * 0 when e^x overflows)
        return if y == 0.0 { Z(e, y) } else { Z(e * y.cos(), e * y.sin()) };
    }
    if x.is_nan() {
        return if y == 0.0 { Z(NAN, y) } else { Z(NAN, NAN) };
    }
    if x.is_finite() {
        return Z(NAN, NAN);
    }
    if x > 0.0 {
        if y == 0.0 {
            return Z(INF, y);
        }
        return if y.is_finite() { Z(INF * y.cos(), INF * y.sin()) } else { Z(INF, NAN) };
    }
    // e^(-inf + iy) = +0 cis(y), and +-0 +-0i for non-finite y
    if y.is_finite() { Z(0.0 * y.cos(), 0.0 * y.sin()) } else { Z(0.0, 0.0) }
}

fn sinh_z(Z(x, y): Z) -> Z {
    if x.is_finite() && y.is_finite() {
        if y == 0.0 {
            return Z(x.sinh(), y); // no inf * 0 for large x
        }
        // sinh(x + iy) = sinh x cos y + i cosh x sin y
        return Z(x.sinh() * y.cos(), x.cosh() * y.sin());
    }
    if x == 0.0 {
        return Z(x, NAN);
    }
    if x.is_finite() {
        return Z(NAN, NAN);
    }
    if x.is_nan() {
        return if y == 0.0 { Z(NAN, y) } else { Z(NAN, NAN) };
    }
    if y == 0.0 {
        return Z(x, y);
    }
    if y.is_finite() {
        return Z(x * y.cos(), INF * y.sin()); // +-inf cis(y)
    }
    Z(INF, NAN)
}

fn cosh_z(Z(x, y): Z) -> Z {
    if x.is_finite() && y.is_finite() {
        if y == 0.0 {
            return Z(x.cosh(), 0.0);
        }
        // cosh(x + iy) = cosh x cos y + i sinh x sin y
        return Z(x.cosh() * y.cos(), x.sinh() * y.sin());
    }
    if x == 0.0 {
        return Z(NAN, 0.0);
    }
    if x.is_finite() {
        return Z(NAN, NAN);
    }
    if x.is_nan() {
        return if y == 0.0 { Z(NAN, 0.0) } else { Z(NAN, NAN) };
    }
    if y == 0.0 {
        return Z(INF, 0.0);
    }
    if y.is_finite() {
        return Z(INF * y.cos(), x * y.sin());
    }
    Z(INF, NAN)
}

fn tanh_z(Z(x, y): Z) -> Z {
    if x.is_nan() {
        return if y == 0.0 { Z(NAN, y) } else { Z(NAN, NAN) };
    }
    if x.is_infinite() {
        // tanh(+-inf + iy) = +-1 + i 0 sin(2y)
        let im = if y.is_finite() { 0f64.copysign((2.0 * y).sin()) } else { 0.0 };
        return Z(1f64.copysign(x), im);
    }
    if !y.is_finite() {
        return if x == 0.0 { Z(x, NAN) } else { Z(NAN, NAN) };
    }
    if x.abs() > 22.0 {
        // tanh x is 1 to f64 precision; the imaginary part decays like 4 sin y cos y e^(-2|x|).
        return Z(1f64.copysign(x), 4.0 * y.sin() * y.cos() * (-2.0 * x.abs()).exp());
    }
    // Kahan: with t = tan y, b = 1 + t^2, s = sinh x, r = sqrt(1 + s^2),
    // tanh(x + iy) = (b r s + i t) / (1 + b s^2)
    let (t, s) = (y.tan(), x.sinh());
    let (b, r) = (1.0 + t * t, (1.0 + s * s).sqrt());
    let d = 1.0 + b * s * s;
    Z(b * r * s / d, t / d)
}

/// asin for finite z (Kahan): with s1 = sqrt(1 - z), s2 = sqrt(1 + z),
/// asin z = atan2(x, Re(s1 s2)) + i asinh(Im(conj(s1) s2)).
fn asin_finite(Z(x, y): Z) -> Z {
    let (s1, s2) = (sqrt_z(Z(1.0 - x, -y)), sqrt_z(Z(1.0 + x, y)));
    Z(x.atan2(s1.mul(s2).0), s1.conj().mul(s2).1.asinh())
}

fn asinh_z(z @ Z(x, y): Z) -> Z {
    if z.finite() {
        return asin_finite(z.mul_i()).mul_neg_i(); // asinh z = -i asin(i z)
    }
    if y.is_infinite() {
        if x.is_nan() {
            return Z(INF, NAN);
        }
        let im = if x.is_infinite() { FRAC_PI_4 } else { FRAC_PI_2 };
        return Z(INF.copysign(x), im.copysign(y));
    }
    if x.is_infinite() {
        return if y.is_nan() { Z(x, NAN) } else { Z(x, 0f64.copysign(y)) };
    }
    if x.is_nan() && y == 0.0 {
        return Z(NAN, y);
    }
    Z(NAN, NAN)
}

fn asin_z(z @ Z(x, y): Z) -> Z {
    if x.is_infinite() && y.is_nan() {
        return Z(NAN, INF.copysign(y)); // glibc takes the sign from the NaN
    }
    asinh_z(z.mul_i()).mul_neg_i() // asin z = -i asinh(i z)
}

fn acos_z(z @ Z(x, y): Z) -> Z {
    if z.finite() {
        // Kahan: acos z = 2 atan2(Re s1, Re s2) + i asinh(Im(conj(s2) s1))
        let (s1, s2) = (sqrt_z(Z(1.0 - x, -y)), sqrt_z(Z(1.0 + x, y)));
        return Z(2.0 * s1.0.atan2(s2.0), s2.conj().mul(s1).1.asinh());
    }
    if y.is_infinite() {
        let re = if x.is_nan() {
            NAN
        } else if x.is_infinite() {
            if x > 0.0 { FRAC_PI_4 } else { 3.0 * FRAC_PI_4 }
        } else {
            FRAC_PI_2
        };
        return Z(re, -y);
    }
    if x.is_infinite() {
        if y.is_nan() {
            return Z(NAN, INF.copysign(-y));
        }
        return Z(if x > 0.0 { 0.0 } else { PI }, INF.copysign(-y));
    }
    if x == 0.0 && y.is_nan() {
        return Z(FRAC_PI_2, NAN);
    }
    Z(NAN, NAN)
}

fn acosh_z(z @ Z(x, y): Z) -> Z {
    if z.finite() {
        // Kahan: acosh z = asinh(Re(conj(s1) s2)) + 2i atan2(Im s1, Re s2),
        // s1 = sqrt(z - 1), s2 = sqrt(z + 1)
        let (s1, s2) = (sqrt_z(Z(x - 1.0, y)), sqrt_z(Z(x + 1.0, y)));
        return Z(s1.conj().mul(s2).0.asinh(), 2.0 * s1.1.atan2(s2.0));
    }
    if y.is_infinite() {
        if x.is_nan() {
            return Z(INF, NAN);
        }
        let im = if x.is_infinite() {
            if x > 0.0 { FRAC_PI_4 } else { 3.0 * FRAC_PI_4 }
        } else {
            FRAC_PI_2
        };
        return Z(INF, im.copysign(y));
    }
    if x.is_infinite() {
        if y.is_nan() {
            return Z(INF, NAN);
        }
        return Z(INF, (if x > 0.0 { 0.0 } else { PI }).copysign(y));
    }
    if x == 0.0 && y.is_nan() {
        return Z(NAN, FRAC_PI_2.copysign(y));
    }
    Z(NAN, NAN)
}

fn atanh_z(z @ Z(x, y): Z) -> Z {
    if z.finite() {
        if x == 0.0 && y == 0.0 {
            return z;
        }
        // Re = 1/4 log(((1+x)^2 + y^2) / ((1-x)^2 + y^2)) = 1/4 log1p(4|x| / ((1-|x|)^2 + y^2)),
        // taken on |x| (atanh is odd) so the log1p argument never rounds to -1.
        // Im = 1/2 atan2(2y, (1-x)(1+x) - y^2): y = +-0 picks the side of the cuts |x| > 1.
        let ax = x.abs();
        let d = (1.0 - ax) * (1.0 - ax) + y * y;
        let re = ((4.0 * ax / d).ln_1p() / 4.0).copysign(x);
        return Z(re, (2.0 * y).atan2((1.0 - x) * (1.0 + x) - y * y) / 2.0);
    }
    if x.is_infinite() || y.is_infinite() {
        if y.is_nan() {
            return Z(0f64.copysign(x), NAN);
        }
        let re = if x.is_nan() { 0.0 } else { 0f64.copysign(x) };
        return Z(re, FRAC_PI_2.copysign(y));
    }
    if x == 0.0 && y.is_nan() {
        return Z(x, NAN);
    }
    Z(NAN, NAN)
}

/// A unary complex64 function by MLX's op name; `None` for ops this module does not define.
pub fn unary(op: mlx_ops::UnaryOp) -> Option<fn(C64) -> C64> {
    use mlx_ops::UnaryOp::*;
    Some(match op {
        Sqrt => sqrt,
        Exp => exp,
        Sinh => |z| sinh_z(Z::of(z)).f32(),
        Cosh => |z| cosh_z(Z::of(z)).f32(),
        Tanh => |z| tanh_z(Z::of(z)).f32(),
        // sin z = -i sinh(i z), but glibc answers +i inf for an infinite imaginary part with a
        // non-finite real part (sinh alone would give -i inf for some signs).
        Sin => |z| {
            let z = Z::of(z);
            if z.1.is_infinite() && !z.0.is_finite() {
                return Z(NAN, INF).f32();
            }
            sinh_z(z.mul_i()).mul_neg_i().f32()
        },
        Cos => |z| cosh_z(Z::of(z).mul_i()).f32(), // cos z = cosh(i z)
        Tan => |z| tanh_z(Z::of(z).mul_i()).mul_neg_i().f32(), // tan z = -i tanh(i z)
        ArcSin => |z| asin_z(Z::of(z)).f32(),
        ArcCos => |z| acos_z(Z::of(z)).f32(),
        ArcTan => |z| atanh_z(Z::of(z).mul_i()).mul_neg_i().f32(), // atan z = -i atanh(i z)
        ArcSinh => |z| asinh_z(Z::of(z)).f32(),
        ArcCosh => |z| acosh_z(Z::of(z)).f32(),
        ArcTanh => |z| atanh_z(Z::of(z)).f32(),
        Log1p => log1p,
        _ => return None,
    })
}

/// `e^z`; `exp(x + 0i)` is real even where `e^x` overflows.
pub fn exp(z: C64) -> C64 {
    exp_z(Z::of(z)).f32()
}

/// Principal square root (the cut is the negative real axis: `sqrt(-4 - 0i) = -2i`).
pub fn sqrt(z: C64) -> C64 {
    sqrt_z(Z::of(z)).f32()
}

/// MLX's complex `log1p`: `ln|1 + z| + i arg(1 + z)`, with `|1 + z|` taken through
/// `log1p(x (2 + x) + y^2) / 2` when `|z| < 1/2` so small `z` keeps its precision.
pub fn log1p(z: C64) -> C64 {
    let Z(x, y) = Z::of(z);
    let theta = y.atan2(x + 1.0);
    if x.hypot(y) < 0.5 {
        let r = x * (2.0 + x) + y * y;
        if r == 0.0 {
            return Z(x, theta).f32();
        }
        return Z(0.5 * r.ln_1p(), theta).f32();
    }
    Z((x + 1.0).hypot(y).ln(), theta).f32()
}

/// Complex division as C's `__divsc3` (which `std::complex<float>` division compiles to, and MLX
/// uses): Smith's algorithm (a NaN ratio such as `0 / -0` is kept, as libgcc keeps it),
/// computed in f64 so no intermediate of f32 parts overflows, then
/// Annex G's recovery when both parts came out NaN: a zero divisor gives `inf * a`, an infinite
/// dividend over a finite divisor gives infinities, a finite dividend over an infinite divisor
/// gives zeros. So `1 / (0 + 0i)` is `inf + NaN i` and `1 / (inf + 0i)` is `0`.
pub fn div(a: C64, b: C64) -> C64 {
    let (Z(ar, ai), Z(br, bi)) = (Z::of(a), Z::of(b));
    let (re, im) = if br.abs() >= bi.abs() {
        let r = bi / br;
        let den = br + bi * r;
        ((ar + ai * r) / den, (ai - ar * r) / den)
    } else {
        let r = br / bi;
        let den = br * r + bi;
        ((ar * r + ai) / den, (ai * r - ar) / den)
    };
    if !(re.is_nan() && im.is_nan()) {
        return Z(re, im).f32();
    }
    let inf_or_zero = |v: f64| if v.is_infinite() { 1f64.copysign(v) } else { 0f64.copysign(v) };
    if br == 0.0 && bi == 0.0 && (!ar.is_nan() || !ai.is_nan()) {
        let s = INF.copysign(br);
        return Z(s * ar, s * ai).f32();
    }
    if (ar.is_infinite() || ai.is_infinite()) && br.is_finite() && bi.is_finite() {
        let (ar, ai) = (inf_or_zero(ar), inf_or_zero(ai));
        return Z(INF * (ar * br + ai * bi), INF * (ai * br - ar * bi)).f32();
    }
    if (br.is_infinite() || bi.is_infinite()) && ar.is_finite() && ai.is_finite() {
        let (br, bi) = (inf_or_zero(br), inf_or_zero(bi));
        return Z(0.0 * (ar * br + ai * bi), 0.0 * (ai * br - ar * bi)).f32();
    }
    Z(re, im).f32()
}

/// Complex multiplication as C's `__mulsc3` (what `std::complex<float>` multiplication compiles
/// to): the textbook formula in f32, and when both parts come out NaN, Annex G's recovery that
/// treats infinite parts as +-1 and NaN parts as +-0, so `(inf + NaN i)^2` is `inf + NaN i`, not
/// `NaN + NaN i`.
pub fn mul(a: C64, b: C64) -> C64 {
    let (ac, bd, ad, bc) = (a.re * b.re, a.im * b.im, a.re * b.im, a.im * b.re);
    let (x, y) = (ac - bd, ad + bc);
    if !(x.is_nan() && y.is_nan()) {
        return C64::new(x, y);
    }
    let unit = |v: f32| if v.is_infinite() { 1f32.copysign(v) } else { 0f32.copysign(v) };
    let zero_nan = |v: f32| if v.is_nan() { 0f32.copysign(v) } else { v };
    let (mut a, mut b, mut recalc) = (a, b, false);
    if a.re.is_infinite() || a.im.is_infinite() {
        a = C64::new(unit(a.re), unit(a.im));
        b = C64::new(zero_nan(b.re), zero_nan(b.im));
        recalc = true;
    }
    if b.re.is_infinite() || b.im.is_infinite() {
        b = C64::new(unit(b.re), unit(b.im));
        a = C64::new(zero_nan(a.re), zero_nan(a.im));
        recalc = true;
    }
    if !recalc && [ac, bd, ad, bc].iter().any(|v| v.is_infinite()) {
        // overflowed products: NaN parts become 0 and the products are recomputed
        a = C64::new(zero_nan(a.re), zero_nan(a.im));
        b = C64::new(zero_nan(b.re), zero_nan(b.im));
        recalc = true;
    }
    if recalc {
        let inf = f32::INFINITY;
        return C64::new(inf * (a.re * b.re - a.im * b.im), inf * (a.re * b.im + a.im * b.re));
    }
    C64::new(x, y)
}

/// MLX's complex `sign`: `z / |z|` (a complex division, so infinite parts give NaN), 0 at 0.
pub fn sign(z: C64) -> C64 {
    let n = z.norm();
    if n == 0.0 {
        return C64::new(0.0, 0.0);
    }
    div(z, C64::new(n, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlx_ops::UnaryOp;

    fn c(re: f32, im: f32) -> C64 {
        C64::new(re, im)
    }
    fn call(op: UnaryOp, z: C64) -> C64 {
        unary(op).expect("defined")(z)
    }

    #[test]
    fn signed_zero_picks_the_side_of_the_branch_cut() {
        // arcsin(1.125 +- 0i) = pi/2 +- 0.4949i (C99 casin; MLX)
        let up = call(UnaryOp::ArcSin, c(1.125, 0.0));
        let down = call(UnaryOp::ArcSin, c(1.125, -0.0));
        assert!((up.im - 0.494_932_9).abs() < 1e-6 && (down.im + 0.494_932_9).abs() < 1e-6, "{up} {down}");
        // arctanh(1.125 + 0i) has imaginary part +pi/2; sqrt(-4 - 0i) = -2i
        assert!((call(UnaryOp::ArcTanh, c(1.125, 0.0)).im - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
        assert_eq!(call(UnaryOp::Sqrt, c(-4.0, -0.0)), c(0.0, -2.0));
    }

    #[test]
    fn infinities_follow_annex_g() {
        assert_eq!(call(UnaryOp::Tanh, c(f32::INFINITY, 0.0)), c(1.0, 0.0));
        assert_eq!(call(UnaryOp::Tanh, c(f32::NEG_INFINITY, 1.0)), c(-1.0, 0.0));
        let s = call(UnaryOp::Sqrt, c(f32::NEG_INFINITY, 1.0));
        assert_eq!((s.re, s.im), (0.0, f32::INFINITY));
        let a = call(UnaryOp::ArcCosh, c(f32::NEG_INFINITY, 1.0));
        assert_eq!(a.re, f32::INFINITY);
        assert!((a.im - std::f32::consts::PI).abs() < 1e-6);
    }

    #[test]
    fn small_arguments_keep_their_precision() {
        let z = c(1e-30, -1e-30);
        for op in [UnaryOp::ArcSin, UnaryOp::ArcTanh, UnaryOp::Tanh, UnaryOp::Sinh, UnaryOp::Log1p] {
            let w = call(op, z);
            assert!((w.re - 1e-30).abs() < 1e-36 && (w.im + 1e-30).abs() < 1e-36, "{op:?}: {w}");
        }
    }

    #[test]
    fn multiplication_recovers_infinities() {
        let inf = f32::INFINITY;
        let p = mul(c(inf, f32::NAN), c(inf, f32::NAN));
        assert!(p.re == inf && p.im.is_nan(), "{p}");
        assert_eq!(mul(c(2.0, 3.0), c(4.0, -5.0)), c(23.0, 2.0));
        let s = sign(c(inf, 0.0));
        assert!(s.re.is_nan() && s.im.is_nan());
        assert_eq!(sign(c(0.0, -3.0)), c(0.0, -1.0));
    }

    #[test]
    fn division_recovers_infinities_and_zeros() {
        let q = div(c(1.0, 0.0), c(0.0, 0.0));
        assert!(q.re == f32::INFINITY && q.im.is_nan());
        assert_eq!(div(c(1.0, 2.0), c(f32::INFINITY, 0.0)), c(0.0, 0.0));
        let q = div(c(1.0, 2.0), c(3.0, -4.0));
        assert!((q.re + 0.2).abs() < 1e-7 && (q.im - 0.4).abs() < 1e-7);
        // Parts near f32::MAX do not overflow.
        let q = div(c(3e38, 3e38), c(3e38, 3e38));
        assert!((q.re - 1.0).abs() < 1e-6 && q.im.abs() < 1e-6);
    }
}
