//! In-process tests of the request layer over small zones (the black-box suite
//! in `tests/` covers the same ground through the real binary).

use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::Message;

use super::{Handler, QueryConfig, RequestCtx, Transport};
use crate::wire::name::from_dotted;
use crate::zone::{build::build_zone, file::read_zone_str, set::ZoneSet};

/// The zone every query test (and `benches/benches/hot_loop.rs`) answers from.
const ZONE: &str = include_str!("tests.zone");

fn handler() -> Handler {
    handler_for(ZONE)
}

pub(super) fn handler_for(text: &str) -> Handler {
    let origin = from_dotted("example.com").unwrap();
    let src = read_zone_str(text, "test.zone", &origin, None).unwrap();
    let zone = build_zone(&origin, src).unwrap();
    let set = ZoneSet::new();
    set.insert(Arc::new(zone));
    Handler::new(Arc::new(set), QueryConfig::default())
}

/// A query for `name`/`qtype`; `edns` adds an OPT with that payload size.
pub(super) fn query(name: &str, qtype: u16, edns: Option<u16>) -> Vec<u8> {
    let mut m = vec![0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns.is_some() as u8];
    m.extend_from_slice(&from_dotted(name).unwrap());
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    if let Some(size) = edns {
        m.extend_from_slice(&[0, 0, 41]);
        m.extend_from_slice(&size.to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    }
    m
}

pub(super) fn ask(h: &Handler, q: &[u8], transport: Transport) -> (Vec<u8>, Message) {
    let ctx = RequestCtx { peer: SocketAddr::from(([127, 0, 0, 1], 5000)), transport };
    let mut out = vec![0u8; 65535];
    let n = h.handle(q, &ctx, &mut out).expect("an answer");
    out.truncate(n);
    let msg = Message::from_vec(&out).expect("a parsable response");
    (out, msg)
}

pub(super) fn texts(records: &[hickory_proto::rr::Record]) -> Vec<String> {
    records.iter().map(|r| r.to_string()).collect()
}

#[test]
fn exact_match_is_authoritative() {
    let h = handler();
    let (raw, m) = ask(&h, &query("www.example.com", 1, None), Transport::Udp);
    assert_eq!(&raw[0..2], &[0xAB, 0xCD]);
    assert!(m.metadata.authoritative);
    assert_eq!(u16::from(m.metadata.response_code), 0);
    assert_eq!(texts(&m.answers), ["www.example.com. 3600 IN A 192.0.2.10"]);
    assert!(m.edns.is_none(), "no OPT without one in the query");
}

#[test]
fn negative_answers_carry_soa_with_minimum_ttl() {
    let h = handler();
    let (_, m) = ask(&h, &query("nope.example.com", 1, None), Transport::Udp);
    assert_eq!(u16::from(m.metadata.response_code), 3);
    assert!(m.metadata.authoritative);
    assert_eq!(m.authorities.len(), 1);
    assert_eq!(m.authorities[0].ttl, 300);
    // NODATA and empty non-terminal
    for name in ["www.example.com", "b.ent.example.com", "ent.example.com"] {
        let (_, m) = ask(&h, &query(name, 16, None), Transport::Udp);
        assert_eq!(u16::from(m.metadata.response_code), 0, "{name}");
        assert!(m.answers.is_empty(), "{name}");
        assert_eq!(m.authorities.len(), 1, "{name}");
    }
}

#[test]
fn cname_chains_loops_and_nx_targets() {
    let h = handler();
    let (_, m) = ask(&h, &query("a.example.com", 1, None), Transport::Udp);
    assert_eq!(m.answers.len(), 3);
    let (_, m) = ask(&h, &query("nx.example.com", 1, None), Transport::Udp);
    assert_eq!(u16::from(m.metadata.response_code), 3);
    assert_eq!(m.answers.len(), 1);
    let (_, m) = ask(&h, &query("loop1.example.com", 1, None), Transport::Udp);
    assert_eq!(m.answers.len(), 2);
}

#[test]
fn wildcards_referrals_ds_and_dname() {
    let h = handler();
    let (_, m) = ask(&h, &query("q.wild.example.com", 1, None), Transport::Udp);
    assert_eq!(texts(&m.answers), ["q.wild.example.com. 3600 IN A 192.0.2.5"]);
    let (_, m) = ask(&h, &query("host.sub.example.com", 1, None), Transport::Udp);
    assert!(!m.metadata.authoritative);
    assert!(m.answers.is_empty());
    assert_eq!(texts(&m.authorities), ["sub.example.com. 3600 IN NS ns.sub.example.com."]);
    assert_eq!(texts(&m.additionals), ["ns.sub.example.com. 3600 IN A 192.0.2.6"]);
    let (_, m) = ask(&h, &query("sub.example.com", 43, None), Transport::Udp);
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
    let (_, m) = ask(&h, &query("x.old.example.com", 1, None), Transport::Udp);
    // (hickory prints DNAME RDATA opaquely; the owner and type are what matter here)
    assert!(texts(&m.answers)[0].starts_with("old.example.com. 3600 IN DNAME "));
    assert_eq!(texts(&m.answers)[1..], ["x.old.example.com. 3600 IN CNAME x.new.example.com.", "x.new.example.com. 3600 IN A 192.0.2.7"]);
}

#[test]
fn truncation_keeps_opt_and_tcp_gets_everything() {
    let h = handler();
    let (raw, m) = ask(&h, &query("big.example.com", 16, Some(512)), Transport::Udp);
    assert!(m.metadata.truncation);
    assert!(m.edns.is_some());
    assert!(raw.len() <= 512);
    let (_, m) = ask(&h, &query("big.example.com", 16, Some(512)), Transport::Tcp);
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 5);
}

#[test]
fn refused_formerr_notimp_and_dropped() {
    let h = handler();
    let (_, m) = ask(&h, &query("example.org", 1, None), Transport::Udp);
    assert_eq!(u16::from(m.metadata.response_code), 5);
    let mut q = query("www.example.com", 1, None);
    q[2] |= 0x80; // QR=1: never answered
    let ctx = RequestCtx { peer: SocketAddr::from(([127, 0, 0, 1], 5000)), transport: Transport::Udp };
    assert!(h.handle(&q, &ctx, &mut [0u8; 65535]).is_none());
    let mut q = query("www.example.com", 1, None);
    q[5] = 2; // QDCOUNT=2 but one question
    let mut out = [0u8; 65535];
    let n = h.handle(&q, &ctx, &mut out).unwrap();
    assert_eq!(out[3] & 0xF, 1);
    assert!(n >= 12);
    let mut q = query("www.example.com", 1, None);
    q[2] = 15 << 3; // opcode 15
    let n = h.handle(&q, &ctx, &mut out).unwrap();
    assert_eq!(out[3] & 0xF, 4);
    assert_eq!((out[2] >> 3) & 0xF, 15);
    assert_eq!(&out[10..12], &[0, 0], "no OPT");
    assert!(n > 12);
}
