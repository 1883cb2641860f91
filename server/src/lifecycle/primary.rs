//! Primary zones: loading them from their master files, and reloading them
//! on SIGHUP with the change journalled and NOTIFYed.
//!
//! Owns: the list of configured primary zones ([`ZoneSpec`]), reading and
//! building each ([`load`]), and deciding what a new version means
//! ([`Primaries::apply`]): the difference from the served version (or, at
//! startup, from the copy in the data directory) goes into the journal, so
//! secondaries get an IXFR of exactly that change. Must not: touch the
//! network (NOTIFY is queued on [`super::notify::Notifier`]) or ever leave a
//! served zone worse off: a zone whose new version fails to load keeps
//! serving its old version.
//!
//! ```text
//!   configured ─► load (read file → build) ──err─► log file:line: reason;
//!                      │                          served? keep it · else not served
//!                      ▼ ok, compared with base = served version, else the data-dir copy
//!        serial newer ─► diff ─► publish (journal, swap; data dir in the background) ─► NOTIFY
//!        same serial, same data ─► nothing (at startup: serve, keep the saved journal, NOTIFY)
//!        same serial, new data / older serial ─► warn; publish with the journal cleared
//!   no longer configured ─► not served, catalog entry and data-dir files removed
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::Shared;
use crate::catalog::ZonePolicy;
use crate::config::{Config, ZoneKind};
use crate::store::memory;
use crate::store::{Saved, SavedCopy, Store};
use crate::wire::name;
use crate::xfr::diff::{diff_zones, Diff};
use crate::xfr::journal::{Journal, JournalLimits};
use crate::xfr::serial_gt;
use crate::zone::build::{build_zone, BuildError};
use crate::zone::limits::ZoneLimits;
use crate::zone::{file, RecordSource, Zone};

/// The built-in example zone served by `--example`.
pub const EXAMPLE_ZONE: &str = include_str!("../../examples/example.com.zone");
/// Apex of [`EXAMPLE_ZONE`].
pub const EXAMPLE_ORIGIN: &str = "example.com";
const EXAMPLE_LABEL: &str = "<built-in example.com.zone>";

/// Where a zone's records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSource {
    /// An RFC 1035 master file.
    File(PathBuf),
    /// The built-in example zone (never persisted).
    Example,
}

/// One configured primary zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    /// The name as configured (for logs).
    pub name: String,
    /// Apex in lowercase wire form.
    pub origin: Box<[u8]>,
    /// Where to read it.
    pub source: ZoneSource,
    /// Transfer and NOTIFY policy.
    pub policy: ZonePolicy,
    /// TSIG key for NOTIFY to targets that name none.
    pub notify_key: Option<String>,
    /// How big the zone may be (its own limits, else `[transfer]`'s).
    pub limits: ZoneLimits,
}

impl ZoneSpec {
    /// The file (or built-in label) for logs.
    pub fn file_label(&self) -> String {
        match &self.source {
            ZoneSource::File(p) => p.display().to_string(),
            ZoneSource::Example => EXAMPLE_LABEL.to_string(),
        }
    }

    /// Whether the zone is kept in the data directory.
    fn persisted(&self) -> bool {
        matches!(self.source, ZoneSource::File(_))
    }
}

