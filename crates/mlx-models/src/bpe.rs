//! Byte-level BPE (GPT-2 style) as llama.cpp's GGUF files describe it: `tokenizer.ggml.tokens`,
//! `tokenizer.ggml.merges` ("left right", best first), `tokenizer.ggml.token_type` (3 = control
//! tokens such as `<|im_start|>`), the bos/eos ids.
//!
//! Encoding runs in three stages, each matching Hugging Face `tokenizers` for SmolLM2
//! (`tokenizer.ggml.pre = "smollm"`: pre-tokenizers `Digits(individual_digits)` then
//! `ByteLevel(add_prefix_space = false)`):
//! 1. control tokens are cut out of the text where their exact string occurs;
//! 2. the rest is split into pieces: every digit alone, then GPT-2's pattern
//!    `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, hand-written
//!    below (no regex crate);
//! 3. each piece's UTF-8 bytes become GPT-2's printable characters (`byte_to_unicode`) and are
//!    merged pair by pair, lowest merge rank first, until no listed pair is left.
//!
//! Invariant: `decode(encode(s)) == s` for every string (the byte mapping is a bijection and
//! every single byte is a token), and [`StreamDecoder`] emits exactly the bytes of the tokens
//! pushed so far, holding back only an incomplete UTF-8 sequence at the end.
//!
//! Unicode classes use Rust's `char` predicates: `\p{N}` is `is_numeric` (exactly Nd/Nl/No),
//! `\s` is `is_whitespace` (White_Space, as the regex), and `\p{L}` is `is_alphabetic() &&
//! !is_numeric()`, which also counts the few combining marks with Other_Alphabetic as letters
//! (a piece boundary can differ from the regex only inside such scripts).

use std::collections::HashMap;

use mlx_core::{Error, Result};
use mlx_io::gguf::MetaValue;
use mlx_io::Metadata;

const OP: &str = "tokenizer";
/// `tokenizer.ggml.token_type` of control tokens (llama.cpp's `LLAMA_TOKEN_TYPE_CONTROL`).
const CONTROL: i32 = 3;

/// A byte-level BPE tokenizer (see the module docs).
pub struct Tokenizer {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
    /// `(left id, right id)` -> `(rank, merged id)`.
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// Control tokens, longest first (so a longer one wins where two start at the same place).
    specials: Vec<(String, u32)>,
    byte_char: [char; 256],
    char_byte: HashMap<char, u8>,
    pub bos_id: Option<u32>,
    pub eos_id: Option<u32>,
}

/// GPT-2's reversible map from bytes to printable characters: printable Latin-1 bytes map to
/// themselves, the other 68 to U+0100.. in byte order.
pub fn byte_to_unicode() -> [char; 256] {
    let mut out = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..256u32 {
        let printable = (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        let cp = if printable {
            b
        } else {
            next += 1;
            next - 1
        };
        out[b as usize] = char::from_u32(cp).unwrap_or('\0');
    }
    out
}

fn meta<'a>(m: &'a Metadata, key: &str) -> Result<&'a MetaValue> {
    m.get(key).ok_or_else(|| Error::invalid(OP, format!("GGUF metadata lacks '{key}'.")))
}

fn strings(v: &MetaValue, key: &str) -> Result<Vec<String>> {
    match v {
        MetaValue::Array { values, .. } => values
            .iter()
            .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| Error::invalid(OP, format!("'{key}' holds a non-string."))))
            .collect(),
        _ => Err(Error::invalid(OP, format!("'{key}' is not an array."))),
    }
}

/// An integer metadata value of any width.
pub(crate) fn as_u64(v: &MetaValue) -> Option<u64> {
    match *v {
        MetaValue::U8(x) => Some(x as u64),
        MetaValue::U16(x) => Some(x as u64),
        MetaValue::U32(x) => Some(x as u64),
        MetaValue::U64(x) => Some(x),
        MetaValue::I8(x) => u64::try_from(x).ok(),
        MetaValue::I16(x) => u64::try_from(x).ok(),
        MetaValue::I32(x) => u64::try_from(x).ok(),
        MetaValue::I64(x) => u64::try_from(x).ok(),
        _ => None,
    }
}

