//! Scalar semantics per storage type: one definition of each elementwise operation that every
//! kernel shares. Integers wrap (as in C++ MLX), half floats compute in f32 and round once,
//! bools are logical (`add` is or, `multiply` is and), complex compares lexicographically.

use half::{bf16, f16};
use mlx_ops::{Bool8, Element, C64};

/// The kind of a storage type, for casts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Unsigned,
    Signed,
    Float,
    Complex,
}

/// Arithmetic every dtype supports.
pub trait Num: Element + PartialEq {
    const KIND: Kind;
    fn zero() -> Self;
    fn one() -> Self;
    /// The identity of `max` (smallest value; -inf for floats).
    fn lowest() -> Self;
    /// The identity of `min` (largest value; +inf for floats).
    fn highest() -> Self;

    fn to_bool(self) -> bool;
    fn to_i64(self) -> i64;
    fn to_u64(self) -> u64;
    fn to_f64(self) -> f64;
    fn to_c64(self) -> C64;
    fn from_bool(v: bool) -> Self;
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
    fn from_f64(v: f64) -> Self;
    fn from_c64(v: C64) -> Self;

    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn lt(self, o: Self) -> bool;
    fn le(self, o: Self) -> bool {
        self.lt(o) || self == o
    }
    fn is_nan(self) -> bool {
        false
    }
    fn abs(self) -> Self;
    fn neg(self) -> Self;
    /// The initial value of MLX's max reduction (over more than one element).
    fn max_init() -> Self {
        Self::lowest()
    }
    /// The initial value of MLX's min reduction (over more than one element).
    fn min_init() -> Self {
        Self::highest()
    }
    /// MLX's maximum: NaN wins.
    fn max(self, o: Self) -> Self {
        if self.is_nan() || o.lt(self) {
            self
        } else {
            o
        }
    }
    /// MLX's minimum: NaN wins.
    fn min(self, o: Self) -> Self {
        if self.is_nan() || self.lt(o) {
            self
        } else {
            o
        }
    }
}

/// Functions only inexact dtypes have.
pub trait Inexact: Num {
    fn div(self, o: Self) -> Self;
    fn exp(self) -> Self;
    fn log(self) -> Self;
    fn sqrt(self) -> Self;
}

/// Casts with C++ semantics (float to int truncates; out of range saturates here, which is
/// undefined behaviour in C++ MLX; complex to real takes the real part).
#[inline(always)]
pub fn cast<S: Num, D: Num>(x: S) -> D {
    match S::KIND {
        Kind::Bool => D::from_bool(x.to_bool()),
        Kind::Unsigned => D::from_u64(x.to_u64()),
        Kind::Signed => D::from_i64(x.to_i64()),
        Kind::Float => D::from_f64(x.to_f64()),
        Kind::Complex => D::from_c64(x.to_c64()),
    }
}

impl Num for Bool8 {
    const KIND: Kind = Kind::Bool;
    fn zero() -> Self {
        Bool8(0)
    }
    fn one() -> Self {
        Bool8(1)
    }
    fn lowest() -> Self {
        Bool8(0)
    }
    fn highest() -> Self {
        Bool8(1)
    }
    fn to_bool(self) -> bool {
        self.get()
    }
    fn to_i64(self) -> i64 {
        self.get() as i64
    }
    fn to_u64(self) -> u64 {
        self.get() as u64
    }
    fn to_f64(self) -> f64 {
        self.get() as u8 as f64
    }
    fn to_c64(self) -> C64 {
        C64::new(self.to_f64() as f32, 0.0)
    }
    fn from_bool(v: bool) -> Self {
        Bool8::from(v)
    }
    fn from_i64(v: i64) -> Self {
        Bool8::from(v != 0)
    }
    fn from_u64(v: u64) -> Self {
        Bool8::from(v != 0)
    }
    fn from_f64(v: f64) -> Self {
        Bool8::from(v != 0.0)
    }
    fn from_c64(v: C64) -> Self {
        Bool8::from(v.re != 0.0 || v.im != 0.0)
    }
    fn add(self, o: Self) -> Self {
        Bool8::from(self.get() || o.get())
    }
    fn sub(self, o: Self) -> Self {
        Bool8::from(self.get() != o.get())
    }
    fn mul(self, o: Self) -> Self {
        Bool8::from(self.get() && o.get())
    }
    fn lt(self, o: Self) -> bool {
        !self.get() && o.get()
    }
    fn abs(self) -> Self {
        self
    }
    fn neg(self) -> Self {
        self
    }
}

