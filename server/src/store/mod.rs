//! Persistence of zones across restarts (T3, I6): the one store of the data
//! directory.
//!
//! Owns: [`Store`], through which every file of `<data_dir>/zones/` is read
//! and written: committing a new zone version (`commit`: journal, served
//! table, files, in the order a crash cannot break), the per-zone write
//! queue that keeps writes off the serving path (`flush`), the file formats
//! (`dir`, `zonefile`, `journal_file`, `timers`) and handing freed memory
//! back after a big write (`memory`).
//! Must not: decide whether a version is wanted or talk to the network
//! (the zone's lifecycle in [`crate::lifecycle`] does both).

// Unsafe code only in `memory` (one libc call); every other module forbids it.
#![deny(unsafe_code)]

mod commit;
mod dir;
mod flush;
mod journal_file;
#[allow(unsafe_code)]
pub mod memory;
mod timers;
mod zonefile;

pub use commit::{roll_forward, roll_forward_blocking, CommitError, Saved, SavedCopy, Store, COPY_DELAY};
pub use dir::{file_stem, StoreError, DEFAULT_DATA_DIR};
pub(crate) use dir::{io_err, sync_dir, write_atomic, write_atomic_with, DataDir};
pub use timers::Timers;
