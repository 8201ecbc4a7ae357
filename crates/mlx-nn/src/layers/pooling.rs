//! Pooling: `MaxPool1d/2d/3d` and `AvgPool1d/2d/3d` with MLX's semantics. Inputs are
//! channels-last `(N, *spatial, C)`; `stride` defaults to `kernel_size`; `padding` pads both
//! sides of each spatial axis with `-inf` (max) or `0` (average: the zeros count in the mean,
//! as MLX's `mx.mean` over the padded window). Output length per axis `(L + 2p - k) / s + 1`.
//!
//! MLX takes the windows with `as_strided` and reduces over the window axes. Here each window
//! tap is a strided slice of the (padded) input; the taps are stacked on a new last-but-one
//! axis and reduced with the same `max`/`mean`, so values and gradients are MLX's (max splits
//! the cotangent evenly between tied maxima, like `mx.max`), and every op on the way has a
//! gradient rule. Invariant: the stacked axis holds the taps in row-major window order.

use mlx_core::{self as mx, Error, PadMode, Result, Scalar, Tensor};

use crate::module::{ModuleState, UnaryModule};

/// Which reduction a pooling layer applies over each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

/// `nn.MaxPool{N}d` / `nn.AvgPool{N}d(kernel_size, stride=None, padding=0)`.
#[derive(Debug, Clone)]
pub struct Pool<const N: usize> {
    pub state: ModuleState,
    pub kind: PoolKind,
    pub kernel_size: [usize; N],
    pub stride: [usize; N],
    pub padding: [usize; N],
}

