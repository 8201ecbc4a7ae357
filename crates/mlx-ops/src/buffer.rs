//! Memory owned by realized arrays. A `Buffer` is an enum so device memory can join later;
//! host buffers are 64-byte aligned and every byte is always initialized (fresh allocations are
//! zeroed), so a buffer may be viewed as any plain-old-data element type.
//!
//! Freed host buffers go to a cache keyed by size class (the byte size rounded up to 64 bytes,
//! or to 4 KiB from 4 KiB on) and are handed out again to the next allocation of that class,
//! which saves the allocator and the page faults of fresh memory (MLX's buffer cache).
//! Invariants: `active_memory()` counts only buffers owned by live arrays (a buffer's class
//! size); `cache_memory()` counts the cached ones; the cache never holds more than
//! `cache_limit()` bytes; `clear_cache()` returns its memory to the system.
//!
//! An [`ExternalBuffer`] borrows read-only bytes owned elsewhere (a memory-mapped file, a file
//! read whole into one `HostBuffer`) so loaders can hand out arrays without copying; it is not
//! counted again.

use std::alloc::{self, Layout as AllocLayout};
use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const ALIGN: usize = 64;
const PAGE: usize = 4096;
static ACTIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);
static CACHE_LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_CACHE_LIMIT);
/// Default cache limit: 2 GiB.
const DEFAULT_CACHE_LIMIT: usize = 2 << 30;

/// Cached allocations by class size.
struct Cache {
    free: BTreeMap<usize, Vec<CachedPtr>>,
    bytes: usize,
}

struct CachedPtr(NonNull<u8>);
// SAFETY: a cached pointer is an allocation no one references; it is only moved between threads
// under the cache mutex and then uniquely owned by the `HostBuffer` that takes it.
unsafe impl Send for CachedPtr {}

static CACHE: Mutex<Cache> = Mutex::new(Cache { free: BTreeMap::new(), bytes: 0 });

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    // The cache holds no invariant a panic could break mid-update that matters for safety:
    // a poisoned lock is still usable.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

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

/// Bytes held by the buffer cache (`mx.get_cache_memory()`).
pub fn cache_memory() -> usize {
    cache().bytes
}

/// The cache's byte limit.
pub fn cache_limit() -> usize {
    CACHE_LIMIT.load(Ordering::Relaxed)
}

/// Sets the cache's byte limit (0 disables caching) and returns the previous one
/// (`mx.set_cache_limit`). Shrinks the cache to fit at once.
pub fn set_cache_limit(bytes: usize) -> usize {
    let old = CACHE_LIMIT.swap(bytes, Ordering::Relaxed);
    let mut c = cache();
    while c.bytes > bytes {
        let Some((&class, _)) = c.free.iter().next_back() else { break };
        free_class_entry(&mut c, class);
    }
    old
}

/// Frees every cached buffer (`mx.clear_cache()`).
pub fn clear_cache() {
    let mut c = cache();
    let classes: Vec<usize> = c.free.keys().copied().collect();
    for class in classes {
        while c.free.contains_key(&class) {
            free_class_entry(&mut c, class);
        }
    }
}

/// Frees one cached allocation of `class` bytes.
fn free_class_entry(c: &mut Cache, class: usize) {
    let Some(list) = c.free.get_mut(&class) else { return };
    let ptr = list.pop();
    if list.is_empty() {
        c.free.remove(&class);
    }
    if let Some(p) = ptr {
        c.bytes -= class;
        // SAFETY: p was allocated with exactly this layout (class bytes, ALIGN) and, being in the
        // cache, is referenced by no one; it is freed once (just removed from the cache).
        unsafe { alloc::dealloc(p.0.as_ptr(), alloc_layout(class)) };
    }
}

