//! Behaviour of the transforms: composition, argnums/aux, trees, custom functions, checkpoint,
//! stop_gradient, closures, threads, and clear errors on bad input.

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Tensor};

fn t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape).unwrap()
}
fn v(x: &Tensor) -> Vec<f32> {
    x.to_vec::<f32>().unwrap()
}
fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}
fn sum(x: &Tensor) -> mx::Result<Tensor> {
    mx::sum(x, Axes::All, false)
}

#[test]
fn grad_of_grad_of_cube() {
    // f = x^3: f' = 3x^2, f'' = 6x, f''' = 6
    let f = |x: &Tensor| mx::multiply(&mx::multiply(x, x)?, x);
    let d1 = tf::grad1(f);
    let d2 = tf::grad1(d1);
    let d3 = tf::grad1(d2);
    let x = Tensor::scalar(2.0f32);
    assert_eq!(d3(&x).unwrap().item::<f32>().unwrap(), 6.0);
    let d2 = tf::grad1(tf::grad1(f));
    assert_eq!(d2(&x).unwrap().item::<f32>().unwrap(), 12.0);
}

#[test]
fn argnums_and_aux() {
    let f = |a: &[Tensor]| {
        let loss = sum(&mx::multiply(&mx::multiply(&a[0], &a[1])?, &a[2])?)?;
        Ok(vec![loss.clone(), mx::multiply(&loss, 10.0)?])
    };
    let x = t(&[1.0, 2.0], &[2]);
    let y = t(&[3.0, 4.0], &[2]);
    let z = t(&[5.0, 6.0], &[2]);
    let (outs, g) = tf::value_and_grad(f, &[2, 0])(&[x, y, z]).unwrap();
    assert_eq!(outs.len(), 2);
    assert_eq!(outs[0].item::<f32>().unwrap(), 15.0 + 48.0);
    assert_eq!(outs[1].item::<f32>().unwrap(), 630.0);
    // MLX order: increasing argument index whatever the order of argnums
    assert_eq!(v(&g[0]), vec![15.0, 24.0]); // d/dx = y*z
    assert_eq!(v(&g[1]), vec![3.0, 8.0]); // d/dz = x*y
}

#[test]
fn trees_of_parameters() {
    let mut p = tf::Tree::new();
    p.insert("layers.0.weight".into(), t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]));
    p.insert("layers.0.bias".into(), t(&[0.5, -0.5], &[2]));
    let x = t(&[1.0, 1.0], &[1, 2]);
    let f = move |p: &tf::Tree| {
        let h = mx::add(&mx::matmul(&x, &p["layers.0.weight"])?, &p["layers.0.bias"])?;
        sum(&mx::square(&h)?)
    };
    let (loss, g) = tf::value_and_grad_tree(f)(&p).unwrap();
    // h = [4.5, 5.5]; loss = 20.25 + 30.25
    assert_eq!(loss.item::<f32>().unwrap(), 50.5);
    assert_eq!(g.keys().collect::<Vec<_>>(), vec!["layers.0.bias", "layers.0.weight"]);
    assert_eq!(v(&g["layers.0.bias"]), vec![9.0, 11.0]);
    assert_eq!(v(&g["layers.0.weight"]), vec![9.0, 11.0, 9.0, 11.0]);
}

#[test]
fn jvp_of_vjp_and_vjp_agree() {
    let f = |a: &[Tensor]| Ok(vec![mx::multiply(&mx::exp(&a[0])?, &a[0])?]);
    let x = t(&[0.5, -1.0], &[2]);
    // Hessian-vector product of sum(f) via jvp of the gradient.
    let g = move |a: &[Tensor]| Ok(tf::vjp(f, a, &[mx::ones(&[2], None)?])?.1);
    let (_, hv) = tf::jvp(g, std::slice::from_ref(&x), &[t(&[1.0, 1.0], &[2])]).unwrap();
    // d2/dx2 x e^x = (x + 2) e^x
    let want: Vec<f32> = [0.5f32, -1.0].iter().map(|x| (x + 2.0) * x.exp()).collect();
    close(&v(&hv[0]), &want);
}

