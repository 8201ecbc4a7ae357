//! Gradients through `quantized_matmul` (a composite: it dequantizes its constant weights and
//! multiplies), w.r.t. `x`: `d/dx sum((x @ W.T) * c) = c @ W` with `W = dequantize(w)`, as
//! `mx.grad` gives for MLX's fused kernel.

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Dtype, Tensor};

fn vals(x: &Tensor) -> Vec<f64> {
    mx::astype(x, Dtype::Float64).unwrap().to_vec::<f64>().unwrap()
}

fn ramp(n: usize, shape: &[usize], scale: f32) -> Tensor {
    let v: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * scale).collect();
    Tensor::from_slice(&v, shape).unwrap()
}

#[test]
fn grad_wrt_x_is_the_cotangent_times_the_dequantized_weights() {
    let (m, k, n) = (3, 128, 64); // both of w's layouts group along a multiple of 64
    for (bits, transpose) in [(4, true), (8, true), (3, false), (2, false)] {
        // transpose: w is (n, k) and the product is x @ W.T; otherwise w is (k, n), x @ W.
        let w_shape = if transpose { [n, k] } else { [k, n] };
        let w = ramp(n * k, &w_shape, 0.5);
        let (wq, scales, biases) = mx::quantize(&w, 64, bits, "affine").unwrap();
        let x = ramp(m * k, &[m, k], 1.0);
        let c = ramp(m * n, &[m, n], 2.0);
        let (wq2, s2, b2, c2) = (wq.clone(), scales.clone(), biases.clone(), c.clone());
        let f = move |a: &[Tensor]| {
            let y = mx::quantized_matmul(&a[0], &wq2, &s2, Some(&b2), transpose, 64, bits, "affine")?;
            Ok(vec![mx::sum(&mx::multiply(&y, &c2)?, Axes::All, false)?])
        };
        let g = vals(&tf::grad(f, &[0])(std::slice::from_ref(&x)).unwrap()[0]);
        let wd = mx::dequantize(&wq, &scales, Some(&biases), 64, bits, "affine", None).unwrap();
        let want = if transpose { mx::matmul(&c, &wd) } else { mx::matmul(&c, &mx::transpose(&wd, None).unwrap()) };
        let want = vals(&want.unwrap());
        assert_eq!(g.len(), m * k);
        for (a, b) in g.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "bits {bits} transpose {transpose}: {a} vs {b}");
        }
    }
}