impl Tokenizer {
    /// The tokenizer a GGUF file describes (`tokenizer.ggml.model` must be `gpt2`).
    ///
    /// # Errors
    /// `[tokenizer]` when a key is missing or malformed, or a merge names an unknown token.
    pub fn from_gguf_metadata(m: &Metadata) -> Result<Tokenizer> {
        let model = meta(m, "tokenizer.ggml.model")?.as_str().unwrap_or("");
        if model != "gpt2" {
            return Err(Error::invalid(OP, format!("Only byte-level BPE ('gpt2') is supported, not '{model}'.")));
        }
        let tokens = strings(meta(m, "tokenizer.ggml.tokens")?, "tokenizer.ggml.tokens")?;
        let merges = strings(meta(m, "tokenizer.ggml.merges")?, "tokenizer.ggml.merges")?;
        let types: Vec<i32> = match m.get("tokenizer.ggml.token_type") {
            Some(MetaValue::Array { values, .. }) => values.iter().map(|v| as_u64(v).map_or(1, |x| x as i32)).collect(),
            _ => Vec::new(),
        };
        let id = |k: &str| m.get(k).and_then(as_u64).map(|v| v as u32);
        let specials = tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| types.get(*i) == Some(&CONTROL))
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Tokenizer::new(tokens, &merges, specials, id("tokenizer.ggml.bos_token_id"), id("tokenizer.ggml.eos_token_id"))
    }

    /// A tokenizer from its vocabulary, merges ("left right", best first) and control tokens.
    ///
    /// # Errors
    /// `[tokenizer]` for a malformed merge or one whose parts or result are not tokens.
    pub fn new(tokens: Vec<String>, merges: &[String], mut specials: Vec<(String, u32)>, bos_id: Option<u32>, eos_id: Option<u32>) -> Result<Tokenizer> {
        let ids: HashMap<String, u32> = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        let mut table = HashMap::with_capacity(merges.len());
        for (rank, m) in merges.iter().enumerate() {
            let (l, r) = m.split_once(' ').ok_or_else(|| Error::invalid(OP, format!("Malformed merge '{m}'.")))?;
            let look = |s: &str| ids.get(s).copied().ok_or_else(|| Error::invalid(OP, format!("Merge '{m}' names an unknown token '{s}'.")));
            let merged = look(&format!("{l}{r}"))?;
            // A pair listed twice keeps its best rank, as a BPE merge table does.
            table.entry((look(l)?, look(r)?)).or_insert((rank as u32, merged));
        }
        specials.sort_by(|a, b| b.0.len().cmp(&a.0.len()));
        let byte_char = byte_to_unicode();
        let char_byte = byte_char.iter().enumerate().map(|(b, &c)| (c, b as u8)).collect();
        Ok(Tokenizer { tokens, ids, merges: table, specials, byte_char, char_byte, bos_id, eos_id })
    }

    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The id of a token string, if it is one.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// Token ids of `text`; control-token strings in it (`<|im_start|>`) become their ids. No
    /// BOS is added (SmolLM2's `add_bos_token` is false).
    ///
    /// # Errors
    /// `[tokenizer]` if a byte has no token (a vocabulary without all 256 byte tokens).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            // The earliest control token; the longest among those starting there.
            let hit = self
                .specials
                .iter()
                .filter_map(|(s, id)| rest.find(s.as_str()).map(|at| (at, std::cmp::Reverse(s.len()), *id)))
                .min();
            let (plain, next) = match hit {
                Some((at, std::cmp::Reverse(len), id)) => (&rest[..at], Some((id, at + len))),
                None => (rest, None),
            };
            for piece in pre_tokenize(plain) {
                self.encode_piece(piece, &mut out)?;
            }
            match next {
                Some((id, end)) => {
                    out.push(id);
                    rest = &rest[end..];
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// BPE on one pre-token piece: start from its byte tokens, merge the best-ranked adjacent
    /// pair until none is in the table.
    fn encode_piece(&self, piece: &str, out: &mut Vec<u32>) -> Result<()> {
        let mut syms = Vec::with_capacity(piece.len());
        for &b in piece.as_bytes() {
            let c = self.byte_char[b as usize].to_string();
            syms.push(self.ids.get(&c).copied().ok_or_else(|| Error::invalid(OP, format!("No token for byte {b:#04x}.")))?);
        }
        loop {
            let best = syms
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| self.merges.get(&(w[0], w[1])).map(|&(rank, id)| (rank, i, id)))
                .min();
            let Some((_, i, id)) = best else { break };
            syms[i] = id;
            syms.remove(i + 1);
        }
        out.extend_from_slice(&syms);
        Ok(())
    }

    /// The bytes of one token: GPT-2 characters mapped back; control tokens as their text.
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let Some(t) = self.tokens.get(id as usize) else { return Vec::new() };
        if self.specials.iter().any(|(_, s)| *s == id) {
            return t.as_bytes().to_vec();
        }
        let mut out = Vec::with_capacity(t.len());
        for c in t.chars() {
            match self.char_byte.get(&c) {
                Some(&b) => out.push(b),
                // Not a GPT-2 byte character: keep the character itself.
                None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        out
    }

    /// The text of `ids` (invalid UTF-8 across the whole sequence becomes U+FFFD).
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&i| self.token_bytes(i)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Incremental decoding for streaming: a token may end inside a multi-byte character, so bytes
/// are held until they form complete UTF-8.
#[derive(Default)]
pub struct StreamDecoder {
    pending: Vec<u8>,
}

impl StreamDecoder {
    pub fn new() -> StreamDecoder {
        StreamDecoder::default()
    }

    /// Adds a token's bytes and returns the text that became complete (possibly empty).
    /// Bytes that can never start valid UTF-8 are emitted as U+FFFD rather than held forever.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.pending[..good]).unwrap_or_default());
                    match e.error_len() {
                        // An incomplete sequence at the end: wait for the next token.
                        None => {
                            self.pending.drain(..good);
                            return out;
                        }
                        Some(bad) => {
                            out.push('\u{FFFD}');
                            self.pending.drain(..good + bad);
                        }
                    }
                }
            }
        }
    }

    /// Whatever is still held (an incomplete character at the end of generation), lossily.
    pub fn finish(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        s
    }
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

