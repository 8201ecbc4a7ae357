//! Buffer donation: an elementwise kernel may write its result into an input's buffer instead of
//! a fresh one, when the scheduler hands that input over (it is dead after this op) and the
//! handle is the buffer's only owner. That saves an allocation and keeps the working set of a
//! chain like `exp(a * b + c)` at one buffer.
//!
//! Invariant: a buffer is written in place only when `Arc::get_mut` proves no one else can see
//! it, its bytes are exactly the operand's row-major elements (offset 0, no padding) and the
//! element type of the result equals the operand's; each element is then computed by the same
//! scalar function as in a fresh output, so donation never changes a result.

use std::ops::Deref;

use mlx_ops::{ArrayData, Buffer, Element, Layout};

use crate::strided::elems_mut;

/// An elementwise operand: borrowed, or handed over by the scheduler (see the module docs).
pub enum Operand<'a> {
    Shared(&'a ArrayData),
    Donated(&'a mut ArrayData),
}

impl<'a> From<&'a ArrayData> for Operand<'a> {
    fn from(x: &'a ArrayData) -> Self {
        Operand::Shared(x)
    }
}

impl<'a> From<&'a mut ArrayData> for Operand<'a> {
    fn from(x: &'a mut ArrayData) -> Self {
        Operand::Donated(x)
    }
}

impl Deref for Operand<'_> {
    type Target = ArrayData;
    fn deref(&self) -> &ArrayData {
        match self {
            Operand::Shared(x) => x,
            Operand::Donated(x) => x,
        }
    }
}

impl Operand<'_> {
    /// A shared handle to the same data (for reading while the other operand is written).
    pub fn clone_shared(&self) -> ArrayData {
        (**self).clone()
    }

    /// Whether this operand's buffer can hold a result of element type `U` in place.
    pub fn reusable_for<U: Element>(&mut self) -> bool {
        match self {
            Operand::Shared(_) => false,
            Operand::Donated(x) => {
                let (size, dtype, layout_ok) = (x.layout.size(), x.dtype, x.layout.offset() == 0 && x.layout.is_row_contiguous());
                dtype == U::DTYPE
                    && layout_ok
                    && matches!(std::sync::Arc::get_mut(&mut x.buffer), Some(Buffer::Host(h)) if h.nbytes() == size * std::mem::size_of::<U>())
            }
        }
    }

    /// Runs `write` on this operand's elements as `U` (a mutable view of the buffer it owns
    /// alone) and returns them as the result array, when [`Operand::reusable_for`] allows it;
    /// otherwise runs nothing and returns `None`.
    pub fn write_in_place<U: Element>(&mut self, write: impl FnOnce(&mut [U])) -> Option<ArrayData> {
        if !self.reusable_for::<U>() {
            return None;
        }
        let Operand::Donated(x) = self else { return None };
        match std::sync::Arc::get_mut(&mut x.buffer) {
            Some(Buffer::Host(h)) => write(elems_mut::<U>(h)),
            _ => return None,
        }
        Some(ArrayData::new(x.buffer.clone(), Layout::contiguous(x.layout.shape()), U::DTYPE))
    }
}
