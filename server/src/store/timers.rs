//! A secondary zone's refresh timers on disk (T3), so a restart neither
//! resets EXPIRE nor forces a transfer.
//!
//! Owns: the [`Timers`] record and its small JSON file
//! (`{"version":1,"zone":"example.com.","timers":{…}}`).
//! Must not: run the timers; the zone's lifecycle task does, and saves them
//! after each refresh attempt.

use serde::{Deserialize, Serialize};

use super::{io_err, write_atomic, DataDir, StoreError};
use crate::wire::name::DisplayName;

/// Version of the timers file format.
const VERSION: u32 = 1;

/// The SOA timers of a secondary zone, as Unix times in seconds
/// (RFC 1034 §4.3.5, RFC 1035 §3.3.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timers {
    /// When the zone was last confirmed current with a primary.
    pub last_refresh_unix: u64,
    /// When to next check the primary's SOA (REFRESH after success, RETRY after failure).
    pub next_refresh_unix: u64,
    /// When the zone expires without a successful refresh (last success +
    /// EXPIRE); `None` for a primary zone, which never expires.
    pub expire_at_unix: Option<u64>,
    /// Serial of the saved zone when the timers were written.
    pub last_serial: u32,
}

impl Timers {
    /// True when the zone has expired at `now_unix` (answer SERVFAIL, T1).
    pub fn is_expired(&self, now_unix: u64) -> bool {
        self.expire_at_unix.is_some_and(|t| now_unix >= t)
    }

    /// Seconds until the next refresh at `now_unix` (0 when due).
    pub fn refresh_in(&self, now_unix: u64) -> u64 {
        self.next_refresh_unix.saturating_sub(now_unix)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimersFile {
    version: u32,
    zone: String,
    timers: Timers,
}

impl DataDir {
    /// Saves the timers of the zone at `origin` atomically.
    pub fn save_timers(&self, origin: &[u8], timers: &Timers) -> Result<(), StoreError> {
        let file = TimersFile { version: VERSION, zone: DisplayName(origin).to_string(), timers: *timers };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| StoreError::Corrupt {
            path: self.timers_path(origin).display().to_string(),
            reason: format!("cannot encode timers: {e}"),
        })?;
        text.push('\n');
        write_atomic(&self.timers_path(origin), text.as_bytes())
    }

    /// Loads the timers of the zone at `origin`; `None` when none are saved.
    pub fn load_timers(&self, origin: &[u8]) -> Result<Option<Timers>, StoreError> {
        let path = self.timers_path(origin);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path, "read")(e)),
        };
        let corrupt = |reason: String| StoreError::Corrupt { path: path.display().to_string(), reason };
        let file: TimersFile = serde_json::from_str(&text).map_err(|e| corrupt(format!("bad timers file: {e}")))?;
        if file.version != VERSION {
            return Err(corrupt(format!("timers file version {} is not supported (expected {VERSION})", file.version)));
        }
        let zone = DisplayName(origin).to_string();
        if file.zone != zone {
            return Err(corrupt(format!("timers file is for zone {}, not {zone}", file.zone)));
        }
        Ok(Some(file.timers))
    }
}
