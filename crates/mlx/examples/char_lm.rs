//! A character-level transformer language model (issue #6): trains on a text file, prints the
//! loss as it falls, saves a checkpoint (model weights + optimizer state + step + random key,
//! one safetensors file) every `--save-every` steps, continues a saved run exactly with
//! `--resume`, and samples text at the end.
//!
//! Run: `cargo run --release -p mlx --example char_lm` (about a minute on 2 cores), then e.g.
//! `cargo run --release -p mlx --example char_lm -- --resume --steps 600` to train further.
//!
//! Options (defaults in brackets): `--text PATH` [data/genesis.txt, the Book of Genesis (KJV)],
//! `--steps N` [500; a resumed run: its saved length] the step to stop at, `--log-every N` [25], `--save-every N` [100],
//! `--checkpoint PATH` [target/char_lm.safetensors], `--resume`, `--optimizer adamw|muon`
//! [muon: Muon for the layers' matrices + AdamW for the rest], `--dims N` [64], `--layers N` [2], `--heads N` [4], `--context N` [64],
//! `--batch N` [16], `--lr X` [3e-3], `--seed N` [0], `--sample N` [300] characters,
//! `--temperature X` [0.8], `--prompt TEXT` ["And God said"].
//!
//! The model and trainer are in `char_lm/lm.rs` (also used by the resume test,
//! `crates/mlx/tests/char_lm_resume.rs`).

#[path = "char_lm/lm.rs"]
mod lm;

use std::path::PathBuf;
use std::time::Instant;

use mlx::core::random;
use mlx::nn::Module;
use mlx::prelude::*;

use lm::{Config, Trainer};

struct Args {
    config: Config,
    text: PathBuf,
    checkpoint: PathBuf,
    resume: bool,
    /// `--steps`: where the run stops (a resumed run defaults to its saved length).
    steps: Option<u64>,
    log_every: u64,
    save_every: u64,
    sample: usize,
    temperature: f64,
    prompt: String,
}

fn parse() -> Result<Args> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut a = Args {
        config: Config::default(),
        text: root.join("data/genesis.txt"),
        checkpoint: root.join("target/char_lm.safetensors"),
        resume: false,
        steps: None,
        log_every: 25,
        save_every: 100,
        sample: 300,
        temperature: 0.8,
        prompt: "And God said".into(),
    };
    let bad = |m: String| Error::invalid("char_lm", m);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--resume" {
            a.resume = true;
            continue;
        }
        let v = it.next().ok_or_else(|| bad(format!("{flag} needs a value")))?;
        fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T> {
            v.parse().map_err(|_| Error::invalid("char_lm", format!("{flag}: cannot parse \"{v}\"")))
        }
        let c = &mut a.config;
        match flag.as_str() {
            "--text" => a.text = v.into(),
            "--checkpoint" => a.checkpoint = v.into(),
            "--steps" => a.steps = Some(num(&flag, &v)?),
            "--log-every" => a.log_every = num::<u64>(&flag, &v)?.max(1),
            "--save-every" => a.save_every = num::<u64>(&flag, &v)?.max(1),
            "--optimizer" => c.optimizer = v,
            "--dims" => c.dims = num(&flag, &v)?,
            "--layers" => c.layers = num(&flag, &v)?,
            "--heads" => c.heads = num(&flag, &v)?,
            "--context" => c.context = num(&flag, &v)?,
            "--batch" => c.batch = num(&flag, &v)?,
            "--lr" => c.lr = num(&flag, &v)?,
            "--seed" => c.seed = num(&flag, &v)?,
            "--sample" => a.sample = num(&flag, &v)?,
            "--temperature" => a.temperature = num(&flag, &v)?,
            "--prompt" => a.prompt = v,
            _ => return Err(bad(format!("unknown option {flag} (see the file's docs)"))),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    let args = parse()?;
    let text = std::fs::read_to_string(&args.text).map_err(|e| Error::invalid("char_lm", format!("{}: {e}", args.text.display())))?;
    let trainer = if args.resume {
        let t = Trainer::load(&args.checkpoint, &text)?;
        println!("resumed {} at step {}", args.checkpoint.display(), t.step);
        t
    } else {
        let mut config = args.config.clone();
        config.steps = args.steps.unwrap_or(config.steps);
        Trainer::new(config, &text)?
    };
    // The learning-rate schedule keeps the run's saved length (`config.steps`); a resumed run
    // may go past it, at the schedule's final value.
    let total = args.steps.unwrap_or(trainer.config.steps);
    let mut trainer = trainer;
    let c = &trainer.config;
    println!(
        "text: {} ({} characters, vocabulary {}); model: {} layers, dims {}, {} heads, context {}, {} parameters; {} batch {}",
        args.text.display(),
        text.chars().count(),
        trainer.vocab.len(),
        c.layers,
        c.dims,
        c.heads,
        c.context,
        trainer.model.num_parameters(),
        c.optimizer,
        c.batch
    );
    if let Some(dir) = args.checkpoint.parent() {
        std::fs::create_dir_all(dir).ok();
    }

    let start = Instant::now();
    let (mut sum, mut count) = (0.0f64, 0u64);
    while trainer.step < total {
        sum += trainer.train_step()? as f64;
        count += 1;
        let s = trainer.step;
        if s % args.log_every == 0 || s == total {
            println!("step {s:5}  loss {:.4}  ({:.1} s)", sum / count as f64, start.elapsed().as_secs_f64());
            (sum, count) = (0.0, 0);
        }
        if s % args.save_every == 0 || s == total {
            trainer.save(&args.checkpoint)?;
            println!("step {s:5}  saved {}", args.checkpoint.display());
        }
    }

    trainer.model.eval();
    let key = random::key(trainer.config.seed.wrapping_add(2));
    let sample = trainer.sample(&args.prompt, args.sample, args.temperature, &key)?;
    println!("--- sample (temperature {}) ---\n{sample}", args.temperature);
    println!("wall time: {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
