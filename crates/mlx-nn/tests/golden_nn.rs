//! Golden cases from MLX for activations, losses and layers (`golden/cases/nn/*.safetensors`,
//! written by `golden/generate_nn.py`). Layers load the same weights MLX used (through
//! `load_tree`, strict), then their forward output must match.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mlx_core::{self as mx, Dtype, Result, Tensor};
use mlx_nn::{self as nn, fast, losses, Module, Reduction, UnaryModule};
use serde_json::Value;

pub struct Case {
    pub id: String,
    pub op: String,
    pub params: Value,
}

pub fn load(family: &str) -> (Vec<Case>, BTreeMap<String, Tensor>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../golden/cases/nn/{family}.safetensors"));
    let (arrays, meta) = mlx_io::load_safetensors(&path).expect("golden file");
    let cases: Vec<Value> = serde_json::from_str(&meta["cases"]).expect("cases json");
    let cases = cases
        .into_iter()
        .map(|c| Case { id: c["id"].as_str().unwrap().into(), op: c["op"].as_str().unwrap().into(), params: c["params"].clone() })
        .collect();
    (cases, arrays.into_iter().collect())
}

pub fn close(got: &Tensor, want: &Tensor, rtol: f32, atol: f32) -> std::result::Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!("shape {:?} != {:?}", got.shape(), want.shape()));
    }
    let g = mx::astype(got, Dtype::Float32).and_then(|t| t.to_vec::<f32>()).map_err(|e| e.to_string())?;
    let w = mx::astype(want, Dtype::Float32).and_then(|t| t.to_vec::<f32>()).map_err(|e| e.to_string())?;
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * b.abs();
        if !ok {
            return Err(format!("element {i}: got {a}, want {b}"));
        }
    }
    Ok(())
}

fn f(p: &Value, k: &str) -> f64 {
    p[k].as_f64().unwrap_or_else(|| panic!("param {k}"))
}
fn red(p: &Value) -> Reduction {
    match p["reduction"].as_str() {
        Some("mean") => Reduction::Mean,
        Some("sum") => Reduction::Sum,
        _ => Reduction::None,
    }
}

fn activation(c: &Case, x: &[Tensor]) -> Result<Tensor> {
    let p = &c.params;
    let x0 = &x[0];
    match c.op.as_str() {
        "relu" => nn::relu(x0),
        "relu6" => nn::relu6(x0),
        "relu2" => nn::relu2(x0),
        "selu" => nn::selu(x0),
        "sigmoid" => nn::sigmoid(x0),
        "tanh" => nn::tanh(x0),
        "silu" => nn::silu(x0),
        "softplus" => nn::softplus(x0),
        "log_sigmoid" => nn::log_sigmoid(x0),
        "softsign" => nn::softsign(x0),
        "mish" => nn::mish(x0),
        "hardswish" => nn::hardswish(x0),
        "gelu" => nn::gelu(x0),
        "gelu_approx" => nn::gelu_approx(x0),
        "gelu_fast_approx" => nn::gelu_fast_approx(x0),
        "leaky_relu" => nn::leaky_relu(x0, f(p, "negative_slope")),
        "elu" => nn::elu(x0, f(p, "alpha")),
        "celu" => nn::celu(x0, f(p, "alpha")),
        "hard_tanh" => nn::hard_tanh(x0, f(p, "min_val"), f(p, "max_val")),
        "hard_shrink" => nn::hard_shrink(x0, f(p, "lambd")),
        "softshrink" => nn::softshrink(x0, f(p, "lambd")),
        "step" => nn::step(x0, f(p, "threshold")),
        "softmax" => nn::softmax(x0, f(p, "axis") as i32),
        "log_softmax" => nn::log_softmax(x0, f(p, "axis") as i32),
        "softmin" => nn::softmin(x0, f(p, "axis") as i32),
        "glu" => nn::glu(x0, f(p, "axis") as i32),
        "prelu" => nn::prelu(x0, &x[1]),
        other => panic!("unknown activation {other}"),
    }
}

