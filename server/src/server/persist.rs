//! Committing a new zone version: journal, data directory, then the served table.
//!
//! Owns: the one sequence every new version goes through, whoever made it
//! (a primary's reload, a secondary's transfer): record its diffs in the
//! in-memory journal, write journal → zone → timers to the data directory
//! (the order [`crate::store`] asks for), then publish the snapshot. Also
//! reading a zone's saved state back at startup.
//! Must not: decide whether a version is wanted, or talk to the network.
//!
//! ```text
//!  commit(zone, diffs):
//!    journal.record(diff…) ─► append to (or rewrite) zones/<z>.journal
//!                          ─► write zones/<z>.zone (atomic) ─► timers
//!                          ─► ZoneSet::insert (atomic swap)
//!  a failed write is logged and the version is served anyway: serving the
//!  newest data matters more than the copy on disk.
//! ```

#![forbid(unsafe_code)]

use std::path::Path;
use std::sync::Arc;

use crate::store::{DataDir, Timers};
use crate::wire::name::DisplayName;
use crate::xfr::diff::Diff;
use crate::xfr::journal::{Journal, JournalLimits, Pushed};
use crate::xfr::registry::ZoneCtl;
use crate::zone::set::{ZoneSet, ZoneStatus};
use crate::zone::Zone;

/// The data directory, or nothing when it cannot be used (then zones are
/// served from memory only, which is logged once at startup).
#[derive(Debug, Clone)]
pub struct Store {
    dir: Option<DataDir>,
}

/// What was saved for a zone.
#[derive(Debug, Default)]
pub struct Saved {
    /// The zone file, built.
    pub zone: Option<Zone>,
    /// The journal (empty when none or unreadable).
    pub journal: Option<Journal>,
    /// The refresh timers.
    pub timers: Option<Timers>,
}

/// What to write to the journal file after [`Journal::record`].
enum JournalWrite {
    Append(Vec<Diff>),
    Rewrite(Journal),
}

impl Store {
    /// Opens (creating) the data directory at `path`; on failure logs why and
    /// runs without one.
    pub fn open(path: &Path) -> Store {
        match DataDir::open(path) {
            Ok(dir) => {
                tracing::info!(path = %path.display(), "data directory");
                Store { dir: Some(dir) }
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot use the data directory; zones are kept in memory only and a restart will transfer them again");
                Store { dir: None }
            }
        }
    }

    /// A store that keeps nothing (tests, the built-in example zone).
    pub fn none() -> Store {
        Store { dir: None }
    }

    /// Reads the saved zone, journal and timers of `apex` (blocking). Damaged
    /// files are logged and ignored: the zone is transferred or reloaded anew.
    pub fn load(&self, apex: &[u8]) -> Saved {
        let Some(dir) = &self.dir else { return Saved::default() };
        let name = DisplayName(apex);
        let zone = dir.load_zone(apex).unwrap_or_else(|e| {
            tracing::warn!(zone = %name, op = "load", error = %e, "saved copy of the zone is unusable; ignoring it");
            None
        });
        let journal = match dir.load_journal(apex, JournalLimits::default()) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::warn!(zone = %name, op = "load", error = %e, "journal is unusable; IXFR history starts anew");
                self.save_journal(&Journal::new(apex, JournalLimits::default()));
                None
            }
        };
        let timers = dir.load_timers(apex).unwrap_or_else(|e| {
            tracing::warn!(zone = %name, op = "load", error = %e, "refresh timers are unusable; refreshing now");
            None
        });
        Saved { zone, journal, timers }
    }

    /// Saves the timers of `apex` (blocking); failures are logged.
    pub fn save_timers(&self, apex: &[u8], t: &Timers) {
        if let Some(dir) = &self.dir {
            if let Err(e) = dir.save_timers(apex, t) {
                tracing::error!(zone = %DisplayName(apex), op = "flush", error = %e, "cannot save refresh timers");
            }
        }
    }

    /// Rewrites the journal file from `j` (blocking); failures are logged.
    pub fn save_journal(&self, j: &Journal) {
        if let Some(dir) = &self.dir {
            if let Err(e) = dir.save_journal(j) {
                tracing::error!(zone = %DisplayName(j.origin()), op = "flush", error = %e, "cannot write the journal");
            }
        }
    }

    /// Deletes every file of `apex` (a zone no longer configured).
    pub fn remove(&self, apex: &[u8]) {
        if let Some(dir) = &self.dir {
            if let Err(e) = dir.remove_zone(apex) {
                tracing::warn!(zone = %DisplayName(apex), op = "remove", error = %e, "cannot remove the zone's files");
            }
        }
    }

    /// Commits `zone` as the new version of `ctl`'s zone: `diffs` (oldest
    /// first, leading to `zone`) go into the journal; `None` means the
    /// history cannot lead here (a full reload whose serial did not move
    /// forward, or no previous version) and clears it. Then persists and
    /// publishes. Blocking parts run off the runtime threads.
    pub async fn commit(&self, zones: &ZoneSet, ctl: &Arc<ZoneCtl>, zone: Zone, diffs: Option<Vec<Diff>>, timers: Option<Timers>) -> Arc<ZoneStatus> {
        let zone = Arc::new(zone);
        let write = record(ctl, &zone, diffs);
        let (store, z, apex) = (self.clone(), zone.clone(), ctl.apex.clone());
        let saved = tokio::task::spawn_blocking(move || store.write(&apex, &z, write, timers)).await;
        if let Err(e) = saved {
            tracing::error!(zone = %DisplayName(&zone.origin), op = "flush", error = %e, "saving the zone panicked");
        }
        zones.insert(zone)
    }

    fn write(&self, apex: &[u8], zone: &Zone, journal: JournalWrite, timers: Option<Timers>) {
        let Some(dir) = &self.dir else { return };
        let name = DisplayName(apex);
        let j = match journal {
            JournalWrite::Append(diffs) => diffs.iter().try_for_each(|d| dir.append_journal(apex, d)),
            JournalWrite::Rewrite(j) => dir.save_journal(&j),
        };
        if let Err(e) = j {
            tracing::error!(zone = %name, serial = zone.serial, op = "flush", error = %e, "cannot write the journal");
        }
        if let Err(e) = dir.save_zone(zone) {
            tracing::error!(zone = %name, serial = zone.serial, op = "flush", error = %e, "cannot save the zone; a restart will serve an older version");
        }
        if let Some(t) = timers {
            self.save_timers(apex, &t);
        }
    }
}

/// Records `diffs` in the zone's journal and says what the file needs: an
/// append when the history only grew, a rewrite when it was cut or reset.
fn record(ctl: &ZoneCtl, zone: &Zone, diffs: Option<Vec<Diff>>) -> JournalWrite {
    let mut j = ctl.journal.lock().unwrap_or_else(|p| p.into_inner());
    let Some(diffs) = diffs else {
        j.clear();
        return JournalWrite::Rewrite(j.clone());
    };
    let mut only_appended = true;
    for d in &diffs {
        let before = j.len();
        let pushed = j.record(d.clone(), zone);
        only_appended &= pushed == Pushed::Appended && j.len() == before + 1;
    }
    if only_appended {
        JournalWrite::Append(diffs)
    } else {
        JournalWrite::Rewrite(j.clone())
    }
}
