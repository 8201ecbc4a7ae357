//! Loss functions (MLX's `nn.losses`), with MLX's argument order, defaults (documented per
//! function; several default to no reduction) and formulas.
//!
//! Invariant: every loss computes the elementwise loss first, then applies [`Reduction`].
//! Shape mismatches MLX rejects are `[loss_name]` errors naming the shapes.

use mlx_core::{self as mx, Axes, Error, Result, Tensor};

use crate::math;

/// How a loss reduces its elementwise values (`reduction="none" | "mean" | "sum"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    None,
    Mean,
    Sum,
}

impl Reduction {
    pub fn apply(self, loss: Tensor) -> Result<Tensor> {
        match self {
            Reduction::None => Ok(loss),
            Reduction::Mean => mx::mean(&loss, Axes::All, false),
            Reduction::Sum => mx::sum(&loss, Axes::All, false),
        }
    }
}

fn same_shape(op: &str, a: &Tensor, b: &Tensor, what: &str) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::invalid(op, format!("{what} shape {:?} does not match {:?}.", b.shape(), a.shape())));
    }
    Ok(())
}

fn norm_axis(op: &str, axis: i32, ndim: usize) -> Result<usize> {
    let a = if axis < 0 { axis + ndim as i32 } else { axis };
    if a < 0 || a as usize >= ndim {
        return Err(Error::invalid(op, format!("Invalid axis {axis} for array with {ndim} dimensions.")));
    }
    Ok(a as usize)
}

/// `take_along_axis(x, expand_dims(idx, axis), axis).squeeze(axis)`, MLX's formula: a gather
/// (memory O(n), not O(n * classes) like a one-hot contraction), differentiable in `x`.
pub(crate) fn pick(x: &Tensor, idx: &Tensor, axis: usize) -> Result<Tensor> {
    let idx = mx::expand_dims(idx, axis as i32)?;
    mx::squeeze(&mx::take_along_axis(x, &idx, axis as i32)?, axis as i32)
}

/// Cross entropy (`nn.losses.cross_entropy`, default `reduction=None`). `targets` are class
/// indices (shape of `logits` without `axis`) or probabilities (shape of `logits`).
/// `label_smoothing` in `[0, 1)`; `weights` multiply the per-example loss.
///
/// # Errors
/// `[cross_entropy]` for a bad label smoothing, mismatched target or weight shapes.
pub fn cross_entropy(
    logits: &Tensor,
    targets: &Tensor,
    weights: Option<&Tensor>,
    axis: i32,
    label_smoothing: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    let op = "cross_entropy";
    if !(0.0..1.0).contains(&label_smoothing) {
        return Err(Error::invalid(op, format!("Label smoothing must be in [0, 1), got {label_smoothing}.")));
    }
    let ax = norm_axis(op, axis, logits.ndim())?;
    let as_probs = targets.ndim() == logits.ndim();
    let mut dropped = logits.shape().to_vec();
    dropped.remove(ax);
    if (as_probs && targets.shape() != logits.shape()) || (!as_probs && targets.shape() != dropped.as_slice()) {
        return Err(Error::invalid(op, format!("Targets shape {:?} does not match logits shape {:?}.", targets.shape(), logits.shape())));
    }
    let logits = mx::subtract(logits, &mx::stop_gradient(&mx::max(logits, axis, true)?)?)?;
    let score = if as_probs { mx::sum(&mx::multiply(&logits, targets)?, axis, false)? } else { pick(&logits, targets, ax)? };
    let lse = mx::logsumexp(&logits, axis, false)?;
    let mut loss = if label_smoothing > 0.0 {
        let adjusted = mx::multiply(&score, 1.0 - label_smoothing)?;
        let smoothed = mx::multiply(&mx::negative(&mx::mean(&logits, axis, false)?)?, label_smoothing)?;
        mx::add(&mx::subtract(&lse, &adjusted)?, &smoothed)?
    } else {
        mx::subtract(&lse, &score)?
    };
    if let Some(w) = weights {
        if w.shape() != loss.shape() {
            return Err(Error::invalid(op, format!("Weights with shape {:?} is not the same as output loss with shape {:?}.", w.shape(), loss.shape())));
        }
        loss = mx::multiply(&loss, w)?;
    }
    reduction.apply(loss)
}

