//! Cache-blocked copy of a strided view into a row-contiguous buffer (transpose-copy).
//!
//! A copy whose source's innermost axis is not its fastest-moving one (a transposed view) read
//! element by element in output order touches a new cache line per element; copying in square
//! tiles of `TILE x TILE` keeps both the source lines and the destination lines of one tile in L1,
//! so every line fetched is used fully. Invariant: the result is exactly the row-major order of
//! the view (the same values the generic walk in `copy.rs` writes); only the order of the writes
//! differs. Work is cut into one band of output rows per thread.
//!
//! 4-byte elements whose output rows run along the source's stride-1 axis (the copy of `x.T`)
//! take the AVX kernel of `transpose_avx` (8x8 register transposes, strips of whole output
//! lines, non-temporal stores for large outputs); everything else the scalar tiles below.

use mlx_ops::Layout;

use crate::strided::{collapse, for_each_offsets};

/// Side of a tile: 32x32 elements of up to 16 bytes (complex64) is 16 KiB per side, in L1.
const TILE: usize = 32;
/// Views smaller than this are copied by the generic walk (tiling buys nothing there).
const MIN_ELEMS: usize = 1 << 12;

/// Copies the view `layout` of `src` into the row-contiguous `dst` (of `layout.size()` elements)
/// in tiles, when its collapsed shape ends in two axes of at least `TILE/4` elements and the
/// innermost source stride is not 1. Returns false (and writes nothing) otherwise.
pub fn copy_blocked<T: Copy + Send + Sync>(src: &[T], layout: &Layout, dst: &mut [T]) -> bool {
    let n = layout.size();
    if n < MIN_ELEMS || dst.len() != n {
        return false;
    }
    let dst_layout = Layout::contiguous(layout.shape());
    let (shape, [_, sst]) = collapse(layout.shape(), [dst_layout.strides(), layout.strides()]);
    let nd = shape.len();
    if nd < 2 || sst[nd - 1] == 1 || shape[nd - 1] < TILE / 4 || shape[nd - 2] < TILE / 4 {
        return false;
    }
    let (rows, cols) = (shape[nd - 2], shape[nd - 1]);
    let (sr, sc) = (sst[nd - 2], sst[nd - 1]);
    // Source offset of element (0, 0) of every outer index (row-major over the outer axes).
    let mut bases = Vec::with_capacity(n / (rows * cols));
    if nd == 2 {
        bases.push(layout.offset() as isize);
    } else {
        for_each_offsets(&shape[..nd - 2], [&sst[..nd - 2]], [layout.offset()], |[o]| bases.push(o as isize));
    }
    if !crate::strided::reachable_within(layout, src.len()) {
        return false;
    }
    // One band of output rows (of the flattened (outer * rows, cols) matrix) per thread.
    let band = (n / cols).div_ceil(crate::par::num_threads()).div_ceil(8).max(8) * 8;
    crate::par::for_each_chunk_mut(dst, band * cols, n >= crate::par::PAR_MIN_ELEMS, &|start, piece| {
        let mut flat = start / cols; // first flattened row of the piece
        let mut done = 0; // rows of the piece written so far
        let piece_rows = piece.len() / cols;
        while done < piece_rows {
            // Rows [i0, i1) of outer index `o`, inside this piece.
            let (o, i0) = (flat / rows, flat % rows);
            let i1 = rows.min(i0 + piece_rows - done);
            let out = &mut piece[done * cols..(done + i1 - i0) * cols];
            rows_of(src, bases[o], sr, sc, i0, i1, cols, out, n);
            done += i1 - i0;
            flat += i1 - i0;
        }
    });
    true
}

/// Writes rows `[i0, i1)` of the 2-D view (see [`tile_rows`]) with the AVX kernel where it
/// applies; `total` is the element count of the whole output.
#[allow(clippy::too_many_arguments)]
fn rows_of<T: Copy>(src: &[T], base: isize, sr: isize, sc: isize, i0: usize, i1: usize, cols: usize, out: &mut [T], total: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::mem::size_of::<T>() == 4 && sr == 1 && crate::transpose_avx::available() {
        let nt = crate::nontemporal::worth_it(total * 4) && cols % 8 == 0 && out.as_ptr() as usize % 32 == 0;
        // SAFETY: `copy_blocked` checked that every offset the view reaches lies inside `src`
        // (`reachable_within`), and rows i0..i1 of the view are such offsets; `out` holds
        // exactly (i1 - i0) * cols elements that this call alone borrows; T is a plain 4-byte
        // value copied bit for bit as u32; `nt` only when `out` and the row length are
        // 32-byte multiples.
        unsafe {
            crate::transpose_avx::rows(src.as_ptr() as *const u32, base, sc, i0, i1, cols, out.as_mut_ptr() as *mut u32, nt)
        };
        return;
    }
    let _ = total;
    tile_rows(src, base, sr, sc, i0, i1, cols, out)
}

