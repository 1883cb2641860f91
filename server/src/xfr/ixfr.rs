//! IXFR responses (RFC 1995 §4), served from a zone snapshot and its journal.
//!
//! Owns: choosing the form of the answer (under the journal's lock, briefly)
//! and producing it as a stream of messages — a diff rendered up front, the
//! whole zone packed on demand from its snapshot like an AXFR, so a big
//! fallback neither blocks the runtime thread nor holds the journal's lock
//! while it is sent — and reading the client's serial from the request (I1).
//! Must not: decide access, apply diffs, or touch sockets or disk.
//!
//! ```text
//!  client serial ≥ current (RFC 1982) ─► one message: current SOA            (I2)
//!  journal leads to this version and
//!    holds history from the client's serial,
//!    condensed diff no bigger than the zone ─► new SOA,
//!                                              old SOA, removed…, new SOA, added…,
//!                                              new SOA                      (I3)
//!  otherwise ─► the whole zone AXFR-style: SOA, records…, SOA               (I4)
//! ```
//!
//! **UDP (I5):** we never send a transfer over UDP. [`write_udp_answer`]
//! answers an IXFR over UDP with the current SOA alone, which tells a client
//! that is behind to retry over TCP (RFC 1995 §2) and a client that is
//! current that there is nothing to do. Like BIND and Knot, we accept the
//! extra round trip in exchange for never fragmenting or truncating a diff.

use std::sync::Arc;

use super::axfr::{render, AxfrStream, Rendered};
use super::diff::{soa_rr, zone_size, Diff, Rr};
use super::journal::Journal;
use super::serial::serial_ge;
use crate::wire::name::{skip_name, DisplayName};
use crate::wire::request::Request;
use crate::wire::writer::{MsgWriter, Owner, Section};
use crate::wire::{flags, get_u16, get_u32, rtype, MessageStream, WireError};
use crate::zone::Zone;

/// Which form an IXFR response took (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IxfrKind {
    /// The client is current: one SOA (RFC 1995 §4, I2).
    UpToDate,
    /// Incremental: the differences from the client's version (I3).
    Incremental,
    /// The whole zone, AXFR-style inside the IXFR response (I4).
    Full,
}

impl IxfrKind {
    /// A short label (`up-to-date`, `incremental`, `full`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpToDate => "up-to-date",
            Self::Incremental => "incremental",
            Self::Full => "full",
        }
    }
}

/// The messages of one IXFR response: an incremental answer rendered up
/// front (its diff is no bigger than the zone), a whole zone packed on
/// demand from its snapshot as an AXFR is ([`AxfrStream`]).
pub struct IxfrStream {
    body: Body,
    kind: IxfrKind,
}

enum Body {
    Rendered(Rendered),
    Zone(Box<AxfrStream>),
}

/// What [`IxfrStream::plan`] chose from the journal: the condensed diff
/// from the client's version, or `None` for the whole zone.
pub struct IxfrPlan(Option<Diff>);

impl IxfrStream {
    /// Decides the answer to a client at `client_serial` for `zone` from
    /// `journal` (which must belong to the same zone): the condensed diff
    /// when the journal leads to `zone`'s version, holds the client's and
    /// the diff is no bigger than the zone. Cheap next to sending: the
    /// caller holds the journal's lock only for this.
    pub fn plan(zone: &Zone, journal: &Journal, client_serial: u32) -> IxfrPlan {
        if serial_ge(client_serial, zone.serial) {
            return IxfrPlan(None);
        }
        IxfrPlan(match journal.leads_to(zone).then(|| journal.condensed(client_serial)).flatten() {
            Some(d) if d.wire_size() <= zone_size(zone) => Some(d),
            _ => None,
        })
    }

    /// The answer to an IXFR from a client at `client_serial` for `zone`,
    /// as [`plan`](Self::plan) chose it. `question` (name, type, class) is
    /// echoed in the first message. A whole zone is not rendered here: it
    /// is packed message by message as the connection asks for them.
    pub fn with_plan(zone: Arc<Zone>, IxfrPlan(diff): IxfrPlan, client_serial: u32, id: u16, question: (&[u8], u16, u16)) -> Self {
        let soa = soa_rr(&zone);
        let (body, kind) = if serial_ge(client_serial, zone.serial) {
            let soa_item = (&*soa.owner, soa.rtype, soa.ttl, &*soa.rdata);
            (Body::Rendered(render(id, question, std::iter::once(soa_item))), IxfrKind::UpToDate)
        } else if let Some(d) = &diff {
            (Body::Rendered(render(id, question, incremental_records(std::slice::from_ref(d), &soa))), IxfrKind::Incremental)
        } else {
            (Body::Zone(Box::new(AxfrStream::new(Arc::clone(&zone), id, question))), IxfrKind::Full)
        };
        tracing::debug!(zone = %DisplayName(&zone.origin), serial = zone.serial, client_serial, kind = kind.as_str(), "IXFR response");
        Self { body, kind }
    }

