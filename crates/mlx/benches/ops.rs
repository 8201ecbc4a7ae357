//! Criterion benchmarks of the issue #5 hot ops on the default (CPU) backend: matmul (f32, GEMV,
//! bf16), elementwise add/exp, sum, softmax/logsumexp and the fused norms, transpose-copy,
//! conv2d (NHWC) and graph overhead (a 1,000-op scalar chain, build + eval).
//!
//! `cargo bench -p mlx --bench ops [-- FILTER]`; thread count: `MLX_RS_NUM_THREADS`. Sizes are
//! the where a sample takes well under a second, smaller otherwise; the side-by-side
//! comparison with NumPy and MLX at the sizes is `bench/compare.py`. Not run by
//! `cargo test` (benches only compile with `cargo bench` / `cargo test --benches`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mlx::core as mx;
use mlx::core::{Dtype, Tensor};

/// Deterministic values in [-1, 1) (an LCG; no RNG dependency).
fn input(shape: &[usize], seed: u64, dtype: Dtype) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    let x = mx::astype(&Tensor::from_slice(&v, shape).expect("shape"), dtype).expect("astype");
    x.eval().expect("eval");
    x
}

fn matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul");
    g.sample_size(10);
    for (m, k, n, dt, label) in [
        (256, 256, 256, Dtype::Float32, "f32"),
        (512, 512, 512, Dtype::Float32, "f32"),
        (1024, 1024, 1024, Dtype::Float32, "f32"),
        (1, 4096, 4096, Dtype::Float32, "f32_gemv"),
        (512, 512, 512, Dtype::Bfloat16, "bf16"),
        (512, 512, 512, Dtype::Float16, "f16"),
    ] {
        let (a, b) = (input(&[m, k], 1, dt), input(&[k, n], 2, dt));
        g.throughput(Throughput::Elements((2 * m * k * n) as u64)); // flops
        g.bench_with_input(BenchmarkId::new(label, format!("{m}x{k}x{n}")), &(), |bch, _| {
            bch.iter(|| mx::matmul(&a, &b).unwrap().eval().unwrap())
        });
    }
    g.finish();
}

fn elementwise_and_reductions(c: &mut Criterion) {
    const N: usize = 1 << 22;
    let (a, b) = (input(&[N], 3, Dtype::Float32), input(&[N], 4, Dtype::Float32));
    let mut g = c.benchmark_group("elementwise_4M_f32");
    g.sample_size(20);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("add", |bch| bch.iter(|| mx::add(&a, &b).unwrap().eval().unwrap()));
    g.bench_function("exp", |bch| bch.iter(|| mx::exp(&a).unwrap().eval().unwrap()));
    g.bench_function("sum", |bch| bch.iter(|| mx::sum(&a, mx::Axes::All, false).unwrap().eval().unwrap()));
    g.finish();
}

fn rows(c: &mut Criterion) {
    let x = input(&[1024, 4096], 7, Dtype::Float32);
    let (w, bias) = (input(&[4096], 8, Dtype::Float32), input(&[4096], 9, Dtype::Float32));
    let mut g = c.benchmark_group("last_axis_1024x4096_f32");
    g.sample_size(20);
    g.throughput(Throughput::Elements(1024 * 4096));
    g.bench_function("softmax", |bch| bch.iter(|| mx::softmax(&x, -1).unwrap().eval().unwrap()));
    g.bench_function("logsumexp", |bch| bch.iter(|| mx::logsumexp(&x, -1, false).unwrap().eval().unwrap()));
    g.bench_function("rms_norm", |bch| bch.iter(|| mx::fast::rms_norm(&x, Some(&w), 1e-5).unwrap().eval().unwrap()));
    g.bench_function("layer_norm", |bch| {
        bch.iter(|| mx::fast::layer_norm(&x, Some(&w), Some(&bias), 1e-5).unwrap().eval().unwrap())
    });
    g.bench_function("transpose_copy", |bch| {
        bch.iter(|| mx::contiguous(&mx::transpose(&x, mx::Axes::All).unwrap()).unwrap().eval().unwrap())
    });
    g.finish();
}

fn conv(c: &mut Criterion) {
    let (x, w) = (input(&[8, 32, 32, 64], 12, Dtype::Float32), input(&[64, 3, 3, 64], 13, Dtype::Float32));
    let mut g = c.benchmark_group("conv2d_nhwc");
    g.sample_size(10);
    g.bench_function("8x32x32x64_64_3x3", |bch| bch.iter(|| mx::conv2d(&x, &w, 1, 1, 1, 1).unwrap().eval().unwrap()));
    g.finish();
}

fn graph_overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("graph");
    g.sample_size(20);
    g.throughput(Throughput::Elements(1000)); // ops
    g.bench_function("chain_1000_scalar_adds", |bch| {
        bch.iter(|| {
            let mut x = Tensor::scalar(0.0f32);
            for _ in 0..1000 {
                x = mx::add(&x, 1.0f32).unwrap();
            }
            x.eval().unwrap();
            x
        })
    });
    g.finish();
}

criterion_group!(benches, matmul, elementwise_and_reductions, rows, conv, graph_overhead);
criterion_main!(benches);
