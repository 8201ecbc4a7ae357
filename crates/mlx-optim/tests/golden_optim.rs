//! Golden optimizer runs from MLX (`golden/cases/nn/optimizers{,_extra}.safetensors`, written by
//! `golden/generate_nn.py`): 5 updates of each optimizer on fixed parameters and gradients;
//! the parameters and the optimizer state afterwards must match MLX's, and restoring the
//! saved state must reproduce the next update.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use mlx_core::{self as mx, Dtype, Tensor};
use mlx_optim::{self as optim, Optimizer};
use serde_json::Value;

type Tree = BTreeMap<String, Tensor>;

fn close(got: &Tensor, want: &Tensor, rtol: f32, atol: f32) -> Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!("shape {:?} != {:?}", got.shape(), want.shape()));
    }
    let g = mx::astype(got, Dtype::Float32).unwrap().to_vec::<f32>().unwrap();
    let w = mx::astype(want, Dtype::Float32).unwrap().to_vec::<f32>().unwrap();
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        if !((a - b).abs() <= atol + rtol * b.abs()) {
            return Err(format!("element {i}: got {a}, want {b}"));
        }
    }
    Ok(())
}

fn sub(t: &Tree, prefix: &str) -> Tree {
    t.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone()))).collect()
}

fn make(op: &str, p: &Value) -> Box<dyn optim::DynOptimizer> {
    let f = |k: &str, d: f64| p[k].as_f64().unwrap_or(d);
    match op {
        "SGD" => Box::new(optim::Sgd::with(f("lr", 0.0), f("momentum", 0.0), f("weight_decay", 0.0), f("dampening", 0.0), p["nesterov"].as_bool().unwrap_or(false)).unwrap()),
        "RMSprop" => Box::new(optim::RmsProp::new(f("lr", 0.0), f("alpha", 0.99), f("eps", 1e-8))),
        "Adagrad" => Box::new(optim::Adagrad::new(f("lr", 0.0), f("eps", 1e-8))),
        "AdaDelta" => Box::new(optim::AdaDelta::new(f("lr", 0.0), f("rho", 0.9), f("eps", 1e-6))),
        "Adam" => {
            let mut o = optim::Adam::new(f("lr", 0.0));
            o.bias_correction = p["bias_correction"].as_bool().unwrap_or(false);
            Box::new(o)
        }
        "AdamW" => {
            let mut o = optim::AdamW::new(f("lr", 0.0));
            o.weight_decay = f("weight_decay", 0.01);
            Box::new(o)
        }
        "Adamax" => Box::new(optim::Adamax::new(f("lr", 0.0))),
        "Lion" => {
            let mut o = optim::Lion::new(f("lr", 0.0));
            o.weight_decay = f("weight_decay", 0.0);
            Box::new(o)
        }
        "Adafactor" => {
            let mut o = optim::Adafactor::new();
            if let Some(lr) = p["lr"].as_f64() {
                o.base = optim::Base::new(lr);
            }
            o.relative_step = p["relative_step"].as_bool().unwrap_or(true);
            o.beta_1 = p["beta_1"].as_f64();
            o.weight_decay = f("weight_decay", 0.0);
            Box::new(o)
        }
        "Adam.cosine" => Box::new(optim::Adam::new(optim::cosine_decay(f("lr", 0.0), p["decay_steps"].as_u64().unwrap(), 0.0))),
        "SGD.join" => {
            let s = optim::join_schedules(vec![optim::linear_schedule(0.0, 0.1, 2), optim::exponential_decay(0.1, 0.5)], vec![2]).unwrap();
            Box::new(optim::Sgd::new(s))
        }
        "SGD.step_decay" => Box::new(optim::Sgd::new(optim::step_decay(0.1, 0.5, 2))),
        "Muon" => {
            let mut o = optim::Muon::new(f("lr", 0.0));
            o.momentum = f("momentum", 0.95);
            o.weight_decay = f("weight_decay", 0.01);
            o.nesterov = p["nesterov"].as_bool().unwrap_or(true);
            o.ns_steps = p["ns_steps"].as_u64().unwrap_or(5) as usize;
            Box::new(o)
        }
        "Muon.cosine" => Box::new(optim::Muon::new(optim::cosine_decay(f("lr", 0.0), p["decay_steps"].as_u64().unwrap(), 0.0))),
        // MultiOptimizer([Muon(0.02), AdamW(0.01)], [lambda k, g: g.ndim >= 2])
        "Multi" => {
            let matrices: optim::Filter = Box::new(|_: &str, g: &Tensor| g.ndim() >= 2);
            Box::new(optim::MultiOptimizer::new(vec![Box::new(optim::Muon::new(0.02)), Box::new(optim::AdamW::new(0.01))], vec![matrices]).unwrap())
        }
        "Adam.exponential" => Box::new(optim::Adam::new(optim::exponential_decay(0.05, 0.8))),
        other => panic!("unknown optimizer {other}"),
    }
}

#[test]
fn golden_optimizers() {
    run("optimizers");
}