impl<const N: usize> crate::Module for Pool<N> {
    fn visit(&self, _f: &mut dyn FnMut(&str, crate::Child<'_>)) {}
    fn visit_mut(&mut self, _f: &mut dyn FnMut(&str, crate::ChildMut<'_>)) {}
    fn state(&self) -> &ModuleState {
        &self.state
    }
    fn state_mut(&mut self) -> &mut ModuleState {
        &mut self.state
    }
}

pub type MaxPool1d = Pool<1>;
pub type MaxPool2d = Pool<2>;
pub type MaxPool3d = Pool<3>;
pub type AvgPool1d = Pool<1>;
pub type AvgPool2d = Pool<2>;
pub type AvgPool3d = Pool<3>;

impl<const N: usize> Pool<N> {
    fn name(kind: PoolKind) -> String {
        format!("{}Pool{N}d", if kind == PoolKind::Max { "Max" } else { "Avg" })
    }

    /// A pooling layer; `stride: None` means `kernel_size` (MLX's default).
    ///
    /// # Errors
    /// `[MaxPool2d]` (etc.) for a zero kernel size or stride.
    pub fn new(kind: PoolKind, kernel_size: [usize; N], stride: Option<[usize; N]>, padding: [usize; N]) -> Result<Self> {
        let stride = stride.unwrap_or(kernel_size);
        if kernel_size.contains(&0) || stride.contains(&0) {
            return Err(Error::invalid(
                &Self::name(kind),
                format!("kernel_size {kernel_size:?} and stride {stride:?} must be positive."),
            ));
        }
        Ok(Pool { state: ModuleState::default(), kind, kernel_size, stride, padding })
    }

    /// `nn.MaxPool{N}d(kernel_size, stride, padding)`.
    ///
    /// # Errors
    /// As [`Pool::new`].
    pub fn max(kernel_size: [usize; N], stride: Option<[usize; N]>, padding: [usize; N]) -> Result<Self> {
        Self::new(PoolKind::Max, kernel_size, stride, padding)
    }

    /// `nn.AvgPool{N}d(kernel_size, stride, padding)`.
    ///
    /// # Errors
    /// As [`Pool::new`].
    pub fn avg(kernel_size: [usize; N], stride: Option<[usize; N]>, padding: [usize; N]) -> Result<Self> {
        Self::new(PoolKind::Avg, kernel_size, stride, padding)
    }
}

/// Unflattens `idx` over `shape` (row-major).
fn unravel(mut idx: usize, shape: &[usize]) -> Vec<usize> {
    let mut out = vec![0; shape.len()];
    for i in (0..shape.len()).rev() {
        out[i] = idx % shape[i];
        idx /= shape[i];
    }
    out
}

impl<const N: usize> UnaryModule for Pool<N> {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let name = Self::name(self.kind);
        if x.ndim() != N + 2 {
            return Err(Error::invalid(
                &name,
                format!("Expected an input with {} dimensions (N, *spatial, C), got shape {:?}.", N + 2, x.shape()),
            ));
        }
        let x = if self.padding.iter().any(|&p| p > 0) {
            let value = match self.kind {
                PoolKind::Max => Scalar::Float(f64::NEG_INFINITY),
                PoolKind::Avg => Scalar::Float(0.0),
            };
            let mut widths = vec![(0, 0)];
            widths.extend(self.padding.iter().map(|&p| (p, p)));
            widths.push((0, 0));
            mx::pad(x, &widths, PadMode::Constant(value))?
        } else {
            x.clone()
        };
        let sp = &x.shape()[1..=N];
        let mut out = [0usize; N];
        for i in 0..N {
            if sp[i] < self.kernel_size[i] {
                return Err(Error::invalid(
                    &name,
                    format!("The padded input {:?} is smaller than the kernel {:?}.", x.shape(), self.kernel_size),
                ));
            }
            out[i] = (sp[i] - self.kernel_size[i]) / self.stride[i] + 1;
        }
        let nd = N + 2;
        let taps: usize = self.kernel_size.iter().product();
        let windows: Vec<Tensor> = (0..taps)
            .map(|t| {
                let k = unravel(t, &self.kernel_size);
                let mut start = vec![0i64; nd];
                let mut stop: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
                let mut step = vec![1i64; nd];
                for i in 0..N {
                    start[i + 1] = k[i] as i64;
                    stop[i + 1] = (k[i] + (out[i] - 1) * self.stride[i] + 1) as i64;
                    step[i + 1] = self.stride[i] as i64;
                }
                mx::slice(&x, &start, &stop, &step)
            })
            .collect::<Result<_>>()?;
        let stacked = mx::stack(&windows, -2)?;
        match self.kind {
            PoolKind::Max => mx::max(&stacked, -2, false),
            PoolKind::Avg => mx::mean(&stacked, -2, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_and_avg_pool_2x2() {
        let x = Tensor::from_slice(&(0..16).map(|v| v as f32).collect::<Vec<_>>(), &[1, 4, 4, 1]).unwrap();
        let m = MaxPool2d::max([2, 2], None, [0, 0]).unwrap().forward(&x).unwrap();
        assert_eq!(m.shape(), &[1, 2, 2, 1]);
        assert_eq!(m.to_vec::<f32>().unwrap(), vec![5., 7., 13., 15.]);
        let a = AvgPool2d::avg([2, 2], None, [0, 0]).unwrap().forward(&x).unwrap();
        assert_eq!(a.to_vec::<f32>().unwrap(), vec![2.5, 4.5, 10.5, 12.5]);
        // Padding with -inf never wins a max; zeros count in an average.
        let x1 = Tensor::from_slice(&[-1.0f32, -2.0, -3.0], &[1, 3, 1]).unwrap();
        let m = MaxPool1d::max([2], Some([2]), [1]).unwrap().forward(&x1).unwrap();
        assert_eq!(m.to_vec::<f32>().unwrap(), vec![-1., -2.]);
        let a = AvgPool1d::avg([2], Some([2]), [1]).unwrap().forward(&x1).unwrap();
        assert_eq!(a.to_vec::<f32>().unwrap(), vec![-0.5, -2.5]);
        assert!(MaxPool1d::max([0], None, [0]).is_err());
        assert!(MaxPool2d::max([2, 2], None, [0, 0]).unwrap().forward(&x1).is_err());
    }
}
