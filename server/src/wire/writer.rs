//! Writing a response message into a caller-owned buffer.
//!
//! Owns: the header, the echoed question, whole-RRset appends with owner-name
//! compression (RFC 1035 §4.1.4), rollback when an RRset does not fit (so
//! truncation keeps whole RRsets, RFC 2181 §9), and the OPT record (RFC 6891),
//! for which space is reserved up front so it survives truncation (RFC 6891 §7).
//! Must not: allocate. Compression state is a fixed table.
//!
//! RDATA is copied as stored (uncompressed). Names inside RDATA of the RFC 1035
//! types are registered as compression targets, so the owner of a following
//! record (a CNAME target, NS glue) can point at them; RDATA of other types is
//! never compressed (RFC 3597 §4).

use super::name::MAX_NAME_LEN;
use super::{rtype, WireError};

/// Compression targets remembered per message; more names are written without
/// being remembered, which only costs size.
const COMP_SLOTS: usize = 48;

/// Size of an OPT record with no options.
pub const OPT_LEN: usize = 11;

/// Section indices for [`MsgWriter::counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Answer.
    Answer = 1,
    /// Authority.
    Authority = 2,
    /// Additional.
    Additional = 3,
}

/// How to write an owner name.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'n> {
    /// The question name: a pointer to offset 12.
    Qname,
    /// A name in uncompressed wire form (case as given).
    Name(&'n [u8]),
    /// The name already written at this offset: a pointer to it.
    Pointer(u16),
    /// These labels (no root label), then a pointer to the rest of the name
    /// written at the offset. For writers that know where their names are
    /// (zone transfers), so no search is needed.
    Under(&'n [u8], u16),
}

/// A response under construction.
pub struct MsgWriter<'b> {
    buf: &'b mut [u8],
    pos: usize,
    limit: usize,
    counts: [u16; 4],
    /// (offset, length of the uncompressed name from there) of each target.
    comp: [(u16, u8); COMP_SLOTS],
    ncomp: usize,
    truncated: bool,
}

impl<'b> MsgWriter<'b> {
    /// Starts a message in `buf`; the message will not grow past `limit` octets
    /// (capped at the buffer length), minus what [`reserve`](Self::reserve) holds back.
    pub fn new(buf: &'b mut [u8], limit: usize) -> Self {
        let limit = limit.min(buf.len()).min(65535);
        Self { buf, pos: 12, limit, counts: [0; 4], comp: [(0, 0); COMP_SLOTS], ncomp: 0, truncated: false }
    }

