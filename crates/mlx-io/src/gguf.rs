//! GGUF (llama.cpp's format), versions 2 and 3: the magic `GGUF`, a u32 version, u64 tensor and
//! metadata counts, the metadata (`key`, u32 value type, value; strings are a u64 length and
//! UTF-8 bytes; arrays a u32 element type, a u64 count and the elements), the tensor infos (name,
//! u32 dimension count, u64 dimensions fastest-first, u32 ggml type, u64 offset), padding to
//! `general.alignment` (default 32), then the data.
//!
//! Shapes: ggml lists dimensions fastest-first; arrays here are row-major, so `shape` is the
//! reverse (as MLX loads them). Tensor types F32, F16, BF16, F64, I8, I16, I32, I64 load as
//! arrays of that dtype, viewing the file in place where aligned. Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
//! and Q8_1 load dequantized to float32; [`GgufFile::raw_data`] gives their raw blocks (MLX
//! instead repacks Q4_0/Q4_1/Q8_0 into its own affine quantization, `w`, `w.scales`,
//! `w.biases`). K-quants and other types are reported as unsupported when loaded.
//!
//! Invariant: every count, length, dimension and offset is checked against the bytes present
//! (overflow-checked) before it is used; nothing is allocated from a count the file claims until
//! the bytes backing it have been seen; nested arrays are limited to depth 8 (no deep
//! recursion).

use std::collections::BTreeMap;
use std::path::Path;

use mlx_core::{Dtype, Error, Result, Tensor};

use crate::cursor::Cursor;
use crate::{checked_nbytes, collect_arrays, source_from_bytes, view_or_copy, Arrays, Metadata, Source};

const LOAD: &str = "load_gguf";
const SAVE: &str = "save_gguf";
const MAGIC: &[u8; 4] = b"GGUF";
const MAX_DIMS: usize = 4;
const MAX_DEPTH: usize = 8;
const DEFAULT_ALIGNMENT: u64 = 32;

/// The type of a metadata value (GGUF's `gguf_metadata_value_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaType {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
}

impl MetaType {
    fn from_u32(v: u32) -> Option<MetaType> {
        use MetaType::*;
        [U8, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64].into_iter().find(|t| *t as u32 == v)
    }
}

/// A metadata value: every GGUF value type (safetensors metadata are all `String`).
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    /// Elements all of type `elem` (kept so empty arrays round-trip).
    Array { elem: MetaType, values: Vec<MetaValue> },
    U64(u64),
    I64(i64),
    F64(f64),
}

impl MetaValue {
    pub fn meta_type(&self) -> MetaType {
        match self {
            MetaValue::U8(_) => MetaType::U8,
            MetaValue::I8(_) => MetaType::I8,
            MetaValue::U16(_) => MetaType::U16,
            MetaValue::I16(_) => MetaType::I16,
            MetaValue::U32(_) => MetaType::U32,
            MetaValue::I32(_) => MetaType::I32,
            MetaValue::F32(_) => MetaType::F32,
            MetaValue::Bool(_) => MetaType::Bool,
            MetaValue::String(_) => MetaType::String,
            MetaValue::Array { .. } => MetaType::Array,
            MetaValue::U64(_) => MetaType::U64,
            MetaValue::I64(_) => MetaType::I64,
            MetaValue::F64(_) => MetaType::F64,
        }
    }
    /// The string, for `String` values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A ggml tensor type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    I8,
    I16,
    I32,
    I64,
    F64,
    BF16,
    /// Any other id (K-quants, IQ types, ...): listed, but not loadable as an array.
    Other(u32),
}

