//! Transforms of the fused last-axis primitives equal the transforms of their composite
//! definitions: vjp, jvp, and vmap (array batched, and weight batched too), in float64.

use mlx_autograd as tf;
use mlx_core::{self as mx, fast, FusedOp, Primitive, Result, Tensor};

fn values(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let v: Vec<f64> = (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0
        })
        .collect();
    Tensor::from_slice(&v, shape).unwrap()
}

fn close(a: &Tensor, b: &Tensor) {
    assert_eq!(a.shape(), b.shape());
    let (a, b) = (a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-10 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

const OPS: [FusedOp; 4] = [
    FusedOp::Softmax,
    FusedOp::LogSumExp,
    FusedOp::RmsNorm { eps: 1e-5, weight: true },
    FusedOp::LayerNorm { eps: 1e-5, weight: true, bias: true },
];

fn inputs(op: FusedOp) -> Vec<Tensor> {
    let mut xs = vec![values(&[3, 5], 1)];
    xs.extend((1..op.arity()).map(|k| values(&[5], 10 + k as u64)));
    xs
}

fn fused(op: FusedOp) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>> {
    move |xs: &[Tensor]| mx::graph::apply(Primitive::Fused(op), xs.to_vec())
}

fn composite(op: FusedOp) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>> {
    move |xs: &[Tensor]| Ok(vec![fast::fused_definition(op, xs)?])
}

#[test]
fn vjp_and_jvp_are_the_composites() {
    for op in OPS {
        let xs = inputs(op);
        let out_shape = fused(op)(&xs).unwrap()[0].shape().to_vec();
        let ct = values(&out_shape, 7);
        let (_, g1) = tf::vjp(fused(op), &xs, &[ct.clone()]).unwrap();
        let (_, g2) = tf::vjp(composite(op), &xs, &[ct]).unwrap();
        assert_eq!(g1.len(), xs.len());
        for (a, b) in g1.iter().zip(&g2) {
            close(a, b);
        }
        let ts: Vec<Tensor> = xs.iter().enumerate().map(|(i, x)| values(x.shape(), 20 + i as u64)).collect();
        let (y1, t1) = tf::jvp(fused(op), &xs, &ts).unwrap();
        let (y2, t2) = tf::jvp(composite(op), &xs, &ts).unwrap();
        close(&y1[0], &y2[0]);
        close(&t1[0], &t2[0]);
    }
}

#[test]
fn vmap_batches_the_array_and_the_parameters() {
    for op in OPS {
        let xs = inputs(op);
        // The array batched on its last axis (moved to the front by the rule), parameters not.
        let mut bx = vec![mx::stack(&[xs[0].clone(), mx::multiply(&xs[0], 0.5).unwrap()], -1).unwrap()];
        bx.extend(xs[1..].iter().cloned());
        let mut axes = vec![Some(-1)];
        axes.extend(std::iter::repeat(None).take(xs.len() - 1));
        let got = tf::vmap(fused(op), &axes, &[0])(&bx).unwrap();
        let want = tf::vmap(composite(op), &axes, &[0])(&bx).unwrap();
        close(&got[0], &want[0]);
        if xs.len() > 1 {
            // Every input batched on axis 0: the composite is vmapped.
            let all: Vec<Tensor> = xs.iter().map(|x| mx::stack(&[x.clone(), mx::add(x, 1.0).unwrap()], 0).unwrap()).collect();
            let axes = vec![Some(0); xs.len()];
            let got = tf::vmap(fused(op), &axes, &[0])(&all).unwrap();
            let want = tf::vmap(composite(op), &axes, &[0])(&all).unwrap();
            close(&got[0], &want[0]);
        }
    }
}
