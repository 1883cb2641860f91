//! Fixed-length arrays for large zones, in transparent huge pages.
//!
//! Owns: [`HugeSlice`], a boxed slice that, once it spans a huge page
//! (2 MiB) or more, lives in its own anonymous mapping advised
//! `MADV_HUGEPAGE` before its first touch.
//! Must not: hold anything but zone data read on the query path; other
//! memory stays with the global allocator.
//!
//! A lookup in a zone of a million names lands on a random slot of a
//! table of many megabytes: with 4 KiB pages nearly every one is also a TLB
//! miss and a page walk (a two-level one in a virtual machine). Hosts whose
//! transparent huge pages are in `madvise` mode (the common default) give
//! huge pages only to memory that asks, and a mapping has to ask before it
//! is touched. Where the kernel refuses, the mapping keeps 4 KiB pages.

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// The huge page size on x86-64 and on AArch64 with 4 KiB base pages.
pub(super) const HUGE_PAGE: usize = 2 << 20;

/// A boxed slice, in a huge-page mapping when at least [`HUGE_PAGE`] long.
pub(super) struct HugeSlice<T> {
    ptr: NonNull<T>,
    len: usize,
    /// Bytes mapped at `ptr`, or 0 when the slice is a `Box<[T]>`.
    mapped: usize,
}

// SAFETY: a HugeSlice owns its elements as a Box<[T]> does.
unsafe impl<T: Send> Send for HugeSlice<T> {}
// SAFETY: as above; shared access only hands out `&T`.
unsafe impl<T: Sync> Sync for HugeSlice<T> {}

impl<T> Default for HugeSlice<T> {
    fn default() -> Self {
        HugeSlice::from_fn(0, |_| unreachable!("no elements"))
    }
}

impl<T> HugeSlice<T> {
    /// `len` elements, the i-th being `f(i)`.
    pub(super) fn from_fn(len: usize, mut f: impl FnMut(usize) -> T) -> Self {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        if bytes >= HUGE_PAGE && std::mem::align_of::<T>() <= HUGE_PAGE {
            if let Some((base, mapped)) = map_huge(bytes) {
                let ptr = base.cast::<T>();
                for i in 0..len {
                    // SAFETY: the mapping holds `len` elements from `ptr`,
                    // aligned (it starts on a huge page boundary), and slot i
                    // has not been written yet.
                    unsafe { ptr.add(i).write(f(i)) };
                }
                return HugeSlice { ptr, len, mapped };
            }
        }
        let boxed: Box<[T]> = (0..len).map(f).collect();
        let len = boxed.len();
        HugeSlice { ptr: NonNull::from(Box::leak(boxed)).cast(), len, mapped: 0 }
    }

    /// True when the elements live in their own huge-page mapping.
    #[cfg(test)]
    pub(super) fn is_mapped(&self) -> bool {
        self.mapped != 0
    }
}

impl<T> Deref for HugeSlice<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised elements from `ptr`, owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for HugeSlice<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Drop for HugeSlice<T> {
    fn drop(&mut self) {
        let elems = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
        if self.mapped == 0 {
            // SAFETY: made from a leaked Box<[T]> of exactly these elements.
            drop(unsafe { Box::from_raw(elems) });
            return;
        }
        // SAFETY: the elements are initialised and dropped once, here; then
        // the mapping (made by `map_huge`, `mapped` bytes) is unmapped once.
        unsafe {
            std::ptr::drop_in_place(elems);
            unmap(self.ptr.cast(), self.mapped);
        }
    }
}

/// A zeroed mapping of at least `bytes`, aligned to and advised for huge
/// pages: its start and its length in bytes. None when mapping fails.
#[cfg(target_os = "linux")]
pub(super) fn map_huge(bytes: usize) -> Option<(NonNull<u8>, usize)> {
    let size = bytes.checked_next_multiple_of(HUGE_PAGE)?;
    let span = size.checked_add(HUGE_PAGE)?;
    // SAFETY: a fresh private anonymous mapping aliases nothing.
    let raw = unsafe { libc::mmap(std::ptr::null_mut(), span, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
    if raw == libc::MAP_FAILED {
        return None;
    }
    let raw = raw.cast::<u8>();
    let head = raw.addr().next_multiple_of(HUGE_PAGE) - raw.addr();
    let tail = span - head - size;
    // SAFETY: the head and tail trimmed here lie inside the mapping just
    // made and untouched; what stays is [raw + head, raw + head + size).
    let start = unsafe {
        let start = raw.add(head);
        if head > 0 {
            libc::munmap(raw.cast(), head);
        }
        if tail > 0 {
            libc::munmap(start.add(size).cast(), tail);
        }
        // Refused where THP is off or unsupported: then 4 KiB pages serve.
        libc::madvise(start.cast(), size, libc::MADV_HUGEPAGE);
        start
    };
    NonNull::new(start).map(|p| (p, size))
}

#[cfg(not(target_os = "linux"))]
pub(super) fn map_huge(_bytes: usize) -> Option<(NonNull<u8>, usize)> {
    None
}

/// Unmaps what [`map_huge`] mapped.
///
/// # Safety
/// `start` and `size` come from one `map_huge` call, unmapped once.
#[cfg(target_os = "linux")]
pub(super) unsafe fn unmap(start: NonNull<u8>, size: usize) {
    // SAFETY: per the contract, the range is one live mapping of ours.
    unsafe { libc::munmap(start.as_ptr().cast(), size) };
}

#[cfg(not(target_os = "linux"))]
pub(super) unsafe fn unmap(_start: NonNull<u8>, _size: usize) {
    unreachable!("nothing is mapped off Linux")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn small_on_the_heap_large_mapped_and_elements_dropped_once() {
        let token = Arc::new(());
        let small = HugeSlice::from_fn(10, |_| Some(token.clone()));
        assert!(!small.is_mapped() && small.len() == 10);
        let n = HUGE_PAGE / std::mem::size_of::<Option<Arc<()>>>() + 3;
        let mut big = HugeSlice::from_fn(n, |i| (i % 2 == 0).then(|| token.clone()));
        assert_eq!(big.len(), n);
        assert!(big.is_mapped() || cfg!(not(target_os = "linux")));
        assert_eq!(big.as_ptr().addr() % HUGE_PAGE, 0);
        assert_eq!(Arc::strong_count(&token), 1 + 10 + n.div_ceil(2));
        big[1] = big[0].take();
        assert!(big[0].is_none() && big[1].is_some() && big[n - 1].is_some() == (n - 1).is_multiple_of(2));
        drop(small);
        drop(big);
        assert_eq!(Arc::strong_count(&token), 1);
        let empty: HugeSlice<Option<Arc<()>>> = HugeSlice::default();
        assert!(empty.is_empty());
    }
}
