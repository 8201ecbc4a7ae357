//! The FFI backend as a backend: every primitive of the registry runs on it and agrees with
//! mlx-cpu; MLX's exceptions come back as errors; a user picks it as a device.

#![cfg(feature = "ffi")]

mod common;

use std::sync::Arc;

use mlx_core::{self as mx, Device, Primitive, Tensor};
use mlx_ffi::FfiBackend;
use mlx_ops::{ArrayData, Backend, Buffer, Dtype, HostBuffer, Layout, Spec};

fn data(values: &[f32], shape: &[usize]) -> ArrayData {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    ArrayData::new(Arc::new(Buffer::Host(HostBuffer::from_bytes(&bytes))), Layout::contiguous(shape), Dtype::Float32)
}

fn ramp(shape: &[usize]) -> ArrayData {
    let n: usize = shape.iter().product();
    data(&(0..n).map(|i| 0.5 + i as f32 * 0.25).collect::<Vec<_>>(), shape)
}

fn cast(x: &ArrayData, dtype: Dtype) -> ArrayData {
    mlx_cpu::CpuBackend.astype(x, &Spec::new(x.shape().to_vec(), dtype)).unwrap()
}

/// Inputs that make `p` (a catalog instance) well typed. No `_ =>`: a new primitive must add
/// its inputs here, and the test then checks it runs on MLX.
fn inputs_for(p: &Primitive) -> Vec<ArrayData> {
    match p {
        Primitive::Full { .. } | Primitive::Arange { .. } => vec![],
        Primitive::Unary(_)
        | Primitive::AsType(_)
        | Primitive::Reduce { .. }
        | Primitive::ArgReduce { .. } => vec![ramp(&[2, 3])],
        Primitive::Binary(_) => vec![ramp(&[2, 3]), data(&[1.0, 0.5, 2.0, 1.5, 3.0, 0.0], &[2, 3])],
        Primitive::Select => {
            vec![cast(&data(&[1.0, 0.0, 1.0, 0.0, 0.0, 1.0], &[2, 3]), Dtype::Bool), ramp(&[2, 3]), data(&[9.0; 6], &[2, 3])]
        }
        Primitive::Matmul => vec![ramp(&[2, 3]), ramp(&[3, 4])],
        Primitive::Reshape { .. } | Primitive::BroadcastTo { .. } => vec![ramp(&[1])],
        Primitive::Transpose { .. } | Primitive::Slice { .. } => vec![ramp(&[3])],
        Primitive::Concatenate { .. } => vec![ramp(&[2]), ramp(&[3])],
        Primitive::Copy => {
            let x = ramp(&[2, 3]);
            vec![x.with_layout(x.layout.transpose(&[1, 0]))]
        }
    }
}

#[test]
fn every_primitive_runs_on_mlx_and_agrees_with_cpu() {
    let ffi = FfiBackend;
    for p in Primitive::catalog() {
        let inputs = inputs_for(&p);
        let specs: Vec<Spec> = inputs.iter().map(|x| Spec::new(x.shape().to_vec(), x.dtype)).collect();
        let out = p.infer(&specs).unwrap();
        let want = mx::run_primitive(&mlx_cpu::CpuBackend, &p, &inputs, &out).unwrap();
        let got = mx::run_primitive(&ffi, &p, &inputs, &out).unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(w.shape(), g.shape(), "{}", p.name());
            assert_eq!(w.dtype, g.dtype, "{}", p.name());
            let (wv, gv) = (common::decode(&common::data_bytes(w), w.dtype), common::decode(&common::data_bytes(g), g.dtype));
            common::compare(&wv, &gv, w.dtype, None).unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        }
    }
}

#[test]
fn mlx_exceptions_become_errors_and_the_process_survives() {
    // Bypass inference: hand MLX a matmul whose shapes do not match.
    let ffi = FfiBackend;
    let (a, b) = (ramp(&[2, 3]), ramp(&[4, 5]));
    let Err(e) = ffi.matmul(&a, &b, &Spec::new(vec![2, 5], Dtype::Float32)) else { panic!("matmul succeeded") };
    assert_eq!(e.op(), "matmul");
    assert!(e.to_string().starts_with("[matmul] Last dimension of first input with shape (2,3)"), "{e}");
    // An unknown op and a bad axis, straight through the shim.
    assert!(ffi.call("no_such_op", &[&a], &[], &[]).is_err());
    let Err(e) = ffi.call("sum", &[&a], &[7], &[]) else { panic!("sum succeeded") };
    assert!(e.to_string().starts_with("[sum]"), "{e}");
    // Still alive and working.
    let ok = ffi.call("add", &[&a, &a], &[], &[]).unwrap();
    assert_eq!(ok.shape(), &[2, 3]);
}

#[test]
fn users_pick_the_device() {
    mlx_ffi::register();
    assert!(mlx_ffi::ENABLED);
    let build = || -> mx::Result<Tensor> {
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
        let y = mx::matmul(&x, &mx::transpose(&x, None::<Vec<i32>>)?)?;
        mx::softmax(&mx::exp(&mx::negative(&y)?)?, -1)
    };
    // The default device decides where new arrays live; ops follow their inputs.
    mx::set_default_device(Device::Ffi);
    let on_ffi = build().unwrap();
    mx::set_default_device(Device::Cpu);
    let on_cpu = build().unwrap();
    assert_eq!(on_ffi.device(), Device::Ffi);
    assert_eq!(on_cpu.device(), Device::Cpu);
    let (a, b) = (on_cpu.to_vec::<f32>().unwrap(), on_ffi.to_vec::<f32>().unwrap());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
    }
}
