//! Zones as RFC 1035 zone files in the data directory.
//!
//! Owns: writing a snapshot as a zone file (absolute names, canonical order,
//! SOA first) and reading it back into a snapshot.
//! Must not: choose which zones to save; the writer is
//! [`write_records`](crate::zone::file::write_records), the reader
//! [`read_zone_file`](crate::zone::file::read_zone_file).

use std::fmt::Write as _;

use super::{write_atomic, DataDir, StoreError};
use crate::wire::name::DisplayName;
use crate::wire::rtype;
use crate::zone::build::build_zone;
use crate::zone::file::{read_zone_file, write_records};
use crate::zone::Zone;

impl DataDir {
    /// Saves `zone` atomically as `zones/<name>.zone`.
    pub fn save_zone(&self, zone: &Zone) -> Result<(), StoreError> {
        let path = self.zone_path(&zone.origin);
        let text = zone_text(zone);
        write_atomic(&path, text.as_bytes())?;
        tracing::debug!(zone = %DisplayName(&zone.origin), serial = zone.serial, op = "flush", bytes = text.len(), "zone saved");
        Ok(())
    }

    /// Loads the saved zone at `origin` (lowercase wire); `None` when none is
    /// saved. Leftover temporary files are never read.
    pub fn load_zone(&self, origin: &[u8]) -> Result<Option<Zone>, StoreError> {
        let path = self.zone_path(origin);
        match std::fs::metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(super::io_err(&path, "read")(e)),
        }
        let src = read_zone_file(&path, origin)?;
        let zone = build_zone(origin, src)?;
        tracing::debug!(zone = %DisplayName(origin), serial = zone.serial, op = "load", "zone loaded from the data directory");
        Ok(Some(zone))
    }
}

/// The zone file text of `zone`: a comment, the SOA, then every other RRset
/// with owners in canonical order (RFC 4034 §6.1), so files diff well.
pub fn zone_text(zone: &Zone) -> String {
    let mut owners: Vec<&[u8]> = zone.nodes.iter().filter(|(_, n)| !n.rrsets.is_empty()).map(|(o, _)| &**o).collect();
    owners.sort_by_cached_key(|o| canonical_key(o));
    let mut out = String::with_capacity(zone.record_count() * 48 + 128);
    let _ = writeln!(out, "; zone {} serial {} (saved by ironbind; absolute names)", DisplayName(&zone.origin), zone.serial);
    let soa = zone.soa();
    let soa_item = (&*zone.origin, rtype::SOA, soa.ttl, soa.rdatas().next().unwrap_or_default());
    let body = owners.into_iter().flat_map(|o| {
        zone.nodes[o]
            .rrsets
            .iter()
            .filter(|r| r.rtype != rtype::SOA)
            .flat_map(move |r| r.rdatas().map(move |d| (o, r.rtype, r.ttl, d)))
    });
    write_records(std::iter::once(soa_item).chain(body), &mut out);
    out
}

/// Labels from the root down: comparing these compares names canonically.
fn canonical_key(name: &[u8]) -> Vec<&[u8]> {
    let mut labels = Vec::with_capacity(8);
    let mut pos = 0;
    while let Some(&l) = name.get(pos) {
        if l == 0 {
            break;
        }
        labels.push(name.get(pos + 1..pos + 1 + l as usize).unwrap_or_default());
        pos += 1 + l as usize;
    }
    labels.reverse();
    labels
}
