//! The Module tree: names, freeze/unfreeze, update, train/eval, apply/set_dtype,
//! load/save weights and their errors, and value_and_grad. MLX's seeded initialization
//! values are checked in `seeded_init.rs`.

use mlx_core::{self as mx, Dtype, Tensor};
use mlx_nn::{self as nn, module_fields, Module, ModuleState, Tree, UnaryModule};

fn mlp() -> nn::Sequential {
    nn::Sequential::new()
        .add(nn::Linear::new(3, 4, true).unwrap())
        .add(nn::ReLU::new())
        .add(nn::Dropout::new(0.5).unwrap())
        .add(nn::Linear::new(4, 2, false).unwrap())
}

#[test]
fn names_are_mlx_tree_names() {
    let m = mlp();
    let names: Vec<String> = m.parameters().into_keys().collect();
    assert_eq!(names, ["layers.0.bias", "layers.0.weight", "layers.3.weight"]);
    assert_eq!(m.num_parameters(), 4 * 3 + 4 + 2 * 4);
    let bn = nn::BatchNorm::new(5, 1e-5, 0.1, true, true).unwrap();
    let all: Vec<String> = bn.parameters().into_keys().collect();
    let trainable: Vec<String> = bn.trainable_parameters().into_keys().collect();
    assert_eq!(all, ["bias", "running_mean", "running_var", "weight"]);
    assert_eq!(trainable, ["bias", "weight"]);
}

#[test]
fn freeze_and_unfreeze() {
    let mut m = mlp();
    m.freeze_params(&["layers.0.bias"]).unwrap();
    let t: Vec<String> = m.trainable_parameters().into_keys().collect();
    assert_eq!(t, ["layers.0.weight", "layers.3.weight"]);
    let e = m.freeze_params(&["layers.9.weight"]).unwrap_err().to_string();
    assert_eq!(e, "[Module.freeze] Module has no parameter named \"layers.9.weight\".");
    assert!(m.unfreeze_params(&["nope"]).unwrap_err().to_string().contains("\"nope\""));
    m.freeze();
    assert!(m.trainable_parameters().is_empty());
    m.unfreeze();
    assert_eq!(m.trainable_parameters().len(), 3);
    let mut bn = nn::BatchNorm::new(2, 1e-5, 0.1, true, true).unwrap();
    bn.unfreeze();
    assert_eq!(bn.trainable_parameters().len(), 2, "running stats stay frozen");
}

