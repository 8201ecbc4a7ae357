//! A 10,000-step gradient-descent loop (linear regression through `value_and_grad_params`) runs in
//! flat memory: nothing of one step's graph outlives the next. Alone in its test binary because
//! `active_memory()` is process-wide.

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Tensor};

#[test]
fn ten_thousand_step_training_loop_runs_in_flat_memory() {
    // First: a loss kept after the transform does not pin the forward intermediates.
    let big = mx::ones(&[250_000], None).unwrap(); // 1 MB
    big.eval().unwrap();
    let before = mx::active_memory();
    let vg = tf::value_and_grad1(|x: &Tensor| mx::sum(&mx::exp(&mx::exp(x)?)?, Axes::All, false));
    let (kept_loss, g) = vg(&big).unwrap();
    mx::eval(&[&kept_loss, &g]).unwrap();
    drop(g);
    let held = mx::active_memory() - before;
    assert!(held < 10_000, "a kept loss pins {held} bytes");
    drop((kept_loss, big));

    // y = x @ [1, -2, 0.5] + 0.25, on 32 fixed points.
    let xs: Vec<f32> = (0..96).map(|i| ((i * 37 % 19) as f32 / 9.0) - 1.0).collect();
    let x = Tensor::from_slice(&xs, &[32, 3]).unwrap();
    let w_true = Tensor::from_slice(&[1.0f32, -2.0, 0.5], &[3, 1]).unwrap();
    let y = mx::add(&mx::matmul(&x, &w_true).unwrap(), 0.25).unwrap();
    y.eval().unwrap();
    let mut params = tf::Tree::new();
    params.insert("linear.weight".into(), mx::zeros(&[3, 1], None).unwrap());
    params.insert("linear.bias".into(), mx::zeros(&[1], None).unwrap());
    let vg = tf::value_and_grad_params(|p: &tf::Tree, batch: &[Tensor]| {
        let pred = mx::add(&mx::matmul(&batch[0], &p["linear.weight"])?, &p["linear.bias"])?;
        Ok(vec![mx::mean(&mx::square(&mx::subtract(&pred, &batch[1])?)?, Axes::All, false)?])
    });
    let batch = [x, y];
    let mut samples = vec![];
    let mut loss = Tensor::scalar(0.0f32);
    for step in 0..10_000 {
        let (mut outs, grads) = vg(&params, &batch).unwrap();
        let l = outs.remove(0);
        params = params
            .iter()
            .map(|(k, p)| (k.clone(), mx::subtract(p, &mx::multiply(&grads[k], 0.1f32).unwrap()).unwrap()))
            .collect();
        let mut all: Vec<Tensor> = params.values().cloned().collect();
        all.push(l.clone());
        mx::eval(&all).unwrap();
        loss = l;
        if step % 1000 == 999 {
            samples.push(mx::active_memory());
        }
    }
    assert!(samples.iter().all(|&m| m == samples[0]), "memory grew: {samples:?}");
    assert!(samples[0] < 64 * 1024, "holding too much: {}", samples[0]);
    assert!(loss.item::<f32>().unwrap() < 1e-8, "did not converge: {}", loss.item::<f32>().unwrap());
    let w = params["linear.weight"].to_vec::<f32>().unwrap();
    for (a, b) in w.iter().zip([1.0f32, -2.0, 0.5]) {
        assert!((a - b).abs() < 1e-3, "{w:?}");
    }
}
