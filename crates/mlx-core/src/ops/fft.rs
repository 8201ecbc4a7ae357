//! `mlx_core::fft`: MLX's `mx.fft` (issue #3). One primitive, [`Primitive::Fft`] (axes,
//! inverse, real, as MLX's `FFT`); everything here is a composition around it.
//!
//! Semantics are MLX 0.32.4's `fft_impl`: each transformed axis is truncated (slice) or
//! zero-padded to its requested size `n` before the primitive (for a real inverse the real axis
//! to `n / 2 + 1`); the input is cast to complex64, or to float32 for a real forward transform
//! (a complex input loses its imaginary part, silently, as in MLX); outputs are complex64, or
//! float32 for a real inverse, whatever the input dtype (float64 included). `norm` scales after
//! the primitive: with `N` the product of the logical sizes, forward transforms multiply by 1,
//! `1/sqrt(N)` or `1/N` (backward, ortho, forward) and inverse ones (which carry `1/N`) by 1,
//! `sqrt(N)` or `N`. An empty axis list returns the input unchanged (not even cast), as MLX.
//!
//! ```
//! use mlx_core::{fft, Tensor};
//! let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[4]).unwrap();
//! let y = fft::rfft(&x, None, -1, fft::FftNorm::Backward).unwrap();
//! let back = fft::irfft(&y, 4, -1, fft::FftNorm::Backward).unwrap();
//! assert_eq!(back.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
//! ```

use mlx_ops::{Dtype, Error, FftParams, Primitive, Result, Scalar};

use crate::ops::indexing::IndexItem;
use crate::ops::manip::PadMode;
use crate::{astype, concatenate, multiply, Tensor};

/// Normalization of a transform pair (`norm=` in MLX): which direction carries `1/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FftNorm {
    /// Forward unscaled, inverse `1/N` (MLX's default).
    #[default]
    Backward,
    /// Both `1/sqrt(N)`.
    Ortho,
    /// Forward `1/N`, inverse unscaled.
    Forward,
}

impl FftNorm {
    /// MLX's name (`"backward"`, `"ortho"`, `"forward"`).
    ///
    /// # Errors
    /// `[op] Invalid norm...` for any other string.
    pub fn from_name(op: &str, name: &str) -> Result<FftNorm> {
        match name {
            "backward" => Ok(FftNorm::Backward),
            "ortho" => Ok(FftNorm::Ortho),
            "forward" => Ok(FftNorm::Forward),
            _ => Err(Error::invalid(op, "Invalid norm. Expected one of {'backward', 'ortho', 'forward'}.")),
        }
    }

    /// The factor applied after the primitive for `n_total` logical points.
    fn scale(self, inverse: bool, n_total: f64) -> f64 {
        match (self, inverse) {
            (FftNorm::Backward, _) => 1.0,
            (FftNorm::Ortho, false) => 1.0 / n_total.sqrt(),
            (FftNorm::Ortho, true) => n_total.sqrt(),
            (FftNorm::Forward, false) => 1.0 / n_total,
            (FftNorm::Forward, true) => n_total,
        }
    }
}

/// `x` truncated or zero-padded along each axis to `shape` (same rank), in its dtype.
fn fit_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let mut y = x.clone();
    if shape.iter().zip(x.shape()).any(|(a, b)| a < b) {
        let stop: Vec<i64> = shape.iter().zip(x.shape()).map(|(&a, &b)| a.min(b) as i64).collect();
        let n = shape.len();
        y = crate::slice(&y, &vec![0; n], &stop, &vec![1; n])?;
    }
    for (axis, &want) in shape.iter().enumerate() {
        let have = y.shape()[axis];
        if want > have {
            let mut zshape = y.shape().to_vec();
            zshape[axis] = want - have;
            let z = crate::zeros(&zshape, y.dtype())?;
            y = concatenate(&[y, z], axis as i32)?;
        }
    }
    Ok(y)
}

