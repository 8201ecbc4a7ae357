//! Choosing the next token from logits: greedy (`temp == 0`, the argmax) or temperature with
//! nucleus (top-p) filtering, drawn with MLX's key-based random numbers.
//!
//! Top-p keeps the smallest set of most probable tokens whose probabilities (after the
//! temperature) sum to at least `top_p` (the token that crosses the threshold is kept, so at
//! least one token always survives), sets the other logits to `-inf`, and samples
//! `categorical(logits / temp)`. Invariant: a [`Sampler`] built with the same seed draws the same
//! tokens from the same logits; each draw splits the key (`mx.random.split`) and uses the
//! second half, as MLX's key sequence does.

use mlx_core::{self as mx, random, Error, Result, Tensor};

const OP: &str = "sampler";

/// Next-token sampling state (see the module docs).
pub struct Sampler {
    temp: f32,
    top_p: f32,
    key: Tensor,
}

impl Sampler {
    /// Always the most probable token.
    pub fn greedy() -> Sampler {
        Sampler { temp: 0.0, top_p: 1.0, key: random::key(0) }
    }

    /// Samples at temperature `temp` (0 is greedy) from the top-`top_p` nucleus, seeded.
    ///
    /// # Errors
    /// `[sampler]` for a negative or non-finite temperature, or `top_p` outside `(0, 1]`.
    pub fn new(temp: f32, top_p: f32, seed: u64) -> Result<Sampler> {
        if !(temp.is_finite() && temp >= 0.0) {
            return Err(Error::invalid(OP, format!("The temperature must be finite and >= 0, got {temp}.")));
        }
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(Error::invalid(OP, format!("top_p must be in (0, 1], got {top_p}.")));
        }
        Ok(Sampler { temp, top_p, key: random::key(seed) })
    }

    /// The next token from `logits` (any shape with `vocab` elements, e.g. `(1, vocab)`).
    ///
    /// # Errors
    /// Evaluation errors of `logits`.
    pub fn sample(&mut self, logits: &Tensor) -> Result<u32> {
        let flat = mx::reshape(logits, &[-1])?;
        if self.temp == 0.0 {
            return mx::argmax(&flat, 0, false)?.item::<u32>();
        }
        let scaled: Vec<f32> = mx::astype(&flat, mx::Dtype::Float32)?.to_vec::<f32>()?.iter().map(|&v| v / self.temp).collect();
        let masked = if self.top_p < 1.0 { nucleus(&scaled, self.top_p) } else { scaled };
        let keys = random::split(&self.key, 2)?.to_vec::<u32>()?;
        self.key = Tensor::from_slice(&keys[..2], &[2])?;
        let sub = Tensor::from_slice(&keys[2..], &[2])?;
        let n = masked.len();
        random::categorical(&Tensor::from_slice(&masked, &[n])?, 0, random::Samples::One, Some(&sub))?.item::<u32>()
    }
}

/// `logits` with every token outside the top-`p` nucleus set to `-inf`.
fn nucleus(logits: &[f32], p: f32) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let probs: Vec<f64> = logits.iter().map(|&v| ((v - max) as f64).exp()).collect();
    let total: f64 = probs.iter().sum();
    let mut order: Vec<usize> = (0..logits.len()).collect();
    // Most probable first; ties by id so the kept set does not depend on the sort.
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    let mut out = vec![f32::NEG_INFINITY; logits.len()];
    let mut cum = 0.0;
    for &i in &order {
        out[i] = logits[i];
        cum += probs[i] / total;
        if cum >= p as f64 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nucleus_keeps_the_smallest_covering_set() {
        // softmax of ln([0.5, 0.3, 0.15, 0.05]) is those probabilities.
        let l: Vec<f32> = [0.5f32, 0.3, 0.15, 0.05].iter().map(|p| p.ln()).collect();
        let kept = |p| nucleus(&l, p).iter().filter(|v| v.is_finite()).count();
        assert_eq!(kept(0.4), 1);
        assert_eq!(kept(0.75), 2);
        assert_eq!(kept(0.85), 3);
        assert_eq!(kept(1.0), 4);
    }

    #[test]
    fn greedy_takes_the_argmax_and_sampling_is_seeded() {
        let logits = Tensor::from_slice(&[0.0f32, 3.0, 1.0, 2.9], &[1, 4]).unwrap();
        assert_eq!(Sampler::greedy().sample(&logits).unwrap(), 1);
        let draw = |seed| {
            let mut s = Sampler::new(1.0, 1.0, seed).unwrap();
            (0..20).map(|_| s.sample(&logits).unwrap()).collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7));
        // Tokens 1 and 3 hold ~90% of the mass: both appear, the others rarely.
        assert!(a.contains(&1) && a.contains(&3), "{a:?}");
        // A tight nucleus leaves only the top token.
        let mut s = Sampler::new(1.0, 0.3, 3).unwrap();
        assert!((0..10).all(|_| s.sample(&logits).unwrap() == 1));
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Sampler::new(-1.0, 0.9, 0).is_err());
        assert!(Sampler::new(f32::NAN, 0.9, 0).is_err());
        assert!(Sampler::new(0.7, 0.0, 0).is_err());
        assert!(Sampler::new(0.7, 1.5, 0).is_err());
    }
}
