//! Golden convolution gradients from MLX: replays `golden/cases/grad/conv_grad.safetensors`
//! (written by `golden/generate_grad_conv.py`): VJPs of conv1d/2d/3d, conv_general (input
//! dilation, asymmetric and wide padding, flip) and conv_transpose1d/2d/3d over strides,
//! paddings, dilations and groups; grad of grad; vmap over the input, the weight, or both.
//! float32 only: MLX cannot evaluate float64 input gradients of a convolution (see
//! DIFFERENCES.md); float64 is checked against finite differences in `tests/props.rs`.
//! Where MLX's input gradient of an input-dilated convolution is shorter than the input (an
//! MLX bug, DIFFERENCES.md), ours must have the input's shape and match MLX's on the positions
//! MLX returns (a window of ours).

use std::collections::HashMap;
use std::path::Path;

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, ConvGeneralOptions, ConvTransposeOptions, Dtype, Result, Spatial, Tensor};
use serde_json::Value;

/// A per-axis parameter: an int (every axis) or a list.
fn ints(v: &Value, nd: usize) -> Vec<i32> {
    match v.as_array() {
        Some(a) => a.iter().map(|x| x.as_i64().unwrap() as i32).collect(),
        None => vec![v.as_i64().unwrap() as i32; nd],
    }
}

fn spatial<const N: usize>(v: &Value) -> Spatial<N> {
    Spatial(ints(v, N).try_into().unwrap())
}

fn transpose_opts<const N: usize>(p: &Value) -> ConvTransposeOptions<N> {
    ConvTransposeOptions {
        stride: spatial(&p["stride"]),
        padding: spatial(&p["padding"]),
        dilation: spatial(&p["dilation"]),
        output_padding: spatial(&p["output_padding"]),
        groups: p["groups"].as_i64().unwrap() as i32,
    }
}

/// The convolution a case names (mirrors `conv` in generate_grad_conv.py).
fn conv(fname: &str, p: &Value, x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let nd = x.ndim() - 2;
    let groups = p["groups"].as_i64().unwrap() as i32;
    match (fname, nd) {
        ("conv", 1) => mx::conv1d(x, w, ints(&p["stride"], 1)[0], ints(&p["padding"], 1)[0], ints(&p["dilation"], 1)[0], groups),
        ("conv", 2) => mx::conv2d(x, w, spatial::<2>(&p["stride"]), spatial::<2>(&p["padding"]), spatial::<2>(&p["dilation"]), groups),
        ("conv", 3) => mx::conv3d(x, w, spatial::<3>(&p["stride"]), spatial::<3>(&p["padding"]), spatial::<3>(&p["dilation"]), groups),
        ("conv_general", _) => {
            let opts = ConvGeneralOptions {
                stride: ints(&p["stride"], nd),
                padding_lo: ints(&p["padding_lo"], nd),
                padding_hi: ints(&p["padding_hi"], nd),
                kernel_dilation: ints(&p["kernel_dilation"], nd),
                input_dilation: ints(&p["input_dilation"], nd),
                groups,
                flip: p["flip"].as_bool().unwrap(),
            };
            mx::conv_general(x, w, &opts)
        }
        ("conv_transpose", 1) => mx::conv_transpose1d(x, w, &transpose_opts::<1>(p)),
        ("conv_transpose", 2) => mx::conv_transpose2d(x, w, &transpose_opts::<2>(p)),
        ("conv_transpose", 3) => mx::conv_transpose3d(x, w, &transpose_opts::<3>(p)),
        (f, n) => panic!("unknown convolution {f} of rank {n}"),
    }
}

