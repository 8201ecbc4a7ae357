//! Golden gradients from MLX: replays `golden/cases/grad/grad.safetensors` (grad, jvp, vjp, grad of
//! grad of named composite functions, float32 and float64) and `grad_vmap.safetensors` (vmap
//! with in_axes/out_axes variants, vmap of grad, grad of vmap) and `grad_compile.safetensors`
//! (compiled functions, compile of grad, grad of compile). Written by
//! `golden/generate_grad.py`; each named function below mirrors its Python definition there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Dtype, Result, Tensor};
use mlx_core::fft::{self, FftNorm};
use serde_json::Value;

const MIN: i64 = i64::MIN;
const MAX: i64 = i64::MAX;

// ----------------------------------------------------------------------------------------
// The named functions (mirrors of generate_grad.py's `F`)
// ----------------------------------------------------------------------------------------

fn sum(x: &Tensor) -> Result<Tensor> {
    mx::sum(x, Axes::All, false)
}
fn sq(x: &Tensor) -> Result<Tensor> {
    mx::square(x)
}
fn log_softmax(x: &Tensor) -> Result<Tensor> {
    mx::subtract(x, &mx::logsumexp(x, -1, true)?)
}
fn swap_last(x: &Tensor) -> Result<Tensor> {
    mx::swapaxes(x, -1, -2)
}
fn arange_like(n: i64, x: &Tensor) -> Result<Tensor> {
    mx::astype(&mx::arange(0, n, 1, None)?, x.dtype())
}
/// `1..n` in x's dtype.
fn arange1(n: i64, x: &Tensor) -> Result<Tensor> {
    mx::astype(&mx::arange(1, n, 1, None)?, x.dtype())
}

