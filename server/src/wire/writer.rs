//! Writing a response message into a caller-owned buffer.
//!
//! Owns: the header, the echoed question, whole-RRset appends with owner-name
//! compression (RFC 1035 §4.1.4), rollback when an RRset does not fit (so
//! truncation keeps whole RRsets, RFC 2181 §9), and the OPT record (RFC 6891),
//! for which space is reserved up front so it survives truncation (RFC 6891 §7).
//! Must not: allocate. Compression state is a fixed table.
//!
//! RDATA is copied as stored (uncompressed). An RRset's image goes in with one
//! copy; only owner pointers and TTLs that differ are patched after it. Names
//! inside RDATA of the RFC 1035 types are registered as compression targets,
//! so a later owner can point at them; RDATA of other types is never
//! compressed (RFC 3597 §4). Writers that know where a name already sits (the
//! answer layer: CNAME targets, NS RDATA, the question) pass
//! [`Owner::Pointer`] and skip the search, and [`MsgWriter::rrset_at`] tells
//! them where an RRset's RDATA landed.

use super::name::MAX_NAME_LEN;
use super::{rtype, WireError};

/// Compression targets remembered per message; more names are written without
/// being remembered, which only costs size.
const COMP_SLOTS: usize = 48;

/// Offsets from here on cannot be the target of a compression pointer.
const MAX_POINTER: usize = 0x4000;

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
    /// Each target: its offset `<< 8` | the length of the uncompressed name
    /// from there (packed so a new writer zeroes 192 octets, not 48 tuples).
    comp: [u32; COMP_SLOTS],
    ncomp: usize,
    truncated: bool,
}