/// Writes rows `[i0, i1)` (all `cols` columns) of the 2-D view at `base` with strides
/// `(sr, sc)` into `out` (row-major, `(i1 - i0) * cols` elements), tile by tile.
#[allow(clippy::too_many_arguments)]
fn tile_rows<T: Copy>(src: &[T], base: isize, sr: isize, sc: isize, i0: usize, i1: usize, cols: usize, out: &mut [T]) {
    let mut ti = i0;
    while ti < i1 {
        let ti1 = i1.min(ti + TILE);
        let mut tj = 0;
        while tj < cols {
            let tj1 = cols.min(tj + TILE);
            for i in ti..ti1 {
                let row = &mut out[(i - i0) * cols + tj..(i - i0) * cols + tj1];
                let mut o = base + i as isize * sr + tj as isize * sc;
                for d in row.iter_mut() {
                    *d = src[o as usize];
                    o += sc;
                }
            }
            tj = tj1;
        }
        ti = ti1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(src: &[u32], layout: &Layout) -> Vec<u32> {
        let mut v = vec![];
        for_each_offsets(layout.shape(), [layout.strides()], [layout.offset()], |[o]| v.push(src[o]));
        v
    }

    #[test]
    fn tiled_copy_matches_the_generic_walk() {
        let src: Vec<u32> = (0..(3 * 70 * 45) as u32).collect();
        // A transposed 2-D view, a 3-D permutation with an outer axis, a sliced view (offset,
        // odd sizes that do not fill the last tile) and a reversed axis.
        let base = Layout::contiguous(&[3, 70, 45]);
        let cases = [
            Layout::contiguous(&[210, 45]).transpose(&[1, 0]),
            base.transpose(&[0, 2, 1]),
            Layout::contiguous(&[8, 9, 10, 11]).transpose(&[3, 2, 1, 0]),
            base.slice(&[1, 3, 2], &[1, 1, 1], &[2, 61, 41]).transpose(&[0, 2, 1]),
            Layout::new(vec![45, 140], vec![-1, 45], 44),
        ];
        for layout in cases {
            let mut dst = vec![0u32; layout.size()];
            assert!(copy_blocked(&src, &layout, &mut dst), "{:?}", layout.shape());
            assert_eq!(dst, reference(&src, &layout), "{:?}", layout.shape());
        }
    }

    /// The AVX strips: whole 16-column strips, a last 8-column strip, tail rows and columns,
    /// an outer axis whose bands start mid-matrix, and an output big enough for
    /// non-temporal stores; 8-byte elements take the scalar tiles.
    #[test]
    fn vector_kernel_matches_the_generic_walk() {
        for shape in [[1, 24, 237], [1, 40, 400], [3, 29, 51], [1, 2048, 2048]] {
            let n: usize = shape.iter().product();
            let src: Vec<u32> = (0..n as u32).map(|i| i.wrapping_mul(2654435761)).collect();
            let layout = Layout::contiguous(&shape).transpose(&[0, 2, 1]);
            let mut dst = vec![0u32; n];
            assert!(copy_blocked(&src, &layout, &mut dst), "{shape:?}");
            assert!(dst == reference(&src, &layout), "{shape:?}");
        }
        let src: Vec<u64> = (0..(70 * 73) as u64).collect();
        let layout = Layout::contiguous(&[70, 73]).transpose(&[1, 0]);
        let mut dst = vec![0u64; 70 * 73];
        assert!(copy_blocked(&src, &layout, &mut dst));
        let mut want = vec![];
        for_each_offsets(layout.shape(), [layout.strides()], [layout.offset()], |[o]| want.push(src[o]));
        assert_eq!(dst, want);
    }

    #[test]
    fn declines_contiguous_rows_and_small_views() {
        let src = vec![0u32; 1 << 14];
        let mut dst = vec![0u32; 1 << 14];
        assert!(!copy_blocked(&src, &Layout::contiguous(&[128, 128]), &mut dst));
        let small = Layout::contiguous(&[16, 16]).transpose(&[1, 0]);
        assert!(!copy_blocked(&src, &small, &mut dst[..256]));
    }
}
