//! The journal file: a zone's IXFR history on disk (I6).
//!
//! Owns: the binary format and reading it back without ever misreading a
//! torn or damaged tail.
//! Must not: decide what history to keep ([`Journal`] does).
//!
//! ```text
//!  header   "IRONJNL1" | origin length u8 | origin (wire) | CRC-32 of the above (u32)
//!  entry*   payload length u32 | CRC-32 of payload (u32) | payload
//!  payload  rr from_soa | rr to_soa | u32 n | rr × n (removed) | u32 m | rr × m (added)
//!  rr       owner length u8 | owner | type u16 | ttl u32 | rdlength u16 | rdata
//! ```
//! All integers big endian. Reading stops at the first entry that is short,
//! fails its checksum or does not decode; what follows is dropped and the file
//! is cut back to the last good entry, so later appends are readable.

use std::fs::{self, OpenOptions};
use std::io::Write;

use super::{io_err, sync_dir, write_atomic, DataDir, StoreError};
use crate::wire::name::DisplayName;
use crate::xfr::diff::{Diff, Rr};
use crate::xfr::journal::{Journal, JournalLimits};

const MAGIC: &[u8; 8] = b"IRONJNL1";

impl DataDir {
    /// Rewrites the journal file of `journal`'s zone atomically (after a
    /// purge or a reset, so the file holds what memory holds).
    pub fn save_journal(&self, journal: &Journal) -> Result<(), StoreError> {
        let mut buf = header(journal.origin());
        for d in journal.iter() {
            put_entry(&mut buf, d);
        }
        write_atomic(&self.journal_path(journal.origin()), &buf)
    }

    /// Appends one diff to the journal file of the zone at `origin` and
    /// fsyncs it; creates the file when missing. Call after
    /// [`load_journal`](Self::load_journal), which repairs a torn tail.
    ///
    /// All or nothing: an append that fails part-way (the disk fills up, the
    /// fsync fails) is cut back to the file's previous length, so the next
    /// append does not land behind a torn entry (which would hide it, and
    /// every later one, from [`load_journal`](Self::load_journal)).
    pub fn append_journal(&self, origin: &[u8], diff: &Diff) -> Result<(), StoreError> {
        let path = self.journal_path(origin);
        let mut f = OpenOptions::new().create(true).append(true).open(&path).map_err(io_err(&path, "open"))?;
        let before = f.metadata().map_err(io_err(&path, "stat"))?.len();
        let new = before == 0;
        let mut buf = if new { header(origin) } else { Vec::new() };
        put_entry(&mut buf, diff);
        let written = f.write_all(&buf).map_err(io_err(&path, "append to")).and_then(|()| f.sync_data().map_err(io_err(&path, "fsync")));
        if let Err(e) = written {
            // Shrinking needs no space; if even that fails, the torn tail is
            // cut at the next load, which stops at the first bad entry.
            if let Err(cut) = f.set_len(before).and_then(|()| f.sync_data()) {
                tracing::error!(path = %path.display(), error = %cut, "cannot cut a failed journal append back");
            }
            return Err(e);
        }
        if new {
            sync_dir(&self.zones_dir())?;
        }
        Ok(())
    }

    /// Loads the journal of the zone at `origin` (empty when no file).
    /// A damaged tail is dropped with a warning and cut from the file; a file
    /// with a wrong header is an error (the caller may remove it).
    pub fn load_journal(&self, origin: &[u8], limits: JournalLimits) -> Result<Journal, StoreError> {
        let path = self.journal_path(origin);
        let mut journal = Journal::new(origin, limits);
        let data = match fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(journal),
            Err(e) => return Err(io_err(&path, "read")(e)),
        };
        let corrupt = |reason: String| StoreError::Corrupt { path: path.display().to_string(), reason };
        let head = header(origin);
        if data.len() < head.len() && head.starts_with(&data) {
            return Ok(journal); // torn while the file was being created
        }
        if !data.starts_with(MAGIC) {
            return Err(corrupt("not an ironbind journal (bad magic)".into()));
        }
        if !data.starts_with(&head) {
            return Err(corrupt(format!("journal header damaged or not for zone {}", DisplayName(origin))));
        }
        let mut pos = head.len();
        let mut bad = None;
        while pos < data.len() {
            match read_entry(&data[pos..]) {
                Ok((diff, used)) => {
                    journal.push(diff);
                    pos += used;
                }
                Err(reason) => {
                    bad = Some(reason);
                    break;
                }
            }
        }
        if let Some(reason) = bad {
            tracing::warn!(zone = %DisplayName(origin), path = %path.display(), offset = pos, dropped = data.len() - pos,
                "journal tail unreadable ({reason}); dropping it");
            let f = OpenOptions::new().write(true).open(&path).map_err(io_err(&path, "open"))?;
            f.set_len(pos as u64).map_err(io_err(&path, "truncate"))?;
            f.sync_all().map_err(io_err(&path, "fsync"))?;
        }
        Ok(journal)
    }
}

