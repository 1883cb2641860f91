//! AXFR responses (RFC 5936 §2.2): SOA, every other RRset, SOA.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::wire::name::{is_subdomain, DisplayName};
use crate::wire::writer::{push_image, MsgWriter, Owner, Section};
use crate::wire::{flags, rtype, MessageStream};
use crate::zone::{Rrset, Zone};

/// Target size of one transfer message (RFC 5936 §2.2 allows up to 65535
/// octets). 16 KiB as Knot sends: BIND's message parser (dig, BIND
/// secondaries) slows down with many records per message, and 32 KiB
/// messages made `dig AXFR` of a 100,000-record zone take twice as long.
const MESSAGE_TARGET: usize = 16 * 1024;

/// What a transfer message is packed from: a whole RRset as stored (its
/// image, see [`push_image`]), or one record.
#[derive(Debug, Clone, Copy)]
pub enum Unit<'a> {
    /// An RRset small enough to go into one message whole.
    Set(&'a [u8], Rrset<'a>),
    /// One record: owner, type, TTL, RDATA.
    Rec(&'a [u8], u16, u32, &'a [u8]),
}

impl<'a> From<(&'a [u8], u16, u32, &'a [u8])> for Unit<'a> {
    fn from((o, t, ttl, d): (&'a [u8], u16, u32, &'a [u8])) -> Self {
        Unit::Rec(o, t, ttl, d)
    }
}

/// RRsets larger than this go record by record, so a unit always fits in a
/// message filled up to [`MESSAGE_TARGET`] (16 + 32 KiB < 64 KiB).
const WHOLE_SET_MAX: usize = 32 * 1024;

/// A zone in transfer order: the apex SOA, then every RRset except the
/// SOA, then the SOA again.
///
/// Nodes go out in the order they sit in memory, which for a zone built
/// from a file is close to the order they were built in: the walk streams
/// through memory instead of jumping around it in hash order.
pub fn transfer_units(zone: &Zone) -> impl Iterator<Item = Unit<'_>> {
    let soa = zone.soa();
    let soa_rr = Unit::Rec(&zone.origin, rtype::SOA, soa.ttl, soa.rdatas().next().unwrap_or_default());
    let body = zone.in_memory_order().iter().flat_map(|node| {
        let owner = node.name();
        node.rrsets().filter(|r| r.rtype != rtype::SOA).flat_map(move |r| {
            let whole = (r.data.len() <= WHOLE_SET_MAX).then_some(Unit::Set(owner, r));
            let split = whole.is_none().then(|| r.rdatas().map(move |d| Unit::Rec(owner, r.rtype, r.ttl, d)));
            whole.into_iter().chain(split.into_iter().flatten())
        })
    });
    std::iter::once(soa_rr).chain(body).chain(std::iter::once(soa_rr))
}

/// The messages of one AXFR, packed on demand straight into the writer's
/// buffer from one snapshot: no thread, no copies, and the connection's
/// writer asks for the next ones while the kernel sends the last.
pub struct AxfrStream {
    zone: Arc<Zone>,
    id: u16,
    question: (Vec<u8>, u16, u16),
    origin: Vec<u8>,
    cursor: Cursor,
    first: bool,
    rr: Vec<u8>,
}

impl AxfrStream {
    /// Starts the transfer of `zone` in answer to a request with `id`, echoing
    /// `question` (name, type, class) in the first message (RFC 5936 §2.2.1).
    pub fn new(zone: Arc<Zone>, id: u16, question: (&[u8], u16, u16)) -> Self {
        let origin = question.0.to_ascii_lowercase();
        let question = (question.0.to_vec(), question.1, question.2);
        Self { zone, id, question, origin, cursor: Cursor::default(), first: true, rr: Vec::with_capacity(512) }
    }
}

/// Where an AXFR stands in [`transfer_units`] order: the opening SOA, then
/// node by node (in memory order) and RRset by RRset (the SOA aside; an
/// RRset too big to go whole, record by record), then the closing SOA.
#[derive(Debug, Default, Clone, Copy)]
struct Cursor {
    phase: Phase,
    node: usize,
    set: usize,
    /// Offset of the next record in a split RRset's image.
    rec: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    #[default]
    Open,
    Body,
    Close,
    Done,
}

/// The RRsets of a node that go into a transfer body.
fn body_sets(node: &crate::zone::Node) -> impl Iterator<Item = Rrset<'_>> {
    node.rrsets().filter(|r| r.rtype != rtype::SOA)
}

