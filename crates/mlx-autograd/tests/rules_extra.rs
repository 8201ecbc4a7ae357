//! The issue #4 rules beyond the registry property test (which checks their VJP against finite
//! differences and their JVP against their VJP): MLX's conventions at ties and zeros on exact
//! values, and batching (vmap) checked against a loop over the batch.

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Dtype, Result, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape).unwrap()
}

fn vals(x: &Tensor) -> Vec<f64> {
    mx::astype(x, Dtype::Float64).unwrap().to_vec::<f64>().unwrap()
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-9 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

/// grad of sum(scan(x) * [1, 2, ...]).
fn weighted_grad(scan: impl Fn(&Tensor) -> Result<Tensor> + 'static, x: &Tensor) -> Vec<f64> {
    let n = x.size();
    let w = mx::arange(1, n as i64 + 1, 1, Dtype::Float64).unwrap();
    let f = move |a: &[Tensor]| Ok(vec![mx::sum(&mx::multiply(&scan(&a[0])?, &w)?, Axes::All, false)?]);
    vals(&tf::grad(f, &[0])(std::slice::from_ref(x)).unwrap()[0])
}

#[test]
fn cummax_cummin_ties_route_to_the_latest_equal_element() {
    // The values MLX 0.32 gives (mx.grad, cotangent 1..6).
    let x = t(&[1.0, 3.0, 3.0, 2.0, 5.0, 5.0], &[6]);
    close(&weighted_grad(|x| mx::cummax(x, 0, false, true), &x), &[1.0, 2.0, 7.0, 0.0, 5.0, 6.0]);
    close(&weighted_grad(|x| mx::cummax(x, 0, false, false), &x), &[2.0, 3.0, 9.0, 0.0, 6.0, 0.0]);
    close(&weighted_grad(|x| mx::cummax(x, 0, true, true), &x), &[0.0, 0.0, 0.0, 0.0, 15.0, 6.0]);
    close(&weighted_grad(|x| mx::cummax(x, 0, true, false), &x), &[0.0, 0.0, 0.0, 0.0, 10.0, 5.0]);
    close(&weighted_grad(|x| mx::cummin(x, 0, false, true), &x), &[21.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    close(&weighted_grad(|x| mx::cummin(x, 0, true, true), &x), &[1.0, 0.0, 0.0, 9.0, 5.0, 6.0]);
    close(&weighted_grad(|x| mx::cummin(x, 0, true, false), &x), &[0.0, 0.0, 0.0, 6.0, 4.0, 5.0]);
}

#[test]
fn cumprod_zeros() {
    // MLX: [1, 22, 0, 0, 0] for x = [2, 0, 3, 0, 4] and cotangent 1..5.
    let x = t(&[2.0, 0.0, 3.0, 0.0, 4.0], &[5]);
    close(&weighted_grad(|x| mx::cumprod(x, 0, false, true), &x), &[1.0, 22.0, 0.0, 0.0, 0.0]);
    // jvp at zeros agrees with the vjp (<v, J u> = <J^T v, u> with u, v one-hot).
    let f = |a: &[Tensor]| Ok(vec![mx::cumprod(&a[0], 0, false, true)?]);
    for j in 0..5 {
        let mut u = vec![0.0; 5];
        u[j] = 1.0;
        let (_, ju) = tf::jvp(f, std::slice::from_ref(&x), &[t(&u, &[5])]).unwrap();
        for i in 0..5 {
            let mut v = vec![0.0; 5];
            v[i] = 1.0;
            let (_, vj) = tf::vjp(f, std::slice::from_ref(&x), &[t(&v, &[5])]).unwrap();
            assert_eq!(vals(&ju[0])[i], vals(&vj[0])[j], "d y_{i} / d x_{j}");
        }
    }
}

#[test]
fn view_is_not_differentiable() {
    let x = t(&[1.0, 2.0], &[2]);
    let f = |a: &[Tensor]| Ok(vec![mx::sum(&mx::astype(&mx::view(&a[0], Dtype::Int64)?, Dtype::Float64)?, Axes::All, false)?]);
    let e = tf::grad(f, &[0])(std::slice::from_ref(&x)).unwrap_err().to_string();
    assert!(e.starts_with("[view]") && e.contains("not implemented for View int64"), "{e}");
    // vmap works: each row's bytes reinterpreted.
    let rows = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let v = tf::vmap(|a: &[Tensor]| Ok(vec![mx::view(&a[0], Dtype::Uint32)?]), &[Some(0)], &[0])(std::slice::from_ref(&rows)).unwrap();
    assert_eq!(v[0].shape(), &[2, 4]);
    assert_eq!(v[0].to_vec::<u32>().unwrap(), mx::view(&rows, Dtype::Uint32).unwrap().to_vec::<u32>().unwrap());
}

/// vmap(f) over axis `axis` of `xs[0]` (the others unbatched) equals stacking f of each slice.
fn check_vmap(f: impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + 'static, xs: &[Tensor], axes: &[Option<i32>]) {
    let f = std::rc::Rc::new(f);
    let g = f.clone();
    let got = tf::vmap(move |a: &[Tensor]| g(a), axes, &[0])(xs).unwrap().remove(0);
    let b = xs.iter().zip(axes).find_map(|(x, a)| a.map(|a| x.shape()[a as usize])).unwrap();
    let mut rows = vec![];
    for i in 0..b {
        let args: Vec<Tensor> = xs
            .iter()
            .zip(axes)
            .map(|(x, a)| match a {
                Some(a) => mx::take(x, &Tensor::scalar(i as i32), *a).unwrap(),
                None => x.clone(),
            })
            .collect();
        rows.push(f(&args).unwrap().remove(0));
    }
    let want = mx::stack(&rows, 0).unwrap();
    assert_eq!(got.shape(), want.shape());
    close(&vals(&got), &vals(&want));
}

#[test]
fn vmap_of_the_new_primitives_matches_a_loop() {
    let r = |n: usize, s: u64| mx::astype(&mx::random::normal(&[n], Dtype::Float32, 0.0, 1.0, Some(&mx::random::key(s))).unwrap(), Dtype::Float64).unwrap();
    let x = mx::reshape(&r(24, 1), &[2, 3, 4]).unwrap();
    for rev in [false, true] {
        check_vmap(move |a: &[Tensor]| Ok(vec![mx::cumprod(&a[0], 1, rev, !rev)?]), std::slice::from_ref(&x), &[Some(0)]);
        check_vmap(move |a: &[Tensor]| Ok(vec![mx::logcumsumexp(&a[0], 0, rev, true)?]), std::slice::from_ref(&x), &[Some(2)]);
    }
    // gather_mm with a batched lhs, a batched rhs, and batched indices.
    let a = mx::reshape(&r(2 * 3 * 2 * 4, 2), &[2, 3, 2, 4]).unwrap();
    let b = mx::reshape(&r(4 * 4 * 3 * 2, 3), &[4, 4, 3, 2]).unwrap();
    let li = Tensor::from_slice(&[2u32, 0, 2], &[3]).unwrap();
    let ri = Tensor::from_slice(&[1u32, 1, 3], &[3]).unwrap();
    let (l2, r2) = (li.clone(), ri.clone());
    let gmm = move |x: &[Tensor]| Ok(vec![mx::gather_mm(&x[0], &x[1], Some(&l2), Some(&r2), false)?]);
    check_vmap(gmm.clone(), &[a.clone(), mx::take(&b, &Tensor::scalar(0i32), 3).unwrap()], &[Some(0), None]);
    check_vmap(gmm, &[mx::take(&a, &Tensor::scalar(1i32), 0).unwrap(), b.clone()], &[None, Some(3)]);
    let idx = Tensor::from_slice(&[0u32, 1, 2, 2, 1, 0], &[2, 3]).unwrap();
    let a0 = mx::take(&a, &Tensor::scalar(0i32), 0).unwrap();
    let b0 = mx::take(&b, &Tensor::scalar(0i32), 3).unwrap();
    check_vmap(
        move |x: &[Tensor]| Ok(vec![mx::gather_mm(&x[0], &x[1], Some(&x[2]), Some(&x[2]), false)?]),
        &[a0, b0, idx],
        &[None, None, Some(0)],
    );
    // as_strided: overlapping windows of each row; scatter max/min/prod with duplicates.
    let rows = mx::reshape(&r(24, 4), &[2, 12]).unwrap();
    check_vmap(|a: &[Tensor]| Ok(vec![mx::as_strided(&a[0], &[3, 4], &[2, 1], 1)?]), std::slice::from_ref(&rows), &[Some(0)]);
    let i = Tensor::from_slice(&[0i32, 2, 0], &[3]).unwrap();
    let u = mx::reshape(&r(12, 5), &[2, 3, 2]).unwrap();
    let x2 = mx::reshape(&r(8, 6), &[4, 2]).unwrap();
    check_vmap(move |a: &[Tensor]| Ok(vec![a[0].at(&i).maximum(&a[1])?]), &[x2.clone(), u.clone()], &[None, Some(0)]);
    let i = Tensor::from_slice(&[1i32, 1, 3], &[3]).unwrap();
    check_vmap(move |a: &[Tensor]| Ok(vec![a[0].at(&i).multiply(&a[1])?]), &[x2, u], &[None, Some(0)]);
}

#[test]
fn vmap_of_grad_through_the_new_rules() {
    // Per-example gradients of a loss using gather_mm and cummax equal a loop of grads.
    let r = |n: usize, s: u64| mx::astype(&mx::random::normal(&[n], Dtype::Float32, 0.0, 1.0, Some(&mx::random::key(s))).unwrap(), Dtype::Float64).unwrap();
    let b = mx::reshape(&r(4 * 4 * 3, 7), &[4, 4, 3]).unwrap();
    let loss = move |a: &[Tensor]| -> Result<Vec<Tensor>> {
        let li = Tensor::from_slice(&[2u32, 0, 2], &[3])?;
        let ri = Tensor::from_slice(&[1u32, 1, 3], &[3])?;
        let y = mx::gather_mm(&a[0], &b, Some(&li), Some(&ri), false)?;
        Ok(vec![mx::sum(&mx::cummax(&mx::reshape(&y, &[-1])?, 0, false, true)?, Axes::All, false)?])
    };
    let a = mx::reshape(&r(2 * 3 * 2 * 4, 8), &[2, 3, 2, 4]).unwrap();
    check_vmap(tf::grad(loss, &[0]), &[a], &[Some(0)]);
}
