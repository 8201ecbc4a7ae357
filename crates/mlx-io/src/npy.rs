//! `.npy`: the magic `\x93NUMPY`, a version (1.0: u16 header length; 2.0/3.0: u32), a Python
//! dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces
//! and a newline, then the raw elements.
//!
//! Dtypes: `b1 u1 u2 u4 u8 i1 i2 i4 i8 f2 f4 f8 c8`, little- (`<`, `|`, `=`) or big-endian (`>`,
//! swapped on read). NumPy has no bfloat16: like MLX we write it as the opaque `<V2` and read
//! `V2` back as bfloat16 (NumPy loads such a file as raw 2-byte voids). complex128 and object,
//! string and structured dtypes are rejected.
//!
//! Invariant: the header length is checked against the bytes present, the header is parsed by
//! a small literal parser (no evaluation, no recursion), and the data must hold
//! `size(shape) * itemsize` bytes (overflow-checked) before it is read.
//!
//! Writing matches `mx.save` byte for byte on row-contiguous arrays (MLX marks arrays with at
//! most one non-unit axis `fortran_order: True`, as both orders coincide); other layouts are
//! written in C order.

use std::path::Path;

use mlx_core::{Axes, Dtype, Error, Result, Tensor};

use crate::cursor::Cursor;
use crate::{checked_nbytes, source_from_bytes, view_or_copy, Source};

const LOAD: &str = "load";
const SAVE: &str = "save";
const MAGIC: &[u8] = b"\x93NUMPY";

/// NumPy's type string (without byte-order mark) of `dtype`.
fn type_str(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::Bool => "b1",
        Dtype::Uint8 => "u1",
        Dtype::Uint16 => "u2",
        Dtype::Uint32 => "u4",
        Dtype::Uint64 => "u8",
        Dtype::Int8 => "i1",
        Dtype::Int16 => "i2",
        Dtype::Int32 => "i4",
        Dtype::Int64 => "i8",
        Dtype::Float16 => "f2",
        Dtype::Bfloat16 => "V2",
        Dtype::Float32 => "f4",
        Dtype::Float64 => "f8",
        Dtype::Complex64 => "c8",
    }
}

/// NumPy's `descr` of `dtype` as MLX writes it (`|` for one-byte types, `<` otherwise).
pub fn descr(dtype: Dtype) -> String {
    let order = if dtype.size() == 1 { '|' } else { '<' };
    format!("{order}{}", type_str(dtype))
}

/// Reads an `.npy` file (`mx.load("x.npy")`).
///
/// # Errors
/// `[load]` when the file cannot be read or is malformed.
pub fn load_npy(path: impl AsRef<Path>) -> Result<Tensor> {
    let src = crate::read_file(path.as_ref(), LOAD)?;
    parse(&src, 0..(*src).as_ref().len())
}

/// Reads `.npy` bytes in memory.
///
/// # Errors
/// `[load]` when the bytes are malformed.
pub fn from_bytes(bytes: &[u8]) -> Result<Tensor> {
    parse(&source_from_bytes(bytes), 0..bytes.len())
}

/// Parses the npy file in `src[range]`.
pub(crate) fn parse(src: &Source, range: std::ops::Range<usize>) -> Result<Tensor> {
    let all = (**src).as_ref();
    let bytes = all.get(range.clone()).ok_or_else(|| Error::invalid(LOAD, "Invalid byte range."))?;
    let mut cur = Cursor::new(bytes, LOAD);
    if cur.take(6, "the magic string")? != MAGIC {
        return Err(Error::invalid(LOAD, "Not an .npy file (bad magic string)."));
    }
    let (major, _minor) = (cur.u8("the version")?, cur.u8("the version")?);
    let hlen = match major {
        1 => cur.u16("the header length")? as usize,
        2 | 3 => cur.u32("the header length")? as usize,
        v => return Err(Error::invalid(LOAD, format!("Unsupported .npy version {v}."))),
    };
    let header = cur.take(hlen, "the header")?;
    let header = std::str::from_utf8(header).map_err(|_| Error::invalid(LOAD, "The header is not text."))?;
    let h = parse_header(header)?;
    let nbytes = checked_nbytes(&h.shape, h.dtype.size(), LOAD)?;
    let start = cur.pos();
    if cur.remaining() < nbytes {
        return Err(Error::invalid(
            LOAD,
            format!("File is truncated: shape {:?} of {} needs {nbytes} data bytes, {} present.", h.shape, h.dtype, cur.remaining()),
        ));
    }
    let data_range = range.start + start..range.start + start + nbytes;
    // Fortran order: the bytes are the transpose's row-major elements.
    let stored_shape: Vec<usize> = if h.fortran { h.shape.iter().rev().copied().collect() } else { h.shape.clone() };
    let t = if h.big_endian && h.dtype.size() > 1 {
        let mut b = all[data_range].to_vec();
        let unit = if h.dtype == Dtype::Complex64 { 4 } else { h.dtype.size() };
        b.chunks_exact_mut(unit).for_each(|c| c.reverse());
        Tensor::from_bytes(&b, &stored_shape, h.dtype)?
    } else {
        view_or_copy(src, data_range, &stored_shape, h.dtype, LOAD)?
    };
    if h.fortran && h.shape.len() > 1 {
        mlx_core::transpose(&t, Axes::All)
    } else {
        Ok(t)
    }
}

