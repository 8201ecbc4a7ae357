#!/usr/bin/env python3
"""Writes crates/mlx-models/tests/data/wordpiece_cases.json: the ids Hugging Face `tokenizers`
gives with all-MiniLM-L6-v2's tokenizer.json (truncation and padding off, special tokens added)
for strings that exercise each BERT rule (accents, CJK, punctuation classes, control and
zero-width chars, unusual whitespace, long words, literal special tokens, truncation).

    pip install tokenizers && python3 tools/minilm_tokenizer_cases.py [--model DIR]
"""
import argparse
import json
import os

from tokenizers import Tokenizer

from minilm_mlx import ROOT, default_model_dir

CASES = [
    "", "   ", "Hello, World!", "UNAFFABLE unaffable", "naïve café résumé Ångström Øre",
    "Crème brûlée — déjà vu… «quoted» ‘single’ “double”", "中文字符测试 and 日本語のテキスト 한국어",
    "tab\tnew\nline\rcarriage\u00a0nbsp\u3000ideographic\u2003em", "zero\u200bwidth\u200djoiner\ufeffbom",
    "ctrl\u0001\u0007chars\ufffdreplacement", "e\u0301 vs \u00e9, o\u0308 vs \u00f6",
    "$100 + 5% = #hashtag @mention ^caret `tick` |pipe| ~tilde", "emoji 🙂👍🏽 and ☃ ✓ ∑ ∞",
    "a" * 99 + " " + "b" * 101 + " " + "é" * 101, "pneumonoultramicroscopicsilicovolcanoconiosis",
    "hello[SEP]world [CLS] [MASK] [sep]", "don't won't it's", "x=1;y=2->z", "Ⅻ ½ ² ①",
    "ﬁ ligature ＦＵＬＬＷＩＤＴＨ", "Ελληνικά Русский עברית العربية हिन्दी",
    "word " * 300,
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=default_model_dir())
    args = ap.parse_args()
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)  # sentence-transformers' max_seq_length for this model
    cases = [{"text": t, "ids": tok.encode(t).ids} for t in CASES]
    out = os.path.join(ROOT, "crates", "mlx-models", "tests", "data", "wordpiece_cases.json")
    with open(out, "w") as f:
        json.dump({"generator": "tools/minilm_tokenizer_cases.py", "max_len": 256, "cases": cases}, f, ensure_ascii=False, indent=0)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
