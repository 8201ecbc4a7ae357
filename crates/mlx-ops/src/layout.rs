//! The layout of realized data: shape, strides (in elements, possibly zero or negative) and the
//! offset of the first element in its buffer. View ops are pure layout arithmetic here; the data
//! never moves. Invariant: every index reachable through the layout lies inside the buffer.

use crate::shape::row_major_strides;

/// Where each element of an array lives in its buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

impl Layout {
    /// A row-major contiguous layout starting at element 0.
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout { shape: shape.to_vec(), strides: row_major_strides(shape), offset: 0 }
    }

    /// A layout from parts; the caller guarantees every reachable index is in bounds.
    pub fn new(shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Self {
        debug_assert_eq!(shape.len(), strides.len());
        Layout { shape, strides, offset }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }
    pub fn offset(&self) -> usize {
        self.offset
    }
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the elements are laid out in row-major order with no gaps (size-1 axes ignored).
    pub fn is_row_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] == 1 {
                continue;
            }
            if self.strides[i] != expected {
                return self.size() == 0;
            }
            expected *= self.shape[i] as isize;
        }
        true
    }

    /// True when the elements are laid out in column-major order with no gaps.
    pub fn is_col_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for i in 0..self.shape.len() {
            if self.shape[i] == 1 {
                continue;
            }
            if self.strides[i] != expected {
                return self.size() == 0;
            }
            expected *= self.shape[i] as isize;
        }
        true
    }

    /// The last element index reachable plus one: the buffer length this layout needs.
    pub fn span_end(&self) -> usize {
        if self.size() == 0 {
            return self.offset;
        }
        let mut hi = self.offset as isize;
        for (&d, &s) in self.shape.iter().zip(&self.strides) {
            if s > 0 {
                hi += s * (d as isize - 1);
            }
        }
        hi as usize + 1
    }

    /// Axes permuted: output axis i is input axis `perm[i]`.
    pub fn transpose(&self, perm: &[usize]) -> Self {
        Layout {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Broadcast to `shape` (validated by inference): new and size-1 axes get stride 0.
    pub fn broadcast_to(&self, shape: &[usize]) -> Self {
        let lead = shape.len() - self.shape.len();
        let strides = (0..shape.len())
            .map(|i| {
                if i < lead || (self.shape[i - lead] == 1 && shape[i] != 1) {
                    0
                } else {
                    self.strides[i - lead]
                }
            })
            .collect();
        Layout { shape: shape.to_vec(), strides, offset: self.offset }
    }

    /// A strided window: axis i starts at `start[i]`, steps by `step[i]` and has `shape[i]`
    /// elements (all normalized and in bounds).
    pub fn slice(&self, start: &[usize], step: &[isize], shape: &[usize]) -> Self {
        let strides: Vec<isize> = self.strides.iter().zip(step).map(|(&s, &k)| s * k).collect();
        if shape.contains(&0) {
            // An empty window reads nothing; keep the base's (in-range) offset so kernels that
            // slice `buffer[offset..offset + 0]` stay in bounds.
            return Layout { shape: shape.to_vec(), strides, offset: self.offset };
        }
        let mut offset = self.offset as isize;
        for i in 0..self.shape.len() {
            if shape[i] > 0 {
                offset += start[i] as isize * self.strides[i];
            }
        }
        Layout { shape: shape.to_vec(), strides, offset: offset.max(0) as usize }
    }

    /// The same elements viewed with `shape`, if that needs no copy. Handles contiguous data and
    /// the splitting/merging of axes whose strides allow it (NumPy's no-copy reshape).
    pub fn reshape(&self, shape: &[usize]) -> Option<Self> {
        if self.is_row_contiguous() {
            return Some(Layout { shape: shape.to_vec(), strides: row_major_strides(shape), offset: self.offset });
        }
        // Drop size-1 axes, then match groups of old axes to groups of new axes.
        let old: Vec<(usize, isize)> =
            self.shape.iter().zip(&self.strides).filter(|(&d, _)| d != 1).map(|(&d, &s)| (d, s)).collect();
        let mut strides = vec![0isize; shape.len()];
        let (mut oi, mut ni) = (0usize, 0usize);
        while ni < shape.len() {
            if shape[ni] == 1 {
                strides[ni] = 0;
                ni += 1;
                continue;
            }
            if oi >= old.len() {
                return None;
            }
            // Grow the old group and the new group until their sizes match.
            let (mut osz, mut nsz) = (old[oi].0, shape[ni]);
            let (ostart, nstart) = (oi, ni);
            while osz != nsz {
                if osz < nsz {
                    oi += 1;
                    if oi >= old.len() {
                        return None;
                    }
                    osz *= old[oi].0;
                } else {
                    ni += 1;
                    if ni >= shape.len() {
                        return None;
                    }
                    nsz *= shape[ni];
                }
            }
            // The old group must be contiguous among itself.
            for k in ostart..oi {
                if old[k].1 != old[k + 1].1 * old[k + 1].0 as isize {
                    return None;
                }
            }
            let mut acc = old[oi].1;
            for k in (nstart..=ni).rev() {
                strides[k] = acc;
                acc *= shape[k] as isize;
            }
            oi += 1;
            ni += 1;
        }
        if oi != old.len() {
            return None;
        }
        Some(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity() {
        let l = Layout::contiguous(&[2, 3]);
        assert!(l.is_row_contiguous());
        assert!(!l.is_col_contiguous());
        let t = l.transpose(&[1, 0]);
        assert!(t.is_col_contiguous());
        assert!(!t.is_row_contiguous());
        assert_eq!(t.span_end(), 6);
    }

    #[test]
    fn reshape_of_views() {
        let l = Layout::contiguous(&[4, 6]);
        // [:, 0:6:2] is evenly strided, so its axes merge.
        let s = l.slice(&[0, 0], &[1, 2], &[4, 3]);
        assert_eq!(s.reshape(&[12]).unwrap().strides(), &[2]);
        // [:, 0:4] cannot merge its axes, but can split the first one.
        let s = l.slice(&[0, 0], &[1, 1], &[4, 4]);
        assert!(s.reshape(&[16]).is_none());
        assert_eq!(s.reshape(&[2, 2, 4]).unwrap().strides(), &[12, 6, 1]);
        let t = l.transpose(&[1, 0]);
        assert!(t.reshape(&[24]).is_none());
        assert_eq!(t.reshape(&[3, 2, 4]).unwrap().strides(), &[2, 1, 6]);
    }

    #[test]
    fn negative_steps_and_broadcast() {
        let l = Layout::contiguous(&[5]);
        let s = l.slice(&[4], &[-2], &[3]);
        assert_eq!((s.offset(), s.strides()[0]), (4, -2));
        assert_eq!(s.span_end(), 5);
        let b = Layout::contiguous(&[3, 1]).broadcast_to(&[2, 3, 4]);
        assert_eq!(b.strides(), &[0, 1, 0]);
    }
}
