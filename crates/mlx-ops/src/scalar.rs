//! Scalar values: fill values of `full`, and the weak scalar operands of `x + 2.0`.

use crate::dtype::{default_dtype, ScalarKind};
use crate::Dtype;

/// A Rust scalar as MLX's Python scalars: its kind decides promotion, its value is converted to
/// the array's dtype with C++ cast semantics (floats to integers truncate toward zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Complex(f32, f32),
}

impl Scalar {
    pub fn kind(self) -> ScalarKind {
        match self {
            Scalar::Bool(_) => ScalarKind::Bool,
            Scalar::Int(_) => ScalarKind::Int,
            Scalar::Float(_) => ScalarKind::Float,
            Scalar::Complex(..) => ScalarKind::Complex,
        }
    }
    /// The dtype of this scalar as a standalone array (`mx.array(v)`).
    pub fn default_dtype(self) -> Dtype {
        default_dtype(self.kind())
    }
    /// The value as f64 (real part for complex; 1/0 for bool).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
            Scalar::Complex(re, _) => re as f64,
        }
    }
    /// The value as i64 (floats truncate toward zero and saturate).
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int(i) => i,
            Scalar::Float(f) => f as i64,
            Scalar::Complex(re, _) => re as i64,
        }
    }
    /// The imaginary part (0 for real scalars).
    pub fn imag(self) -> f64 {
        match self {
            Scalar::Complex(_, im) => im as f64,
            _ => 0.0,
        }
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident as $c:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Self { Scalar::$v(x as $c) }
        }
    )*};
}
scalar_from!(i8 => Int as i64, i16 => Int as i64, i32 => Int as i64, i64 => Int as i64,
    u8 => Int as i64, u16 => Int as i64, u32 => Int as i64, usize => Int as i64, isize => Int as i64,
    f32 => Float as f64, f64 => Float as f64);

impl From<bool> for Scalar {
    fn from(x: bool) -> Self {
        Scalar::Bool(x)
    }
}
impl From<num_complex::Complex<f32>> for Scalar {
    fn from(x: num_complex::Complex<f32>) -> Self {
        Scalar::Complex(x.re, x.im)
    }
}