    /// The message written so far.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.pos]
    }

    /// Holds back `n` octets at the end (for OPT/TSIG written last).
    pub fn reserve(&mut self, n: usize) {
        self.limit = self.limit.saturating_sub(n);
    }

    /// Gives back octets held by [`reserve`](Self::reserve).
    pub fn unreserve(&mut self, n: usize) {
        self.limit = (self.limit + n).min(self.buf.len()).min(65535);
    }

    /// Writes the header's ID and flags word (counts are written by [`finish`](Self::finish)).
    pub fn header(&mut self, id: u16, flags: u16) {
        self.buf[0..2].copy_from_slice(&id.to_be_bytes());
        self.buf[2..4].copy_from_slice(&flags.to_be_bytes());
    }

    /// The flags word written so far.
    pub fn flags(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// Replaces the flags word.
    pub fn set_flags(&mut self, flags: u16) {
        self.buf[2..4].copy_from_slice(&flags.to_be_bytes());
    }

    /// Sets the low four RCODE bits in the header.
    pub fn set_rcode(&mut self, rcode: u16) {
        let f = (self.flags() & !0x000F) | (rcode & 0xF);
        self.set_flags(f);
    }

    /// True once any RRset failed to fit.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Current length of the message.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// True when only the header has been written.
    pub fn is_empty(&self) -> bool {
        self.pos == 12
    }

    /// Number of records in a section so far.
    pub fn count(&self, s: Section) -> u16 {
        self.counts[s as usize]
    }

    /// Writes the question (name case preserved) right after the header.
    pub fn question(&mut self, name: &[u8], qtype: u16, qclass: u16) -> Result<(), WireError> {
        debug_assert_eq!(self.pos, 12);
        if self.pos + name.len() + 4 > self.limit {
            return Err(WireError::NoSpace);
        }
        self.put(name);
        self.put(&qtype.to_be_bytes());
        self.put(&qclass.to_be_bytes());
        self.remember(12, name.len());
        self.counts[0] = 1;
        Ok(())
    }

    /// Appends a whole RRset, given as an image of `count` records (see
    /// [`push_image`]), to `section` with owner `owner` and TTL `ttl`; or
    /// nothing (and marks the message truncated) when it does not fit.
    pub fn rrset(&mut self, section: Section, owner: Owner<'_>, rtype: u16, ttl: u32, count: u16, data: &[u8]) -> Result<(), WireError> {
        let mark = (self.pos, self.ncomp);
        let r = self.try_rrset(owner, rtype, ttl, count, data);
        self.settle(r, mark, section, count, true)
    }

    /// Like [`rrset`](Self::rrset) for data the response may drop without
    /// setting TC (additional-section data that is not required glue, RFC 2181 §9).
    pub fn rrset_optional(&mut self, section: Section, owner: Owner<'_>, rtype: u16, ttl: u32, count: u16, data: &[u8]) -> Result<(), WireError> {
        let mark = (self.pos, self.ncomp);
        let r = self.try_rrset(owner, rtype, ttl, count, data);
        self.settle(r, mark, section, count, false)
    }

    fn settle(&mut self, r: Result<(), WireError>, mark: (usize, usize), section: Section, count: u16, required: bool) -> Result<(), WireError> {
        match r {
            Ok(()) => {
                self.counts[section as usize] += count;
                Ok(())
            }
            Err(e) => {
                self.pos = mark.0;
                self.ncomp = mark.1;
                self.truncated |= required;
                Err(e)
            }
        }
    }

    fn try_rrset(&mut self, owner: Owner<'_>, t: u16, ttl: u32, count: u16, image: &[u8]) -> Result<(), WireError> {
        let names_inside = rdata_name_offset(t);
        if let (Owner::Qname, None) = (owner, names_inside) {
            // Fast path: the stored image already points its owners at the question.
            if self.pos + image.len() > self.limit {
                return Err(WireError::NoSpace);
            }
            let start = self.pos;
            self.put(image);
            if image_ttl(image) != Some(ttl) {
                self.patch_ttls(start, count, ttl);
            }
            return Ok(());
        }
        let mut p = 0;
        let mut owner_at = None;
        for _ in 0..count {
            // Owner: the first copy is written (compressed); the others point at it.
            match owner_at {
                Some(at) => self.pointer(at)?,
                None => owner_at = Some(self.name(owner)?),
            }
            let len = u16::from_be_bytes([image[p + 10], image[p + 11]]) as usize;
            if self.pos + 10 + len > self.limit {
                return Err(WireError::NoSpace);
            }
            let start = self.pos;
            self.put(&image[p + 2..p + 12 + len]);
            self.buf[start + 4..start + 8].copy_from_slice(&ttl.to_be_bytes());
            if let Some(off) = names_inside {
                if off < len {
                    self.remember_labels(start + 10 + off);
                }
            }
            p += 12 + len;
        }
        Ok(())
    }

    /// Rewrites the TTL of `count` records written from an image at `start`.
    fn patch_ttls(&mut self, start: usize, count: u16, ttl: u32) {
        let mut at = start;
        for _ in 0..count {
            self.buf[at + 6..at + 10].copy_from_slice(&ttl.to_be_bytes());
            let len = u16::from_be_bytes([self.buf[at + 10], self.buf[at + 11]]) as usize;
            at += 12 + len;
        }
    }

    /// Appends one record of class `class` whose RDATA is given without its
    /// length (a synthesized CNAME, RFC 6672 §3.1, or a CHAOS TXT). When
    /// `rdata_is_name`, the RDATA is a domain name later owners may point at.
    /// Marks truncation when it does not fit.
    #[allow(clippy::too_many_arguments)]
    pub fn record(&mut self, section: Section, owner: Owner<'_>, t: u16, class: u16, ttl: u32, rdata: &[u8], rdata_is_name: bool) -> Result<(), WireError> {
        let mark = (self.pos, self.ncomp);
        let r = (|| {
            self.name(owner)?;
            if self.pos + 10 + rdata.len() > self.limit {
                return Err(WireError::NoSpace);
            }
            self.put(&t.to_be_bytes());
            self.put(&class.to_be_bytes());
            self.put(&ttl.to_be_bytes());
            self.put(&(rdata.len() as u16).to_be_bytes());
            let at = self.pos;
            self.put(rdata);
            if rdata_is_name {
                self.remember_labels(at);
            }
            Ok(())
        })();
        self.settle(r, mark, section, 1, true)
    }

    /// Appends the OPT record (RFC 6891 §6.1.2) using space held by `reserve`.
    /// `ext_rcode` is the full 12-bit RCODE; its high eight bits go in the OPT TTL.
    pub fn opt(&mut self, udp_size: u16, ext_rcode: u16, dnssec_ok: bool) {
        self.unreserve(OPT_LEN);
        if self.pos + OPT_LEN > self.limit {
            return;
        }
        let ttl: u32 = (((ext_rcode >> 4) as u32) << 24) | if dnssec_ok { 0x8000 } else { 0 };
        self.put(&[0]);
        self.put(&rtype::OPT.to_be_bytes());
        self.put(&udp_size.to_be_bytes());
        self.put(&ttl.to_be_bytes());
        self.put(&0u16.to_be_bytes());
        self.counts[3] += 1;
    }

    /// Appends the OPT record as [`opt`](Self::opt) does, carrying one
    /// EDNS option (`code`, `value`); the caller reserved
    /// `OPT_LEN + 4 + value.len()` octets.
    pub fn opt_with(&mut self, udp_size: u16, ext_rcode: u16, dnssec_ok: bool, code: u16, value: &[u8]) {
        let extra = 4 + value.len();
        self.unreserve(extra);
        let before = self.counts[3];
        self.opt(udp_size, ext_rcode, dnssec_ok);
        if self.counts[3] == before || self.pos + extra > self.limit {
            return; // no OPT, or no room for the option: the OPT goes without it
        }
        self.buf[self.pos - 2..self.pos].copy_from_slice(&(extra as u16).to_be_bytes());
        self.put(&code.to_be_bytes());
        self.put(&(value.len() as u16).to_be_bytes());
        self.put(value);
    }

    /// Writes the section counts and returns the message length.
    pub fn finish(self) -> usize {
        for (i, c) in self.counts.iter().enumerate() {
            self.buf[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
        }
        self.pos
    }

    #[inline(always)]
    fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }

    /// Copies a fixed-size field (compiles to plain stores, no `memcpy` call).
    #[inline(always)]
    fn put_fixed<const N: usize>(&mut self, b: &[u8; N]) {
        let dst: &mut [u8; N] = (&mut self.buf[self.pos..self.pos + N]).try_into().expect("N octets");
        *dst = *b;
        self.pos += N;
    }

    #[inline]
    fn pointer(&mut self, at: u16) -> Result<(), WireError> {
        if self.pos + 2 > self.limit {
            return Err(WireError::NoSpace);
        }
        self.put_fixed(&(0xC000 | at).to_be_bytes());
        Ok(())
    }

    /// Writes a name, compressed against earlier names; returns where it starts.
    fn name(&mut self, owner: Owner<'_>) -> Result<u16, WireError> {
        let start = self.pos as u16;
        let name = match owner {
            Owner::Qname => {
                self.pointer(12)?;
                return Ok(12);
            }
            Owner::Name(n) => n,
            Owner::Pointer(at) => {
                self.pointer(at)?;
                return Ok(at);
            }
            Owner::Under(labels, at) => {
                if self.pos + labels.len() + 2 > self.limit {
                    return Err(WireError::NoSpace);
                }
                self.put(labels);
                self.pointer(at)?;
                return Ok(start);
            }
        };
        let mut off = 0;
        while off < name.len() {
            let l = name[off] as usize;
            if l == 0 {
                break;
            }
            if let Some(target) = self.find(&name[off..]) {
                self.pointer(target)?;
                return Ok(start);
            }
            if self.pos + 1 + l > self.limit {
                return Err(WireError::NoSpace);
            }
            let at = self.pos;
            self.put(&name[off..off + 1 + l]);
            if at < 0x4000 {
                self.remember(at as u16, name.len() - off);
            }
            off += 1 + l;
        }
        if self.pos + 1 > self.limit {
            return Err(WireError::NoSpace);
        }
        self.put(&[0]);
        Ok(start)
    }

    fn remember(&mut self, at: u16, len: usize) {
        if self.ncomp < COMP_SLOTS {
            self.comp[self.ncomp] = (at, len as u8);
            self.ncomp += 1;
        }
    }

    /// Remembers every label start of an uncompressed name written at `start`
    /// (a name ending in the root label, with no pointer).
    fn remember_labels(&mut self, start: usize) {
        let end = self.pos;
        let mut at = start;
        while at < end && self.buf[at] != 0 {
            if self.buf[at] > 63 {
                return; // not a plain name: remember nothing
            }
            at += 1 + self.buf[at] as usize;
        }
        let total = at + 1 - start;
        let mut at = start;
        while at < end && at < 0x4000 && self.buf[at] != 0 {
            self.remember(at as u16, total - (at - start));
            at += 1 + self.buf[at] as usize;
        }
    }

    /// Finds a remembered offset whose name equals `suffix` (case-insensitively).
    /// Newest first: the name a record needs (glue after its NS, a CNAME
    /// target's owner) was usually written just before. Lengths are compared
    /// first, so most candidates cost one comparison.
    #[inline]
    fn find(&self, suffix: &[u8]) -> Option<u16> {
        let n = suffix.len();
        self.comp[..self.ncomp]
            .iter()
            .rev()
            .find(|&&(at, len)| len as usize == n && self.name_at_eq(at as usize, suffix))
            .map(|&(at, _)| at)
    }

    fn name_at_eq(&self, mut at: usize, mut want: &[u8]) -> bool {
        let mut hops = 0;
        loop {
            let l = self.buf[at];
            if l & 0xC0 == 0xC0 {
                at = (((l & 0x3F) as usize) << 8) | self.buf[at + 1] as usize;
                hops += 1;
                if hops > MAX_NAME_LEN {
                    return false;
                }
                continue;
            }
            let l = l as usize;
            if want.first() != Some(&(l as u8)) {
                return false;
            }
            if l == 0 {
                return true;
            }
            if !self.buf[at + 1..at + 1 + l].eq_ignore_ascii_case(&want[1..1 + l]) {
                return false;
            }
            want = &want[1 + l..];
            at += 1 + l;
        }
    }
}

