//! mlx-io: reading and writing arrays in the formats MLX reads and writes (`mx.load`,
//! `mx.save`, `mx.savez`, `mx.savez_compressed`, `mx.save_safetensors`, `mx.save_gguf`).
//!
//! | format | read | write |
//! | --- | --- | --- |
//! | `.npy` ([`npy`]) | every MLX dtype NumPy has, C and Fortran order, either byte order; bf16 as `<V2` like MLX | byte-identical to `mx.save` for row-contiguous arrays |
//! | `.npz` ([`npz`]) | stored and deflated members, zip64 | stored (byte-identical to `mx.savez`) or deflated |
//! | `.safetensors` ([`safetensors`]) | memory-mapped, zero-copy where aligned, arrays made on request ([`SafetensorsFile`]); all 14 dtypes incl. `C64`, `F64` | byte-identical to `mx.save_safetensors` |
//! | `.gguf` ([`gguf`]) | v2/v3, every metadata type; F32/F16/BF16/F64/I8-I64 tensors, Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 dequantized to f32 (raw blocks kept) | F32/F16/BF16/F64/I8-I64 + metadata |
//!
//! [`load`] and [`save`]/[`save_arrays`] pick the format from the file extension like `mx.load`
//! and `mx.save`; each format module also reads and writes bytes in memory.
//!
//! ```
//! use mlx_core::Tensor;
//! let a = Tensor::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
//! let bytes = mlx_io::safetensors::to_bytes([("a", &a)], &Default::default()).unwrap();
//! let (arrays, _meta) = mlx_io::safetensors::load_safetensors_bytes(&bytes).unwrap();
//! assert_eq!(arrays["a"].to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
//! ```
//!
//! Invariant, for every parser: input bytes are untrusted. Every length, count, offset and shape
//! read from a file is checked (with overflow-checked arithmetic) against the bytes actually
//! present before anything is sliced or allocated, so a bad file gives a `[load_*]` error and
//! never a panic, an out-of-bounds read or a huge allocation. `tests/fuzz.rs` feeds random and
//! mutated files to every parser to hold this.
//!
//! Memory: a loaded file is held in one buffer (a memory map for safetensors, one aligned read
//! otherwise) that its arrays view in place where a tensor's bytes are aligned for its dtype; it
//! is released when the last array from it is dropped. Arrays are realized (not lazy) leaves.
//!
//! Byte order: files are little-endian (npy may be big-endian and is swapped on read); this crate
//! assumes a little-endian host.

#[cfg(target_endian = "big")]
compile_error!("mlx-io assumes a little-endian host");

mod cursor;
mod ggml;
pub mod gguf;
pub mod gzip;
pub mod npy;
pub mod npz;
pub mod safetensors;
pub mod zip;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use gguf::{GgmlType, GgufFile, GgufTensor, MetaType, MetaValue};
pub use gguf::{load_gguf, save_gguf};
pub use npy::{load_npy, save_npy};
pub use npz::load_npz;
pub use safetensors::{load_safetensors, save_safetensors, SafetensorsFile};
use mlx_core::{Dtype, Error, Result, Tensor};
use mlx_ops::{ExternalBuffer, HostBuffer};

/// Named arrays, in name order (as MLX returns them from a dict).
pub type Arrays = BTreeMap<String, Tensor>;
/// A file's metadata: strings for safetensors, typed values for gguf, none for npz.
pub type Metadata = BTreeMap<String, MetaValue>;

/// What [`load`] returns: one array for `.npy`, named arrays and metadata otherwise.
#[derive(Debug, Clone)]
pub enum Loaded {
    Array(Tensor),
    Arrays { arrays: Arrays, metadata: Metadata },
}

impl Loaded {
    /// The single array of an `.npy` file.
    ///
    /// # Errors
    /// `[load]` when the file held named arrays.
    pub fn into_array(self) -> Result<Tensor> {
        match self {
            Loaded::Array(a) => Ok(a),
            Loaded::Arrays { .. } => Err(Error::invalid("load", "The file holds named arrays, not one array.")),
        }
    }
    /// The named arrays (an `.npy` array is named `"arr_0"`).
    pub fn into_arrays(self) -> Arrays {
        match self {
            Loaded::Array(a) => BTreeMap::from([("arr_0".to_string(), a)]),
            Loaded::Arrays { arrays, .. } => arrays,
        }
    }
    /// The metadata (empty for `.npy`/`.npz`).
    pub fn metadata(&self) -> Metadata {
        match self {
            Loaded::Array(_) => Metadata::new(),
            Loaded::Arrays { metadata, .. } => metadata.clone(),
        }
    }
}

