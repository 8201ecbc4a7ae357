//! The FFT primitive's inference rule (MLX's `FFT` primitive: axes, inverse, real flags).
//!
//! Invariants established here, which the kernels rely on: the axes are distinct and in range
//! (their order matters only for a real transform, whose *last* axis is the real one); a
//! complex-to-complex transform takes and gives complex64; a real forward transform takes
//! float32 and gives complex64 with `n / 2 + 1` entries on the real axis; a real inverse takes
//! complex64 with `m` entries there and gives float32 with `2 (m - 1) + odd_out` (the output
//! length is not recoverable from `m` alone, hence MLX's `odd_out` flag). The API pads,
//! truncates and casts before it builds the node; normalization (`norm`) is a multiply after it.
//! The inverse transforms carry the `1 / n` factor themselves (MLX's "backward" convention).

use crate::primitive::{Primitive, Spec};
use crate::shape::fmt_shape;
use crate::{Dtype, Error, Result};

/// Parameters of [`Primitive::Fft`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FftParams {
    /// Transformed axes, distinct; for `real` the last one is the real axis.
    pub axes: Vec<usize>,
    pub inverse: bool,
    pub real: bool,
    /// Real inverse only: the output's real axis has odd length `2 (m - 1) + 1`.
    pub odd_out: bool,
}

/// One instance for `Primitive::catalog`.
pub(crate) fn catalog() -> Vec<Primitive> {
    vec![Primitive::Fft(FftParams { axes: vec![0], inverse: false, real: false, odd_out: false })]
}

pub(crate) fn infer_fft(p: &FftParams, x: &Spec) -> Result<Spec> {
    let op = "fftn";
    let ndim = x.shape.len();
    if ndim == 0 {
        return Err(Error::invalid(op, "Requires array with at least one dimension."));
    }
    if p.axes.is_empty() {
        return Err(Error::invalid(op, "Expected at least one axis (the API returns the input for none)."));
    }
    let mut seen = vec![false; ndim];
    for &a in &p.axes {
        if a >= ndim {
            return Err(Error::invalid(op, format!("Invalid axis received for array with {ndim} dimensions.")));
        }
        if std::mem::replace(&mut seen[a], true) {
            return Err(Error::invalid(op, format!("Duplicated axis received {:?}.", p.axes)));
        }
    }
    let (want_in, out_dtype) = match (p.real, p.inverse) {
        (true, false) => (Dtype::Float32, Dtype::Complex64),
        (true, true) => (Dtype::Complex64, Dtype::Float32),
        (false, _) => (Dtype::Complex64, Dtype::Complex64),
    };
    if x.dtype != want_in {
        return Err(Error::invalid(op, format!("Expected a {want_in} input but got {} (the API casts first).", x.dtype)));
    }
    let mut shape = x.shape.clone();
    if p.real {
        let last = p.axes[p.axes.len() - 1];
        let m = shape[last];
        shape[last] = if p.inverse {
            if m == 0 {
                return Err(Error::invalid(op, format!("Invalid input shape {} for a real inverse.", fmt_shape(&x.shape))));
            }
            2 * (m - 1) + usize::from(p.odd_out)
        } else {
            m / 2 + 1
        };
    }
    Ok(Spec::new(shape, out_dtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fft(axes: &[usize], inverse: bool, real: bool, odd_out: bool) -> FftParams {
        FftParams { axes: axes.to_vec(), inverse, real, odd_out }
    }

    #[test]
    fn shapes_and_dtypes() {
        let c = |s: &[usize]| Spec::new(s.to_vec(), Dtype::Complex64);
        let f = |s: &[usize]| Spec::new(s.to_vec(), Dtype::Float32);
        assert_eq!(infer_fft(&fft(&[1], false, false, false), &c(&[2, 5])).unwrap(), c(&[2, 5]));
        assert_eq!(infer_fft(&fft(&[0], false, true, false), &f(&[7, 3])).unwrap(), c(&[4, 3]));
        assert_eq!(infer_fft(&fft(&[1, 0], true, true, false), &c(&[6, 4])).unwrap(), f(&[10, 4]));
        assert_eq!(infer_fft(&fft(&[0, 1], true, true, true), &c(&[6, 4])).unwrap(), f(&[6, 7]));
    }

    #[test]
    fn rejections() {
        let c = Spec::new(vec![2, 3], Dtype::Complex64);
        assert!(infer_fft(&fft(&[2], false, false, false), &c).is_err());
        assert!(infer_fft(&fft(&[0, 0], false, false, false), &c).is_err());
        assert!(infer_fft(&fft(&[], false, false, false), &c).is_err());
        assert!(infer_fft(&fft(&[0], false, true, false), &c).is_err()); // rfft needs float32
        assert!(infer_fft(&fft(&[0], false, false, false), &Spec::new(vec![2], Dtype::Float32)).is_err());
        assert!(infer_fft(&fft(&[0], false, false, false), &Spec::new(vec![], Dtype::Complex64)).is_err());
    }
}
