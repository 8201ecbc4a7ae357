//! A BERT encoder (Hugging Face `BertModel` without its pooler) built from mlx-core ops.
//!
//! Invariant: `forward(ids, mask)` computes what `BertModel(ids, attention_mask=mask)
//! .last_hidden_state` computes in float32 for token type 0: embeddings (word + absolute
//! position + token type) -> LayerNorm -> `num_hidden_layers` post-norm blocks (multi-head
//! self-attention whose padded keys (mask 0) get no weight, then a GELU (erf) feed-forward), with
//! LayerNorm eps from `config.json`. Rows of a padded batch equal the unpadded single runs at
//! their real positions, because a padded key never enters any softmax. Weights keep the names
//! of the Hugging Face checkpoint (`encoder.layer.3.attention.self.query.weight`, ...) and stay
//! memory-mapped: `Linear` weights are used through transposed views, never copied.

use mlx_core::{self as mx, Dtype, Error, Result, Tensor};
use mlx_nn::fast::{self, AttentionMask};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const OP: &str = "bert";

/// The fields of a BERT `config.json` the encoder needs.
#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

impl BertConfig {
    /// Parses a BERT `config.json`.
    ///
    /// # Errors
    /// `[bert]` for invalid JSON, a missing size, heads that do not divide the hidden size, or
    /// an activation other than `gelu` (erf) or position embeddings other than `absolute`.
    pub fn from_json(text: &str) -> Result<Self> {
        let json: Value = serde_json::from_str(text).map_err(|e| bad(format!("Invalid config JSON: {e}")))?;
        let size = |k: &str| json[k].as_u64().map(|v| v as usize).ok_or_else(|| bad(format!("config.json has no integer '{k}'.")));
        if let Some(act) = json["hidden_act"].as_str().filter(|a| *a != "gelu") {
            return Err(bad(format!("hidden_act '{act}' is not supported (only 'gelu').")));
        }
        if let Some(pos) = json["position_embedding_type"].as_str().filter(|p| *p != "absolute") {
            return Err(bad(format!("position_embedding_type '{pos}' is not supported (only 'absolute').")));
        }
        let c = BertConfig {
            vocab_size: size("vocab_size")?,
            hidden_size: size("hidden_size")?,
            num_hidden_layers: size("num_hidden_layers")?,
            num_attention_heads: size("num_attention_heads")?,
            intermediate_size: size("intermediate_size")?,
            max_position_embeddings: size("max_position_embeddings")?,
            type_vocab_size: size("type_vocab_size")?,
            layer_norm_eps: json["layer_norm_eps"].as_f64().unwrap_or(1e-12),
        };
        if c.num_attention_heads == 0 || c.hidden_size % c.num_attention_heads != 0 {
            return Err(bad(format!("hidden_size {} is not a multiple of num_attention_heads {}.", c.hidden_size, c.num_attention_heads)));
        }
        Ok(c)
    }
}

/// `x @ weight^T + bias` with a PyTorch-layout `(out, in)` weight.
struct Dense {
    weight_t: Tensor,
    bias: Tensor,
}

impl Dense {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        mx::add(&mx::matmul(x, &self.weight_t)?, &self.bias)
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
}

struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attn_out: Dense,
    attn_norm: Norm,
    intermediate: Dense,
    output: Dense,
    out_norm: Norm,
}

