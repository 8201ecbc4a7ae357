//! Replaying one case: inputs (with views and weak scalars) and the op, through the public API.

use std::collections::HashMap;

use mlx_core::{self as mx, Axes, Dtype, Scalar, Tensor};
use serde_json::Value;

use crate::data::{decode, make_tensor, read_tensor, Stored, Vals};

#[path = "replay_shapeops.rs"]
mod shapeops;
#[path = "replay_linalg.rs"]
mod linalg;
#[path = "replay_fft.rs"]
mod fft_ops;
#[path = "replay_api.rs"]
mod api;
#[path = "replay_quantized.rs"]
mod quantized;

// ----------------------------------------------------------------------------------------
// Running one case
// ----------------------------------------------------------------------------------------

/// An operand: a (viewed) stored tensor or a weak Python scalar.
pub enum Input {
    T(Tensor),
    S(Scalar),
}

/// What replaying a case produced.
pub enum Outcome {
    /// Evaluated outputs: dtype, shape, values.
    Ok(Vec<(Dtype, Vec<usize>, Vals)>),
    /// Our op returned `Err` (at build or eval time).
    OpErr(String),
    /// The arguments cannot even be expressed through our typed API (a negative size where we
    /// take `usize`): the type system rejects the call, which counts as an error.
    TypeRejected(String),
    /// The case could not be set up (malformed case, unknown op, input/view failure).
    Harness(String),
}

/// `Err(Outcome)` short-circuits case execution.
pub type Step<T> = Result<T, Outcome>;

pub fn harness<T>(msg: impl Into<String>) -> Step<T> {
    Err(Outcome::Harness(msg.into()))
}

pub fn dtype_of(v: &Value) -> Step<Dtype> {
    match v.as_str().and_then(Dtype::from_name) {
        Some(d) => Ok(d),
        None => harness(format!("bad dtype {v}")),
    }
}

/// `null` -> None (the op's default), else a dtype name.
pub fn opt_dtype(v: &Value) -> Step<Option<Dtype>> {
    if v.is_null() {
        Ok(None)
    } else {
        dtype_of(v).map(Some)
    }
}

/// A JSON number or bool as a weak scalar; JSON keeps Python's int-vs-float distinction.
pub fn scalar_of(v: &Value) -> Step<Scalar> {
    if let Some(b) = v.as_bool() {
        Ok(Scalar::Bool(b))
    } else if let Some(i) = v.as_i64() {
        Ok(Scalar::Int(i))
    } else if v.is_f64() {
        Ok(Scalar::Float(v.as_f64().unwrap()))
    } else {
        harness(format!("not a scalar: {v}"))
    }
}

pub fn int_list(v: &Value) -> Step<Vec<i64>> {
    v.as_array()
        .and_then(|a| a.iter().map(Value::as_i64).collect())
        .map_or_else(|| harness(format!("not an int list: {v}")), Ok)
}

pub fn i32_list(v: &Value) -> Step<Vec<i32>> {
    Ok(int_list(v)?.into_iter().map(|i| i as i32).collect())
}

/// `null` -> `Axes::All`, a list -> `Axes::These`.
pub fn axes_of(v: &Value) -> Step<Axes> {
    if v.is_null() {
        Ok(Axes::All)
    } else {
        Ok(Axes::These(i32_list(v)?))
    }
}

/// A count or shape entry for our `usize` parameters. MLX takes signed sizes and rejects a
/// negative one at run time (`zeros([2, -1])`, `linspace(num=-1)`, `eye(-1)`); our signatures
/// cannot even express it, the type system rejects the call, so such an error case passes.
pub fn size_of(v: i64, what: &str) -> Step<usize> {
    usize::try_from(v).map_err(|_| Outcome::TypeRejected(format!("{what} {v} is negative; our API takes usize")))
}

pub fn shape_of(v: &Value) -> Step<Vec<usize>> {
    int_list(v)?.into_iter().map(|d| size_of(d, "shape entry")).collect()
}

pub fn int_param(p: &Value, key: &str) -> Step<i64> {
    p[key].as_i64().map_or_else(|| harness(format!("param {key} is not an int: {}", p[key])), Ok)
}