fn loss(c: &Case, x: &[Tensor]) -> Result<Tensor> {
    let p = &c.params;
    let r = red(p);
    match c.op.as_str() {
        "cross_entropy" => losses::cross_entropy(&x[0], &x[1], None, f(p, "axis") as i32, f(p, "label_smoothing"), r),
        "cross_entropy_probs" => losses::cross_entropy(&x[0], &x[1], None, -1, 0.0, r),
        "cross_entropy_weights" => losses::cross_entropy(&x[0], &x[1], Some(&x[2]), -1, 0.0, r),
        "mse_loss" => losses::mse_loss(&x[0], &x[1], r),
        "l1_loss" => losses::l1_loss(&x[0], &x[1], r),
        "binary_cross_entropy" => losses::binary_cross_entropy(&x[0], &x[1], None, p["with_logits"].as_bool().unwrap(), r),
        "smooth_l1_loss" => losses::smooth_l1_loss(&x[0], &x[1], f(p, "beta"), r),
        "huber_loss" => losses::huber_loss(&x[0], &x[1], f(p, "delta"), r),
        "log_cosh_loss" => losses::log_cosh_loss(&x[0], &x[1], r),
        "hinge_loss" => losses::hinge_loss(&x[0], &x[1], r),
        "nll_loss" => losses::nll_loss(&x[0], &x[1], -1, r),
        "kl_div_loss" => losses::kl_div_loss(&x[0], &x[1], -1, r),
        "gaussian_nll_loss" => losses::gaussian_nll_loss(&x[0], &x[1], &x[2], p["full"].as_bool().unwrap(), 1e-6, r),
        "triplet_loss" => losses::triplet_loss(&x[0], &x[1], &x[2], -1, 2, f(p, "margin"), 1e-6, r),
        "cosine_similarity_loss" => losses::cosine_similarity_loss(&x[0], &x[1], f(p, "axis") as i32, 1e-8, r),
        "margin_ranking_loss" => losses::margin_ranking_loss(&x[0], &x[1], &x[2], f(p, "margin"), r),
        other => panic!("unknown loss {other}"),
    }
}

fn with_weights<M: Module>(mut m: M, w: &mlx_nn::Tree) -> M {
    nn::load_tree(&mut m, w, true).expect("weights load strictly");
    m
}

