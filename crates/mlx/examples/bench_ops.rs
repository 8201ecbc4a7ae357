//! Times the hot ops of issue #5 on the default (CPU) backend and prints one JSON object per
//! workload: `{"name": ..., "median_s": ..., "reps": ...}`. `bench/compare.py` runs this next to
//! NumPy and MLX. Thread count: `MLX_RS_NUM_THREADS`.
//!
//! `cargo run --release -p mlx --example bench_ops [-- NAME_SUBSTRING ...]`

use std::time::{Duration, Instant};

use mlx::core as mx;
use mlx::core::{Dtype, Result, Tensor};

/// Deterministic values in [-1, 1).
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn input(shape: &[usize], seed: u64, dtype: Dtype) -> Result<Tensor> {
    let x = Tensor::from_slice(&data(shape.iter().product(), seed), shape)?;
    let x = if dtype == Dtype::Float32 { x } else { mx::astype(&x, dtype)? };
    x.eval()?;
    Ok(x)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs `f` (which builds and evaluates a graph) until `reps` samples or ~20 seconds.
fn time(name: &str, reps: usize, f: impl FnMut() -> Result<()>) -> Result<()> {
    time_after_serial(name, reps, Duration::ZERO, f)
}

/// [`time`], with `gap` of untimed serial work on this thread before each sample.
fn time_after_serial(name: &str, reps: usize, gap: Duration, mut f: impl FnMut() -> Result<()>) -> Result<()> {
    // Warm-up (page faults, buffer cache, pool threads and their pack buffers): at least one
    // call and 50 ms, so that short workloads are timed in steady state, not in their first
    // few calls after the pool starts (those ran 1.5-2x slower).
    let warm = Instant::now();
    for _ in 0..1000 {
        f()?;
        if warm.elapsed() >= Duration::from_millis(50) {
            break;
        }
    }
    let mut samples = vec![];
    let start = Instant::now();
    while samples.len() < reps && (samples.len() < 3 || start.elapsed().as_secs_f64() < 20.0) {
        let busy = Instant::now();
        while busy.elapsed() < gap {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed().as_secs_f64());
    }
    println!("{{\"name\": \"{name}\", \"median_s\": {:.9}, \"reps\": {}}}", median(samples.clone()), samples.len());
    Ok(())
}

fn matmul_case(name: &str, m: usize, k: usize, n: usize, dtype: Dtype, reps: usize) -> Result<()> {
    let (a, b) = (input(&[m, k], 1, dtype)?, input(&[k, n], 2, dtype)?);
    time(name, reps, || mx::matmul(&a, &b)?.eval())
}

fn main() -> Result<()> {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let want = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let f32_ = Dtype::Float32;
    for (name, m, k, n, dt) in [
        ("matmul_f32_256", 256, 256, 256, f32_),
        ("matmul_f32_512", 512, 512, 512, f32_),
        ("matmul_f32_1024", 1024, 1024, 1024, f32_),
        ("matmul_f32_2048", 2048, 2048, 2048, f32_),
        ("matmul_f32_128x4096x4096", 128, 4096, 4096, f32_),
        ("gemv_f32_1x4096x4096", 1, 4096, 4096, f32_),
        ("matmul_f64_1024", 1024, 1024, 1024, Dtype::Float64),
        ("matmul_bf16_1024", 1024, 1024, 1024, Dtype::Bfloat16),
        ("matmul_f16_1024", 1024, 1024, 1024, Dtype::Float16),
        ("matmul_bf16_2048", 2048, 2048, 2048, Dtype::Bfloat16),
        ("matmul_f16_2048", 2048, 2048, 2048, Dtype::Float16),
    ] {
        if want(name) {
            matmul_case(name, m, k, n, dt, 9)?;
        }
    }
    if want("matmul_f32_256_after_1ms_serial") {
        // A training loop's pattern: serial work between ops, long enough for idle pool threads
        // to fall asleep.
        let (a, b) = (input(&[256, 256], 1, f32_)?, input(&[256, 256], 2, f32_)?);
        time_after_serial("matmul_f32_256_after_1ms_serial", 30, Duration::from_millis(1), || mx::matmul(&a, &b)?.eval())?;
    }
    const N: usize = 1 << 24;
    if want("add_16M") {
        let (a, b) = (input(&[N], 3, f32_)?, input(&[N], 4, f32_)?);
        time("add_16M", 15, || mx::add(&a, &b)?.eval())?;
    }
    if want("exp_16M") {
        let a = input(&[N], 5, f32_)?;
        time("exp_16M", 15, || mx::exp(&a)?.eval())?;
    }
    if want("sum_16M") {
        let a = input(&[N], 6, f32_)?;
        time("sum_16M", 15, || mx::sum(&a, mx::Axes::All, false)?.eval())?;
    }
    if want("where_16M") {
        let (a, b) = (input(&[N], 3, f32_)?, input(&[N], 4, f32_)?);
        let c = mx::less(&a, &b)?;
        c.eval()?;
        time("where_16M", 15, || mx::r#where(&c, &a, &b)?.eval())?;
    }
    if want("sum_axis0_4096x4096") {
        let a = input(&[4096, 4096], 6, f32_)?;
        time("sum_axis0_4096x4096", 15, || mx::sum(&a, 0, false)?.eval())?;
    }
    if want("softmax_4096x4096") {
        let a = input(&[4096, 4096], 7, f32_)?;
        time("softmax_4096x4096", 15, || mx::softmax(&a, -1)?.eval())?;
    }
    if want("logsumexp_4096x4096") {
        let a = input(&[4096, 4096], 7, f32_)?;
        time("logsumexp_4096x4096", 15, || mx::logsumexp(&a, -1, false)?.eval())?;
    }
    if want("rms_norm_4096x4096") {
        let (a, w) = (input(&[4096, 4096], 9, f32_)?, input(&[4096], 10, f32_)?);
        time("rms_norm_4096x4096", 15, || mx::fast::rms_norm(&a, Some(&w), 1e-5)?.eval())?;
    }
    if want("layer_norm_4096x4096") {
        let (a, w, b) = (input(&[4096, 4096], 9, f32_)?, input(&[4096], 10, f32_)?, input(&[4096], 11, f32_)?);
        time("layer_norm_4096x4096", 15, || mx::fast::layer_norm(&a, Some(&w), Some(&b), 1e-5)?.eval())?;
    }
    if want("conv2d_nhwc_8x32x32x64_64_3x3") {
        // NHWC input, (C_out, KH, KW, C_in) weight, "same" padding.
        let (x, w) = (input(&[8, 32, 32, 64], 12, f32_)?, input(&[64, 3, 3, 64], 13, f32_)?);
        time("conv2d_nhwc_8x32x32x64_64_3x3", 15, || mx::conv2d(&x, &w, 1, 1, 1, 1)?.eval())?;
    }
    if want("transpose_copy_4096x4096") {
        let a = input(&[4096, 4096], 8, f32_)?;
        time("transpose_copy_4096x4096", 15, || mx::contiguous(&mx::transpose(&a, mx::Axes::All)?)?.eval())?;
    }
    if want("graph_1000_adds") {
        // Build + eval a chain of 1,000 scalar adds; the JSON median is per op.
        let mut samples = vec![];
        for _ in 0..30 {
            let t = Instant::now();
            let mut x = Tensor::scalar(0.0f32);
            for _ in 0..1000 {
                x = mx::add(&x, 1.0f32)?;
            }
            x.eval()?;
            samples.push(t.elapsed().as_secs_f64() / 1000.0);
        }
        println!("{{\"name\": \"graph_1000_adds\", \"median_s\": {:.9}, \"reps\": 30, \"per\": \"op\"}}", median(samples));
    }
    Ok(())
}