/// Binary cross entropy (`nn.losses.binary_cross_entropy`, default `reduction=Mean`). With
/// `with_logits` the inputs are logits (`logaddexp(0, x) - x * t`); otherwise probabilities,
/// with the logs clamped at -100 like PyTorch and MLX.
pub fn binary_cross_entropy(
    inputs: &Tensor,
    targets: &Tensor,
    weights: Option<&Tensor>,
    with_logits: bool,
    reduction: Reduction,
) -> Result<Tensor> {
    let op = "binary_cross_entropy";
    same_shape(op, inputs, targets, "Targets")?;
    let mut loss = if with_logits {
        mx::subtract(&math::logaddexp(inputs, 0.0)?, &mx::multiply(inputs, targets)?)?
    } else {
        let log_p = mx::maximum(&mx::log(inputs)?, -100.0)?;
        let log_1p = mx::maximum(&mx::log(&mx::subtract(1.0, inputs)?)?, -100.0)?;
        mx::negative(&mx::add(&mx::multiply(targets, &log_p)?, &mx::multiply(&mx::subtract(1.0, targets)?, &log_1p)?)?)?
    };
    if let Some(w) = weights {
        if w.shape() != loss.shape() {
            return Err(Error::invalid(op, format!("Weights with shape {:?} is not the same as output loss with shape {:?}.", w.shape(), loss.shape())));
        }
        loss = mx::multiply(&loss, w)?;
    }
    reduction.apply(loss)
}

/// Mean absolute error (`nn.losses.l1_loss`, default `Mean`).
pub fn l1_loss(predictions: &Tensor, targets: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shape("l1_loss", predictions, targets, "Targets")?;
    reduction.apply(mx::abs(&mx::subtract(predictions, targets)?)?)
}

/// Mean squared error (`nn.losses.mse_loss`, default `Mean`).
pub fn mse_loss(predictions: &Tensor, targets: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shape("mse_loss", predictions, targets, "Targets")?;
    reduction.apply(mx::square(&mx::subtract(predictions, targets)?)?)
}

/// Negative log likelihood of log-probabilities (`nn.losses.nll_loss`, default `None`).
pub fn nll_loss(inputs: &Tensor, targets: &Tensor, axis: i32, reduction: Reduction) -> Result<Tensor> {
    let ax = norm_axis("nll_loss", axis, inputs.ndim())?;
    reduction.apply(mx::negative(&pick(inputs, targets, ax)?)?)
}

/// Gaussian negative log likelihood (`nn.losses.gaussian_nll_loss`, default `Mean`):
/// `0.5 * (log(max(vars, eps)) + (targets - inputs)^2 / max(vars, eps))` (+ `0.5 log(2 pi)`
/// when `full`).
pub fn gaussian_nll_loss(inputs: &Tensor, targets: &Tensor, vars: &Tensor, full: bool, eps: f64, reduction: Reduction) -> Result<Tensor> {
    let op = "gaussian_nll_loss";
    same_shape(op, inputs, targets, "Targets")?;
    same_shape(op, inputs, vars, "Variance")?;
    let vars = mx::maximum(vars, eps)?;
    let mut loss = mx::multiply(&mx::add(&mx::log(&vars)?, &mx::divide(&mx::square(&mx::subtract(targets, inputs)?)?, &vars)?)?, 0.5)?;
    if full {
        loss = mx::add(&loss, 0.5 * (2.0 * std::f64::consts::PI).ln())?;
    }
    reduction.apply(loss)
}

/// Kullback-Leibler divergence of log-probabilities (`nn.losses.kl_div_loss`, default `None`):
/// `sum(exp(targets) * (targets - inputs), axis)`.
pub fn kl_div_loss(inputs: &Tensor, targets: &Tensor, axis: i32, reduction: Reduction) -> Result<Tensor> {
    reduction.apply(mx::sum(&mx::multiply(&mx::exp(targets)?, &mx::subtract(targets, inputs)?)?, axis, false)?)
}

