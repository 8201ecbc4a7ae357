//! Memory owned by realized arrays. A `Buffer` is an enum so device memory can join later;
//! host buffers are 64-byte aligned and zero-initialized (so every byte is initialized and may be
//! viewed as any plain-old-data element type). All live host bytes are counted for
//! `active_memory()`. An [`ExternalBuffer`] borrows read-only bytes owned elsewhere (a
//! memory-mapped file, a file read whole into one `HostBuffer`) so loaders can hand out arrays
//! without copying; it is not counted again.

use std::alloc::{self, Layout as AllocLayout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

const ALIGN: usize = 64;
static ACTIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes currently held by live buffers (`mx.get_active_memory()`).
pub fn active_memory() -> usize {
    ACTIVE_BYTES.load(Ordering::Relaxed)
}

/// The most bytes held at once since start or the last `reset_peak_memory`.
pub fn peak_memory() -> usize {
    PEAK_BYTES.load(Ordering::Relaxed)
}

/// Resets the peak to the current active memory.
pub fn reset_peak_memory() {
    PEAK_BYTES.store(active_memory(), Ordering::Relaxed);
}

/// A zero-initialized, 64-byte-aligned host allocation.
pub struct HostBuffer {
    ptr: NonNull<u8>,
    nbytes: usize,
}

// SAFETY: HostBuffer uniquely owns its allocation; shared access is read-only through `&self`
// and mutation needs `&mut self`, so it is as thread-safe as a `Vec<u8>`.
unsafe impl Send for HostBuffer {}
// SAFETY: see `Send`; `&HostBuffer` only hands out `&[u8]`.
unsafe impl Sync for HostBuffer {}

impl HostBuffer {
    /// Allocates `nbytes` zeroed bytes.
    ///
    /// # Panics
    /// Only if the allocator fails (out of memory), as `Vec` does.
    pub fn zeroed(nbytes: usize) -> Self {
        if nbytes == 0 {
            // A dangling but aligned pointer is a valid base for empty slices.
            let ptr = NonNull::new(ALIGN as *mut u8).expect("invariant: ALIGN is nonzero");
            return HostBuffer { ptr, nbytes };
        }
        let layout = AllocLayout::from_size_align(nbytes, ALIGN).expect("invariant: size fits isize");
        // SAFETY: layout has nonzero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw) else { alloc::handle_alloc_error(layout) };
        let now = ACTIVE_BYTES.fetch_add(nbytes, Ordering::Relaxed) + nbytes;
        PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
        HostBuffer { ptr, nbytes }
    }

    /// A buffer holding a copy of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut b = HostBuffer::zeroed(bytes.len());
        b.as_bytes_mut().copy_from_slice(bytes);
        b
    }

    pub fn nbytes(&self) -> usize {
        self.nbytes
    }

    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: ptr points to nbytes initialized (zeroed at allocation) bytes owned by self,
        // or is a dangling aligned pointer with nbytes == 0.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.nbytes) }
    }

    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_bytes`, and `&mut self` guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.nbytes) }
    }
}

impl Drop for HostBuffer {
    fn drop(&mut self) {
        if self.nbytes == 0 {
            return;
        }
        let layout = AllocLayout::from_size_align(self.nbytes, ALIGN).expect("invariant: as allocated");
        // SAFETY: ptr was allocated in `zeroed` with exactly this layout and is freed once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), layout) };
        ACTIVE_BYTES.fetch_sub(self.nbytes, Ordering::Relaxed);
    }
}

impl AsRef<[u8]> for HostBuffer {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Read-only host bytes owned by someone else: a range of `owner`'s bytes, shared.
///
/// Kernels view a buffer's bytes as a slice of its element type, so whoever wraps bytes as an
/// array of some dtype must make sure the range starts at a multiple of that dtype's alignment
/// (see [`ExternalBuffer::is_aligned_to`]); `mlx_core::Tensor::from_external` checks it.
pub struct ExternalBuffer {
    owner: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync>,
    start: usize,
    len: usize,
}

impl ExternalBuffer {
    /// The bytes `range` of `owner`, or `None` when the range is not inside them.
    pub fn new(owner: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync>, range: std::ops::Range<usize>) -> Option<Self> {
        let total = (*owner).as_ref().len();
        if range.start > range.end || range.end > total {
            return None;
        }
        Some(ExternalBuffer { owner, start: range.start, len: range.end - range.start })
    }
    pub fn nbytes(&self) -> usize {
        self.len
    }
    pub fn as_bytes(&self) -> &[u8] {
        // In bounds: checked in `new`, and the owner's bytes never change length.
        (*self.owner).as_ref().get(self.start..self.start + self.len).unwrap_or(&[])
    }
    /// Whether the first byte's address is a multiple of `align`.
    pub fn is_aligned_to(&self, align: usize) -> bool {
        align == 0 || (self.as_bytes().as_ptr() as usize) % align == 0
    }
}

/// Memory of one realized array.
pub enum Buffer {
    Host(HostBuffer),
    /// Read-only bytes owned elsewhere (memory-mapped files, loaded files); never donated.
    External(ExternalBuffer),
}

impl Buffer {
    pub fn nbytes(&self) -> usize {
        match self {
            Buffer::Host(h) => h.nbytes(),
            Buffer::External(e) => e.nbytes(),
        }
    }
    /// The bytes, when the memory is host-visible.
    pub fn host(&self) -> Option<&[u8]> {
        match self {
            Buffer::Host(h) => Some(h.as_bytes()),
            Buffer::External(e) => Some(e.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_zeroes() {
        let b = HostBuffer::zeroed(1000);
        assert!(b.as_bytes().iter().all(|&x| x == 0));
        assert_eq!(b.as_bytes().as_ptr() as usize % ALIGN, 0);
        assert!(active_memory() >= 1000);
        let e = HostBuffer::zeroed(0);
        assert!(e.as_bytes().is_empty());
    }

    #[test]
    fn external_ranges_are_checked() {
        let owner: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync> = std::sync::Arc::new(HostBuffer::from_bytes(&[1, 2, 3, 4]));
        assert!(ExternalBuffer::new(owner.clone(), 2..5).is_none());
        let e = ExternalBuffer::new(owner, 1..3).unwrap();
        assert_eq!(e.as_bytes(), &[2, 3]);
        assert_eq!(Buffer::External(e).host(), Some(&[2u8, 3][..]));
    }
}
