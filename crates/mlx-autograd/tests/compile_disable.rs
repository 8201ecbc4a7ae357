//! `disable_compile` / `enable_compile` (global, hence a test binary of its own): while
//! disabled, a compiled function runs its function on every call and caches nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mlx_autograd::{self as tf, CompileOptions, Compiled};
use mlx_core::{self as mx, Tensor};

#[test]
fn disable_runs_the_function_each_call() {
    let calls = Arc::new(AtomicUsize::new(0));
    let k = calls.clone();
    let c = Arc::new(Compiled::new(
        move |a: &[Tensor]| {
            k.fetch_add(1, Ordering::SeqCst);
            Ok(vec![mx::exp(&a[0])?])
        },
        CompileOptions::default(),
    ));
    let f = c.function();
    let x = Tensor::from_slice(&[0.0f32, 1.0], &[2]).unwrap();
    tf::disable_compile();
    assert!(!tf::is_compile_enabled());
    for _ in 0..3 {
        assert_eq!(f(std::slice::from_ref(&x)).unwrap()[0].to_vec::<f32>().unwrap()[0], 1.0);
    }
    assert_eq!((calls.load(Ordering::SeqCst), c.trace_count(), c.cache_len()), (3, 0, 0));
    tf::enable_compile();
    for _ in 0..3 {
        f(std::slice::from_ref(&x)).unwrap();
    }
    assert_eq!((calls.load(Ordering::SeqCst), c.trace_count(), c.cache_hits()), (4, 1, 2));
}
