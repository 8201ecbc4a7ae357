//! Cumulative scans along one axis (one `Scan` primitive): cumsum, cumprod, cummax, cummin and
//! logcumsumexp, with MLX's `reverse` (scan from the end) and `inclusive` (`false`: element i
//! combines elements before i only, the first gets the op's identity). `axis = None` scans the
//! flattened array.

use mlx_ops::shape::normalize_axis;
use mlx_ops::{Primitive, Result, ScanOp};

use crate::{astype, reshape_usize, Tensor};

fn scan(op: ScanOp, x: &Tensor, axis: Option<i32>, reverse: bool, inclusive: bool) -> Result<Tensor> {
    let (x, axis) = match axis {
        None => (reshape_usize(x, &[x.size()])?, 0),
        Some(a) => (x.clone(), normalize_axis(op.name(), a, x.ndim())?),
    };
    let x = if op == ScanOp::LogAddExp && !x.dtype().is_inexact() { astype(&x, mlx_ops::Dtype::Float32)? } else { x };
    Tensor::from_primitive(Primitive::Scan { op, axis, reverse, inclusive }, vec![x])
}

macro_rules! scan_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// Shape: the input's (`axis = None`: its size, flattened).
        ///
        /// # Errors
        /// `[op]` for an axis out of range.
        ///
        /// ```
        /// use mlx_core::{self as mx, Tensor};
        /// let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3]).unwrap();
        /// assert_eq!(mx::cumsum(&x, 0, false, true).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 3.0, 6.0]);
        /// ```
        pub fn $name(x: &Tensor, axis: impl Into<Option<i32>>, reverse: bool, inclusive: bool) -> Result<Tensor> {
            scan(ScanOp::$op, x, axis.into(), reverse, inclusive)
        }
    )*};
}
scan_fns!(
    /// Cumulative sum: `out[i] = x[0] + ... + x[i]`. Dtype kept (integers wrap), bool counts in int32.
    cumsum => Sum,
    /// Cumulative product: `out[i] = x[0] * ... * x[i]`. Dtype kept (bool: logical and).
    cumprod => Prod,
    /// Cumulative maximum (NaN propagates). Dtype kept.
    cummax => Max,
    /// Cumulative minimum (NaN propagates). Dtype kept.
    cummin => Min,
    /// `log(sum(exp(x[..=i])))` computed stably; integers and bools compute in float32.
    /// complex64 is not supported (an error), unlike MLX.
    logcumsumexp => LogAddExp,
);
