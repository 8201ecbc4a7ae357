//! Fashion-MNIST: train an MLP (default) or a small CNN (`--cnn`) on Zalando's 28x28 clothing
//! images and report the test accuracy, like MLX's `mnist` example.
//!
//! Run: `cargo run --release -p mlx --example fashion_mnist [-- --cnn]`
//!
//! Data: `/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`
//! (`apt-get install -y dataset-fashion-mnist`; another directory with `FASHION_MNIST_DIR`):
//! 60,000 training and 10,000 test images, pixels scaled to [0, 1]. Models:
//! - MLP: 784 -> 128 -> 10 with ReLU; Adam (lr 1e-3), batch 64, 5 epochs (>= 85% required).
//! - CNN: Conv2d(1, 8, 3, padding 1) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 16, 3, padding 1) ->
//!   ReLU -> MaxPool2d(2) -> Linear(784, 10); Adam (lr 2e-3), batch 64, 2 epochs (>= 89%
//!   required). Its gradients go through the conv and pooling rules end to end.
//!
//! `tools/fashion_mnist_mlx.py [--cnn]` trains the same models with real MLX (same
//! initialization seed, same SplitMix64 batch order) for comparison; BENCHMARKS.md has both
//! wall times.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mlx::core as mx;
use mlx::nn::{self, Module, UnaryModule};
use mlx::optim::{self, Optimizer};
use mlx::prelude::*;

const DEFAULT_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// (epochs, batch, learning rate, required test accuracy) of each model.
const MLP: (usize, usize, f64, f32) = (5, 64, 1e-3, 0.85);
const CNN: (usize, usize, f64, f32) = (2, 64, 2e-3, 0.89);

#[path = "common/shuffle.rs"]
mod shuffle;
use shuffle::Rng;

/// An idx file (gzip-compressed): its dimensions and bytes. Magic: 0, 0, type 0x08 (u8), rank.
fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>)> {
    let raw = std::fs::read(path).map_err(|e| Error::invalid("fashion_mnist", format!("{}: {e}", path.display())))?;
    let data = mlx::io::gzip::decompress(&raw)?;
    let bad = || Error::invalid("fashion_mnist", format!("{}: not an idx file of bytes", path.display()));
    if data.len() < 4 || data[0] != 0 || data[1] != 0 || data[2] != 0x08 {
        return Err(bad());
    }
    let rank = data[3] as usize;
    let header = 4 + 4 * rank;
    let dims: Vec<usize> = (0..rank)
        .map(|i| data.get(4 + 4 * i..8 + 4 * i).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    if data.len() != header + dims.iter().product::<usize>() {
        return Err(bad());
    }
    Ok((dims, data[header..].to_vec()))
}

/// Images scaled to [0, 1] (shape `(n, 784)` or `(n, 28, 28, 1)`) and int32 labels of `idx`.
fn batch(images: &[u8], labels: &[u8], idx: &[usize], cnn: bool) -> Result<(Tensor, Tensor)> {
    let mut x = Vec::with_capacity(idx.len() * 784);
    for &i in idx {
        x.extend(images[i * 784..(i + 1) * 784].iter().map(|&p| p as f32 / 255.0));
    }
    let y: Vec<i32> = idx.iter().map(|&i| labels[i] as i32).collect();
    let shape: &[usize] = if cnn { &[idx.len(), 28, 28, 1] } else { &[idx.len(), 784] };
    Ok((Tensor::from_slice(&x, shape)?, Tensor::from_slice(&y, &[idx.len()])?))
}

/// `(N, ...)` -> `(N, prod(...))`.
#[derive(Debug, Clone, Default)]
struct Flatten {
    state: nn::ModuleState,
}
nn::module_fields!(Flatten {});
impl UnaryModule for Flatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        mx::reshape(x, &[x.shape()[0] as i32, -1])
    }
}