impl<'b> MsgWriter<'b> {
    /// Starts a message in `buf`; the message will not grow past `limit` octets
    /// (capped at the buffer length), minus what [`reserve`](Self::reserve) holds back.
    pub fn new(buf: &'b mut [u8], limit: usize) -> Self {
        let limit = limit.min(buf.len()).min(65535);
        Self { buf, pos: 12, limit, counts: [0; 4], comp: [0; COMP_SLOTS], ncomp: 0, truncated: false }
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

    /// Appends a whole RRset, given as an image of exactly `count` records (see
    /// [`push_image`]), to `section` with owner `owner` and TTL `ttl`; or
    /// nothing (and marks the message truncated) when it does not fit.
    pub fn rrset(&mut self, section: Section, owner: Owner<'_>, rtype: u16, ttl: u32, count: u16, data: &[u8]) -> Result<(), WireError> {
        self.rrset_at(section, owner, rtype, ttl, count, data, true).map(|_| ())
    }

    /// [`rrset`](Self::rrset), telling where the image landed: octet `p` of
    /// `data` (from its TYPE field on) is at message offset `base + p`, so the
    /// RDATA of the record at image offset `p` starts at `base + p +`
    /// [`IMAGE_HEADER`] (for an owner written past the reach of pointers, only
    /// for the first record: the others spell the owner again). With `remember` false, names inside the RDATA are not
    /// registered as compression targets: for callers that point at them
    /// themselves and write nothing afterwards that could search for them.
    #[allow(clippy::too_many_arguments)]
    pub fn rrset_at(
        &mut self,
        section: Section,
        owner: Owner<'_>,
        rtype: u16,
        ttl: u32,
        count: u16,
        data: &[u8],
        remember: bool,
    ) -> Result<usize, WireError> {
        let mark = (self.pos, self.ncomp);
        match self.try_rrset(owner, rtype, ttl, count, data, remember) {
            Ok(base) => self.settle(Ok(()), mark, section, count, true).map(|()| base),
            Err(e) => self.settle(Err(e), mark, section, count, true).map(|()| 0),
        }
    }

    /// Like [`rrset`](Self::rrset) for data the response may drop without
    /// setting TC (additional-section data that is not required glue, RFC 2181 §9).
    pub fn rrset_optional(&mut self, section: Section, owner: Owner<'_>, rtype: u16, ttl: u32, count: u16, data: &[u8]) -> Result<(), WireError> {
        let mark = (self.pos, self.ncomp);
        let r = self.try_rrset(owner, rtype, ttl, count, data, true).map(|_| ());
        self.settle(r, mark, section, count, false)
    }

    /// [`rrset`](Self::rrset) (or, unless `required`,
    /// [`rrset_optional`](Self::rrset_optional)) for an owner already written
    /// at `at` and an RRset whose RDATA holds no name later owners would
    /// point at (addresses: glue, additional data). The shortest write: one
    /// copy, then each owner pointer and TTL.
    #[inline]
    pub fn rrset_pointed(&mut self, section: Section, at: u16, ttl: u32, count: u16, image: &[u8], required: bool) -> Result<(), WireError> {
        debug_assert!((at as usize) < MAX_POINTER);
        debug_assert!(image.get(2..4).is_some_and(|t| rdata_name_offset(u16::from_be_bytes([t[0], t[1]])).is_none()));
        let base = self.pos;
        let end = base + image.len();
        if end > self.limit {
            self.truncated |= required;
            return Err(WireError::NoSpace);
        }
        self.buf[base..end].copy_from_slice(image);
        self.pos = end;
        let ptr = (0xC000 | at).to_be_bytes();
        let ttl = ttl.to_be_bytes();
        let mut p = base;
        for _ in 0..count {
            let Some(head) = self.buf.get_mut(p..p + IMAGE_HEADER) else { break };
            head[..2].copy_from_slice(&ptr);
            head[6..10].copy_from_slice(&ttl);
            p += IMAGE_HEADER + u16::from_be_bytes([head[10], head[11]]) as usize;
        }
        self.counts[section as usize] += count;
        Ok(())
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

    /// Copies the image in one piece after the owner, then fixes what differs
    /// per record: owner pointers (when the owner is not the question), TTLs
    /// (when not the image's), and remembers names inside the RDATA. Returns
    /// where image octet 0 landed (see [`rrset_at`](Self::rrset_at)).
    fn try_rrset(&mut self, owner: Owner<'_>, t: u16, ttl: u32, count: u16, image: &[u8], remember: bool) -> Result<usize, WireError> {
        // `first`: where the owners point; `named`: the first owner was written
        // out, so the image goes in without its first two octets.
        let (first, named) = match owner {
            Owner::Qname => (12, false),
            Owner::Pointer(at) => (at, false),
            Owner::Name(_) | Owner::Under(..) => match self.name(owner)? {
                // Written where no pointer reaches (past 16 KiB of TCP): each record spells its owner.
                at if at as usize >= MAX_POINTER => return self.spell_each(owner, t, ttl, count, image, remember),
                at => (at, true),
            },
        };
        let body = if named { image.get(2..).unwrap_or_default() } else { image };
        let end = self.pos + body.len();
        if end > self.limit {
            return Err(WireError::NoSpace);
        }
        let base = self.pos - if named { 2 } else { 0 };
        self.buf[self.pos..end].copy_from_slice(body);
        self.pos = end;
        let names_inside = if remember { rdata_name_offset(t) } else { None };
        if first != 12 || names_inside.is_some() || image_ttl(image) != Some(ttl) {
            self.fix_records(base, first, named, ttl, count, names_inside);
        }
        Ok(base)
    }

    /// Writes the records of an image one by one, each after its own copy of
    /// the owner (the first one's is written already). Returns where the
    /// first record's image landed.
    #[cold]
    fn spell_each(&mut self, owner: Owner<'_>, t: u16, ttl: u32, count: u16, image: &[u8], remember: bool) -> Result<usize, WireError> {
        let names_inside = if remember { rdata_name_offset(t) } else { None };
        let base = self.pos - 2;
        let mut p = 0;
        for i in 0..count {
            if i > 0 {
                self.name(owner)?;
            }
            let Some(head) = image.get(p..p + IMAGE_HEADER) else { break };
            let len = u16::from_be_bytes([head[10], head[11]]) as usize;
            let Some(record) = image.get(p + 2..p + IMAGE_HEADER + len) else { break };
            if self.pos + record.len() > self.limit {
                return Err(WireError::NoSpace);
            }
            let at = self.pos - 2;
            self.put(record);
            self.buf[at + 6..at + 10].copy_from_slice(&ttl.to_be_bytes());
            if let Some(off) = names_inside.filter(|&off| off < len) {
                self.remember_name(at + IMAGE_HEADER + off, at + IMAGE_HEADER + len);
            }
            p += IMAGE_HEADER + len;
        }
        Ok(base)
    }

    /// Fixes the `count` records of an image copied to `base`: owners point
    /// at `first` (but the first record's when `named`), TTLs are `ttl`, and
    /// names inside the RDATA at `names_inside` are remembered.
    fn fix_records(&mut self, base: usize, first: u16, named: bool, ttl: u32, count: u16, names_inside: Option<usize>) {
        let ptr = (0xC000 | first).to_be_bytes();
        let ttl = ttl.to_be_bytes();
        let mut at = base;
        for i in 0..count {
            let Some(head) = self.buf.get_mut(at..at + IMAGE_HEADER) else { return };
            if i > 0 || !named {
                head[..2].copy_from_slice(&ptr);
            }
            head[6..10].copy_from_slice(&ttl);
            let len = u16::from_be_bytes([head[10], head[11]]) as usize;
            if let Some(off) = names_inside {
                if off < len {
                    self.remember_name(at + IMAGE_HEADER + off, at + IMAGE_HEADER + len);
                }
            }
            at += IMAGE_HEADER + len;
        }
    }

    /// Appends one record of class `class` whose RDATA is given without its
    /// length (a synthesized CNAME, RFC 6672 §3.1, or a CHAOS TXT). When
    /// `rdata_is_name`, the RDATA is a domain name later owners may point at.
    /// Marks truncation when it does not fit.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        section: Section,
        owner: Owner<'_>,
        t: u16,
        class: u16,
        ttl: u32,
        rdata: &[u8],
        rdata_is_name: bool,
    ) -> Result<(), WireError> {
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
                self.remember_name(at, self.pos);
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
        let [t0, t1] = rtype::OPT.to_be_bytes();
        let [s0, s1] = udp_size.to_be_bytes();
        let [x0, x1, x2, x3] = ttl.to_be_bytes();
        // Root owner, TYPE, CLASS (the payload size), TTL, RDLENGTH 0.
        self.put_fixed(&[0, t0, t1, s0, s1, x0, x1, x2, x3, 0, 0]);
        self.counts[3] += 1;
    }

    /// Appends the OPT record as [`opt`](Self::opt) does, carrying one
    /// EDNS option (`code`, `value`); the caller reserved
    /// `OPT_LEN + 4 + value.len()` octets.
    pub fn opt_with(&mut self, udp_size: u16, ext_rcode: u16, dnssec_ok: bool, code: u16, value: &[u8]) {
        self.opt_options(udp_size, ext_rcode, dnssec_ok, &[Some((code, value))]);
    }

    /// Appends the OPT record as [`opt`](Self::opt) does, carrying the
    /// EDNS options given (`None` entries skipped); the caller reserved
    /// `OPT_LEN` plus `4 + value.len()` octets for each. Options that do
    /// not fit are left out (the OPT goes without them).
    pub fn opt_options(&mut self, udp_size: u16, ext_rcode: u16, dnssec_ok: bool, options: &[Option<(u16, &[u8])>]) {
        let extra: usize = options.iter().flatten().map(|(_, v)| 4 + v.len()).sum();
        self.unreserve(extra);
        let before = self.counts[3];
        self.opt(udp_size, ext_rcode, dnssec_ok);
        if self.counts[3] == before {
            return; // no room for the OPT itself
        }
        let rdlen_at = self.pos - 2;
        let mut rdlen = 0usize;
        for (code, value) in options.iter().flatten() {
            if self.pos + 4 + value.len() > self.limit {
                continue;
            }
            self.put(&code.to_be_bytes());
            self.put(&(value.len() as u16).to_be_bytes());
            self.put(value);
            rdlen += 4 + value.len();
        }
        self.buf[rdlen_at..rdlen_at + 2].copy_from_slice(&(rdlen as u16).to_be_bytes());
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
                // Records after this one point at the name itself, not at a pointer.
                return Ok(if off == 0 { target } else { start });
            }
            if self.pos + 1 + l > self.limit {
                return Err(WireError::NoSpace);
            }
            let at = self.pos;
            self.put(&name[off..off + 1 + l]);
            if at < MAX_POINTER {
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

    #[inline]
    fn remember(&mut self, at: u16, len: usize) {
        if self.ncomp < COMP_SLOTS {
            self.comp[self.ncomp] = ((at as u32) << 8) | (len as u8 as u32);
            self.ncomp += 1;
        }
    }

    /// Remembers every label start of a name in RDATA written at `start` that
    /// must end (with its root label) exactly at `end`; when it does not (not
    /// a plain name), forgets what it remembered of it.
    fn remember_name(&mut self, start: usize, end: usize) {
        let mark = self.ncomp;
        let mut at = start;
        while at < end {
            let l = self.buf[at] as usize;
            if l == 0 {
                if at + 1 == end {
                    return;
                }
                break;
            }
            if l > 63 {
                break;
            }
            if at < MAX_POINTER {
                self.remember(at as u16, end - at);
            }
            at += 1 + l;
        }
        self.ncomp = mark;
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
            .find(|&&e| (e & 0xFF) as usize == n && self.name_at_eq((e >> 8) as usize, suffix))
            .map(|&e| (e >> 8) as u16)
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

    fn ns_image() -> Vec<u8> {
        let mut ns = Vec::new();
        push_image(&mut ns, rtype::NS, 60, b"\x03ns1\x03sub\x07example\x03com\x00");
        push_image(&mut ns, rtype::NS, 60, b"\x03ns2\x03sub\x07example\x03com\x00");
        ns
    }

    fn parse(msg: &[u8]) -> Vec<String> {
        let m = hickory_proto::op::Message::from_vec(msg).expect("a parsable message");
        m.answers.iter().chain(&m.authorities).chain(&m.additionals).map(|r| r.to_string()).collect()
    }

    #[test]
    fn rrset_at_tells_where_rdata_landed_and_owners_point_where_told() {
        let mut buf = [0u8; 512];
        let mut w = MsgWriter::new(&mut buf, 512);
        w.question(b"\x04host\x03sub\x07example\x03com\x00", 1, 1).unwrap();
        let ns = ns_image();
        // Owner: "sub.example.com" inside the question; names in RDATA not remembered.
        let base = w.rrset_at(Section::Authority, Owner::Pointer(17), rtype::NS, 300, 2, &ns, false).unwrap();
        assert_eq!(base, 12 + 26);
        assert_eq!(w.ncomp, 1, "only the question");
        let second = ns.len() / 2;
        assert_eq!(w.written()[base + 12..base + 16], *b"\x03ns1");
        assert_eq!(w.written()[base + second..base + second + 2], [0xC0, 17]);
        let mut a = Vec::new();
        push_image(&mut a, rtype::A, 60, &[192, 0, 2, 1]);
        w.rrset(Section::Additional, Owner::Pointer((base + second + 12) as u16), rtype::A, 60, 1, &a).unwrap();
        let n = w.finish();
        assert_eq!(n, 12 + 26 + ns.len() + a.len());
        assert_eq!(
            parse(&buf[..n]),
            [
                "sub.example.com. 300 IN NS ns1.sub.example.com.",
                "sub.example.com. 300 IN NS ns2.sub.example.com.",
                "ns2.sub.example.com. 60 IN A 192.0.2.1"
            ]
        );
    }

    #[test]
    fn rrset_pointed_points_every_owner_and_rolls_back_as_required_or_not() {
        let mut buf = [0u8; 512];
        let mut w = MsgWriter::new(&mut buf, 90);
        w.question(b"\x03sub\x07example\x03com\x00", 2, 1).unwrap();
        let mut a = Vec::new();
        push_image(&mut a, rtype::A, 60, &[192, 0, 2, 1]);
        push_image(&mut a, rtype::A, 60, &[192, 0, 2, 2]);
        w.rrset_pointed(Section::Additional, 16, 300, 2, &a, true).unwrap();
        assert_eq!(w.count(Section::Additional), 2);
        // 33 + 32 + 32 > 90: dropped whole; TC only when required.
        let at = w.len();
        assert!(w.rrset_pointed(Section::Additional, 16, 300, 2, &a, false).is_err());
        assert!(!w.truncated() && w.len() == at);
        assert!(w.rrset_pointed(Section::Additional, 16, 300, 2, &a, true).is_err());
        assert!(w.truncated() && w.len() == at && w.count(Section::Additional) == 2);
        let n = w.finish();
        assert_eq!(n, at);
        let m = hickory_proto::op::Message::from_vec(&buf[..n]).expect("a parsable message");
        let got: Vec<String> = m.additionals.iter().map(|r| r.to_string()).collect();
        assert_eq!(got, ["example.com. 300 IN A 192.0.2.1", "example.com. 300 IN A 192.0.2.2"]);
    }

    #[test]
    fn later_records_point_at_the_name_not_at_a_pointer_and_spell_it_past_16k() {
        let mut buf = vec![0u8; 65535];
        let mut w = MsgWriter::new(&mut buf, 65535);
        w.question(b"\x03sub\x07example\x03com\x00", 2, 1).unwrap();
        let ns = ns_image();
        w.rrset(Section::Answer, Owner::Name(b"\x03SUB\x07example\x03com\x00"), rtype::NS, 60, 2, &ns).unwrap();
        // Both owners are pointers to the question itself.
        let second = 12 + 21 + ns.len() / 2;
        assert_eq!(w.written()[second..second + 2], [0xC0, 12]);
        // Push the message past 16 KiB, then an RRset whose owner lands there.
        let mut big = Vec::new();
        push_image(&mut big, rtype::TXT, 60, &[0u8; 17000]);
        w.rrset(Section::Answer, Owner::Qname, rtype::TXT, 60, 1, &big).unwrap();
        assert!(w.len() > MAX_POINTER);
        w.rrset(Section::Answer, Owner::Name(b"\x01x\x03www\x07example\x03org\x00"), rtype::NS, 60, 2, &ns).unwrap();
        let n = w.finish();
        let got = parse(&buf[..n]);
        assert_eq!(got.len(), 5);
        assert_eq!(got[3..], ["x.www.example.org. 60 IN NS ns1.sub.example.com.", "x.www.example.org. 60 IN NS ns2.sub.example.com."]);
    }
}
