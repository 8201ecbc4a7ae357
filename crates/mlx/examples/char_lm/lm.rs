//! The character-level language model of the `char_lm` example, and its trainer, shared with
//! the resume test (`crates/mlx/tests/char_lm_resume.rs` includes this file).
//!
//! Model: token embedding + learned position embedding, a pre-norm [`nn::TransformerEncoder`]
//! run with an additive causal mask (so it is a decoder-only stack), logits through the tied
//! embedding (`Embedding::as_linear`). Loss: mean cross entropy of the next character.
//!
//! Invariant of a [`Trainer`]: everything a training step depends on is in the trainer (model
//! parameters, optimizer state with its step count, and the explicit random key the batches
//! are drawn from; dropout is off, so the global random state is never used after
//! initialization). A [`Trainer::save`] checkpoint holds all of it, so
//! `load + train m steps` computes exactly what `train m more steps` would have computed.

use std::collections::BTreeMap;
use std::path::Path;

use mlx::core::{self as mx, random};
use mlx::nn::{self, Module};
use mlx::optim::{self, DynOptimizer, Filter};
use mlx::prelude::*;

/// The model's and the run's hyperparameters (all stored in a checkpoint's metadata).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub dims: usize,
    pub heads: usize,
    pub layers: usize,
    pub context: usize,
    pub batch: usize,
    pub lr: f64,
    /// Total steps of the run (the learning-rate schedule decays over them).
    pub steps: u64,
    /// `"muon"` (the default: Muon for the transformer layers' matrices, AdamW for the rest
    /// (embeddings, norms, biases), through `MultiOptimizer`; it reached loss 2.33 after 60
    /// steps where AdamW alone was at 2.9), or `"adamw"` for everything.
    pub optimizer: String,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config { dims: 64, heads: 4, layers: 2, context: 64, batch: 16, lr: 3e-3, steps: 500, optimizer: "muon".into(), seed: 0 }
    }
}

impl Config {
    fn to_metadata(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("dims", self.dims.to_string()),
            ("heads", self.heads.to_string()),
            ("layers", self.layers.to_string()),
            ("context", self.context.to_string()),
            ("batch", self.batch.to_string()),
            ("lr", format!("{:e}", self.lr)),
            ("steps", self.steps.to_string()),
            ("optimizer", self.optimizer.clone()),
            ("seed", self.seed.to_string()),
        ] {
            m.insert(k.to_string(), v);
        }
        m
    }

    fn from_metadata(m: &BTreeMap<String, String>) -> Result<Self> {
        fn get<T: std::str::FromStr>(m: &BTreeMap<String, String>, k: &str) -> Result<T> {
            m.get(k).and_then(|v| v.parse().ok()).ok_or_else(|| Error::invalid("char_lm", format!("checkpoint metadata lacks \"{k}\"")))
        }
        Ok(Config {
            dims: get(m, "dims")?,
            heads: get(m, "heads")?,
            layers: get(m, "layers")?,
            context: get(m, "context")?,
            batch: get(m, "batch")?,
            lr: get(m, "lr")?,
            steps: get(m, "steps")?,
            optimizer: get(m, "optimizer")?,
            seed: get(m, "seed")?,
        })
    }
}

/// The characters of a text, sorted; a character's token is its index.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    pub chars: Vec<char>,
}

impl Vocab {
    pub fn of(text: &str) -> Self {
        let mut chars: Vec<char> = text.chars().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        chars.sort_unstable();
        Vocab { chars }
    }
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.chars.len()
    }
    /// Tokens of `text`; characters not in the vocabulary are an error.
    pub fn encode(&self, text: &str) -> Result<Vec<i32>> {
        text.chars()
            .map(|c| {
                self.chars.binary_search(&c).map(|i| i as i32).map_err(|_| Error::invalid("char_lm", format!("character {c:?} is not in the vocabulary")))
            })
            .collect()
    }
    pub fn decode(&self, tokens: &[i32]) -> String {
        tokens.iter().map(|&t| self.chars.get(t as usize).copied().unwrap_or('?')).collect()
    }
}

/// The language model: `wte` (tokens), `wpe` (positions), `transformer`; names as parameters.
pub struct CharLm {
    pub state: nn::ModuleState,
    pub wte: nn::Embedding,
    pub wpe: nn::Embedding,
    pub transformer: nn::TransformerEncoder,
}
nn::module_fields!(CharLm { module wte, module wpe, module transformer });