fn header(origin: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(MAGIC.len() + 1 + origin.len() + 4);
    h.extend_from_slice(MAGIC);
    h.push(origin.len() as u8);
    h.extend_from_slice(origin);
    let crc = crc32(&h);
    h.extend_from_slice(&crc.to_be_bytes());
    h
}

fn put_entry(buf: &mut Vec<u8>, d: &Diff) {
    let start = buf.len();
    buf.extend_from_slice(&[0; 8]);
    put_rr(buf, &d.from_soa);
    put_rr(buf, &d.to_soa);
    for list in [&d.removed, &d.added] {
        buf.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for r in list {
            put_rr(buf, r);
        }
    }
    let payload = &buf[start + 8..];
    let (len, crc) = (payload.len() as u32, crc32(payload));
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_be_bytes());
}

fn put_rr(buf: &mut Vec<u8>, r: &Rr) {
    buf.push(r.owner.len() as u8);
    buf.extend_from_slice(&r.owner);
    buf.extend_from_slice(&r.rtype.to_be_bytes());
    buf.extend_from_slice(&r.ttl.to_be_bytes());
    buf.extend_from_slice(&(r.rdata.len() as u16).to_be_bytes());
    buf.extend_from_slice(&r.rdata);
}

/// Why the entry at some offset cannot be read: where the good part of
/// the journal ends (logged, then the tail is cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum EntryError {
    /// Fewer than the 8 octets of length and checksum.
    #[error("entry header cut short")]
    HeaderCut,
    /// Fewer octets than the length says.
    #[error("entry of {0} octets cut short")]
    PayloadCut(usize),
    /// The payload does not match its CRC-32.
    #[error("entry checksum mismatch")]
    Checksum,
    /// The checksum holds but the records do not parse, or the bounds are not SOAs.
    #[error("entry does not decode")]
    Undecodable,
}

/// One entry at the start of `data`: the diff and the octets it took.
fn read_entry(data: &[u8]) -> Result<(Diff, usize), EntryError> {
    let mut c = Cursor { data, pos: 0 };
    let len = c.u32().map_err(|_| EntryError::HeaderCut)? as usize;
    let crc = c.u32().map_err(|_| EntryError::HeaderCut)?;
    let payload = c.take(len).map_err(|_| EntryError::PayloadCut(len))?;
    if crc32(payload) != crc {
        return Err(EntryError::Checksum);
    }
    let mut p = Cursor { data: payload, pos: 0 };
    let bad = |_| EntryError::Undecodable;
    let from_soa = p.rr().map_err(bad)?;
    let to_soa = p.rr().map_err(bad)?;
    let removed = p.rrs().map_err(bad)?;
    let added = p.rrs().map_err(bad)?;
    if p.pos != payload.len() || from_soa.soa_serial().is_none() || to_soa.soa_serial().is_none() {
        return Err(EntryError::Undecodable);
    }
    Ok((Diff { from_soa, to_soa, removed, added }, 8 + len))
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ()> {
        let s = self.data.get(self.pos..self.pos.checked_add(n).ok_or(())?).ok_or(())?;
        self.pos += n;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, ()> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, ()> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn rr(&mut self) -> Result<Rr, ()> {
        let n = self.take(1)?[0] as usize;
        let owner = self.take(n)?;
        let rtype = self.u16()?;
        let ttl = self.u32()?;
        let len = self.u16()? as usize;
        Ok(Rr::new(owner, rtype, ttl, self.take(len)?))
    }
    fn rrs(&mut self) -> Result<Vec<Rr>, ()> {
        let n = self.u32()? as usize;
        // Each record takes at least 10 octets: never trust a count beyond that.
        let mut v = Vec::with_capacity(n.min((self.data.len() - self.pos) / 10));
        for _ in 0..n {
            v.push(self.rr()?);
        }
        Ok(v)
    }
}

/// CRC-32 (IEEE 802.3, as in zip and PNG).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    !data.iter().fold(!0u32, |c, &b| TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::journal::tests::diff;

    #[test]
    fn a_damaged_entry_says_how() {
        let mut buf = Vec::new();
        put_entry(&mut buf, &diff(1, 2, &[9]));
        assert_eq!(read_entry(&buf).unwrap().1, buf.len());
        assert_eq!(read_entry(&buf[..7]).unwrap_err().to_string(), "entry header cut short");
        let len = buf.len() - 8;
        assert_eq!(read_entry(&buf[..buf.len() - 1]).unwrap_err().to_string(), format!("entry of {len} octets cut short"));
        let mut flipped = buf.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(read_entry(&flipped).unwrap_err().to_string(), "entry checksum mismatch");
        let mut junk = vec![0, 0, 0, 1];
        junk.extend_from_slice(&crc32(&[0xFF]).to_be_bytes());
        junk.push(0xFF);
        assert_eq!(read_entry(&junk).unwrap_err(), EntryError::Undecodable);
        assert_eq!(EntryError::Undecodable.to_string(), "entry does not decode");
    }
}
