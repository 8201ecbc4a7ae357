//! Pins the deliberate differences from MLX of the elemops ops (DIFFERENCES.md) and their
//! error messages: where C++ MLX is undefined or crashes, our defined results.

use mlx_core as mx;
use mlx_core::{random, Dtype, Tensor};

fn i32s(v: &[i32]) -> Tensor {
    Tensor::from_slice(v, &[v.len()]).unwrap()
}

#[test]
fn integer_division_by_zero_is_defined() {
    // MLX 0.32.4: undefined (x86 SIGFPE for INT_MIN // -1). Ours: x // 0 = 0, x % 0 = x.
    let a = i32s(&[7, -7, 0, i32::MIN, i32::MIN]);
    let b = i32s(&[0, 0, 0, -1, 0]);
    assert_eq!(mx::floor_divide(&a, &b).unwrap().to_vec::<i32>().unwrap(), vec![0, 0, 0, i32::MIN, 0]);
    assert_eq!(mx::remainder(&a, &b).unwrap().to_vec::<i32>().unwrap(), vec![7, -7, 0, 0, i32::MIN]);
    // divmod keeps a == q * b + r for every b, zero included.
    let (q, r) = mx::divmod(&a, &b).unwrap();
    let back = mx::add(mx::multiply(&q, &b).unwrap(), &r).unwrap();
    assert_eq!(back.to_vec::<i32>().unwrap(), a.to_vec::<i32>().unwrap());
    let u = Tensor::from_slice(&[200u8, 3], &[2]).unwrap();
    let z = Tensor::from_slice(&[0u8, 0], &[2]).unwrap();
    assert_eq!(mx::floor_divide(&u, &z).unwrap().to_vec::<u8>().unwrap(), vec![0, 0]);
    assert_eq!(mx::remainder(&u, &z).unwrap().to_vec::<u8>().unwrap(), vec![200, 3]);
}

#[test]
fn out_of_range_shifts_are_defined() {
    // C++: undefined (x86 masks the count: 7 << -3 == 7 << 29). Ours: 0, or -1 for a negative
    // value shifted right.
    let x = Tensor::from_slice(&[7i8, -8, 1, -8], &[4]).unwrap();
    let s = Tensor::from_slice(&[8i8, 9, -3, -1], &[4]).unwrap();
    assert_eq!(mx::left_shift(&x, &s).unwrap().to_vec::<i8>().unwrap(), vec![0, 0, 0, 0]);
    assert_eq!(mx::right_shift(&x, &s).unwrap().to_vec::<i8>().unwrap(), vec![0, -1, 0, -1]);
}

#[test]
fn nan_to_num_supports_float64() {
    // MLX 0.32.4: "[nan_to_num] Does not yet support given type: float64."
    let x = Tensor::from_slice(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5], &[4]).unwrap();
    let y = mx::nan_to_num(&x, 0.0, None, None).unwrap().to_vec::<f64>().unwrap();
    assert_eq!(y, vec![0.0, f64::MAX, f64::MIN, 1.5]);
}

#[test]
fn error_messages() {
    let f = mx::ones(&[2], Dtype::Float32).unwrap();
    let c = mx::ones(&[2], Dtype::Complex64).unwrap();
    let msg = |r: mx::Result<Tensor>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(msg(mx::sigmoid(&c)), "[sigmoid] Not supported for complex64.");
    assert_eq!(msg(mx::floor(&c)), "[floor] Not supported for complex64.");
    assert_eq!(msg(mx::bitwise_invert(&f)), "[bitwise_invert] Bitwise inverse only allowed on integer types.");
    assert!(msg(mx::bitwise_and(&f, &f)).starts_with("[bitwise_and] Only allowed on integer or boolean types"));
    assert_eq!(msg(mx::remainder(&c, &c)), "[remainder] Complex type not supported.");
    assert_eq!(msg(mx::clip(&f, None, None)), "[clip] At most one of a_min and a_max may be None");
    assert_eq!(msg(mx::kron(&mx::ones(&[0], None).unwrap(), &f)), "[kron] Input arrays cannot be empty.");
    assert!(msg(random::uniform(0.0, 1.0, &[2], Dtype::Int32, None)).starts_with("[uniform]"));
    assert!(msg(random::randint(0, 5, &[2], Dtype::Float32, None)).starts_with("[randint]"));
    assert!(msg(random::split(&i32s(&[1, 2]), 2)).starts_with("[bits] Expected key type uint32"));
    assert!(msg(random::bits(&[2], 3, Some(&random::key(0)))).starts_with("[bits] Bit width"));
}

#[test]
fn random_bits_widths_share_one_byte_stream() {
    // MLX lays out narrower widths as the bytes of the same threefry words.
    let k = random::key(3);
    let w32 = random::bits(&[2], 4, Some(&k)).unwrap().to_vec::<u32>().unwrap();
    let w8 = random::bits(&[8], 1, Some(&k)).unwrap().to_vec::<u8>().unwrap();
    let bytes: Vec<u8> = w32.iter().flat_map(|w| w.to_le_bytes()).collect();
    assert_eq!(w8, bytes);
}

#[test]
fn print_precision_like_mlx() {
    // The only test in this binary that prints, so the global option is not raced.
    let x = Tensor::from_slice(&[1.5f32, 2.0], &[2]).unwrap();
    {
        let _guard = mx::printoptions(3);
        assert_eq!(mx::get_printoptions().precision, 3);
        assert_eq!(x.to_string(), "array([1.500, 2.000], dtype=float32)");
    }
    assert_eq!(mx::get_printoptions().precision, -1);
    assert_eq!(x.to_string(), "array([1.5, 2], dtype=float32)");
}