/// A file format MLX reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Npy,
    Npz,
    Safetensors,
    Gguf,
}

impl Format {
    /// The format named by `path`'s extension, like `mx.load`.
    ///
    /// # Errors
    /// `[load]` for a missing or unknown extension.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext {
            "npy" => Ok(Format::Npy),
            "npz" => Ok(Format::Npz),
            "safetensors" => Ok(Format::Safetensors),
            "gguf" => Ok(Format::Gguf),
            _ => Err(Error::invalid(
                "load",
                format!("Unknown file extension '{ext}' in {} (expected npy, npz, safetensors or gguf).", path.display()),
            )),
        }
    }
}

/// Loads a file, choosing the format by extension like `mx.load(path, return_metadata=True)`:
/// `.npy` gives one array; `.npz`, `.safetensors` and `.gguf` give named arrays and metadata.
///
/// # Errors
/// `[load]`/`[load_<format>]` when the file cannot be read or is malformed.
///
/// ```no_run
/// let loaded = mlx_io::load("weights.safetensors").unwrap();
/// for (name, a) in loaded.into_arrays() { println!("{name}: {:?}", a.shape()); }
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<Loaded> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Npy => npy::load_npy(path).map(Loaded::Array),
        Format::Npz => npz::load_npz(path).map(|arrays| Loaded::Arrays { arrays, metadata: Metadata::new() }),
        Format::Safetensors => safetensors::load_safetensors(path).map(|(arrays, meta)| Loaded::Arrays {
            arrays,
            metadata: meta.into_iter().map(|(k, v)| (k, MetaValue::String(v))).collect(),
        }),
        Format::Gguf => gguf::load_gguf(path).map(|(arrays, metadata)| Loaded::Arrays { arrays, metadata }),
    }
}

/// Saves one array as `.npy` (`mx.save`); like MLX, `.npy` is appended when the path has another
/// or no extension.
pub fn save(path: impl AsRef<Path>, array: &Tensor) -> Result<()> {
    let path = path.as_ref();
    if path.extension().and_then(|e| e.to_str()) == Some("npy") {
        npy::save_npy(path, array)
    } else {
        let mut p = path.as_os_str().to_owned();
        p.push(".npy");
        npy::save_npy(Path::new(&p), array)
    }
}

/// Saves named arrays in the format of `path`'s extension: `.npz` (uncompressed, `mx.savez`),
/// `.safetensors` or `.gguf`, with `metadata` where the format has it (safetensors takes only
/// string values; npz none).
///
/// # Errors
/// `[save]` for another extension or metadata the format cannot hold, and the format's own
/// errors (`[save_gguf]` for a dtype gguf lacks, ...).
pub fn save_arrays<K: AsRef<str>, T: AsRef<Tensor>>(
    path: impl AsRef<Path>,
    arrays: impl IntoIterator<Item = (K, T)>,
    metadata: &Metadata,
) -> Result<()> {
    let path = path.as_ref();
    match Format::from_path(path).map_err(|_| {
        Error::invalid("save", format!("Cannot pick a format for {}: use .npz, .safetensors or .gguf.", path.display()))
    })? {
        Format::Npy => Err(Error::invalid("save", "An .npy file holds one array: use save().")),
        Format::Npz => {
            if !metadata.is_empty() {
                return Err(Error::invalid("save", "npz files have no metadata."));
            }
            npz::save_npz(path, arrays, false)
        }
        Format::Safetensors => {
            let mut meta = BTreeMap::new();
            for (k, v) in metadata {
                match v {
                    MetaValue::String(s) => {
                        meta.insert(k.clone(), s.clone());
                    }
                    _ => return Err(Error::invalid("save", format!("safetensors metadata must be strings; '{k}' is not."))),
                }
            }
            safetensors::save_safetensors(path, arrays, &meta)
        }
        Format::Gguf => gguf::save_gguf(path, arrays, metadata),
    }
}