fn build_input(id: &str, i: usize, spec: &Value, tensors: &HashMap<String, Stored>) -> Step<Input> {
    if spec.get("scalar").is_some() {
        let s = match (spec["kind"].as_str(), &spec["scalar"]) {
            (Some("int"), v) => v.as_i64().map(Scalar::Int),
            (Some("float"), v) => v.as_f64().map(Scalar::Float),
            (Some("bool"), v) => v.as_bool().map(Scalar::Bool),
            _ => None,
        };
        return s.map_or_else(|| harness(format!("bad scalar input {spec}")), |s| Ok(Input::S(s)));
    }
    let name = format!("{id}/in{i}");
    let Some(stored) = tensors.get(&name) else { return harness(format!("missing tensor {name}")) };
    let dtype = dtype_of(&spec["dtype"])?;
    let shape = shape_of(&spec["shape"])?;
    let vals = decode(stored, dtype, &shape).or_else(|e| harness(format!("{name}: {e}")))?;
    let base = make_tensor(&vals, dtype, &shape).or_else(|e| harness(format!("{name}: from_slice: {e}")))?;
    let view = &spec["view"];
    let t = match view["kind"].as_str() {
        None if view.is_null() => Ok(base),
        Some("transpose") => mx::transpose(&base, i32_list(&view["axes"])?),
        Some("slice") => {
            mx::slice(&base, &int_list(&view["start"])?, &int_list(&view["stop"])?, &int_list(&view["step"])?)
        }
        Some("broadcast_to") => mx::broadcast_to(&base, &shape_of(&view["shape"])?),
        _ => return harness(format!("unknown view {view}")),
    };
    // A view that fails is our bug, but never a pass: it would mask an error case.
    t.map(Input::T).or_else(|e| harness(format!("{name}: view {view} failed: {e}")))
}

pub fn tensor(xs: &[Input], i: usize) -> Step<&Tensor> {
    match xs.get(i) {
        Some(Input::T(t)) => Ok(t),
        _ => harness(format!("input {i} must be a tensor")),
    }
}

/// Calls a binary op with each operand as `&Tensor` or a weak `Scalar`.
macro_rules! binary {
    ($f:path, $xs:expr) => {
        match ($xs.get(0), $xs.get(1)) {
            (Some(Input::T(a)), Some(Input::T(b))) => $f(a, b),
            (Some(Input::T(a)), Some(Input::S(b))) => $f(a, *b),
            (Some(Input::S(a)), Some(Input::T(b))) => $f(*a, b),
            (Some(Input::S(a)), Some(Input::S(b))) => $f(*a, *b),
            _ => return harness("binary op needs two inputs"),
        }
    };
}

