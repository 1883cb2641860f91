//! Node storage for large zones: blobs bumped one after another into chunks
//! of huge pages.
//!
//! Owns: [`Arena`], the chunks (one [`HUGE_PAGE`] each, aligned to it) and
//! their release once no blob in them is alive.
//! Must not: reuse freed space (a chunk is given back whole, when its last
//! blob goes) or serve small zones (a chunk costs a whole huge page).
//!
//! A million nodes one malloc each sit on 4 KiB pages among everything else
//! the heap holds, and a lookup's visit to its node is then a TLB miss as
//! well as a cache miss. Bumped into huge pages they take less room too (no
//! per-allocation header and rounding). Each blob keeps its own reference
//! count, so zone versions share nodes as before; a chunk counts its live
//! blobs, plus one for the arena while it still fills it.
//!
//! ```text
//!  chunk: live blobs (usize) ‖ pad to 64 ‖ blob ‖ blob ‖ … ‖ unused
//! ```

use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

use super::huge::{map_huge, unmap, HUGE_PAGE};

/// Bytes of a chunk, and its alignment: a blob finds its chunk by masking.
const CHUNK: usize = HUGE_PAGE;
/// Where the first blob of a chunk starts (a cache line after the count).
const FIRST: usize = 64;
/// Alignment of every blob.
const ALIGN: usize = 4;

/// Bump allocation of zeroed blobs in huge-page chunks.
#[derive(Default)]
pub(super) struct Arena {
    /// The chunk being filled, and the offset of its first free byte.
    cur: Option<(NonNull<u8>, usize)>,
}

// SAFETY: the arena's one reference to its chunk is an atomic count, and
// the space it has not handed out yet is touched by no one else.
unsafe impl Send for Arena {}
// SAFETY: a shared `&Arena` reads and writes nothing.
unsafe impl Sync for Arena {}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena").field("used", &self.cur.map(|(_, u)| u)).finish()
    }
}

/// The live count at the start of the chunk holding `p`.
///
/// # Safety
/// `p` points into a live chunk.
unsafe fn live<'a>(p: *const u8) -> &'a AtomicUsize {
    // SAFETY: per the contract the chunk is live; it starts with the count,
    // CHUNK-aligned, and `p` carries the chunk's provenance.
    unsafe { &*p.map_addr(|a| a & !(CHUNK - 1)).cast::<AtomicUsize>() }
}

impl Arena {
    /// `size` zeroed bytes aligned to 4, counted in their chunk; None when
    /// the blob is too large for a chunk or no memory could be mapped (then
    /// the heap serves it). Free the blob with [`release`].
    pub(super) fn alloc(&mut self, size: usize) -> Option<NonNull<u8>> {
        if size > CHUNK - FIRST {
            return None;
        }
        // (Keeping a blob that fits in a cache line from straddling two made
        // no difference to lookups in a 1M-name zone: the adjacent-line
        // prefetch covers it.)
        let fits = |used: usize| {
            let at = used.next_multiple_of(ALIGN);
            (at + size <= CHUNK).then_some(at)
        };
        let (base, at) = match self.cur.and_then(|(base, used)| Some((base, fits(used)?))) {
            Some(found) => found,
            None => {
                let (base, mapped) = map_huge(CHUNK)?;
                debug_assert!(mapped == CHUNK && base.as_ptr().addr() % CHUNK == 0);
                // SAFETY: a fresh zeroed mapping of CHUNK bytes, aligned to
                // CHUNK (so usize-aligned): its start holds the count, which
                // starts at one for the arena itself.
                unsafe { base.cast::<AtomicUsize>().write(AtomicUsize::new(1)) };
                self.finish();
                (base, FIRST)
            }
        };
        self.cur = Some((base, at + size));
        // SAFETY: `at + size <= CHUNK`, inside the chunk this arena holds.
        let p = unsafe { base.add(at) };
        // SAFETY: the chunk is live (the arena holds a count on it).
        unsafe { live(p.as_ptr()) }.fetch_add(1, Ordering::Relaxed);
        Some(p)
    }

    /// Stops filling the current chunk (it goes once its blobs do).
    fn finish(&mut self) {
        if let Some((base, _)) = self.cur.take() {
            // SAFETY: the arena's own count keeps the chunk live until now.
            unsafe { release(base.as_ptr()) };
        }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Gives back one count on the chunk holding `p` (a blob from
/// [`Arena::alloc`], or a chunk's start for the arena's own count); the
/// last one unmaps the chunk.
///
/// # Safety
/// The caller owns the count it gives back, and touches nothing in that
/// chunk afterwards.
pub(super) unsafe fn release(p: *mut u8) {
    // SAFETY: the caller's count keeps the chunk live for this call.
    if unsafe { live(p) }.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    // Every other blob's last use happens before the unmap (as in `Arc`).
    fence(Ordering::Acquire);
    let base = p.map_addr(|a| a & !(CHUNK - 1));
    // SAFETY: that was the last count: nothing refers to the chunk, which
    // `map_huge` mapped as CHUNK bytes at `base`.
    unsafe { unmap(NonNull::new_unchecked(base), CHUNK) };
    #[cfg(test)]
    tests::UNMAPPED.with(|n| n.set(n.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Chunks this thread unmapped.
        pub(super) static UNMAPPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn on_linux() -> bool {
        cfg!(target_os = "linux")
    }

    fn unmapped() -> usize {
        UNMAPPED.with(|n| n.get())
    }

    #[test]
    fn bumps_counts_and_unmaps_a_chunk_with_its_last_blob() {
        let mut a = Arena::default();
        let Some(first) = a.alloc(40) else {
            assert!(!on_linux(), "chunks are mapped on Linux");
            return;
        };
        let second = a.alloc(40).expect("room left");
        assert_eq!(first.as_ptr().addr() % CHUNK, FIRST);
        assert_eq!(second.as_ptr().addr(), first.as_ptr().addr() + 40);
        let third = a.alloc(9).expect("room left");
        assert_eq!(third.as_ptr().addr(), second.as_ptr().addr() + 40);
        let fourth = a.alloc(1).expect("room left");
        assert_eq!(fourth.as_ptr().addr(), third.as_ptr().addr() + 12, "aligned to 4");
        assert!(a.alloc(CHUNK).is_none());
        // Fill past the first chunk: a second one starts.
        let mut blobs = vec![first, second, third, fourth];
        while blobs.last().is_some_and(|b| b.as_ptr().addr() & !(CHUNK - 1) == first.as_ptr().addr() & !(CHUNK - 1)) {
            blobs.push(a.alloc(100).expect("mapped"));
        }
        let in_first = blobs.len() - 1;
        // SAFETY: both chunks are live; the first lost the arena's count.
        unsafe {
            assert_eq!(live(first.as_ptr()).load(Ordering::Relaxed), in_first);
            assert_eq!(live(blobs[in_first].as_ptr()).load(Ordering::Relaxed), 2);
        }
        let gone = unmapped();
        for b in &blobs[..in_first] {
            // SAFETY: each blob's count given back once, nothing read after.
            unsafe { release(b.as_ptr()) };
        }
        assert_eq!(unmapped(), gone + 1, "the first chunk went with its last blob");
        let last = blobs[in_first].as_ptr();
        drop(a);
        assert_eq!(unmapped(), gone + 1, "a blob keeps its chunk");
        // SAFETY: as above.
        unsafe { release(last) };
        assert_eq!(unmapped(), gone + 2);
    }
}