impl GgmlType {
    pub fn from_id(id: u32) -> GgmlType {
        use GgmlType::*;
        match id {
            0 => F32,
            1 => F16,
            2 => Q4_0,
            3 => Q4_1,
            6 => Q5_0,
            7 => Q5_1,
            8 => Q8_0,
            9 => Q8_1,
            24 => I8,
            25 => I16,
            26 => I32,
            27 => I64,
            28 => F64,
            30 => BF16,
            other => Other(other),
        }
    }
    pub fn id(self) -> u32 {
        use GgmlType::*;
        match self {
            F32 => 0,
            F16 => 1,
            Q4_0 => 2,
            Q4_1 => 3,
            Q5_0 => 6,
            Q5_1 => 7,
            Q8_0 => 8,
            Q8_1 => 9,
            I8 => 24,
            I16 => 25,
            I32 => 26,
            I64 => 27,
            F64 => 28,
            BF16 => 30,
            Other(id) => id,
        }
    }
    /// (values per block, bytes per block), for the types this crate can load.
    pub fn block(self) -> Option<(usize, usize)> {
        use GgmlType::*;
        Some(match self {
            F32 => (1, 4),
            F16 | BF16 | I16 => (1, 2),
            I8 => (1, 1),
            I32 => (1, 4),
            I64 | F64 => (1, 8),
            Q4_0 => (32, 18),
            Q4_1 => (32, 20),
            Q5_0 => (32, 22),
            Q5_1 => (32, 24),
            Q8_0 => (32, 34),
            Q8_1 => (32, 36),
            Other(_) => return None,
        })
    }
    /// The dtype an unquantized type loads as (`None` for block-quantized types).
    pub fn dtype(self) -> Option<Dtype> {
        use GgmlType::*;
        Some(match self {
            F32 => Dtype::Float32,
            F16 => Dtype::Float16,
            BF16 => Dtype::Bfloat16,
            F64 => Dtype::Float64,
            I8 => Dtype::Int8,
            I16 => Dtype::Int16,
            I32 => Dtype::Int32,
            I64 => Dtype::Int64,
            _ => return None,
        })
    }
    fn from_dtype(dtype: Dtype) -> Option<GgmlType> {
        use GgmlType::*;
        Some(match dtype {
            Dtype::Float32 => F32,
            Dtype::Float16 => F16,
            Dtype::Bfloat16 => BF16,
            Dtype::Float64 => F64,
            Dtype::Int8 => I8,
            Dtype::Int16 => I16,
            Dtype::Int32 => I32,
            Dtype::Int64 => I64,
            _ => return None,
        })
    }
}

/// One tensor listed in a GGUF file.
#[derive(Debug, Clone)]
pub struct GgufTensor {
    pub name: String,
    pub ggml_type: GgmlType,
    /// Row-major shape (the file's dimensions reversed).
    pub shape: Vec<usize>,
    /// The tensor's bytes in the file: `None` for types whose size is unknown (`Other`),
    /// else checked to lie inside the file.
    range: Option<std::ops::Range<usize>>,
}

/// A parsed GGUF file: metadata and tensor infos, validated; arrays are made on request.
pub struct GgufFile {
    pub version: u32,
    pub metadata: Metadata,
    pub tensors: Vec<GgufTensor>,
    pub alignment: u64,
    src: Source,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid(LOAD, msg)
}

fn read_string(c: &mut Cursor<'_>) -> Result<String> {
    let n = c.u64("a string length")?;
    let n = usize::try_from(n).ok().filter(|&n| n <= c.remaining()).ok_or_else(|| {
        bad(format!("String length {n} exceeds the {} bytes left.", c.remaining()))
    })?;
    let b = c.take(n, "a string")?;
    String::from_utf8(b.to_vec()).map_err(|_| bad("A string is not valid UTF-8."))
}

fn read_value(c: &mut Cursor<'_>, t: MetaType, depth: usize) -> Result<MetaValue> {
    Ok(match t {
        MetaType::U8 => MetaValue::U8(c.u8("a value")?),
        MetaType::I8 => MetaValue::I8(c.u8("a value")? as i8),
        MetaType::U16 => MetaValue::U16(c.u16("a value")?),
        MetaType::I16 => MetaValue::I16(c.u16("a value")? as i16),
        MetaType::U32 => MetaValue::U32(c.u32("a value")?),
        MetaType::I32 => MetaValue::I32(c.u32("a value")? as i32),
        MetaType::F32 => MetaValue::F32(f32::from_bits(c.u32("a value")?)),
        MetaType::Bool => MetaValue::Bool(c.u8("a value")? != 0),
        MetaType::String => MetaValue::String(read_string(c)?),
        MetaType::U64 => MetaValue::U64(c.u64("a value")?),
        MetaType::I64 => MetaValue::I64(c.u64("a value")? as i64),
        MetaType::F64 => MetaValue::F64(f64::from_bits(c.u64("a value")?)),
        MetaType::Array => {
            if depth >= MAX_DEPTH {
                return Err(bad("Metadata arrays are nested too deeply."));
            }
            let et = c.u32("an array type")?;
            let elem = MetaType::from_u32(et).ok_or_else(|| bad(format!("Unknown metadata value type {et}.")))?;
            let n = c.u64("an array length")?;
            // Every element takes at least one byte: a count beyond the bytes left is bad.
            if n > c.remaining() as u64 {
                return Err(bad(format!("Array length {n} exceeds the {} bytes left.", c.remaining())));
            }
            let mut values = Vec::new();
            for _ in 0..n {
                values.push(read_value(c, elem, depth + 1)?);
            }
            MetaValue::Array { elem, values }
        }
    })
}

