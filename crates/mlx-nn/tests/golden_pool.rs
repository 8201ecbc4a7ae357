//! Golden cases from MLX for pooling, `Upsample` and the gradients of conv layers
//! (`golden/cases/nn/pool.safetensors`, written by `golden/generate_nn_pool.py`): each layer's
//! forward output, the gradient of `sum(out * ct)` with respect to its input, and for
//! `Conv1d`/`Conv2d` the gradients of `weight` and `bias` through `nn::value_and_grad`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mlx_autograd as tf;
use mlx_core::{self as mx, Axes, Dtype, Result, Tensor};
use mlx_nn::{self as nn, UnaryModule};
use serde_json::Value;

fn load() -> (Vec<Value>, BTreeMap<String, Tensor>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../golden/cases/nn/pool.safetensors");
    let (arrays, meta) = mlx_io::load_safetensors(&path).expect("golden file");
    (serde_json::from_str(&meta["cases"]).expect("cases json"), arrays.into_iter().collect())
}

fn close(got: &Tensor, want: &Tensor) -> std::result::Result<(), String> {
    if got.shape() != want.shape() || got.dtype() != want.dtype() {
        return Err(format!("got {:?} {} want {:?} {}", got.shape(), got.dtype(), want.shape(), want.dtype()));
    }
    let g = mx::astype(got, Dtype::Float32).and_then(|t| t.to_vec::<f32>()).map_err(|e| e.to_string())?;
    let w = want.to_vec::<f32>().map_err(|e| e.to_string())?;
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        if !(a == b || (a - b).abs() <= 2e-5 + 2e-5 * b.abs()) {
            return Err(format!("element {i}: got {a}, want {b}"));
        }
    }
    Ok(())
}

fn list(p: &Value, k: &str) -> Vec<usize> {
    p[k].as_array().unwrap_or_else(|| panic!("param {k}")).iter().map(|v| v.as_u64().unwrap() as usize).collect()
}

fn arr<const N: usize>(v: Vec<usize>) -> [usize; N] {
    v.try_into().unwrap()
}

fn pool(p: &Value) -> Result<Box<dyn UnaryModule>> {
    let kind = if p["kind"] == "max" { nn::PoolKind::Max } else { nn::PoolKind::Avg };
    let (k, s, pad) = (list(p, "k"), list(p, "stride"), list(p, "padding"));
    Ok(match k.len() {
        1 => Box::new(nn::Pool::<1>::new(kind, arr(k), Some(arr(s)), arr(pad))?),
        2 => Box::new(nn::Pool::<2>::new(kind, arr(k), Some(arr(s)), arr(pad))?),
        _ => Box::new(nn::Pool::<3>::new(kind, arr(k), Some(arr(s)), arr(pad))?),
    })
}

fn upsample(p: &Value) -> Result<Box<dyn UnaryModule>> {
    let scale: Vec<f64> = p["scale"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let mode: nn::UpsampleMode = p["mode"].as_str().unwrap().parse()?;
    Ok(Box::new(nn::Upsample::with_mode(&scale, mode, p["align_corners"].as_bool().unwrap())?))
}

/// Forward output and input gradient of a parameter-free layer.
fn check_layer(m: &dyn UnaryModule, x: &Tensor, ct: &Tensor) -> Result<(Tensor, Tensor)> {
    let y = m.forward(x)?;
    let ct = ct.clone();
    let g = tf::grad(move |a: &[Tensor]| Ok(vec![mx::sum(&mx::multiply(&m.forward(&a[0])?, &ct)?, Axes::All, false)?]), &[0])(&[x.clone()])?;
    Ok((y, g[0].clone()))
}

fn conv_layer<const N: usize>(p: &Value, w: &nn::Tree, x: &Tensor, ct: &Tensor) -> Result<Vec<(&'static str, Tensor)>> {
    let a = |k: &str| -> [i32; N] { list(p, k).into_iter().map(|v| v as i32).collect::<Vec<_>>().try_into().unwrap() };
    let u = |k: &str| p[k].as_u64().unwrap() as usize;
    let mut m = nn::Conv::<N>::new(u("in"), u("out"), arr(list(p, "k")), a("stride"), a("padding"), a("dilation"), u("groups"), true)?;
    nn::load_tree(&mut m, w, true)?;
    let y = m.forward(x)?;
    let ct2 = ct.clone();
    let vg = nn::value_and_grad(move |m: &nn::Conv<N>, b: &[Tensor]| Ok(vec![mx::sum(&mx::multiply(&m.forward(&b[0])?, &ct2)?, Axes::All, false)?]));
    let (_, grads) = vg(&mut m, &[x.clone()])?;
    let (_, gx) = check_layer(&m, x, ct)?;
    Ok(vec![("out", y), ("grad", gx), ("g/weight", grads["weight"].clone()), ("g/bias", grads["bias"].clone())])
}

#[test]
fn pooling_upsample_and_conv_grads_match_mlx() {
    let (cases, t) = load();
    assert!(cases.len() >= 35, "only {} cases", cases.len());
    let mut failures = vec![];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in &cases {
        let (id, op, p) = (c["id"].as_str().unwrap(), c["op"].as_str().unwrap(), &c["params"]);
        let (x, ct) = (&t[&format!("{id}/in0")], &t[&format!("{id}/in1")]);
        let outs: Result<Vec<(&str, Tensor)>> = match op {
            "Pool" | "Upsample" => (|| {
                let m = if op == "Pool" { pool(p)? } else { upsample(p)? };
                let (y, g) = check_layer(m.as_ref(), x, ct)?;
                Ok(vec![("out", y), ("grad", g)])
            })(),
            "Conv1d" | "Conv2d" => {
                let prefix = format!("{id}/w/");
                let w: nn::Tree = t.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|n| (n.to_string(), v.clone()))).collect();
                if op == "Conv1d" {
                    conv_layer::<1>(p, &w, x, ct)
                } else {
                    conv_layer::<2>(p, &w, x, ct)
                }
            }
            o => panic!("unknown op {o}"),
        };
        *counts.entry(op.to_string()).or_default() += 1;
        match outs {
            Ok(outs) => {
                for (k, got) in outs {
                    if let Err(e) = close(&got, &t[&format!("{id}/{k}")]) {
                        failures.push(format!("{id} {op} {p} {k}: {e}"));
                    }
                }
            }
            Err(e) => failures.push(format!("{id} {op} {p}: error {e}")),
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    eprintln!("pool.safetensors: {counts:?}");
}