/// Smooth L1 (`nn.losses.smooth_l1_loss`, default `Mean`): `0.5 d^2 / beta` where
/// `d = |p - t| < beta`, else `d - 0.5 beta`.
pub fn smooth_l1_loss(predictions: &Tensor, targets: &Tensor, beta: f64, reduction: Reduction) -> Result<Tensor> {
    same_shape("smooth_l1_loss", predictions, targets, "Targets")?;
    let diff = mx::abs(&mx::subtract(predictions, targets)?)?;
    let quad = mx::divide(&mx::multiply(&mx::square(&diff)?, 0.5)?, beta)?;
    let lin = mx::subtract(&diff, 0.5 * beta)?;
    reduction.apply(mx::r#where(&mx::less(&diff, beta)?, &quad, &lin)?)
}

/// Triplet margin loss (`nn.losses.triplet_loss`, default `None`):
/// `max(sqrt(sum((a-p)^p_norm) + eps) - sqrt(sum((a-n)^p_norm) + eps) + margin, 0)`.
/// `p_norm` is an integer (MLX's default 2).
pub fn triplet_loss(
    anchors: &Tensor,
    positives: &Tensor,
    negatives: &Tensor,
    axis: i32,
    p: u32,
    margin: f64,
    eps: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    let dist = |b: &Tensor| -> Result<Tensor> {
        mx::sqrt(&mx::add(&mx::sum(&math::int_power(&mx::subtract(anchors, b)?, p)?, axis, false)?, eps)?)
    };
    let loss = mx::maximum(&mx::add(&mx::subtract(&dist(positives)?, &dist(negatives)?)?, margin)?, 0.0)?;
    reduction.apply(loss)
}

/// Hinge loss (`nn.losses.hinge_loss`, default `None`): `max(1 - inputs * targets, 0)`.
pub fn hinge_loss(inputs: &Tensor, targets: &Tensor, reduction: Reduction) -> Result<Tensor> {
    reduction.apply(mx::maximum(&mx::subtract(1.0, &mx::multiply(inputs, targets)?)?, 0.0)?)
}

/// Huber loss (`nn.losses.huber_loss`, default `None`): quadratic within `delta`, linear out.
pub fn huber_loss(inputs: &Tensor, targets: &Tensor, delta: f64, reduction: Reduction) -> Result<Tensor> {
    let abs_err = mx::abs(&mx::subtract(inputs, targets)?)?;
    let quad = mx::minimum(&abs_err, delta)?;
    let lin = mx::subtract(&abs_err, &quad)?;
    reduction.apply(mx::add(&mx::multiply(&mx::square(&quad)?, 0.5)?, &mx::multiply(&lin, delta)?)?)
}

/// Log-cosh loss (`nn.losses.log_cosh_loss`, default `None`): `logaddexp(e, -e) - log 2`.
pub fn log_cosh_loss(inputs: &Tensor, targets: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let e = mx::subtract(inputs, targets)?;
    reduction.apply(mx::subtract(&math::logaddexp(&e, &mx::negative(&e)?)?, std::f64::consts::LN_2)?)
}

/// Cosine similarity (`nn.losses.cosine_similarity_loss`, default `axis=1`, `eps=1e-8`,
/// `None`): `sum(x1 x2) / max(|x1| |x2|, eps)`.
pub fn cosine_similarity_loss(x1: &Tensor, x2: &Tensor, axis: i32, eps: f64, reduction: Reduction) -> Result<Tensor> {
    let n1 = mx::sqrt(&mx::sum(&mx::square(x1)?, axis, false)?)?;
    let n2 = mx::sqrt(&mx::sum(&mx::square(x2)?, axis, false)?)?;
    let num = mx::sum(&mx::multiply(x1, x2)?, axis, false)?;
    reduction.apply(mx::divide(&num, &mx::maximum(&mx::multiply(&n1, &n2)?, eps)?)?)
}

/// Margin ranking loss (`nn.losses.margin_ranking_loss`, default `None`):
/// `max(0, -targets * (inputs1 - inputs2) + margin)`.
pub fn margin_ranking_loss(inputs1: &Tensor, inputs2: &Tensor, targets: &Tensor, margin: f64, reduction: Reduction) -> Result<Tensor> {
    let op = "margin_ranking_loss";
    same_shape(op, inputs1, inputs2, "inputs2")?;
    same_shape(op, inputs1, targets, "Targets")?;
    let d = mx::subtract(inputs1, inputs2)?;
    reduction.apply(mx::maximum(&mx::add(&mx::negative(&mx::multiply(targets, &d)?)?, margin)?, 0.0)?)
}
