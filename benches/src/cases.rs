//! The six kinds of query the benchmarks measure, and their wire form.
//!
//! Every kind names a question both benchmark zones can answer (see the
//! comment at the top of `data/small.zone`). Queries look like a resolver's to
//! an authoritative server: RD clear, one question, EDNS(0) OPT with a
//! 1232-octet payload (DNS Flag Day 2020), no DO bit.

/// RR type numbers used here.
pub mod qtype {
    /// A
    pub const A: u16 = 1;
    /// AAAA
    pub const AAAA: u16 = 28;
}

/// What the question exercises in the lookup (RFC 1034 §4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The name and type exist: one A record.
    Exact,
    /// The name does not exist: NXDOMAIN with the SOA.
    NxDomain,
    /// The name exists without the type: NOERROR, empty answer, SOA.
    NoData,
    /// Synthesised from `*.wild.example.com.` (RFC 4592).
    Wildcard,
    /// A CNAME to an in-zone name, chased: CNAME + A.
    Cname,
    /// Below a zone cut: referral with NS and glue, AA clear.
    Referral,
}

impl Kind {
    /// All kinds, in report order.
    pub const ALL: [Kind; 6] = [Kind::Exact, Kind::NxDomain, Kind::NoData, Kind::Wildcard, Kind::Cname, Kind::Referral];

    /// Short label used in benchmark ids.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::NxDomain => "nxdomain",
            Kind::NoData => "nodata",
            Kind::Wildcard => "wildcard",
            Kind::Cname => "cname",
            Kind::Referral => "referral",
        }
    }

    /// The question name (absolute, without the final dot).
    pub fn qname(self) -> &'static str {
        match self {
            Kind::Exact => "www.example.com",
            Kind::NxDomain => "nonexistent.example.com",
            Kind::NoData => "www.example.com",
            Kind::Wildcard => "anything.wild.example.com",
            Kind::Cname => "alias.example.com",
            Kind::Referral => "host.sub.example.com",
        }
    }

    /// The question type.
    pub fn qtype(self) -> u16 {
        match self {
            Kind::NoData => qtype::AAAA,
            _ => qtype::A,
        }
    }

    /// The query message for this kind with message ID `id`.
    pub fn query(self, id: u16) -> Vec<u8> {
        query(id, self.qname(), self.qtype(), Some(1232))
    }
}

/// Label of the extra large-zone case: exact A queries for hosts spread over the
/// whole zone, so lookups miss the CPU caches the way real traffic does.
pub const SPREAD_LABEL: &str = "exact_spread";

/// Label of the same case over only the first [`SPREAD_SMALL`] queries of the
/// set (still spread over the zone, but few enough to stay in the caches):
/// like for like, `exact_spread` over this is what the zone's size costs.
pub const SPREAD_SMALL_LABEL: &str = "exact_spread_1k";

/// Label of [`SPREAD_LABEL`] answered in batches of 32 the way a UDP worker
/// answers a `recvmmsg` batch (prefetch passes first); time per query.
pub const SPREAD_BATCH_LABEL: &str = "exact_spread_batch";

/// Label of [`SPREAD_SMALL_LABEL`] answered in batches like [`SPREAD_BATCH_LABEL`].
pub const SPREAD_SMALL_BATCH_LABEL: &str = "exact_spread_1k_batch";

/// Distinct hosts cycled through by [`SPREAD_SMALL_LABEL`].
pub const SPREAD_SMALL: usize = 1000;

/// Queries in the spread set (a power of two, cycled through).
pub const SPREAD_QUERIES: usize = 1 << 16;

/// [`SPREAD_QUERIES`] exact A queries for `host{i}.example.com` with `i`
/// drawn deterministically from `0..hosts`; returns each query with its `i`.
pub fn spread_queries(hosts: usize, id: u16) -> Vec<(usize, Vec<u8>)> {
    let mut rng = crate::zones::Xorshift::new();
    (0..SPREAD_QUERIES)
        .map(|_| {
            let i = rng.below(hosts);
            (i, query(id, &format!("host{i}.example.com"), qtype::A, Some(1232)))
        })
        .collect()
}

/// A query message: header with RD clear, one IN question, and an OPT record
/// advertising `edns_payload` when given. `qname` is dotted, without escapes.
pub fn query(id: u16, qname: &str, qtype: u16, edns_payload: Option<u16>) -> Vec<u8> {
    let mut m = Vec::with_capacity(12 + qname.len() + 2 + 4 + 11);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 0]); // QR=0 OPCODE=QUERY RD=0
    m.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    m.extend_from_slice(&[0, 0, 0, 0]); // ANCOUNT, NSCOUNT
    m.extend_from_slice(&u16::from(edns_payload.is_some()).to_be_bytes()); // ARCOUNT
    for label in qname.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes()); // IN
    if let Some(payload) = edns_payload {
        m.push(0); // root owner
        m.extend_from_slice(&41u16.to_be_bytes()); // OPT
        m.extend_from_slice(&payload.to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]); // ext-rcode, version, flags
        m.extend_from_slice(&[0, 0]); // RDLENGTH
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_well_formed() {
        let q = Kind::Exact.query(0x1234);
        let m = hickory_proto::op::Message::from_vec(&q).unwrap();
        assert_eq!(m.metadata.id, 0x1234);
        assert_eq!(m.queries.len(), 1);
        assert_eq!(m.queries[0].name().to_string(), "www.example.com.");
        assert_eq!(m.edns.as_ref().map(|e| e.max_payload()), Some(1232));
    }
}
