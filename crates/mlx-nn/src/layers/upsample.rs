//! `Upsample` (MLX's `nn.Upsample`): modes nearest, linear and cubic over any number of spatial
//! axes of a channels-last `(N, *spatial, C)` input, with `align_corners`.
//!
//! Sampling positions and weights are computed on the host in float32 with exactly MLX's
//! sequence of float32 operations (MLX builds them as float32 arrays: `arange(M) * step -
//! start`, clip, floor/ceil, the cubic kernel with `a = -0.75`), so the taps and weights are
//! bit-identical to MLX's; the input is then sampled with `take` per axis and combined in
//! MLX's order. Like MLX the weights are float32 arrays, so a half-precision input gives a
//! float32 output. Linear without `align_corners` is separable (one axis at a time, MLX's
//! `_interpolate_separable`); linear with `align_corners` and cubic sum over every
//! combination of per-axis taps (MLX's `_interpolate`). Antialiasing is not implemented.
//! Every op used has a gradient rule, so gradients flow to the input.

use mlx_core::{self as mx, Error, Result, Tensor};

use crate::module::{ModuleState, UnaryModule};

/// The interpolation of [`Upsample`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsampleMode {
    Nearest,
    Linear,
    Cubic,
}

impl std::str::FromStr for UpsampleMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "nearest" => Ok(UpsampleMode::Nearest),
            "linear" => Ok(UpsampleMode::Linear),
            "cubic" => Ok(UpsampleMode::Cubic),
            _ => Err(Error::invalid("Upsample", format!("Got unsupported upsampling algorithm: {s}"))),
        }
    }
}

/// `nn.Upsample(scale_factor, mode="nearest", align_corners=False)`.
#[derive(Debug, Clone)]
pub struct Upsample {
    pub state: ModuleState,
    /// One scale for every spatial axis (length 1) or one per axis.
    pub scale_factor: Vec<f64>,
    pub mode: UpsampleMode,
    pub align_corners: bool,
}
crate::module_fields!(Upsample {});

impl Upsample {
    /// Nearest-neighbour upsampling by integer factors (one for all axes, or one per axis).
    ///
    /// # Errors
    /// `[Upsample]` for an empty list or a zero scale.
    pub fn new(scale_factor: &[usize]) -> Result<Self> {
        let s: Vec<f64> = scale_factor.iter().map(|&v| v as f64).collect();
        Self::with_mode(&s, UpsampleMode::Nearest, false)
    }

    /// Any mode and (positive, possibly fractional) scales.
    ///
    /// # Errors
    /// `[Upsample]` for an empty list or a scale that is not positive and finite.
    pub fn with_mode(scale_factor: &[f64], mode: UpsampleMode, align_corners: bool) -> Result<Self> {
        if scale_factor.is_empty() || scale_factor.iter().any(|&s| !(s > 0.0 && s.is_finite())) {
            return Err(Error::invalid("Upsample", format!("Invalid scale factor {scale_factor:?}.")));
        }
        Ok(Upsample { state: ModuleState::default(), scale_factor: scale_factor.to_vec(), mode, align_corners })
    }
}

/// A sampling tap along one axis: source indices and (for linear/cubic) their weights.
struct Tap {
    idx: Vec<u32>,
    w: Vec<f32>,
}

/// MLX's `_scaled_indices`: float32 source positions of the `M = int(scale * N)` outputs.
fn scaled_indices(n: usize, scale: f64, align_corners: bool) -> Vec<f32> {
    let m = (scale * n as f64) as usize;
    if align_corners {
        let step = ((n as f64 - 1.0) / (m.max(2) - 1) as f64) as f32;
        (0..m).map(|i| i as f32 * step).collect()
    } else {
        let step = 1.0 / scale;
        let start = ((m as f64 - 1.0) * step - n as f64 + 1.0) / 2.0;
        let (step, start) = (step as f32, start as f32);
        (0..m).map(|i| i as f32 * step - start).collect()
    }
}