/// Why a zone could not be loaded. Messages carry `file:line: reason`.
#[derive(Debug, thiserror::Error)]
pub enum ZoneLoadError {
    /// The master file could not be read or parsed.
    #[error(transparent)]
    File(#[from] file::ZoneFileError),
    /// The records do not form a valid zone.
    #[error("{0}")]
    Build(#[from] BuildError),
}

/// Lowercase wire apex of a validated zone name.
pub fn apex_of(name: &str) -> Option<Box<[u8]>> {
    let mut origin = name::from_dotted(name).ok()?;
    name::lowercase_wire(&mut origin);
    Some(origin.into())
}

/// The primary zones a configuration asks for. An explicit zone named
/// `example.com` takes precedence over `--example`.
pub fn specs(cfg: &Config) -> Vec<ZoneSpec> {
    let mut out: Vec<ZoneSpec> = Vec::new();
    for z in cfg.zones.iter().filter(|z| z.kind == ZoneKind::Primary) {
        // `Config::validate` has checked the name and the file already.
        let (Some(origin), Some(f)) = (apex_of(&z.name), &z.file) else { continue };
        let policy = z.policy();
        let limits = policy.limits(cfg.transfer.zone_limits());
        out.push(ZoneSpec { name: z.name.clone(), origin, source: ZoneSource::File(f.clone()), policy, notify_key: z.notify_key.clone(), limits });
    }
    if cfg.example_zone {
        let origin = apex_of(EXAMPLE_ORIGIN).expect("valid name");
        if !cfg.zones.iter().any(|z| apex_of(&z.name).as_ref() == Some(&origin)) {
            let limits = cfg.transfer.zone_limits();
            out.push(ZoneSpec {
                name: EXAMPLE_ORIGIN.into(),
                origin,
                source: ZoneSource::Example,
                policy: ZonePolicy::default(),
                notify_key: None,
                limits,
            });
        }
    }
    out
}

/// Reads and builds one zone (blocking: file I/O and parsing).
pub fn load(spec: &ZoneSpec) -> Result<Zone, ZoneLoadError> {
    let started = std::time::Instant::now();
    let src = read(spec)?;
    let read = started.elapsed();
    let zone = build_zone(&spec.origin, src)?;
    tracing::debug!(zone = %spec.name, serial = zone.serial, op = "load", read_ms = read.as_millis() as u64,
        build_ms = (started.elapsed() - read).as_millis() as u64, "zone read and built");
    Ok(zone)
}

/// Reads a zone file; against `base` (the version served or saved) a small
/// change is patched into it (sharing every node it leaves alone) and comes
/// with its diff, anything else is built in full.
fn load_against(spec: &ZoneSpec, base: Option<&Zone>) -> Result<(Zone, Option<Diff>), ZoneLoadError> {
    let Some(base) = base else { return load(spec).map(|z| (z, None)) };
    let started = std::time::Instant::now();
    let src = read(spec)?;
    let read_ms = started.elapsed().as_millis() as u64;
    if let Some((zone, d)) = crate::xfr::next::reload_version(base, &src) {
        tracing::debug!(zone = %spec.name, serial = zone.serial, op = "load", read_ms, patch_ms = started.elapsed().as_millis() as u64 - read_ms,
            changes = d.change_count(), "zone read and patched into the served version");
        return Ok((zone, Some(d)));
    }
    let zone = build_zone(&spec.origin, src)?;
    tracing::debug!(zone = %spec.name, serial = zone.serial, op = "load", read_ms, build_ms = started.elapsed().as_millis() as u64 - read_ms, "zone read and built");
    Ok((zone, None))
}

/// Reads the records of a zone's source.
fn read(spec: &ZoneSpec) -> Result<RecordSource, ZoneLoadError> {
    Ok(match &spec.source {
        ZoneSource::File(path) => file::read_zone_file_limited(path, &spec.origin, spec.limits),
        ZoneSource::Example => file::read_zone_str(EXAMPLE_ZONE, EXAMPLE_LABEL, &spec.origin, None),
    }?)
}

/// The configured primary zones.
#[derive(Debug, Default)]
pub struct Primaries {
    /// Configured zones by apex.
    specs: HashMap<Box<[u8]>, ZoneSpec>,
}

/// Counts from one [`Primaries::apply`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplySummary {
    /// Zones loaded (new or replaced).
    pub loaded: usize,
    /// Zones that failed to load (each logged).
    pub failed: usize,
    /// Zones no longer configured and removed.
    pub removed: usize,
}

/// What a freshly read file means for the zone.
enum Plan {
    /// Serve it; `diffs` go to the journal (`None` clears it); `notify` when
    /// secondaries should hear of it; `copy` says whether the data directory
    /// already holds it.
    Commit { zone: Zone, diffs: Option<Vec<Diff>>, notify: bool, copy: SavedCopy },
    /// The same version as the base: publish only if not served yet.
    Same { zone: Zone },
    /// The file failed: keep what is served, if anything. (The data-dir copy
    /// is not served instead: for a primary the file is the truth, and a
    /// broken one must be fixed, not silently replaced by an older version.)
    Failed { error: ZoneLoadError },
}

impl Primaries {
    /// Stops serving the configured zones whose apex is not in `keep`, and
    /// forgets their transfer state and data-directory files.
    pub fn retain(&mut self, rt: &Shared, keep: &std::collections::HashSet<Box<[u8]>>) -> usize {
        let gone: Vec<Box<[u8]>> = self.specs.keys().filter(|k| !keep.contains(*k)).cloned().collect();
        let mut removed = 0;
        for apex in gone {
            let spec = self.specs.remove(&apex).expect("key from map");
            rt.catalog.remove(&apex);
            if spec.persisted() {
                rt.store.remove(&apex);
            }
            if rt.zones.remove(&apex) {
                removed += 1;
                tracing::info!(zone = %spec.name, op = "remove", "zone removed from configuration; no longer served");
            }
        }
        removed
    }