/// Appends one record to an RRset *image*: the wire form an answer copies as
/// is, `C0 0C ‖ TYPE ‖ CLASS IN ‖ TTL ‖ RDLENGTH ‖ RDATA`, its owner a pointer to
/// the question name (offset 12). Zones store RRsets this way so the common
/// answer is one copy ([`MsgWriter::rrset`] rewrites owners and TTLs otherwise).
pub fn push_image(image: &mut Vec<u8>, t: u16, ttl: u32, rdata: &[u8]) {
    image.extend_from_slice(&[0xC0, 12]);
    image.extend_from_slice(&t.to_be_bytes());
    image.extend_from_slice(&super::class::IN.to_be_bytes());
    image.extend_from_slice(&ttl.to_be_bytes());
    image.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    image.extend_from_slice(rdata);
}

/// Length of the fixed part before each RDATA in an image.
pub const IMAGE_HEADER: usize = 12;

#[inline]
fn image_ttl(image: &[u8]) -> Option<u32> {
    image.get(6..10).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Offset of a domain name inside the RDATA of the RFC 1035 types whose names
/// other records may point at. Only names written uncompressed are remembered.
#[inline]
fn rdata_name_offset(t: u16) -> Option<usize> {
    match t {
        rtype::NS | rtype::CNAME | rtype::PTR | rtype::DNAME => Some(0),
        rtype::MX => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compresses_owner_against_cname_target_and_rolls_back() {
        let mut buf = [0u8; 512];
        let mut w = MsgWriter::new(&mut buf, 100);
        w.header(1, 0x8400);
        w.question(b"\x03www\x07example\x03com\x00", 1, 1).unwrap();
        let target = b"\x03web\x07example\x03com\x00";
        let mut data = Vec::new();
        push_image(&mut data, rtype::CNAME, 60, target);
        w.rrset(Section::Answer, Owner::Qname, rtype::CNAME, 60, 1, &data).unwrap();
        let before = w.len();
        let mut a = Vec::new();
        push_image(&mut a, rtype::A, 60, &[1, 2, 3, 4]);
        w.rrset(Section::Answer, Owner::Name(b"\x03WEB\x07example\x03com\x00"), rtype::A, 60, 1, &a).unwrap();
        // Owner compressed to a 2-octet pointer.
        assert_eq!(w.len() - before, 2 + 10 + 4);
        let mut d = Vec::new();
        push_image(&mut d, rtype::TXT, 60, &[0u8; 78]);
        let at = w.len();
        assert!(w.rrset(Section::Answer, Owner::Qname, rtype::TXT, 60, 1, &d).is_err());
        assert_eq!(w.len(), at);
        assert!(w.truncated());
        assert_eq!(w.count(Section::Answer), 2);
    }
}
