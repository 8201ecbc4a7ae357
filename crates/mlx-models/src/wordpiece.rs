//! BERT's WordPiece tokenizer, read from a Hugging Face `tokenizer.json`.
//!
//! Invariant: [`WordPiece::encode`] gives the ids Hugging Face `tokenizers` gives for one
//! sequence with the same file: special added tokens (`[CLS]`, `[SEP]`, ... written literally in
//! the text) are split out first and never normalized; every other piece goes through
//! `BertNormalizer` (clean text, pad CJK ideographs with spaces, strip accents = NFD minus
//! nonspacing marks, lowercase), `BertPreTokenizer` (split on whitespace, isolate each
//! punctuation char), then greedy longest-match-first WordPiece (`##` continuations, a word longer
//! than `max_input_chars_per_word` chars or with no full match becomes `[UNK]`), and the template
//! `[CLS] ... [SEP]` wraps the ids after truncation to `max_len` (specials included).
//!
//! Only the parts of the file format that BERT tokenizers use are read; anything else (another
//! normalizer, pre-tokenizer or model type) is rejected with an error rather than silently
//! tokenized differently.

use mlx_core::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use unicode_general_category::{get_general_category, GeneralCategory as Gc};
use unicode_normalization::UnicodeNormalization;

const OP: &str = "wordpiece";

/// `BertNormalizer`'s switches, as written in `tokenizer.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BertNormalizer {
    pub clean_text: bool,
    pub handle_chinese_chars: bool,
    /// `strip_accents: null` in the file means "same as `lowercase`" (Hugging Face's rule).
    pub strip_accents: bool,
    pub lowercase: bool,
}

impl BertNormalizer {
    /// Normalizes `text` in Hugging Face's order: clean, CJK padding, accents, lowercase.
    pub fn normalize(&self, text: &str) -> String {
        let mut s: String = if self.clean_text {
            text.chars().filter(|&c| !(c == '\0' || c == '\u{fffd}' || is_control(c))).map(|c| if is_whitespace(c) { ' ' } else { c }).collect()
        } else {
            text.to_string()
        };
        if self.handle_chinese_chars {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if is_chinese_char(c) {
                    out.push(' ');
                    out.push(c);
                    out.push(' ');
                } else {
                    out.push(c);
                }
            }
            s = out;
        }
        if self.strip_accents {
            s = s.nfd().filter(|&c| get_general_category(c) != Gc::NonspacingMark).collect();
        }
        if self.lowercase {
            s = s.to_lowercase();
        }
        s
    }
}

