//! MLX's initialization values after `mx.random.seed`.
//!
//! This test has a binary of its own on purpose: the global key is process-wide (as in MLX), and
//! tests of one binary run on parallel threads, so any other test that builds a layer would draw
//! from the key between `seed` and the draws checked here.

use mlx_nn as nn;

#[test]
fn initialization_matches_mlx_after_seed() {
    // mx.random.seed(7); nn.Linear(3, 2) and nn.Embedding(3, 2) in MLX 0.32.4.
    nn::init::seed(7);
    let l = nn::Linear::new(3, 2, true).unwrap();
    let want_w = [0.14001107f32, -0.26554731, 0.37597203, 0.35946834, -0.10616103, -0.35417169];
    let want_b = [0.34790403f32, -0.36438924];
    for (a, b) in l.weight.to_vec::<f32>().unwrap().iter().zip(want_w) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    for (a, b) in l.bias.as_ref().unwrap().to_vec::<f32>().unwrap().iter().zip(want_b) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    nn::init::seed(7);
    let e = nn::Embedding::new(3, 2).unwrap();
    let want = [0.21833599f32, -0.43326154, 0.66250575, 0.62418383, -0.16442589, -0.61226863];
    for (a, b) in e.weight.to_vec::<f32>().unwrap().iter().zip(want) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}