/// MLX's `fft_impl`: `n` are the logical sizes along `axes` (`None`: from the input's shape).
fn fft_impl(a: &Tensor, n: Option<&[usize]>, axes: &[i32], real: bool, inverse: bool, norm: FftNorm) -> Result<Tensor> {
    let op = "fftn";
    let ndim = a.ndim();
    if ndim == 0 {
        return Err(Error::invalid(op, "Requires array with at least one dimension."));
    }
    if let Some(n) = n {
        if n.len() != axes.len() {
            return Err(Error::invalid(op, "Shape and axes have different sizes."));
        }
    }
    if axes.is_empty() {
        return Ok(a.clone());
    }
    let mut valid = Vec::with_capacity(axes.len());
    for &ax in axes {
        let v = if ax < 0 { ax as i64 + ndim as i64 } else { ax as i64 };
        if v < 0 || v >= ndim as i64 {
            return Err(Error::invalid(op, format!("Invalid axis received for array with {ndim} dimensions.")));
        }
        if valid.contains(&(v as usize)) {
            return Err(Error::invalid(op, format!("Duplicated axis received {axes:?}")));
        }
        valid.push(v as usize);
    }
    let sizes: Vec<usize> = match n {
        Some(n) => n.to_vec(),
        None => {
            let mut s: Vec<usize> = valid.iter().map(|&ax| a.shape()[ax]).collect();
            if real && inverse {
                let last = s.len() - 1;
                s[last] = s[last].saturating_sub(1) * 2;
            }
            s
        }
    };
    if sizes.iter().any(|&s| s == 0) {
        return Err(Error::invalid(op, format!("Invalid FFT output size requested {sizes:?}")));
    }
    let last = valid[valid.len() - 1];
    let mut in_shape = a.shape().to_vec();
    for (&ax, &s) in valid.iter().zip(&sizes) {
        in_shape[ax] = s;
    }
    if real && inverse {
        in_shape[last] = sizes[sizes.len() - 1] / 2 + 1;
    }
    let x = fit_to(a, &in_shape)?;
    let in_type = if real && !inverse { Dtype::Float32 } else { Dtype::Complex64 };
    let x = astype(&x, in_type)?;
    let odd_out = real && inverse && sizes[sizes.len() - 1] % 2 == 1;
    let y = Tensor::from_primitive(Primitive::Fft(FftParams { axes: valid, inverse, real, odd_out }), vec![x])?;
    let total: f64 = sizes.iter().map(|&s| s as f64).product();
    match norm.scale(inverse, total) {
        s if s == 1.0 => Ok(y),
        s => multiply(&y, s as f32),
    }
}

fn one_axis(a: &Tensor, n: Option<usize>, axis: i32, real: bool, inverse: bool, norm: FftNorm) -> Result<Tensor> {
    if a.ndim() == 0 {
        return Err(Error::invalid("fftn", "Requires array with at least one dimension."));
    }
    let n = n.map(|n| vec![n]);
    fft_impl(a, n.as_deref(), &[axis], real, inverse, norm)
}

/// `fftn`'s argument rule: sizes need axes; no axes means every axis.
fn nd_args(a: &Tensor, s: Option<&[usize]>, axes: Option<&[i32]>) -> Result<Vec<i32>> {
    match (s, axes) {
        (Some(_), None) => Err(Error::invalid("fftn", "`axes` should not be `None` if `s` is not `None`.")),
        (_, Some(ax)) => Ok(ax.to_vec()),
        (None, None) => Ok((0..a.ndim() as i32).collect()),
    }
}

/// One-dimensional DFT along `axis` (`mx.fft.fft`): `X_k = sum_j x_j e^{-2πi jk/n}`;
/// `n` pads or truncates the axis. Output complex64.
///
/// # Errors
/// `[fftn]` for a 0-d input, a bad axis, or `n == 0`.
pub fn fft(a: &Tensor, n: impl Into<Option<usize>>, axis: i32, norm: FftNorm) -> Result<Tensor> {
    one_axis(a, n.into(), axis, false, false, norm)
}

/// Inverse of [`fft`] (`mx.fft.ifft`): `x_j = (1/n) sum_k X_k e^{2πi jk/n}`. Output complex64.
///
/// # Errors
/// As [`fft`].
pub fn ifft(a: &Tensor, n: impl Into<Option<usize>>, axis: i32, norm: FftNorm) -> Result<Tensor> {
    one_axis(a, n.into(), axis, false, true, norm)
}

/// DFT of a real input (`mx.fft.rfft`): the `n / 2 + 1` non-negative frequencies. A complex
/// input is cast to float32 first (its imaginary part dropped), as in MLX. Output complex64.
///
/// # Errors
/// As [`fft`].
pub fn rfft(a: &Tensor, n: impl Into<Option<usize>>, axis: i32, norm: FftNorm) -> Result<Tensor> {
    one_axis(a, n.into(), axis, true, false, norm)
}

