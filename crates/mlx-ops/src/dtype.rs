//! The 14 dtypes of MLX and its type promotion. `promote` is MLX's `promote_types` table, checked
//! pair by pair against MLX in the golden `dtypes` family; weak scalars follow `promote_weak`.

use std::fmt;

/// An element type. Names and sizes match MLX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dtype {
    Bool,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Int8,
    Int16,
    Int32,
    Int64,
    Float16,
    Bfloat16,
    Float32,
    Float64,
    Complex64,
}

/// The kind of a dtype, as `mx.issubdtype` groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtypeCategory {
    Bool,
    UnsignedInteger,
    SignedInteger,
    Floating,
    Complex,
}

impl Dtype {
    /// Every dtype, in MLX's order.
    pub const ALL: [Dtype; 14] = [
        Dtype::Bool,
        Dtype::Uint8,
        Dtype::Uint16,
        Dtype::Uint32,
        Dtype::Uint64,
        Dtype::Int8,
        Dtype::Int16,
        Dtype::Int32,
        Dtype::Int64,
        Dtype::Float16,
        Dtype::Bfloat16,
        Dtype::Float32,
        Dtype::Float64,
        Dtype::Complex64,
    ];

    /// Bytes per element.
    pub fn size(self) -> usize {
        use Dtype::*;
        match self {
            Bool | Uint8 | Int8 => 1,
            Uint16 | Int16 | Float16 | Bfloat16 => 2,
            Uint32 | Int32 | Float32 => 4,
            Uint64 | Int64 | Float64 | Complex64 => 8,
        }
    }