fn is_other(c: char) -> bool {
    !c.is_whitespace() && !is_letter(c) && !c.is_numeric()
}

/// SmolLM2's pre-tokenizer: digits one by one, then GPT-2's pattern on the text between them
/// (see the module docs). The pieces concatenate back to `text`.
pub fn pre_tokenize(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c.is_numeric() {
            gpt2_split(&text[start..i], &mut out);
            out.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    gpt2_split(&text[start..], &mut out);
    out
}

/// GPT-2's pattern, alternative by alternative in the regex's order (leftmost-first).
fn gpt2_split<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| if i < n { chars[i].0 } else { text.len() };
    // The end of the run of chars satisfying `f` starting at `i`.
    let run = |mut i: usize, f: &dyn Fn(char) -> bool| {
        while i < n && f(chars[i].1) {
            i += 1;
        }
        i
    };
    let mut i = 0;
    while i < n {
        let c = chars[i].1;
        let next = chars.get(i + 1).map(|x| x.1);
        let end = if c == '\'' && matches!(next, Some('s' | 't' | 'm' | 'd')) {
            i + 2
        } else if c == '\''
            && matches!((next, chars.get(i + 2).map(|x| x.1)), (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l')))
        {
            i + 3
        } else {
            // ` ?X+` for X in letters, numbers, others: an optional leading space.
            let j = if c == ' ' && next.is_some_and(|d| !d.is_whitespace()) { i + 1 } else { i };
            let d = chars.get(j).map(|x| x.1);
            match d {
                Some(d) if is_letter(d) => run(j, &is_letter),
                Some(d) if d.is_numeric() => run(j, &|x: char| x.is_numeric()),
                Some(d) if is_other(d) => run(j, &is_other),
                _ => {
                    // Whitespace: `\s+(?!\S)` leaves the last space of a run before a
                    // non-space to the next piece; a single one falls to `\s+`.
                    let e = run(i, &|x: char| x.is_whitespace());
                    if e < n && e - i > 1 {
                        e - 1
                    } else {
                        e
                    }
                }
            }
        };
        out.push(&text[at(i)..at(end)]);
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_map_is_gpt2s() {
        let m = byte_to_unicode();
        assert_eq!(m[b'A' as usize], 'A');
        assert_eq!(m[b' ' as usize], '\u{120}'); // 'Ġ'
        assert_eq!(m[b'\n' as usize], '\u{10a}'); // 'Ċ'
        assert_eq!(m[0], '\u{100}');
        assert_eq!(m[0xad], '\u{143}');
        let distinct: std::collections::HashSet<char> = m.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn pre_tokenizer_matches_the_pattern() {
        let split = |s| pre_tokenize(s);
        assert_eq!(split("Hello world"), ["Hello", " world"]);
        assert_eq!(split("I'm here, they'll go"), ["I", "'m", " here", ",", " they", "'ll", " go"]);
        assert_eq!(split("year 2018-01!"), ["year", " ", "2", "0", "1", "8", "-", "0", "1", "!"]);
        assert_eq!(split("a  b"), ["a", " ", " b"]);
        assert_eq!(split("a\n\nb  "), ["a", "\n", "\n", "b", "  "]);
        assert_eq!(split("x \nb"), ["x", " ", "\n", "b"]);
        assert_eq!(split("def f(n):\n    return"), ["def", " f", "(", "n", "):", "\n   ", " return"]);
        assert_eq!(split("héllo мир"), ["héllo", " мир"]);
        assert_eq!(split(" ?!"), [" ?!"]);
        assert_eq!(split("'x"), ["'", "x"]);
        assert!(split("").is_empty());
    }

    fn toy() -> Tokenizer {
        // Bytes as tokens, then merges "h e", "l l", "he ll", "Ġ w".
        let bm = byte_to_unicode();
        let mut tokens: Vec<String> = vec!["<|im_start|>".into(), "<|im_end|>".into()];
        tokens.extend(bm.iter().map(|c| c.to_string()));
        tokens.extend(["he", "ll", "hell", "Ġw"].map(String::from));
        let merges = ["h e", "l l", "he ll", "Ġ w"].map(String::from);
        Tokenizer::new(tokens, &merges, vec![("<|im_start|>".into(), 0), ("<|im_end|>".into(), 1)], None, Some(1)).unwrap()
    }

    #[test]
    fn merges_apply_by_rank() {
        let t = toy();
        let id = |s: &str| t.token_id(s).unwrap();
        assert_eq!(t.encode("hello").unwrap(), vec![id("hell"), id("o")]);
        assert_eq!(t.encode(" w").unwrap(), vec![id("Ġw")]);
        assert_eq!(t.encode("<|im_start|>he<|im_end|>").unwrap(), vec![0, id("he"), 1]);
    }

    #[test]
    fn decode_inverts_encode() {
        let t = toy();
        for s in ["hello world", "日本語 ✓ 🎉", "<|im_start|>user\nhi<|im_end|>", "tab\tand  spaces  ", ""] {
            assert_eq!(t.decode(&t.encode(s).unwrap()), s);
        }
    }

    #[test]
    fn stream_decoder_holds_partial_characters() {
        let mut d = StreamDecoder::new();
        let e = "é🎉".as_bytes(); // 2 + 4 bytes
        assert_eq!(d.push(&e[..1]), "");
        assert_eq!(d.push(&e[1..3]), "é");
        assert_eq!(d.push(&e[3..5]), "");
        assert_eq!(d.push(&e[5..]), "🎉");
        assert_eq!(d.push(&[0xff, b'a']), "\u{FFFD}a");
        assert_eq!(d.push(&[0xe6]), "");
        assert_eq!(d.finish(), "\u{FFFD}");
    }
}
