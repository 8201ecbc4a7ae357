//! `optim.Muon` (MLX 0.32): momentum SGD whose update of each matrix parameter is replaced by
//! its nearest semi-orthogonal matrix, approximated with Newton-Schulz iterations
//! ("MomentUm Orthogonalized by Newton-Schulz", Keller Jordan's formulation).
//!
//! Invariants (MLX's `Muon.apply_single`, same order of operations):
//! - slot `v` (momentum buffer), zeros at first; `g += weight_decay * p` first (L2 penalty);
//!   `v = momentum * v + (1 - momentum) * g`; the update is `g * (1 - momentum) + v * momentum`
//!   with `nesterov`, else `v`.
//! - Parameters with `ndim >= 2` orthogonalize the update: flattened to `(shape[0], -1)`,
//!   transposed when taller than wide, divided by `(‖X‖_F + 1e-7)`, then `ns_steps` times
//!   `A = X Xᵀ; B = c A A + b A; X = B X + a X` with `(a, b, c) = (3.4445, -4.7750, 2.0315)`;
//!   the learning rate is scaled by `sqrt(max(1, shape[-2] / shape[-1]))` of the parameter's
//!   own shape. 0-d and 1-d parameters take the momentum update as is.

use std::collections::BTreeMap;

use mlx_core::{self as mx, Axes, Result, Tensor};

use crate::optimizers::{lr_of, slot, zeros_slots, Base, Ctx, LearningRate, Rule};

/// MLX's quintic Newton-Schulz coefficients.
const NS_COEFFS: (f32, f32, f32) = (3.4445, -4.7750, 2.0315);

/// `optim.Muon(learning_rate, momentum=0.95, weight_decay=0.01, nesterov=True, ns_steps=5)`.
#[derive(Clone)]
pub struct Muon {
    pub base: Base,
    pub momentum: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub ns_steps: usize,
}

impl Muon {
    /// With MLX's defaults.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Muon { base: Base::new(learning_rate), momentum: 0.95, weight_decay: 0.01, nesterov: true, ns_steps: 5 }
    }
}

/// The semi-orthogonal approximation of a 2-D `x` (MLX's `_zeropower_via_newtonschulz5`).
fn newton_schulz5(x: &Tensor, steps: usize) -> Result<Tensor> {
    let (a, b, c) = NS_COEFFS;
    let transpose = x.shape()[0] > x.shape()[1];
    let mut x = if transpose { mx::transpose(x, [1, 0])? } else { x.clone() };
    // mx.linalg.norm(X, keepdims=True): the Frobenius norm as a (1, 1) array.
    let norm = mx::sqrt(&mx::sum(&mx::square(&x)?, Axes::All, true)?)?;
    x = mx::divide(&x, &mx::add(&norm, 1e-7)?)?;
    for _ in 0..steps {
        let at = mx::matmul(&x, &mx::transpose(&x, [1, 0])?)?;
        let bm = mx::addmm(&mx::multiply(&at, b as f64)?, &at, &at, c, 1.0)?;
        x = mx::addmm(&mx::multiply(&x, a as f64)?, &bm, &x, 1.0, 1.0)?;
    }
    if transpose {
        x = mx::transpose(&x, [1, 0])?;
    }
    Ok(x)
}

impl Rule for Muon {
    fn base(&self) -> &Base {
        &self.base
    }
    fn base_mut(&mut self) -> &mut Base {
        &mut self.base
    }
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let mut g = g.clone();
        if self.weight_decay != 0.0 {
            g = mx::add(&g, &mx::multiply(p, self.weight_decay)?)?;
        }
        let m = self.momentum;
        let v = mx::add(&mx::multiply(&slot(s, "v")?, m)?, &mx::multiply(&g, 1.0 - m)?)?;
        s.insert("v".into(), v.clone());
        let mut update = if self.nesterov { mx::add(&mx::multiply(&g, 1.0 - m)?, &mx::multiply(&v, m)?)? } else { v };
        let mut lr = lr_of(ctx, &g)?;
        if update.ndim() >= 2 {
            let shape = update.shape().to_vec();
            let flat = mx::reshape(&update, &[shape[0] as i32, -1])?;
            update = mx::reshape(&newton_schulz5(&flat, self.ns_steps)?, &shape.iter().map(|&d| d as i32).collect::<Vec<_>>())?;
            let (rows, cols) = (shape[shape.len() - 2] as f64, shape[shape.len() - 1] as f64);
            lr = mx::multiply(&lr, (rows / cols).max(1.0).sqrt())?;
        }
        mx::subtract(p, &mx::multiply(&lr, &update)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After enough iterations the singular values of the result are near 1 (MLX's quintic
    /// converges to roughly [0.7, 1.2], not exactly 1): X Xᵀ is close to the identity.
    #[test]
    fn newton_schulz_orthogonalizes() {
        let x = mx::random::normal(&[4, 7], mx::Dtype::Float32, 0.0, 1.0, Some(&mx::random::key(3))).unwrap();
        let o = newton_schulz5(&x, 10).unwrap();
        let gram = mx::matmul(&o, &mx::transpose(&o, [1, 0]).unwrap()).unwrap().to_vec::<f32>().unwrap();
        for i in 0..4 {
            assert!((0.4..1.5).contains(&gram[i * 4 + i]), "diagonal {i}: {}", gram[i * 4 + i]);
            for j in 0..4 {
                if i != j {
                    assert!(gram[i * 4 + j].abs() < 0.35, "off-diagonal ({i}, {j}): {}", gram[i * 4 + j]);
                }
            }
        }
        // A tall matrix is handled through its transpose: the same shape comes back.
        let t = newton_schulz5(&mx::transpose(&x, [1, 0]).unwrap(), 5).unwrap();
        assert_eq!(t.shape(), &[7, 4]);
    }
}
