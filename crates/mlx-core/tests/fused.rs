//! The fused last-axis kernels (softmax, logsumexp, `fast::rms_norm`, `fast::layer_norm`) mean
//! their composite definitions: for every float dtype, contiguous and strided inputs, rows with
//! infinities and NaN, the fused node's values equal `fast::fused_definition`'s within the
//! dtype's tolerance, and the public ops build the fused node exactly when they should.

use mlx_core::{self as mx, fast, Dtype, FusedOp, Primitive, Tensor};

fn values(shape: &[usize], seed: u32) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| (((i as u32).wrapping_mul(2654435761u32) ^ seed) % 2000) as f32 / 250.0 - 4.0).collect();
    Tensor::from_slice(&v, shape).unwrap()
}

fn as_f64(t: &Tensor) -> Vec<f64> {
    mx::astype(t, Dtype::Float64).unwrap().to_vec::<f64>().unwrap()
}

fn assert_close(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    assert_eq!(got.dtype(), want.dtype(), "{what}");
    for (i, (g, w)) in as_f64(got).iter().zip(as_f64(want)).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == &w || (g - w).abs() <= tol * (1.0 + w.abs());
        assert!(ok, "{what}: element {i}: fused {g} vs composite {w}");
    }
}

fn is_fused(t: &Tensor) -> bool {
    matches!(t.primitive(), Some(Primitive::Fused(_)))
}

/// Relative tolerance. For half types the composite rounds to the half type after every step
/// (mean, variance, weight, bias: several ulps in all) while the fused kernel rounds once, so
/// the bound is a few half ulps (f16 ulp 2^-10, bf16 2^-7); the fused results are the ones
/// the `fast` golden cases pin against MLX.
fn tol(d: Dtype) -> f64 {
    match d {
        Dtype::Float16 => 1e-2,
        Dtype::Bfloat16 => 6e-2,
        Dtype::Float32 => 2e-6,
        _ => 1e-12,
    }
}

#[test]
fn fused_ops_equal_their_composite_definitions() {
    let ops = [
        FusedOp::Softmax,
        FusedOp::LogSumExp,
        FusedOp::RmsNorm { eps: 1e-5, weight: false },
        FusedOp::RmsNorm { eps: 1e-5, weight: true },
        FusedOp::LayerNorm { eps: 1e-5, weight: false, bias: false },
        FusedOp::LayerNorm { eps: 1e-3, weight: true, bias: false },
        FusedOp::LayerNorm { eps: 1e-5, weight: false, bias: true },
        FusedOp::LayerNorm { eps: 1e-5, weight: true, bias: true },
    ];
    for dtype in [Dtype::Float32, Dtype::Float64, Dtype::Float16, Dtype::Bfloat16] {
        // Rows of 37 (8-lane accumulators plus a tail) and a transposed (strided) input.
        let contiguous = mx::astype(&values(&[3, 37], 1), dtype).unwrap();
        let strided = mx::transpose(&mx::astype(&values(&[37, 3], 2), dtype).unwrap(), mx::Axes::All).unwrap();
        for x in [contiguous, strided] {
            for op in ops {
                let mut xs = vec![x.clone()];
                for k in 1..op.arity() {
                    xs.push(mx::astype(&values(&[37], 10 + k as u32), dtype).unwrap());
                }
                let fused = mx::graph::apply(Primitive::Fused(op), xs.clone()).unwrap().remove(0);
                let composite = fast::fused_definition(op, &xs).unwrap();
                assert_close(&fused, &composite, tol(dtype), &format!("{op:?} {dtype}"));
            }
        }
    }
}

#[test]
fn special_rows_match_the_composite() {
    let inf = f32::INFINITY;
    let x = Tensor::from_slice(&[1000.0f32, 1001.0, 999.0, -inf, 0.0, 1.0, -inf, -inf, -inf, inf, 1.0, 2.0, f32::NAN, 0.0, 1.0], &[5, 3]).unwrap();
    for op in [FusedOp::Softmax, FusedOp::LogSumExp, FusedOp::RmsNorm { eps: 1e-5, weight: false }] {
        let fused = mx::graph::apply(Primitive::Fused(op), vec![x.clone()]).unwrap().remove(0);
        let composite = fast::fused_definition(op, &[x.clone()]).unwrap();
        assert_close(&fused, &composite, 2e-6, &format!("{op:?}"));
    }
    // The all -inf row of softmax is NaN (as MLX); of logsumexp, -inf.
    let sm = mx::softmax(&x, -1).unwrap().to_vec::<f32>().unwrap();
    assert!(sm[6..9].iter().all(|v| v.is_nan()));
    let lse = mx::logsumexp(&x, -1, false).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(lse[2], -inf);
    assert_eq!(lse[3], inf);
}

#[test]
fn public_ops_fuse_only_the_last_axis_of_floats() {
    let x = values(&[4, 6], 3);
    assert!(is_fused(&mx::softmax(&x, -1).unwrap()));
    assert!(is_fused(&mx::softmax(&x, 1).unwrap()));
    assert!(!is_fused(&mx::softmax(&x, 0).unwrap()));
    assert!(!is_fused(&mx::softmax(&x, mx::Axes::All).unwrap()));
    // Integers are cast to float32 first, then fused; logsumexp keeps or drops the axis.
    let i = mx::astype(&x, Dtype::Int32).unwrap();
    assert_eq!(mx::softmax(&i, -1).unwrap().dtype(), Dtype::Float32);
    assert_eq!(mx::logsumexp(&x, -1, false).unwrap().shape(), &[4]);
    assert_eq!(mx::logsumexp(&x, -1, true).unwrap().shape(), &[4, 1]);
    // Complex inputs and mismatched weights take the composite.
    let c = mx::astype(&x, Dtype::Complex64).unwrap();
    assert!(!is_fused(&mx::softmax(&c, -1).unwrap()));
    let w16 = mx::astype(&values(&[6], 4), Dtype::Float16).unwrap();
    let y = fast::rms_norm(&x, Some(&w16), 1e-5).unwrap();
    assert!(!is_fused(&y));
    assert_eq!(y.dtype(), Dtype::Float32);
    let w = values(&[6], 4);
    assert!(is_fused(&fast::rms_norm(&x, Some(&w), 1e-5).unwrap()));
    assert!(is_fused(&fast::layer_norm(&x, Some(&w), None, 1e-5).unwrap()));
    // A weight of the wrong length: the composite's broadcasting error.
    assert!(fast::rms_norm(&x, Some(&values(&[5], 4)), 1e-5).is_err());
    // Empty rows: logsumexp errors like the composite; softmax of (0, 3) is empty.
    assert!(mx::logsumexp(&values(&[2, 0], 1), -1, false).is_err());
    assert_eq!(mx::softmax(&values(&[0, 3], 1), -1).unwrap().to_vec::<f32>().unwrap().len(), 0);
}

#[test]
fn large_rows_split_across_tasks_agree_with_one_row_at_a_time() {
    // 300 rows of 1000: several parallel tasks; each row equals the softmax of that row alone.
    let x = values(&[300, 1000], 9);
    let all = mx::softmax(&x, -1).unwrap().to_vec::<f32>().unwrap();
    for r in [0usize, 123, 299] {
        let row = mx::slice(&x, &[r as i64, 0], &[r as i64 + 1, 1000], &[1, 1]).unwrap();
        let one = mx::softmax(&row, -1).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(&all[r * 1000..(r + 1) * 1000], &one[..]);
    }
}
