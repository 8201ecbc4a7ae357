//! Walking strided layouts. Every kernel reads its inputs through `for_each_offsets`, which
//! visits elements in row-major order of the common shape and hands the element offset of each
//! operand; axes that are contiguous in every operand are merged first, so a fully contiguous
//! input becomes one flat loop and a transposed one a small nest of tight loops.

use mlx_ops::{ArrayData, Element, HostBuffer, Layout};

/// Merges adjacent axes that are contiguous with respect to each other in every operand.
/// Returns (shape, per-operand strides) with size-1 axes dropped.
pub fn collapse<const N: usize>(shape: &[usize], strides: [&[isize]; N]) -> (Vec<usize>, [Vec<isize>; N]) {
    let mut out_shape: Vec<usize> = Vec::with_capacity(shape.len());
    let mut out_strides: [Vec<isize>; N] = std::array::from_fn(|_| Vec::with_capacity(shape.len()));
    for i in 0..shape.len() {
        if shape[i] == 1 {
            continue;
        }
        let merge = match out_shape.last() {
            Some(&_) => {
                let last = out_shape.len() - 1;
                (0..N).all(|k| out_strides[k][last] == strides[k][i] * shape[i] as isize)
            }
            None => false,
        };
        if merge {
            let last = out_shape.len() - 1;
            out_shape[last] *= shape[i];
            for k in 0..N {
                out_strides[k][last] = strides[k][i];
            }
        } else {
            out_shape.push(shape[i]);
            for k in 0..N {
                out_strides[k].push(strides[k][i]);
            }
        }
    }
    (out_shape, out_strides)
}

/// Calls `f(offsets)` for every element of `shape` in row-major order, where `offsets[k]` is the
/// element's position in operand k (starting from `starts[k]`, moving by `strides[k]`).
#[inline]
pub fn for_each_offsets<const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    starts: [usize; N],
    mut f: impl FnMut([usize; N]),
) {
    if shape.iter().product::<usize>() == 0 {
        return;
    }
    let (shape, strides) = collapse(shape, strides);
    let nd = shape.len();
    if nd == 0 {
        f(starts);
        return;
    }
    let inner = shape[nd - 1];
    let inner_strides: [isize; N] = std::array::from_fn(|k| strides[k][nd - 1]);
    let mut index = vec![0usize; nd];
    let mut base: [isize; N] = std::array::from_fn(|k| starts[k] as isize);
    loop {
        let mut off = base;
        for _ in 0..inner {
            f(std::array::from_fn(|k| off[k] as usize));
            for k in 0..N {
                off[k] += inner_strides[k];
            }
        }
        // Advance the outer index (odometer), adjusting the base offsets.
        let mut axis = nd - 1;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            for k in 0..N {
                base[k] += strides[k][axis];
            }
            if index[axis] < shape[axis] {
                break;
            }
            for k in 0..N {
                base[k] -= strides[k][axis] * shape[axis] as isize;
            }
            index[axis] = 0;
        }
    }
}

/// The operand's elements as a typed slice of its whole buffer.
///
/// Kernels are only called with host arrays of the inferred dtype, so a mismatch is a bug in
/// the scheduler, not a user error.
pub fn elems<T: Element>(x: &ArrayData) -> &[T] {
    x.host_slice::<T>().expect("invariant: the CPU backend only sees host arrays of the inferred dtype")
}

/// A new contiguous output of `n` elements of `T`, zero-initialized.
pub fn alloc<T: Element>(n: usize) -> HostBuffer {
    HostBuffer::zeroed(n * std::mem::size_of::<T>())
}

/// A new contiguous output of `n` elements of `T` with unspecified (but initialized) values,
/// possibly a reused buffer: only for kernels that write every element.
pub fn alloc_for_overwrite<T: Element>(n: usize) -> HostBuffer {
    HostBuffer::for_overwrite(n * std::mem::size_of::<T>())
}

/// Like [`for_each_offsets`] but hands whole innermost rows: `f(base_offsets, len,
/// inner_strides)` per row of the collapsed shape, so kernels can specialize the inner loop
/// (stride 1 or 0) into slice loops that vectorize.
pub fn for_each_row<const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    starts: [usize; N],
    mut f: impl FnMut([usize; N], usize, [isize; N]),
) {
    if shape.iter().product::<usize>() == 0 {
        return;
    }
    let (shape, strides) = collapse(shape, strides);
    let nd = shape.len();
    if nd == 0 {
        f(starts, 1, [0; N]);
        return;
    }
    let inner = shape[nd - 1];
    let inner_strides: [isize; N] = std::array::from_fn(|k| strides[k][nd - 1]);
    let outer = &shape[..nd - 1];
    let outer_strides: [&[isize]; N] = std::array::from_fn(|k| &strides[k][..nd - 1]);
    for_each_offsets(outer, outer_strides, starts, |base| f(base, inner, inner_strides));
}

