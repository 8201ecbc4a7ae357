//! ggml block layouts and their dequantization to f32 (as `dequantize_row_*` in ggml). Every
//! block type stores 32 values: a float16 scale `d` (and for `_1` types a float16 minimum `m`),
//! then packed quants. Nibble order: value `j` of a block is the low nibble of byte `j`, value
//! `j + 16` the high nibble of byte `j`.
//!
//! | type | bytes | value |
//! | --- | --- | --- |
//! | Q4_0 | 2 + 16 | `(q - 8) * d` |
//! | Q4_1 | 2 + 2 + 16 | `q * d + m` |
//! | Q5_0 | 2 + 4 + 16 | `(q - 16) * d`, bit 4 of value `j` is bit `j` of the u32 `qh` |
//! | Q5_1 | 2 + 2 + 4 + 16 | `q * d + m` |
//! | Q8_0 | 2 + 32 | `q * d` (q an i8) |
//! | Q8_1 | 2 + 2 + 32 | `q * d` (the second half is a precomputed sum) |
//!
//! Callers pass whole blocks (`bytes.len()` a multiple of the block size); a partial trailing
//! block is ignored, never read past.

use half::f16;

pub(crate) const QK: usize = 32;

fn h(b: &[u8], i: usize) -> f32 {
    f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

fn nibbles(qs: &[u8], out: &mut Vec<f32>, f: impl Fn(usize, u8) -> f32) {
    let mut block = [0f32; QK];
    for j in 0..16 {
        block[j] = f(j, qs[j] & 0x0F);
        block[j + 16] = f(j + 16, qs[j] >> 4);
    }
    out.extend_from_slice(&block);
}

pub(crate) fn dequant_q4_0(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / 18 * QK);
    for b in bytes.chunks_exact(18) {
        let d = h(b, 0);
        nibbles(&b[2..18], &mut out, |_, q| (q as f32 - 8.0) * d);
    }
    out
}

pub(crate) fn dequant_q4_1(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / 20 * QK);
    for b in bytes.chunks_exact(20) {
        let (d, m) = (h(b, 0), h(b, 2));
        nibbles(&b[4..20], &mut out, |_, q| q as f32 * d + m);
    }
    out
}

fn high_bit(qh: u32, j: usize) -> u8 {
    (((qh >> j) & 1) << 4) as u8
}

pub(crate) fn dequant_q5_0(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / 22 * QK);
    for b in bytes.chunks_exact(22) {
        let d = h(b, 0);
        let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        nibbles(&b[6..22], &mut out, |j, q| ((q | high_bit(qh, j)) as f32 - 16.0) * d);
    }
    out
}

pub(crate) fn dequant_q5_1(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / 24 * QK);
    for b in bytes.chunks_exact(24) {
        let (d, m) = (h(b, 0), h(b, 2));
        let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        nibbles(&b[8..24], &mut out, |j, q| (q | high_bit(qh, j)) as f32 * d + m);
    }
    out
}

pub(crate) fn dequant_q8_0(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / 34 * QK);
    for b in bytes.chunks_exact(34) {
        let d = h(b, 0);
        out.extend(b[2..34].iter().map(|&q| q as i8 as f32 * d));
    }
    out
}

pub(crate) fn dequant_q8_1(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / 36 * QK);
    for b in bytes.chunks_exact(36) {
        let d = h(b, 0);
        out.extend(b[4..36].iter().map(|&q| q as i8 as f32 * d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_by_hand() {
        // d = 0.5, nibbles: low 0..15, high 15..0.
        let mut b = f16::from_f32(0.5).to_le_bytes().to_vec();
        b.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let v = dequant_q4_0(&b);
        assert_eq!(v[0], -4.0);
        assert_eq!(v[15], 3.5);
        assert_eq!(v[16], 3.5);
        assert_eq!(v[31], -4.0);
    }

    #[test]
    fn q5_0_high_bits() {
        let mut b = f16::from_f32(1.0).to_le_bytes().to_vec();
        b.extend_from_slice(&(1u32 | (1 << 16)).to_le_bytes());
        b.extend([0u8; 16]);
        let v = dequant_q5_0(&b);
        assert_eq!((v[0], v[1], v[16], v[17]), (0.0, -16.0, 0.0, -16.0));
    }

    #[test]
    fn partial_blocks_are_ignored() {
        assert!(dequant_q8_0(&[0; 33]).is_empty());
    }
}
