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

/// Buffer donation under contention: four threads evaluate consumers of one unevaluated
/// elementwise chain at once. Inner links are referenced by one node each (donation
/// candidates) while the shared head is referenced by every consumer; each thread must still
/// see the chain evaluated exactly once and correctly.
#[test]
fn threads_evaluating_one_elementwise_chain_agree() {
    for _round in 0..20 {
        let x = mx::arange(0.0, 100_000.0, 1.0, None).unwrap();
        let mut t = mx::multiply(&x, 1e-5).unwrap();
        for _ in 0..10 {
            t = mx::add(&mx::multiply(&t, 2.0).unwrap(), 1.0).unwrap();
        }
        let head = Arc::new(t);
        let handles: Vec<_> = (0..4)
            .map(|k| {
                let h = Arc::clone(&head);
                thread::spawn(move || mx::add(&*h, k as f32).unwrap().to_vec::<f32>().unwrap())
            })
            .collect();
        for (k, h) in handles.into_iter().enumerate() {
            let v = h.join().unwrap();
            for i in [0usize, 1, 99_999] {
                let mut want = i as f32 * 1e-5;
                for _ in 0..10 {
                    want = want * 2.0 + 1.0;
                }
                assert_eq!(v[i], want + k as f32, "thread {k}, element {i}");
            }
        }
    }
}