impl GgufFile {
    /// Reads and validates a `.gguf` file.
    ///
    /// # Errors
    /// `[load_gguf]` when the file cannot be read or is malformed.
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile> {
        GgufFile::parse(crate::read_file(path.as_ref(), LOAD)?)
    }

    /// Parses GGUF bytes in memory.
    ///
    /// # Errors
    /// `[load_gguf]` when the bytes are malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<GgufFile> {
        GgufFile::parse(source_from_bytes(bytes))
    }

    fn parse(src: Source) -> Result<GgufFile> {
        let bytes = (*src).as_ref();
        let mut c = Cursor::new(bytes, LOAD);
        if c.take(4, "the magic")? != MAGIC {
            return Err(bad("Not a GGUF file (bad magic)."));
        }
        let version = c.u32("the version")?;
        if version != 2 && version != 3 {
            return Err(bad(format!("Unsupported GGUF version {version} (2 and 3 are supported).")));
        }
        let n_tensors = c.u64("the tensor count")?;
        let n_kv = c.u64("the metadata count")?;
        let mut metadata = Metadata::new();
        for _ in 0..n_kv {
            let key = read_string(&mut c)?;
            let t = c.u32("a value type")?;
            let t = MetaType::from_u32(t).ok_or_else(|| bad(format!("Unknown metadata value type {t} of '{key}'.")))?;
            let v = read_value(&mut c, t, 0)?;
            metadata.insert(key, v);
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(MetaValue::U32(a)) if *a > 0 => *a as u64,
            Some(_) => return Err(bad("general.alignment must be a positive u32.")),
        };
        let mut infos = Vec::new();
        for _ in 0..n_tensors {
            let name = read_string(&mut c)?;
            let nd = c.u32("a dimension count")? as usize;
            if nd > MAX_DIMS {
                return Err(bad(format!("Tensor '{name}' has {nd} dimensions (at most {MAX_DIMS}).")));
            }
            let mut dims = Vec::with_capacity(nd);
            for _ in 0..nd {
                let d = c.u64("a dimension")?;
                dims.push(usize::try_from(d).map_err(|_| bad(format!("Dimension {d} of '{name}' is too large.")))?);
            }
            let ty = GgmlType::from_id(c.u32("a tensor type")?);
            let off = c.u64("a tensor offset")?;
            infos.push((name, dims, ty, off));
        }
        let pos = c.pos() as u64;
        let data_start = pos.div_ceil(alignment).checked_mul(alignment).filter(|&s| s <= bytes.len() as u64);
        let mut tensors = Vec::new();
        for (name, dims, ty, off) in infos {
            let shape: Vec<usize> = dims.iter().rev().copied().collect();
            let range = match ty.block() {
                None => None,
                Some((per_block, block_bytes)) => {
                    if dims.first().is_some_and(|&d0| d0 % per_block != 0) {
                        return Err(bad(format!("Row length {} of '{name}' is not a multiple of the {per_block}-value block.", dims[0])));
                    }
                    let n = checked_nbytes(&shape, 1, LOAD)?;
                    let nbytes = (n / per_block)
                        .checked_mul(block_bytes)
                        .ok_or_else(|| bad(format!("Tensor '{name}' is too large.")))?;
                    let start = data_start.ok_or_else(|| bad("The tensor data section lies past the end of the file."))?;
                    let b = start.checked_add(off);
                    let e = b.and_then(|b| b.checked_add(nbytes as u64));
                    match (b, e) {
                        (Some(b), Some(e)) if e <= bytes.len() as u64 => Some(b as usize..e as usize),
                        _ => {
                            return Err(bad(format!(
                                "Data of '{name}' (offset {off}, {nbytes} bytes) lies past the end of the file."
                            )))
                        }
                    }
                }
            };
            tensors.push(GgufTensor { name, ggml_type: ty, shape, range });
        }
        Ok(GgufFile { version, metadata, tensors, alignment, src })
    }

    /// The raw bytes of `t` (quantized blocks for Q types), or `None` for an unsupported type.
    pub fn raw_data(&self, t: &GgufTensor) -> Option<&[u8]> {
        (*self.src).as_ref().get(t.range.clone()?)
    }

    /// The array of `t`: its own dtype for unquantized types, float32 for quantized ones.
    ///
    /// # Errors
    /// `[load_gguf]` for an unsupported tensor type.
    pub fn tensor(&self, t: &GgufTensor) -> Result<Tensor> {
        let range = t.range.clone().ok_or_else(|| bad(format!("Tensor '{}' has unsupported ggml type {:?}.", t.name, t.ggml_type)))?;
        if let Some(dtype) = t.ggml_type.dtype() {
            return view_or_copy(&self.src, range, &t.shape, dtype, LOAD);
        }
        let raw = (*self.src).as_ref().get(range).ok_or_else(|| bad("Tensor data out of bounds."))?;
        let values = match t.ggml_type {
            GgmlType::Q4_0 => crate::ggml::dequant_q4_0(raw),
            GgmlType::Q4_1 => crate::ggml::dequant_q4_1(raw),
            GgmlType::Q5_0 => crate::ggml::dequant_q5_0(raw),
            GgmlType::Q5_1 => crate::ggml::dequant_q5_1(raw),
            GgmlType::Q8_0 => crate::ggml::dequant_q8_0(raw),
            GgmlType::Q8_1 => crate::ggml::dequant_q8_1(raw),
            other => return Err(bad(format!("Tensor '{}' has unsupported ggml type {other:?}.", t.name))),
        };
        Tensor::from_slice(&values, &t.shape).map_err(|e| bad(e.to_string()))
    }

    /// Every tensor as an array (see [`GgufFile::tensor`]).
    ///
    /// # Errors
    /// As [`GgufFile::tensor`]; names must be unique.
    pub fn arrays(&self) -> Result<Arrays> {
        let mut out = Arrays::new();
        for t in &self.tensors {
            if out.insert(t.name.clone(), self.tensor(t)?).is_some() {
                return Err(bad(format!("Duplicate tensor name '{}'.", t.name)));
            }
        }
        Ok(out)
    }
}

