//! Gradients of the math-family primitives at conventions MLX fixes (values from MLX 0.32.4):
//! `imag` pairs with -i, `power`'s exponent gradient is 0 where the result is 0, and
//! `remainder`'s divisor gradient is `-floor(a / b)`.

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Dtype, Tensor};

fn t(v: &[f32]) -> Tensor {
    Tensor::from_slice(v, &[v.len()]).unwrap()
}

fn grad_of(f: impl Fn(&Tensor) -> mx::Result<Tensor> + 'static, x: &Tensor) -> Vec<f32> {
    let g = tf::grad1(move |x: &Tensor| mx::sum(&f(x)?, Axes::All, false));
    g(x).unwrap().to_vec::<f32>().unwrap()
}

#[test]
fn complex_parts_follow_mlx() {
    let w = mx::C64::new(0.6, 0.8);
    let im = grad_of(move |x| mx::imag(&mx::multiply(&mx::astype(x, Dtype::Complex64)?, w)?), &t(&[1.0, 2.0]));
    assert_eq!(im, vec![0.8, 0.8]);
    let re = grad_of(move |x| mx::real(&mx::conjugate(&mx::multiply(&mx::astype(x, Dtype::Complex64)?, w)?)?), &t(&[1.0, 2.0]));
    assert!(re.iter().all(|v| (v - 0.6).abs() < 1e-6));
}

#[test]
fn power_and_remainder_follow_mlx() {
    let g = grad_of(|b| mx::power(&t(&[0.0, 2.0]), b), &t(&[1.5, 1.5]));
    assert_eq!(g[0], 0.0);
    assert!((g[1] - 1.96052).abs() < 1e-4);
    assert_eq!(grad_of(|a| mx::remainder(a, &t(&[0.7, -0.7])), &t(&[2.0, 2.0])), vec![1.0, 1.0]);
    assert_eq!(grad_of(|b| mx::remainder(&t(&[2.0, 2.0]), b), &t(&[0.7, -0.7])), vec![-2.0, 3.0]);
}
