//! dtype utilities: `finfo`, `iinfo`, `issubdtype`, `can_cast` (issue #3). `result_type` lives
//! with the operands it promotes (`crate::operand`). Pure functions of dtypes: no graph.

use mlx_ops::{promote, Dtype, DtypeCategory, Error, Result};

/// Machine limits of a floating dtype (`mx.finfo`). For complex64, those of its float32 parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finfo {
    /// The lowest finite value (`-max`).
    pub min: f64,
    /// The largest finite value.
    pub max: f64,
    /// The gap between 1 and the next representable value.
    pub eps: f64,
    /// The smallest positive normal value.
    pub smallest_normal: f64,
    /// Bits per value.
    pub bits: usize,
    pub dtype: Dtype,
}

/// Machine limits of floating types (`mx.finfo`).
///
/// # Errors
/// `[finfo] dtype int32 is not inexact.` for bool and integer dtypes.
pub fn finfo(dtype: Dtype) -> Result<Finfo> {
    let (max, eps, smallest_normal, d) = match dtype {
        Dtype::Float16 => (65504.0, 0.0009765625, 6.103515625e-05, dtype),
        Dtype::Bfloat16 => (3.3895313892515355e38, 0.0078125, 1.1754943508222875e-38, dtype),
        Dtype::Float32 | Dtype::Complex64 => {
            (f32::MAX as f64, f32::EPSILON as f64, f32::MIN_POSITIVE as f64, Dtype::Float32)
        }
        Dtype::Float64 => (f64::MAX, f64::EPSILON, f64::MIN_POSITIVE, dtype),
        _ => return Err(Error::invalid("finfo", format!("dtype {dtype} is not inexact."))),
    };
    Ok(Finfo { min: -max, max, eps, smallest_normal, bits: d.size() * 8, dtype: d })
}

/// Limits of an integer dtype (`mx.iinfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iinfo {
    pub min: i128,
    pub max: i128,
    pub dtype: Dtype,
}

/// Limits of integer types (`mx.iinfo`).
///
/// # Errors
/// `[iinfo]` for non-integer dtypes.
pub fn iinfo(dtype: Dtype) -> Result<Iinfo> {
    let (min, max) = match dtype {
        Dtype::Uint8 => (0, u8::MAX as i128),
        Dtype::Uint16 => (0, u16::MAX as i128),
        Dtype::Uint32 => (0, u32::MAX as i128),
        Dtype::Uint64 => (0, u64::MAX as i128),
        Dtype::Int8 => (i8::MIN as i128, i8::MAX as i128),
        Dtype::Int16 => (i16::MIN as i128, i16::MAX as i128),
        Dtype::Int32 => (i32::MIN as i128, i32::MAX as i128),
        Dtype::Int64 => (i64::MIN as i128, i64::MAX as i128),
        _ => {
            return Err(Error::invalid("iinfo", format!("Only integer types supported but {dtype} was provided")))
        }
    };
    Ok(Iinfo { min, max, dtype })
}

/// MLX's abstract dtype classes (`mx.generic`, `mx.number`, `mx.integer`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtypeClass {
    Generic,
    Number,
    Integer,
    SignedInteger,
    UnsignedInteger,
    Inexact,
    Floating,
    ComplexFloating,
}

/// A concrete dtype or an abstract class, as `mx.issubdtype` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtypeLike {
    Dtype(Dtype),
    Class(DtypeClass),
}
impl From<Dtype> for DtypeLike {
    fn from(d: Dtype) -> Self {
        DtypeLike::Dtype(d)
    }
}
impl From<DtypeClass> for DtypeLike {
    fn from(c: DtypeClass) -> Self {
        DtypeLike::Class(c)
    }
}

fn class_contains(parent: DtypeClass, child: DtypeClass) -> bool {
    use DtypeClass::*;
    parent == child
        || matches!(
            (parent, child),
            (Generic, _)
                | (Number, Integer | SignedInteger | UnsignedInteger | Inexact | Floating | ComplexFloating)
                | (Integer, SignedInteger | UnsignedInteger)
                | (Inexact, Floating | ComplexFloating)
        )
}