/// Builds the op's graph. `Ok(Err(e))`: our op refused at build time.
fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let x = || tensor(xs, 0);
    let keepdims = || p["keepdims"].as_bool().map_or_else(|| harness("keepdims is not a bool"), Ok);
    let r = match op {
        "abs" => mx::abs(x()?),
        "negative" => mx::negative(x()?),
        "exp" => mx::exp(x()?),
        "log" => mx::log(x()?),
        "sqrt" => mx::sqrt(x()?),
        "add" => binary!(mx::add, xs),
        "subtract" => binary!(mx::subtract, xs),
        "multiply" => binary!(mx::multiply, xs),
        "divide" => binary!(mx::divide, xs),
        "maximum" => binary!(mx::maximum, xs),
        "minimum" => binary!(mx::minimum, xs),
        "equal" => binary!(mx::equal, xs),
        "not_equal" => binary!(mx::not_equal, xs),
        "less" => binary!(mx::less, xs),
        "less_equal" => binary!(mx::less_equal, xs),
        "greater" => binary!(mx::greater, xs),
        "greater_equal" => binary!(mx::greater_equal, xs),
        "where" => mx::r#where(tensor(xs, 0)?, tensor(xs, 1)?, tensor(xs, 2)?),
        "astype" => mx::astype(x()?, dtype_of(&p["dtype"])?),
        "sum" => mx::sum(x()?, axes_of(&p["axes"])?, keepdims()?),
        "prod" => mx::prod(x()?, axes_of(&p["axes"])?, keepdims()?),
        "max" => mx::max(x()?, axes_of(&p["axes"])?, keepdims()?),
        "min" => mx::min(x()?, axes_of(&p["axes"])?, keepdims()?),
        "mean" => mx::mean(x()?, axes_of(&p["axes"])?, keepdims()?),
        "var" => {
            let ddof = size_of(int_param(p, "ddof")?, "ddof")?;
            mx::var(x()?, axes_of(&p["axes"])?, keepdims()?, ddof)
        }
        "argmax" | "argmin" => {
            let axis = if p["axis"].is_null() { None } else { Some(int_param(p, "axis")? as i32) };
            if op == "argmax" {
                mx::argmax(x()?, axis, keepdims()?)
            } else {
                mx::argmin(x()?, axis, keepdims()?)
            }
        }
        "matmul" => mx::matmul(tensor(xs, 0)?, tensor(xs, 1)?),
        "reshape" => mx::reshape(x()?, &i32_list(&p["shape"])?),
        "transpose" => mx::transpose(x()?, axes_of(&p["axes"])?),
        "broadcast_to" => mx::broadcast_to(x()?, &shape_of(&p["shape"])?),
        "squeeze" => mx::squeeze(x()?, axes_of(&p["axes"])?),
        "expand_dims" => mx::expand_dims(x()?, axes_of(&p["axes"])?),
        "slice" => mx::slice(x()?, &int_list(&p["start"])?, &int_list(&p["stop"])?, &int_list(&p["step"])?),
        "concatenate" => {
            let ts: Vec<Tensor> = (0..xs.len()).map(|i| tensor(xs, i).cloned()).collect::<Step<_>>()?;
            mx::concatenate(&ts, int_param(p, "axis")? as i32)
        }
        "softmax" => mx::softmax(x()?, axes_of(&p["axes"])?),
        "logsumexp" => mx::logsumexp(x()?, axes_of(&p["axes"])?, keepdims()?),
        "zeros" => mx::zeros(&shape_of(&p["shape"])?, opt_dtype(&p["dtype"])?),
        "ones" => mx::ones(&shape_of(&p["shape"])?, opt_dtype(&p["dtype"])?),
        "full" => mx::full(&shape_of(&p["shape"])?, scalar_of(&p["value"])?, opt_dtype(&p["dtype"])?),
        // JSON ints stay `Scalar::Int`, floats `Scalar::Float`: the default dtype depends on it.
        "arange" => {
            mx::arange(scalar_of(&p["start"])?, scalar_of(&p["stop"])?, scalar_of(&p["step"])?, opt_dtype(&p["dtype"])?)
        }
        "linspace" => {
            let f = |k: &str| p[k].as_f64().map_or_else(|| harness(format!("{k} is not a number")), Ok);
            mx::linspace(f("start")?, f("stop")?, size_of(int_param(p, "num")?, "num")?, opt_dtype(&p["dtype"])?)
        }
        "eye" => {
            let n = size_of(int_param(p, "n")?, "n")?;
            let m = if p["m"].is_null() { None } else { Some(size_of(int_param(p, "m")?, "m")?) };
            mx::eye(n, m, int_param(p, "k")?, opt_dtype(&p["dtype"])?)
        }
        // --- mx.fast (speed branch): the fused norms and the rope / attention compositions ---
        "fast.rms_norm" | "fast.layer_norm" | "fast.rope" | "fast.scaled_dot_product_attention" => {
            let f = |k: &str| p[k].as_f64().map_or_else(|| harness(format!("{k} is not a number")), Ok);
            let flag = |k: &str| p[k].as_bool().map_or_else(|| harness(format!("{k} is not a bool")), Ok);
            match op {
                "fast.rms_norm" => mx::fast::rms_norm(x()?, if flag("weight")? { Some(tensor(xs, 1)?) } else { None }, f("eps")?),
                "fast.layer_norm" => {
                    let (w, b) = (flag("weight")?, flag("bias")?);
                    let wt = if w { Some(tensor(xs, 1)?) } else { None };
                    let bt = if b { Some(tensor(xs, 1 + w as usize)?) } else { None };
                    mx::fast::layer_norm(x()?, wt, bt, f("eps")?)
                }
                "fast.rope" => {
                    let n = |k: &str| size_of(int_param(p, k)?, k);
                    mx::fast::rope(x()?, n("dims")?, flag("traditional")?, f("base")?, f("scale")?, n("offset")?)
                }
                _ => {
                    let mask = match p["mask"].as_str() {
                        None => mx::fast::AttentionMask::None,
                        Some("causal") => mx::fast::AttentionMask::Causal,
                        Some(_) => mx::fast::AttentionMask::Array(tensor(xs, 3)?.clone()),
                    };
                    mx::fast::scaled_dot_product_attention(tensor(xs, 0)?, tensor(xs, 1)?, tensor(xs, 2)?, f("scale")?, &mask)
                }
            }
        }
        // --- matmul family and convolutions (linalg branch) ---
        "addmm" => {
            let f = |k: &str| p[k].as_f64().map_or_else(|| harness(format!("{k} is not a number")), Ok);
            mx::addmm(tensor(xs, 0)?, tensor(xs, 1)?, tensor(xs, 2)?, f("alpha")? as f32, f("beta")? as f32)
        }
        "tensordot" => {
            let axes: mx::TensordotAxes = match p["axes"].as_i64() {
                Some(n) => (n as i32).into(),
                None => {
                    let pair = p["axes"].as_array().map_or(&[][..], |v| &v[..]);
                    if pair.len() != 2 {
                        return harness("tensordot axes must be an int or two lists");
                    }
                    (i32_list(&pair[0])?, i32_list(&pair[1])?).into()
                }
            };
            mx::tensordot(tensor(xs, 0)?, tensor(xs, 1)?, axes)
        }
        "vecdot" => mx::vecdot(tensor(xs, 0)?, tensor(xs, 1)?, int_param(p, "axis")? as i32),
        "einsum" => {
            let ts: Vec<Tensor> = (0..xs.len()).map(|i| tensor(xs, i).cloned()).collect::<Step<_>>()?;
            mx::einsum(p["subscripts"].as_str().unwrap_or(""), &ts)
        }
        "einsum_path" => {
            let ts: Vec<Tensor> = (0..xs.len()).map(|i| tensor(xs, i).cloned()).collect::<Step<_>>()?;
            return Ok(mx::einsum_path(p["subscripts"].as_str().unwrap_or(""), &ts).map(|(path, info)| {
                let flat: Vec<i32> = path.iter().flatten().map(|&i| i as i32).collect();
                let lens: Vec<i32> = path.iter().map(|s| s.len() as i32).collect();
                vec![Tensor::from_vec(flat), Tensor::from_vec(lens), Tensor::from_vec(info.into_bytes())]
            }));
        }
        "gather_mm" => {
            let opt = optional_inputs(p, xs, &["lhs", "rhs"], 2)?;
            mx::gather_mm(tensor(xs, 0)?, tensor(xs, 1)?, opt[0], opt[1], p["sorted"].as_bool().unwrap_or(false))
        }
        "segmented_mm" => mx::segmented_mm(tensor(xs, 0)?, tensor(xs, 1)?, tensor(xs, 2)?),
        "block_masked_mm" => {
            let opt = optional_inputs(p, xs, &["mask_out", "mask_lhs", "mask_rhs"], 2)?;
            let bs = int_param(p, "block_size")? as i32;
            mx::block_masked_mm(tensor(xs, 0)?, tensor(xs, 1)?, bs, opt[0], opt[1], opt[2])
        }
        "hadamard_transform" => mx::hadamard_transform(x()?, p["scale"].as_f64().map(|s| s as f32)),
        "conv1d" | "conv2d" | "conv3d" => {
            let (a, w) = (tensor(xs, 0)?, tensor(xs, 1)?);
            let groups = int_param(p, "groups")? as i32;
            match op {
                "conv1d" => {
                    let one = |k: &str| int_param(p, k).map(|v| v as i32);
                    mx::conv1d(a, w, one("stride")?, one("padding")?, one("dilation")?, groups)
                }
                "conv2d" => {
                    mx::conv2d(a, w, spatial::<2>(&p["stride"])?, spatial::<2>(&p["padding"])?, spatial::<2>(&p["dilation"])?, groups)
                }
                _ => mx::conv3d(a, w, spatial::<3>(&p["stride"])?, spatial::<3>(&p["padding"])?, spatial::<3>(&p["dilation"])?, groups),
            }
        }
        "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d" => {
            let (a, w) = (tensor(xs, 0)?, tensor(xs, 1)?);
            let groups = int_param(p, "groups")? as i32;
            macro_rules! opts {
                ($n:literal) => {
                    mx::ConvTransposeOptions::<$n> {
                        stride: spatial::<$n>(&p["stride"])?,
                        padding: spatial::<$n>(&p["padding"])?,
                        dilation: spatial::<$n>(&p["dilation"])?,
                        output_padding: spatial::<$n>(&p["output_padding"])?,
                        groups,
                    }
                };
            }
            match op {
                "conv_transpose1d" => mx::conv_transpose1d(a, w, &opts!(1)),
                "conv_transpose2d" => mx::conv_transpose2d(a, w, &opts!(2)),
                _ => mx::conv_transpose3d(a, w, &opts!(3)),
            }
        }
        "conv_general" => {
            let list = |k: &str| -> Step<Vec<i32>> {
                match p[k].as_i64() {
                    Some(v) => Ok(vec![v as i32]),
                    None => i32_list(&p[k]),
                }
            };
            let lo = list("padding")?;
            let hi = if p["padding_hi"].is_null() { lo.clone() } else { list("padding_hi")? };
            let opts = mx::ConvGeneralOptions {
                stride: list("stride")?,
                padding_lo: lo,
                padding_hi: hi,
                kernel_dilation: list("kernel_dilation")?,
                input_dilation: list("input_dilation")?,
                groups: int_param(p, "groups")? as i32,
                flip: p["flip"].as_bool().unwrap_or(false),
            };
            mx::conv_general(tensor(xs, 0)?, tensor(xs, 1)?, &opts)
        }
        "convolve" => mx::convolve(tensor(xs, 0)?, tensor(xs, 1)?, p["mode"].as_str().unwrap_or("")),
        // --- mlx.core.linalg (golden/replay_linalg.rs) ---
        op if linalg::is_linalg(op) => return linalg::dispatch(op, p, xs),
        // --- shapeops (golden/replay_shapeops.rs) ---
        op if shapeops::OPS.contains(&op) => return shapeops::dispatch(op, p, xs),
        op if op.starts_with("fft.") => return fft_ops::dispatch(op, p, xs),
        "random.permutation" => return fft_ops::permutation(p, xs),
        op if api::OPS.contains(&op) => return api::dispatch(op, p, xs),
        op if quantized::OPS.contains(&op) => return quantized::dispatch(op, p, xs),
        // elemops (issue #3): math, bitwise, random, dtype utilities, windows
        _ => return crate::elemops::dispatch(op, p, xs),
    };
    Ok(r.map(|t| vec![t]))
}

