//! AXFR responses (RFC 5936 §2.2): SOA, every other RRset, SOA.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver};
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

/// The messages of one AXFR, rendered by a thread of their own while earlier
/// ones are sent: the first message leaves at once and a 100,000-record
/// transfer never holds the connection's task while it is packed.
pub struct AxfrStream {
    rx: Receiver<Vec<u8>>,
}

/// Messages rendered ahead of the socket.
const AHEAD: usize = 4;

impl AxfrStream {
    /// Starts the transfer of `zone` in answer to a request with `id`, echoing
    /// `question` (name, type, class) in the first message (RFC 5936 §2.2.1).
    pub fn new(zone: Arc<Zone>, id: u16, question: (&[u8], u16, u16)) -> Self {
        let (tx, rx) = sync_channel(AHEAD);
        let q = (question.0.to_vec(), question.1, question.2);
        let job = move || render_each(id, (&q.0, q.1, q.2), transfer_units(&zone), |m| tx.send(m).is_ok());
        if let Err(e) = std::thread::Builder::new().name("ironbind-axfr".into()).spawn(job) {
            tracing::error!(op = "AXFR", "cannot start a transfer thread: {e}");
        }
        Self { rx }
    }
}

impl MessageStream for AxfrStream {
    fn next_message(&mut self, out: &mut [u8]) -> Option<usize> {
        let m = self.rx.recv().ok()?;
        out[..m.len()].copy_from_slice(&m);
        Some(m.len())
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
    let mut records = records.map(Into::into).peekable();
    let mut rr = Vec::with_capacity(512);
    let mut first = true;
    let origin = question.0.to_ascii_lowercase();
    while records.peek().is_some() {
        let mut w = MsgWriter::new(&mut buf, 65535);
        w.header(id, flags::QR | flags::AA);
        let mut names = Names { origin: &origin, at: None, prev: None };
        if first {
            if w.question(question.0, question.1, question.2).is_ok() {
                names.at = Some(12);
            }
        }
        while let Some(&unit) = records.peek() {
            if w.len() >= MESSAGE_TARGET && w.count(Section::Answer) > 0 {
                break;
            }
            let (owner, t, ttl, count, image) = match unit {
                Unit::Set(owner, set) => (owner, set.rtype, set.ttl, set.count, set.data),
                Unit::Rec(owner, t, ttl, rdata) => {
                    rr.clear();
                    push_image(&mut rr, t, ttl, rdata);
                    (owner, t, ttl, 1, &rr[..])
                }
            };
            let start = w.len();
            if w.rrset_optional(Section::Answer, names.owner(owner), t, ttl, count, image).is_err() {
                break; // message full: the unit starts the next one
            }
            names.written(&w, owner, start);
            records.next();
        }
        if w.count(Section::Answer) == 0 {
            // A record too big for any message: end the stream early, so the
            // client sees a transfer without its closing SOA and rejects it.
            let owner = match records.peek() {
                Some(Unit::Set(o, _) | Unit::Rec(o, ..)) => *o,
                None => &[],
            };
            tracing::error!(owner = %DisplayName(owner),
                "record does not fit in a transfer message; transfer cut short");
            break;
        }
        first = false;
        let n = w.finish();
        if !emit(buf[..n].to_vec()) {
            return; // the client went away
        }
    }
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
