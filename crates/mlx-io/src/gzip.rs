//! gzip (RFC 1952) reading, for data sets shipped as `.gz` files (Fashion-MNIST's idx files).
//!
//! One or more members, each: the 10-byte header, the optional FEXTRA/FNAME/FCOMMENT/FHCRC
//! fields its flags announce, a raw deflate stream (inflated by `miniz_oxide`), and a trailer
//! with the CRC-32 and the size mod 2^32 of the data, both checked. Invariant: the result is
//! returned only when every member's CRC and size match.

use mlx_core::{Error, Result};

const OP: &str = "gzip";

/// The decompressed bytes of a gzip file (all members, concatenated).
///
/// # Errors
/// `[gzip]` for a bad magic number or method, a truncated header, invalid deflate data, or a
/// CRC/size mismatch.
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        pos = member(bytes, pos, &mut out)?;
        // Trailing zero padding after the last member is allowed (as gzip does).
        if bytes[pos..].iter().all(|&b| b == 0) {
            break;
        }
    }
    if out.is_empty() && bytes.is_empty() {
        return Err(Error::invalid(OP, "Empty input."));
    }
    Ok(out)
}

/// Reads the member at `pos`, appends its data to `out`; returns the position after it.
fn member(b: &[u8], mut pos: usize, out: &mut Vec<u8>) -> Result<usize> {
    let short = || Error::invalid(OP, "Truncated header.");
    let h = b.get(pos..pos + 10).ok_or_else(short)?;
    if h[0] != 0x1f || h[1] != 0x8b {
        return Err(Error::invalid(OP, "Not a gzip file (bad magic number)."));
    }
    if h[2] != 8 {
        return Err(Error::invalid(OP, format!("Unsupported compression method {}.", h[2])));
    }
    let flags = h[3];
    pos += 10;
    if flags & 4 != 0 {
        let x = b.get(pos..pos + 2).ok_or_else(short)?;
        pos += 2 + u16::from_le_bytes([x[0], x[1]]) as usize;
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            let end = b.get(pos..).and_then(|r| r.iter().position(|&c| c == 0)).ok_or_else(short)?;
            pos += end + 1;
        }
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    let body = b.get(pos..).ok_or_else(short)?;
    let (data, used) = inflate(body)?;
    let trailer = b.get(pos + used..pos + used + 8).ok_or_else(|| Error::invalid(OP, "Truncated trailer."))?;
    let crc = u32::from_le_bytes(trailer[..4].try_into().map_err(|_| short())?);
    let size = u32::from_le_bytes(trailer[4..].try_into().map_err(|_| short())?);
    if crate::zip::crc32(&data) != crc || data.len() as u32 != size {
        return Err(Error::invalid(OP, "CRC or size mismatch: the file is corrupt."));
    }
    out.extend_from_slice(&data);
    Ok(pos + used + 8)
}

/// Inflates one raw deflate stream; returns the data and the compressed bytes consumed.
fn inflate(body: &[u8]) -> Result<(Vec<u8>, usize)> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    let mut state = DecompressorOxide::new();
    let mut data = vec![0u8; body.len().saturating_mul(4).max(1 << 16)];
    let (mut in_pos, mut out_pos) = (0, 0);
    loop {
        let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let (status, read, written) = decompress(&mut state, &body[in_pos..], &mut data, out_pos, flags);
        in_pos += read;
        out_pos += written;
        match status {
            TINFLStatus::Done => {
                data.truncate(out_pos);
                return Ok((data, in_pos));
            }
            TINFLStatus::HasMoreOutput => {
                let n = data.len() * 2;
                data.resize(n, 0);
            }
            s => return Err(Error::invalid(OP, format!("Invalid deflate data ({s:?})."))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip member around `data`, deflated by miniz_oxide.
    fn gz(data: &[u8], name: Option<&str>) -> Vec<u8> {
        let mut v = vec![0x1f, 0x8b, 8, if name.is_some() { 8 } else { 0 }, 0, 0, 0, 0, 0, 3];
        if let Some(n) = name {
            v.extend_from_slice(n.as_bytes());
            v.push(0);
        }
        v.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        v.extend(crate::zip::crc32(data).to_le_bytes());
        v.extend((data.len() as u32).to_le_bytes());
        v
    }

    #[test]
    fn round_trip_members_and_errors() {
        let a: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(decompress(&gz(&a, Some("a.bin"))).unwrap(), a);
        let mut two = gz(b"hello ", None);
        two.extend(gz(b"world", None));
        assert_eq!(decompress(&two).unwrap(), b"hello world");
        let mut bad = gz(b"hello", None);
        let n = bad.len();
        bad[n - 8] ^= 1; // CRC
        assert!(decompress(&bad).unwrap_err().to_string().contains("CRC"));
        assert!(decompress(b"PK\x03\x04 not gzip").is_err());
        assert!(decompress(&gz(b"hello", None)[..12]).is_err());
    }
}
