//! The public op API, MLX's names and argument order. Each function validates through the
//! primitive's inference rule when the graph is built, so errors point at the caller's line.

pub mod aliases;
pub mod composite;
pub mod conv;
pub mod creation;
pub mod dtypes;
pub mod elementwise;
pub mod fft;
pub mod linalg;
pub mod math;
pub mod random;
pub mod products;
pub mod quantized;
pub mod reduce;
pub mod shape;
// shapeops
pub mod diag;
pub mod indexing;
pub mod manip;
pub mod scan;
pub mod sort;

/// Which axes an op acts on: `Axes::All` (MLX's `axis=None`) or a list (negative counts from
/// the end). `0`, `[0, 2]`, `&[..]` and `vec![..]` convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Axes {
    All,
    These(Vec<i32>),
}

impl From<i32> for Axes {
    fn from(a: i32) -> Self {
        Axes::These(vec![a])
    }
}
impl From<&[i32]> for Axes {
    fn from(a: &[i32]) -> Self {
        Axes::These(a.to_vec())
    }
}
impl<const N: usize> From<[i32; N]> for Axes {
    fn from(a: [i32; N]) -> Self {
        Axes::These(a.to_vec())
    }
}
impl<const N: usize> From<&[i32; N]> for Axes {
    fn from(a: &[i32; N]) -> Self {
        Axes::These(a.to_vec())
    }
}
impl From<Vec<i32>> for Axes {
    fn from(a: Vec<i32>) -> Self {
        Axes::These(a)
    }
}
impl From<Option<Vec<i32>>> for Axes {
    fn from(a: Option<Vec<i32>>) -> Self {
        a.map_or(Axes::All, Axes::These)
    }
}

impl Axes {
    /// Normalized, sorted, unique axes for an array of `ndim` dimensions.
    pub(crate) fn resolve(&self, op: &str, ndim: usize) -> mlx_ops::Result<Vec<usize>> {
        match self {
            Axes::All => Ok((0..ndim).collect()),
            Axes::These(a) => mlx_ops::shape::normalize_axes(op, a, ndim),
        }
    }
}
