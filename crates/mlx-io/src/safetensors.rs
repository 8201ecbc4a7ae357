//! safetensors: an 8-byte little-endian header length `n`, `n` bytes of JSON
//! (`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//! "__metadata__": {"key": "value"}}`), then the data; offsets are relative to the data start.
//!
//! Reading maps the file and hands out arrays that view it in place where a tensor's bytes are
//! aligned for its dtype (else they are copied). Invariant: the header length is checked against
//! the file size, and every tensor's `[begin, end)` is checked to lie inside the data and to hold
//! exactly `size(shape) * itemsize` bytes (overflow-checked) before any array is made.
//!
//! Dtype strings: `BOOL U8 U16 U32 U64 I8 I16 I32 I64 F16 BF16 F32 F64 C64` (`C64` is what MLX
//! writes for complex64). MLX 0.32.4 refuses float64 here; we read and write `F64` (the
//! safetensors spec has it). Writing follows MLX byte for byte: keys sorted (`__metadata__`
//! among them, `null` when there is none), no padding, data in the order the arrays are given.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use mlx_core::{Dtype, Error, Result, Tensor};
use serde_json::Value;

use crate::{checked_nbytes, collect_arrays, source_from_bytes, view_or_copy, Arrays, Source};

const LOAD: &str = "load_safetensors";
const SAVE: &str = "save_safetensors";

/// The safetensors dtype string of `dtype`.
pub fn dtype_to_str(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::Bool => "BOOL",
        Dtype::Uint8 => "U8",
        Dtype::Uint16 => "U16",
        Dtype::Uint32 => "U32",
        Dtype::Uint64 => "U64",
        Dtype::Int8 => "I8",
        Dtype::Int16 => "I16",
        Dtype::Int32 => "I32",
        Dtype::Int64 => "I64",
        Dtype::Float16 => "F16",
        Dtype::Bfloat16 => "BF16",
        Dtype::Float32 => "F32",
        Dtype::Float64 => "F64",
        Dtype::Complex64 => "C64",
    }
}

/// The dtype of a safetensors dtype string, if MLX has it.
pub fn dtype_from_str(s: &str) -> Option<Dtype> {
    Dtype::ALL.into_iter().find(|&d| dtype_to_str(d) == s)
}

/// One tensor entry of a validated header.
struct Entry {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    /// Absolute byte range in the file, inside its bounds.
    range: std::ops::Range<usize>,
}

/// A safetensors file whose header has been validated; arrays are made on request (each a
/// zero-copy view of the file where aligned), so opening a large checkpoint and taking a few
/// tensors reads only those tensors' pages.
pub struct SafetensorsFile {
    entries: Vec<Entry>,
    pub metadata: BTreeMap<String, String>,
    src: Source,
}

impl SafetensorsFile {
    /// Memory-maps and validates a `.safetensors` file.
    ///
    /// As with every memory-mapped reader, the file must not be truncated or rewritten by
    /// another process while this or arrays made from it are alive; use
    /// [`SafetensorsFile::from_bytes`] with `std::fs::read` to work on a copy instead.
    ///
    /// # Errors
    /// `[load_safetensors]` when the file cannot be opened or is malformed.
    pub fn open(path: impl AsRef<Path>) -> Result<SafetensorsFile> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::invalid(LOAD, format!("Failed to open {}: {e}", path.display())))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < 8 {
            return SafetensorsFile::parse(crate::read_file(path, LOAD)?);
        }
        // SAFETY: `Mmap::map` is unsafe because the mapped bytes could change, or the file
        // shrink, under us if another process writes it; we rely on the documented contract of
        // this function (the file is not modified while its arrays live), as every mmap-based
        // loader does. The map is read-only and every access to it goes through bounds-checked
        // slices of `&[u8]`.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::invalid(LOAD, format!("Failed to map {}: {e}", path.display())))?;
        SafetensorsFile::parse(Arc::new(map))
    }

    /// Validates safetensors bytes in memory (copied once into an aligned buffer).
    ///
    /// # Errors
    /// `[load_safetensors]` when the bytes are malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<SafetensorsFile> {
        SafetensorsFile::parse(source_from_bytes(bytes))
    }

    fn parse(src: Source) -> Result<SafetensorsFile> {
        let (entries, metadata) = parse_header((*src).as_ref())?;
        Ok(SafetensorsFile { entries, metadata, src })
    }

    /// The tensor names, in header order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The dtype and shape of `name`, without making the array.
    pub fn info(&self, name: &str) -> Option<(Dtype, &[usize])> {
        self.entries.iter().find(|e| e.name == name).map(|e| (e.dtype, &e.shape[..]))
    }

    /// The array `name`.
    ///
    /// # Errors
    /// `[load_safetensors]` when there is no such tensor.
    pub fn tensor(&self, name: &str) -> Result<Tensor> {
        let e = self.entries.iter().find(|e| e.name == name).ok_or_else(|| bad(format!("No tensor named '{name}'.")))?;
        view_or_copy(&self.src, e.range.clone(), &e.shape, e.dtype, LOAD)
    }

    /// Every array, by name.
    ///
    /// # Errors
    /// As [`SafetensorsFile::tensor`].
    pub fn arrays(&self) -> Result<Arrays> {
        let mut arrays = Arrays::new();
        for e in &self.entries {
            arrays.insert(e.name.clone(), view_or_copy(&self.src, e.range.clone(), &e.shape, e.dtype, LOAD)?);
        }
        Ok(arrays)
    }
}