fn call(name: &str, a: &[Tensor]) -> Result<Vec<Tensor>> {
    let one = |t: Result<Tensor>| t.map(|t| vec![t]);
    match name {
        "softmax_xent" => {
            let n = a[0].shape()[0] as f64;
            one(mx::divide(&mx::negative(&sum(&mx::multiply(&a[1], &log_softmax(&a[0])?)?)?)?, n))
        }
        "layer_norm" => {
            let (x, w, b) = (&a[0], &a[1], &a[2]);
            let c = mx::subtract(x, &mx::mean(x, -1, true)?)?;
            let s = mx::sqrt(&mx::add(&mx::var(x, -1, true, 0)?, 1e-5)?)?;
            one(sum(&sq(&mx::add(&mx::multiply(&mx::divide(&c, &s)?, w)?, b)?)?))
        }
        "attention" => {
            let (q, k, v) = (&a[0], &a[1], &a[2]);
            let d = (*q.shape().last().unwrap_or(&1) as f64).sqrt();
            let s = mx::divide(&mx::matmul(q, &swap_last(k)?)?, d)?;
            one(sum(&sq(&mx::matmul(&mx::softmax(&s, -1)?, v)?)?))
        }
        "logsumexp_sum" => one(sum(&mx::logsumexp(&a[0], -1, false)?)),
        "slice_index" => {
            let x = &a[0];
            let p1 = sum(&sq(&mx::slice(x, &[1, MIN], &[MAX, MAX], &[1, 2])?)?)?;
            let col = mx::squeeze(&mx::slice(x, &[MAX, 1], &[MIN, 2], &[-1, 1])?, 1)?;
            let p2 = sum(&mx::multiply(&col, 3.0)?)?;
            let p3 = sum(&mx::slice(x, &[-1, 3], &[-4, 0], &[-2, -2])?)?;
            one(mx::add(&mx::add(&p1, &p2)?, &p3))
        }
        "matmul_bcast" => one(sum(&sq(&mx::matmul(&a[0], &a[1])?)?)),
        "matvec" => one(sum(&mx::exp(&mx::multiply(&mx::matmul(&a[0], &a[1])?, 0.1)?)?)),
        "max_min_ties" => {
            let m = mx::multiply(&mx::maximum(&a[0], &a[1])?, 2.0)?;
            one(sum(&mx::add(&m, &mx::minimum(&a[0], &a[1])?)?))
        }
        "clip" => one(sum(&mx::multiply(&mx::minimum(&mx::maximum(&a[0], -1.0)?, 1.0)?, &a[0])?)),
        "reduce_max_ties" => {
            let x = &a[0];
            one(mx::add(&sum(&mx::max(x, 1, false)?)?, &sum(&mx::multiply(&mx::min(x, 0, false)?, 2.0)?)?))
        }
        "prod_zeros" => one(sum(&mx::prod(&a[0], 1, false)?)),
        "mse_linear" => {
            let (w, b, x, y) = (&a[0], &a[1], &a[2], &a[3]);
            one(mx::mean(&sq(&mx::subtract(&mx::add(&mx::matmul(x, w)?, b)?, y)?)?, Axes::All, false))
        }
        "var_std" => {
            let x = &a[0];
            one(mx::add(&sum(&mx::var(x, 0, false, 0)?)?, &sum(&mx::std(x, 1, false, 1)?)?))
        }
        "abs_sqrt_log" => {
            let ax = mx::abs(&a[0])?;
            one(sum(&mx::add(&mx::sqrt(&mx::add(&ax, 0.1)?)?, &mx::log(&mx::add(&ax, 1.0)?)?)?))
        }
        "concat_slices" => {
            let c = mx::concatenate(&[a[0].clone(), mx::multiply(&a[1], 2.0)?], 1)?;
            one(sum(&sq(&mx::slice(&c, &[MIN, 1], &[MAX, 4], &[1, 1])?)?))
        }
        "transpose_reshape" => {
            let r = mx::reshape(&mx::transpose(&a[0], [1, 0, 2])?, &[-1])?;
            one(sum(&mx::multiply(&r, &arange_like(24, &a[0])?)?))
        }
        "where_select" => {
            let x = &a[0];
            one(sum(&mx::r#where(&mx::greater(x, 0)?, &mx::multiply(x, x)?, &mx::negative(x)?)?))
        }
        "divide_fn" => one(sum(&mx::divide(&a[0], &a[1])?)),
        "mean_axes" => one(sum(&sq(&mx::mean(&a[0], [0, 2], false)?)?)),
        "broadcast_add" => one(sum(&sq(&mx::add(&a[0], &a[1])?)?)),
        "mlp" => {
            let (w1, b1, w2, b2, x) = (&a[0], &a[1], &a[2], &a[3], &a[4]);
            let h = mx::maximum(&mx::add(&mx::matmul(x, w1)?, b1)?, 0.0)?;
            one(sum(&sq(&mx::add(&mx::matmul(&h, w2)?, b2)?)?))
        }
        "softmax_weighted" => one(sum(&mx::multiply(&mx::softmax(&a[0], -1)?, &arange_like(4, &a[0])?)?)),
        "stop_grad" => {
            let (x, w) = (&a[0], &a[1]);
            let s = mx::multiply(x, &tf::stop_gradient(&mx::multiply(x, w)?)?)?;
            one(sum(&mx::add(&s, &mx::multiply(w, w)?)?))
        }
        "checkpointed" => {
            let ck = tf::checkpoint(|b: &[Tensor]| {
                Ok(vec![mx::exp(&mx::multiply(&mx::maximum(&mx::matmul(&b[0], &b[1])?, 0.0)?, 0.5)?)?])
            });
            one(sum(&ck(a)?[0]))
        }
        "cube" => one(sum(&mx::multiply(&mx::multiply(&a[0], &a[0])?, &a[0])?)),
        "exp_mul" => one(sum(&mx::multiply(&mx::exp(&a[0])?, &a[0])?)),
        "tanh_like" => {
            let (e, m) = (mx::exp(&a[0])?, mx::exp(&mx::negative(&a[0])?)?);
            one(mx::divide(&mx::subtract(&e, &m)?, &mx::add(&e, &m)?))
        }
        "two_out" => Ok(vec![
            mx::multiply(&a[0], &a[1])?,
            mx::add(&mx::sum(&a[0], 0, false)?, &mx::max(&a[1], 0, false)?)?,
        ]),
        "row_softmax_dot" => one(mx::matmul(&mx::softmax(&a[0], -1)?, &a[1])),
        "sum_sq" => one(sum(&mx::multiply(&a[0], &a[0])?)),
        // fft (fft branch)
        "rfft_sq" => {
            let y = fft::rfft(&a[0], None, -1, FftNorm::Backward)?;
            one(sum(&mx::multiply(&sq(&mx::real(&y)?)?, &arange_like(4, &mx::real(&y)?)?)?))
        }
        "irfft_odd" => {
            let y = fft::irfft(&mx::astype(&a[0], Dtype::Complex64)?, 5, -1, FftNorm::Backward)?;
            one(sum(&mx::multiply(&sq(&y)?, &arange_like(5, &y)?)?))
        }
        "fft2_mix" => {
            let f = fft::fft2(&a[0], None, &[-2, -1], FftNorm::Backward)?;
            let g = fft::ifft2(&mx::multiply(&a[0], 2.0)?, None, &[-2, -1], FftNorm::Ortho)?;
            one(sum(&mx::multiply(&mx::real(&f)?, &mx::imag(&g)?)?))
        }
        "stft_energy" => {
            let opts = fft::StftOptions { n_fft: 4, hop_length: Some(2), ..Default::default() };
            one(sum(&sq(&mx::real(&fft::stft(&a[0], &opts)?)?)?))
        }
        "outer" => one(mx::multiply(&mx::expand_dims(&a[0], 1)?, &mx::expand_dims(&a[1], 0)?)),
        "lse" => one(mx::logsumexp(&a[0], -1, false)),
        "normalize" => {
            let x = &a[0];
            let c = mx::subtract(x, &mx::mean(x, Axes::All, false)?)?;
            one(mx::divide(&c, &mx::sqrt(&mx::add(&mx::var(x, Axes::All, false, 0)?, 1e-5)?)?))
        }
        "slice_cat" => {
            let x = &a[0];
            let head = mx::slice(x, &[1], &[MAX], &[1])?;
            let tail = mx::multiply(&mx::slice(x, &[MIN], &[1], &[1])?, 2.0)?;
            one(mx::concatenate(&[head, tail], 0))
        }
        "transpose2" => one(mx::multiply(&mx::transpose(&a[0], Axes::All)?, 2.0)),
        "where_max" => {
            let (x, y) = (&a[0], &a[1]);
            one(mx::r#where(&mx::greater(x, y)?, x, &mx::maximum(y, 0.0)?))
        }
        "reduce_max0" => one(mx::max(&a[0], 0, false)),
        "argmax_f" => one(mx::argmax(&a[0], -1, false)),
        "bcast" => {
            let x = &a[0];
            let mut shape = vec![2];
            shape.extend_from_slice(x.shape());
            one(mx::multiply(&mx::broadcast_to(&mx::expand_dims(x, 0)?, &shape)?, 1.5))
        }
        "prod_last" => one(mx::prod(&a[0], -1, false)),
        "matvec_v" => one(mx::matmul(&a[0], &a[1])),
        "xent_take" => {
            let labels = Tensor::from_slice(&[1i32, 0, 3, 2], &[4, 1])?;
            one(mx::negative(&mx::mean(&mx::take_along_axis(&log_softmax(&a[0])?, &labels, -1)?, Axes::All, false)?))
        }
        "put_along" => {
            let idx = Tensor::from_slice(&[0i32, 2, 3, 1, 1, 0], &[3, 2])?;
            one(sum(&sq(&mx::put_along_axis(&a[0], &idx, &a[1], 1)?)?))
        }
        "cumsum_fn" => {
            let x = &a[0];
            let p = sum(&mx::multiply(&mx::cumsum(x, 1, false, true)?, &arange_like(4, x)?)?)?;
            one(mx::add(&p, &sum(&sq(&mx::cumsum(x, 0, true, false)?)?)?))
        }
        "sort_fn" => {
            let x = &a[0];
            let p = sum(&mx::multiply(&mx::sort(x, -1)?, &arange_like(4, x)?)?)?;
            one(mx::add(&p, &sum(&sq(&mx::sort(x, 0)?)?)?))
        }
        "take_v" => {
            let idx = Tensor::from_slice(&[2i32, 0, 0], &[3])?;
            one(mx::multiply(&mx::take_along_axis(&a[0], &idx, 0)?, 2.0))
        }
        "cumsum_v" => one(mx::cumsum(&a[0], -1, false, true)),
        // issue #4: scans, reducing scatters, gather_mm, as_strided
        "cumprod_zeros" => {
            let x = &a[0];
            let p = sum(&mx::multiply(&mx::cumprod(x, 1, false, true)?, &arange1(5, x)?)?)?;
            one(mx::add(&p, &sum(&sq(&mx::cumprod(x, 0, true, false)?)?)?))
        }
        "cummax_ties" => {
            let x = &a[0];
            let p = sum(&mx::multiply(&mx::cummax(x, 1, false, true)?, &arange1(5, x)?)?)?;
            let q = sum(&mx::multiply(&mx::cummin(x, 0, true, true)?, 2.0)?)?;
            let e = mx::slice(&mx::cummax(x, 1, true, false)?, &[MIN, MIN], &[MAX, -1], &[1, 1])?;
            one(mx::add(&mx::add(&p, &q)?, &sum(&mx::multiply(&e, 3.0)?)?))
        }
        "logcumsumexp_fn" => {
            let x = &a[0];
            let p = sum(&mx::multiply(&mx::logcumsumexp(x, 1, false, true)?, &arange1(5, x)?)?)?;
            let e = mx::slice(&mx::logcumsumexp(x, 0, true, false)?, &[MIN], &[-1], &[1])?;
            one(mx::add(&p, &sum(&e)?))
        }
        "scatter_max_ties" => {
            let (x, u) = (&a[0], &a[1]);
            let i1 = Tensor::from_slice(&[0i32, 2, 0], &[3])?;
            let i2 = Tensor::from_slice(&[1i32, 1, 3], &[3])?;
            let p = sum(&mx::multiply(&x.at(&i1).maximum(u)?, &arange1(4, x)?)?)?;
            one(mx::add(&p, &sum(&mx::multiply(&x.at(&i2).minimum(u)?, 2.0)?)?))
        }
        "gather_mm_fn" => {
            let li = Tensor::from_slice(&[2u32, 0, 2], &[3])?;
            let ri = Tensor::from_slice(&[1u32, 1, 3], &[3])?;
            one(sum(&sq(&mx::gather_mm(&a[0], &a[1], Some(&li), Some(&ri), false)?)?))
        }
        "as_strided_fn" => {
            let x = &a[0];
            let w = mx::reshape(&arange_like(9, x)?, &[3, 3])?;
            one(sum(&mx::multiply(&mx::as_strided(x, &[3, 3], &[2, 1], 1)?, &w)?))
        }
        "cumprod_v" => one(mx::cumprod(&a[0], -1, false, true)),
        "cummax_v" => one(mx::cummax(&a[0], 0, false, true)),
        "lcse_v" => one(mx::logcumsumexp(&a[0], -1, true, true)),
        "lcse_sq" => one(sum(&sq(&mx::logcumsumexp(&a[0], 1, false, true)?)?)),
        // compile
        "gelu" => {
            let x = &a[0];
            let e = mx::add(&mx::erf(&mx::divide(x, 2f64.sqrt())?)?, 1.0)?;
            one(mx::multiply(&mx::multiply(x, 0.5)?, &e))
        }
        "cse_chain" => {
            let (x, y) = (&a[0], &a[1]);
            let e = |x: &Tensor| mx::exp(&mx::multiply(x, 2.0)?);
            let l = mx::log(&mx::add(&e(x)?, 1.0)?)?;
            one(mx::subtract(&mx::add(&e(x)?, &mx::multiply(&e(x)?, y)?)?, &l))
        }
        other => Err(mx::Error::invalid("golden", format!("unknown function {other}"))),
    }
}

// ----------------------------------------------------------------------------------------
// Reading cases
// ----------------------------------------------------------------------------------------

struct Stored {
    dtype: String,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

fn read(path: &Path) -> (Vec<Value>, HashMap<String, Stored>) {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
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
        let off: Vec<usize> = h["data_offsets"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let shape = h["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        tensors.insert(
            name.clone(),
            Stored { dtype: h["dtype"].as_str().unwrap().to_string(), shape, bytes: data[off[0]..off[1]].to_vec() },
        );
    }
    (cases, tensors)
}

fn to_tensor(s: &Stored) -> Tensor {
    match s.dtype.as_str() {
        "F32" => {
            let v: Vec<f32> = s.bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            Tensor::from_slice(&v, &s.shape).unwrap()
        }
        "F64" => {
            let v: Vec<f64> = s.bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
            Tensor::from_slice(&v, &s.shape).unwrap()
        }
        "U32" => {
            let v: Vec<u32> = s.bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
            Tensor::from_slice(&v, &s.shape).unwrap()
        }
        d => panic!("unexpected stored dtype {d}"),
    }
}

fn values(t: &Tensor) -> Vec<f64> {
    match t.dtype() {
        Dtype::Float64 => t.to_vec::<f64>().unwrap(),
        _ => mx::astype(t, Dtype::Float64).unwrap().to_vec::<f64>().unwrap(),
    }
}

fn compare(id: &str, got: &Tensor, want: &Tensor) -> std::result::Result<(), String> {
    if got.shape() != want.shape() || got.dtype() != want.dtype() {
        return Err(format!(
            "{id}: got {:?} {} want {:?} {}",
            got.shape(),
            got.dtype(),
            want.shape(),
            want.dtype()
        ));
    }
    let (rtol, atol) = match want.dtype() {
        // MLX computes some float64 math (exp, log) at about float32 accuracy.
        Dtype::Float64 => (1e-6, 5e-8),
        Dtype::Float32 => (2e-4, 2e-5),
        _ => (0.0, 0.0),
    };
    let (g, w) = (values(got), values(want));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        if !((a - b).abs() <= atol + rtol * b.abs() || (a.is_nan() && b.is_nan())) {
            return Err(format!("{id}: element {i}: got {a} want {b}\n got  {g:?}\n want {w:?}"));
        }
    }
    Ok(())
}

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/cases/grad")
}

fn axes_list(c: &Value, key: &str) -> Vec<Option<i32>> {
    c[key].as_array().unwrap().iter().map(|v| v.as_i64().map(|a| a as i32)).collect()
}

fn run_case(c: &Value, tensors: &HashMap<String, Stored>) -> Result<Vec<Tensor>> {
    let id = c["id"].as_str().unwrap();
    let name = c["fn"].as_str().unwrap().to_string();
    let n_in = c["inputs"].as_array().unwrap().len();
    let xs: Vec<Tensor> = (0..n_in).map(|i| to_tensor(&tensors[&format!("{id}/in{i}")])).collect();
    let f = {
        let name = name.clone();
        move |a: &[Tensor]| call(&name, a)
    };
    match c["kind"].as_str().unwrap() {
        "grad" => {
            let argnums: Vec<usize> = c["argnums"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
            let (outs, grads) = tf::value_and_grad(f, &argnums)(&xs)?;
            Ok(std::iter::once(outs[0].clone()).chain(grads).collect())
        }
        "jvp" => {
            let h = n_in / 2;
            let (o, t) = tf::jvp(f, &xs[..h], &xs[h..])?;
            Ok(o.into_iter().chain(t).collect())
        }
        "vjp" => {
            let p = c["n_primals"].as_u64().unwrap() as usize;
            let (o, g) = tf::vjp(f, &xs[..p], &xs[p..])?;
            Ok(o.into_iter().chain(g).collect())
        }
        "grad2" => {
            let inner = tf::grad(f, &[0]);
            let outer = tf::grad(move |a: &[Tensor]| Ok(vec![sum(&inner(a)?[0])?]), &[0]);
            outer(&xs)
        }
        "vmap" => tf::vmap(f, &axes_list(c, "in_axes"), &out_axes(c))(&xs),
        "vmap_grad" => tf::vmap(tf::grad(f, &[0]), &axes_list(c, "in_axes"), &out_axes(c))(&xs),
        "grad_vmap" => {
            let v = tf::vmap(f, &axes_list(c, "in_axes"), &out_axes(c));
            tf::grad(move |a: &[Tensor]| Ok(vec![sum(&v(a)?[0])?]), &[0])(&xs)
        }
        "compile" => {
            let c = tf::compile(f);
            let _ = c(&xs)?;
            // The second call replays the cached graph.
            c(&xs)
        }
        "compile_grad" => {
            let g = tf::compile(tf::grad(f.clone(), &[0]));
            let cg = tf::grad(tf::compile(f), &[0]);
            Ok(vec![g(&xs)?.remove(0), cg(&xs)?.remove(0)])
        }
        k => panic!("unknown kind {k}"),
    }
}

fn out_axes(c: &Value) -> Vec<i32> {
    c["out_axes"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as i32).collect()
}

fn replay(file: &str, min_cases: usize) {
    let (cases, tensors) = read(&case_dir().join(file));
    assert!(cases.len() >= min_cases, "{file}: only {} cases", cases.len());
    let mut failures = vec![];
    // Per-transform counts for tools/coverage.py (MLX function names).
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        let label = format!("{id} {} {}", c["kind"].as_str().unwrap(), c["fn"].as_str().unwrap());
        let before = failures.len();
        let ops: &[&str] = match c["kind"].as_str().unwrap() {
            "grad" => &["grad", "value_and_grad"],
            "grad2" => &["grad"],
            "jvp" => &["jvp"],
            "vjp" => &["vjp"],
            "vmap" => &["vmap"],
            "compile" => &["compile"],
            "compile_grad" => &["compile", "grad"],
            _ => &["vmap", "grad"],
        };
        let extra: &[&str] = match c["fn"].as_str().unwrap() {
            "stop_grad" => &["stop_gradient"],
            "checkpointed" => &["checkpoint"],
            _ => &[],
        };
        match run_case(c, &tensors) {
            Ok(outs) => {
                let n = c["outputs"].as_array().unwrap().len();
                if outs.len() != n {
                    failures.push(format!("{label}: {} outputs, want {n}", outs.len()));
                    continue;
                }
                for (j, o) in outs.iter().enumerate() {
                    let want = to_tensor(&tensors[&format!("{id}/out{j}")]);
                    if let Err(e) = compare(&format!("{label} out{j}"), o, &want) {
                        failures.push(e);
                    }
                }
            }
            Err(e) => failures.push(format!("{label}: error {e}")),
        }
        for op in ops.iter().chain(extra) {
            let e = counts.entry(op).or_default();
            if failures.len() == before {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    let report: serde_json::Map<String, Value> = counts
        .iter()
        .map(|(k, (p, f))| (k.to_string(), serde_json::json!({"passed": p, "failed": f})))
        .collect();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let stem = file.trim_end_matches(".safetensors");
    let _ = std::fs::create_dir_all(&target);
    let _ = std::fs::write(target.join(format!("golden-report-{stem}.json")), serde_json::json!({"ops": report}).to_string());
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    eprintln!("{file}: {} cases passed", cases.len());
}

#[test]
fn golden_gradients_match_mlx() {
    replay("grad.safetensors", 60);
}

#[test]
fn golden_vmap_matches_mlx() {
    replay("grad_vmap.safetensors", 20);
}

#[test]
fn golden_compile_matches_mlx() {
    replay("grad_compile.safetensors", 20);
}
