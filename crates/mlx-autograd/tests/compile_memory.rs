//! A 10,000-step gradient-descent loop through a compiled step (`compile(grad(loss))`) runs in
//! flat memory and traces once: the cached graph holds no data of any call. Alone in its test
//! binary because `active_memory()` is process-wide.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Result, Tensor};

#[test]
fn compiled_training_loop_runs_in_flat_memory() {
    let xs: Vec<f32> = (0..96).map(|i| ((i * 37 % 19) as f32 / 9.0) - 1.0).collect();
    let x = Tensor::from_slice(&xs, &[32, 3]).unwrap();
    let w_true = Tensor::from_slice(&[1.0f32, -2.0, 0.5], &[3, 1]).unwrap();
    let y = mx::add(mx::matmul(&x, &w_true).unwrap(), 0.25).unwrap();
    y.eval().unwrap();
    let traces = Arc::new(AtomicUsize::new(0));
    let k = traces.clone();
    let loss = move |a: &[Tensor]| -> Result<Vec<Tensor>> {
        k.fetch_add(1, Ordering::SeqCst);
        let pred = mx::add(&mx::matmul(&a[2], &a[0])?, &a[1])?;
        Ok(vec![mx::mean(&mx::square(&mx::subtract(&pred, &a[3])?)?, Axes::All, false)?])
    };
    let vg = tf::value_and_grad(loss, &[0, 1]);
    // [loss, dloss/dw, dloss/db]
    let step = tf::compile(move |a: &[Tensor]| {
        let (v, g) = vg(a)?;
        Ok(v.into_iter().chain(g).collect())
    });
    let mut w = mx::zeros(&[3, 1], None).unwrap();
    let mut b = mx::zeros(&[1], None).unwrap();
    let mut samples = vec![];
    let mut last = Tensor::scalar(0.0f32);
    for i in 0..10_000 {
        let mut out = step(&[w.clone(), b.clone(), x.clone(), y.clone()]).unwrap();
        let (l, gw, gb) = (out.remove(0), out.remove(0), out.remove(0));
        w = mx::subtract(&w, mx::multiply(&gw, 0.1f32).unwrap()).unwrap();
        b = mx::subtract(&b, mx::multiply(&gb, 0.1f32).unwrap()).unwrap();
        mx::eval(&[&w, &b, &l]).unwrap();
        last = l;
        if i % 1000 == 999 {
            samples.push(mx::active_memory());
        }
    }
    assert!(samples.iter().all(|&m| m == samples[0]), "memory grew: {samples:?}");
    assert!(samples[0] < 64 * 1024, "holding too much: {}", samples[0]);
    assert_eq!(traces.load(Ordering::SeqCst), 1);
    assert!(last.item::<f32>().unwrap() < 1e-8);
}