    /// MLX's name (`float32`, `bfloat16`, `bool`, ...).
    pub fn name(self) -> &'static str {
        use Dtype::*;
        match self {
            Bool => "bool",
            Uint8 => "uint8",
            Uint16 => "uint16",
            Uint32 => "uint32",
            Uint64 => "uint64",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            Float16 => "float16",
            Bfloat16 => "bfloat16",
            Float32 => "float32",
            Float64 => "float64",
            Complex64 => "complex64",
        }
    }

    /// Parses MLX's name of a dtype.
    pub fn from_name(name: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|d| d.name() == name)
    }

    pub fn category(self) -> DtypeCategory {
        use Dtype::*;
        match self {
            Bool => DtypeCategory::Bool,
            Uint8 | Uint16 | Uint32 | Uint64 => DtypeCategory::UnsignedInteger,
            Int8 | Int16 | Int32 | Int64 => DtypeCategory::SignedInteger,
            Float16 | Bfloat16 | Float32 | Float64 => DtypeCategory::Floating,
            Complex64 => DtypeCategory::Complex,
        }
    }

    pub fn is_bool(self) -> bool {
        self == Dtype::Bool
    }
    pub fn is_integer(self) -> bool {
        matches!(self.category(), DtypeCategory::UnsignedInteger | DtypeCategory::SignedInteger)
    }
    pub fn is_unsigned(self) -> bool {
        self.category() == DtypeCategory::UnsignedInteger
    }
    pub fn is_floating(self) -> bool {
        self.category() == DtypeCategory::Floating
    }
    pub fn is_complex(self) -> bool {
        self == Dtype::Complex64
    }
    /// Floating or complex: the dtypes MLX calls inexact.
    pub fn is_inexact(self) -> bool {
        self.is_floating() || self.is_complex()
    }

    /// The dtype an op that needs inexact values (exp, divide, mean, ...) computes in: inexact
    /// dtypes are kept, bools and integers become float32, as in MLX.
    pub fn to_inexact(self) -> Dtype {
        if self.is_inexact() {
            self
        } else {
            Dtype::Float32
        }
    }

    /// The dtype `sum`/`prod` accumulate and return in MLX: bool and narrow signed ints become
    /// int32, narrow unsigned ints uint32, everything else is kept.
    pub fn to_accumulator(self) -> Dtype {
        use Dtype::*;
        match self {
            Bool | Int8 | Int16 => Int32,
            Uint8 | Uint16 => Uint32,
            other => other,
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// MLX's type promotion of two array dtypes (`mx.promote_types`): the smallest dtype that both
/// convert to under MLX's rules. Notable: uint64 with any signed integer gives float32; float16
/// with bfloat16 gives float32; anything with complex64 gives complex64.
pub fn promote(a: Dtype, b: Dtype) -> Dtype {
    use Dtype::*;
    if a == b {
        return a;
    }
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    match (lo.category(), hi.category()) {
        (_, DtypeCategory::Complex) => Complex64,
        (DtypeCategory::Bool, _) => hi,
        (DtypeCategory::UnsignedInteger, DtypeCategory::UnsignedInteger)
        | (DtypeCategory::SignedInteger, DtypeCategory::SignedInteger) => hi,
        (DtypeCategory::UnsignedInteger, DtypeCategory::SignedInteger) => {
            // A signed type that holds every value of the unsigned one.
            match lo {
                Uint8 => {
                    if hi == Int8 {
                        Int16
                    } else {
                        hi
                    }
                }
                Uint16 => {
                    if hi.size() <= 2 {
                        Int32
                    } else {
                        hi
                    }
                }
                Uint32 => Int64,
                _ => Float32,
            }
        }
        (DtypeCategory::Floating, DtypeCategory::Floating) => {
            if (lo, hi) == (Float16, Bfloat16) {
                Float32
            } else {
                hi
            }
        }
        (_, DtypeCategory::Floating) => hi,
        // `lo <= hi` in declaration order makes the remaining pairs unreachable.
        _ => hi,
    }
}

/// The kind of a weak (Python-like) scalar operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Bool,
    Int,
    Float,
    Complex,
}

/// The dtype a weak scalar of `kind` takes next to an array of dtype `array`: the array's dtype
/// wins unless the scalar's kind is wider (an int scalar with a bool array gives int32, a float
/// scalar with an integer array float32, a complex scalar complex64), as in MLX's Python API.
pub fn promote_weak(array: Dtype, kind: ScalarKind) -> Dtype {
    match kind {
        ScalarKind::Bool => array,
        ScalarKind::Int => {
            if array.is_bool() {
                Dtype::Int32
            } else {
                array
            }
        }
        ScalarKind::Float => array.to_inexact(),
        ScalarKind::Complex => Dtype::Complex64,
    }
}

/// The dtype of a scalar standing alone (`mx.array(2.5)`): bool, int32, float32 or complex64.
pub fn default_dtype(kind: ScalarKind) -> Dtype {
    match kind {
        ScalarKind::Bool => Dtype::Bool,
        ScalarKind::Int => Dtype::Int32,
        ScalarKind::Float => Dtype::Float32,
        ScalarKind::Complex => Dtype::Complex64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_is_symmetric_and_idempotent() {
        for a in Dtype::ALL {
            assert_eq!(promote(a, a), a);
            for b in Dtype::ALL {
                assert_eq!(promote(a, b), promote(b, a), "{a} {b}");
            }
        }
    }

    #[test]
    fn promotion_spot_checks_from_mlx() {
        use Dtype::*;
        assert_eq!(promote(Uint8, Int8), Int16);
        assert_eq!(promote(Uint16, Int16), Int32);
        assert_eq!(promote(Uint16, Int64), Int64);
        assert_eq!(promote(Uint32, Int8), Int64);
        assert_eq!(promote(Uint64, Int64), Float32);
        assert_eq!(promote(Float16, Bfloat16), Float32);
        assert_eq!(promote(Int64, Bfloat16), Bfloat16);
        assert_eq!(promote(Float64, Complex64), Complex64);
        assert_eq!(promote(Bool, Uint16), Uint16);
    }

    #[test]
    fn names_round_trip() {
        for d in Dtype::ALL {
            assert_eq!(Dtype::from_name(d.name()), Some(d));
        }
    }
}