/// Inverse of [`rfft`] (`mx.fft.irfft`): `n` (default `2 (m - 1)`) real outputs from the
/// Hermitian half spectrum, whose axis is cut or padded to `n / 2 + 1`. Output float32.
///
/// # Errors
/// As [`fft`] (also when the default `n` is 0, for an axis of length 1).
pub fn irfft(a: &Tensor, n: impl Into<Option<usize>>, axis: i32, norm: FftNorm) -> Result<Tensor> {
    one_axis(a, n.into(), axis, true, true, norm)
}

/// Two-dimensional DFT over `axes` (MLX's default `[-2, -1]`) (`mx.fft.fft2`).
///
/// # Errors
/// As [`fftn`].
pub fn fft2(a: &Tensor, s: Option<&[usize]>, axes: &[i32], norm: FftNorm) -> Result<Tensor> {
    fft_impl(a, s, axes, false, false, norm)
}

/// Inverse of [`fft2`] (`mx.fft.ifft2`).
///
/// # Errors
/// As [`fftn`].
pub fn ifft2(a: &Tensor, s: Option<&[usize]>, axes: &[i32], norm: FftNorm) -> Result<Tensor> {
    fft_impl(a, s, axes, false, true, norm)
}

/// Two-dimensional real DFT (`mx.fft.rfft2`); the last of `axes` is the halved one.
///
/// # Errors
/// As [`fftn`].
pub fn rfft2(a: &Tensor, s: Option<&[usize]>, axes: &[i32], norm: FftNorm) -> Result<Tensor> {
    fft_impl(a, s, axes, true, false, norm)
}

/// Inverse of [`rfft2`] (`mx.fft.irfft2`).
///
/// # Errors
/// As [`fftn`].
pub fn irfft2(a: &Tensor, s: Option<&[usize]>, axes: &[i32], norm: FftNorm) -> Result<Tensor> {
    fft_impl(a, s, axes, true, true, norm)
}

/// n-dimensional DFT (`mx.fft.fftn`): `s` sizes along `axes` (`None`: every axis).
///
/// # Errors
/// `[fftn]` for a 0-d input, `s` without `axes`, `s` and `axes` of different lengths, a
/// duplicated or out-of-range axis, or a size of 0.
pub fn fftn(a: &Tensor, s: Option<&[usize]>, axes: Option<&[i32]>, norm: FftNorm) -> Result<Tensor> {
    let axes = nd_args(a, s, axes)?;
    fft_impl(a, s, &axes, false, false, norm)
}

/// Inverse of [`fftn`] (`mx.fft.ifftn`).
///
/// # Errors
/// As [`fftn`].
pub fn ifftn(a: &Tensor, s: Option<&[usize]>, axes: Option<&[i32]>, norm: FftNorm) -> Result<Tensor> {
    let axes = nd_args(a, s, axes)?;
    fft_impl(a, s, &axes, false, true, norm)
}

/// n-dimensional real DFT (`mx.fft.rfftn`); the last axis is halved.
///
/// # Errors
/// As [`fftn`].
pub fn rfftn(a: &Tensor, s: Option<&[usize]>, axes: Option<&[i32]>, norm: FftNorm) -> Result<Tensor> {
    let axes = nd_args(a, s, axes)?;
    fft_impl(a, s, &axes, true, false, norm)
}

/// Inverse of [`rfftn`] (`mx.fft.irfftn`): float32, last axis `s[-1]` (default `2 (m - 1)`).
///
/// # Errors
/// As [`fftn`].
pub fn irfftn(a: &Tensor, s: Option<&[usize]>, axes: Option<&[i32]>, norm: FftNorm) -> Result<Tensor> {
    let axes = nd_args(a, s, axes)?;
    fft_impl(a, s, &axes, true, true, norm)
}

