//! Shape arithmetic shared by inference and the API: broadcasting, axis normalization and MLX's
//! way of printing shapes in messages.

use crate::{Error, Result};

/// Number of elements of a shape (1 for a 0-d shape).
pub fn size_of(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// `a == b` for shapes, without calling `memcmp` on empty ones. An empty `Vec`'s pointer is
/// dangling (an unmapped address), and glibc's AVX-512 `memcmp` reads it with a zero-mask
/// load anyway: on a Zen 5 that costs about 130 ns a call (1.3 ns for two elements), which was
/// half of the graph overhead of a chain of scalar ops (1.1 us per op). Scalars have 0-d shapes,
/// so the per-op paths (inference, broadcasting, checks after evaluation) compare with this.
#[inline]
pub fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// A shape as MLX prints it in messages: `(2,3)`, `(4)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(","))
}

/// NumPy broadcasting of two shapes; the error names `broadcast_shapes` as MLX does.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::invalid(
                "broadcast_shapes",
                format!("Shapes {} and {} cannot be broadcast.", fmt_shape(a), fmt_shape(b)),
            ));
        };
    }
    Ok(out)
}

/// Normalizes a possibly negative axis against `ndim`.
pub fn normalize_axis(op: &str, axis: i32, ndim: usize) -> Result<usize> {
    let n = ndim as i64;
    let a = axis as i64;
    if a < -n || a >= n {
        return Err(Error::invalid(op, format!("Invalid axis {axis} for array with {ndim} dimensions.")));
    }
    Ok(if a < 0 { (a + n) as usize } else { a as usize })
}

/// Normalizes a list of axes, rejecting out-of-range and repeated axes; the result is sorted.
pub fn normalize_axes(op: &str, axes: &[i32], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        out.push(normalize_axis(op, a, ndim)?);
    }
    out.sort_unstable();
    if out.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid(op, "Received duplicate axes."));
    }
    Ok(out)
}

/// Row-major (C order) strides of a contiguous array of `shape`, in elements.
pub fn row_major_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_shape_is_slice_equality() {
        let cases: [&[usize]; 6] = [&[], &[0], &[1], &[2, 3], &[3, 2], &[2, 3, 1]];
        for a in cases {
            for b in cases {
                assert_eq!(same_shape(a, b), a == b, "{a:?} vs {b:?}");
            }
        }
        assert!(same_shape(&Vec::new(), &Vec::new()));
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap(), vec![2, 4, 3]);
        assert_eq!(broadcast_shapes(&[], &[2]).unwrap(), vec![2]);
        assert_eq!(broadcast_shapes(&[0, 1], &[1, 5]).unwrap(), vec![0, 5]);
        let e = broadcast_shapes(&[2, 3], &[4]).unwrap_err();
        assert_eq!(e.to_string(), "[broadcast_shapes] Shapes (2,3) and (4) cannot be broadcast.");
    }

    #[test]
    fn axes() {
        assert_eq!(normalize_axes("sum", &[-1, 0], 3).unwrap(), vec![0, 2]);
        assert!(normalize_axes("sum", &[3], 3).is_err());
        assert!(normalize_axes("sum", &[1, -2], 3).is_err());
    }
}
