//! Zones as RFC 1035 zone files in the data directory.
//!
//! Owns: writing a snapshot as a zone file (absolute names, canonical order,
//! SOA first), streamed to the file, and reading it back into a snapshot.
//! Must not: choose which zones to save, or hold the text of a whole zone in
//! memory; the writer is
//! [`write_records_to`](crate::zone::file::write_records_to), the reader
//! [`read_zone_file`](crate::zone::file::read_zone_file).

use std::cmp::Ordering;
use std::io::{self, Write};

use super::{write_atomic_with, DataDir, StoreError};
use crate::wire::name::DisplayName;
use crate::wire::rtype;
use crate::zone::build::build_zone;
use crate::zone::file::{read_zone_file, write_records_to};
use crate::zone::{Node, Zone};

impl DataDir {
    /// Saves `zone` atomically as `zones/<name>.zone`.
    pub fn save_zone(&self, zone: &Zone) -> Result<(), StoreError> {
        let (path, started) = (self.zone_path(&zone.origin), std::time::Instant::now());
        write_atomic_with(&path, |w| write_zone(zone, w))?;
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let ms = started.elapsed().as_millis() as u64;
        tracing::debug!(zone = %DisplayName(&zone.origin), serial = zone.serial, op = "flush", bytes, ms, "zone saved");
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

/// Writes `zone` as zone-file text to `out`: a comment, the SOA, then every
/// other RRset with owners in canonical order (RFC 4034 §6.1), so files diff
/// well. Needs 32 bytes per owner for the sort, nothing per record.
pub fn write_zone(zone: &Zone, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "; zone {} serial {} (saved by ironbind; absolute names)", DisplayName(&zone.origin), zone.serial)?;
    let owners = canonical_order(zone);
    let soa = zone.soa();
    let soa_item = (&*zone.origin, rtype::SOA, soa.ttl, soa.rdatas().next().unwrap_or_default());
    let body = owners
        .iter()
        .flat_map(|&(_, o, n)| n.rrsets().filter(|r| r.rtype != rtype::SOA).flat_map(move |r| r.rdatas().map(move |d| (o, r.rtype, r.ttl, d))));
    write_records_to(std::iter::once(soa_item).chain(body), out)
}

/// An owner to write: its [`key_prefix`], name and node.
type Owner<'a> = (u128, &'a [u8], &'a Node);

/// The owners holding data, in canonical order. Each carries a 16-octet
/// prefix of its sort key, so most comparisons are one integer compare
/// instead of a walk over two names scattered in memory.
fn canonical_order(zone: &Zone) -> Vec<Owner<'_>> {
    let suffix = zone.origin.len();
    let mut owners: Vec<Owner<'_>> = Vec::with_capacity(zone.nodes.len());
    for n in zone.nodes.iter() {
        let o = n.name();
        if !n.is_empty_non_terminal() {
            let below = o.get(..o.len().saturating_sub(suffix)).unwrap_or_default();
            owners.push((key_prefix(below), o, n));
        }
    }
    owners.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| canonical_cmp(a.1, b.1)));
    owners
}

/// Where the labels of wire name `n` start, leftmost first; the count.
fn label_starts(n: &[u8]) -> ([u8; 128], usize) {
    let (mut starts, mut count, mut pos) = ([0u8; 128], 0, 0);
    while let Some(&l) = n.get(pos) {
        if l == 0 || count == starts.len() {
            break;
        }
        starts[count] = pos as u8;
        count += 1;
        pos += 1 + l as usize;
    }
    (starts, count)
}

/// Label `i` of `n`, given its start.
fn label_at(n: &[u8], start: u8) -> &[u8] {
    let s = start as usize;
    let len = n.get(s).copied().unwrap_or(0) as usize;
    n.get(s + 1..s + 1 + len).unwrap_or_default()
}

/// Canonical order of two lowercase wire names (RFC 4034 §6.1): label by
/// label from the root, each compared as an octet string where a missing
/// octet sorts first; a name sorts before its descendants.
fn canonical_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let ((sa, na), (sb, nb)) = (label_starts(a), label_starts(b));
    for (&x, &y) in sa[..na].iter().rev().zip(sb[..nb].iter().rev()) {
        match label_at(a, x).cmp(label_at(b, y)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    na.cmp(&nb)
}

/// The first 16 octets, as a big-endian integer, of an encoding of the
/// labels of `rel` (a name relative to the apex, without the root label)
/// whose octet order is the canonical order: labels from the root down,
/// each followed by 0; octets 0 and 1 escaped as 1 1 and 1 2, so that 0 only
/// ends a label. Names whose prefixes differ compare like their keys; equal
/// prefixes need [`canonical_cmp`].
fn key_prefix(rel: &[u8]) -> u128 {
    let (starts, count) = label_starts(rel);
    let mut key = [0u8; 16];
    let mut k = 0;
    let mut put = |b: u8| {
        if k < key.len() {
            key[k] = b;
            k += 1;
        }
    };
    for &s in starts[..count].iter().rev() {
        for &b in label_at(rel, s) {
            match b {
                0 | 1 => {
                    put(1);
                    put(b + 1);
                }
                _ => put(b),
            }
        }
        put(0);
    }
    u128::from_be_bytes(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::name::from_dotted;

    fn wire(s: &str) -> Vec<u8> {
        from_dotted(s).unwrap()
    }

    /// The sort key of RFC 4034 §6.1 spelled out: labels from the root.
    fn reference_key(n: &[u8]) -> Vec<Vec<u8>> {
        let (starts, count) = label_starts(n);
        starts[..count].iter().rev().map(|&s| label_at(n, s).to_vec()).collect()
    }

    #[test]
    fn canonical_order_is_rfc_4034() {
        // The example of RFC 4034 §6.1, lowercased, plus octets 0 and 1
        // (the escaped ones) and labels longer than the key prefix.
        let mut names: Vec<Vec<u8>> = [
            "example",
            "a.example",
            "yljkjljk.a.example",
            "z.a.example",
            "zabc.a.example",
            "z.example",
            "*.z.example",
            "a-very-long-label-beyond-sixteen.example",
            "a-very-long-label-beyond-sixteen-b.example",
        ]
        .iter()
        .map(|s| wire(s))
        .collect();
        for raw in [&b"\x01\x00\x07example\x00"[..], b"\x01\x01\x07example\x00", b"\x02\x00\x00\x07example\x00", b"\x01\x02\x07example\x00"] {
            names.push(raw.to_vec());
        }
        let apex = wire("example");
        let mut expected = names.clone();
        expected.sort_by_key(|n| reference_key(n));
        for a in &names {
            for b in &names {
                let (ra, rb) = (&a[..a.len() - apex.len()], &b[..b.len() - apex.len()]);
                let want = reference_key(a).cmp(&reference_key(b));
                assert_eq!(canonical_cmp(a, b), want, "{} vs {}", DisplayName(a), DisplayName(b));
                let (ka, kb) = (key_prefix(ra), key_prefix(rb));
                if ka != kb {
                    assert_eq!(ka.cmp(&kb), want, "prefix keys of {} vs {}", DisplayName(a), DisplayName(b));
                }
            }
        }
        let mut sorted = names.clone();
        sorted.sort_unstable_by(|a, b| {
            let (ra, rb) = (&a[..a.len() - apex.len()], &b[..b.len() - apex.len()]);
            key_prefix(ra).cmp(&key_prefix(rb)).then_with(|| canonical_cmp(a, b))
        });
        assert_eq!(sorted, expected);
    }
}