    /// Loads every zone in `want` and publishes the ones that build; a
    /// changed zone is journalled, persisted and NOTIFYed. Removes
    /// configured zones that are no longer wanted. Zones in the table that
    /// this list did not add (secondaries, control API) are left alone.
    pub async fn apply(&mut self, rt: &Arc<Shared>, want: Vec<ZoneSpec>) -> ApplySummary {
        // No edit (control API, UPDATE) of these zones runs meanwhile: each
        // new version is compared with what is served at the time.
        let _edits = rt.edits.lock_all(want.iter().map(|s| &*s.origin)).await;
        let keep = want.iter().map(|s| s.origin.clone()).collect();
        let mut summary = ApplySummary { removed: self.retain(rt, &keep), ..Default::default() };
        let jobs: Vec<(ZoneSpec, bool, Option<Arc<Zone>>)> = want
            .into_iter()
            .map(|s| {
                let first = !self.specs.contains_key(&s.origin);
                let served = rt.zones.load().get(&s.origin).map(|z| z.zone.clone());
                (s, first, served)
            })
            .collect();
        for (s, first, _) in &jobs {
            if *first && s.persisted() {
                // A zone that was just removed (or changed type) may still have its files being deleted.
                rt.store.settled(&s.origin).await;
            }
        }
        let (store, work) = (rt.store.clone(), jobs.clone());
        let planned =
            tokio::task::spawn_blocking(move || work.into_iter().map(|(s, first, served)| plan(&store, &s, first, served)).collect::<Vec<_>>());
        let results = match planned.await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(op = "load", error = %e, "zone loading panicked; nothing changed");
                return summary;
            }
        };
        for ((spec, _, served), Planned { plan, journal: saved_journal, saved }) in jobs.into_iter().zip(results) {
            let ctl = rt.catalog.upsert(&spec.origin, spec.policy.clone());
            rt.notifier.set_key(&spec.origin, spec.notify_key.clone());
            if let Some(j) = saved_journal {
                *ctl.journal.lock().unwrap_or_else(|p| p.into_inner()) = j;
            }
            if let Some(saved) = saved {
                // Queued before this version's write, so it is freed first.
                rt.store.free_later(&spec.origin, saved);
            }
            let store = if spec.persisted() { rt.store.clone() } else { Store::none() };
            let old = served.as_ref().map(|z| z.serial);
            match plan {
                Plan::Commit { zone, diffs, notify, copy } => {
                    let (serial, records) = (zone.serial, zone.record_count());
                    let journalled = diffs.as_ref().map_or(0, |d| d.iter().map(Diff::change_count).sum::<usize>());
                    store.publish(&rt.zones, &ctl, zone, diffs, copy);
                    ctl.record(if old.is_none() { "load" } else { "reload" }, "ok");
                    summary.loaded += 1;
                    match old {
                        None => tracing::info!(zone = %spec.name, serial, records, file = %spec.file_label(), op = "load", "zone loaded"),
                        Some(old) => {
                            tracing::info!(zone = %spec.name, serial, old_serial = old, records, changes = journalled, op = "reload", "zone reloaded: serial {old} -> {serial}")
                        }
                    }
                    if notify {
                        rt.notifier.zone_changed(&spec.origin);
                    }
                }
                Plan::Same { zone } => {
                    ctl.record(if served.is_none() { "load" } else { "reload" }, "ok");
                    summary.loaded += 1;
                    if served.is_none() {
                        let (serial, records) = (zone.serial, zone.record_count());
                        rt.zones.insert(Arc::new(zone));
                        tracing::info!(zone = %spec.name, serial, records, file = %spec.file_label(), op = "load", "zone loaded");
                        rt.notifier.zone_changed(&spec.origin);
                    } else {
                        tracing::debug!(zone = %spec.name, serial = zone.serial, op = "reload", "zone unchanged");
                    }
                }
                Plan::Failed { error } => {
                    if let ZoneLoadError::File(file::ZoneFileError { limit: Some(l), .. }) = &error {
                        crate::metrics::events::zone_limit_exceeded(crate::metrics::events::LimitSource::File, *l);
                    }
                    let kept = if old.is_some() { "keeping the version already served" } else { "not served" };
                    ctl.record(if old.is_none() { "load" } else { "reload" }, format!("{error}; {kept}"));
                    summary.failed += 1;
                    match old {
                        Some(serial) => {
                            tracing::error!(zone = %spec.name, serial, file = %spec.file_label(), op = "reload", error = %error, "zone failed to load; keeping the version already served")
                        }
                        None => {
                            tracing::error!(zone = %spec.name, file = %spec.file_label(), op = "load", error = %error, "zone failed to load; not served")
                        }
                    }
                }
            }
            self.specs.insert(spec.origin.clone(), spec);
        }
        // The parse buffers are freed by now: hand them back to the OS
        // once the new versions are served, not before.
        tokio::task::spawn_blocking(memory::release_free_memory);
        summary
    }

    /// Number of configured zones.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// True when no zone is configured.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }
}