/// Loads a `.safetensors` file (`mx.load(path, return_metadata=True)`): the arrays and the
/// string metadata. The file is memory-mapped (see [`SafetensorsFile::open`] for the contract);
/// arrays view the mapping where aligned.
///
/// # Errors
/// `[load_safetensors]` when the file cannot be opened or is malformed.
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<(Arrays, BTreeMap<String, String>)> {
    let f = SafetensorsFile::open(path)?;
    Ok((f.arrays()?, f.metadata))
}

/// Loads safetensors from bytes in memory (copied once into an aligned buffer the arrays view).
///
/// # Errors
/// `[load_safetensors]` when the bytes are malformed.
pub fn load_safetensors_bytes(bytes: &[u8]) -> Result<(Arrays, BTreeMap<String, String>)> {
    let f = SafetensorsFile::from_bytes(bytes)?;
    Ok((f.arrays()?, f.metadata))
}

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid(LOAD, msg)
}

fn parse_header(bytes: &[u8]) -> Result<(Vec<Entry>, BTreeMap<String, String>)> {
    let mut cur = crate::cursor::Cursor::new(bytes, LOAD);
    let n = cur.u64("the header length")?;
    let n = usize::try_from(n).ok().filter(|&n| n <= cur.remaining()).ok_or_else(|| {
        bad(format!("Header length {n} exceeds the {} bytes after it.", cur.remaining()))
    })?;
    let header = cur.take(n, "the header")?;
    let data_start = cur.pos();
    let data_len = cur.remaining();
    let json: Value = serde_json::from_slice(header).map_err(|e| bad(format!("Invalid JSON header: {e}")))?;
    let Value::Object(map) = json else { return Err(bad("The header is not a JSON object.")) };
    let mut metadata = BTreeMap::new();
    let mut entries = Vec::new();
    for (name, v) in map {
        if name == "__metadata__" {
            match v {
                Value::Null => {}
                Value::Object(m) => {
                    for (k, v) in m {
                        let Value::String(s) = v else { return Err(bad(format!("Metadata value of '{k}' is not a string."))) };
                        metadata.insert(k, s);
                    }
                }
                _ => return Err(bad("__metadata__ is not an object.")),
            }
            continue;
        }
        let Value::Object(info) = v else { return Err(bad(format!("Entry '{name}' is not an object."))) };
        let dtype_str = info.get("dtype").and_then(Value::as_str).ok_or_else(|| bad(format!("Entry '{name}' has no dtype.")))?;
        let dtype = dtype_from_str(dtype_str).ok_or_else(|| bad(format!("Unsupported dtype {dtype_str} of '{name}'.")))?;
        let shape_v = info.get("shape").and_then(Value::as_array).ok_or_else(|| bad(format!("Entry '{name}' has no shape.")))?;
        let shape = shape_v
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| bad(format!("Shape of '{name}' is not a list of non-negative integers.")))?;
        let offs = info
            .get("data_offsets")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
            .ok_or_else(|| bad(format!("Entry '{name}' has no data_offsets [begin, end].")))?;
        let nbytes = checked_nbytes(&shape, dtype.size(), LOAD)?;
        let (b, e) = offs;
        if b > e || e > data_len as u64 {
            return Err(bad(format!("Offsets [{b}, {e}] of '{name}' lie outside the {data_len} data bytes.")));
        }
        // In range of usize: both are <= data_len.
        let (b, e) = (b as usize, e as usize);
        if e - b != nbytes {
            return Err(bad(format!("'{name}' has {} data bytes but shape {shape:?} of {dtype} needs {nbytes}.", e - b)));
        }
        entries.push(Entry { name, dtype, shape, range: data_start + b..data_start + e });
    }
    Ok((entries, metadata))
}

/// Saves arrays and string metadata as safetensors (`mx.save_safetensors`).
///
/// # Errors
/// `[save_safetensors]` for a duplicate name or the reserved name `__metadata__`, and any error
/// evaluating the arrays.
pub fn save_safetensors<K: AsRef<str>, T: AsRef<Tensor>>(
    path: impl AsRef<Path>,
    arrays: impl IntoIterator<Item = (K, T)>,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let bytes = to_bytes(arrays, metadata)?;
    crate::write_file(path.as_ref(), &bytes, SAVE)
}

