//! The main job: train a multi-layer perceptron on handwritten digits and report its test
//! accuracy, the way MLX's `mnist` example does (MLP, cross entropy, SGD-family optimizer).
//!
//! Run: `cargo run --release -p mlx --example mnist_digits`
//!
//! Data: scikit-learn's digits (1797 8x8 images, pixel values 0..16), committed in
//! `data/digits.npz` (see `data/README.md`); a fixed shuffle puts 1437 images in the training
//! set and 360 in the test set. Model: 64 -> 128 -> 128 -> 10 with ReLU, Adam (lr 1e-3), batch 32,
//! 20 epochs. `tools/mnist_digits_mlx.py` trains the same model with real MLX for comparison:
//! with the same seed both start from the same weights (`mlx_core::random` is MLX's threefry)
//! and see the same batches, and both reach 97.77% test accuracy.

use std::io::Write;
use std::time::Instant;

use mlx::core as mx;
use mlx::nn::{self, Module, UnaryModule};
use mlx::optim::{self, Optimizer};
use mlx::prelude::*;

const HIDDEN: usize = 128;
const EPOCHS: usize = 20;
const BATCH: usize = 32;
const LR: f64 = 1e-3;

#[path = "common/shuffle.rs"]
mod shuffle;
use shuffle::Rng;

/// Images (scaled to [0, 1]) and labels of the examples `idx`, as tensors.
fn batch(images: &[u8], labels: &[u8], idx: &[usize]) -> Result<(Tensor, Tensor)> {
    let mut x = Vec::with_capacity(idx.len() * 64);
    let mut y = Vec::with_capacity(idx.len());
    for &i in idx {
        x.extend(images[i * 64..(i + 1) * 64].iter().map(|&p| p as f32 / 16.0));
        y.push(labels[i] as i32);
    }
    Ok((Tensor::from_slice(&x, &[idx.len(), 64])?, Tensor::from_slice(&y, &[idx.len()])?))
}

fn main() -> Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.npz");
    let arrays = mlx::io::load(path)?.into_arrays();
    let images = arrays.iter().find(|(k, _)| k.as_str() == "images").map(|(_, v)| v.clone()).ok_or_else(|| Error::invalid("digits", "no images"))?;
    let labels = arrays.iter().find(|(k, _)| k.as_str() == "labels").map(|(_, v)| v.clone()).ok_or_else(|| Error::invalid("digits", "no labels"))?;
    let (images, labels) = (images.to_vec::<u8>()?, labels.to_vec::<u8>()?);
    let n = labels.len();
    println!("digits: {n} images of 8x8, 10 classes");

    let start = Instant::now();
    let mut rng = Rng(42);
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let n_test = n / 5;
    let (test_idx, train_idx) = order.split_at(n_test);
    let mut train_idx = train_idx.to_vec();

    nn::init::seed(0);
    let mut model = nn::Sequential::new()
        .add(nn::Linear::new(64, HIDDEN, true)?)
        .add(nn::ReLU::new())
        .add(nn::Linear::new(HIDDEN, HIDDEN, true)?)
        .add(nn::ReLU::new())
        .add(nn::Linear::new(HIDDEN, 10, true)?);
    println!("model: {} parameters; train {} / test {}", model.num_parameters(), train_idx.len(), test_idx.len());
    let mut opt = optim::Adam::new(LR);
    let loss_and_grad = nn::value_and_grad(|m: &nn::Sequential, b: &[Tensor]| {
        Ok(vec![nn::losses::cross_entropy(&m.forward(&b[0])?, &b[1], None, -1, 0.0, nn::Reduction::Mean)?])
    });

    let steps = train_idx.len().div_ceil(BATCH);
    for epoch in 1..=EPOCHS {
        rng.shuffle(&mut train_idx);
        let t0 = Instant::now();
        let mut total = 0.0f64;
        for (s, chunk) in train_idx.chunks(BATCH).enumerate() {
            let (x, y) = batch(&images, &labels, chunk)?;
            let (out, grads) = loss_and_grad(&mut model, &[x, y])?;
            opt.update(&mut model, &grads)?;
            let mut evals: Vec<Tensor> = model.parameters().into_values().collect();
            evals.extend(opt.state().into_values());
            evals.push(out[0].clone());
            mx::eval(&evals)?;
            total += out[0].item::<f32>()? as f64 * chunk.len() as f64;
            let done = (s + 1) * 30 / steps;
            if done == s * 30 / steps && s + 1 != steps {
                continue; // redraw the bar only when it grows
            }
            print!("\repoch {epoch:2}/{EPOCHS} [{}{}] {}/{steps}", "=".repeat(done), " ".repeat(30 - done), s + 1);
            std::io::stdout().flush().ok();
        }
        println!("  loss {:.4}  ({:.0} ms)", total / train_idx.len() as f64, t0.elapsed().as_secs_f64() * 1e3);
    }

    model.eval();
    let (x, y) = batch(&images, &labels, test_idx)?;
    let pred = mx::argmax(&model.forward(&x)?, 1, false)?;
    let correct = mx::sum(&mx::equal(&pred, &mx::astype(&y, pred.dtype())?)?, Axes::All, false)?;
    let acc = mx::astype(&correct, Dtype::Float32)?.item::<f32>()? / test_idx.len() as f32;
    println!("test accuracy: {:.2}% ({} images)", acc * 100.0, test_idx.len());
    println!("wall time (training + test): {:.2} s", start.elapsed().as_secs_f64());
    if acc < 0.95 {
        return Err(Error::invalid("mnist_digits", format!("accuracy {acc:.3} below 0.95")));
    }
    Ok(())
}