#[test]
fn vmap_of_grad_and_grad_of_vmap() {
    let f = |x: &Tensor| sum(&mx::multiply(&mx::multiply(x, x)?, x)?);
    let per_example = tf::vmap1(tf::grad1(f), 0, 0);
    let xs = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    close(&v(&per_example(&xs).unwrap()), &[3.0, 12.0, 27.0, 48.0]);
    let g = tf::grad1(move |x: &Tensor| sum(&tf::vmap1(|r: &Tensor| sum(&mx::square(r)?), 1, 0)(x)?));
    close(&v(&g(&xs).unwrap()), &[2.0, 4.0, 6.0, 8.0]);
}

#[test]
fn nested_vmap_and_axes() {
    // outer over axis 1 of x, inner over axis 0; x: [2, 3, 4]
    let x = mx::reshape(&mx::arange(0, 24, 1, mx::Dtype::Float32).unwrap(), &[2, 3, 4]).unwrap();
    let inner = tf::vmap1(|r: &Tensor| sum(r), 0, 0);
    let outer = tf::vmap1(inner, 1, 1);
    let out = outer(&x).unwrap();
    // out[i, j] = sum_k x[i, j, k]
    assert_eq!(out.shape(), &[2, 3]);
    let want = mx::sum(&x, -1, false).unwrap();
    assert_eq!(v(&out), v(&want));
}

#[test]
fn vmap_unmapped_and_constant_outputs() {
    let w = t(&[1.0, 2.0], &[2]);
    let f = |a: &[Tensor]| Ok(vec![mx::multiply(&a[0], &a[1])?, mx::full(&[], 7.0f32, None)?]);
    let out = tf::vmap(f, &[Some(0), None], &[0])(&[t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]), w]).unwrap();
    assert_eq!(v(&out[0]), vec![1.0, 4.0, 3.0, 8.0, 5.0, 12.0]);
    assert_eq!(v(&out[1]), vec![7.0, 7.0, 7.0]);
}

#[test]
fn stop_gradient_blocks() {
    let g = tf::grad1(|x: &Tensor| sum(&mx::multiply(x, &mx::stop_gradient(x)?)?));
    assert_eq!(v(&g(&t(&[3.0], &[1])).unwrap()), vec![3.0]);
}

#[test]
fn closures_capture_constants() {
    let c = t(&[2.0, 3.0], &[2]);
    let x = t(&[1.0, 1.0], &[2]);
    // The same tensor captured and passed: the captured one is a constant.
    let x2 = x.clone();
    let g = tf::grad1(move |a: &Tensor| sum(&mx::multiply(&mx::multiply(a, &c)?, &x2)?));
    assert_eq!(v(&g(&x).unwrap()), vec![2.0, 3.0]);
}

#[test]
fn eval_and_item_inside_the_function() {
    let g = tf::grad1(|x: &Tensor| {
        let y = mx::exp(x)?;
        y.eval()?;
        let _ = mx::sum(&y, Axes::All, false)?.item::<f32>()?;
        sum(&mx::multiply(&y, x)?)
    });
    let x = t(&[0.0, 1.0], &[2]);
    close(&v(&g(&x).unwrap()), &[1.0, 2.0 * 1f32.exp()]);
}

#[test]
fn custom_function_rules() {
    let f = tf::CustomFunction::new(|a: &[Tensor]| Ok(vec![mx::multiply(&a[0], &a[1])?]))
        .with_vjp(|p, c, _o| Ok(vec![mx::multiply(&c[0], 100.0)?, mx::multiply(&c[0], &p[0])?]))
        .with_jvp(|_p, tans| Ok(vec![mx::add(&tans[0], &tans[1])?]))
        .with_vmap(|ins, axes| {
            // inputs batched on the same axis here
            Ok((vec![mx::multiply(&ins[0], &ins[1])?], vec![axes[0].or(axes[1])]))
        });
    let x = t(&[1.0, 2.0], &[2]);
    let y = t(&[3.0, 4.0], &[2]);
    let f2 = f.clone();
    let g = tf::grad(move |a: &[Tensor]| Ok(vec![sum(&f2.call(a)?[0])?]), &[0, 1])(&[x.clone(), y.clone()]).unwrap();
    assert_eq!(v(&g[0]), vec![100.0, 100.0]);
    assert_eq!(v(&g[1]), vec![1.0, 2.0]);
    let f3 = f.clone();
    let (o, tan) = tf::jvp(move |a: &[Tensor]| f3.call(a), &[x.clone(), y.clone()], &[x.clone(), y.clone()]).unwrap();
    assert_eq!(v(&o[0]), vec![3.0, 8.0]);
    assert_eq!(v(&tan[0]), vec![4.0, 6.0]);
    let f4 = f.clone();
    let out = tf::vmap(move |a: &[Tensor]| f4.call(a), &[Some(0), Some(0)], &[0])(&[x, y]).unwrap();
    assert_eq!(v(&out[0]), vec![3.0, 8.0]);
}

