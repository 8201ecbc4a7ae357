//! Operands of binary ops: arrays, or Rust scalars that behave like MLX's Python scalars (weak
//! types: `x_f16 * 2.0` stays float16, `x_i32 + 1.5` becomes float32).

use mlx_ops::{promote, promote_weak, Dtype, Scalar};

use crate::Tensor;

/// An array or a weak scalar.
#[derive(Clone)]
pub enum Operand {
    Array(Tensor),
    Scalar(Scalar),
}

/// Anything usable where MLX accepts an "array-like": `&Tensor`, `Tensor`, or a number/bool.
pub trait ArrayLike {
    fn into_operand(self) -> Operand;
}

impl ArrayLike for Tensor {
    fn into_operand(self) -> Operand {
        Operand::Array(self)
    }
}
impl ArrayLike for &Tensor {
    fn into_operand(self) -> Operand {
        Operand::Array(self.clone())
    }
}
impl ArrayLike for Scalar {
    fn into_operand(self) -> Operand {
        Operand::Scalar(self)
    }
}
macro_rules! scalar_operand {
    ($($t:ty),*) => {$(
        impl ArrayLike for $t {
            fn into_operand(self) -> Operand { Operand::Scalar(Scalar::from(self)) }
        }
    )*};
}
scalar_operand!(bool, i8, i16, i32, i64, u8, u16, u32, usize, f32, f64, num_complex::Complex<f32>);

impl Operand {
    /// The operand's own dtype if it is an array.
    fn array_dtype(&self) -> Option<Dtype> {
        match self {
            Operand::Array(t) => Some(t.dtype()),
            Operand::Scalar(_) => None,
        }
    }

    /// Makes the operand an array of `dtype` (scalars become 0-d arrays).
    pub(crate) fn to_tensor(&self, dtype: Dtype) -> mlx_ops::Result<Tensor> {
        match self {
            Operand::Array(t) => crate::astype(t, dtype),
            Operand::Scalar(s) => {
                check_fits(*s, dtype)?;
                // A 0-d constant is realized at once (one element, the `Full` kernel's value): a
                // leaf costs the scheduler nothing, where a node per scalar operand doubled the
                // work of scalar-heavy graphs (issue #5, graph overhead).
                let spec = mlx_ops::Spec::new(vec![], dtype);
                match mlx_ops::Backend::full(&mlx_cpu::CpuBackend, &spec, *s) {
                    Ok(data) => Ok(Tensor::from_data(data, crate::default_device())),
                    Err(_) => crate::full(&[], *s, dtype),
                }
            }
        }
    }
}

/// The common dtype of several operands: arrays promote among themselves, then each scalar
/// promotes weakly against the result (or, with no arrays, scalars promote by their defaults).
pub fn result_type(operands: &[Operand]) -> Dtype {
    let arrays = operands.iter().filter_map(Operand::array_dtype).reduce(promote);
    let scalars = operands.iter().filter_map(|o| match o {
        Operand::Scalar(s) => Some(*s),
        Operand::Array(_) => None,
    });
    match arrays {
        Some(d) => scalars.fold(d, |d, s| promote_weak(d, s.kind())),
        None => scalars.map(Scalar::default_dtype).reduce(promote).unwrap_or(Dtype::Float32),
    }
}

/// MLX refuses an integer scalar that the integer array dtype cannot hold (`uint8 + -1`).
fn check_fits(s: Scalar, dtype: Dtype) -> mlx_ops::Result<()> {
    let Scalar::Int(v) = s else { return Ok(()) };
    let (lo, hi): (i128, i128) = match dtype {
        Dtype::Uint8 => (0, u8::MAX as i128),
        Dtype::Uint16 => (0, u16::MAX as i128),
        Dtype::Uint32 => (0, u32::MAX as i128),
        Dtype::Uint64 => (0, u64::MAX as i128),
        Dtype::Int8 => (i8::MIN as i128, i8::MAX as i128),
        Dtype::Int16 => (i16::MIN as i128, i16::MAX as i128),
        Dtype::Int32 => (i32::MIN as i128, i32::MAX as i128),
        _ => return Ok(()),
    };
    if (v as i128) < lo || (v as i128) > hi {
        return Err(mlx_ops::Error::invalid("array", format!("Converting {v} to {dtype} would result in overflow.")));
    }
    Ok(())
}