/// What [`plan`] found for one zone.
struct Planned {
    plan: Plan,
    /// The zone's journal, at its first load.
    journal: Option<Journal>,
    /// The data-directory copy read as the base, freed only once the zone
    /// is served: freeing a big zone and returning its pages to the OS
    /// takes a while.
    saved: Option<Zone>,
}

/// Reads the file and compares it with the base version (blocking). At
/// the first load of a persisted zone the base is the data-directory copy,
/// and its journal is returned when it leads to that copy.
fn plan(store: &Store, spec: &ZoneSpec, first: bool, served: Option<Arc<Zone>>) -> Planned {
    let saved = if first && spec.persisted() && served.is_none() {
        crate::store::roll_forward_blocking(&spec.name, store.load(&spec.origin))
    } else {
        Saved::default()
    };
    let (plan, journal) = decide(store, spec, first, served, saved.zone.as_ref(), saved.journal);
    Planned { plan, journal, saved: saved.zone }
}

/// [`plan`] once the saved state is read.
fn decide(
    store: &Store,
    spec: &ZoneSpec,
    first: bool,
    served: Option<Arc<Zone>>,
    saved_zone: Option<&Zone>,
    saved_journal: Option<Journal>,
) -> (Plan, Option<Journal>) {
    let usable = match (saved_zone, saved_journal) {
        (Some(z), Some(j)) if j.leads_to(z) => Some(j),
        (_, Some(j)) if !j.is_empty() => {
            // History that does not lead to the saved copy: start it anew on disk too.
            store.save_journal(&Journal::new(&spec.origin, JournalLimits::default()));
            None
        }
        _ => None,
    };
    let reset = usable.is_none();
    // At the first load the zone's in-memory journal is set from here.
    let journal = usable.or_else(|| first.then(|| Journal::new(&spec.origin, JournalLimits::default())));
    let base = served.as_deref().or(saved_zone);
    let (zone, mut diffed) = match load_against(spec, base) {
        Ok(z) => z,
        Err(error) => return (Plan::Failed { error }, journal),
    };
    let startup = served.is_none();
    let Some(base) = base else {
        return (Plan::Commit { zone, diffs: None, notify: true, copy: SavedCopy::Stale }, journal);
    };
    // A zone taking dynamic updates keeps them (in the data directory, as
    // BIND keeps its .jnl) until the file is given a newer serial.
    if !spec.policy.allow_update.is_empty() && serial_gt(base.serial, zone.serial) {
        if let Some(kept) = super::update::keep_updated(&spec.name, &zone, base) {
            return (Plan::Same { zone: kept }, journal);
        }
    }
    let plan = if serial_gt(zone.serial, base.serial) {
        let d = diffed.take().unwrap_or_else(|| diff_zones(base, &zone));
        Plan::Commit { zone, diffs: Some(vec![d]), notify: true, copy: SavedCopy::Stale }
    } else if zone.serial == base.serial {
        let d = diffed.take().unwrap_or_else(|| diff_zones(base, &zone));
        if d.change_count() == 0 && d.from_soa == d.to_soa {
            if startup && reset {
                // The saved history does not lead here: start it anew on disk
                // too. The saved zone file is this version already.
                Plan::Commit { zone, diffs: None, notify: true, copy: SavedCopy::Current }
            } else {
                Plan::Same { zone }
            }
        } else {
            tracing::warn!(zone = %spec.name, serial = zone.serial, file = %spec.file_label(), op = "reload",
                "zone {} changed but its serial {} did not; secondaries will not see the change until the serial is increased", spec.name, zone.serial);
            Plan::Commit { zone, diffs: None, notify: startup, copy: SavedCopy::Stale }
        }
    } else {
        tracing::warn!(zone = %spec.name, serial = zone.serial, old_serial = base.serial, file = %spec.file_label(), op = "reload",
            "zone {} serial went backwards ({} -> {}); secondaries will keep the newer serial", spec.name, base.serial, zone.serial);
        Plan::Commit { zone, diffs: None, notify: startup, copy: SavedCopy::Stale }
    };
    (plan, journal)
}