/// The encoder with its weights (see the module docs).
pub struct Bert {
    config: BertConfig,
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    emb_norm: Norm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Loads `config.json` and `model.safetensors` (memory-mapped) from a model directory.
    ///
    /// # Errors
    /// `[bert]` for a bad config or a missing/misshapen weight; `[load_safetensors]` for a bad file.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let cfg_path = dir.join("config.json");
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| Error::runtime(OP, format!("{}: {e}", cfg_path.display())))?;
        let config = BertConfig::from_json(&text)?;
        let (weights, _) = mlx_io::load_safetensors(dir.join("model.safetensors"))?;
        Self::from_weights(config, &weights)
    }

    /// Builds the encoder from named weights (Hugging Face names, with or without a `bert.`
    /// prefix); the pooler and any other extra weights are ignored.
    ///
    /// # Errors
    /// `[bert]` when a weight is missing or its shape disagrees with `config`.
    pub fn from_weights(config: BertConfig, weights: &BTreeMap<String, Tensor>) -> Result<Self> {
        let h = config.hidden_size;
        let get = |name: &str, shape: &[usize]| -> Result<Tensor> {
            let t = weights.get(name).or_else(|| weights.get(&format!("bert.{name}"))).ok_or_else(|| bad(format!("Missing weight '{name}'.")))?;
            if t.shape() != shape {
                return Err(bad(format!("Weight '{name}' has shape {:?}, expected {shape:?}.", t.shape())));
            }
            mx::astype(t, Dtype::Float32)
        };
        let dense = |p: &str, out: usize, inp: usize| -> Result<Dense> {
            Ok(Dense { weight_t: mx::transpose(&get(&format!("{p}.weight"), &[out, inp])?, vec![1, 0])?, bias: get(&format!("{p}.bias"), &[out])? })
        };
        let norm = |p: &str| -> Result<Norm> { Ok(Norm { weight: get(&format!("{p}.weight"), &[h])?, bias: get(&format!("{p}.bias"), &[h])? }) };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            layers.push(Layer {
                query: dense(&format!("{p}.attention.self.query"), h, h)?,
                key: dense(&format!("{p}.attention.self.key"), h, h)?,
                value: dense(&format!("{p}.attention.self.value"), h, h)?,
                attn_out: dense(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: dense(&format!("{p}.intermediate.dense"), config.intermediate_size, h)?,
                output: dense(&format!("{p}.output.dense"), h, config.intermediate_size)?,
                out_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(Bert {
            word: get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: get("embeddings.position_embeddings.weight", &[config.max_position_embeddings, h])?,
            token_type: get("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, h])?,
            emb_norm: norm("embeddings.LayerNorm")?,
            layers,
            config,
        })
    }

    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The last hidden state `(B, L, hidden)` of `input_ids` `(B, L)` (integers) with
    /// `attention_mask` `(B, L)` (1/true = real token, 0/false = padding); token type 0.
    ///
    /// # Errors
    /// `[bert]` for non-2-D or mismatched inputs or `L` above `max_position_embeddings`;
    /// `[gather]` from eval for an id outside the vocabulary.
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let shape = input_ids.shape();
        if shape.len() != 2 || attention_mask.shape() != shape {
            return Err(bad(format!("input_ids {:?} and attention_mask {:?} must both be (batch, length).", shape, attention_mask.shape())));
        }
        let (b, l) = (shape[0], shape[1]);
        if l > self.config.max_position_embeddings {
            return Err(bad(format!("Sequence length {l} exceeds max_position_embeddings {}.", self.config.max_position_embeddings)));
        }
        let positions = mx::arange(0, l as i64, 1, Dtype::Int32)?;
        let mut x = mx::take(&self.word, input_ids, 0)?;
        x = mx::add(&x, &mx::take(&self.position, &positions, 0)?)?;
        x = mx::add(&x, &mx::take(&self.token_type, &mx::zeros(&[1], Dtype::Int32)?, 0)?)?;
        x = self.layer_norm(&x, &self.emb_norm)?;
        // (B, 1, 1, L): every query of a row may attend to that row's real tokens only.
        let keep = mx::reshape(&mx::not_equal(attention_mask, 0)?, &[b as i32, 1, 1, l as i32])?;
        let mask = AttentionMask::Array(keep);
        for layer in &self.layers {
            x = self.block(&x, layer, &mask)?;
        }
        Ok(x)
    }

    fn block(&self, x: &Tensor, layer: &Layer, mask: &AttentionMask) -> Result<Tensor> {
        let (b, l) = (x.shape()[0] as i32, x.shape()[1] as i32);
        let heads = self.config.num_attention_heads;
        let d = self.config.hidden_size / heads;
        let split = |t: Tensor| -> Result<Tensor> { mx::transpose(&mx::reshape(&t, &[b, l, heads as i32, d as i32])?, vec![0, 2, 1, 3]) };
        let q = split(layer.query.forward(x)?)?;
        let k = split(layer.key.forward(x)?)?;
        let v = split(layer.value.forward(x)?)?;
        let ctx = fast::scaled_dot_product_attention(&q, &k, &v, 1.0 / (d as f64).sqrt(), mask)?;
        let ctx = mx::reshape(&mx::transpose(&ctx, vec![0, 2, 1, 3])?, &[b, l, self.config.hidden_size as i32])?;
        let x = self.layer_norm(&mx::add(&layer.attn_out.forward(&ctx)?, x)?, &layer.attn_norm)?;
        let ff = layer.output.forward(&mlx_nn::gelu(&layer.intermediate.forward(&x)?)?)?;
        self.layer_norm(&mx::add(&ff, &x)?, &layer.out_norm)
    }

    fn layer_norm(&self, x: &Tensor, n: &Norm) -> Result<Tensor> {
        fast::layer_norm(x, Some(&n.weight), Some(&n.bias), self.config.layer_norm_eps)
    }
}

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid(OP, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"vocab_size": 11, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 16, "max_position_embeddings": 6, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}"#;

    /// Random weights with every name and shape a 2-layer BERT of `CONFIG` needs.
    fn tiny() -> Bert {
        let c = BertConfig::from_json(CONFIG).unwrap();
        let (h, f) = (c.hidden_size, c.intermediate_size);
        let mut shapes: Vec<(String, Vec<usize>)> = vec![
            ("embeddings.word_embeddings.weight".into(), vec![c.vocab_size, h]),
            ("embeddings.position_embeddings.weight".into(), vec![c.max_position_embeddings, h]),
            ("embeddings.token_type_embeddings.weight".into(), vec![c.type_vocab_size, h]),
            ("embeddings.LayerNorm.weight".into(), vec![h]),
            ("embeddings.LayerNorm.bias".into(), vec![h]),
        ];
        for i in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            for (n, o, inp) in [("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h), ("attention.output.dense", h, h), ("intermediate.dense", f, h), ("output.dense", h, f)] {
                shapes.push((format!("{p}.{n}.weight"), vec![o, inp]));
                shapes.push((format!("{p}.{n}.bias"), vec![o]));
            }
            for n in ["attention.output.LayerNorm", "output.LayerNorm"] {
                shapes.push((format!("{p}.{n}.weight"), vec![h]));
                shapes.push((format!("{p}.{n}.bias"), vec![h]));
            }
        }
        // A small LCG: deterministic weights without depending on the RNG's API.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut weights = BTreeMap::new();
        for (name, shape) in shapes {
            let n: usize = shape.iter().product();
            let vals: Vec<f32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1.5
                })
                .collect();
            weights.insert(name, Tensor::from_slice(&vals, &shape).unwrap());
        }
        Bert::from_weights(c, &weights).unwrap()
    }

    #[test]
    fn padded_rows_equal_unpadded_runs() {
        let bert = tiny();
        let ids = Tensor::from_slice(&[1i32, 5, 9, 2, 1, 4, 0, 0], &[2, 4]).unwrap();
        let mask = Tensor::from_slice(&[1i32, 1, 1, 1, 1, 1, 0, 0], &[2, 4]).unwrap();
        let batched = bert.forward(&ids, &mask).unwrap().to_vec::<f32>().unwrap();
        let single = bert.forward(&Tensor::from_slice(&[1i32, 4], &[1, 2]).unwrap(), &Tensor::from_slice(&[1i32, 1], &[1, 2]).unwrap()).unwrap();
        let single = single.to_vec::<f32>().unwrap();
        let row1 = &batched[4 * 8..4 * 8 + 2 * 8];
        let diff = row1.iter().zip(&single).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(diff < 1e-5, "padded row differs by {diff}");
        // LayerNorm output: each position has mean ~0 before the affine part, so values are finite.
        assert!(batched.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_inputs_and_configs_are_errors() {
        let bert = tiny();
        let ids = Tensor::from_slice(&[1i32; 7], &[1, 7]).unwrap();
        let err = bert.forward(&ids, &ids).unwrap_err().to_string();
        assert!(err.starts_with("[bert] Sequence length 7"), "{err}");
        let ids = Tensor::from_slice(&[1i32; 4], &[4]).unwrap();
        assert!(bert.forward(&ids, &ids).is_err());
        let relu = CONFIG.replace("\"gelu\"", "\"relu\"");
        assert!(BertConfig::from_json(&relu).unwrap_err().to_string().contains("hidden_act 'relu'"));
        let odd = CONFIG.replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 3");
        assert!(BertConfig::from_json(&odd).is_err());
        let mut w = BTreeMap::new();
        w.insert("embeddings.word_embeddings.weight".to_string(), mx::zeros(&[3, 8], Dtype::Float32).unwrap());
        let err = Bert::from_weights(BertConfig::from_json(CONFIG).unwrap(), &w).err().unwrap().to_string();
        assert!(err.starts_with("[bert] Missing weight"), "{err}");
    }
}
