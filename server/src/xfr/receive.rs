//! The record sequence of a transfer in (RFC 5936 §2.2, RFC 1995 §4),
//! classified and stored as it arrives.
//!
//! Owns: deciding, record by record and in one pass, whether an answer is
//! "up to date" (one SOA), AXFR-style (SOA, records, SOA) or incremental
//! (SOA, then old SOA / removed / new SOA / added per difference, then SOA),
//! where it ends, and keeping what it brought compactly: one buffer of
//! records (owner below the apex, type, TTL, RDATA) and a 4-octet offset
//! per record, so a zone being received takes about its wire size in memory
//! (never two heap objects per record). Every record is counted against the
//! zone's [`ZoneLimits`] before it is kept: an answer over a limit fails at
//! that record.
//! Must not: do I/O, or judge the zone's content (that is `zone::build`).
//!
//! ```text
//!  1st record: apex SOA (serial F) ─────────── else: error
//!  2nd: apex SOA with our serial (IXFR asked) ─► incremental
//!       anything else ─────────────────────────► AXFR-style
//!  AXFR-style:  apex SOA with serial F ─► end;  other apex SOA ─► error
//!  incremental: apex SOAs alternate old/new; an "old" position holding
//!               serial F is the closing SOA ─► end
//!  a message that ends after the 1st record, F not newer than ours ─► up to date
//! ```

#![forbid(unsafe_code)]

use crate::wire::rr::{RrHead, WireRr};
use crate::wire::{class, rtype};
use crate::xfr::serial_gt;
use crate::zone::build::soa_fields;
use crate::zone::limits::{LimitExceeded, Tally, ZoneLimits};
use crate::zone::{Record, RecordSource, SourcePos};

/// Why a received sequence is not a transfer we take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    /// The zone grew past a limit (the transfer is aborted).
    #[error("{0}")]
    Limit(#[from] LimitExceeded),
    /// The sequence breaks RFC 5936 / RFC 1995.
    #[error("{0}")]
    Protocol(&'static str),
}

/// Records of one zone in one buffer: per record the length of its owner
/// below the apex (one octet), those labels, type, TTL, RDLENGTH and RDATA.
/// Class is IN for every record kept.
#[derive(Debug, Default)]
pub struct Records {
    apex: Box<[u8]>,
    data: Vec<u8>,
    offsets: Vec<u32>,
}

/// One stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecRef<'a> {
    /// The owner's labels below the apex (empty at the apex).
    pub prefix: &'a [u8],
    /// Type.
    pub rtype: u16,
    /// TTL.
    pub ttl: u32,
    /// RDATA, uncompressed.
    pub rdata: &'a [u8],
}

impl RecRef<'_> {
    /// The full owner, lowercase wire.
    pub fn owner(&self, apex: &[u8]) -> Box<[u8]> {
        [self.prefix, apex].concat().into()
    }
}

/// Grows `v` to hold `more` items beyond its length by a quarter of its
/// capacity at a time (not doubling), so a buffer holds at most about 1.25×
/// what it stores.
fn grow<T>(v: &mut Vec<T>, more: usize) {
    if v.capacity() - v.len() < more {
        v.reserve_exact(more.max(v.capacity() / 4).max(4096 / std::mem::size_of::<T>().max(1)));
    }
}

impl Records {
    /// An empty store for a zone at `apex` (lowercase wire).
    pub fn new(apex: &[u8]) -> Self {
        Self { apex: apex.into(), data: Vec::new(), offsets: Vec::new() }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// True when no record is stored.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Octets held (buffer and offsets, by capacity): what receiving costs.
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.offsets.capacity() * 4
    }

    /// The zone apex.
    pub fn apex(&self) -> &[u8] {
        &self.apex
    }