/// Allocations of at least this many bytes are aligned to a 2 MiB huge page and asked to be
/// backed by huge pages (Linux `madvise(MADV_HUGEPAGE)`, which transparent huge pages in
/// `madvise` mode need): streaming a large array then costs one TLB entry per 2 MiB instead of
/// one per 4 KiB (about 10% of a bandwidth-bound GEMV here). NumPy does the same.
const HUGE_MIN: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;

fn alloc_layout(class: usize) -> AllocLayout {
    let align = if class >= HUGE_MIN { HUGE_PAGE } else { ALIGN };
    // class <= isize::MAX rounded to a page, align a power of two: always valid in practice; an
    // impossible size is reported like an allocation failure.
    AllocLayout::from_size_align(class, align).unwrap_or_else(|_| alloc::handle_alloc_error(AllocLayout::new::<u8>()))
}

/// A fresh allocation of `layout` with every byte zeroed; large ones get huge pages first.
fn alloc_fresh_zeroed(layout: AllocLayout) -> *mut u8 {
    if layout.size() < HUGE_MIN {
        // SAFETY: layout has nonzero size (callers never allocate class 0).
        return unsafe { alloc::alloc_zeroed(layout) };
    }
    // SAFETY: nonzero size, as above.
    let raw = unsafe { alloc::alloc(layout) };
    if !raw.is_null() {
        advise_huge_pages(raw, layout.size());
        // SAFETY: raw points to layout.size() writable bytes just allocated; zeroing them
        // (after the advice, so the first touch faults in huge pages) initializes every byte.
        unsafe { std::ptr::write_bytes(raw, 0, layout.size()) };
    }
    raw
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    // SAFETY: [ptr, ptr + len) is one live allocation we own (2 MiB-aligned, so page-aligned as
    // madvise requires); MADV_HUGEPAGE only changes how the kernel backs it, never its contents.
    // A refusal (THP disabled) is harmless: the memory stays on normal pages.
    let _ = unsafe { libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE) };
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _len: usize) {}

/// The allocation size of a request of `nbytes` (> 0).
fn size_class(nbytes: usize) -> usize {
    if nbytes < PAGE {
        nbytes.div_ceil(ALIGN) * ALIGN
    } else {
        nbytes.div_ceil(PAGE) * PAGE
    }
}