// Float casts to integers saturate in Rust (`as`); C++ leaves them undefined.
macro_rules! int_num {
    ($($t:ty => $kind:ident, $abs:expr),*) => {$(
        impl Num for $t {
            const KIND: Kind = Kind::$kind;
            fn zero() -> Self { 0 }
            fn one() -> Self { 1 }
            fn lowest() -> Self { <$t>::MIN }
            fn highest() -> Self { <$t>::MAX }
            fn to_bool(self) -> bool { self != 0 }
            fn to_i64(self) -> i64 { self as i64 }
            fn to_u64(self) -> u64 { self as u64 }
            fn to_f64(self) -> f64 { self as f64 }
            fn to_c64(self) -> C64 { C64::new(self as f32, 0.0) }
            fn from_bool(v: bool) -> Self { v as $t }
            fn from_i64(v: i64) -> Self { v as $t }
            fn from_u64(v: u64) -> Self { v as $t }
            fn from_f64(v: f64) -> Self { v as $t }
            fn from_c64(v: C64) -> Self { v.re as $t }
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn lt(self, o: Self) -> bool { self < o }
            fn abs(self) -> Self { let f: fn($t) -> $t = $abs; f(self) }
            fn neg(self) -> Self { self.wrapping_neg() }
        }
    )*};
}
int_num!(u8 => Unsigned, |x| x, u16 => Unsigned, |x| x, u32 => Unsigned, |x| x, u64 => Unsigned, |x| x,
    i8 => Signed, |x: i8| x.wrapping_abs(), i16 => Signed, |x: i16| x.wrapping_abs(),
    i32 => Signed, |x: i32| x.wrapping_abs(), i64 => Signed, |x: i64| x.wrapping_abs());

macro_rules! float_num {
    ($($t:ty => $exp:expr),*) => {$(
        impl Num for $t {
            const KIND: Kind = Kind::Float;
            fn zero() -> Self { 0.0 }
            fn one() -> Self { 1.0 }
            fn lowest() -> Self { <$t>::NEG_INFINITY }
            fn highest() -> Self { <$t>::INFINITY }
            fn to_bool(self) -> bool { self != 0.0 }
            fn to_i64(self) -> i64 { self as i64 }
            fn to_u64(self) -> u64 { self as u64 }
            fn to_f64(self) -> f64 { self as f64 }
            fn to_c64(self) -> C64 { C64::new(self as f32, 0.0) }
            fn from_bool(v: bool) -> Self { v as u8 as $t }
            fn from_i64(v: i64) -> Self { v as $t }
            fn from_u64(v: u64) -> Self { v as $t }
            fn from_f64(v: f64) -> Self { v as $t }
            fn from_c64(v: C64) -> Self { v.re as $t }
            fn add(self, o: Self) -> Self { self + o }
            fn sub(self, o: Self) -> Self { self - o }
            fn mul(self, o: Self) -> Self { self * o }
            fn lt(self, o: Self) -> bool { self < o }
            fn is_nan(self) -> bool { self.is_nan() }
            fn abs(self) -> Self { self.abs() }
            fn neg(self) -> Self { -self }
        }
        impl Inexact for $t {
            fn div(self, o: Self) -> Self { self / o }
            fn exp(self) -> Self { $exp(self) }
            fn log(self) -> Self { self.ln() }
            fn sqrt(self) -> Self { self.sqrt() }
        }
    )*};
}
// f32 exp is the branch-free polynomial of `vmath` (vectorizes; <= 1 ulp measured there).
float_num!(f32 => crate::vmath::exp_f32, f64 => f64::exp);