    /// Appends a record whose owner is `owner`, at or below the apex.
    fn push(&mut self, owner: &[u8], t: u16, ttl: u32, rdata: &[u8]) -> Result<(), ReceiveError> {
        let prefix = &owner[..owner.len() - self.apex.len()];
        let Ok(rdlen) = u16::try_from(rdata.len()) else { return Err(ReceiveError::Protocol("RDATA longer than 65535 octets")) };
        let Ok(at) = u32::try_from(self.data.len()) else { return Err(ReceiveError::Protocol("zone larger than 4 GiB")) };
        let need = 1 + prefix.len() + 8 + rdata.len();
        grow(&mut self.data, need);
        grow(&mut self.offsets, 1);
        self.offsets.push(at);
        self.data.push(prefix.len() as u8);
        self.data.extend_from_slice(prefix);
        self.data.extend_from_slice(&t.to_be_bytes());
        self.data.extend_from_slice(&ttl.to_be_bytes());
        self.data.extend_from_slice(&rdlen.to_be_bytes());
        self.data.extend_from_slice(rdata);
        Ok(())
    }

    /// Record `i`.
    pub fn get(&self, i: usize) -> RecRef<'_> {
        let p = self.offsets[i] as usize;
        let d = &self.data;
        let plen = d[p] as usize;
        let f = p + 1 + plen;
        let rdlen = u16::from_be_bytes([d[f + 6], d[f + 7]]) as usize;
        RecRef {
            prefix: &d[p + 1..f],
            rtype: u16::from_be_bytes([d[f], d[f + 1]]),
            ttl: u32::from_be_bytes([d[f + 2], d[f + 3], d[f + 4], d[f + 5]]),
            rdata: &d[f + 8..f + 8 + rdlen],
        }
    }

    /// Records `range`, in order.
    pub fn iter(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = RecRef<'_>> {
        range.map(move |i| self.get(i))
    }

    /// Serial of record `i`, an SOA (0 when malformed).
    pub fn serial(&self, i: usize) -> u32 {
        soa_fields(self.get(i).rdata).map_or(0, |(s, _)| s)
    }

    /// Record `i` in the client's record type.
    pub fn wire_rr(&self, i: usize) -> WireRr {
        let r = self.get(i);
        WireRr { owner: r.owner(&self.apex).into(), rtype: r.rtype, class: class::IN, ttl: r.ttl, rdata: r.rdata.to_vec() }
    }

    /// The records as a source for `zone::build`, labelled `label`;
    /// consumes the buffer.
    pub fn into_source(self, label: String) -> RecordSource {
        let records = (0..self.len())
            .map(|i| {
                let r = self.get(i);
                Record { owner: r.owner(&self.apex), rtype: r.rtype, class: class::IN, ttl: r.ttl, rdata: r.rdata.into(), src: SourcePos::default() }
            })
            .collect();
        RecordSource { files: vec![label], records }
    }
}

/// One difference of an incremental answer, as indices into its [`Records`]:
/// the old SOA at `from`, removed records up to the new SOA at `to`, added
/// records up to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Index of the old SOA.
    pub from: usize,
    /// Index of the new SOA.
    pub to: usize,
    /// One past the last added record.
    pub end: usize,
}

impl Span {
    /// Indices of the removed records.
    pub fn removed(&self) -> std::ops::Range<usize> {
        self.from + 1..self.to
    }

    /// Indices of the added records.
    pub fn added(&self) -> std::ops::Range<usize> {
        self.to + 1..self.end
    }
}

/// What a transfer brought.
#[derive(Debug)]
pub enum Transfer {
    /// The primary's serial is not newer (IXFR answered with one SOA).
    UpToDate {
        /// The primary's SOA.
        soa: WireRr,
    },
    /// The whole zone (AXFR, or IXFR answered AXFR-style); SOA first, the
    /// closing SOA left out.
    Full(Records),
    /// Differences, oldest first. The records start with the newest SOA;
    /// the closing SOA is left out.
    Incremental(Records, Vec<Span>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Start,
    Full,
    /// Apex SOAs seen after the first; odd: the last one was an "old" SOA.
    Incremental {
        soas: u64,
    },
}

/// The answer so far, fed one record at a time.
#[derive(Debug)]
pub struct Receiver {
    records: Records,
    tally: Tally,
    /// Our serial, when we asked for an IXFR.
    ours: Option<u32>,
    /// Serial of the first SOA.
    first: Option<u32>,
    mode: Mode,
    spans: Vec<Span>,
    done: bool,
}

impl Receiver {
    /// A receiver for the zone at `apex`; `ours` is our serial when the
    /// request was an IXFR.
    pub fn new(apex: &[u8], ours: Option<u32>, limits: ZoneLimits) -> Self {
        Self { records: Records::new(apex), tally: Tally::new(limits), ours, first: None, mode: Mode::Start, spans: Vec::new(), done: false }
    }