struct Stored {
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

fn read(path: &Path) -> (Vec<Value>, HashMap<String, Stored>) {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let n = u64::from_le_bytes(raw[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&raw[8..8 + n]).unwrap();
    let data = &raw[8 + n..];
    let mut cases = vec![];
    let mut tensors = HashMap::new();
    for (name, h) in header.as_object().unwrap() {
        if name == "__metadata__" {
            cases = serde_json::from_str(h["cases"].as_str().unwrap()).unwrap();
            continue;
        }
        assert_eq!(h["dtype"].as_str(), Some("F32"), "{name}: float32 cases only");
        let off: Vec<usize> = h["data_offsets"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let shape = h["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        tensors.insert(name.clone(), Stored { shape, bytes: data[off[0]..off[1]].to_vec() });
    }
    (cases, tensors)
}

fn to_tensor(s: &Stored) -> Tensor {
    let v: Vec<f32> = s.bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    Tensor::from_slice(&v, &s.shape).unwrap()
}

fn run_case(c: &Value, xs: &[Tensor]) -> Result<Vec<Tensor>> {
    let fname = c["fn"].as_str().unwrap().to_string();
    let p = c["params"].clone();
    let f = move |a: &[Tensor]| -> Result<Vec<Tensor>> { Ok(vec![conv(&fname, &p, &a[0], &a[1])?]) };
    match c["kind"].as_str().unwrap() {
        "vjp" => {
            let (o, g) = tf::vjp(f, &xs[..2], &xs[2..])?;
            Ok(o.into_iter().chain(g).collect())
        }
        "grad2" => {
            // d/dx sum(d/dw sum(y^2) * arange)
            let inner = tf::grad(move |a: &[Tensor]| Ok(vec![mx::sum(&mx::square(&f(a)?[0])?, Axes::All, false)?]), &[1]);
            let outer = tf::grad(
                move |a: &[Tensor]| {
                    let gw = inner(a)?.remove(0);
                    let n = gw.size() as i64;
                    let ar = mx::reshape(&mx::astype(&mx::arange(0, n, 1, None)?, gw.dtype())?, &gw.shape().iter().map(|&d| d as i32).collect::<Vec<_>>())?;
                    Ok(vec![mx::sum(&mx::multiply(&gw, &ar)?, Axes::All, false)?])
                },
                &[0],
            );
            outer(xs)
        }
        "vmap" => {
            let in_axes: Vec<Option<i32>> = c["in_axes"].as_array().unwrap().iter().map(|v| v.as_i64().map(|a| a as i32)).collect();
            tf::vmap(f, &in_axes, &[0])(xs)
        }
        k => panic!("unknown kind {k}"),
    }
}

fn close(got: &Tensor, want: &Tensor) -> std::result::Result<(), String> {
    if got.shape() != want.shape() || got.dtype() != want.dtype() {
        return Err(format!("got {:?} {} want {:?} {}", got.shape(), got.dtype(), want.shape(), want.dtype()));
    }
    let g = mx::astype(got, Dtype::Float64).unwrap().to_vec::<f64>().unwrap();
    let w = mx::astype(want, Dtype::Float64).unwrap().to_vec::<f64>().unwrap();
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        // float32 sums of up to a few hundred products, accumulated in another order than MLX.
        if (a - b).abs() > 1e-4 + 1e-4 * b.abs() {
            return Err(format!("element {i}: got {a} want {b}"));
        }
    }
    Ok(())
}

/// The window of `got` (one offset per axis) equal to the shorter `want`, if any: MLX's
/// truncated input gradients drop leading or trailing positions.
fn window_matching(got: &Tensor, want: &Tensor) -> Option<Tensor> {
    let extra: Vec<usize> = got.shape().iter().zip(want.shape()).map(|(g, w)| g.checked_sub(*w)).collect::<Option<_>>()?;
    let total: usize = extra.iter().map(|e| e + 1).product();
    (0..total).find_map(|mut k| {
        let mut start = vec![0i64; extra.len()];
        for i in (0..extra.len()).rev() {
            start[i] = (k % (extra[i] + 1)) as i64;
            k /= extra[i] + 1;
        }
        let stop: Vec<i64> = start.iter().zip(want.shape()).map(|(s, &w)| s + w as i64).collect();
        let w = mx::slice(got, &start, &stop, &vec![1; stop.len()]).ok()?;
        close(&w, want).ok().map(|_| w)
    })
}

#[test]
fn conv_gradients_match_mlx() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/cases/grad/conv_grad.safetensors");
    let (cases, tensors) = read(&path);
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    let mut failures = vec![];
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        let label = format!("{id} {} {} {}", c["kind"].as_str().unwrap(), c["fn"].as_str().unwrap(), c["params"]);
        let n_in = c["inputs"].as_array().unwrap().len();
        let xs: Vec<Tensor> = (0..n_in).map(|i| to_tensor(&tensors[&format!("{id}/in{i}")])).collect();
        match run_case(c, &xs) {
            Ok(outs) => {
                let n = c["outputs"].as_array().unwrap().len();
                if outs.len() != n {
                    failures.push(format!("{label}: {} outputs, want {n}", outs.len()));
                    continue;
                }
                for (j, o) in outs.iter().enumerate() {
                    let want = to_tensor(&tensors[&format!("{id}/out{j}")]);
                    let o = if c["kind"] == "vjp" && j == 1 && o.shape() != want.shape() {
                        // MLX's input gradient of an input-dilated convolution can come out
                        // shorter than the input (DIFFERENCES.md): ours must have the input's
                        // shape, and agree with MLX's on the positions MLX returns.
                        if o.shape() != xs[0].shape() {
                            failures.push(format!("{label}: input gradient of shape {:?}, input {:?}", o.shape(), xs[0].shape()));
                            continue;
                        }
                        match window_matching(o, &want) {
                            Some(w) => w,
                            None => {
                                failures.push(format!("{label} out{j}: no window of ours {:?} matches MLX's {:?}", o.shape(), want.shape()));
                                continue;
                            }
                        }
                    } else {
                        o.clone()
                    };
                    if let Err(e) = close(&o, &want) {
                        failures.push(format!("{label} out{j}: {e}"));
                    }
                }
            }
            Err(e) => failures.push(format!("{label}: error {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
