//! Chat with SmolLM2-135M-Instruct (Q4_1 GGUF, run in float32), streaming the reply:
//!
//! ```sh
//! cargo run --release -p mlx-models --example generate -- "What is the capital of France?"
//! cargo run --release -p mlx-models --example generate -- --temp 0.7 --top-p 0.9 --seed 3 "Tell me a joke."
//! cargo run --release -p mlx-models --example generate -- --raw --max-tokens 32 "Once upon a time"
//! ```
//!
//! Flags: `--max-tokens N` (default 128), `--temp T` (default 0: greedy), `--top-p P` (default
//! 1), `--seed S` (default 0), `--system TEXT` (the system prompt), `--raw` (no chat template:
//! continue the text as is), `--verbose` (prompt token ids and speed on stderr).

use std::io::Write;

use mlx_core::{Error, Result};
use mlx_models::bpe::StreamDecoder;
use mlx_models::generate::{chat_prompt, generate, DEFAULT_SYSTEM};
use mlx_models::llama::{fetch_smollm2, Llama};
use mlx_models::sampling::Sampler;

struct Args {
    prompt: String,
    max_tokens: usize,
    temp: f32,
    top_p: f32,
    seed: u64,
    system: String,
    raw: bool,
    verbose: bool,
}

fn parse() -> Result<Args> {
    let mut a = Args {
        prompt: String::new(),
        max_tokens: 128,
        temp: 0.0,
        top_p: 1.0,
        seed: 0,
        system: DEFAULT_SYSTEM.to_string(),
        raw: false,
        verbose: false,
    };
    let bad = |m: String| Error::invalid("generate", m);
    let mut it = std::env::args().skip(1);
    let mut words = Vec::new();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| bad(format!("{name} needs a value")));
        match arg.as_str() {
            "--max-tokens" => a.max_tokens = value(&arg)?.parse().map_err(|e| bad(format!("--max-tokens: {e}")))?,
            "--temp" => a.temp = value(&arg)?.parse().map_err(|e| bad(format!("--temp: {e}")))?,
            "--top-p" => a.top_p = value(&arg)?.parse().map_err(|e| bad(format!("--top-p: {e}")))?,
            "--seed" => a.seed = value(&arg)?.parse().map_err(|e| bad(format!("--seed: {e}")))?,
            "--system" => a.system = value(&arg)?,
            "--raw" => a.raw = true,
            "--verbose" => a.verbose = true,
            "-h" | "--help" => {
                println!("usage: generate [--max-tokens N] [--temp T] [--top-p P] [--seed S] [--system TEXT] [--raw] [--verbose] PROMPT");
                std::process::exit(0);
            }
            s if s.starts_with("--") => return Err(bad(format!("unknown flag {s}"))),
            _ => words.push(arg),
        }
    }
    a.prompt = words.join(" ");
    if a.prompt.is_empty() {
        a.prompt = "What is the capital of France?".to_string();
    }
    Ok(a)
}

fn main() -> Result<()> {
    let a = parse()?;
    let t = std::time::Instant::now();
    let (model, tok) = Llama::load(fetch_smollm2()?)?;
    if a.verbose {
        eprintln!("loaded SmolLM2-135M-Instruct in {:.2} s", t.elapsed().as_secs_f64());
    }
    let text = if a.raw { a.prompt.clone() } else { chat_prompt(&a.system, &a.prompt) };
    let ids = tok.encode(&text)?;
    if a.verbose {
        eprintln!("prompt ids: {}", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","));
    }
    let mut sampler = Sampler::new(a.temp, a.top_p, a.seed)?;
    let mut stream = StreamDecoder::new();
    let mut stdout = std::io::stdout();
    if a.raw {
        print!("{}", a.prompt);
    }
    let (_, stats) = generate(&model, &tok, &ids, a.max_tokens, &mut sampler, |id| {
        if Some(id) != tok.eos_id {
            print!("{}", stream.push(&tok.token_bytes(id)));
            // Flushing per token is what makes the output stream.
            stdout.flush().map_err(|e| Error::runtime("generate", e.to_string()))?;
        }
        Ok(true)
    })?;
    println!("{}", stream.finish());
    if a.verbose {
        eprintln!(
            "prompt: {} tokens, {:.1} tokens/s | generation: {} tokens, {:.1} tokens/s",
            stats.prompt_tokens,
            stats.prompt_tps(),
            stats.generated_tokens,
            stats.generation_tps()
        );
    }
    Ok(())
}
