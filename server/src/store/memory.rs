//! Handing freed heap memory back to the operating system.
//!
//! Owns: the one call into the C allocator that returns free pages after a
//! zone load (the file's bytes, the records before they became RRsets) or a
//! data-directory save. glibc keeps freed small chunks in its arenas and on
//! its own only shrinks the top of each heap, so a 1M-name load would keep
//! ~100 MB of freed but resident memory for the life of the process.
//! Must not: be called on the query path: it walks every arena under its lock.

/// Returns free heap pages to the OS (glibc `malloc_trim(0)`); does nothing
/// with other C libraries. True when memory was released.
pub fn release_free_memory() -> bool {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: `malloc_trim` takes no pointers and touches only glibc's
        // own arenas, each under its lock; it may be called from any thread
        // at any time, concurrently with malloc and free.
        unsafe { libc::malloc_trim(0) != 0 }
    }
    #[cfg(not(target_env = "gnu"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn freed_memory_in_the_middle_of_the_heap_is_released() {
        // 8 KiB blocks (below the mmap threshold); keeping every 16th leaves
        // 120 KiB holes that free(3) alone never returns (they are not at the top).
        let mut blocks: Vec<Option<Vec<u8>>> = (0..4096).map(|_| Some(vec![1u8; 8192])).collect();
        for (i, b) in blocks.iter_mut().enumerate() {
            if i % 16 != 0 {
                *b = None;
            }
        }
        let released = super::release_free_memory();
        assert!(released || cfg!(not(target_env = "gnu")));
        assert_eq!(blocks.iter().flatten().map(|b| b[0] as usize).sum::<usize>(), 256, "kept blocks intact");
    }
}