    /// [`plan`](Self::plan) and [`with_plan`](Self::with_plan) in one.
    pub fn new(zone: Arc<Zone>, journal: &Journal, client_serial: u32, id: u16, question: (&[u8], u16, u16)) -> Self {
        let plan = Self::plan(&zone, journal, client_serial);
        Self::with_plan(zone, plan, client_serial, id, question)
    }

    /// The form the response took.
    pub fn kind(&self) -> IxfrKind {
        self.kind
    }

    /// Number of messages left, when rendered up front (`None`: a whole
    /// zone, packed on demand).
    pub fn messages_left(&self) -> Option<usize> {
        match &self.body {
            Body::Rendered(r) => Some(r.len()),
            Body::Zone(_) => None,
        }
    }
}

impl MessageStream for IxfrStream {
    fn next_message(&mut self, out: &mut [u8]) -> Option<usize> {
        match &mut self.body {
            Body::Rendered(r) => r.next_message(out),
            Body::Zone(z) => z.next_message(out),
        }
    }

    fn next_ready(&mut self, out: &mut [u8]) -> Option<usize> {
        match &mut self.body {
            Body::Rendered(r) => r.next_ready(out),
            Body::Zone(z) => z.next_ready(out),
        }
    }
}

/// The incremental sequence (RFC 1995 §4): the newest SOA, then for each diff
/// its old SOA, removals, new SOA and additions, then the newest SOA again.
fn incremental_records<'a>(diffs: &'a [Diff], newest: &'a Rr) -> impl Iterator<Item = (&'a [u8], u16, u32, &'a [u8])> {
    let item = |r: &'a Rr| (&*r.owner, r.rtype, r.ttl, &*r.rdata);
    let body = diffs.iter().flat_map(move |d| {
        std::iter::once(item(&d.from_soa)).chain(d.removed.iter().map(item)).chain(std::iter::once(item(&d.to_soa))).chain(d.added.iter().map(item))
    });
    std::iter::once(item(newest)).chain(body).chain(std::iter::once(item(newest)))
}

/// Writes the UDP answer to an IXFR (I5): the current SOA in the answer
/// section. The caller wrote the header and question, and adds OPT/TSIG.
pub fn write_udp_answer(w: &mut MsgWriter<'_>, zone: &Zone) -> Result<(), WireError> {
    let soa = zone.soa();
    w.rrset(Section::Answer, Owner::Name(&zone.origin), rtype::SOA, soa.ttl, soa.count, soa.data)
}

/// A complete UDP answer to an IXFR (I5) in `out`, at most `limit` octets:
/// header (QR, AA, and the request's RD), the question, the current SOA.
/// Returns the message length.
pub fn ixfr_udp_reply(zone: &Zone, id: u16, request_flags: u16, question: (&[u8], u16, u16), out: &mut [u8], limit: usize) -> usize {
    let mut w = MsgWriter::new(out, limit);
    w.header(id, flags::QR | flags::AA | (request_flags & flags::RD));
    if w.question(question.0, question.1, question.2).is_ok() {
        let _ = write_udp_answer(&mut w, zone);
    }
    w.finish()
}

/// The client's serial: the SOA in the authority section of an IXFR request
/// (RFC 1995 §3, I1). `None` when there is none or it is malformed (the
/// caller answers FORMERR).
pub fn client_serial(req: &Request<'_>) -> Option<u32> {
    let msg = req.msg;
    let mut pos = req.answer_at;
    for i in 0..req.counts[1] as usize + req.counts[2] as usize {
        let name_end = skip_name(msg, pos).ok()?;
        let t = get_u16(msg, name_end).ok()?;
        let rdlen = get_u16(msg, name_end + 8).ok()? as usize;
        let rdata = name_end + 10;
        if i >= req.counts[1] as usize && t == rtype::SOA {
            // MNAME and RNAME may be compressed in a request.
            let p = skip_name(msg, rdata).ok()?;
            let p = skip_name(msg, p).ok()?;
            return (p + 20 <= rdata + rdlen).then(|| get_u32(msg, p).ok()).flatten();
        }
        pos = rdata + rdlen;
    }
    None
}

#[cfg(test)]
#[path = "ixfr_tests.rs"]
mod tests;