    /// True once the closing SOA (or an up-to-date answer) arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Records kept so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True before the first record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Heap octets held by the records so far.
    pub fn heap_bytes(&self) -> usize {
        self.records.heap_bytes()
    }

    /// Takes one answer record: `head` and `buf` as `wire::rr::read_rr_into`
    /// left them (owner, then RDATA). Out-of-zone and non-IN records are
    /// ignored (RFC 5936 §3.3, checklist A8).
    pub fn push(&mut self, head: &RrHead, buf: &[u8]) -> Result<(), ReceiveError> {
        if self.done {
            return Ok(()); // records after the end are ignored, as before
        }
        let (owner, rdata) = buf.split_at(head.owner_len);
        let apex_len = self.records.apex.len();
        if head.class != class::IN || !crate::wire::name::is_subdomain(owner, &self.records.apex) {
            return Ok(());
        }
        let is_soa = head.rtype == rtype::SOA && owner.len() == apex_len;
        let serial = if is_soa { soa_fields(rdata).map_or(0, |(s, _)| s) } else { 0 };
        let Some(first) = self.first else {
            if !is_soa {
                return Err(ReceiveError::Protocol("transfer does not start with the zone's SOA"));
            }
            self.first = Some(serial);
            return self.keep(owner, head, rdata);
        };
        if self.mode == Mode::Start {
            self.mode = match self.ours {
                Some(ours) if is_soa && serial == ours => Mode::Incremental { soas: 0 },
                _ => Mode::Full,
            };
        }
        match &mut self.mode {
            Mode::Full if is_soa && serial == first => self.done = true,
            Mode::Full if is_soa => return Err(ReceiveError::Protocol("SOA in the middle of an AXFR-style transfer")),
            Mode::Incremental { soas } if is_soa => {
                *soas += 1;
                let at = self.records.len();
                if *soas % 2 == 1 {
                    if serial == first {
                        self.done = true;
                        return Ok(());
                    }
                    self.spans.push(Span { from: at, to: usize::MAX, end: at + 1 });
                } else if let Some(s) = self.spans.last_mut() {
                    s.to = at;
                }
                self.keep(owner, head, rdata)?;
            }
            _ => self.keep(owner, head, rdata)?,
        }
        if let Some(s) = self.spans.last_mut() {
            s.end = self.records.len();
        }
        Ok(())
    }

    fn keep(&mut self, owner: &[u8], head: &RrHead, rdata: &[u8]) -> Result<(), ReceiveError> {
        self.tally.add(owner.len() + 10 + rdata.len())?;
        self.records.push(owner, head.rtype, head.ttl, rdata)
    }

    /// Called after each message: an IXFR answered with one SOA that is not
    /// newer than ours means we are up to date (RFC 1995 §4).
    pub fn end_of_message(&mut self) {
        if let (Some(ours), Some(first), 1) = (self.ours, self.first, self.records.len()) {
            if !serial_gt(first, ours) {
                self.done = true;
            }
        }
    }

    /// The transfer, once [`is_done`](Self::is_done).
    pub fn finish(self) -> Result<Transfer, ReceiveError> {
        if !self.done {
            return Err(ReceiveError::Protocol("missing closing SOA"));
        }
        if self.records.len() == 1 && self.mode == Mode::Start {
            return Ok(Transfer::UpToDate { soa: self.records.wire_rr(0) });
        }
        match self.mode {
            Mode::Incremental { .. } => {
                if self.spans.iter().any(|s| s.to == usize::MAX) {
                    return Err(ReceiveError::Protocol("incomplete difference sequence"));
                }
                Ok(Transfer::Incremental(self.records, self.spans))
            }
            _ => Ok(Transfer::Full(self.records)),
        }
    }
}

#[cfg(test)]
#[path = "receive_tests.rs"]
mod tests;
