//! Autoregressive generation: one forward pass over the prompt (the "prefill", filling the KV
//! cache), then one pass per new token over that token alone, each token handed to a callback as
//! soon as it is chosen (streaming). Also SmolLM2's chat template.
//!
//! Invariant: the callback sees exactly the tokens returned, in order; generation stops after
//! `max_tokens`, at the end-of-sequence token (which is returned but not decoded by callers that
//! skip it), or when the callback returns `false`.

use std::time::Instant;

use mlx_core::{Error, Result};

use crate::bpe::Tokenizer;
use crate::llama::Llama;
use crate::sampling::Sampler;

/// SmolLM2-Instruct's default system prompt (from the chat template in the GGUF file).
pub const DEFAULT_SYSTEM: &str = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// SmolLM2's chat template (`tokenizer.chat_template`) for one user message with
/// `add_generation_prompt = true`.
pub fn chat_prompt(system: &str, user: &str) -> String {
    format!("<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
}

/// Timing of one [`generate`] call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub prompt_tokens: usize,
    /// Seconds of the prefill, up to the logits of the first new token.
    pub prompt_secs: f64,
    pub generated_tokens: usize,
    /// Seconds spent producing tokens 2.. (each one forward pass of one token + sampling).
    pub generation_secs: f64,
}

impl Stats {
    pub fn prompt_tps(&self) -> f64 {
        self.prompt_tokens as f64 / self.prompt_secs.max(1e-9)
    }
    /// Tokens per second of the one-token passes (the first token comes with the prefill).
    pub fn generation_tps(&self) -> f64 {
        self.generated_tokens.saturating_sub(1) as f64 / self.generation_secs.max(1e-9)
    }
}

/// Generates up to `max_tokens` after `prompt`, calling `on_token` with each as it is chosen.
///
/// # Errors
/// `[generate]` for an empty prompt; model and sampler errors.
pub fn generate(
    model: &Llama,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    max_tokens: usize,
    sampler: &mut Sampler,
    mut on_token: impl FnMut(u32) -> Result<bool>,
) -> Result<(Vec<u32>, Stats)> {
    if prompt.is_empty() {
        return Err(Error::invalid("generate", "The prompt has no tokens."));
    }
    let mut stats = Stats { prompt_tokens: prompt.len(), ..Stats::default() };
    let mut out = Vec::new();
    if max_tokens == 0 {
        return Ok((out, stats));
    }
    let mut cache = model.new_cache();
    let t0 = Instant::now();
    let logits = model.forward(prompt, &mut cache, false)?;
    let mut next = sampler.sample(&logits)?;
    stats.prompt_secs = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    loop {
        out.push(next);
        if !on_token(next)? || Some(next) == tokenizer.eos_id || out.len() >= max_tokens {
            break;
        }
        let logits = model.forward(&[next], &mut cache, false)?;
        next = sampler.sample(&logits)?;
    }
    stats.generation_secs = t1.elapsed().as_secs_f64();
    stats.generated_tokens = out.len();
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_prompt_follows_the_template() {
        let p = chat_prompt(DEFAULT_SYSTEM, "Hi");
        assert!(p.starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"));
        assert!(p.ends_with("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    }
}
