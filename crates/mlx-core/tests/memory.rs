//! Memory behaviour: long eval loops run in flat memory, evaluated nodes free their inputs, and
//! deep graphs neither overflow the stack when evaluated nor when dropped.
//!
//! `active_memory()` is process-wide and tests run in parallel threads, so these tests hold a
//! lock while measuring.

use std::sync::Mutex;

use mlx_core as mx;
use mlx_core::Tensor;

static MEASURE: Mutex<()> = Mutex::new(());

#[test]
fn ten_thousand_step_loop_runs_in_flat_memory() {
    let _g = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let mut x = mx::zeros(&[1_000_000], None).unwrap();
    x.eval().unwrap();
    let mut samples = vec![];
    for step in 0..10_000 {
        x = &(&x * 0.5) + 1.0;
        x.eval().unwrap();
        if step % 1000 == 999 {
            samples.push(mx::active_memory());
        }
    }
    // One input, one output and at most one intermediate of 4 MB each may be alive.
    let first = samples[0];
    assert!(samples.iter().all(|&m| m == first), "memory grew: {samples:?}");
    assert!(first < 16_000_000, "holding too much: {first}");
    // x converges to 2.
    assert!((x.to_vec::<f32>().unwrap()[0] - 2.0).abs() < 1e-6);
}

#[test]
fn intermediates_are_freed_after_eval() {
    let _g = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let before = mx::active_memory();
    let a = mx::ones(&[250_000], None).unwrap(); // 1 MB each
    let b = mx::exp(&a).unwrap();
    let c = mx::add(&b, &a).unwrap();
    let d = mx::multiply(&c, 2.0).unwrap();
    drop((a, b, c));
    d.eval().unwrap();
    // Only d's buffer survives (the 0-d scalar constant is negligible).
    let held = mx::active_memory() - before;
    assert!(held >= 1_000_000 && held < 1_100_000, "held {held}");
    drop(d);
    assert!(mx::active_memory() - before < 100, "leaked");
}

#[test]
fn million_node_chain_evals_and_drops_without_stack_overflow() {
    let _g = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let mut x = Tensor::scalar(0.0f32);
    for _ in 0..1_000_000 {
        x = mx::add(&x, 1.0f32).unwrap();
    }
    assert_eq!(x.item::<f32>().unwrap(), 1_000_000.0);
    // And an unevaluated chain drops iteratively.
    let mut y = Tensor::scalar(0i32);
    for _ in 0..1_000_000 {
        y = mx::add(&y, 1).unwrap();
    }
    drop(y);
}