struct Header {
    dtype: Dtype,
    big_endian: bool,
    fortran: bool,
    shape: Vec<usize>,
}

/// A token of the header's Python literal.
#[derive(Debug, PartialEq)]
enum Tok {
    Str(String),
    Int(u64),
    True,
    False,
    Punct(char),
}

fn tokenize(s: &str) -> Result<Vec<Tok>> {
    let bad = |m: &str| Error::invalid(LOAD, format!("Malformed header: {m}."));
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {}
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | ',' => out.push(Tok::Punct(c)),
            '\'' | '"' => {
                let mut v = String::new();
                loop {
                    match it.next() {
                        Some((_, ch)) if ch == c => break,
                        Some((_, ch)) => v.push(ch),
                        None => return Err(bad("unterminated string")),
                    }
                }
                out.push(Tok::Str(v));
            }
            '0'..='9' => {
                let mut end = i + 1;
                while let Some(&(j, ch)) = it.peek() {
                    if !ch.is_ascii_digit() {
                        break;
                    }
                    end = j + 1;
                    it.next();
                }
                // Python 2 era files may write `3L`.
                if let Some(&(_, 'L')) = it.peek() {
                    it.next();
                }
                out.push(Tok::Int(s[i..end].parse().map_err(|_| bad("dimension too large"))?));
            }
            _ if c.is_ascii_alphabetic() => {
                let mut end = i + 1;
                while let Some(&(j, ch)) = it.peek() {
                    if !ch.is_ascii_alphanumeric() {
                        break;
                    }
                    end = j + 1;
                    it.next();
                }
                match &s[i..end] {
                    "True" => out.push(Tok::True),
                    "False" => out.push(Tok::False),
                    w => return Err(bad(&format!("unexpected word {w}"))),
                }
            }
            _ => return Err(bad(&format!("unexpected character {c:?}"))),
        }
    }
    Ok(out)
}

fn parse_header(s: &str) -> Result<Header> {
    let bad = |m: String| Error::invalid(LOAD, format!("Malformed header: {m}."));
    let toks = tokenize(s)?;
    let mut i = 0;
    let expect = |i: &mut usize, c: char| -> Result<()> {
        if toks.get(*i) == Some(&Tok::Punct(c)) {
            *i += 1;
            Ok(())
        } else {
            Err(bad(format!("expected '{c}'")))
        }
    };
    expect(&mut i, '{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    while toks.get(i) != Some(&Tok::Punct('}')) {
        let key = match toks.get(i) {
            Some(Tok::Str(k)) => k.clone(),
            _ => return Err(bad("expected a key".into())),
        };
        i += 1;
        expect(&mut i, ':')?;
        match key.as_str() {
            "descr" => match toks.get(i) {
                Some(Tok::Str(d)) => {
                    descr = Some(d.clone());
                    i += 1;
                }
                _ => return Err(Error::invalid(LOAD, "Unsupported descr: only simple dtypes are supported.")),
            },
            "fortran_order" => {
                fortran = Some(match toks.get(i) {
                    Some(Tok::True) => true,
                    Some(Tok::False) => false,
                    _ => return Err(bad("fortran_order is not True or False".into())),
                });
                i += 1;
            }
            "shape" => {
                let close = match toks.get(i) {
                    Some(Tok::Punct('(')) => ')',
                    Some(Tok::Punct('[')) => ']',
                    _ => return Err(bad("shape is not a tuple".into())),
                };
                i += 1;
                let mut dims = Vec::new();
                loop {
                    match toks.get(i) {
                        Some(Tok::Punct(c)) if *c == close => {
                            i += 1;
                            break;
                        }
                        Some(Tok::Int(d)) => {
                            dims.push(usize::try_from(*d).map_err(|_| bad("dimension too large".into()))?);
                            i += 1;
                            match toks.get(i) {
                                Some(Tok::Punct(',')) => i += 1,
                                Some(Tok::Punct(c)) if *c == close => {}
                                _ => return Err(bad("expected ',' in shape".into())),
                            }
                        }
                        _ => return Err(bad("shape holds a non-integer".into())),
                    }
                }
                shape = Some(dims);
            }
            k => return Err(bad(format!("unknown key '{k}'"))),
        }
        match toks.get(i) {
            Some(Tok::Punct(',')) => i += 1,
            Some(Tok::Punct('}')) => {}
            _ => return Err(bad("expected ',' or '}'".into())),
        }
    }
    let (Some(descr), Some(fortran), Some(shape)) = (descr, fortran, shape) else {
        return Err(bad("descr, fortran_order and shape are all required".into()));
    };
    let (order, ty) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('=', descr.as_str()),
    };
    let dtype = match ty {
        "b1" | "?" => Dtype::Bool,
        "u1" | "B" => Dtype::Uint8,
        "u2" => Dtype::Uint16,
        "u4" => Dtype::Uint32,
        "u8" => Dtype::Uint64,
        "i1" | "b" => Dtype::Int8,
        "i2" => Dtype::Int16,
        "i4" => Dtype::Int32,
        "i8" => Dtype::Int64,
        "f2" => Dtype::Float16,
        "V2" => Dtype::Bfloat16,
        "f4" => Dtype::Float32,
        "f8" => Dtype::Float64,
        "c8" => Dtype::Complex64,
        _ => return Err(Error::invalid(LOAD, format!("Unsupported dtype '{descr}' (MLX has no such type)."))),
    };
    Ok(Header { dtype, big_endian: order == '>', fortran, shape })
}