/// Loads a `.gguf` file (`mx.load(path, return_metadata=True)`): arrays (quantized tensors
/// dequantized to float32) and metadata.
///
/// # Errors
/// `[load_gguf]` when the file cannot be read, is malformed, or holds an unsupported type.
pub fn load_gguf(path: impl AsRef<Path>) -> Result<(Arrays, Metadata)> {
    let f = GgufFile::open(path)?;
    Ok((f.arrays()?, f.metadata))
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &MetaValue, key: &str) -> Result<()> {
    match v {
        MetaValue::U8(x) => out.push(*x),
        MetaValue::I8(x) => out.push(*x as u8),
        MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(*x as u8),
        MetaValue::String(s) => put_string(out, s),
        MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Array { elem, values } => {
            out.extend_from_slice(&(*elem as u32).to_le_bytes());
            out.extend_from_slice(&(values.len() as u64).to_le_bytes());
            for x in values {
                if x.meta_type() != *elem {
                    return Err(Error::invalid(SAVE, format!("Array '{key}' of {elem:?} holds a {:?}.", x.meta_type())));
                }
                put_value(out, x, key)?;
            }
        }
    }
    Ok(())
}

/// The bytes of a GGUF v3 file holding `arrays` (float32, float16, bfloat16, float64, int8,
/// int16, int32, int64; at most 4 dimensions) and `metadata`, data aligned to
/// `general.alignment` (32 unless the metadata sets it).
///
/// # Errors
/// `[save_gguf]` for another dtype, more than 4 dimensions, a duplicate name, or an array
/// metadata value whose elements differ from its element type.
pub fn to_bytes<K: AsRef<str>, T: AsRef<Tensor>>(arrays: impl IntoIterator<Item = (K, T)>, metadata: &Metadata) -> Result<Vec<u8>> {
    let arrays = collect_arrays(arrays);
    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT as usize,
        Some(MetaValue::U32(a)) if *a > 0 => *a as usize,
        Some(_) => return Err(Error::invalid(SAVE, "general.alignment must be a positive u32.")),
    };
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(arrays.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (k, v) in metadata {
        put_string(&mut out, k);
        out.extend_from_slice(&(v.meta_type() as u32).to_le_bytes());
        put_value(&mut out, v, k)?;
    }
    let mut data = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, t) in &arrays {
        if !seen.insert(name.as_str()) {
            return Err(Error::invalid(SAVE, format!("Duplicate array name '{name}'.")));
        }
        let ty = GgmlType::from_dtype(t.dtype()).ok_or_else(|| Error::invalid(SAVE, format!("dtype {} is not supported", t.dtype())))?;
        if t.ndim() > MAX_DIMS {
            return Err(Error::invalid(SAVE, format!("'{name}' has {} dimensions; gguf holds at most {MAX_DIMS}.", t.ndim())));
        }
        put_string(&mut out, name);
        out.extend_from_slice(&(t.ndim() as u32).to_le_bytes());
        for &d in t.shape().iter().rev() {
            out.extend_from_slice(&(d as u64).to_le_bytes());
        }
        out.extend_from_slice(&ty.id().to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        data.extend_from_slice(&t.to_bytes()?);
        data.resize(data.len().div_ceil(alignment) * alignment, 0);
    }
    out.resize(out.len().div_ceil(alignment) * alignment, 0);
    out.extend_from_slice(&data);
    Ok(out)
}

