//! The zones named in the configuration: loading them, and reloading them on SIGHUP.
//!
//! Owns: the list of configured zones ([`ZoneSpec`]), reading and building each
//! ([`load`]) and publishing the results into the [`ZoneSet`] ([`Catalog::apply`]).
//! Must not: touch the network, or ever leave a served zone worse off: a zone
//! whose new version fails to load keeps serving its old version.
//!
//! ```text
//!   configured ─► load (read file → build) ──ok──► ZoneSet::insert (atomic swap)
//!                                           └─err─► log file:line: reason;
//!                                                   served before? keep old version
//!                                                   new zone?      not served
//!   no longer configured ─► ZoneSet::remove
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::wire::name;
use crate::zone::build::{build_zone, BuildError};
use crate::zone::set::ZoneSet;
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
    /// The built-in example zone.
    Example,
}

/// One configured zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    /// The name as configured (for logs).
    pub name: String,
    /// Apex in lowercase wire form.
    pub origin: Box<[u8]>,
    /// Where to read it.
    pub source: ZoneSource,
}

impl ZoneSpec {
    /// The file (or built-in label) for logs.
    pub fn file_label(&self) -> String {
        match &self.source {
            ZoneSource::File(p) => p.display().to_string(),
            ZoneSource::Example => EXAMPLE_LABEL.to_string(),
        }
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

/// The zones a configuration asks for. An explicit zone named `example.com`
/// takes precedence over `--example`.
pub fn specs(cfg: &Config) -> Vec<ZoneSpec> {
    let mut out: Vec<ZoneSpec> = Vec::new();
    for z in &cfg.zones {
        // `Config::validate` has checked the name already.
        let Ok(mut origin) = name::from_dotted(&z.name) else { continue };
        name::lowercase_wire(&mut origin);
        out.push(ZoneSpec { name: z.name.clone(), origin: origin.into(), source: ZoneSource::File(z.file.clone()) });
    }
    if cfg.example_zone {
        let origin: Box<[u8]> = name::from_dotted(EXAMPLE_ORIGIN).expect("valid name").into();
        if !out.iter().any(|s| s.origin == origin) {
            out.push(ZoneSpec { name: EXAMPLE_ORIGIN.into(), origin, source: ZoneSource::Example });
        }
    }
    out
}

/// Reads and builds one zone (blocking: file I/O and parsing).
pub fn load(spec: &ZoneSpec) -> Result<Zone, ZoneLoadError> {
    let src: RecordSource = match &spec.source {
        ZoneSource::File(path) => file::read_zone_file(path, &spec.origin),
        ZoneSource::Example => file::read_zone_str(EXAMPLE_ZONE, EXAMPLE_LABEL, &spec.origin, None),
    }?;
    Ok(build_zone(&spec.origin, src)?)
}

/// The configured zones and what became of each.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Configured zones by apex.
    specs: HashMap<Box<[u8]>, ZoneSpec>,
}

/// Counts from one [`Catalog::apply`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplySummary {
    /// Zones loaded (new or replaced).
    pub loaded: usize,
    /// Zones that failed to load (each logged).
    pub failed: usize,
    /// Zones no longer configured and removed.
    pub removed: usize,
}

impl Catalog {
    /// Loads every zone in `want` and publishes the ones that build; removes
    /// configured zones that are no longer wanted. Zones in `zones` that this
    /// catalog did not add (transfers, control API) are left alone.
    pub async fn apply(&mut self, zones: &Arc<ZoneSet>, want: Vec<ZoneSpec>) -> ApplySummary {
        let mut summary = ApplySummary::default();
        let wanted: std::collections::HashSet<Box<[u8]>> = want.iter().map(|s| s.origin.clone()).collect();
        let gone: Vec<Box<[u8]>> = self.specs.keys().filter(|k| !wanted.contains(*k)).cloned().collect();
        for apex in gone {
            let spec = self.specs.remove(&apex).expect("key from map");
            if zones.remove(&apex) {
                summary.removed += 1;
                tracing::info!(zone = %spec.name, op = "remove", "zone removed from configuration; no longer served");
            }
        }
        let results = {
            let want = want.clone();
            match tokio::task::spawn_blocking(move || want.iter().map(load).collect::<Vec<_>>()).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(op = "load", error = %e, "zone loading panicked; nothing changed");
                    return summary;
                }
            }
        };
        for (spec, result) in want.into_iter().zip(results) {
            self.publish(zones, &spec, result, &mut summary);
            self.specs.insert(spec.origin.clone(), spec);
        }
        summary
    }

    fn publish(
        &self,
        zones: &ZoneSet,
        spec: &ZoneSpec,
        result: Result<Zone, ZoneLoadError>,
        summary: &mut ApplySummary,
    ) {
        let old = zones.load().get(&spec.origin).map(|z| z.serial);
        match result {
            Ok(zone) => {
                let (serial, records) = (zone.serial, zone.record_count());
                zones.insert(Arc::new(zone));
                summary.loaded += 1;
                match old {
                    None => tracing::info!(zone = %spec.name, serial, records, file = %spec.file_label(), op = "load", "zone loaded"),
                    Some(old) => tracing::info!(zone = %spec.name, serial, old_serial = old, records, op = "reload", "zone reloaded: serial {old} -> {serial}"),
                }
            }
            Err(e) => {
                summary.failed += 1;
                match old {
                    Some(serial) => tracing::error!(zone = %spec.name, serial, file = %spec.file_label(), op = "reload", error = %e, "zone failed to load; keeping the version already served"),
                    None => tracing::error!(zone = %spec.name, file = %spec.file_label(), op = "load", error = %e, "zone failed to load; not served"),
                }
            }
        }
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