/// A 64-byte-aligned host allocation whose bytes are all initialized.
pub struct HostBuffer {
    ptr: NonNull<u8>,
    nbytes: usize,
    /// Allocated bytes (the size class); 0 for the empty buffer.
    class: usize,
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
        let (mut b, fresh) = Self::allocate(nbytes);
        if !fresh {
            b.as_bytes_mut().fill(0);
        }
        b
    }

    /// Allocates `nbytes` whose values are unspecified (zeros, or stale data of a freed array)
    /// but initialized. For outputs the caller overwrites entirely: it skips zeroing a cached
    /// buffer.
    ///
    /// # Panics
    /// Only if the allocator fails (out of memory), as `Vec` does.
    pub fn for_overwrite(nbytes: usize) -> Self {
        Self::allocate(nbytes).0
    }

    /// A buffer from the cache (`false`) or freshly zeroed (`true`).
    fn allocate(nbytes: usize) -> (Self, bool) {
        if nbytes == 0 {
            // A dangling but aligned pointer is a valid base for empty slices.
            let ptr = NonNull::new(ALIGN as *mut u8).unwrap_or(NonNull::dangling());
            return (HostBuffer { ptr, nbytes, class: 0 }, true);
        }
        let class = size_class(nbytes);
        let cached = {
            let mut c = cache();
            let p = c.free.get_mut(&class).and_then(|l| l.pop());
            if p.is_some() {
                c.bytes -= class;
                if c.free.get(&class).is_some_and(|l| l.is_empty()) {
                    c.free.remove(&class);
                }
            }
            p
        };
        let now = ACTIVE_BYTES.fetch_add(class, Ordering::Relaxed) + class;
        PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
        if let Some(p) = cached {
            return (HostBuffer { ptr: p.0, nbytes, class }, false);
        }
        let layout = alloc_layout(class);
        // Zeroed memory initializes every byte.
        let raw = alloc_fresh_zeroed(layout);
        let Some(ptr) = NonNull::new(raw) else { alloc::handle_alloc_error(layout) };
        (HostBuffer { ptr, nbytes, class }, true)
    }

    /// A buffer holding a copy of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut b = HostBuffer::for_overwrite(bytes.len());
        b.as_bytes_mut().copy_from_slice(bytes);
        b
    }

    pub fn nbytes(&self) -> usize {
        self.nbytes
    }

    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: ptr points to at least nbytes initialized bytes owned by self (zeroed at
        // allocation, written only through `as_bytes_mut` since), or is a dangling aligned
        // pointer with nbytes == 0.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.nbytes) }
    }

    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_bytes`, and `&mut self` guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.nbytes) }
    }
}

impl Drop for HostBuffer {
    fn drop(&mut self) {
        if self.class == 0 {
            return;
        }
        ACTIVE_BYTES.fetch_sub(self.class, Ordering::Relaxed);
        let mut c = cache();
        if c.bytes + self.class <= cache_limit() {
            c.bytes += self.class;
            c.free.entry(self.class).or_default().push(CachedPtr(self.ptr));
            return;
        }
        drop(c);
        // SAFETY: ptr was allocated with exactly this layout and is freed once (it is not cached).
        unsafe { alloc::dealloc(self.ptr.as_ptr(), alloc_layout(self.class)) };
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

    /// Large buffers take the huge-page path: 2 MiB-aligned, zeroed, writable to the end, and
    /// freed with the layout they were allocated with (the cache hands the same class back).
    #[test]
    fn large_buffers_are_huge_page_aligned_and_zeroed() {
        let n = HUGE_MIN + 3 * PAGE + 5; // a class no other test uses
        let mut a = HostBuffer::zeroed(n);
        assert_eq!(a.as_bytes().as_ptr() as usize % HUGE_PAGE, 0);
        assert!(a.as_bytes().iter().all(|&x| x == 0));
        a.as_bytes_mut()[n - 1] = 9;
        drop(a);
        let b = HostBuffer::zeroed(n);
        assert_eq!(b.as_bytes().as_ptr() as usize % HUGE_PAGE, 0);
        assert!(b.as_bytes().iter().all(|&x| x == 0));
    }

    #[test]
    fn external_ranges_are_checked() {
        let owner: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync> = std::sync::Arc::new(HostBuffer::from_bytes(&[1, 2, 3, 4]));
        assert!(ExternalBuffer::new(owner.clone(), 2..5).is_none());
        let e = ExternalBuffer::new(owner, 1..3).unwrap();
        assert_eq!(e.as_bytes(), &[2, 3]);
        assert_eq!(Buffer::External(e).host(), Some(&[2u8, 3][..]));
    }

    #[test]
    fn cache_reuses_and_rezeroes() {
        // A size class no other test uses.
        let n = 123 * PAGE + 17;
        let mut a = HostBuffer::zeroed(n);
        a.as_bytes_mut().fill(7);
        let p = a.as_bytes().as_ptr();
        drop(a);
        assert!(cache_memory() >= size_class(n));
        // The same class comes back from the cache: stale for `for_overwrite`, zeroed otherwise.
        let b = HostBuffer::for_overwrite(n);
        assert_eq!(b.as_bytes().len(), n);
        let reused = b.as_bytes().as_ptr() == p;
        drop(b);
        let c = HostBuffer::zeroed(n);
        assert!(c.as_bytes().iter().all(|&x| x == 0));
        assert!(reused || cache_memory() > 0);
        drop(c);
        clear_cache();
        let old = set_cache_limit(0);
        let d = HostBuffer::zeroed(n);
        drop(d);
        assert_eq!(cache_memory(), 0);
        set_cache_limit(old);
    }
}
