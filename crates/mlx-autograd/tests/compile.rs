//! `compile`: compiled results equal uncompiled ones (a property test over random elementwise
//! graphs), the cache traces once per signature, the simplification passes do what they claim
//! (folding, CSE, DCE), captured tensors are constants, compiled functions are shared across
//! threads, and compile composes with grad and vmap.
//!
//! `disable_compile` is global, so its test lives in its own binary (`compile_disable.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mlx_autograd::{self as tf, CompileOptions, Compiled};
use mlx_core::{self as mx, Axes, Dtype, Result, Tensor};
use proptest::prelude::*;

fn t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape).unwrap()
}

fn vals(x: &Tensor) -> Vec<f64> {
    mx::astype(x, Dtype::Float64).unwrap().to_vec::<f64>().unwrap()
}

/// One node of a random elementwise graph over inputs `x0, x1` (shapes `(3, 4)` and `(4,)`).
#[derive(Debug, Clone)]
enum Op {
    Unary(u8, usize),
    Binary(u8, usize, usize),
    Scalar(u8, usize, i8),
}

fn eval_graph(ops: &[Op], xs: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut vs: Vec<Tensor> = xs.to_vec();
    for op in ops {
        let n = vs.len();
        let v = match *op {
            Op::Unary(k, a) => {
                let a = &vs[a % n];
                match k % 5 {
                    0 => mx::tanh(a)?,
                    1 => mx::sin(a)?,
                    2 => mx::exp(&mx::negative(&mx::abs(a)?)?)?,
                    3 => mx::sigmoid(a)?,
                    _ => mx::square(a)?,
                }
            }
            Op::Binary(k, a, b) => {
                let (a, b) = (&vs[a % n], &vs[b % n]);
                match k % 4 {
                    0 => mx::add(a, b)?,
                    1 => mx::multiply(a, b)?,
                    2 => mx::maximum(a, b)?,
                    _ => mx::subtract(a, b)?,
                }
            }
            Op::Scalar(k, a, c) => {
                let a = &vs[a % n];
                let c = c as f64 / 8.0;
                match k % 3 {
                    0 => mx::add(a, c)?,
                    1 => mx::multiply(a, c)?,
                    // a scalar subexpression to fold: (c + 1) * 2
                    _ => mx::multiply(a, &mx::multiply(&mx::add(Tensor::scalar(c as f32), 1.0)?, 2.0)?)?,
                }
            }
        };
        vs.push(v);
    }
    let n = vs.len();
    // Two outputs: the last node and a reduction of an earlier one.
    Ok(vec![vs[n - 1].clone(), mx::sum(&vs[n / 2 + 1], Axes::All, false)?])
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), 0usize..64).prop_map(|(k, a)| Op::Unary(k, a)),
        (any::<u8>(), 0usize..64, 0usize..64).prop_map(|(k, a, b)| Op::Binary(k, a, b)),
        (any::<u8>(), 0usize..64, any::<i8>()).prop_map(|(k, a, c)| Op::Scalar(k, a, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    /// Compiled == uncompiled, bit for bit (the replay applies the same primitives), on the
    /// traced inputs and on fresh inputs of the same signature.
    #[test]
    fn compiled_equals_uncompiled(ops in prop::collection::vec(op_strategy(), 1..24), seed in 0u64..1000) {
        let ops = Arc::new(ops);
        let o2 = ops.clone();
        let c = Arc::new(Compiled::new(move |xs: &[Tensor]| eval_graph(&o2, xs), CompileOptions::default()));
        let f = c.function();
        for round in 0..2u64 {
            let (k0, k1) = (mx::random::key(seed * 4 + round * 2), mx::random::key(seed * 4 + round * 2 + 1));
            let x0 = mx::random::normal(&[3, 4], Dtype::Float32, 0.0, 1.0, Some(&k0)).unwrap();
            let x1 = mx::random::uniform(-1.0, 1.0, &[4], Dtype::Float32, Some(&k1)).unwrap();
            let want = eval_graph(&ops, &[x0.clone(), x1.clone()]).unwrap();
            let got = f(&[x0, x1]).unwrap();
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(g.shape(), w.shape());
                let (g, w) = (vals(g), vals(w));
                for (a, b) in g.iter().zip(&w) {
                    prop_assert!(a == b || (a.is_nan() && b.is_nan()), "{} vs {}", a, b);
                }
            }
        }
        prop_assert_eq!(c.trace_count(), 1);
        prop_assert_eq!(c.cache_hits(), 1);
    }
}

#[test]
fn traces_once_per_signature() {
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
    let a = t(&[0.0, 1.0], &[2]);
    let b = t(&[2.0, 3.0], &[2]);
    assert_eq!(f(std::slice::from_ref(&a)).unwrap()[0].to_vec::<f32>().unwrap()[0], 1.0);
    assert!((f(&[b]).unwrap()[0].to_vec::<f32>().unwrap()[1] - 3f32.exp()).abs() < 1e-5);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a hit does not run the function");
    assert_eq!((c.trace_count(), c.cache_hits()), (1, 1));
    // A new shape and a new dtype: misses.
    f(&[t(&[1.0, 2.0, 3.0], &[3])]).unwrap();
    f(&[mx::astype(&a, Dtype::Float64).unwrap()]).unwrap();
    assert_eq!((c.trace_count(), c.cache_len(), calls.load(Ordering::SeqCst)), (3, 3, 3));
    c.clear_cache();
    f(&[a]).unwrap();
    assert_eq!(c.trace_count(), 4);
}