#[test]
fn checkpoint_matches_plain_gradient() {
    let body = |a: &[Tensor]| Ok(vec![mx::exp(&mx::multiply(&a[0], &a[0])?)?]);
    let ck = tf::checkpoint(body);
    let x = t(&[0.3, -0.7], &[2]);
    let g1 = tf::grad(move |a: &[Tensor]| Ok(vec![sum(&ck(a)?[0])?]), &[0])(std::slice::from_ref(&x)).unwrap();
    let g2 = tf::grad(move |a: &[Tensor]| Ok(vec![sum(&body(a)?[0])?]), &[0])(&[x]).unwrap();
    close(&v(&g1[0]), &v(&g2[0]));
}

#[test]
fn transforms_on_several_threads() {
    let handles: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let mut acc = 0.0f32;
                for i in 0..50 {
                    let c = (k * 100 + i) as f32;
                    let g = tf::grad1(move |x: &Tensor| sum(&mx::multiply(&mx::square(x)?, c)?));
                    acc += g(&Tensor::scalar(1.0f32)).unwrap().item::<f32>().unwrap();
                }
                acc
            })
        })
        .collect();
    for (k, h) in handles.into_iter().enumerate() {
        let want: f32 = (0..50).map(|i| 2.0 * (k * 100 + i) as f32).sum();
        assert_eq!(h.join().unwrap(), want);
    }
}

fn msg(e: mx::Error) -> String {
    e.to_string()
}

#[test]
fn errors_are_clear() {
    let x = t(&[1.0, 2.0], &[2]);
    let e = tf::grad1(|x: &Tensor| mx::multiply(x, 2.0))(&x).unwrap_err();
    assert!(msg(e).starts_with("[value_and_grad] The function must return a scalar"));
    let e = tf::grad(|a: &[Tensor]| Ok(vec![sum(&a[0])?]), &[3])(std::slice::from_ref(&x)).unwrap_err();
    assert_eq!(
        msg(e),
        "[grad] Can't compute the gradient of argument index 3 because the function is called with only 1 positional arguments."
    );
    let e = tf::vmap(|a: &[Tensor]| Ok(vec![mx::add(&a[0], &a[1])?]), &[Some(0), Some(0)], &[0])(&[
        mx::ones(&[3, 2], None).unwrap(),
        mx::ones(&[4, 2], None).unwrap(),
    ])
    .unwrap_err();
    assert_eq!(msg(e), "[vmap] Inconsistent axis sizes: 3 and 4.");
    let e = tf::vmap1(|a: &Tensor| sum(a), 2, 0)(&mx::ones(&[2, 3], None).unwrap()).unwrap_err();
    assert_eq!(msg(e), "[vmap] Invalid vectorization axis 2 for array with shape (2,3)");
    let e = tf::vjp(|a: &[Tensor]| Ok(vec![a[0].clone()]), std::slice::from_ref(&x), &[Tensor::scalar(1.0f32)]).unwrap_err();
    assert_eq!(msg(e), "[vjp] Output shape (2) does not match cotangent shape ().");
    let e = tf::vjp(|a: &[Tensor]| Ok(vec![a[0].clone()]), std::slice::from_ref(&x), &[]).unwrap_err();
    assert!(msg(e).starts_with("[vjp] Number of outputs"));
    let e = tf::jvp(|a: &[Tensor]| Ok(vec![a[0].clone()]), std::slice::from_ref(&x), &[Tensor::scalar(1.0f32)]).unwrap_err();
    assert!(msg(e).starts_with("[jvp] Primal shape (2)"));
    let e = tf::vmap(|a: &[Tensor]| Ok(vec![a[0].clone()]), &[Some(0)], &[0, 1])(std::slice::from_ref(&x)).unwrap_err();
    assert!(msg(e).starts_with("[vmap] The number of out axes"));
    let e = tf::vmap(|a: &[Tensor]| Ok(vec![a[0].clone()]), &[None], &[0])(std::slice::from_ref(&x)).unwrap_err();
    assert!(msg(e).starts_with("[vmap]"));
    // The function's own error comes through unchanged.
    let e = tf::grad1(|x: &Tensor| mx::reshape(x, &[3]))(&x).unwrap_err();
    assert!(msg(e).starts_with("[reshape]"));
}