fn shift(op: &str, a: &Tensor, axes: Option<&[i32]>, amount: fn(usize) -> usize) -> Result<Tensor> {
    let axes: Vec<i32> = match axes {
        Some(ax) => ax.to_vec(),
        None => (0..a.ndim() as i32).collect(),
    };
    if axes.is_empty() {
        return Ok(a.clone());
    }
    let mut shifts = Vec::with_capacity(axes.len());
    for &ax in &axes {
        let v = if ax < 0 { ax as i64 + a.ndim() as i64 } else { ax as i64 };
        if v < 0 || v >= a.ndim() as i64 {
            return Err(Error::invalid(op, format!("Invalid axis {ax} for array with {} dimensions.", a.ndim())));
        }
        shifts.push(amount(a.shape()[v as usize]) as i64);
    }
    crate::roll(a, &shifts, axes)
}

/// Moves the zero frequency to the center (`mx.fft.fftshift`): rolls each axis by `n / 2`
/// (`None`: every axis).
///
/// # Errors
/// `[fftshift] Invalid axis ...`.
pub fn fftshift(a: &Tensor, axes: Option<&[i32]>) -> Result<Tensor> {
    shift("fftshift", a, axes, |n| n / 2)
}

/// Inverse of [`fftshift`] (`mx.fft.ifftshift`): rolls each axis by `(n + 1) / 2`.
///
/// # Errors
/// `[ifftshift] Invalid axis ...`.
pub fn ifftshift(a: &Tensor, axes: Option<&[i32]>) -> Result<Tensor> {
    shift("ifftshift", a, axes, |n| n.div_ceil(2))
}

fn check_freq_args(op: &str, n: usize, d: f64) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid(op, "`n` must be greater than 0."));
    }
    if d == 0.0 {
        return Err(Error::invalid(op, "`d` must be non-zero."));
    }
    Ok(())
}

/// Sample frequencies of an `n`-point DFT with spacing `d` (`mx.fft.fftfreq`), float32:
/// `[0, 1, ..., (n-1)/2, -(n/2), ..., -1] / (d n)`.
///
/// # Errors
/// `[fftfreq]` for `n == 0` or `d == 0`.
pub fn fftfreq(n: usize, d: f64) -> Result<Tensor> {
    check_freq_args("fftfreq", n, d)?;
    let pos = (n - 1) / 2 + 1;
    let v: Vec<f32> =
        (0..n).map(|i| if i < pos { i as f64 } else { i as f64 - n as f64 }).map(|k| (k / (d * n as f64)) as f32).collect();
    Ok(Tensor::from_vec(v))
}

/// Sample frequencies for [`rfft`] (`mx.fft.rfftfreq`), float32: `[0, 1, ..., n/2] / (d n)`.
///
/// # Errors
/// `[rfftfreq]` for `n == 0` or `d == 0`.
pub fn rfftfreq(n: usize, d: f64) -> Result<Tensor> {
    check_freq_args("rfftfreq", n, d)?;
    let v: Vec<f32> = (0..n / 2 + 1).map(|k| (k as f64 / (d * n as f64)) as f32).collect();
    Ok(Tensor::from_vec(v))
}

/// Options of [`stft`] (MLX's keyword arguments and defaults).
#[derive(Debug, Clone)]
pub struct StftOptions {
    pub n_fft: usize,
    /// Default `n_fft / 4`.
    pub hop_length: Option<usize>,
    /// Default `n_fft` (ignored when `window` is given: its length counts).
    pub win_length: Option<usize>,
    /// One-dimensional; default a rectangular window of `win_length` ones.
    pub window: Option<Tensor>,
    pub center: bool,
    /// `"reflect"`, `"constant"` or `"edge"` (used when `center`).
    pub pad_mode: String,
    pub norm: FftNorm,
    /// Default: `true` for real input, `false` for complex.
    pub onesided: Option<bool>,
}

impl Default for StftOptions {
    fn default() -> Self {
        StftOptions {
            n_fft: 2048,
            hop_length: None,
            win_length: None,
            window: None,
            center: true,
            pad_mode: "reflect".into(),
            norm: FftNorm::Backward,
            onesided: None,
        }
    }
}

/// Options of [`istft`] (MLX's keyword arguments and defaults).
#[derive(Debug, Clone)]
pub struct IstftOptions {
    /// Default `2 (n_freq - 1)` when onesided, else `n_freq`.
    pub n_fft: Option<usize>,
    pub hop_length: Option<usize>,
    pub win_length: Option<usize>,
    pub window: Option<Tensor>,
    pub center: bool,
    pub norm: FftNorm,
    /// Default `true`.
    pub onesided: Option<bool>,
    /// Trim or zero-pad the output to this length.
    pub length: Option<usize>,
}