/// Splits a row-major output of `shape` along its leading axis into pieces and runs
/// `f(piece_shape, piece_starts, piece_of_dst)` on each, in parallel for large outputs. The
/// operands' starts are advanced by their leading stride; `dst` is the whole contiguous output.
pub fn par_leading<T: Send, const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    starts: [usize; N],
    dst: &mut [T],
    f: impl Fn(&[usize], [usize; N], &mut [T]) + Sync + Send,
) {
    let n = dst.len();
    if shape.is_empty() || n < crate::par::PAR_MIN_ELEMS || shape[0] < 2 {
        return f(shape, starts, dst);
    }
    let row = n / shape[0];
    let rows_per = crate::par::chunk_len(n, crate::par::PAR_MIN_ELEMS / 4).div_ceil(row.max(1)).max(1);
    crate::par::for_each_chunk_mut(dst, rows_per * row, true, &|start, piece| {
        let i0 = (start / row) as isize;
        let mut sub = shape.to_vec();
        sub[0] = piece.len() / row;
        let st: [usize; N] = std::array::from_fn(|k| (starts[k] as isize + i0 * strides[k][0]) as usize);
        f(&sub, st, piece)
    });
}

/// The typed mutable view of a fresh output buffer.
pub fn elems_mut<T: Element>(buf: &mut HostBuffer) -> &mut [T] {
    bytemuck::cast_slice_mut(buf.as_bytes_mut())
}

/// Wraps a filled output buffer as a row-contiguous array.
pub fn finish<T: Element>(buf: HostBuffer, shape: &[usize]) -> ArrayData {
    ArrayData::new(std::sync::Arc::new(mlx_ops::Buffer::Host(buf)), Layout::contiguous(shape), T::DTYPE)
}

/// The input's elements in row-major order as a contiguous slice: borrowed when the layout is
/// already row-contiguous, copied otherwise.
pub fn contiguous_elems<T: Element>(x: &ArrayData) -> std::borrow::Cow<'_, [T]> {
    let src = elems::<T>(x);
    let n = x.layout.size();
    if n == 0 {
        // An empty view may carry an offset past its buffer's end (a slice of an empty array).
        return std::borrow::Cow::Borrowed(&[]);
    }
    if x.layout.is_row_contiguous() {
        let start = x.layout.offset();
        return std::borrow::Cow::Borrowed(&src[start..start + n]);
    }
    let mut out = Vec::with_capacity(n);
    for_each_offsets(x.layout.shape(), [x.layout.strides()], [x.layout.offset()], |[o]| out.push(src[o]));
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_merges_contiguous_axes() {
        let (s, st) = collapse(&[2, 3, 4], [&[12, 4, 1]]);
        assert_eq!((s, st[0].clone()), (vec![24], vec![1]));
        let (s, st) = collapse(&[2, 3, 4], [&[1, 8, 2]]);
        assert_eq!((s, st[0].clone()), (vec![2, 12], vec![1, 2]));
    }

    #[test]
    fn empty_views_past_the_end_are_empty() {
        // x[:, 1:] of a (0, 2) array: offset 1 into an empty buffer (found by the ffi
        // differential test; used to panic).
        let x = finish::<f32>(alloc::<f32>(0), &[0, 2]);
        let v = x.with_layout(Layout::new(vec![0, 1], vec![2, 1], 1));
        assert!(contiguous_elems::<f32>(&v).is_empty());
    }

    #[test]
    fn rows_and_leading_pieces_cover_the_layout() {
        let mut seen = vec![];
        for_each_row(&[3, 2], [&[1, 3]], [0], |[b], len, [s]| {
            for i in 0..len {
                seen.push((b as isize + i as isize * s) as usize);
            }
        });
        assert_eq!(seen, vec![0, 3, 1, 4, 2, 5]);
        // A transposed 400x300 source copied piecewise matches the sequential walk.
        let (r, c) = (400usize, 300usize);
        let mut dst = vec![0usize; r * c];
        par_leading(&[r, c], [&[1, r as isize]], [0], &mut dst, |shape, [s0], piece| {
            let mut i = 0;
            for_each_offsets(shape, [&[1, r as isize]], [s0], |[o]| {
                piece[i] = o;
                i += 1;
            });
        });
        let mut want = vec![];
        for_each_offsets(&[r, c], [&[1, r as isize]], [0], |[o]| want.push(o));
        assert_eq!(dst, want);
    }

    #[test]
    fn visits_transposed_in_row_major_order() {
        // A (2,3) row-major buffer read as its (3,2) transpose.
        let mut seen = vec![];
        for_each_offsets(&[3, 2], [&[1, 3]], [0], |[o]| seen.push(o));
        assert_eq!(seen, vec![0, 3, 1, 4, 2, 5]);
        let mut rev = vec![];
        for_each_offsets(&[3], [&[-2]], [4], |[o]| rev.push(o));
        assert_eq!(rev, vec![4, 2, 0]);
    }
}

/// True when every index `layout` reaches lies in `0..len` (what `unsafe` kernels that index
/// through raw strides rely on).
pub fn reachable_within(layout: &Layout, len: usize) -> bool {
    if layout.size() == 0 {
        return true;
    }
    let (mut lo, mut hi) = (layout.offset() as isize, layout.offset() as isize);
    for (&d, &s) in layout.shape().iter().zip(layout.strides()) {
        let span = (d as isize - 1) * s;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    lo >= 0 && (hi as usize) < len
}