/// MLX's `_nearest_indices` (fractional scales).
fn nearest_taps(n: usize, scale: f64) -> Tap {
    let m = (scale * n as f64) as usize;
    let ratio = (n as f64 / m as f64) as f32;
    let idx = (0..m)
        .map(|i| {
            let f = i as f32;
            let v = if m > n { ((f + 0.5) * ratio - 0.5).round_ties_even() } else { f * ratio };
            v as u32
        })
        .collect();
    Tap { idx, w: vec![] }
}

/// MLX's `_linear_indices`: (floor, 1 - frac) and (ceil, frac) of the clipped positions.
fn linear_taps(n: usize, scale: f64, align_corners: bool) -> Vec<Tap> {
    let pos: Vec<f32> = scaled_indices(n, scale, align_corners).into_iter().map(|p| p.max(0.0).min((n - 1) as f32)).collect();
    let frac: Vec<f32> = pos.iter().map(|p| p - p.floor()).collect();
    vec![
        Tap { idx: pos.iter().map(|p| p.floor() as u32).collect(), w: frac.iter().map(|f| 1.0 - f).collect() },
        Tap { idx: pos.iter().map(|p| p.ceil() as u32).collect(), w: frac },
    ]
}

/// MLX's `_cubic_indices`: taps floor, floor+1, floor-1, floor+2 (in that order) with the
/// Keys kernel (`a = -0.75`) of the unclipped distance; indices clipped to the border.
fn cubic_taps(n: usize, scale: f64, align_corners: bool) -> Vec<Tap> {
    let pos = scaled_indices(n, scale, align_corners);
    let a = -0.75f32;
    let near = |x: f32| ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    let far = |x: f32| (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    let clip = |g: f32| g.max(0.0).min((n - 1) as f32) as u32;
    let grid = |k: usize, p: f32| -> f32 {
        let l1 = p.floor();
        let r1 = (p + 1.0).floor();
        match k {
            0 => l1,
            1 => r1,
            2 => l1 - 1.0,
            _ => r1 + 1.0,
        }
    };
    (0..4)
        .map(|k| Tap {
            idx: pos.iter().map(|&p| clip(grid(k, p))).collect(),
            w: pos.iter().map(|&p| if k < 2 { near((p - grid(k, p)).abs()) } else { far((p - grid(k, p)).abs()) }).collect(),
        })
        .collect()
}

fn take_axis(x: &Tensor, idx: &[u32], axis: usize) -> Result<Tensor> {
    mx::take(x, &Tensor::from_slice(idx, &[idx.len()])?, axis as i32)
}

/// Weights along spatial axis `axis` (of `dims`) shaped to broadcast against `(N, *S, C)`.
fn axis_weights(w: &[f32], axis: usize, dims: usize) -> Result<Tensor> {
    let mut shape = vec![1usize; dims + 1];
    shape[axis] = w.len();
    Tensor::from_slice(w, &shape)
}

impl UnaryModule for Upsample {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.ndim() < 3 {
            return Err(Error::invalid(
                "Upsample",
                format!(
                    "The input should have at least 1 spatial dimension which means it should be at least 3D but {}D was provided",
                    x.ndim()
                ),
            ));
        }
        let dims = x.ndim() - 2;
        let scales = if self.scale_factor.len() == 1 { vec![self.scale_factor[0]; dims] } else { self.scale_factor.clone() };
        if scales.len() != dims {
            return Err(Error::invalid(
                "Upsample",
                format!(
                    "One scale per spatial dimension is required but scale_factor={:?} and the number of spatial dimensions were {dims}",
                    self.scale_factor
                ),
            ));
        }
        let sp = x.shape()[1..=dims].to_vec();
        match self.mode {
            UpsampleMode::Nearest if scales.iter().all(|s| s.fract() == 0.0) => repeat_nearest(x, &scales),
            UpsampleMode::Nearest => {
                let mut y = x.clone();
                for (i, (&n, &s)) in sp.iter().zip(&scales).enumerate() {
                    y = take_axis(&y, &nearest_taps(n, s).idx, i + 1)?;
                }
                Ok(y)
            }
            UpsampleMode::Linear if !self.align_corners => {
                // Separable: out = take(l) * (1 - w) + take(r) * w, one axis at a time.
                let mut y = x.clone();
                for (i, (&n, &s)) in sp.iter().zip(&scales).enumerate() {
                    let mut acc: Option<Tensor> = None;
                    for t in linear_taps(n, s, false) {
                        let term = mx::multiply(&take_axis(&y, &t.idx, i + 1)?, &axis_weights(&t.w, i, dims)?)?;
                        acc = Some(match acc {
                            None => term,
                            Some(a) => mx::add(&a, &term)?,
                        });
                    }
                    y = acc.ok_or_else(|| Error::invalid("Upsample", "no taps"))?;
                }
                Ok(y)
            }
            UpsampleMode::Linear | UpsampleMode::Cubic => {
                let per_axis: Vec<Vec<Tap>> = sp
                    .iter()
                    .zip(&scales)
                    .map(|(&n, &s)| if self.mode == UpsampleMode::Linear { linear_taps(n, s, true) } else { cubic_taps(n, s, self.align_corners) })
                    .collect();
                product_interpolate(x, &per_axis)
            }
        }
    }
}

