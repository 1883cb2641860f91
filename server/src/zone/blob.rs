//! A shared, immutable block of bytes behind one thin pointer that carries a tag.
//!
//! Owns: allocating (from the heap or an [`Arena`]), sharing (an atomic
//! reference count, as `Arc` keeps) and freeing the bytes of a node, and the
//! 16-bit tag kept in the pointer's unused high bits.
//! Must not: know what the bytes mean ([`super::node`] does) or how the tag
//! is chosen ([`super::table`] does).
//!
//! `Arc<[u8]>` is a fat pointer (address and length, 16 bytes). A [`Blob`] is
//! one word: the length sits in the allocation beside the count, and the top
//! 16 bits of the address (zero in user space on x86-64 and AArch64, whose
//! virtual addresses have 48 bits) hold a tag. So a table slot is 8 bytes, a
//! 64-byte line holds eight of them, and a probe rejects a slot by its tag
//! without touching that slot's node: one cache miss for the slot, one for
//! the node.
//!
//! ```text
//!  pointer:    tag (16) ‖ address (48)
//!  allocation: count (u32) ‖ in arena (1 bit) ‖ length (31 bits) ‖ bytes …
//! ```

use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU32, Ordering};

use super::arena::{self, Arena};

/// Bytes before the block's own: reference count and length, both u32.
const HEADER: usize = 8;
/// Alignment of the allocation (the u32 count).
const ALIGN: usize = 4;
/// Where the tag starts in the pointer.
#[cfg(target_pointer_width = "64")]
const TAG_SHIFT: u32 = 48;
/// The address bits of a tagged pointer.
#[cfg(target_pointer_width = "64")]
const ADDR_MASK: usize = (1 << TAG_SHIFT) - 1;
/// Pointers on narrower targets have no spare bits: every tag is zero.
#[cfg(not(target_pointer_width = "64"))]
const ADDR_MASK: usize = usize::MAX;
/// A count this high means clones are leaking: abort as `Arc` does.
const MAX_COUNT: u32 = u32::MAX / 2;
/// The bit of the length word set when the blob lives in an arena chunk.
const IN_ARENA: u32 = 1 << 31;

/// The tag bits for a hash, in place in a pointer-sized word.
#[inline]
pub(super) fn tag_bits(hash: u64) -> usize {
    #[cfg(target_pointer_width = "64")]
    {
        (hash as u16 as usize) << TAG_SHIFT
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        let _ = hash;
        0
    }
}

/// Reference-counted bytes behind a tagged thin pointer (see the module doc).
#[repr(transparent)]
pub(super) struct Blob {
    p: NonNull<u8>,
}

// SAFETY: the bytes change only through `make_mut`, which needs `&mut self`
// and a count of one (no other `Blob` or borrow can see them), and the count
// is atomic: the same contract as `Arc<[u8]>`, which is Send and Sync.
unsafe impl Send for Blob {}
// SAFETY: as above.
unsafe impl Sync for Blob {}

fn layout(len: usize) -> Layout {
    match Layout::from_size_align(HEADER + len, ALIGN) {
        Ok(l) if len < IN_ARENA as usize => l,
        _ => panic!("a zone node of {len} octets is larger than 2 GiB"),
    }
}

impl Blob {
    /// A block of `len` bytes filled by `init` (which sees them zeroed),
    /// carrying the tag `tag` (from [`tag_bits`]).
    pub(super) fn new(len: usize, tag: usize, init: impl FnOnce(&mut [u8])) -> Blob {
        Blob::new_in(None, len, tag, init)
    }

    /// [`Blob::new`] in `arena` when given and it has room, else on the heap.
    pub(super) fn new_in(arena: Option<&mut Arena>, len: usize, tag: usize, init: impl FnOnce(&mut [u8])) -> Blob {
        let layout = layout(len);
        let (base, bit) = match arena.and_then(|a| a.alloc(layout.size())) {
            Some(p) => (p, IN_ARENA),
            None => {
                // SAFETY: the layout's size is at least HEADER, never zero.
                let raw = unsafe { alloc_zeroed(layout) };
                let Some(p) = NonNull::new(raw) else { handle_alloc_error(layout) };
                (p, 0)
            }
        };
        assert!(base.as_ptr().addr() & !ADDR_MASK == 0, "address {base:p} uses the pointer's tag bits");
        // SAFETY: the allocation is ours alone, HEADER + len bytes, aligned for
        // u32 and zeroed, so both header words and the byte slice are valid.
        unsafe {
            base.cast::<u32>().write(1);
            base.add(4).cast::<u32>().write(len as u32 | bit);
            init(std::slice::from_raw_parts_mut(base.as_ptr().add(HEADER), len));
        }
        Blob { p: base.map_addr(|a| a | (tag & !ADDR_MASK)) }
    }

    /// The untagged address of the allocation.
    #[inline]
    fn base(&self) -> *mut u8 {
        self.p.as_ptr().map_addr(|a| a & ADDR_MASK)
    }

    #[inline]
    fn count(&self) -> &AtomicU32 {
        // SAFETY: the allocation starts with the count, aligned for u32, and
        // lives as long as this `Blob` (which holds one reference to it).
        unsafe { &*self.base().cast::<AtomicU32>() }
    }

    /// The length word: the length and [`IN_ARENA`].
    #[inline]
    fn len_word(&self) -> u32 {
        // SAFETY: the length word follows the count; written once by `new_in`.
        unsafe { self.base().add(4).cast::<u32>().read() }
    }

