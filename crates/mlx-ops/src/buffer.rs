//! Memory owned by realized arrays. A `Buffer` is an enum so device memory can join later;
//! host buffers are 64-byte aligned and zero-initialized (so every byte is initialized and may be
//! viewed as any plain-old-data element type). All live host bytes are counted for
//! `active_memory()`.

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

/// Memory of one realized array.
pub enum Buffer {
    Host(HostBuffer),
}

impl Buffer {
    pub fn nbytes(&self) -> usize {
        match self {
            Buffer::Host(h) => h.nbytes(),
        }
    }
    /// The bytes, when the memory is host-visible.
    pub fn host(&self) -> Option<&[u8]> {
        match self {
            Buffer::Host(h) => Some(h.as_bytes()),
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
}