/// Muon, MultiOptimizer (Muon + AdamW) and a standalone exponential decay (issue #6).
#[test]
fn golden_optimizers_extra() {
    run("optimizers_extra");
}

fn run(family: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../golden/cases/nn/{family}.safetensors"));
    let (arrays, meta) = mlx_io::load_safetensors(&path).unwrap();
    let t: Tree = arrays.into_iter().collect();
    let cases: Vec<Value> = serde_json::from_str(&meta["cases"]).unwrap();
    let mut failures = vec![];
    for c in &cases {
        let (id, op, p) = (c["id"].as_str().unwrap(), c["op"].as_str().unwrap(), &c["params"]);
        if op == "clip_grad_norm" {
            let (clipped, norm) = optim::clip_grad_norm(&sub(&t, &format!("{id}/g0/")), p["max_norm"].as_f64().unwrap()).unwrap();
            for (k, want) in sub(&t, &format!("{id}/out/")) {
                if let Err(e) = close(&clipped[&k], &want, 1e-5, 1e-6) {
                    failures.push(format!("{id} {op} {k}: {e}"));
                }
            }
            if let Err(e) = close(&norm, &t[&format!("{id}/norm")], 1e-5, 1e-6) {
                failures.push(format!("{id} {op} norm: {e}"));
            }
            continue;
        }
        let mut opt = make(op, p);
        let mut params = sub(&t, &format!("{id}/p/"));
        let mut saved = None;
        for i in 0..5 {
            if i == 4 {
                saved = Some((opt.state_dyn(), params.clone()));
            }
            params = opt.apply_gradients_dyn(&sub(&t, &format!("{id}/g{i}/")), &params).unwrap();
        }
        for (k, want) in sub(&t, &format!("{id}/out/")) {
            if let Err(e) = close(&params[&k], &want, 2e-5, 1e-6) {
                failures.push(format!("{id} {op} {k}: {e}"));
            }
        }
        let state = opt.state_dyn();
        for (k, want) in sub(&t, &format!("{id}/state/")) {
            match state.get(&k) {
                None => failures.push(format!("{id} {op}: missing state {k}")),
                Some(got) => {
                    if let Err(e) = close(got, &want, 2e-5, 1e-6) {
                        failures.push(format!("{id} {op} state {k}: {e}"));
                    }
                }
            }
        }
        if state.len() != sub(&t, &format!("{id}/state/")).len() {
            failures.push(format!("{id} {op}: state has {} entries, MLX {}", state.len(), sub(&t, &format!("{id}/state/")).len()));
        }
        // Restore the state saved before the last update into a fresh optimizer: same result.
        let (st, before) = saved.unwrap();
        let mut fresh = make(op, p);
        fresh.set_state_dyn(&st).unwrap();
        let again = fresh.apply_gradients_dyn(&sub(&t, &format!("{id}/g4/")), &before).unwrap();
        for (k, v) in &params {
            if let Err(e) = close(&again[k], v, 0.0, 0.0) {
                failures.push(format!("{id} {op} restored {k}: {e}"));
            }
        }
    }
    eprintln!("{family}: {} cases, {} failures", cases.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_name_the_parameter() {
    let mut opt = optim::Adam::new(0.1);
    let mut g = Tree::new();
    g.insert("w".into(), mx::ones(&[2], Dtype::Float32).unwrap());
    let e = opt.apply_gradients(&g, &Tree::new()).unwrap_err().to_string();
    assert!(e.starts_with("[Optimizer.apply_gradients]") && e.contains("\"w\""), "{e}");
    let mut p = Tree::new();
    p.insert("w".into(), mx::ones(&[3], Dtype::Float32).unwrap());
    let e = opt.apply_gradients(&g, &p).unwrap_err().to_string();
    assert!(e.contains("\"w\"") && e.contains("shape"), "{e}");
    assert!(optim::Sgd::with(0.1, 0.0, 0.0, 0.0, true).is_err());
    assert!(optim::clip_grad_norm(&g, -1.0).is_err());
    let _unused: Arc<u8> = Arc::new(0);
}

#[test]
fn state_round_trips_through_a_file() {
    let mut opt = optim::Adam::new(0.1);
    let mut p = Tree::new();
    p.insert("layers.0.weight".into(), mx::ones(&[2, 2], Dtype::Float32).unwrap());
    let g = p.clone();
    let p1 = opt.apply_gradients(&g, &p).unwrap();
    let dir = std::env::temp_dir().join(format!("mlx-optim-state-{}.safetensors", std::process::id()));
    opt.save_state(&dir).unwrap();
    let mut other = optim::Adam::new(0.1);
    other.load_state(&dir).unwrap();
    std::fs::remove_file(&dir).ok();
    let names: Vec<String> = other.state().into_keys().collect();
    assert_eq!(names, ["layers.0.weight.m", "layers.0.weight.v", "learning_rate", "step"]);
    let a = opt.apply_gradients(&g, &p1).unwrap();
    let b = other.apply_gradients(&g, &p1).unwrap();
    close(&a["layers.0.weight"], &b["layers.0.weight"], 0.0, 0.0).unwrap();
}
