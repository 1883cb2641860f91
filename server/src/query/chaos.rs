//! CHAOS class identity queries: `version.bind`, `version.server`,
//! `id.server`, `hostname.bind` as TXT, or REFUSED when not configured.
//!
//! Owns: the pre-encoded TXT RDATA and the answer. Must not: answer any
//! other CHAOS name (REFUSED).

use super::answer::Outcome;
use crate::wire::request::Question;
use crate::wire::writer::{MsgWriter, Owner, Section};
use crate::wire::{class, rcode, rtype};

/// The configured identity strings as TXT RDATA.
#[derive(Debug, Clone, Default)]
pub(super) struct Chaos {
    version: Option<Vec<u8>>,
    id: Option<Vec<u8>>,
}

impl Chaos {
    /// Encodes `version` and `id` (each split into 255-octet strings).
    pub(super) fn new(version: Option<&str>, id: Option<&str>) -> Self {
        Chaos { version: version.map(txt_rdata), id: id.map(txt_rdata) }
    }

    /// Answers the CHAOS question `q` into `w` (RFC 4892): REFUSED unless configured.
    pub(super) fn answer(&self, q: &Question, w: &mut MsgWriter<'_>) -> Outcome {
        let n = q.lower.as_wire();
        let rdata = if n == b"\x07version\x04bind\x00" || n == b"\x07version\x06server\x00" {
            self.version.as_deref()
        } else if n == b"\x02id\x06server\x00" || n == b"\x08hostname\x04bind\x00" {
            self.id.as_deref()
        } else {
            None
        };
        let Some(rdata) = rdata else { return Outcome { rcode: rcode::REFUSED, aa: false } };
        if matches!(q.qtype, rtype::TXT | rtype::ANY) {
            let _ = w.record(Section::Answer, Owner::Qname, rtype::TXT, class::CH, 0, rdata, false);
        }
        Outcome { rcode: rcode::NOERROR, aa: true }
    }
}

fn txt_rdata(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 255 + 1);
    for chunk in s.as_bytes().chunks(255) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}
