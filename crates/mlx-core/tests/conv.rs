//! Behaviour pinned where we deliberately differ from MLX 0.32.4 (see DIFFERENCES.md) in the
//! convolution and matmul-family ops, plus a few direct checks of the kernels.

use mlx_core as mx;
use mlx_core::{Dtype, Tensor, C64};

fn f32s(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape).unwrap()
}

#[test]
fn conv_complex_weight() {
    // x = [1, 2, 3] (1, 3, 1); w = [i, 1] (1, 2, 1): cross-correlation y[o] = i*x[o] + x[o+1].
    let x = f32s(&[1., 2., 3.], &[1, 3, 1]);
    let w = Tensor::from_slice(&[C64::new(0., 1.), C64::new(1., 0.)], &[1, 2, 1]).unwrap();
    let y = mx::conv1d(&x, &w, 1, 0, 1, 1).unwrap();
    assert_eq!(y.dtype(), Dtype::Complex64);
    assert_eq!(y.to_vec::<C64>().unwrap(), vec![C64::new(2., 1.), C64::new(3., 2.)]);
}

#[test]
fn conv_groups_must_be_positive() {
    let x = f32s(&[1., 2., 3., 4.], &[1, 2, 2]);
    let w = f32s(&[1., 1.], &[1, 1, 2]);
    let e = mx::conv1d(&x, &w, 1, 0, 1, 0).unwrap_err().to_string();
    assert!(e.starts_with("[conv]"), "{e}");
}

#[test]
fn gather_mm_index_out_of_range_is_an_eval_error() {
    let a = f32s(&[1., 2.], &[2, 1, 1]);
    let idx = Tensor::from_slice(&[0i32, 5], &[2]).unwrap();
    let y = mx::gather_mm(&a, &a, Some(&idx), Some(&idx), false).unwrap();
    let e = y.eval().unwrap_err().to_string();
    assert!(e.contains("[gather_mm]") && e.contains("out of range"), "{e}");
}

#[test]
fn gather_mm_half_and_double() {
    let a = f32s(&[1., 2., 3., 4.], &[2, 1, 2]);
    let b = f32s(&[1., 1., 2., 2.], &[2, 2, 1]);
    let idx = Tensor::from_slice(&[1i32, 0], &[2]).unwrap();
    for d in [Dtype::Float16, Dtype::Bfloat16, Dtype::Float64] {
        let y = mx::gather_mm(&mx::astype(&a, d).unwrap(), &mx::astype(&b, d).unwrap(), Some(&idx), None, false).unwrap();
        let v = mx::astype(&y, Dtype::Float32).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(v, vec![7., 6.]);
    }
}

#[test]
fn segmented_mm_clips_segments_and_handles_half_floats() {
    let a = f32s(&[1., 2., 3., 4.], &[1, 4]);
    let b = f32s(&[1., 1., 1., 1.], &[4, 1]);
    let seg = Tensor::from_slice(&[2i32, 9, 1, 3], &[2, 2]).unwrap();
    let y = mx::segmented_mm(&a, &b, &seg).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![7., 5.]);
    let y = mx::segmented_mm(&mx::astype(&a, Dtype::Float16).unwrap(), &mx::astype(&b, Dtype::Float16).unwrap(), &seg).unwrap();
    assert_eq!(mx::astype(&y, Dtype::Float32).unwrap().to_vec::<f32>().unwrap(), vec![7., 5.]);
}

#[test]
fn hadamard_float64_and_bad_sizes() {
    let x = Tensor::from_slice(&[1.0f64, 2., 3., 4.], &[4]).unwrap();
    let y = mx::hadamard_transform(&x, Some(1.0)).unwrap();
    assert_eq!(y.to_vec::<f64>().unwrap(), vec![10., -2., -4., 0.]);
    let z = mx::zeros(&[36], Dtype::Float32).unwrap();
    assert!(mx::hadamard_transform(&z, None).unwrap_err().to_string().starts_with("[hadamard]"));
}

#[test]
fn block_masked_mm_half_precision() {
    let a = mx::ones(&[40, 40], Dtype::Float16).unwrap();
    let mask = Tensor::from_slice(&[false, true, true, true], &[2, 2]).unwrap();
    let y = mx::block_masked_mm(&a, &a, 32, None, Some(&mask), None).unwrap();
    let v = mx::astype(&y, Dtype::Float32).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(v[0], 8.0);
    assert_eq!(v[39 * 40], 40.0);
}

#[test]
fn vecdot_complex_is_refused_for_now() {
    let a = Tensor::from_slice(&[C64::new(1., 1.)], &[1]).unwrap();
    assert!(mx::vecdot(&a, &a, -1).is_err());
}

#[test]
fn empty_slice_of_a_nonempty_axis_is_safe_in_kernels() {
    // (0, 2) sliced to its second column: an empty view whose column start is 1.
    let seg = Tensor::from_slice::<i32>(&[], &[0, 2]).unwrap();
    let col = mx::slice(&seg, &[0, 1], &[0, 2], &[1, 1]).unwrap();
    let r = mx::add(&col, &col).unwrap();
    assert_eq!(r.shape(), &[0, 1]);
    assert!(r.to_vec::<i32>().unwrap().is_empty());
}