// Half floats compute in f32 and round once, which is exact for + - * / and sqrt.
macro_rules! half_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            const KIND: Kind = Kind::Float;
            fn zero() -> Self { <$t>::ZERO }
            fn one() -> Self { <$t>::ONE }
            fn lowest() -> Self { <$t>::NEG_INFINITY }
            fn highest() -> Self { <$t>::INFINITY }
            fn to_bool(self) -> bool { self.to_f32() != 0.0 }
            fn to_i64(self) -> i64 { self.to_f32() as i64 }
            fn to_u64(self) -> u64 { self.to_f32() as u64 }
            fn to_f64(self) -> f64 { self.to_f64() }
            fn to_c64(self) -> C64 { C64::new(self.to_f32(), 0.0) }
            fn from_bool(v: bool) -> Self { if v { <$t>::ONE } else { <$t>::ZERO } }
            fn from_i64(v: i64) -> Self { <$t>::from_f64(v as f64) }
            fn from_u64(v: u64) -> Self { <$t>::from_f64(v as f64) }
            fn from_f64(v: f64) -> Self { <$t>::from_f64(v) }
            fn from_c64(v: C64) -> Self { <$t>::from_f32(v.re) }
            fn add(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() + o.to_f32()) }
            fn sub(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() - o.to_f32()) }
            fn mul(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() * o.to_f32()) }
            fn lt(self, o: Self) -> bool { self < o }
            fn is_nan(self) -> bool { self.is_nan() }
            fn abs(self) -> Self { <$t>::from_f32(self.to_f32().abs()) }
            fn neg(self) -> Self { -self }
        }
        impl Inexact for $t {
            fn div(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() / o.to_f32()) }
            fn exp(self) -> Self { <$t>::from_f32(crate::vmath::exp_f32(self.to_f32())) }
            fn log(self) -> Self { <$t>::from_f32(self.to_f32().ln()) }
            fn sqrt(self) -> Self { <$t>::from_f32(self.to_f32().sqrt()) }
        }
    )*};
}
half_num!(f16, bf16);

impl Num for C64 {
    const KIND: Kind = Kind::Complex;
    fn zero() -> Self {
        C64::new(0.0, 0.0)
    }
    fn one() -> Self {
        C64::new(1.0, 0.0)
    }
    fn lowest() -> Self {
        C64::new(f32::NEG_INFINITY, f32::NEG_INFINITY)
    }
    fn highest() -> Self {
        C64::new(f32::INFINITY, f32::INFINITY)
    }
    /// MLX starts from -inf + 0i, which an element with real part -inf and a negative
    /// imaginary part does not beat (MLX 0.32: max of three -inf - 0.375i is -inf + 0i).
    fn max_init() -> Self {
        C64::new(f32::NEG_INFINITY, 0.0)
    }
    /// MLX starts from inf + 0i (min of three inf + 0.375i is inf + 0i).
    fn min_init() -> Self {
        C64::new(f32::INFINITY, 0.0)
    }
    fn to_bool(self) -> bool {
        self.re != 0.0 || self.im != 0.0
    }
    fn to_i64(self) -> i64 {
        self.re as i64
    }
    fn to_u64(self) -> u64 {
        self.re as u64
    }
    fn to_f64(self) -> f64 {
        self.re as f64
    }
    fn to_c64(self) -> C64 {
        self
    }
    fn from_bool(v: bool) -> Self {
        C64::new(v as u8 as f32, 0.0)
    }
    fn from_i64(v: i64) -> Self {
        C64::new(v as f32, 0.0)
    }
    fn from_u64(v: u64) -> Self {
        C64::new(v as f32, 0.0)
    }
    fn from_f64(v: f64) -> Self {
        C64::new(v as f32, 0.0)
    }
    fn from_c64(v: C64) -> Self {
        v
    }
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    fn mul(self, o: Self) -> Self {
        crate::complex::mul(self, o)
    }
    fn lt(self, o: Self) -> bool {
        self.re < o.re || (self.re == o.re && self.im < o.im)
    }
    fn is_nan(self) -> bool {
        self.re.is_nan() || self.im.is_nan()
    }
    fn abs(self) -> Self {
        C64::new(self.norm(), 0.0)
    }
    fn neg(self) -> Self {
        -self
    }
}

impl Inexact for C64 {
    fn div(self, o: Self) -> Self {
        crate::complex::div(self, o)
    }
    fn exp(self) -> Self {
        crate::complex::exp(self)
    }
    fn log(self) -> Self {
        self.ln()
    }
    fn sqrt(self) -> Self {
        crate::complex::sqrt(self)
    }
}

/// `dispatch_dtype!` restricted to inexact dtypes; other dtypes run `$else`.
#[macro_export]
macro_rules! dispatch_inexact {
    ($dtype:expr, $T:ident => $body:expr, else $else:expr) => {{
        use mlx_ops::Dtype as __D;
        match $dtype {
            __D::Float16 => { type $T = half::f16; $body }
            __D::Bfloat16 => { type $T = half::bf16; $body }
            __D::Float32 => { type $T = f32; $body }
            __D::Float64 => { type $T = f64; $body }
            __D::Complex64 => { type $T = mlx_ops::C64; $body }
            _ => $else,
        }
    }};
}