impl Default for IstftOptions {
    fn default() -> Self {
        IstftOptions {
            n_fft: None,
            hop_length: None,
            win_length: None,
            window: None,
            center: true,
            norm: FftNorm::Backward,
            onesided: None,
            length: None,
        }
    }
}

/// The window of length `n_fft`: the given one (or `win_length` ones) centered and zero-padded.
fn frame_window(op: &str, n_fft: usize, win_length: Option<usize>, window: Option<&Tensor>) -> Result<Tensor> {
    let w = match window {
        Some(w) => {
            if w.ndim() != 1 {
                return Err(Error::invalid(op, "window must be a one-dimensional array."));
            }
            w.clone()
        }
        None => {
            let wl = win_length.unwrap_or(n_fft);
            if wl == 0 {
                return Err(Error::invalid(op, "win_length must be positive."));
            }
            crate::ones(&[wl], Dtype::Float32)?
        }
    };
    let wl = w.shape()[0];
    if wl > n_fft {
        return Err(Error::invalid(op, "window length must not exceed n_fft."));
    }
    if wl == n_fft {
        return Ok(w);
    }
    let left = (n_fft - wl) / 2;
    crate::pad(&w, &[(left, n_fft - wl - left)], PadMode::Constant(Scalar::Int(0)))
}

fn hop_of(op: &str, n_fft: usize, hop: Option<usize>) -> Result<usize> {
    match hop.unwrap_or(n_fft / 4) {
        0 => Err(Error::invalid(op, "hop_length must be positive.")),
        h => Ok(h),
    }
}

/// `idx[f, k] = f * hop + k`: the positions of each frame's samples.
fn frame_indices(n_frames: usize, n_fft: usize, hop: usize) -> Result<Tensor> {
    let idx: Vec<i32> = (0..n_frames).flat_map(|f| (0..n_fft).map(move |k| (f * hop + k) as i32)).collect();
    Tensor::from_slice(&idx, &[n_frames, n_fft])
}

/// Short-time Fourier transform of the last axis (`mx.fft.stft`): frames of `n_fft` samples
/// every `hop_length`, windowed, transformed; output complex64 `(..., n_freq, n_frames)` with
/// `n_frames = 1 + (len - n_fft) / hop` (`len` after the `n_fft / 2` centering pad on each
/// side) and `n_freq = n_fft / 2 + 1` when onesided, else `n_fft`.
///
/// # Errors
/// `[stft]` for `n_fft == 0`, a zero hop, a 0-d input, a window that is not 1-D or is longer
/// than `n_fft`, an input shorter than `n_fft`; `[pad]` for an unknown pad mode.
pub fn stft(x: &Tensor, opts: &StftOptions) -> Result<Tensor> {
    let op = "stft";
    let n_fft = opts.n_fft;
    if n_fft == 0 {
        return Err(Error::invalid(op, "n_fft must be positive."));
    }
    let hop = hop_of(op, n_fft, opts.hop_length)?;
    if x.ndim() == 0 {
        return Err(Error::invalid(op, "Input must have at least one dimension."));
    }
    let window = frame_window(op, n_fft, opts.win_length, opts.window.as_ref())?;
    let mut y = x.clone();
    if opts.center {
        let mode = match opts.pad_mode.as_str() {
            "reflect" => PadMode::Reflect,
            "constant" => PadMode::Constant(Scalar::Int(0)),
            "edge" => PadMode::Edge,
            m => return Err(Error::invalid("pad", format!("Invalid padding mode ({m}) passed to pad"))),
        };
        let p = n_fft / 2;
        let mut widths = vec![(0, 0); y.ndim()];
        widths[y.ndim() - 1] = (p, p);
        y = crate::pad(&y, &widths, mode)?;
    }
    let len = y.shape()[y.ndim() - 1];
    if len < n_fft {
        return Err(Error::invalid(op, "Input is too short for the given n_fft."));
    }
    let n_frames = 1 + (len - n_fft) / hop;
    let frames = crate::take(&y, &frame_indices(n_frames, n_fft, hop)?, -1)?;
    let frames = multiply(&frames, &window)?;
    let onesided = opts.onesided.unwrap_or(!x.dtype().is_complex());
    let spec = if onesided {
        rfft(&frames, None, -1, opts.norm)?
    } else {
        fft(&frames, None, -1, opts.norm)?
    };
    crate::swapaxes(&spec, -1, -2)
}