/// The `.npy` bytes of `array`, as `mx.save` writes them.
///
/// # Errors
/// Any error evaluating `array`.
pub fn to_bytes(array: &Tensor) -> Result<Vec<u8>> {
    let data = array.to_bytes()?;
    // Both orders coincide when at most one axis is longer than 1 (or the array is empty); MLX
    // then says Fortran (its column-contiguous flag is checked first).
    let fortran = array.size() == 0 || array.shape().iter().filter(|&&d| d > 1).count() <= 1;
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': {}, 'shape': (",
        descr(array.dtype()),
        if fortran { "True" } else { "False" }
    );
    for d in array.shape() {
        header.push_str(&format!("{d}, "));
    }
    header.push_str(")}");
    // MLX's padding rule (kept for byte-identical files): (len + 13) % 16 spaces, then '\n'.
    let pad = (header.len() + 13) % 16;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let mut out = Vec::with_capacity(12 + header.len() + data.len());
    out.extend_from_slice(MAGIC);
    if header.len() <= u16::MAX as usize {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        let len = u32::try_from(header.len()).map_err(|_| Error::invalid(SAVE, "Shape too long for an .npy header."))?;
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    Ok(out)
}

/// Writes `array` to an `.npy` file at exactly `path` (see [`crate::save`] for `mx.save`'s
/// extension rule).
///
/// # Errors
/// `[save]` when the file cannot be written; any error evaluating `array`.
pub fn save_npy(path: impl AsRef<Path>, array: &Tensor) -> Result<()> {
    crate::write_file(path.as_ref(), &to_bytes(array)?, SAVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(data);
        v
    }
    fn err(b: &[u8]) -> String {
        from_bytes(b).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn round_trip_every_dtype() {
        for d in Dtype::ALL {
            let t = Tensor::from_bytes(&vec![1u8; 6 * d.size()], &[2, 3], d).unwrap();
            let back = from_bytes(&to_bytes(&t).unwrap()).unwrap();
            assert_eq!((back.dtype(), back.shape()), (d, &[2usize, 3][..]));
            assert_eq!(back.to_bytes().unwrap(), t.to_bytes().unwrap());
        }
    }

    #[test]
    fn fortran_and_big_endian() {
        let h = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }";
        let data: Vec<u8> = (0..6i16).flat_map(|v| v.to_be_bytes()).collect();
        let t = from_bytes(&npy(h, &data)).unwrap();
        assert_eq!(t.shape(), &[2, 3]);
        assert_eq!(t.to_vec::<i16>().unwrap(), vec![0, 2, 4, 1, 3, 5]);
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(err(b"\x93NUMP").contains("truncated"));
        assert!(err(b"\x93NUMPX\x01\x00\x00\x00").contains("bad magic"));
        assert!(err(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", &[0; 4])).contains("truncated"));
        assert!(err(&npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", &[0; 16])).contains("Unsupported dtype"));
        assert!(err(&npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", &[0; 4])).contains("Unsupported descr"));
        assert!(err(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", &[])).contains("too large"));
        assert!(err(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", &[])).contains("too large"));
        assert!(err(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }", &[])).contains("too large"));
        assert!(err(&npy("{'descr': '<f4', 'shape': (1,), }", &[0; 4])).contains("required"));
        assert!(err(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", &[0; 4])).contains("Malformed"));
        let mut v = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &[0; 4]);
        v[8] = 0xff;
        assert!(err(&v).contains("truncated"));
        v[6] = 9;
        assert!(err(&v).contains("version"));
    }
}