impl CharLm {
    pub fn new(vocab: usize, c: &Config) -> Result<Self> {
        Ok(CharLm {
            state: nn::ModuleState::default(),
            wte: nn::Embedding::new(vocab, c.dims)?,
            wpe: nn::Embedding::new(c.context, c.dims)?,
            transformer: nn::TransformerEncoder::new(c.layers, c.dims, c.heads, None, 0.0, true)?.with_activation(nn::gelu),
        })
    }

    /// `new` after `random::seed(c.seed)`. Initialization draws from the process-wide random
    /// state, so every model built here holds one lock from the seed to the last draw: models
    /// built on several threads at once cannot interleave their draws.
    pub fn seeded(vocab: usize, c: &Config) -> Result<Self> {
        static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = INIT.lock().unwrap_or_else(|e| e.into_inner());
        nn::init::seed(c.seed);
        CharLm::new(vocab, c)
    }

    /// Tokens `(B, T)` (T <= context) -> logits `(B, T, vocab)`.
    pub fn forward(&self, tokens: &Tensor) -> Result<Tensor> {
        let t = tokens.shape()[1];
        let pos = mx::arange(0, t as i64, 1, Dtype::Int32)?;
        let x = mx::add(&self.wte.forward(tokens)?, &self.wpe.forward(&pos)?)?;
        let mask = nn::fast::AttentionMask::Array(nn::MultiHeadAttention::create_additive_causal_mask(t, x.dtype())?);
        self.wte.as_linear(&self.transformer.forward_mask(&x, &mask)?)
    }
}

fn loss_fn(m: &CharLm, b: &[Tensor]) -> Result<Vec<Tensor>> {
    let logits = m.forward(&b[0])?;
    Ok(vec![nn::losses::cross_entropy(&logits, &b[1], None, -1, 0.0, nn::Reduction::Mean)?])
}

fn make_optimizer(c: &Config) -> Result<Box<dyn DynOptimizer>> {
    // Cosine decay to a tenth of the peak over the run (a function of the step only, so a
    // restored step count restores the schedule).
    let schedule = || optim::cosine_decay(c.lr, c.steps, c.lr * 0.1);
    let mut adamw = optim::AdamW::new(schedule());
    adamw.weight_decay = 0.0;
    match c.optimizer.as_str() {
        "adamw" => Ok(Box::new(adamw)),
        "muon" => {
            let mut muon = optim::Muon::new(optim::cosine_decay(c.lr * 5.0, c.steps, c.lr * 0.5));
            muon.weight_decay = 0.0;
            // Muon for the transformer's matrices; embeddings and vectors go to AdamW.
            let matrices: Filter = Box::new(|name: &str, g: &Tensor| g.ndim() >= 2 && name.starts_with("transformer."));
            Ok(Box::new(optim::MultiOptimizer::new(vec![Box::new(muon), Box::new(adamw)], vec![matrices])?))
        }
        other => Err(Error::invalid("char_lm", format!("unknown optimizer \"{other}\" (adamw or muon)"))),
    }
}

/// A training run's whole state.
pub struct Trainer {
    pub config: Config,
    pub vocab: Vocab,
    pub model: CharLm,
    pub optimizer: Box<dyn DynOptimizer>,
    /// The key the next batch is drawn from (split once per step).
    pub key: Tensor,
    /// Steps done.
    pub step: u64,
    data: Tensor,
}

impl Trainer {
    /// A fresh run on `text`: parameters from `random::seed(config.seed)`, batches from
    /// `key(config.seed + 1)`.
    pub fn new(config: Config, text: &str) -> Result<Self> {
        let vocab = Vocab::of(text);
        let model = CharLm::seeded(vocab.len(), &config)?;
        let optimizer = make_optimizer(&config)?;
        let data = Tensor::from_vec(vocab.encode(text)?);
        let key = random::key(config.seed.wrapping_add(1));
        Ok(Trainer { config, vocab, model, optimizer, key, step: 0, data })
    }

    /// Inputs and next-character targets `(batch, context)` at random offsets.
    fn batch(&self, key: &Tensor) -> Result<(Tensor, Tensor)> {
        let (b, t) = (self.config.batch, self.config.context);
        let n = self.data.size();
        if n <= t + 1 {
            return Err(Error::invalid("char_lm", format!("the text ({n} characters) is shorter than the context ({t})")));
        }
        let starts = random::randint(0, (n - t - 1) as i32, &[b, 1], Dtype::Int32, Some(key))?;
        let idx = mx::add(&starts, &mx::arange(0, t as i64, 1, Dtype::Int32)?)?;
        Ok((mx::take(&self.data, &idx, 0)?, mx::take(&self.data, &mx::add(&idx, 1)?, 0)?))
    }