#[test]
fn update_apply_set_dtype_and_modes() {
    let mut m = mlp();
    let mut t = Tree::new();
    t.insert("layers.3.weight".into(), mx::zeros(&[2, 4], Dtype::Float32).unwrap());
    m.update(&t).unwrap();
    let x = mx::ones(&[1, 3], Dtype::Float32).unwrap();
    m.eval();
    assert!(!m.training());
    assert_eq!(m.forward(&x).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
    t.insert("layers.7.bias".into(), mx::zeros(&[2], Dtype::Float32).unwrap());
    let e = m.update(&t).unwrap_err().to_string();
    assert!(e.starts_with("[Module.update]") && e.contains("layers.7.bias"), "{e}");
    m.set_dtype(Dtype::Float16).unwrap();
    assert!(m.parameters().values().all(|p| p.dtype() == Dtype::Float16));
    m.apply(&mut |_, p| mx::zeros_like(p)).unwrap();
    assert!(m.parameters().values().all(|p| p.to_vec::<half::f16>().is_ok()));
    m.train(true);
    assert!(m.training());
}

#[test]
fn weights_round_trip_and_errors() {
    let m = mlp();
    let dir = std::env::temp_dir();
    let path = dir.join(format!("mlx-nn-weights-{}.safetensors", std::process::id()));
    m.save_weights(&path).unwrap();
    let mut other = mlp();
    other.load_weights(&path, true).unwrap();
    for (k, v) in m.parameters() {
        assert_eq!(v.to_vec::<f32>().unwrap(), other.parameters()[&k].to_vec::<f32>().unwrap(), "{k}");
    }
    // A model with a different shape: the error names the parameter.
    let mut wrong = nn::Sequential::new().add(nn::Linear::new(3, 5, true).unwrap());
    let e = wrong.load_weights(&path, false).unwrap_err().to_string();
    assert!(e.starts_with("[Module.load_weights]") && e.contains("layers.0.bias"), "{e}");
    // Strict: entries the model does not have.
    let mut smaller = nn::Sequential::new().add(nn::Linear::new(3, 4, true).unwrap());
    let e = smaller.load_weights(&path, true).unwrap_err().to_string();
    assert!(e.contains("layers.3.weight"), "{e}");
    smaller.load_weights(&path, false).unwrap();
    // Missing entries.
    let mut bigger = mlp().add(nn::Linear::new(2, 2, true).unwrap());
    let e = bigger.load_weights(&path, true).unwrap_err().to_string();
    assert!(e.contains("Missing parameter \"layers.4.bias\""), "{e}");
    std::fs::remove_file(&path).ok();
}

struct Scaled {
    state: ModuleState,
    inner: nn::Linear,
    scale: Tensor,
}
module_fields!(Scaled { module inner, param scale });

#[test]
fn value_and_grad_over_a_custom_module() {
    let mut m = Scaled { state: ModuleState::default(), inner: nn::Linear::new(2, 1, true).unwrap(), scale: Tensor::scalar(2.0f32) };
    m.freeze_params(&["inner.bias"]).unwrap();
    let before = m.parameters();
    let vg = nn::value_and_grad(|m: &Scaled, b: &[Tensor]| {
        let y = mx::multiply(&m.inner.forward(&b[0])?, &m.scale)?;
        Ok(vec![mx::sum(&y, mx::Axes::All, false)?])
    });
    let x = Tensor::from_slice(&[1.0f32, 2.0], &[1, 2]).unwrap();
    let (out, g) = vg(&mut m, &[x]).unwrap();
    let names: Vec<&String> = g.keys().collect();
    assert_eq!(names, ["inner.weight", "scale"]);
    // d/dw sum(scale * (x w^T + b)) = scale * x
    assert_eq!(g["inner.weight"].to_vec::<f32>().unwrap(), vec![2.0, 4.0]);
    let w = before["inner.weight"].to_vec::<f32>().unwrap();
    let b = before["inner.bias"].to_vec::<f32>().unwrap();
    assert!((g["scale"].item::<f32>().unwrap() - (w[0] + 2.0 * w[1] + b[0])).abs() < 1e-6);
    assert!((out[0].item::<f32>().unwrap() - 2.0 * (w[0] + 2.0 * w[1] + b[0])).abs() < 1e-5);
    // The model's parameters are the originals afterwards.
    for (k, v) in m.parameters() {
        assert!(v.same_node(&before[&k]), "{k} changed");
    }
}

#[test]
fn dropout_train_and_eval() {
    let mut d = nn::Dropout::new(0.5).unwrap();
    let x = mx::ones(&[1000], Dtype::Float32).unwrap();
    let y = d.forward(&x).unwrap().to_vec::<f32>().unwrap();
    assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
    let kept = y.iter().filter(|&&v| v == 2.0).count();
    assert!((350..650).contains(&kept), "{kept}");
    d.eval();
    assert_eq!(d.forward(&x).unwrap().to_vec::<f32>().unwrap(), vec![1.0; 1000]);
    assert!(nn::Dropout::new(1.0).is_err());
    let d2 = nn::Dropout2d::new(0.5).unwrap();
    let x = mx::ones(&[2, 3, 3, 4], Dtype::Float32).unwrap();
    let y = d2.forward(&x).unwrap().to_vec::<f32>().unwrap();
    // Whole channels: each (n, c) is all-zero or all-two.
    for n in 0..2 {
        for c in 0..4 {
            let vals: Vec<f32> = (0..9).map(|s| y[n * 36 + s * 4 + c]).collect();
            assert!(vals.iter().all(|&v| v == vals[0]));
        }
    }
}

#[test]
fn layer_errors_are_clear() {
    assert!(nn::GroupNorm::new(3, 8, 1e-5, true, false).unwrap_err().to_string().starts_with("[GroupNorm]"));
    let x = mx::ones(&[2, 3], Dtype::Float32).unwrap();
    assert!(nn::glu(&x, -1).unwrap_err().to_string().starts_with("[glu]"));
    let logits = mx::ones(&[2, 3], Dtype::Float32).unwrap();
    let bad = Tensor::from_slice(&[0i32, 1, 2], &[3]).unwrap();
    let e = nn::losses::cross_entropy(&logits, &bad, None, -1, 0.0, nn::Reduction::Mean).unwrap_err().to_string();
    assert!(e.starts_with("[cross_entropy] Targets shape"), "{e}");
    assert!(nn::losses::cross_entropy(&logits, &bad, None, -1, 1.0, nn::Reduction::Mean).is_err());
    let e = nn::Embedding::new(4, 2).unwrap().forward(&x).unwrap_err().to_string();
    assert!(e.starts_with("[Embedding]"), "{e}");
    let v = mx::ones(&[4], Dtype::Float32).unwrap();
    assert!(nn::Rnn::new(4, 3, true).unwrap().forward(&v).unwrap_err().to_string().starts_with("[RNN]"));
    assert!(nn::Lstm::new(3, 3, true).unwrap().forward_state(&v, None, None).unwrap_err().to_string().starts_with("[LSTM]"));
    assert!(nn::MultiHeadAttention::new(6, 4, false).is_err());
}

/// Embedding is a gather: its gradient adds the output cotangent into the rows used (row 2
/// used three times, row 1 never); cross entropy through take_along_axis has gradient
/// `softmax(logits) - onehot(target)` per row (mean reduction: divided by the batch).
#[test]
fn gather_gradients_of_embedding_and_cross_entropy() {
    let mut emb = nn::Embedding::new(3, 2).unwrap();
    let idx = Tensor::from_slice(&[0i32, 2, 2, 2], &[2, 2]).unwrap();
    let vg = nn::value_and_grad(|m: &nn::Embedding, b: &[Tensor]| Ok(vec![mx::sum(&m.forward(&b[0])?, mx::Axes::All, false)?]));
    let (_, g) = vg(&mut emb, &[idx]).unwrap();
    assert_eq!(g["weight"].to_vec::<f32>().unwrap(), vec![1.0, 1.0, 0.0, 0.0, 3.0, 3.0]);

    let logits = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 0.5, 0.5, 0.5], &[2, 3]).unwrap();
    let targets = Tensor::from_slice(&[2i32, 0], &[2]).unwrap();
    let f = |x: &Tensor| nn::losses::cross_entropy(x, &targets, None, -1, 0.0, nn::Reduction::Mean);
    let g = mlx_autograd::grad1(f)(&logits).unwrap().to_vec::<f32>().unwrap();
    let sm = nn::softmax(&logits, -1).unwrap().to_vec::<f32>().unwrap();
    let want = [sm[0], sm[1], sm[2] - 1.0, sm[3] - 1.0, sm[4], sm[5]].map(|v| v / 2.0);
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{g:?} vs {want:?}");
    }
}
