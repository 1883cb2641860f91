//! Tests of IXFR responses: each form, parsed back with hickory-proto.

use std::sync::Arc;

use hickory_proto::op::Message;
use hickory_proto::rr::RData;

use super::*;
use crate::wire::name::from_dotted;
use crate::wire::request::{parse, Parsed};
use crate::xfr::diff::diff_zones;
use crate::xfr::diff::fixtures::{build, origin, zone};
use crate::xfr::journal::{Journal, JournalLimits, Pushed};
use crate::zone::{Record, RecordSource, SourcePos};

const ID: u16 = 0x4242;

fn question(o: &[u8]) -> (&[u8], u16, u16) {
    (o, rtype::IXFR, 1)
}

/// Drains the stream, checking what holds for every message.
fn drain(mut s: IxfrStream) -> Vec<Message> {
    let mut out = vec![0u8; 65535];
    let mut msgs = Vec::new();
    while let Some(n) = s.next_message(&mut out) {
        assert!(n <= 65535);
        let m = Message::from_vec(&out[..n]).expect("parsable message");
        assert_eq!(m.metadata.id, ID);
        assert!(m.metadata.authoritative && !m.metadata.truncation);
        assert_eq!(m.queries.len(), usize::from(msgs.is_empty()), "question in the first message only");
        msgs.push(m);
    }
    msgs
}

/// The answer records in order; SOAs as `SOA <serial>`.
fn sequence(msgs: &[Message]) -> Vec<String> {
    msgs.iter()
        .flat_map(|m| &m.answers)
        .map(|r| match &r.data {
            RData::SOA(s) => format!("SOA {}", s.serial),
            _ => r.to_string(),
        })
        .collect()
}

/// Four versions; the unchanging `s*` records make the zone bigger than the
/// condensed diff, as real zones are.
fn versions() -> [Zone; 4] {
    let fixed: String = (0..8).map(|i| format!("s{i} IN A 198.51.100.{i}\n")).collect();
    [
        zone(1, &format!("{fixed}a IN A 192.0.2.1\n")),
        zone(2, &format!("{fixed}a IN A 192.0.2.1\nb IN A 192.0.2.2\n")),
        zone(3, &format!("{fixed}b IN A 192.0.2.2\nc IN A 192.0.2.3\n")),
        zone(4, &format!("{fixed}b IN A 192.0.2.2\nc 60 IN A 192.0.2.3\nd IN A 192.0.2.4\n")),
    ]
}

fn journal(v: &[Zone]) -> Journal {
    let mut j = Journal::new(&origin(), JournalLimits::default());
    for w in v.windows(2) {
        assert_eq!(j.push(diff_zones(&w[0], &w[1])), Pushed::Appended);
    }
    j
}

#[test]
fn current_or_newer_client_gets_one_soa() {
    let v = versions();
    let j = journal(&v);
    let [.., v4] = v;
    let z = Arc::new(v4);
    for client in [4, 5, u32::MAX / 2] {
        let s = IxfrStream::new(z.clone(), &j, client, ID, question(&origin()));
        assert_eq!(s.kind(), IxfrKind::UpToDate);
        let msgs = drain(s);
        assert_eq!(msgs.len(), 1);
        assert_eq!(sequence(&msgs), ["SOA 4"], "client {client}");
    }
}

#[test]
fn three_updates_are_sent_incrementally_and_condensed() {
    let v = versions();
    let j = journal(&v);
    let z = Arc::new(versions().into_iter().last().unwrap());
    let s = IxfrStream::new(z.clone(), &j, 1, ID, question(&origin()));
    assert_eq!(s.kind(), IxfrKind::Incremental);
    let msgs = drain(s);
    assert_eq!(u16::from(msgs[0].queries[0].query_type()), rtype::IXFR);
    assert_eq!(
        sequence(&msgs),
        [
            "SOA 4",
            "SOA 1",
            "a.example.com. 3600 IN A 192.0.2.1",
            "SOA 4",
            "b.example.com. 3600 IN A 192.0.2.2",
            "c.example.com. 60 IN A 192.0.2.3",
            "d.example.com. 3600 IN A 192.0.2.4",
            "SOA 4",
        ]
    );
    let msgs = drain(IxfrStream::new(z, &j, 3, ID, question(&origin())));
    assert_eq!(
        sequence(&msgs),
        [
            "SOA 4",
            "SOA 3",
            "c.example.com. 3600 IN A 192.0.2.3",
            "SOA 4",
            "c.example.com. 60 IN A 192.0.2.3",
            "d.example.com. 3600 IN A 192.0.2.4",
            "SOA 4",
        ]
    );
}

