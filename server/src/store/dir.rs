//! The data directory's files: layout, atomic writes, and reading them back.
//!
//! Owns: [`DataDir`] (paths and whole-file writes; the zone file, journal
//! and timers formats are in the sibling modules `zonefile`, `journal_file`
//! and `timers`). Each zone, primary or
//! secondary, is kept under `<root>/zones/` as three files named after the
//! zone (see [`file_stem`]):
//!
//! ```text
//!  <root>/zones/example.com.zone      RFC 1035 zone file (zonefile.rs)
//!  <root>/zones/example.com.journal   IXFR journal, checksummed entries (journal_file.rs)
//!  <root>/zones/example.com.timers    refresh/expire timers, JSON (timers.rs)
//! ```
//!
//! Whole-file writes are atomic: write `<file>.<pid>-<n>.tmp`, fsync it,
//! rename it over the file, fsync the directory. A crash leaves either the old
//! file or the new one, plus at worst a stale `.tmp` that [`DataDir::open`]
//! removes. The journal is also appended to in place; a torn last entry fails
//! its checksum and is dropped on load, never misread.
//!
//! Write order for a new version (so a crash never pairs a zone with a
//! journal that claims to lead elsewhere): append the diff to the journal,
//! then save the zone, then the timers. A journal that ends past the saved
//! zone is simply not used for IXFR ([`Journal::leads_to`](crate::xfr::journal::Journal::leads_to)).
//!
//! Must not: decide when to save ([`super::Store`] does), or be
//! called from the query path: every call blocks on disk I/O, so async
//! callers use `spawn_blocking`. One writer per zone at a time.

#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::wire::name::DisplayName;

/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/bind";

/// Why the data directory could not be read or written. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O error on a file or directory.
    #[error("{path}: cannot {op}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What was being done ("write", "rename", …).
        op: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The stored zone file does not read back.
    #[error(transparent)]
    ZoneFile(#[from] crate::zone::file::ZoneFileError),
    /// The stored zone file reads but does not form a valid zone.
    #[error(transparent)]
    Build(#[from] crate::zone::build::BuildError),
    /// A file that is not what it should be (wrong magic, wrong zone, bad JSON).
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Builds the I/O variant.
pub(crate) fn io_err<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io { path: path.display().to_string(), op, source }
}

/// The data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Opens (creating if needed) the data directory at `root` and its
    /// `zones/` directory, and removes temporary files a crash left behind.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = Self { root: root.into() };
        let zones = dir.zones_dir();
        fs::create_dir_all(&zones).map_err(io_err(&zones, "create directory"))?;
        for entry in fs::read_dir(&zones).map_err(io_err(&zones, "list directory"))?.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().ends_with(".tmp") {
                let path = entry.path();
                tracing::info!(path = %path.display(), "removing a temporary file left by an interrupted write");
                let _ = fs::remove_file(&path);
            }
        }
        Ok(dir)
    }

    /// The directory holding the zone files.
    pub fn zones_dir(&self) -> PathBuf {
        self.root.join("zones")
    }

    /// The zone file of the zone at `origin` (lowercase wire).
    pub fn zone_path(&self, origin: &[u8]) -> PathBuf {
        self.zones_dir().join(format!("{}.zone", file_stem(origin)))
    }

    /// The journal file of the zone at `origin`.
    pub fn journal_path(&self, origin: &[u8]) -> PathBuf {
        self.zones_dir().join(format!("{}.journal", file_stem(origin)))
    }

    /// The timers file of the zone at `origin`.
    pub fn timers_path(&self, origin: &[u8]) -> PathBuf {
        self.zones_dir().join(format!("{}.timers", file_stem(origin)))
    }

    /// Deletes every file of the zone at `origin` (a zone no longer served).
    /// Files already gone are not an error.
    pub fn remove_zone(&self, origin: &[u8]) -> Result<(), StoreError> {
        for path in [self.zone_path(origin), self.journal_path(origin), self.timers_path(origin)] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path, "remove")(e)),
            }
        }
        tracing::debug!(zone = %DisplayName(origin), op = "remove", "zone files removed");
        sync_dir(&self.zones_dir())
    }
}

/// Writes `data` to `path` atomically: temporary file, fsync, rename, fsync
/// of the directory.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    write_atomic_with(path, |w| w.write_all(data))
}

/// [`write_atomic`] with the content streamed by `fill` through a buffered
/// writer, for files too big to build in memory first (a 1M-name zone is
/// about 47 MB of text).
pub(crate) fn write_atomic_with(path: &Path, fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>) -> Result<(), StoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let f = File::create(&tmp).map_err(io_err(&tmp, "create"))?;
        let mut w = BufWriter::with_capacity(WRITE_BUFFER, f);
        fill(&mut w).map_err(io_err(&tmp, "write"))?;
        let f = w.into_inner().map_err(|e| io_err(&tmp, "write")(e.into_error()))?;
        f.sync_all().map_err(io_err(&tmp, "fsync"))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io_err(path, "rename a temporary file over"))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Buffer between a streamed file's writer and the kernel: large enough
/// that a zone file goes out in few `write(2)` calls, small enough not to
/// matter next to the zone.
const WRITE_BUFFER: usize = 256 * 1024;

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir, "fsync directory"))
}

/// Longest file stem before it is shortened with a hash (file names are
/// limited to 255 octets on common file systems).
const MAX_STEM: usize = 200;

/// A file name for the zone at `origin` (lowercase wire): its labels joined
/// with `.`, no trailing dot. Octets other than `a-z 0-9 - _` are written
/// `%XX`, so `/`, a leading dot, `..` and NUL can never appear, and distinct
/// names give distinct stems. The root zone is `%root`. Stems longer than
/// 200 characters are cut and end in `~` and a hash of the whole stem.
pub fn file_stem(origin: &[u8]) -> String {
    let mut s = String::with_capacity(origin.len() + 8);
    let mut pos = 0;
    while let Some(&len) = origin.get(pos) {
        if len == 0 {
            break;
        }
        if !s.is_empty() {
            s.push('.');
        }
        for &b in origin.get(pos + 1..pos + 1 + len as usize).unwrap_or_default() {
            match b {
                b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => s.push(b as char),
                _ => s.push_str(&format!("%{b:02X}")),
            }
        }
        pos += 1 + len as usize;
    }
    if s.is_empty() {
        return "%root".into();
    }
    if s.len() > MAX_STEM {
        let hash = fnv1a(s.as_bytes());
        s.truncate(MAX_STEM - 17);
        s.push_str(&format!("~{hash:016x}"));
    }
    s
}

/// FNV-1a, 64 bits: a stable hash (unlike `std`'s) for shortened file names.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
#[path = "dir_tests.rs"]
mod tests;