#[test]
fn non_differentiable_primitives_give_zero_like_mlx() {
    let x = t(&[1.0, 2.0, 2.0, -1.0], &[4]);
    // argmax: no gradient
    let g = tf::grad1(|a: &Tensor| mx::add(&mx::astype(&mx::argmax(a, None, false)?, mx::Dtype::Float32)?, &sum(a)?));
    assert_eq!(v(&g(&x).unwrap()), vec![1.0; 4]);
    // equal: mask is constant
    let g = tf::grad1(|a: &Tensor| sum(&mx::multiply(&mx::astype(&mx::equal(a, 2.0)?, mx::Dtype::Float32)?, a)?));
    assert_eq!(v(&g(&x).unwrap()), vec![0.0, 1.0, 1.0, 0.0]);
    // astype to int and back: the cotangent is cast through (MLX)
    let g = tf::grad1(|a: &Tensor| sum(&mx::astype(&mx::astype(a, mx::Dtype::Int32)?, mx::Dtype::Float32)?));
    assert_eq!(v(&g(&x).unwrap()), vec![1.0; 4]);
}

#[test]
fn jvp_of_vmap_and_vmap_of_jvp() {
    let f = |x: &Tensor| mx::multiply(&mx::exp(x)?, x);
    let xs = t(&[0.0, 1.0, -1.0, 0.5], &[2, 2]);
    let ones = mx::ones(&[2, 2], None).unwrap();
    let want: Vec<f32> = v(&xs).iter().map(|x| (x + 1.0) * x.exp()).collect();
    let vf = tf::vmap1(f, 0, 0);
    let (_, tj) = tf::jvp(move |a: &[Tensor]| Ok(vec![vf(&a[0])?]), std::slice::from_ref(&xs), std::slice::from_ref(&ones)).unwrap();
    close(&v(&tj[0]), &want);
    let jf = |a: &[Tensor]| {
        let (_, t) = tf::jvp(|b: &[Tensor]| Ok(vec![f(&b[0])?]), &a[..1], &a[1..])?;
        Ok(t)
    };
    let out = tf::vmap(jf, &[Some(1), Some(1)], &[1])(&[xs, ones]).unwrap();
    close(&v(&out[0]), &want);
}

#[test]
fn vmap_over_an_empty_batch() {
    let out = tf::vmap1(|r: &Tensor| sum(&mx::exp(r)?), 0, 0)(&mx::zeros(&[0, 3], None).unwrap()).unwrap();
    assert_eq!(out.shape(), &[0]);
}

#[test]
fn custom_function_rule_errors_are_reported() {
    let f = tf::CustomFunction::new(|a: &[Tensor]| Ok(vec![mx::exp(&a[0])?])).with_vjp(|_p, _c, _o| Ok(vec![]));
    let g = tf::grad1(move |x: &Tensor| sum(&f.call(std::slice::from_ref(x))?[0]));
    let e = g(&t(&[1.0], &[1])).unwrap_err();
    assert!(msg(e).starts_with("[custom_function] The vjp must return 1 arrays"));
}

#[test]
fn gradient_of_an_integer_argument_is_integer_like_mlx() {
    let x = Tensor::from_slice(&[1i32, 2], &[2]).unwrap();
    let g = tf::grad1(|a: &Tensor| sum(a))(&x).unwrap();
    assert_eq!(g.dtype(), mx::Dtype::Int32);
    assert_eq!(g.to_vec::<i32>().unwrap(), vec![1, 1]);
}

#[test]
fn nested_grad_inside_vmap_inside_grad() {
    // d/dx sum_i (d/dx_i x_i^3) = sum 6 x_i, differentiated through vmap and an inner grad.
    let inner = tf::vmap1(tf::grad1(|r: &Tensor| sum(&mx::multiply(&mx::square(r)?, r)?)), 0, 0);
    let outer = tf::grad1(move |x: &Tensor| sum(&inner(x)?));
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    close(&v(&outer(&x).unwrap()), &[6.0, 12.0, 18.0, 24.0]);
}