fn model(cnn: bool) -> Result<nn::Sequential> {
    Ok(if cnn {
        nn::Sequential::new()
            .add(nn::Conv2d::new(1, 8, [3, 3], [1, 1], [1, 1], [1, 1], 1, true)?)
            .add(nn::ReLU::new())
            .add(nn::MaxPool2d::max([2, 2], None, [0, 0])?)
            .add(nn::Conv2d::new(8, 16, [3, 3], [1, 1], [1, 1], [1, 1], 1, true)?)
            .add(nn::ReLU::new())
            .add(nn::MaxPool2d::max([2, 2], None, [0, 0])?)
            .add(Flatten::default())
            .add(nn::Linear::new(7 * 7 * 16, 10, true)?)
    } else {
        nn::Sequential::new().add(nn::Linear::new(784, 128, true)?).add(nn::ReLU::new()).add(nn::Linear::new(128, 10, true)?)
    })
}

fn main() -> Result<()> {
    let cnn = std::env::args().skip(1).any(|a| a == "--cnn");
    let dir = std::env::var_os("FASHION_MNIST_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    let file = |name: &str| dir.join(name);
    if !file("train-images-idx3-ubyte.gz").exists() {
        eprintln!(
            "Fashion-MNIST not found in {}.\nInstall it with `apt-get install -y dataset-fashion-mnist` \
             (or point FASHION_MNIST_DIR at a directory with the four idx .gz files).",
            dir.display()
        );
        std::process::exit(2);
    }
    let start = Instant::now();
    let (dims, train_images) = read_idx(&file("train-images-idx3-ubyte.gz"))?;
    let (_, train_labels) = read_idx(&file("train-labels-idx1-ubyte.gz"))?;
    let (_, test_images) = read_idx(&file("t10k-images-idx3-ubyte.gz"))?;
    let (_, test_labels) = read_idx(&file("t10k-labels-idx1-ubyte.gz"))?;
    if dims[1..] != [28, 28] || train_labels.len() * 784 != train_images.len() || test_labels.len() * 784 != test_images.len() {
        return Err(Error::invalid("fashion_mnist", "unexpected idx shapes"));
    }
    let (epochs, bs, lr, required) = if cnn { CNN } else { MLP };
    println!(
        "fashion-mnist: {} training / {} test images of 28x28, 10 classes (loaded in {:.2} s)",
        train_labels.len(),
        test_labels.len(),
        start.elapsed().as_secs_f64()
    );

    nn::init::seed(0);
    let mut model = model(cnn)?;
    println!("model: {} ({} parameters)", if cnn { "CNN" } else { "MLP" }, model.num_parameters());
    let mut opt = optim::Adam::new(lr);
    let loss_and_grad = nn::value_and_grad(|m: &nn::Sequential, b: &[Tensor]| {
        Ok(vec![nn::losses::cross_entropy(&m.forward(&b[0])?, &b[1], None, -1, 0.0, nn::Reduction::Mean)?])
    });

    let mut rng = Rng(42);
    let mut order: Vec<usize> = (0..train_labels.len()).collect();
    let steps = order.len().div_ceil(bs);
    for epoch in 1..=epochs {
        rng.shuffle(&mut order);
        let t0 = Instant::now();
        let mut total = 0.0f64;
        for (s, chunk) in order.chunks(bs).enumerate() {
            let (x, y) = batch(&train_images, &train_labels, chunk, cnn)?;
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
            print!("\repoch {epoch}/{epochs} [{}{}] {}/{steps}", "=".repeat(done), " ".repeat(30 - done), s + 1);
            std::io::stdout().flush().ok();
        }
        println!("  loss {:.4}  ({:.1} s)", total / order.len() as f64, t0.elapsed().as_secs_f64());
    }

    model.eval();
    let test_idx: Vec<usize> = (0..test_labels.len()).collect();
    let mut correct = 0i64;
    for chunk in test_idx.chunks(1000) {
        let (x, y) = batch(&test_images, &test_labels, chunk, cnn)?;
        let pred = mx::argmax(&model.forward(&x)?, 1, false)?;
        let hits = mx::sum(&mx::equal(&pred, &mx::astype(&y, pred.dtype())?)?, Axes::All, false)?;
        correct += mx::astype(&hits, Dtype::Int64)?.item::<i64>()?;
    }
    let acc = correct as f32 / test_labels.len() as f32;
    println!("test accuracy: {:.2}% ({} images)", acc * 100.0, test_labels.len());
    println!("wall time (loading + training + test): {:.2} s", start.elapsed().as_secs_f64());
    if acc < required {
        return Err(Error::invalid("fashion_mnist", format!("accuracy {acc:.4} below {required}")));
    }
    Ok(())
}