#[test]
fn missing_history_sends_the_whole_zone_axfr_style() {
    let v = versions();
    let z = Arc::new(versions().into_iter().last().unwrap());
    let full_len = z.record_count() + 1;
    // an unknown serial; an empty journal; a journal that stops short of v4
    let cases = [(journal(&v), 0), (Journal::new(&origin(), JournalLimits::default()), 1), (journal(&v[..3]), 1)];
    for (j, client) in cases {
        let s = IxfrStream::new(z.clone(), &j, client, ID, question(&origin()));
        assert_eq!(s.kind(), IxfrKind::Full);
        assert_eq!(s.messages_left(), None, "the whole zone is packed on demand, not rendered up front");
        let seq = sequence(&drain(s));
        assert_eq!(seq.len(), full_len);
        assert_eq!((seq[0].as_str(), seq[full_len - 1].as_str()), ("SOA 4", "SOA 4"));
        assert_eq!(seq.iter().filter(|r| r.starts_with("SOA")).count(), 2, "{seq:?}");
        assert!(seq.contains(&"c.example.com. 60 IN A 192.0.2.3".to_string()));
    }
}

/// `example.com` with `n` A records `h<i>`; the first `changed` of them
/// point elsewhere.
fn big_zone(serial: u32, n: u32, changed: u32) -> Zone {
    let rec = |owner: &str, t: u16, rdata: Vec<u8>| Record {
        owner: from_dotted(owner).unwrap().into(),
        rtype: t,
        class: 1,
        ttl: 3600,
        rdata: rdata.into(),
        src: SourcePos::default(),
    };
    let mut soa = [from_dotted("ns1.example.com").unwrap(), from_dotted("hostmaster.example.com").unwrap()].concat();
    for v in [serial, 7200, 3600, 1_209_600, 300] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let mut records = vec![
        rec("example.com", rtype::SOA, soa),
        rec("example.com", rtype::NS, from_dotted("ns1.example.com").unwrap()),
        rec("ns1.example.com", rtype::A, vec![192, 0, 2, 1]),
    ];
    for i in 0..n {
        let net = if i < changed { 11 } else { 10 };
        records.push(rec(&format!("h{i}.example.com"), rtype::A, vec![net, (i >> 16) as u8, (i >> 8) as u8, i as u8]));
    }
    build(RecordSource { files: vec!["big".into()], records })
}

#[test]
fn a_100k_record_diff_spans_many_messages() {
    let old = big_zone(10, 150_000, 0);
    let new = Arc::new(big_zone(11, 150_000, 50_000));
    let d = diff_zones(&old, &new);
    assert_eq!(d.change_count(), 100_000);
    let mut j = Journal::new(&origin(), JournalLimits::default());
    j.record(d, &new);
    let s = IxfrStream::new(new, &j, 10, ID, question(&origin()));
    assert_eq!(s.kind(), IxfrKind::Incremental);
    let n = s.messages_left().expect("an incremental answer is rendered up front");
    assert!(n > 30, "{n} messages");
    let msgs = drain(s);
    let seq = sequence(&msgs);
    assert_eq!(seq.len(), 100_004);
    assert_eq!(seq.iter().filter(|r| r.starts_with("SOA")).cloned().collect::<Vec<_>>(), ["SOA 11", "SOA 10", "SOA 11", "SOA 11"]);
    assert_eq!(seq[50_002], "SOA 11");
    assert!(seq[1..50_002].iter().skip(1).all(|r| r.contains(" IN A 10.")));
    assert!(seq[50_003..100_003].iter().all(|r| r.contains(" IN A 11.")));
}

#[test]
fn udp_reply_is_the_current_soa() {
    let z = zone(9, "");
    let mut out = [0u8; 512];
    let n = ixfr_udp_reply(&z, ID, flags::RD, question(b"\x07EXAMPLE\x03com\x00"), &mut out, 512);
    let m = Message::from_vec(&out[..n]).unwrap();
    assert!(m.metadata.authoritative && m.metadata.recursion_desired && !m.metadata.truncation);
    assert_eq!(m.queries[0].name().to_string(), "EXAMPLE.com.");
    assert_eq!(sequence(&[m]), ["SOA 9"]);
}

#[test]
fn reads_the_client_serial_from_the_authority_section() {
    // question example.com IXFR IN; authority: SOA with compressed names
    let mut m = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
    m.extend_from_slice(b"\x07example\x03com\x00\x00\xfb\x00\x01");
    m.extend_from_slice(&[0xC0, 12, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 24, 0xC0, 12, 0xC0, 12]);
    for v in [2024010101u32, 1, 2, 3, 4] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    let Parsed::Ok(req) = parse(&m) else { panic!("request did not parse") };
    assert_eq!(client_serial(&req), Some(2024010101));
    // no authority section: no serial
    let mut bare = m[..29].to_vec();
    bare[9] = 0;
    let Parsed::Ok(req) = parse(&bare) else { panic!("request did not parse") };
    assert_eq!(client_serial(&req), None);
}