#[test]
fn checkpoint_does_not_keep_its_intermediates() {
    use std::sync::{Arc, Mutex};
    let flags = Arc::new(Mutex::new(vec![]));
    let ck = tf::checkpoint(|a: &[Tensor]| Ok(vec![mx::exp(&mx::exp(&a[0])?)?]));
    let f2 = flags.clone();
    let g = tf::grad1(move |x: &Tensor| {
        let out = ck(std::slice::from_ref(x))?.remove(0);
        // The custom node keeps its inputs (the transform walks it); the forward output behind
        // it was built without tracing, so its own graph is freed once evaluated.
        let fwd = out.inputs()[1].clone();
        f2.lock().unwrap().extend([out.keeps_inputs(), fwd.keeps_inputs()]);
        sum(&out)
    });
    let x = t(&[0.1, 0.2], &[2]);
    let want: Vec<f32> = [0.1f32, 0.2].iter().map(|x| (x.exp()).exp() * x.exp()).collect();
    close(&v(&g(&x).unwrap()), &want);
    assert_eq!(*flags.lock().unwrap(), vec![true, false]);
}

#[test]
fn eval_inside_a_vmapped_function() {
    let f = tf::vmap1(
        |r: &Tensor| {
            let s = sum(r)?;
            let _ = s.item::<f32>()?; // the placeholder holds the first row: evaluation works
            mx::multiply(r, &s)
        },
        0,
        0,
    );
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(v(&f(&x).unwrap()), vec![3.0, 6.0, 21.0, 28.0]);
}

#[test]
fn a_transform_inside_a_checkpoint_inside_a_transform() {
    // The inner grad finishes while the outer one is paused (checkpoint's forward): it must not
    // release the outer trace's graph, even when everything is evaluated on the way.
    let ck = tf::checkpoint(|a: &[Tensor]| {
        let inner = tf::grad1(|y: &Tensor| sum(&mx::multiply(&mx::square(y)?, y)?)); // 3 y^2
        let g = inner(&a[0])?;
        g.eval()?;
        Ok(vec![g])
    });
    let outer = tf::grad1(move |x: &Tensor| {
        let y = mx::exp(x)?; // y = e^x, evaluated inside the outer trace
        y.eval()?;
        let out = sum(&ck(&[y])?[0])?; // sum 3 e^{2x}
        out.eval()?;
        Ok(out)
    });
    let x = t(&[0.0, 0.5], &[2]);
    let want: Vec<f32> = [0.0f32, 0.5].iter().map(|x| 6.0 * (2.0 * x).exp()).collect();
    close(&v(&outer(&x).unwrap()), &want);
}

#[test]
fn vmap_of_put_along_axis_matches_a_loop() {
    // x batched on axis 1, updates on axis 0, indices unbatched (broadcast batch axis).
    let idx = Tensor::from_slice(&[2i32, 0], &[2]).unwrap();
    let xs = t(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &[3, 3]);
    let us = t(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0], &[3, 2]);
    let idx2 = idx.clone();
    let f = move |a: &[Tensor]| Ok(vec![mx::put_along_axis(&a[0], &idx2, &a[1], 0)?]);
    let out = tf::vmap(f, &[Some(1), Some(0)], &[0])(&[xs.clone(), us.clone()]).unwrap();
    // row b: x[:, b] with x[2] = u[b, 0], x[0] = u[b, 1]
    let mut expect = Vec::new();
    for b in 0..3usize {
        let col: Vec<f32> = (0..3).map(|i| v(&xs)[i * 3 + b]).collect();
        let mut col = col;
        col[2] = v(&us)[b * 2];
        col[0] = v(&us)[b * 2 + 1];
        expect.extend(col);
    }
    close(&v(&out[0]), &expect);
    // and the gradient of the vmapped scatter-add: ones to x, the gathered cotangent to updates
    let g = tf::grad(
        move |a: &[Tensor]| {
            let h = |b: &[Tensor]| Ok(vec![mx::put_along_axis(&b[0], &idx, &b[1], 0)?]);
            let y = tf::vmap(h, &[Some(1), Some(0)], &[0])(a)?;
            Ok(vec![sum(&mx::multiply(&y[0], &y[0])?)?])
        },
        &[0, 1],
    )(&[xs.clone(), us.clone()])
    .unwrap();
    // d/dx sum(y^2) = 2x at untouched positions (row 1 of x), 0 at overwritten ones; d/du = 2u
    close(&v(&g[0]), &[0.0, 0.0, 0.0, 6.0, 8.0, 10.0, 0.0, 0.0, 0.0]);
    close(&v(&g[1]), &v(&mx::multiply(&us, 2.0).unwrap()));
}