/// Saves `arrays` and `metadata` as GGUF (`mx.save_gguf`); see [`to_bytes`].
///
/// # Errors
/// As [`to_bytes`], and `[save_gguf]` when the file cannot be written.
pub fn save_gguf<K: AsRef<str>, T: AsRef<Tensor>>(
    path: impl AsRef<Path>,
    arrays: impl IntoIterator<Item = (K, T)>,
    metadata: &Metadata,
) -> Result<()> {
    crate::write_file(path.as_ref(), &to_bytes(arrays, metadata)?, SAVE)
}

/// Converts a string map (safetensors metadata) into GGUF metadata.
pub fn string_metadata(m: &BTreeMap<String, String>) -> Metadata {
    m.iter().map(|(k, v)| (k.clone(), MetaValue::String(v.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(version: u32, n_tensors: u64, n_kv: u64) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&version.to_le_bytes());
        v.extend_from_slice(&n_tensors.to_le_bytes());
        v.extend_from_slice(&n_kv.to_le_bytes());
        v
    }
    fn err(b: &[u8]) -> String {
        GgufFile::from_bytes(b).and_then(|f| f.arrays()).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn round_trip_with_every_value_type() {
        let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        let b = Tensor::from_slice(&[-1i64, 7], &[2]).unwrap();
        let mut meta = Metadata::new();
        meta.insert("u8".into(), MetaValue::U8(1));
        meta.insert("i8".into(), MetaValue::I8(-1));
        meta.insert("u16".into(), MetaValue::U16(2));
        meta.insert("i16".into(), MetaValue::I16(-2));
        meta.insert("u32".into(), MetaValue::U32(3));
        meta.insert("i32".into(), MetaValue::I32(-3));
        meta.insert("f32".into(), MetaValue::F32(0.5));
        meta.insert("bool".into(), MetaValue::Bool(true));
        meta.insert("str".into(), MetaValue::String("héllo".into()));
        meta.insert("u64".into(), MetaValue::U64(u64::MAX));
        meta.insert("i64".into(), MetaValue::I64(i64::MIN));
        meta.insert("f64".into(), MetaValue::F64(-0.25));
        let strs = vec![MetaValue::String("a".into()), MetaValue::String("".into())];
        meta.insert("strs".into(), MetaValue::Array { elem: MetaType::String, values: strs });
        meta.insert("empty".into(), MetaValue::Array { elem: MetaType::F64, values: vec![] });
        let nested = MetaValue::Array { elem: MetaType::I32, values: vec![MetaValue::I32(1)] };
        meta.insert("nested".into(), MetaValue::Array { elem: MetaType::Array, values: vec![nested] });
        let bytes = to_bytes([("a", &a), ("b", &b)], &meta).unwrap();
        let f = GgufFile::from_bytes(&bytes).unwrap();
        assert_eq!(f.metadata, meta);
        let arrs = f.arrays().unwrap();
        assert_eq!(arrs["a"].shape(), &[2, 3]);
        assert_eq!(arrs["a"].to_vec::<f32>().unwrap(), a.to_vec::<f32>().unwrap());
        assert_eq!(arrs["b"].to_vec::<i64>().unwrap(), vec![-1, 7]);
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(err(b"GGU").contains("truncated"));
        assert!(err(b"GGML\x03\0\0\0").contains("bad magic"));
        assert!(err(&header(1, 0, 0)).contains("version 1"));
        assert!(err(&header(3, 0, 1)).contains("truncated"));
        // Counts far past the file: errors, no huge allocation.
        assert!(err(&header(3, u64::MAX, u64::MAX)).contains("truncated"));
        let mut v = header(3, 0, 1);
        v.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(err(&v).contains("String length"));
        let mut v = header(3, 0, 1);
        put_string(&mut v, "k");
        v.extend_from_slice(&9u32.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(err(&v).contains("Array length"));
        let mut v = header(3, 0, 1);
        put_string(&mut v, "k");
        v.extend_from_slice(&77u32.to_le_bytes());
        assert!(err(&v).contains("Unknown metadata value type 77"));
        // A tensor whose data lies past the end, one with absurd dims, an unsupported type.
        let tensor = |dims: &[u64], ty: u32, off: u64| {
            let mut v = header(3, 1, 0);
            put_string(&mut v, "t");
            v.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            dims.iter().for_each(|d| v.extend_from_slice(&d.to_le_bytes()));
            v.extend_from_slice(&ty.to_le_bytes());
            v.extend_from_slice(&off.to_le_bytes());
            let n = (v.len().div_ceil(32) + 1) * 32;
            v.resize(n, 0);
            v
        };
        assert!(err(&tensor(&[64], 0, 0)).contains("past the end"));
        assert!(err(&tensor(&[1], 0, u64::MAX)).contains("past the end"));
        assert!(err(&tensor(&[u64::MAX, u64::MAX], 0, 0)).contains("too large"));
        assert!(err(&tensor(&[1, 1, 1, 1, 1], 0, 0)).contains("dimensions"));
        assert!(err(&tensor(&[31], 2, 0)).contains("multiple"));
        assert!(err(&tensor(&[1], 12, 0)).contains("unsupported ggml type"));
        assert!(err(&tensor(&[1], 0, 0)).is_empty(), "a valid 1-element tensor loads");
    }

    #[test]
    fn version_2_reads_like_version_3() {
        let a = Tensor::from_slice(&[0.5f32, -1.0], &[2]).unwrap();
        let mut meta = Metadata::new();
        meta.insert("k".into(), MetaValue::String("v".into()));
        let mut bytes = to_bytes([("a", &a)], &meta).unwrap();
        bytes[4] = 2;
        let f = GgufFile::from_bytes(&bytes).unwrap();
        assert_eq!((f.version, f.metadata.clone()), (2, meta));
        assert_eq!(f.arrays().unwrap()["a"].to_vec::<f32>().unwrap(), vec![0.5, -1.0]);
    }

    #[test]
    fn save_rejects_unsupported_dtypes() {
        let t = Tensor::from_slice(&[true], &[1]).unwrap();
        assert_eq!(to_bytes([("t", &t)], &Metadata::new()).unwrap_err().to_string(), "[save_gguf] dtype bool is not supported");
    }
}
