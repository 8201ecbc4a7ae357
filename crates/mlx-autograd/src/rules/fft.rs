//! Rules of the FFT primitive (`Primitive::Fft`), MLX 0.32.4's conventions.
//!
//! Every FFT is linear, so its JVP is the same primitive applied to the tangent and its batching
//! rule shifts the axes past the batch axis. VJPs use the conjugate transpose (what MLX computes:
//! `mx.vjp` of `fft` gives `n * ifft(cotangent)`), with `N` the product of the transformed
//! lengths of the full-length side:
//! - `fft`:   `x̄ = N ifft(ȳ)` (`F^H = N F^{-1}`);
//! - `ifft`:  `x̄ = fft(ȳ) / N`;
//! - `rfft`:  `x̄ = Re(N ifft(pad(ȳ)))`, the half spectrum zero-padded back to `n`;
//! - `irfft`: `x̄ = rfft(ȳ) * mask / N`, where `mask` is 2 on the bins the Hermitian extension
//!   uses twice (all but DC, and Nyquist for even `n`) and 1 on the others.
//!
//! One deliberate difference: MLX 0.32.4's JVP of an odd-length `irfft` rebuilds the primitive
//! with the even default length and returns a tangent of the wrong shape; ours applies the node's
//! own primitive (DIFFERENCES.md).

use mlx_core::{FftParams, Primitive, Result, Tensor};

use super::ap;

fn fft_node(axes: &[usize], inverse: bool, real: bool, odd_out: bool, x: Tensor) -> Result<Tensor> {
    ap(Primitive::Fft(FftParams { axes: axes.to_vec(), inverse, real, odd_out }), vec![x])
}

/// The product of `shape` along `axes`.
fn points(shape: &[usize], axes: &[usize]) -> f64 {
    axes.iter().map(|&a| shape[a] as f64).product()
}

/// Scales `t` by the real `s` (complex or float `t`).
fn scaled(t: &Tensor, s: f64) -> Result<Tensor> {
    mlx_core::multiply(t, s as f32)
}

pub(super) fn vjp(p: &FftParams, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    let last = p.axes[p.axes.len() - 1];
    match (p.real, p.inverse) {
        // d/dx fft(x) applied to ȳ: F^H ȳ = N ifft(ȳ)
        (false, false) => scaled(&fft_node(&p.axes, true, false, false, g.clone())?, points(x.shape(), &p.axes)),
        // d/dx ifft(x) applied to ȳ: (F^{-1})^H ȳ = fft(ȳ) / N
        (false, true) => scaled(&fft_node(&p.axes, false, false, false, g.clone())?, 1.0 / points(x.shape(), &p.axes)),
        // d/dx rfft(x) applied to ȳ: Re(F^H P^T ȳ), P keeping the first n / 2 + 1 bins
        (true, false) => {
            let n = x.shape()[last];
            let mut zshape = g.shape().to_vec();
            zshape[last] = n - g.shape()[last];
            let padded = if zshape[last] > 0 {
                mlx_core::concatenate(&[g.clone(), mlx_core::zeros(&zshape, g.dtype())?], last as i32)?
            } else {
                g.clone()
            };
            let back = fft_node(&p.axes, true, false, false, padded)?;
            mlx_core::real(&scaled(&back, points(x.shape(), &p.axes))?)
        }
        // d/dx irfft(x) applied to ȳ: the Hermitian extension's adjoint folds bins k and n - k
        // together: rfft(ȳ) / N with the doubled bins times 2.
        (true, true) => {
            let m = x.shape()[last];
            let odd = y.shape()[last] % 2 == 1;
            let n_total = points(y.shape(), &p.axes);
            let weights: Vec<f32> = (0..m)
                .map(|k| if k > 0 && (k + 1 < m || odd) { 2.0 } else { 1.0 } / n_total as f32)
                .collect();
            let mut wshape = vec![1; x.ndim()];
            wshape[last] = m;
            let mask = Tensor::from_slice(&weights, &wshape)?;
            let spec = fft_node(&p.axes, false, true, false, g.clone())?;
            mlx_core::multiply(&spec, &mask)
        }
    }
}

/// The batched primitive: the same transform with axes shifted past a leading batch axis.
pub(super) fn batched(p: &FftParams) -> Primitive {
    Primitive::Fft(FftParams { axes: p.axes.iter().map(|a| a + 1).collect(), ..p.clone() })
}