/// The layer's outputs by tensor suffix ("out", or extra ones like "out_running_mean").
fn layer(c: &Case, x: &[Tensor], w: &mlx_nn::Tree) -> Result<Vec<(String, Tensor)>> {
    let p = &c.params;
    let u = |k: &str| p[k].as_u64().unwrap_or_else(|| panic!("param {k}")) as usize;
    let b = |k: &str| p[k].as_bool().unwrap_or_else(|| panic!("param {k}"));
    let one = |t: Result<Tensor>| t.map(|t| vec![("out".to_string(), t)]);
    let v = |k: &str| -> Vec<i32> { p[k].as_array().unwrap_or_else(|| panic!("param {k}")).iter().map(|x| x.as_i64().unwrap() as i32).collect() };
    let a1 = |x: &Vec<i32>| [x[0]];
    let a2 = |x: &Vec<i32>| [x[0], x[1]];
    let us2 = |x: &Vec<i32>| [x[0] as usize, x[1] as usize];
    match c.op.as_str() {
        "Linear" => one(with_weights(nn::Linear::new(u("in"), u("out"), b("bias"))?, w).forward(&x[0])),
        "Bilinear" => one(with_weights(nn::Bilinear::new(u("in1"), u("in2"), u("out"), b("bias"))?, w).forward(&x[0], &x[1])),
        "Embedding" => one(with_weights(nn::Embedding::new(u("num"), u("dims"))?, w).forward(&x[0])),
        "Embedding.as_linear" => one(with_weights(nn::Embedding::new(u("num"), u("dims"))?, w).as_linear(&x[0])),
        "MLP" => {
            let m = nn::Sequential::new()
                .add(nn::Linear::new(8, 16, true)?)
                .add(nn::ReLU::new())
                .add(nn::Linear::new(16, 4, true)?)
                .add(nn::GELU::new())
                .add(nn::Linear::new(4, 2, true)?);
            one(with_weights(m, w).forward(&x[0]))
        }
        "LayerNorm" => one(with_weights(nn::LayerNorm::new(u("dims"), f(p, "eps"), b("affine"), b("bias"))?, w).forward(&x[0])),
        "RMSNorm" => one(with_weights(nn::RMSNorm::new(u("dims"), f(p, "eps"))?, w).forward(&x[0])),
        "GroupNorm" => one(with_weights(nn::GroupNorm::new(u("groups"), u("dims"), 1e-5, true, b("pytorch_compatible"))?, w).forward(&x[0])),
        "InstanceNorm" => one(with_weights(nn::InstanceNorm::new(u("dims"), 1e-5, b("affine"))?, w).forward(&x[0])),
        "BatchNorm.train" => {
            let m = with_weights(nn::BatchNorm::new(u("dims"), 1e-5, 0.1, true, true)?, w);
            let y = m.forward(&x[0])?;
            let (rm, rv) = m.running_stats().expect("tracked");
            Ok(vec![("out".into(), y), ("out_running_mean".into(), rm), ("out_running_var".into(), rv)])
        }
        "BatchNorm.eval" => {
            let mut m = with_weights(nn::BatchNorm::new(u("dims"), 1e-5, 0.1, true, true)?, w);
            m.eval();
            one(m.forward(&x[0]))
        }
        "rope" => one(fast::rope(&x[0], u("dims"), b("traditional"), f(p, "base"), f(p, "scale"), u("offset"))),
        "fast.rms_norm" => one(fast::rms_norm(&x[0], Some(&x[1]), f(p, "eps"))),
        "fast.layer_norm" => one(fast::layer_norm(&x[0], Some(&x[1]), Some(&x[2]), f(p, "eps"))),
        "sdpa" => {
            let mask = match p["mask"].as_str() {
                Some("causal") => fast::AttentionMask::Causal,
                Some("bool") | Some("additive") => fast::AttentionMask::Array(x[3].clone()),
                _ => fast::AttentionMask::None,
            };
            one(fast::scaled_dot_product_attention(&x[0], &x[1], &x[2], f(p, "scale"), &mask))
        }
        "ALiBi" => one(nn::ALiBi::new().forward_scores(&x[0], u("offset"), None)),
        "RNN" => one(with_weights(nn::Rnn::new(u("in"), u("hidden"), true)?, w).forward(&x[0])),
        "GRU" => one(with_weights(nn::Gru::new(u("in"), u("hidden"), true)?, w).forward(&x[0])),
        "LSTM" => {
            let (h, c) = with_weights(nn::Lstm::new(u("in"), u("hidden"), true)?, w).forward_state(&x[0], None, None)?;
            Ok(vec![("out".into(), h), ("out_cell".into(), c)])
        }
        "MultiHeadAttention" => {
            let m = with_weights(nn::MultiHeadAttention::new(u("dims"), u("heads"), b("bias"))?, w);
            let mask = match p["mask"].as_str() {
                Some("causal_additive") => fast::AttentionMask::Array(nn::MultiHeadAttention::create_additive_causal_mask(x[0].shape()[1], Dtype::Float32)?),
                _ => fast::AttentionMask::None,
            };
            one(m.forward_qkv(&x[0], &x[1], &x[2], &mask))
        }
        "TransformerEncoder" => {
            let m = with_weights(nn::TransformerEncoder::new(u("layers"), u("dims"), u("heads"), Some(u("mlp")), 0.0, b("norm_first"))?, w);
            let mask = fast::AttentionMask::Array(nn::MultiHeadAttention::create_additive_causal_mask(x[0].shape()[1], Dtype::Float32)?);
            one(m.forward_mask(&x[0], &mask))
        }
        "Conv1d" => one(with_weights(nn::Conv1d::new(u("in"), u("out"), [v("k")[0] as usize], a1(&v("stride")), a1(&v("padding")), a1(&v("dilation")), u("groups"), true)?, w).forward(&x[0])),
        "Conv2d" => one(with_weights(nn::Conv2d::new(u("in"), u("out"), us2(&v("k")), a2(&v("stride")), a2(&v("padding")), a2(&v("dilation")), u("groups"), true)?, w).forward(&x[0])),
        "Conv3d" => one(with_weights(nn::Conv3d::new(u("in"), u("out"), [2, 2, 2], [1; 3], [0; 3], [1; 3], u("groups"), true)?, w).forward(&x[0])),
        "ConvTranspose1d" => one(with_weights(nn::ConvTranspose1d::new(u("in"), u("out"), [v("k")[0] as usize], a1(&v("stride")), a1(&v("padding")), a1(&v("dilation")), a1(&v("output_padding")), true)?, w).forward(&x[0])),
        "ConvTranspose2d" => one(with_weights(nn::ConvTranspose2d::new(u("in"), u("out"), us2(&v("k")), a2(&v("stride")), a2(&v("padding")), a2(&v("dilation")), a2(&v("output_padding")), true)?, w).forward(&x[0])),
        "Upsample" => {
            let sc: Vec<usize> = p["scale"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
            one(nn::Upsample::new(&sc)?.forward(&x[0]))
        }
        "SinusoidalPositionalEncoding" => {
            let cf = p["cos_first"].as_bool().unwrap_or(false);
            let ft = p["full_turns"].as_bool().unwrap_or(false);
            one(nn::SinusoidalPositionalEncoding::new(u("dims"), 1e-4, 1.0, None, cf, ft)?.forward(&x[0]))
        }
        other => panic!("unknown layer {other}"),
    }
}

fn activation_named(p: &Value) -> nn::Activation {
    match p["activation"].as_str() {
        Some("gelu") => nn::gelu,
        _ => nn::relu,
    }
}

/// The `transformer` family (issue #6): MLX's weights load strictly, so every parameter name
/// must be MLX's; then the forward output must match.
fn transformer(c: &Case, x: &[Tensor], w: &mlx_nn::Tree) -> Result<Tensor> {
    let p = &c.params;
    let u = |k: &str| p[k].as_u64().unwrap_or_else(|| panic!("param {k}")) as usize;
    let mlp = p["mlp"].as_u64().map(|m| m as usize);
    let nf = p["norm_first"].as_bool().unwrap_or(true);
    let act = activation_named(p);
    let causal = |n: usize| nn::MultiHeadAttention::create_additive_causal_mask(n, Dtype::Float32).map(fast::AttentionMask::Array);
    let arr = |t: &Tensor| fast::AttentionMask::Array(t.clone());
    let load = |m: &mut dyn Module| nn::load_tree(m, w, true);
    match c.op.as_str() {
        "causal_mask" => {
            let dt = if p["dtype"].as_str() == Some("float16") { Dtype::Float16 } else { Dtype::Float32 };
            nn::MultiHeadAttention::create_additive_causal_mask(u("n"), dt)
        }
        "TransformerDecoderLayer" => {
            let mut m = nn::TransformerDecoderLayer::new(u("dims"), u("heads"), mlp, 0.0, nf)?.with_activation(act);
            load(&mut m)?;
            let mm = if p["memory_mask"].as_bool() == Some(false) { fast::AttentionMask::None } else { arr(&x[2]) };
            m.forward(&x[0], &x[1], &causal(x[0].shape()[1])?, &mm)
        }
        "TransformerDecoder" => {
            let mut m = nn::TransformerDecoder::new(u("layers"), u("dims"), u("heads"), mlp, 0.0, nf)?.with_activation(act);
            load(&mut m)?;
            m.forward(&x[0], &x[1], &causal(x[0].shape()[1])?, &arr(&x[2]))
        }
        "TransformerEncoder" => {
            let mut m = nn::TransformerEncoder::new(u("layers"), u("dims"), u("heads"), mlp, 0.0, nf)?.with_activation(act);
            load(&mut m)?;
            m.forward_mask(&x[0], &causal(x[0].shape()[1])?)
        }
        "Transformer" => {
            let o = nn::TransformerOptions {
                dims: u("dims"),
                num_heads: u("heads"),
                num_encoder_layers: u("enc"),
                num_decoder_layers: u("dec"),
                mlp_dims: mlp,
                dropout: 0.0,
                activation: act,
                norm_first: nf,
            };
            let mut m = nn::Transformer::new(o)?;
            load(&mut m)?;
            let none = fast::AttentionMask::None;
            m.forward(&x[0], &x[1], &none, &causal(x[1].shape()[1])?, &none)
        }
        "Embedding" => {
            let mut m = nn::Embedding::new(u("num"), u("dims"))?;
            load(&mut m)?;
            m.forward(&x[0])
        }
        other => panic!("unknown transformer case {other}"),
    }
}

fn inputs(id: &str, t: &BTreeMap<String, Tensor>) -> Vec<Tensor> {
    (0..).map_while(|i| t.get(&format!("{id}/in{i}")).cloned()).collect()
}

fn run(family: &str, rtol: f32, atol: f32) {
    let (cases, t) = load(family);
    let mut failures = vec![];
    for c in &cases {
        let x = inputs(&c.id, &t);
        let outs: Result<Vec<(String, Tensor)>> = match family {
            "activations" => activation(c, &x).map(|y| vec![("out".into(), y)]),
            "transformer" => {
                let prefix = format!("{}/w/", c.id);
                let w: mlx_nn::Tree =
                    t.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|n| (n.to_string(), v.clone()))).collect();
                transformer(c, &x, &w).map(|y| vec![("out".into(), y)])
            }
            "losses" => loss(c, &x).map(|y| vec![("out".into(), y)]),
            _ => {
                let prefix = format!("{}/w/", c.id);
                let w: mlx_nn::Tree =
                    t.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|n| (n.to_string(), v.clone()))).collect();
                layer(c, &x, &w)
            }
        };
        match outs {
            Err(e) => failures.push(format!("{} {}: error {e}", c.id, c.op)),
            Ok(outs) => {
                for (suffix, y) in outs {
                    let want = &t[&format!("{}/{suffix}", c.id)];
                    if let Err(e) = close(&y, want, rtol, atol) {
                        failures.push(format!("{} {} {suffix}: {e}", c.id, c.op));
                    }
                }
            }
        }
    }
    eprintln!("{family}: {} cases, {} failures", cases.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_activations() {
    run("activations", 1e-5, 2e-6);
}

#[test]
fn golden_losses() {
    run("losses", 1e-5, 2e-6);
}

#[test]
fn golden_transformer() {
    run("transformer", 1e-4, 1e-5);
}

/// `Transformer`'s parameter names are MLX's (`tree_flatten(nn.Transformer(...).parameters())`).
#[test]
fn transformer_parameter_names() {
    let o = nn::TransformerOptions { dims: 8, num_heads: 2, num_encoder_layers: 1, num_decoder_layers: 1, mlp_dims: Some(16), ..Default::default() };
    let names: Vec<String> = nn::Transformer::new(o).unwrap().parameters().into_keys().collect();
    // encoder: 4 projections + 2 norms + 2 linears (x2) = 12, its ln 2; decoder layer 18, ln 2.
    assert_eq!(names.len(), 34);
    for n in [
        "encoder.layers.0.attention.query_proj.weight",
        "encoder.layers.0.linear1.bias",
        "encoder.ln.weight",
        "decoder.layers.0.self_attention.out_proj.weight",
        "decoder.layers.0.cross_attention.key_proj.weight",
        "decoder.layers.0.ln3.bias",
        "decoder.ln.bias",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    assert!(!names.iter().any(|x| x.contains("dropout") || x.contains("bias") && x.contains("_proj")));
}

#[test]
fn golden_layers() {
    run("layers", 1e-4, 1e-5);
}