/// Optional tensor inputs after position `start`: `params[name]` says whether each is present.
fn optional_inputs<'a>(p: &Value, xs: &'a [Input], names: &[&str], start: usize) -> Step<Vec<Option<&'a Tensor>>> {
    let mut i = start;
    let mut out = vec![];
    for n in names {
        if p[*n].as_bool().unwrap_or(false) {
            out.push(Some(tensor(xs, i)?));
            i += 1;
        } else {
            out.push(None);
        }
    }
    Ok(out)
}

/// An int (every axis) or a list of N ints.
fn spatial<const N: usize>(v: &Value) -> Step<mx::Spatial<N>> {
    if let Some(i) = v.as_i64() {
        return Ok((i as i32).into());
    }
    let l = i32_list(v)?;
    match <[i32; N]>::try_from(l) {
        Ok(a) => Ok(a.into()),
        // MLX rejects a list of the wrong length; our fixed-size type cannot express it.
        Err(l) => Err(Outcome::TypeRejected(format!("{} values for {N} spatial axes", l.len()))),
    }
}

pub fn execute(case: &Value, tensors: &HashMap<String, Stored>) -> Outcome {
    let run = || -> Step<Outcome> {
        let id = case["id"].as_str().unwrap_or("?");
        let op = case["op"].as_str().unwrap_or("?");
        let specs = case["inputs"].as_array().map_or(&[][..], |v| &v[..]);
        let xs: Vec<Input> =
            specs.iter().enumerate().map(|(i, s)| build_input(id, i, s, tensors)).collect::<Step<_>>()?;
        let outs = match dispatch(op, &case["params"], &xs)? {
            Ok(outs) => outs,
            Err(e) => return Ok(Outcome::OpErr(format!("(build) {e}"))),
        };
        if let Err(e) = mx::eval(&outs) {
            return Ok(Outcome::OpErr(format!("(eval) {e}")));
        }
        let mut got = vec![];
        for t in &outs {
            match read_tensor(t) {
                Ok(v) => got.push((t.dtype(), t.shape().to_vec(), v)),
                Err(e) => return Ok(Outcome::OpErr(format!("(read) {e}"))),
            }
        }
        Ok(Outcome::Ok(got))
    };
    run().unwrap_or_else(|o| o)
}