impl Cursor {
    fn peek<'z>(&self, zone: &'z Zone) -> Option<Unit<'z>> {
        match self.phase {
            Phase::Open | Phase::Close => {
                let soa = zone.soa();
                Some(Unit::Rec(&zone.origin, rtype::SOA, soa.ttl, soa.rdatas().next().unwrap_or_default()))
            }
            Phase::Body => {
                let node = zone.in_memory_order().get(self.node)?;
                let set = body_sets(node).nth(self.set)?;
                if set.data.len() <= WHOLE_SET_MAX {
                    return Some(Unit::Set(node.name(), set));
                }
                let rdata = Rrset { data: set.data.get(self.rec..)?, ..set }.rdatas().next()?;
                Some(Unit::Rec(node.name(), set.rtype, set.ttl, rdata))
            }
            Phase::Done => None,
        }
    }

    fn advance(&mut self, zone: &Zone) {
        match self.phase {
            Phase::Open => self.phase = Phase::Body,
            Phase::Body => {
                let set = zone.in_memory_order().get(self.node).and_then(|n| body_sets(n).nth(self.set));
                match set {
                    Some(s) if s.data.len() > WHOLE_SET_MAX => {
                        let len = s.data.get(self.rec + 10..self.rec + 12).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
                        self.rec += crate::wire::writer::IMAGE_HEADER + len;
                        if self.rec < s.data.len() {
                            return;
                        }
                        (self.set, self.rec) = (self.set + 1, 0);
                    }
                    _ => (self.set, self.rec) = (self.set + 1, 0),
                }
            }
            Phase::Close => self.phase = Phase::Done,
            Phase::Done => return,
        }
        // Skip to the next node with an RRset left, or on to the closing SOA.
        let nodes = zone.in_memory_order();
        while self.phase == Phase::Body {
            match nodes.get(self.node) {
                None => self.phase = Phase::Close,
                Some(n) if body_sets(n).nth(self.set).is_some() => break,
                Some(_) => (self.node, self.set, self.rec) = (self.node + 1, 0, 0),
            }
        }
    }
}

/// A source of units for [`pack_message`].
trait Units<'a> {
    fn peek(&mut self) -> Option<Unit<'a>>;
    fn advance(&mut self);
}

impl<'a, I: Iterator<Item = Unit<'a>>> Units<'a> for std::iter::Peekable<I> {
    fn peek(&mut self) -> Option<Unit<'a>> {
        std::iter::Peekable::peek(self).copied()
    }
    fn advance(&mut self) {
        self.next();
    }
}

/// A zone walked by a [`Cursor`].
struct ZoneUnits<'z> {
    zone: &'z Zone,
    cursor: &'z mut Cursor,
}

impl<'z> Units<'z> for ZoneUnits<'z> {
    fn peek(&mut self) -> Option<Unit<'z>> {
        self.cursor.peek(self.zone)
    }
    fn advance(&mut self) {
        self.cursor.advance(self.zone);
    }
}

impl MessageStream for AxfrStream {
    fn next_message(&mut self, out: &mut [u8]) -> Option<usize> {
        let q = &self.question;
        let question = self.first.then_some((&q.0[..], q.1, q.2));
        let mut units = ZoneUnits { zone: &self.zone, cursor: &mut self.cursor };
        let n = pack_message(out, self.id, question, &self.origin, &mut units, &mut self.rr)?;
        self.first = false;
        Some(n)
    }

    fn next_ready(&mut self, out: &mut [u8]) -> Option<usize> {
        self.next_message(out)
    }
}

/// Transfer messages rendered up front from one snapshot.
pub struct Rendered {
    messages: VecDeque<Vec<u8>>,
}

impl Rendered {
    /// Number of messages left.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True when every message was taken.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

impl MessageStream for Rendered {
    fn next_message(&mut self, out: &mut [u8]) -> Option<usize> {
        let m = self.messages.pop_front()?;
        out[..m.len()].copy_from_slice(&m);
        Some(m.len())
    }

    fn next_ready(&mut self, out: &mut [u8]) -> Option<usize> {
        self.next_message(out)
    }
}

/// Packs records into as many messages as needed (each ≤ 65535 octets, TC
/// never set), the question in the first one only.
pub fn render<'a>(id: u16, question: (&[u8], u16, u16), records: impl Iterator<Item = impl Into<Unit<'a>>>) -> Rendered {
    let mut messages = VecDeque::new();
    render_each(id, question, records, |m| {
        messages.push_back(m);
        true
    });
    Rendered { messages }
}

