//! Kernels of the math, rounding, bitwise and predicate ops added for issue #3 (the core
//! arithmetic lives in `elementwise.rs`). Scalar semantics come from `math.rs`; the loops are
//! `elementwise::map1`/`map2`, so every layout works and contiguous operands take the flat path.

use mlx_ops::{ArrayData, BinaryOp, Bool8, Dtype, Error, Result, Spec, UnaryOp, C64};

use crate::donate::Operand;
use crate::elementwise::{debug_checked, map1, map2};
use crate::math::{complex_unary_fn, FloatMath, IntMath};
use crate::num::Num;

/// Runs `$body` with `$T` bound to the storage type of a bool or integer dtype, else `$else`.
macro_rules! dispatch_int {
    ($dtype:expr, $T:ident => $body:expr, else $else:expr) => {{
        match $dtype {
            Dtype::Bool => { type $T = Bool8; $body }
            Dtype::Uint8 => { type $T = u8; $body }
            Dtype::Uint16 => { type $T = u16; $body }
            Dtype::Uint32 => { type $T = u32; $body }
            Dtype::Uint64 => { type $T = u64; $body }
            Dtype::Int8 => { type $T = i8; $body }
            Dtype::Int16 => { type $T = i16; $body }
            Dtype::Int32 => { type $T = i32; $body }
            Dtype::Int64 => { type $T = i64; $body }
            _ => $else,
        }
    }};
}

/// Runs `$body` with `$T` bound to the storage type of a real floating dtype, else `$else`.
macro_rules! dispatch_float {
    ($dtype:expr, $T:ident => $body:expr, else $else:expr) => {{
        match $dtype {
            Dtype::Float16 => { type $T = half::f16; $body }
            Dtype::Bfloat16 => { type $T = half::bf16; $body }
            Dtype::Float32 => { type $T = f32; $body }
            Dtype::Float64 => { type $T = f64; $body }
            _ => $else,
        }
    }};
}

fn unsupported(op: &str, dtype: Dtype) -> Error {
    Error::invalid(op, format!("Not supported for {dtype}."))
}

fn float_unary<T: FloatMath>(op: UnaryOp, x: Operand) -> Result<ArrayData> {
    let f = T::unary_fn(op).ok_or_else(|| unsupported(op.name(), x.dtype))?;
    Ok(map1::<T, T>(x, f))
}

fn int_unary<T: IntMath>(op: UnaryOp, x: Operand) -> Result<ArrayData> {
    Ok(match op {
        UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round => x.clone(),
        UnaryOp::Sign => map1::<T, T>(x, IntMath::sign),
        UnaryOp::BitwiseInvert => map1::<T, T>(x, IntMath::bit_not),
        _ => return Err(unsupported(op.name(), x.dtype)),
    })
}

fn logical_not<T: Num>(x: Operand) -> ArrayData {
    map1::<T, Bool8>(x, |v| Bool8::from(!v.to_bool()))
}

pub fn unary(op: UnaryOp, x: Operand, out: &Spec) -> Result<ArrayData> {
    let dtype = x.dtype;
    let r = match op {
        UnaryOp::LogicalNot => mlx_ops::dispatch_dtype!(dtype, T => logical_not::<T>(x)),
        UnaryOp::Real if dtype.is_complex() => map1::<C64, f32>(x, |z| z.re),
        UnaryOp::Imag if dtype.is_complex() => map1::<C64, f32>(x, |z| z.im),
        _ if dtype.is_complex() => {
            let f = complex_unary_fn(op).ok_or_else(|| unsupported(op.name(), dtype))?;
            map1::<C64, C64>(x, f)
        }
        _ => dispatch_float!(dtype, T => float_unary::<T>(op, x)?,
            else dispatch_int!(dtype, T => int_unary::<T>(op, x)?, else return Err(unsupported(op.name(), dtype)))),
    };
    Ok(debug_checked(r, out))
}

fn float_binary<T: FloatMath>(op: BinaryOp, a: Operand, b: Operand) -> Result<ArrayData> {
    let f = T::binary_fn(op).ok_or_else(|| unsupported(op.name(), a.dtype))?;
    Ok(map2::<T, T>(a, b, f))
}

fn int_binary<T: IntMath>(op: BinaryOp, a: Operand, b: Operand) -> Result<ArrayData> {
    let f: fn(T, T) -> T = match op {
        BinaryOp::Power => IntMath::pow,
        BinaryOp::FloorDivide => IntMath::floor_div,
        BinaryOp::Remainder => IntMath::rem,
        BinaryOp::BitwiseAnd => IntMath::bit_and,
        BinaryOp::BitwiseOr => IntMath::bit_or,
        BinaryOp::BitwiseXor => IntMath::bit_xor,
        BinaryOp::LeftShift => IntMath::shl,
        BinaryOp::RightShift => IntMath::shr,
        _ => return Err(unsupported(op.name(), a.dtype)),
    };
    Ok(map2::<T, T>(a, b, f))
}

pub fn binary(op: BinaryOp, a: Operand, b: Operand, out: &Spec) -> Result<ArrayData> {
    let dtype = a.dtype;
    let r = match op {
        // As C++ `std::pow` on complex numbers (and MLX): `exp(y * ln x)`, so `0 ** 0` is NaN.
        BinaryOp::Power if dtype.is_complex() => map2::<C64, C64>(a, b, |x, y| (y * x.ln()).exp()),
        BinaryOp::LogAddExp if dtype.is_complex() => map2::<C64, C64>(a, b, crate::math::logaddexp_c64),
        _ => dispatch_float!(dtype, T => float_binary::<T>(op, a, b)?,
            else dispatch_int!(dtype, T => int_binary::<T>(op, a, b)?, else return Err(unsupported(op.name(), dtype)))),
    };
    Ok(debug_checked(r, out))
}