/// The bytes of a safetensors file holding `arrays` (data in the order given) and `metadata`.
///
/// # Errors
/// As [`save_safetensors`].
pub fn to_bytes<K: AsRef<str>, T: AsRef<Tensor>>(
    arrays: impl IntoIterator<Item = (K, T)>,
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let arrays = collect_arrays(arrays);
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""));
    let mut entries: BTreeMap<String, String> = BTreeMap::new();
    let mut data = Vec::new();
    for (name, t) in &arrays {
        if name == "__metadata__" {
            return Err(Error::invalid(SAVE, "The name __metadata__ is reserved."));
        }
        let bytes = t.to_bytes()?;
        let (b, e) = (data.len(), data.len() + bytes.len());
        data.extend_from_slice(&bytes);
        let shape: Vec<String> = t.shape().iter().map(|d| d.to_string()).collect();
        let v = format!("{{\"data_offsets\":[{b},{e}],\"dtype\":\"{}\",\"shape\":[{}]}}", dtype_to_str(t.dtype()), shape.join(","));
        if entries.insert(name.clone(), v).is_some() {
            return Err(Error::invalid(SAVE, format!("Duplicate array name '{name}'.")));
        }
    }
    let meta = if metadata.is_empty() {
        "null".to_string()
    } else {
        let kv: Vec<String> = metadata.iter().map(|(k, v)| format!("{}:{}", q(k), q(v))).collect();
        format!("{{{}}}", kv.join(","))
    };
    entries.insert("__metadata__".to_string(), meta);
    let body: Vec<String> = entries.iter().map(|(k, v)| format!("{}:{v}", q(k))).collect();
    let header = format!("{{{}}}", body.join(","));
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(data);
        v
    }

    fn err(bytes: &[u8]) -> String {
        load_safetensors_bytes(bytes).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn round_trip_every_dtype() {
        let mut arrays = Vec::new();
        for d in Dtype::ALL {
            let t = Tensor::from_bytes(&vec![1u8; 3 * d.size()], &[3], d).unwrap();
            arrays.push((d.name().to_string(), t));
        }
        let meta = BTreeMap::from([("k".to_string(), "v\"\n".to_string())]);
        let bytes = to_bytes(arrays.iter().map(|(k, t)| (k, t)), &meta).unwrap();
        let (back, m) = load_safetensors_bytes(&bytes).unwrap();
        assert_eq!(m, meta);
        for (k, t) in &arrays {
            assert_eq!(back[k].dtype(), t.dtype());
            assert_eq!(back[k].to_bytes().unwrap(), t.to_bytes().unwrap());
        }
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(err(&[1, 2, 3]).starts_with("[load_safetensors] File is truncated"));
        assert!(err(&file("{}", &[])[..9]).contains("exceeds"));
        assert!(err(&[255; 16]).contains("exceeds"));
        assert!(err(&file("{not json", &[])).contains("Invalid JSON"));
        assert!(err(&file("[]", &[])).contains("not a JSON object"));
        let h = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        assert!(err(&file(h, &[0; 4])).contains("outside"));
        let h = r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#;
        assert!(err(&file(h, &[0; 8])).contains("needs 12"));
        let h = r#"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#;
        assert!(err(&file(h, &[0; 1])).contains("Unsupported dtype F8_E4M3"));
        let h = r#"{"a":{"dtype":"F32","shape":[18446744073709551615,4],"data_offsets":[0,8]}}"#;
        assert!(err(&file(h, &[0; 8])).contains("too large"));
        let h = r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#;
        assert!(err(&file(h, &[0; 8])).contains("non-negative"));
        let h = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#;
        assert!(err(&file(h, &[0; 8])).contains("outside"));
        let h = r#"{"__metadata__":{"a":1}}"#;
        assert!(err(&file(h, &[])).contains("not a string"));
    }

    #[test]
    fn unaligned_data_is_copied_and_bools_normalized() {
        let h = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[1,5]},"b":{"dtype":"BOOL","shape":[2],"data_offsets":[5,7]}}"#;
        let (a, _) = load_safetensors_bytes(&file(h, &[9, 0, 0, 128, 63, 0, 5])).unwrap();
        assert_eq!(a["a"].to_vec::<f32>().unwrap(), vec![1.0]);
        assert_eq!(a["b"].to_vec::<bool>().unwrap(), vec![false, true]);
    }

    #[test]
    fn file_gives_arrays_on_request() {
        let t = Tensor::from_slice(&[1i16, 2, 3], &[3]).unwrap();
        let f = SafetensorsFile::from_bytes(&to_bytes([("x", &t)], &BTreeMap::new()).unwrap()).unwrap();
        assert_eq!(f.names().collect::<Vec<_>>(), vec!["x"]);
        assert_eq!(f.info("x"), Some((Dtype::Int16, &[3usize][..])));
        assert_eq!(f.tensor("x").unwrap().to_vec::<i16>().unwrap(), vec![1, 2, 3]);
        assert!(f.tensor("y").unwrap_err().to_string().contains("No tensor named 'y'"));
    }

    #[test]
    fn save_rejects_duplicates_and_reserved_names() {
        let t = Tensor::from_slice(&[1.0f32], &[1]).unwrap();
        assert!(to_bytes([("a", &t), ("a", &t)], &BTreeMap::new()).is_err());
        assert!(to_bytes([("__metadata__", &t)], &BTreeMap::new()).is_err());
    }
}
