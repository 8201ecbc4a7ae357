//! Element storage types: one plain-old-data Rust type per dtype. Bools are stored as `Bool8`
//! (one byte, 0 or 1) because `bool` is not plain-old-data.

use crate::Dtype;
use half::{bf16, f16};
use num_complex::Complex;

/// A stored boolean: 0 is false, anything else true; kernels only ever write 0 or 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Bool8(pub u8);

impl Bool8 {
    pub fn get(self) -> bool {
        self.0 != 0
    }
}
impl From<bool> for Bool8 {
    fn from(b: bool) -> Self {
        Bool8(b as u8)
    }
}

/// `complex64`: two f32.
pub type C64 = Complex<f32>;

/// A type that stores one dtype's elements in a buffer.
pub trait Element: bytemuck::Pod + Send + Sync + 'static {
    const DTYPE: Dtype;
}

macro_rules! element {
    ($($t:ty => $d:ident),*) => {$( impl Element for $t { const DTYPE: Dtype = Dtype::$d; } )*};
}
element!(Bool8 => Bool, u8 => Uint8, u16 => Uint16, u32 => Uint32, u64 => Uint64, i8 => Int8,
    i16 => Int16, i32 => Int32, i64 => Int64, f16 => Float16, bf16 => Bfloat16, f32 => Float32,
    f64 => Float64, C64 => Complex64);

/// A Rust value users put into and read out of arrays: every `Element`, plus `bool`.
pub trait HostValue: Copy + Send + Sync + 'static {
    type Stored: Element;
    fn to_stored(self) -> Self::Stored;
    fn from_stored(s: Self::Stored) -> Self;
}

macro_rules! host_value_identity {
    ($($t:ty),*) => {$(
        impl HostValue for $t {
            type Stored = $t;
            fn to_stored(self) -> $t { self }
            fn from_stored(s: $t) -> $t { s }
        }
    )*};
}
host_value_identity!(Bool8, u8, u16, u32, u64, i8, i16, i32, i64, f16, bf16, f32, f64, C64);

impl HostValue for bool {
    type Stored = Bool8;
    fn to_stored(self) -> Bool8 {
        Bool8::from(self)
    }
    fn from_stored(s: Bool8) -> bool {
        s.get()
    }
}

/// Calls `$body` with the type alias `$T` bound to the storage type of `$dtype`.
#[macro_export]
macro_rules! dispatch_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {{
        use $crate::Dtype as __D;
        match $dtype {
            __D::Bool => { type $T = $crate::Bool8; $body }
            __D::Uint8 => { type $T = u8; $body }
            __D::Uint16 => { type $T = u16; $body }
            __D::Uint32 => { type $T = u32; $body }
            __D::Uint64 => { type $T = u64; $body }
            __D::Int8 => { type $T = i8; $body }
            __D::Int16 => { type $T = i16; $body }
            __D::Int32 => { type $T = i32; $body }
            __D::Int64 => { type $T = i64; $body }
            __D::Float16 => { type $T = $crate::half::f16; $body }
            __D::Bfloat16 => { type $T = $crate::half::bf16; $body }
            __D::Float32 => { type $T = f32; $body }
            __D::Float64 => { type $T = f64; $body }
            __D::Complex64 => { type $T = $crate::C64; $body }
        }
    }};
}