#[test]
fn shapeless_keys_by_rank_and_dtype() {
    // No primitive here bakes a shape: one trace serves every length.
    let c = Arc::new(Compiled::new(|a: &[Tensor]| Ok(vec![mx::multiply(&mx::sin(&a[0])?, &a[0])?]), CompileOptions { shapeless: true }));
    let f = c.function();
    for n in [2usize, 5, 7] {
        let x = Tensor::from_vec((0..n).map(|i| i as f32).collect::<Vec<_>>());
        let y = f(&[x]).unwrap()[0].to_vec::<f32>().unwrap();
        assert_eq!(y.len(), n);
        assert!((y[1] - 1f32.sin()).abs() < 1e-6);
    }
    assert_eq!(c.trace_count(), 1);
    // A reshape bakes the traced shape: a replay that cannot fit re-traces instead of failing.
    let r = Arc::new(Compiled::new(|a: &[Tensor]| Ok(vec![mx::reshape(&a[0], &[-1, 2])?]), CompileOptions { shapeless: true }));
    let g = r.function();
    assert_eq!(g(&[t(&[1.0, 2.0, 3.0, 4.0], &[4])]).unwrap()[0].shape(), &[2, 2]);
    assert_eq!(g(&[t(&[1.0; 6], &[6])]).unwrap()[0].shape(), &[3, 2]);
    assert_eq!(r.trace_count(), 2);
}

#[test]
fn simplification_folds_merges_and_drops() {
    // x * 2 twice (CSE), (1 + 2) * 3 on scalars (folded), an unused branch (DCE after CSE).
    let c = Arc::new(Compiled::new(
        |a: &[Tensor]| {
            let x = &a[0];
            let two_a = mx::multiply(x, 2.0)?;
            let two_b = mx::multiply(x, 2.0)?;
            let k = mx::multiply(&mx::add(Tensor::scalar(1.0f32), 2.0)?, 3.0)?;
            let _unused = mx::exp(&two_b)?;
            Ok(vec![mx::add(&mx::add(&two_a, &two_b)?, &k)?])
        },
        CompileOptions::default(),
    ));
    let f = c.function();
    let x = t(&[1.0, -2.0, 0.5], &[3]);
    let y = f(std::slice::from_ref(&x)).unwrap()[0].to_vec::<f32>().unwrap();
    assert_eq!(y, vec![13.0, 1.0, 11.0]);
    let s = c.stats(&[x]).unwrap();
    // (1 + 2) * 3: two steps (the scalar operands are constant leaves, not steps)
    assert!(s.folded >= 2, "{s:?}");
    assert!(s.merged >= 1, "{s:?}");
    assert!(s.steps < s.traced - s.folded, "{s:?}");
    // What is left: the broadcasts and multiplies of x, the adds; fewer than the uncompiled graph.
    assert!(s.steps <= 6, "{s:?}");
}