fn class_of(d: Dtype) -> Option<DtypeClass> {
    match d.category() {
        DtypeCategory::Bool => None,
        DtypeCategory::UnsignedInteger => Some(DtypeClass::UnsignedInteger),
        DtypeCategory::SignedInteger => Some(DtypeClass::SignedInteger),
        DtypeCategory::Floating => Some(DtypeClass::Floating),
        DtypeCategory::Complex => Some(DtypeClass::ComplexFloating),
    }
}

/// Whether `a` is `b` or belongs to the class `b` (`mx.issubdtype`): `issubdtype(float32,
/// Floating)` and `issubdtype(Floating, Inexact)` are true; bool belongs only to `Generic`.
pub fn issubdtype(a: impl Into<DtypeLike>, b: impl Into<DtypeLike>) -> bool {
    match (a.into(), b.into()) {
        (DtypeLike::Dtype(x), DtypeLike::Dtype(y)) => x == y,
        (DtypeLike::Class(_), DtypeLike::Dtype(_)) => false,
        (DtypeLike::Dtype(x), DtypeLike::Class(c)) => match class_of(x) {
            Some(k) => class_contains(c, k),
            None => c == DtypeClass::Generic,
        },
        (DtypeLike::Class(x), DtypeLike::Class(c)) => class_contains(c, x),
    }
}

/// Whether `from` casts to `to` under promotion: `promote(from, to) == to` (`mx.can_cast`).
pub fn can_cast(from: Dtype, to: Dtype) -> bool {
    promote(from, to) == to
}

/// Whether `dtype` belongs to any of `kinds` (`mx.isdtype`): each kind is `"bool"`,
/// `"signed integer"`, `"unsigned integer"`, `"integral"`, `"real floating"`,
/// `"complex floating"` or `"numeric"`.
///
/// # Errors
/// `[isdtype] Unknown data type kind: 'foo'.`
pub fn isdtype(dtype: Dtype, kinds: &[&str]) -> Result<bool> {
    let c = dtype.category();
    let mut any = false;
    for &k in kinds {
        any |= match k {
            "bool" => c == DtypeCategory::Bool,
            "signed integer" => c == DtypeCategory::SignedInteger,
            "unsigned integer" => c == DtypeCategory::UnsignedInteger,
            "integral" => dtype.is_integer(),
            "real floating" => c == DtypeCategory::Floating,
            "complex floating" => c == DtypeCategory::Complex,
            "numeric" => c != DtypeCategory::Bool,
            _ => return Err(Error::invalid("isdtype", format!("Unknown data type kind: '{k}'."))),
        };
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_mlx() {
        assert_eq!(finfo(Dtype::Float16).unwrap().max, 65504.0);
        assert_eq!(finfo(Dtype::Bfloat16).unwrap().eps, 0.0078125);
        assert_eq!(finfo(Dtype::Complex64).unwrap().dtype, Dtype::Float32);
        assert!(finfo(Dtype::Int32).is_err());
        assert_eq!(iinfo(Dtype::Int8).unwrap(), Iinfo { min: -128, max: 127, dtype: Dtype::Int8 });
        assert!(iinfo(Dtype::Float32).is_err());
    }

    #[test]
    fn subdtypes_match_mlx() {
        assert!(issubdtype(Dtype::Float32, DtypeClass::Floating));
        assert!(issubdtype(DtypeClass::Floating, DtypeClass::Inexact));
        assert!(!issubdtype(Dtype::Bool, DtypeClass::Integer));
        assert!(!issubdtype(Dtype::Bool, DtypeClass::Number));
        assert!(issubdtype(Dtype::Bool, DtypeClass::Generic));
        assert!(can_cast(Dtype::Int8, Dtype::Int32));
        assert!(!can_cast(Dtype::Float32, Dtype::Int32));
    }
}