/// Saves named arrays as an uncompressed `.npz` at exactly `path` (`mx.savez`; byte-identical
/// to MLX's file when the arrays are given in the same order).
///
/// # Errors
/// `[savez]` for a duplicate name or a write failure; any error evaluating the arrays.
pub fn savez<K: AsRef<str>, T: AsRef<Tensor>>(path: impl AsRef<Path>, arrays: impl IntoIterator<Item = (K, T)>) -> Result<()> {
    npz::save_npz(path, arrays, false)
}

/// Saves named arrays as a deflate-compressed `.npz` at exactly `path` (`mx.savez_compressed`).
///
/// # Errors
/// As [`savez`].
pub fn savez_compressed<K: AsRef<str>, T: AsRef<Tensor>>(
    path: impl AsRef<Path>,
    arrays: impl IntoIterator<Item = (K, T)>,
) -> Result<()> {
    npz::save_npz(path, arrays, true)
}

// ------------------------------------------------------------------------------------------
// Shared helpers
// ------------------------------------------------------------------------------------------

/// Bytes that arrays may view in place.
pub(crate) type Source = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A whole file read into one 64-byte-aligned buffer (one copy; arrays then view it).
pub(crate) fn read_file(path: &Path, op: &str) -> Result<Source> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::invalid(op, format!("Failed to open {}: {e}", path.display())))?;
    let len = f.metadata().map_err(|e| Error::invalid(op, format!("Failed to stat {}: {e}", path.display())))?.len();
    let len = usize::try_from(len).map_err(|_| Error::invalid(op, "File too large for this platform."))?;
    let mut buf = HostBuffer::zeroed(len);
    f.read_exact(buf.as_bytes_mut()).map_err(|e| Error::invalid(op, format!("Failed to read {}: {e}", path.display())))?;
    Ok(Arc::new(buf))
}

/// Bytes copied into an aligned buffer that arrays can view.
pub(crate) fn source_from_bytes(bytes: &[u8]) -> Source {
    Arc::new(HostBuffer::from_bytes(bytes))
}

pub(crate) fn write_file(path: &Path, bytes: &[u8], op: &str) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::invalid(op, format!("Failed to write {}: {e}", path.display())))
}

/// `size(shape) * itemsize` in bytes, or an error when the shape is absurd: the product of its
/// dimensions (zeros counted as 1, so strides of an empty array cannot overflow either) times
/// the item size must fit in `isize`.
pub(crate) fn checked_nbytes(shape: &[usize], itemsize: usize, op: &str) -> Result<usize> {
    let bound = shape
        .iter()
        .try_fold(itemsize.max(1), |acc, &d| acc.checked_mul(d.max(1)))
        .filter(|&b| b <= isize::MAX as usize);
    if bound.is_none() {
        return Err(Error::invalid(op, format!("Shape {shape:?} is too large (its byte size overflows).")));
    }
    // Bounded by `bound`, so no overflow.
    Ok(shape.iter().product::<usize>() * itemsize)
}

/// The array of `shape`/`dtype` in `src[range]`: a zero-copy view when the bytes are aligned for
/// the dtype (and, for bool, all 0/1), else a copy. `range` must already be bounds-checked; it is
/// checked again here.
pub(crate) fn view_or_copy(src: &Source, range: std::ops::Range<usize>, shape: &[usize], dtype: Dtype, op: &str) -> Result<Tensor> {
    let all = (**src).as_ref();
    let bytes = all.get(range.clone()).ok_or_else(|| Error::invalid(op, "Tensor data lies past the end of the file."))?;
    let clean_bool = dtype != Dtype::Bool || bytes.iter().all(|&b| b <= 1);
    if clean_bool && (bytes.as_ptr() as usize) % dtype.size() == 0 {
        if let Some(ext) = ExternalBuffer::new(src.clone(), range) {
            return Tensor::from_external(ext, shape, dtype).map_err(|e| Error::invalid(op, e.to_string()));
        }
    }
    Tensor::from_bytes(bytes, shape, dtype).map_err(|e| Error::invalid(op, e.to_string()))
}

/// The arrays given to a writer, evaluated, with their names.
pub(crate) fn collect_arrays<K: AsRef<str>, T: AsRef<Tensor>>(arrays: impl IntoIterator<Item = (K, T)>) -> Vec<(String, Tensor)> {
    arrays.into_iter().map(|(k, t)| (k.as_ref().to_string(), t.as_ref().clone())).collect()
}
