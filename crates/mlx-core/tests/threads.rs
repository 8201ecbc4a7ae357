//! Thread safety: independent graphs built and evaluated on several threads at once, and one
//! shared graph evaluated concurrently.

use std::sync::Arc;
use std::thread;

use mlx_core as mx;
use mlx_core::Tensor;

#[test]
fn independent_graphs_on_two_threads() {
    let handles: Vec<_> = (0..2)
        .map(|t| {
            thread::spawn(move || {
                let mut total = 0.0f64;
                for i in 0..200 {
                    let x = mx::arange(0, 1000, 1, mx::Dtype::Float32).unwrap();
                    let y = mx::sum(&mx::multiply(&x, (t * 1000 + i) as f32).unwrap(), mx::Axes::All, false).unwrap();
                    total += y.item::<f32>().unwrap() as f64;
                }
                total
            })
        })
        .collect();
    let totals: Vec<f64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // sum(0..1000) = 499500; times the sum of the multipliers of each thread.
    for (t, total) in totals.iter().enumerate() {
        let mult: f64 = (0..200).map(|i| (t * 1000 + i) as f64).sum();
        assert!((total - 499500.0 * mult).abs() / (499500.0 * mult) < 1e-5);
    }
}

#[test]
fn a_shared_tensor_is_evaluated_from_several_threads() {
    let base = mx::ones(&[64, 64], None).unwrap();
    let shared = Arc::new(mx::matmul(&base, &base).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = Arc::clone(&shared);
            thread::spawn(move || mx::sum(&s, mx::Axes::All, false).unwrap().item::<f32>().unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 64.0 * 64.0 * 64.0);
    }
    // A clone moved into a thread (Tensor: Send) works too.
    let t: Tensor = (*shared).clone();
    let v = thread::spawn(move || t.to_vec::<f32>().unwrap()[0]).join().unwrap();
    assert_eq!(v, 64.0);
}
