//! Bad input is rejected when the graph is built, with MLX-style `[op]` messages, never a panic.

use mlx_core as mx;
use mlx_core::{Axes, Dtype, Tensor};

fn f32s(shape: &[usize]) -> Tensor {
    mx::ones(shape, None).unwrap()
}

fn err_text(r: mx::Result<Tensor>) -> String {
    match r {
        Ok(t) => panic!("expected an error, got shape {:?}", t.shape()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mismatched_shapes() {
    let e = err_text(mx::add(&f32s(&[2, 3]), &f32s(&[4])));
    assert_eq!(e, "[broadcast_shapes] Shapes (2,3) and (4) cannot be broadcast.");
    assert!(err_text(mx::broadcast_to(&f32s(&[2, 3]), &[4, 3])).starts_with("[broadcast_shapes]"));
    assert!(err_text(mx::concatenate(&[f32s(&[2, 3]), f32s(&[2, 4])], 0)).starts_with("[concatenate]"));
}

#[test]
fn bad_axes() {
    assert_eq!(err_text(mx::sum(&f32s(&[2, 3]), 5, false)), "[sum] Invalid axis 5 for array with 2 dimensions.");
    assert!(err_text(mx::sum(&f32s(&[2, 3]), [0, -2], false)).starts_with("[sum]"));
    assert!(err_text(mx::argmax(&f32s(&[2, 3]), 2, false)).starts_with("[argmax]"));
    assert!(err_text(mx::transpose(&f32s(&[2, 3]), [0, 0])).starts_with("[transpose]"));
    assert!(err_text(mx::squeeze(&f32s(&[2, 3]), 0)).starts_with("[squeeze]"));
    assert!(err_text(mx::expand_dims(&f32s(&[2, 3]), 5)).starts_with("[expand_dims]"));
    assert!(err_text(mx::softmax(&f32s(&[2, 3]), 2)).starts_with("[softmax]"));
}

#[test]
fn unsupported_dtypes() {
    let b = Tensor::from_slice(&[true, false], &[2]).unwrap();
    assert_eq!(err_text(mx::negative(&b)), "[negative] Not supported for bool, use logical_not instead.");
    let i = mx::ones(&[2, 2], Dtype::Int32).unwrap();
    assert!(err_text(mx::matmul(&i, &i)).starts_with("[matmul] Only inexact types are supported"));
    assert!(err_text(mx::arange(0, 3, 1, Dtype::Bool)).starts_with("[arange]"));
}

#[test]
fn matmul_inner_dimension_mismatch() {
    let e = err_text(mx::matmul(&f32s(&[2, 3]), &f32s(&[4, 2])));
    assert_eq!(
        e,
        "[matmul] Last dimension of first input with shape (2,3) must match second to last dimension of second input with shape (4,2)."
    );
    assert!(err_text(mx::matmul(&Tensor::scalar(1.0f32), &f32s(&[2]))).starts_with("[matmul]"));
}

#[test]
fn reshape_to_a_wrong_size() {
    assert_eq!(err_text(mx::reshape(&f32s(&[2, 3]), &[4])), "[reshape] Cannot reshape array of size 6 into shape (4).");
    assert!(err_text(mx::reshape(&f32s(&[2, 3]), &[-1, -1])).starts_with("[reshape]"));
    assert!(err_text(mx::reshape(&f32s(&[2, 3]), &[-1, 4])).starts_with("[reshape]"));
}

#[test]
fn reading_with_the_wrong_type_or_size() {
    let x = f32s(&[2]);
    assert!(x.to_vec::<i32>().unwrap_err().to_string().starts_with("[to_vec]"));
    assert!(x.item::<f32>().unwrap_err().to_string().starts_with("[item]"));
    assert!(Tensor::from_slice(&[1.0f32; 3], &[2, 2]).is_err());
}

#[test]
fn operators_panic_with_the_op_message() {
    let r = std::panic::catch_unwind(|| &f32s(&[2, 3]) + &f32s(&[4]));
    let msg = r.unwrap_err();
    let text = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.starts_with("[broadcast_shapes]"), "{text}");
}

#[test]
fn weak_scalar_overflow() {
    let u = mx::ones(&[2], Dtype::Uint8).unwrap();
    assert!(mx::add(&u, -1).is_err());
    assert_eq!(mx::add(&u, 255).unwrap().dtype(), Dtype::Uint8);
    let _ = Axes::All;
}