/// MLX's `_interpolate`: the sum over every combination of one tap per axis (first axis
/// slowest) of `w_1 * ... * w_d * x[:, idx_1, ..., idx_d]`.
fn product_interpolate(x: &Tensor, per_axis: &[Vec<Tap>]) -> Result<Tensor> {
    let dims = per_axis.len();
    let counts: Vec<usize> = per_axis.iter().map(|t| t.len()).collect();
    let total: usize = counts.iter().product();
    let mut acc: Option<Tensor> = None;
    for c in 0..total {
        let mut rem = c;
        let mut pick = vec![0; dims];
        for i in (0..dims).rev() {
            pick[i] = rem % counts[i];
            rem /= counts[i];
        }
        let mut sample = x.clone();
        let mut weight: Option<Tensor> = None;
        for i in 0..dims {
            let t = &per_axis[i][pick[i]];
            sample = take_axis(&sample, &t.idx, i + 1)?;
            let w = axis_weights(&t.w, i, dims)?;
            weight = Some(match weight {
                None => w,
                Some(acc_w) => mx::multiply(&acc_w, &w)?,
            });
        }
        let term = match weight {
            Some(w) => mx::multiply(&w, &sample)?,
            None => sample,
        };
        acc = Some(match acc {
            None => term,
            Some(a) => mx::add(&a, &term)?,
        });
    }
    acc.ok_or_else(|| Error::invalid("Upsample", "no taps"))
}

/// Integer scales: every position repeated `scale` times (expand, broadcast, reshape).
fn repeat_nearest(x: &Tensor, scales: &[f64]) -> Result<Tensor> {
    let mut y = x.clone();
    for (i, &s) in scales.iter().enumerate() {
        let s = s as usize;
        let ax = i + 1;
        let mut shape = y.shape().to_vec();
        let e = mx::expand_dims(&y, (ax + 1) as i32)?;
        let mut b = e.shape().to_vec();
        b[ax + 1] = s;
        let e = mx::broadcast_to(&e, &b)?;
        shape[ax] *= s;
        y = mx::reshape(&e, &shape.iter().map(|&d| d as i32).collect::<Vec<_>>())?;
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_align_corners_matches_mlx_docstring() {
        // MLX's docstring example: [[1, 2], [3, 4]] upsampled x2, linear, align_corners=True.
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[1, 2, 2, 1]).unwrap();
        let y = Upsample::with_mode(&[2.0], UpsampleMode::Linear, true).unwrap().forward(&x).unwrap();
        let v = y.to_vec::<f32>().unwrap();
        let want = [1.0, 1.33333, 1.66667, 2.0, 1.66667, 2.0, 2.33333, 2.66667];
        for (a, b) in v.iter().zip(want) {
            assert!((a - b).abs() < 1e-4, "{v:?}");
        }
        let y = Upsample::with_mode(&[2.0], UpsampleMode::Linear, false).unwrap().forward(&x).unwrap();
        assert_eq!(&y.to_vec::<f32>().unwrap()[..4], &[1.0, 1.25, 1.75, 2.0]);
        assert!("bilinear".parse::<UpsampleMode>().is_err());
        assert!(Upsample::with_mode(&[0.0], UpsampleMode::Cubic, false).is_err());
    }
}
