//! Counter-based random bits: threefry-2x32 (20 rounds), bit-for-bit MLX's `RandomBits`.
//!
//! Invariant (MLX's layout, verified against MLX 0.32.4 by the golden `random` family): for `n`
//! output bytes, `w = ceil(n / 4)` words are produced, with `h = w / 2`: words `i` and `h + r + i`
//! (`r = w % 2`) are the two halves of `threefry(key, (i, h + r + i))` for `i < h`; for odd `w`
//! word `h` is the first half of `threefry(key, (h, 0))`. The output is the first `n` bytes of
//! those words, little-endian.

use mlx_ops::{ArrayData, Dtype, Error, Result, Spec};

use crate::elementwise::debug_checked;
use crate::strided::{alloc, contiguous_elems, finish};

/// The threefry-2x32 block function with 20 rounds (Salmon et al. 2011), as in JAX and MLX.
pub fn threefry2x32(key: (u32, u32), count: (u32, u32)) -> (u32, u32) {
    const ROTATIONS: [[u32; 4]; 2] = [[13, 15, 26, 6], [17, 29, 16, 24]];
    let ks = [key.0, key.1, key.0 ^ key.1 ^ 0x1BD1_1BDA];
    let (mut x0, mut x1) = (count.0.wrapping_add(ks[0]), count.1.wrapping_add(ks[1]));
    for i in 0..5usize {
        for &r in &ROTATIONS[i % 2] {
            x0 = x0.wrapping_add(x1);
            x1 = x1.rotate_left(r) ^ x0;
        }
        x0 = x0.wrapping_add(ks[(i + 1) % 3]);
        x1 = x1.wrapping_add(ks[(i + 2) % 3]).wrapping_add(i as u32 + 1);
    }
    (x0, x1)
}

/// The `words` 32-bit words MLX generates for one key.
pub fn threefry_words(key: (u32, u32), words: usize) -> Vec<u32> {
    let mut out = vec![0u32; words];
    let half = words / 2;
    let odd = words % 2;
    for i in 0..half {
        let (a, b) = threefry2x32(key, (i as u32, (half + odd + i) as u32));
        out[i] = a;
        out[half + odd + i] = b;
    }
    if odd == 1 {
        out[half] = threefry2x32(key, (half as u32, 0)).0;
    }
    out
}

pub fn random_bits(key: &ArrayData, out: &Spec) -> Result<ArrayData> {
    if key.dtype != Dtype::Uint32 || key.shape() != [2] {
        return Err(Error::invalid("bits", "Expected a uint32 key of shape (2)."));
    }
    let k = contiguous_elems::<u32>(key);
    let n: usize = out.shape.iter().product();
    let nbytes = n * out.dtype.size();
    let words = threefry_words((k[0], k[1]), nbytes.div_ceil(4));
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).take(nbytes).collect();
    let r = match out.dtype {
        Dtype::Uint8 => fill::<u8>(&bytes, &out.shape),
        Dtype::Uint16 => fill::<u16>(&bytes, &out.shape),
        Dtype::Uint32 => fill::<u32>(&bytes, &out.shape),
        d => return Err(Error::invalid("bits", format!("Cannot generate bits of dtype {d}."))),
    };
    Ok(debug_checked(r, out))
}

fn fill<T: mlx_ops::Element + FromLe>(bytes: &[u8], shape: &[usize]) -> ArrayData {
    let n: usize = shape.iter().product();
    let mut buf = alloc::<T>(n);
    let dst = crate::strided::elems_mut::<T>(&mut buf);
    for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(std::mem::size_of::<T>())) {
        *d = T::from_le(c);
    }
    finish::<T>(buf, shape)
}

/// Decoding one little-endian element.
trait FromLe {
    fn from_le(b: &[u8]) -> Self;
}
impl FromLe for u8 {
    fn from_le(b: &[u8]) -> Self {
        b[0]
    }
}
impl FromLe for u16 {
    fn from_le(b: &[u8]) -> Self {
        u16::from_le_bytes([b[0], b[1]])
    }
}
impl FromLe for u32 {
    fn from_le(b: &[u8]) -> Self {
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_mlx_split_of_key_zero() {
        // mx.random.split(mx.random.key(0)) == [[4146024105, 967050713], [2718843009, 1272950319]]
        assert_eq!(threefry_words((0, 0), 4), vec![4146024105, 967050713, 2718843009, 1272950319]);
        assert_eq!(threefry2x32((0, 0), (0, 1)), (928981903, 3453687069));
    }
}