/// Inverse short-time Fourier transform (`mx.fft.istft`): each frame's inverse transform,
/// windowed, overlap-added, divided by the overlap-added squared window (where it exceeds
/// 1e-11), the centering pad removed, then cut or zero-padded to `length`. Output float32
/// `(..., len)`; a two-sided input keeps the real part of its inverse.
///
/// # Errors
/// `[istft]` for fewer than two dimensions, no frames, `n_fft == 0`, a zero hop, or a bad window.
pub fn istft(s: &Tensor, opts: &IstftOptions) -> Result<Tensor> {
    let op = "istft";
    if s.ndim() < 2 {
        return Err(Error::invalid(op, "Input must have at least two dimensions (freq, frames)."));
    }
    let nd = s.ndim();
    let (n_freq, n_frames) = (s.shape()[nd - 2], s.shape()[nd - 1]);
    let onesided = opts.onesided.unwrap_or(true);
    let n_fft = opts.n_fft.unwrap_or(if onesided { n_freq.saturating_sub(1) * 2 } else { n_freq });
    if n_fft == 0 {
        return Err(Error::invalid(op, "n_fft must be positive."));
    }
    let hop = hop_of(op, n_fft, opts.hop_length)?;
    let window = astype(&frame_window(op, n_fft, opts.win_length, opts.window.as_ref())?, Dtype::Float32)?;
    if n_frames == 0 {
        return Err(Error::invalid(op, "Expected at least one frame."));
    }
    let frames = crate::swapaxes(s, -1, -2)?;
    let frames = if onesided {
        irfft(&frames, n_fft, -1, opts.norm)?
    } else {
        crate::real(&ifft(&frames, n_fft, -1, opts.norm)?)?
    };
    let frames = multiply(&frames, &window)?;
    // Overlap-add: scatter-add every frame sample to its position (duplicates accumulate).
    let total = n_fft + hop * (n_frames - 1);
    let idx = crate::reshape(&frame_indices(n_frames, n_fft, hop)?, &[-1])?;
    let batch = &frames.shape()[..frames.ndim() - 2];
    let mut flat_shape: Vec<i32> = batch.iter().map(|&d| d as i32).collect();
    flat_shape.push((n_frames * n_fft) as i32);
    let flat = crate::reshape(&frames, &flat_shape)?;
    let mut out_shape = batch.to_vec();
    out_shape.push(total);
    let y = crate::zeros(&out_shape, flat.dtype())?.at(vec![IndexItem::Ellipsis, IndexItem::Array(idx.clone())]).add(&flat)?;
    let w2 = crate::square(&window)?;
    let w2 = crate::reshape(&crate::broadcast_to(&w2, &[n_frames, n_fft])?, &[-1])?;
    let env = crate::zeros(&[total], Dtype::Float32)?.at(vec![IndexItem::Array(idx)]).add(&w2)?;
    let safe = crate::r#where(&crate::greater(&env, 1e-11f32)?, &env, 1.0f32)?;
    let mut y = crate::divide(&y, &safe)?;
    let last = (y.ndim() - 1) as i32;
    if opts.center {
        let start = n_fft / 2;
        let stop = if opts.length.is_some() { total } else { total - n_fft / 2 };
        y = slice_last(&y, start, stop.max(start))?;
    }
    if let Some(len) = opts.length {
        let have = y.shape()[last as usize];
        if len < have {
            y = slice_last(&y, 0, len)?;
        } else if len > have {
            let mut zs = y.shape().to_vec();
            zs[last as usize] = len - have;
            y = concatenate(&[y.clone(), crate::zeros(&zs, y.dtype())?], last)?;
        }
    }
    Ok(y)
}

/// `y[..., start:stop]`.
fn slice_last(y: &Tensor, start: usize, stop: usize) -> Result<Tensor> {
    let n = y.ndim();
    let mut st = vec![0i64; n];
    let mut sp: Vec<i64> = y.shape().iter().map(|&d| d as i64).collect();
    st[n - 1] = start as i64;
    sp[n - 1] = stop as i64;
    crate::slice(y, &st, &sp, &vec![1; n])
}
