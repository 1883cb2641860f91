//! Checks that a response is the right answer for its [`Kind`], so no engine is
//! timed while failing fast.
//!
//! Responses are decoded with hickory-proto (off the measured path). A check
//! states the shape RFC 1034 §4.3.2 requires for the kind, not one server's
//! exact bytes: section order, compression and the additional section beyond
//! glue may differ between servers.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

use crate::cases::Kind;

/// A one-line description of a response: rcode, AA, and each section as
/// `owner TYPE` entries. For reports and failed checks.
pub fn describe(resp: &[u8]) -> String {
    match Message::from_vec(resp) {
        Err(e) => format!("undecodable ({} octets): {e}", resp.len()),
        Ok(m) => {
            let sec = |rs: &[hickory_proto::rr::Record]| rs.iter().map(|r| format!("{} {}", r.name, r.record_type())).collect::<Vec<_>>().join(", ");
            format!(
                "{}{} an=[{}] ns=[{}] ar=[{}] edns={} {}B",
                m.metadata.response_code,
                if m.metadata.authoritative { " aa" } else { "" },
                sec(&m.answers),
                sec(&m.authorities),
                sec(&m.additionals),
                m.edns.is_some(),
                resp.len()
            )
        }
    }
}

/// Checks `resp` answers an exact A query for generated `host{i}` with its one
/// address ([`crate::zones::host_addr`]).
pub fn check_host(i: usize, id: u16, resp: &[u8]) -> Result<String, String> {
    let line = describe(resp);
    let m = Message::from_vec(resp).map_err(|e| format!("undecodable: {e}"))?;
    let want = std::net::Ipv4Addr::from(crate::zones::host_addr(i));
    let ok = m.metadata.id == id
        && m.metadata.message_type == MessageType::Response
        && m.metadata.response_code == ResponseCode::NoError
        && m.metadata.authoritative
        && m.answers.len() == 1
        && matches!(&m.answers[0].data, RData::A(a) if a.0 == want);
    if ok {
        Ok(line)
    } else {
        Err(format!("wrong answer for host{i}: {line}"))
    }
}

/// Checks `resp` answers the query of `kind` with message ID `id` correctly.
/// On success returns [`describe`]'s line; on failure, what is wrong and the line.
pub fn check(kind: Kind, id: u16, resp: &[u8]) -> Result<String, String> {
    let line = describe(resp);
    let m = Message::from_vec(resp).map_err(|e| format!("undecodable: {e}"))?;
    let fail = |why: &str| Err(format!("{why}: {line}"));
    if m.metadata.id != id || m.metadata.message_type != MessageType::Response {
        return fail("not a response to the query");
    }
    let qname = format!("{}.", kind.qname());
    let has = |rs: &[hickory_proto::rr::Record], owner: &str, t: RecordType| {
        rs.iter().any(|r| r.record_type() == t && r.name.to_string().eq_ignore_ascii_case(owner))
    };
    let rcode = m.metadata.response_code;
    let aa = m.metadata.authoritative;
    let an = &m.answers;
    let ns = &m.authorities;
    let soa_only = ns.iter().any(|r| r.record_type() == RecordType::SOA);
    let ok = match kind {
        Kind::Exact => {
            rcode == ResponseCode::NoError
                && aa
                && an.len() == 1
                && matches!(&an[0].data, RData::A(a) if a.0 == std::net::Ipv4Addr::new(192, 0, 2, 10))
        }
        Kind::NxDomain => rcode == ResponseCode::NXDomain && aa && an.is_empty() && soa_only,
        Kind::NoData => rcode == ResponseCode::NoError && aa && an.is_empty() && soa_only,
        Kind::Wildcard => rcode == ResponseCode::NoError && aa && an.len() == 1 && has(an, &qname, RecordType::A),
        Kind::Cname => rcode == ResponseCode::NoError && aa && has(an, &qname, RecordType::CNAME) && has(an, "www.example.com.", RecordType::A),
        Kind::Referral => {
            rcode == ResponseCode::NoError
                && !aa
                && an.is_empty()
                && ns.iter().filter(|r| r.record_type() == RecordType::NS).count() == 2
                && has(&m.additionals, "ns1.sub.example.com.", RecordType::A)
                && has(&m.additionals, "ns2.sub.example.com.", RecordType::A)
        }
    };
    if ok {
        Ok(line)
    } else {
        fail(&format!("wrong answer for {}", kind.label()))
    }
}
