//! Sentence embeddings with all-MiniLM-L6-v2 (downloaded once into the mlx-rs cache):
//!
//! ```sh
//! cargo run --release -p mlx-models --example embed -- "sentence one" "sentence two"
//! cargo run --release -p mlx-models --example embed -- --bench 32   # sentences/s, batch of 32
//! ```
//!
//! Prints each sentence's first dimensions and norm, then the cosine similarity matrix (the
//! embeddings have unit norm, so it is `E E^T`). `--bench N` times one padded batch of N
//! sentences (the 5 reference sentences of the test, repeated; the same batch
//! `tools/minilm_mlx.py` times on real MLX): tokenization + forward + pooling, best of 5.

use mlx_core::{self as mx, Result};
use mlx_models::minilm::SentenceEmbedder;
use std::time::Instant;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t0 = Instant::now();
    let embedder = SentenceEmbedder::all_minilm_l6_v2()?;
    eprintln!("loaded all-MiniLM-L6-v2 in {:.2} s", t0.elapsed().as_secs_f64());
    if args.first().map(String::as_str) == Some("--bench") {
        let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(32);
        return bench(&embedder, n);
    }
    let defaults = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.", "A monkey is playing drums."];
    let sentences: Vec<&str> = if args.is_empty() { defaults.to_vec() } else { args.iter().map(String::as_str).collect() };

    let e = embedder.embed(&sentences)?;
    let dim = e.shape()[1];
    let rows = e.to_vec::<f32>()?;
    for (i, (s, row)) in sentences.iter().zip(rows.chunks(dim)).enumerate() {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        let head: Vec<String> = row[..6].iter().map(|x| format!("{x:+.4}")).collect();
        println!("[{i}] {s:?}\n    [{}, ...] ({dim} dims, norm {norm:.6})", head.join(", "));
    }
    let sim = mx::matmul(&e, &mx::transpose(&e, vec![1, 0])?)?.to_vec::<f32>()?;
    println!("\ncosine similarity:");
    print!("     ");
    for j in 0..sentences.len() {
        print!("{:>7}", format!("[{j}]"));
    }
    println!();
    for (i, row) in sim.chunks(sentences.len()).enumerate() {
        print!("{:>5}", format!("[{i}]"));
        for v in row {
            print!("{v:>7.3}");
        }
        println!();
    }
    Ok(())
}

fn bench(embedder: &SentenceEmbedder, n: usize) -> Result<()> {
    let reference = ["This is an offline sentence embedding", "Another text to embed", "The quick brown fox jumps over the lazy dog.",
        "MLX is an array framework for machine learning on Apple silicon.",
        "H\u{e9}llo, w\u{f6}rld! \u{dc}n\u{ef}c\u{f6}d\u{e9} and \u{4e2d}\u{6587} characters, plus emoji \u{1f642} and    spaces."];
    let batch: Vec<&str> = (0..n).map(|i| reference[i % reference.len()]).collect();
    embedder.embed(&batch)?.eval()?; // warm-up
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        embedder.embed(&batch)?.eval()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("mlx-rs cpu: batch of {n}: best {:.1} ms of 5 -> {:.1} sentences/s", best * 1e3, n as f64 / best);
    Ok(())
}