    /// Number of bytes.
    #[inline]
    pub(super) fn len(&self) -> usize {
        (self.len_word() & !IN_ARENA) as usize
    }

    /// True when the blob lives in an arena chunk.
    #[cfg(test)]
    pub(super) fn in_arena(&self) -> bool {
        self.len_word() & IN_ARENA != 0
    }

    /// This blob's bytes moved into `arena`, unless it is there already or
    /// shared (then it stays where the other owners see it).
    pub(super) fn moved_into(self, arena: &mut Arena) -> Blob {
        if self.len_word() & IN_ARENA != 0 || self.count().load(Ordering::Acquire) != 1 {
            return self;
        }
        Blob::new_in(Some(arena), self.len(), self.tag(), |b| b.copy_from_slice(self.bytes()))
    }

    /// The bytes.
    #[inline]
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes follow the header; they do not
        // change while shared (see `make_mut`), and the count they exclude is
        // the only part other owners write.
        unsafe { std::slice::from_raw_parts(self.base().add(HEADER), self.len()) }
    }

    /// The bytes for writing, copied first when another owner shares them.
    pub(super) fn make_mut(&mut self) -> &mut [u8] {
        if self.count().load(Ordering::Acquire) != 1 {
            let copy = Blob::new(self.len(), self.tag(), |b| b.copy_from_slice(self.bytes()));
            *self = copy;
        }
        // SAFETY: the count is one and we hold `&mut self`, so nothing else
        // can read or write these bytes while the borrow lives.
        unsafe { std::slice::from_raw_parts_mut(self.base().add(HEADER), self.len()) }
    }

    /// The tag bits, in place (see [`tag_bits`]).
    #[inline]
    pub(super) fn tag(&self) -> usize {
        self.p.as_ptr().addr() & !ADDR_MASK
    }

    /// The address of the allocation (identity, and where it sits in memory).
    #[inline]
    pub(super) fn addr(&self) -> usize {
        self.base().addr()
    }
}

impl Clone for Blob {
    #[inline]
    fn clone(&self) -> Blob {
        // Relaxed as in `Arc::clone`: the new owner got the pointer from an
        // existing one, which keeps the allocation alive meanwhile.
        if self.count().fetch_add(1, Ordering::Relaxed) > MAX_COUNT {
            std::process::abort();
        }
        Blob { p: self.p }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        if self.count().fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // Every other owner's last use happens before the free (as in `Arc`).
        fence(Ordering::Acquire);
        if self.len_word() & IN_ARENA != 0 {
            // SAFETY: this was the last reference, holding one count on its chunk.
            unsafe { arena::release(self.base()) };
            return;
        }
        let layout = layout(self.len());
        // SAFETY: this was the last reference; the allocation came from
        // `alloc_zeroed` with this layout (same length, same alignment).
        unsafe { dealloc(self.base(), layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_copies_on_write_and_keeps_the_tag() {
        let tag = tag_bits(0xABCD);
        let mut a = Blob::new(5, tag, |b| b.copy_from_slice(b"hello"));
        assert_eq!((a.bytes(), a.len(), a.tag()), (&b"hello"[..], 5, tag));
        let b = a.clone();
        assert_eq!(a.addr(), b.addr());
        a.make_mut()[0] = b'j';
        assert_eq!((a.bytes(), b.bytes()), (&b"jello"[..], &b"hello"[..]));
        assert_ne!(a.addr(), b.addr());
        assert_eq!(a.tag(), tag);
        let at = a.addr();
        a.make_mut()[1] = b'a';
        assert_eq!((a.bytes(), a.addr()), (&b"jallo"[..], at), "a unique block is written in place");
        drop(b);
        let e = Blob::new(0, 0, |_| {});
        assert!(e.bytes().is_empty() && e.clone().tag() == 0);
    }

    #[test]
    fn moves_into_an_arena_unless_shared() {
        let mut arena = Arena::default();
        let a = Blob::new(3, tag_bits(1), |b| b.copy_from_slice(b"abc"));
        let kept = a.clone();
        let a = a.moved_into(&mut arena);
        assert!(a.addr() == kept.addr() && a.len_word() & IN_ARENA == 0, "shared: stays");
        drop(kept);
        let mut m = a.moved_into(&mut arena);
        let moved = cfg!(target_os = "linux");
        assert_eq!((m.bytes(), m.tag(), m.len_word() & IN_ARENA != 0), (&b"abc"[..], tag_bits(1), moved));
        let c = m.clone();
        m.make_mut()[0] = b'x';
        assert_eq!((m.bytes(), c.bytes(), m.len_word() & IN_ARENA), (&b"xbc"[..], &b"abc"[..], 0));
        drop(arena);
        assert_eq!(c.moved_into(&mut Arena::default()).bytes(), b"abc");
    }

    #[test]
    fn shared_across_threads() {
        let a = Blob::new(3, tag_bits(7), |b| b.copy_from_slice(b"abc"));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let c = a.clone();
                std::thread::spawn(move || (0..1000).map(|_| c.clone().bytes()[2] as usize).sum::<usize>())
            })
            .collect();
        for h in hs {
            assert_eq!(h.join().ok(), Some(1000 * b'c' as usize));
        }
        assert_eq!(a.count().load(Ordering::Relaxed), 1);
    }
}