    /// One optimizer step; returns its loss.
    pub fn train_step(&mut self) -> Result<f32> {
        let keys = random::split(&self.key, 2)?;
        let (next, sub) = (mx::take(&keys, &Tensor::scalar(0i32), 0)?, mx::take(&keys, &Tensor::scalar(1i32), 0)?);
        let (x, y) = self.batch(&sub)?;
        let (out, grads) = nn::value_and_grad(loss_fn)(&mut self.model, &[x, y])?;
        let new = self.optimizer.apply_gradients_dyn(&grads, &self.model.parameters())?;
        self.model.update(&new)?;
        // Evaluate everything the next step reads, so the graph never grows across steps.
        let mut evals: Vec<Tensor> = self.model.parameters().into_values().collect();
        evals.extend(self.optimizer.state_dyn().into_values());
        evals.push(next.clone());
        evals.push(out[0].clone());
        mx::eval(&evals)?;
        self.key = next;
        self.step += 1;
        out[0].item::<f32>()
    }

    /// Saves the run to one safetensors file: `model.<parameter>`, `optimizer.<state entry>`,
    /// `step` (uint64), `rng_key` (uint32 (2,)); the config and vocabulary in the metadata.
    /// Written to a temporary file then renamed, so a crash never leaves half a checkpoint.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut arrays: BTreeMap<String, Tensor> = BTreeMap::new();
        for (k, v) in self.model.parameters() {
            arrays.insert(format!("model.{k}"), v);
        }
        for (k, v) in self.optimizer.state_dyn() {
            arrays.insert(format!("optimizer.{k}"), v);
        }
        arrays.insert("step".into(), Tensor::scalar(self.step));
        arrays.insert("rng_key".into(), self.key.clone());
        let mut meta = self.config.to_metadata();
        meta.insert("vocab".into(), self.vocab.chars.iter().collect());
        let tmp = path.with_extension("tmp");
        mlx::io::save_safetensors(&tmp, arrays.iter(), &meta)?;
        std::fs::rename(&tmp, path).map_err(|e| Error::invalid("char_lm", format!("cannot move the checkpoint to {}: {e}", path.display())))
    }

    /// Continues the run saved at `path` on `text` (which must be written with the saved
    /// vocabulary).
    pub fn load(path: &Path, text: &str) -> Result<Self> {
        let (arrays, meta) = mlx::io::load_safetensors(path)?;
        let config = Config::from_metadata(&meta)?;
        let vocab = Vocab { chars: meta.get("vocab").map(|v| v.chars().collect()).unwrap_or_default() };
        // Built as a fresh run builds it (its initial values are then overwritten): through
        // `seeded`, so that it cannot draw from the global random state between another
        // thread's seed and draws.
        let mut model = CharLm::seeded(vocab.len(), &config)?;
        let pick = |prefix: &str| -> Tree { arrays.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone()))).collect() };
        nn::load_tree(&mut model, &pick("model."), true)?;
        let mut optimizer = make_optimizer(&config)?;
        optimizer.set_state_dyn(&pick("optimizer."))?;
        let get = |k: &str| arrays.get(k).cloned().ok_or_else(|| Error::invalid("char_lm", format!("checkpoint lacks \"{k}\"")));
        let step = get("step")?.item::<u64>()?;
        let key = get("rng_key")?;
        let data = Tensor::from_vec(vocab.encode(text)?);
        Ok(Trainer { config, vocab, model, optimizer, key, step, data })
    }

    /// `n` characters continuing `prompt`, each drawn from `softmax(logits / temperature)`
    /// with keys split from `key` (MLX's `mx.random.categorical`).
    pub fn sample(&self, prompt: &str, n: usize, temperature: f64, key: &Tensor) -> Result<String> {
        let mut tokens = self.vocab.encode(prompt)?;
        let mut key = key.clone();
        for _ in 0..n {
            let ctx = &tokens[tokens.len().saturating_sub(self.config.context)..];
            let x = Tensor::from_slice(ctx, &[1, ctx.len()])?;
            let logits = self.model.forward(&x)?;
            let last = mx::take(&mx::reshape(&logits, &[ctx.len() as i32, -1])?, &Tensor::scalar(ctx.len() as i32 - 1), 0)?;
            let keys = random::split(&key, 2)?;
            key = mx::take(&keys, &Tensor::scalar(0i32), 0)?;
            let sub = mx::take(&keys, &Tensor::scalar(1i32), 0)?;
            let next = random::categorical(&mx::multiply(&last, 1.0 / temperature)?, -1, random::Samples::One, Some(&sub))?;
            tokens.push(mx::astype(&next, Dtype::Int32)?.item::<i32>()?);
        }
        Ok(self.vocab.decode(&tokens))
    }
}
