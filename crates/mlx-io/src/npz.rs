//! `.npz`: a zip archive of `.npy` members (`mx.savez`, `mx.savez_compressed`). Names lose
//! their `.npy` suffix on read and gain it on write, as in NumPy. Stored members are parsed in
//! place (arrays view the archive's bytes where aligned); deflated ones are inflated first.
//!
//! Invariant: see [`crate::zip`] and [`crate::npy`]: every offset and size is bounds-checked.

use std::path::Path;

use mlx_core::{Error, Result, Tensor};

use crate::zip::{self, Method};
use crate::{collect_arrays, source_from_bytes, Arrays, Source};

const LOAD: &str = "load_npz";
const SAVE: &str = "savez";

/// Loads an `.npz` file (`mx.load("x.npz")`).
///
/// # Errors
/// `[load_npz]` for a malformed archive, `[load]` for a malformed member.
pub fn load_npz(path: impl AsRef<Path>) -> Result<Arrays> {
    parse(&crate::read_file(path.as_ref(), LOAD)?)
}

/// Loads `.npz` bytes in memory.
///
/// # Errors
/// As [`load_npz`].
pub fn from_bytes(bytes: &[u8]) -> Result<Arrays> {
    parse(&source_from_bytes(bytes))
}

fn parse(src: &Source) -> Result<Arrays> {
    let bytes = (**src).as_ref();
    let mut arrays = Arrays::new();
    for m in zip::read_members(bytes, LOAD)? {
        let name = m.name.strip_suffix(".npy").unwrap_or(&m.name).to_string();
        let t = match m.method {
            Method::Stored => {
                zip::check_crc(&bytes[m.data.clone()], &m, LOAD)?;
                crate::npy::parse(src, m.data.clone())?
            }
            Method::Deflated => crate::npy::from_bytes(&zip::inflate(bytes, &m, LOAD)?)?,
        };
        if arrays.insert(name.clone(), t).is_some() {
            return Err(Error::invalid(LOAD, format!("Duplicate member '{name}'.")));
        }
    }
    Ok(arrays)
}

/// The bytes of an `.npz` archive of `arrays` (members in the order given, each `<name>.npy`).
///
/// # Errors
/// `[savez]` for a duplicate name; any error evaluating the arrays.
pub fn to_bytes<K: AsRef<str>, T: AsRef<Tensor>>(arrays: impl IntoIterator<Item = (K, T)>, compressed: bool) -> Result<Vec<u8>> {
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, t) in collect_arrays(arrays) {
        let file = format!("{name}.npy");
        if members.iter().any(|(n, _)| *n == file) {
            return Err(Error::invalid(SAVE, format!("Duplicate array name '{name}'.")));
        }
        if file.len() > u16::MAX as usize {
            return Err(Error::invalid(SAVE, "Array name too long."));
        }
        members.push((file, crate::npy::to_bytes(&t)?));
    }
    Ok(zip::write_archive(&members, compressed))
}

/// Saves `arrays` as `.npz` at exactly `path`: `mx.savez` (stored, byte-identical to MLX) or,
/// with `compressed`, `mx.savez_compressed` (deflated).
///
/// # Errors
/// As [`to_bytes`], and `[savez]` when the file cannot be written.
pub fn save_npz<K: AsRef<str>, T: AsRef<Tensor>>(
    path: impl AsRef<Path>,
    arrays: impl IntoIterator<Item = (K, T)>,
    compressed: bool,
) -> Result<()> {
    crate::write_file(path.as_ref(), &to_bytes(arrays, compressed)?, SAVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        let b = Tensor::from_slice(&[true, false], &[2]).unwrap();
        for compressed in [false, true] {
            let z = to_bytes([("a", &a), ("b", &b)], compressed).unwrap();
            let back = from_bytes(&z).unwrap();
            assert_eq!(back["a"].to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
            assert_eq!(back["b"].to_vec::<bool>().unwrap(), vec![true, false]);
            // Every truncation is an error, never a panic.
            for n in 0..z.len() {
                let _ = from_bytes(&z[..n]);
            }
            let mut bad = z.clone();
            let i = bad.len() / 3;
            bad[i] ^= 0x55;
            assert!(from_bytes(&bad).is_err());
        }
        assert!(from_bytes(b"PK").unwrap_err().to_string().starts_with("[load_npz]"));
        assert!(to_bytes([("a", &a), ("a", &b)], false).is_err());
    }
}