#[test]
fn captured_tensors_are_constants() {
    let w = t(&[1.0, 2.0, 3.0], &[3]);
    // A captured lazy tensor (not yet evaluated) and a captured evaluated one.
    let lazy = mx::multiply(&w, 10.0).unwrap();
    let (w2, lazy2) = (w.clone(), lazy.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let k = calls.clone();
    let f = tf::compile(move |a: &[Tensor]| {
        k.fetch_add(1, Ordering::SeqCst);
        Ok(vec![mx::add(&mx::multiply(&a[0], &w2)?, &lazy2)?])
    });
    let x = t(&[1.0, 1.0, 1.0], &[3]);
    assert_eq!(f(std::slice::from_ref(&x)).unwrap()[0].to_vec::<f32>().unwrap(), vec![11.0, 22.0, 33.0]);
    assert_eq!(f(&[mx::multiply(&x, 2.0).unwrap()]).unwrap()[0].to_vec::<f32>().unwrap(), vec![12.0, 24.0, 36.0]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(lazy.to_vec::<f32>().unwrap(), vec![10.0, 20.0, 30.0]);
}

#[test]
fn outputs_may_be_inputs_or_constants() {
    let f = tf::compile(|a: &[Tensor]| Ok(vec![a[1].clone(), mx::ones(&[2], Dtype::Float32)?, mx::add(&a[0], &a[1])?]));
    let (a, b) = (t(&[1.0, 2.0], &[2]), t(&[3.0, 4.0], &[2]));
    for _ in 0..2 {
        let o = f(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(o[0].to_vec::<f32>().unwrap(), vec![3.0, 4.0]);
        assert_eq!(o[1].to_vec::<f32>().unwrap(), vec![1.0, 1.0]);
        assert_eq!(o[2].to_vec::<f32>().unwrap(), vec![4.0, 6.0]);
    }
}

#[test]
fn errors_propagate_and_are_not_cached() {
    let c = Arc::new(Compiled::new(|a: &[Tensor]| Ok(vec![mx::matmul(&a[0], &a[0])?]), CompileOptions::default()));
    let f = c.function();
    let e = f(&[t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])]).unwrap_err();
    assert!(e.to_string().starts_with("[matmul]"), "{e}");
    assert_eq!(c.cache_len(), 0);
    assert_eq!(f(&[t(&[1.0, 2.0, 3.0, 4.0], &[2, 2])]).unwrap()[0].to_vec::<f32>().unwrap(), vec![7.0, 10.0, 15.0, 22.0]);
}

#[test]
fn shared_across_threads() {
    let c = Arc::new(Compiled::new(
        |a: &[Tensor]| Ok(vec![mx::add(&mx::multiply(&a[0], &a[0])?, 1.0)?]),
        CompileOptions::default(),
    ));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let f = c.function();
            std::thread::spawn(move || {
                for j in 0..20 {
                    let v = (i * 100 + j) as f32;
                    let y = f(&[t(&[v, -v], &[2])]).unwrap()[0].to_vec::<f32>().unwrap();
                    assert_eq!(y, vec![v * v + 1.0, v * v + 1.0]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(c.cache_len(), 1);
    // Threads racing on the first call may each trace; every later call hits.
    assert!(c.trace_count() <= 4);
    assert_eq!(c.trace_count() + c.cache_hits(), 80);
}

fn gelu(a: &[Tensor]) -> Result<Vec<Tensor>> {
    let x = &a[0];
    let e = mx::add(&mx::erf(&mx::multiply(x, std::f64::consts::FRAC_1_SQRT_2)?)?, 1.0)?;
    Ok(vec![mx::sum(&mx::multiply(&mx::multiply(x, 0.5)?, &e)?, Axes::All, false)?])
}

#[test]
fn composes_with_grad_and_vmap() {
    let x = t(&[-1.5, -0.2, 0.0, 0.7, 2.0, 3.0], &[2, 3]);
    let want = tf::grad(gelu, &[0])(std::slice::from_ref(&x)).unwrap().remove(0);
    let compiled_grad = tf::compile(tf::grad(gelu, &[0]));
    let grad_compiled = tf::grad(tf::compile(gelu), &[0]);
    let close = |a: Vec<f64>, b: Vec<f64>| {
        assert_eq!(a.len(), b.len());
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-6, "{a:?} vs {b:?}");
        }
    };
    for _ in 0..2 {
        close(vals(&compiled_grad(std::slice::from_ref(&x)).unwrap()[0]), vals(&want));
        close(vals(&grad_compiled(std::slice::from_ref(&x)).unwrap()[0]), vals(&want));
    }
    // vmap of a compiled per-row function, and grad of grad through compile.
    let rows = tf::vmap(tf::compile(gelu), &[Some(0)], &[0])(std::slice::from_ref(&x)).unwrap().remove(0);
    let r0 = gelu(&[mx::slice(&x, &[0, 0], &[1, 3], &[1, 1]).unwrap()]).unwrap().remove(0);
    assert_eq!(rows.shape(), &[2]);
    assert!((vals(&rows)[0] - vals(&r0)[0]).abs() < 1e-6);
    let g2 = tf::grad(move |a: &[Tensor]| Ok(vec![mx::sum(&tf::grad(tf::compile(gelu), &[0])(a)?[0], Axes::All, false)?]), &[0]);
    let want2 = tf::grad(move |a: &[Tensor]| Ok(vec![mx::sum(&tf::grad(gelu, &[0])(a)?[0], Axes::All, false)?]), &[0]);
    close(vals(&g2(std::slice::from_ref(&x)).unwrap()[0]), vals(&want2(&[x]).unwrap()[0]));
}

#[test]
fn training_loop_step_compiles_once() {
    // A compiled value_and_grad step: the same signature every iteration.
    let calls = Arc::new(AtomicUsize::new(0));
    let k = calls.clone();
    let loss = move |a: &[Tensor]| -> Result<Vec<Tensor>> {
        k.fetch_add(1, Ordering::SeqCst);
        let d = mx::subtract(&mx::multiply(&a[0], &a[1])?, &a[2])?;
        Ok(vec![mx::mean(&mx::square(&d)?, Axes::All, false)?])
    };
    let step = tf::compile(tf::grad(loss, &[0]));
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let y = t(&[2.0, 4.0, 6.0, 8.0], &[4]);
    let mut w = t(&[0.0], &[1]);
    for _ in 0..200 {
        let g = step(&[w.clone(), x.clone(), y.clone()]).unwrap().remove(0);
        w = mx::subtract(&w, mx::multiply(&g, 0.02).unwrap()).unwrap();
        w.eval().unwrap();
    }
    assert!((w.item::<f32>().unwrap() - 2.0).abs() < 1e-3);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