/// `BertPreTokenizer`: split on whitespace (dropped) and around every punctuation char (kept as
/// a word of its own).
pub fn pre_tokenize(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_whitespace(c) || is_punctuation(c) {
            if let Some(s) = start.take() {
                words.push(&text[s..i]);
            }
            if !is_whitespace(c) {
                words.push(&text[i..i + c.len_utf8()]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push(&text[s..]);
    }
    words
}

/// A WordPiece tokenizer for single sequences (see the module docs).
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: HashMap<String, u32>,
    tokens: Vec<String>,
    normalizer: BertNormalizer,
    prefix: String,
    max_chars: usize,
    unk_id: u32,
    cls_id: u32,
    sep_id: u32,
    pad_id: u32,
    /// Special added tokens matched literally in the raw text, longest first.
    added: Vec<(String, u32)>,
    max_len: usize,
}

impl WordPiece {
    /// Reads a `tokenizer.json` file; `max_len` (specials included) starts at 512.
    ///
    /// # Errors
    /// `[wordpiece]` when the file cannot be read or is not a BERT WordPiece tokenizer.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::runtime(OP, format!("{}: {e}", path.display())))?;
        Self::from_json(&text)
    }

    /// Parses the contents of a `tokenizer.json`.
    ///
    /// # Errors
    /// `[wordpiece]` for invalid JSON, a missing vocabulary, or components other than
    /// `BertNormalizer` / `BertPreTokenizer` / `WordPiece`.
    pub fn from_json(text: &str) -> Result<Self> {
        let json: Value = serde_json::from_str(text).map_err(|e| bad(format!("Invalid tokenizer JSON: {e}")))?;
        let model = &json["model"];
        expect_type(model, "WordPiece", "model")?;
        let vocab_json = model["vocab"].as_object().ok_or_else(|| bad("model.vocab is not an object."))?;
        let mut vocab = HashMap::with_capacity(vocab_json.len());
        let mut tokens = vec![String::new(); vocab_json.len()];
        for (tok, id) in vocab_json {
            let id = id.as_u64().filter(|&i| (i as usize) < tokens.len()).ok_or_else(|| bad(format!("Bad id for token '{tok}'.")))? as u32;
            tokens[id as usize] = tok.clone();
            vocab.insert(tok.clone(), id);
        }
        let id_of = |tok: &str| vocab.get(tok).copied().ok_or_else(|| bad(format!("Token '{tok}' is not in the vocabulary.")));
        let unk = model["unk_token"].as_str().unwrap_or("[UNK]");
        let prefix = model["continuing_subword_prefix"].as_str().unwrap_or("##").to_string();
        let max_chars = model["max_input_chars_per_word"].as_u64().unwrap_or(100) as usize;

        let norm = &json["normalizer"];
        expect_type(norm, "BertNormalizer", "normalizer")?;
        let flag = |k: &str, default: bool| norm[k].as_bool().unwrap_or(default);
        let lowercase = flag("lowercase", true);
        let normalizer = BertNormalizer {
            clean_text: flag("clean_text", true),
            handle_chinese_chars: flag("handle_chinese_chars", true),
            strip_accents: norm["strip_accents"].as_bool().unwrap_or(lowercase),
            lowercase,
        };
        expect_type(&json["pre_tokenizer"], "BertPreTokenizer", "pre_tokenizer")?;

        let mut added = Vec::new();
        for t in json["added_tokens"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            if let (Some(content), Some(id), true) = (t["content"].as_str(), t["id"].as_u64(), t["special"].as_bool().unwrap_or(false)) {
                added.push((content.to_string(), id as u32));
            }
        }
        added.sort_by(|a, b| b.0.len().cmp(&a.0.len()));
        let special = |name: &str| -> Result<u32> {
            match json["post_processor"]["special_tokens"][name]["ids"][0].as_u64() {
                Some(id) => Ok(id as u32),
                None => id_of(name),
            }
        };
        let pad_id = match json["padding"]["pad_id"].as_u64() {
            Some(id) => id as u32,
            None => id_of("[PAD]")?,
        };
        Ok(WordPiece {
            unk_id: id_of(unk)?,
            cls_id: special("[CLS]")?,
            sep_id: special("[SEP]")?,
            pad_id,
            vocab,
            tokens,
            normalizer,
            prefix,
            max_chars,
            added,
            max_len: 512,
        })
    }

    /// The same tokenizer truncating to `max_len` ids, specials included (at least 2).
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len.max(2);
        self
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }
    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }
    pub fn normalizer(&self) -> BertNormalizer {
        self.normalizer
    }
    /// The token string of `id`, if it is in the vocabulary.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// `[CLS] tokens [SEP]`, the tokens cut so the whole fits in `max_len`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cls_id];
        ids.extend(self.tokenize_ids(text));
        ids.truncate(self.max_len - 1);
        ids.push(self.sep_id);
        ids
    }

    /// The ids of `text` without specials or truncation.
    pub fn tokenize_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        for piece in self.split_added(text) {
            match piece {
                Piece::Added(id) => ids.push(id),
                Piece::Text(t) => {
                    let normalized = self.normalizer.normalize(t);
                    for word in pre_tokenize(&normalized) {
                        self.word_ids(word, &mut ids);
                    }
                }
            }
        }
        ids
    }

    /// Greedy longest-match-first WordPiece of one pre-tokenized word.
    fn word_ids(&self, word: &str, out: &mut Vec<u32>) {
        if word.chars().count() > self.max_chars {
            out.push(self.unk_id);
            return;
        }
        let first = out.len();
        let mut start = 0;
        let mut candidate = String::with_capacity(word.len() + self.prefix.len());
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while end > start {
                candidate.clear();
                if start > 0 {
                    candidate.push_str(&self.prefix);
                }
                candidate.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(&candidate) {
                    found = Some(id);
                    break;
                }
                end = prev_boundary(word, end);
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(first);
                    out.push(self.unk_id);
                    return;
                }
            }
        }
    }

    /// Splits out literal occurrences of special added tokens (leftmost, then longest).
    fn split_added<'a>(&self, text: &'a str) -> Vec<Piece<'a>> {
        let mut pieces = Vec::new();
        let mut rest_start = 0;
        let mut i = 0;
        while i < text.len() {
            let hit = self.added.iter().find(|(tok, _)| text[i..].starts_with(tok.as_str()));
            match hit {
                Some((tok, id)) => {
                    if rest_start < i {
                        pieces.push(Piece::Text(&text[rest_start..i]));
                    }
                    pieces.push(Piece::Added(*id));
                    i += tok.len();
                    rest_start = i;
                }
                None => i += text[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        if rest_start < text.len() {
            pieces.push(Piece::Text(&text[rest_start..]));
        }
        pieces
    }
}

enum Piece<'a> {
    Text(&'a str),
    Added(u32),
}

fn prev_boundary(s: &str, mut end: usize) -> usize {
    end -= 1;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

fn expect_type(v: &Value, want: &str, what: &str) -> Result<()> {
    match v["type"].as_str() {
        Some(t) if t == want => Ok(()),
        other => Err(bad(format!("Unsupported {what} {other:?}; only {want} is implemented."))),
    }
}

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid(OP, msg)
}

/// Hugging Face's BERT whitespace: `\t \n \r` and Unicode White_Space.
fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Hugging Face's BERT control chars: general category C* except `\t \n \r`.
fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    matches!(get_general_category(c), Gc::Control | Gc::Format | Gc::Unassigned | Gc::PrivateUse | Gc::Surrogate)
}

