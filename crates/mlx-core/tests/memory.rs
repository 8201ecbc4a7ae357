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

/// Buffer donation: each op of an elementwise chain writes into the buffer of the intermediate
/// it consumes, so evaluating a 20-op chain on a 4 MB array peaks at one intermediate above
/// the held inputs (without donation every step's fresh output makes it two), and the values
/// equal those of a run where every intermediate is kept alive (so nothing can be donated).
#[test]
fn elementwise_chains_reuse_dead_buffers() {
    let _g = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let n = 1_000_000; // 4 MB of f32
    let x = mx::linspace(-2.0, 2.0, n, None).unwrap();
    let y = mx::arange(0.0, n as f64, 1.0, None).unwrap();
    x.eval().unwrap();
    y.eval().unwrap();
    let chain = |keep: bool| {
        let mut kept = vec![];
        let mut t = mx::multiply(&x, 0.5).unwrap();
        for i in 0..20 {
            if keep {
                kept.push(t.clone());
            }
            t = match i % 4 {
                0 => mx::exp(&mx::negative(&t).unwrap()).unwrap(),
                1 => mx::add(&t, &x).unwrap(),
                2 => mx::multiply(&y, &t).unwrap(), // the donated operand on the right
                _ => mx::tanh(&t).unwrap(),
            };
        }
        t.eval().unwrap();
        (t, kept)
    };
    let (want, kept) = chain(true);
    let want = want.to_vec::<f32>().unwrap();
    drop(kept);
    mx::clear_cache();
    mx::reset_peak_memory();
    let before = mx::active_memory();
    let (got, _) = chain(false);
    let peak = mx::peak_memory() - before;
    assert_eq!(got.to_vec::<f32>().unwrap(), want, "donation changed a value");
    assert!(peak <= 4_000_000 + 64 * 1024, "peak {peak} above one live intermediate");
}