/// Packs records into messages as [`render`] does, handing each to `emit`
/// as it is finished; stops early when `emit` returns false.
pub fn render_each<'a>(
    id: u16,
    question: (&[u8], u16, u16),
    records: impl Iterator<Item = impl Into<Unit<'a>>>,
    mut emit: impl FnMut(Vec<u8>) -> bool,
) {
    let mut buf = vec![0u8; 65535];
    let mut units = records.map(Into::into).peekable();
    let mut rr = Vec::with_capacity(512);
    let origin = question.0.to_ascii_lowercase();
    let mut q = Some(question);
    while let Some(n) = pack_message(&mut buf, id, q.take(), &origin, &mut units, &mut rr) {
        if !emit(buf[..n].to_vec()) {
            return; // the client went away
        }
    }
}

/// Packs the next message of a transfer into `buf` (at least 65535 octets)
/// from `units`, up to [`MESSAGE_TARGET`], with `question` when it is the
/// first; its length, or `None` when no unit is left (or one fits in no
/// message: then the stream ends early, so the client sees a transfer
/// without its closing SOA and rejects it).
fn pack_message<'a>(
    buf: &mut [u8],
    id: u16,
    question: Option<(&[u8], u16, u16)>,
    origin: &[u8],
    units: &mut impl Units<'a>,
    rr: &mut Vec<u8>,
) -> Option<usize> {
    units.peek()?;
    let mut w = MsgWriter::new(buf, 65535);
    w.header(id, flags::QR | flags::AA);
    let mut names = Names { origin, at: None, prev: None };
    if let Some((name, t, class)) = question {
        if w.question(name, t, class).is_ok() {
            names.at = Some(12);
        }
    }
    while let Some(unit) = units.peek() {
        if w.len() >= MESSAGE_TARGET && w.count(Section::Answer) > 0 {
            break;
        }
        let (owner, t, ttl, count, image) = match unit {
            Unit::Set(owner, set) => (owner, set.rtype, set.ttl, set.count, set.data),
            Unit::Rec(owner, t, ttl, rdata) => {
                rr.clear();
                push_image(rr, t, ttl, rdata);
                (owner, t, ttl, 1, &rr[..])
            }
        };
        let start = w.len();
        if w.rrset_optional(Section::Answer, names.owner(owner), t, ttl, count, image).is_err() {
            break; // message full: the unit starts the next one
        }
        names.written(&w, owner, start);
        units.advance();
    }
    if w.count(Section::Answer) == 0 {
        let owner = match units.peek() {
            Some(Unit::Set(o, _) | Unit::Rec(o, ..)) => o,
            None => &[],
        };
        tracing::error!(owner = %DisplayName(owner), "record does not fit in a transfer message; transfer cut short");
        return None;
    }
    Some(w.finish())
}

/// Where the zone's names sit in the message being packed, so owners are
/// compressed without searching: a pointer to the previous record's owner
/// when it is the same, else the labels below the apex and a pointer to it.
struct Names<'o> {
    /// The apex, lowercase wire.
    origin: &'o [u8],
    /// Where the apex is written in this message.
    at: Option<u16>,
    /// The previous owner and where it starts.
    prev: Option<(&'o [u8], u16)>,
}

impl<'o> Names<'o> {
    fn owner<'n>(&self, owner: &'n [u8]) -> Owner<'n> {
        if let Some((p, at)) = self.prev {
            if p == owner {
                return Owner::Pointer(at);
            }
        }
        match self.at {
            Some(at) if owner == self.origin => Owner::Pointer(at),
            Some(at) if is_subdomain(owner, self.origin) => Owner::Under(&owner[..owner.len() - self.origin.len()], at),
            _ => Owner::Name(owner),
        }
    }

    /// Notes the owner of the record just written at `start`.
    fn written(&mut self, w: &MsgWriter<'_>, owner: &'o [u8], start: usize) {
        let Ok(start16) = u16::try_from(start) else { return };
        if start16 >= 0x4000 {
            return;
        }
        if self.prev.is_none_or(|(p, _)| p != owner) {
            // Kept when the same: the first copy is a name, later ones pointers to it.
            self.prev = Some((owner, start16));
        }
        if self.at.is_none() && is_subdomain(owner, self.origin) {
            // Written in full (the first name of a message): the apex is its tail.
            let tail = start + owner.len() - self.origin.len();
            if tail < 0x4000 && w.written().get(tail..tail + self.origin.len()).is_some_and(|b| b.eq_ignore_ascii_case(self.origin)) {
                self.at = Some(tail as u16);
            }
        }
    }
}

#[cfg(test)]
#[path = "axfr_tests.rs"]
mod tests;