/// ASCII punctuation (which includes symbols such as `$ + < = > ^ ` | ~`) or Unicode P*.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            get_general_category(c),
            Gc::ConnectorPunctuation | Gc::DashPunctuation | Gc::OpenPunctuation | Gc::ClosePunctuation | Gc::InitialPunctuation | Gc::FinalPunctuation | Gc::OtherPunctuation
        )
}

/// The CJK Unified Ideograph blocks BERT pads with spaces (not Hangul, kana or CJK punctuation).
fn is_chinese_char(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B920..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny BERT tokenizer.json: ids follow the order of `vocab`.
    fn tokenizer(vocab: &[&str], normalizer: &str) -> WordPiece {
        let v: serde_json::Map<String, Value> = vocab.iter().enumerate().map(|(i, t)| (t.to_string(), Value::from(i))).collect();
        let json = serde_json::json!({
            "added_tokens": [
                {"id": 0, "content": "[PAD]", "special": true},
                {"id": 2, "content": "[CLS]", "special": true},
                {"id": 3, "content": "[SEP]", "special": true},
            ],
            "normalizer": serde_json::from_str::<Value>(normalizer).unwrap(),
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {"type": "TemplateProcessing", "special_tokens": {"[CLS]": {"ids": [2]}, "[SEP]": {"ids": [3]}}},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 10, "vocab": v},
        });
        WordPiece::from_json(&json.to_string()).unwrap()
    }

    const VOCAB: &[&str] = &["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", "world", ",", "!", "中", "文", "a", "##a", "cafe", "¿", "«", "»", "$"];
    const BERT: &str = r#"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}"#;

    fn words(t: &WordPiece, text: &str) -> Vec<String> {
        t.tokenize_ids(text).iter().map(|&i| t.token(i).unwrap().to_string()).collect()
    }

    #[test]
    fn normalizer_cleans_pads_cjk_strips_accents_and_lowercases() {
        let n = BertNormalizer { clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true };
        assert_eq!(n.normalize("Héllo\tWÖRLD\u{0}\u{200b}x\u{fffd}"), "hello worldx");
        assert_eq!(n.normalize("ab中文c"), "ab 中  文 c");
        // A precomposed char and its decomposed form normalize alike; Ångström sign too.
        assert_eq!(n.normalize("Ünïcödé"), n.normalize("U\u{308}nïco\u{308}de\u{301}"));
        assert_eq!(n.normalize("\u{212b}"), "a");
        // Hangul is not padded (not a CJK ideograph) and NFD splits it into jamo, which stay.
        assert_eq!(n.normalize("한").chars().count(), 3);
        let keep = BertNormalizer { strip_accents: false, lowercase: false, ..n };
        assert_eq!(keep.normalize("Héllo"), "Héllo");
    }

    #[test]
    fn strip_accents_null_follows_lowercase() {
        let cased = tokenizer(VOCAB, r#"{"type": "BertNormalizer", "strip_accents": null, "lowercase": false}"#);
        assert!(!cased.normalizer().strip_accents);
        let uncased = tokenizer(VOCAB, BERT);
        assert!(uncased.normalizer().strip_accents);
    }

    #[test]
    fn pre_tokenizer_splits_whitespace_and_every_punctuation_char() {
        assert_eq!(pre_tokenize("  hello,world!! "), vec!["hello", ",", "world", "!", "!"]);
        assert_eq!(pre_tokenize("«x»¿y $5"), vec!["«", "x", "»", "¿", "y", "$", "5"]);
        assert_eq!(pre_tokenize("a\u{3000}b"), vec!["a", "b"]); // ideographic space
        assert!(pre_tokenize(" \n\t").is_empty());
    }

    #[test]
    fn wordpiece_is_greedy_longest_match_first() {
        let t = tokenizer(VOCAB, BERT);
        assert_eq!(words(&t, "unaffable"), ["un", "##aff", "##able"]);
        assert_eq!(words(&t, "aaa"), ["a", "##a", "##a"]);
        // No full decomposition: the whole word is one [UNK], not a partial match.
        assert_eq!(words(&t, "unaffablex hello"), ["[UNK]", "hello"]);
        // Longer than max_input_chars_per_word (10 chars; the byte length does not matter).
        assert_eq!(words(&t, "aaaaaaaaaaa"), ["[UNK]"]);
        let cased = tokenizer(&["[PAD]", "[UNK]", "[CLS]", "[SEP]", "é", "##é"], r#"{"type": "BertNormalizer", "lowercase": false}"#);
        assert_eq!(words(&cased, &"é".repeat(10)).len(), 10);
        assert_eq!(words(&cased, &"é".repeat(11)), ["[UNK]"]);
    }

    #[test]
    fn unicode_text_end_to_end() {
        let t = tokenizer(VOCAB, BERT);
        assert_eq!(words(&t, "Héllo, WÖRLD! Café 中文 🙂"), ["hello", ",", "world", "!", "cafe", "中", "文", "[UNK]"]);
        assert_eq!(words(&t, "¿«hello»$"), ["¿", "«", "hello", "»", "$"]);
    }

    #[test]
    fn specials_wrap_and_truncation_keeps_them() {
        let t = tokenizer(VOCAB, BERT);
        assert_eq!(t.encode("hello world"), vec![2, 7, 8, 3]);
        assert_eq!(t.encode(""), vec![2, 3]);
        let short = t.clone().with_max_len(3);
        assert_eq!(short.encode("hello world"), vec![2, 7, 3]);
        assert_eq!(t.clone().with_max_len(0).encode("hello"), vec![2, 3]);
    }

    #[test]
    fn literal_special_tokens_are_not_normalized_or_split() {
        let t = tokenizer(VOCAB, BERT);
        assert_eq!(t.encode("hello[SEP]world"), vec![2, 7, 3, 8, 3]);
        // Lowercase "[sep]" is ordinary text: punctuation-split and unknown.
        assert_eq!(words(&t, "[sep]"), ["[UNK]", "[UNK]", "[UNK]"]);
    }

    #[test]
    fn other_components_are_rejected() {
        let json = r#"{"model": {"type": "BPE", "vocab": {}}}"#;
        let err = WordPiece::from_json(json).unwrap_err().to_string();
        assert!(err.starts_with("[wordpiece] Unsupported model"), "{err}");
        assert!(WordPiece::from_json("{").unwrap_err().to_string().starts_with("[wordpiece]"));
    }
}
