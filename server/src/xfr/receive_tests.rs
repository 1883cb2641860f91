//! Tests of the receiving side's classification, storage and limits.

use super::*;
use crate::wire::name::from_dotted;
use crate::zone::limits::Limit;

fn apex() -> Vec<u8> {
    from_dotted("example.com").unwrap()
}

/// A record as `read_rr_into` leaves it: head, then owner + RDATA.
fn rec(owner: &str, t: u16, class: u16, rdata: &[u8]) -> (RrHead, Vec<u8>) {
    let o = from_dotted(owner).unwrap();
    let head = RrHead { rtype: t, class, ttl: 300, owner_len: o.len() };
    (head, [o, rdata.to_vec()].concat())
}

fn soa(serial: u32) -> (RrHead, Vec<u8>) {
    let mut rdata = b"\x02ns\x07example\x03com\x00\x02hm\x07example\x03com\x00".to_vec();
    for v in [serial, 7200, 3600, 1_209_600, 300] {
        rdata.extend_from_slice(&v.to_be_bytes());
    }
    rec("example.com", rtype::SOA, class::IN, &rdata)
}

fn a(owner: &str, last: u8) -> (RrHead, Vec<u8>) {
    rec(owner, rtype::A, class::IN, &[192, 0, 2, last])
}

/// Feeds `rrs` as one message; returns the receiver.
fn feed(ours: Option<u32>, limits: ZoneLimits, rrs: &[(RrHead, Vec<u8>)]) -> Result<Receiver, ReceiveError> {
    let mut rx = Receiver::new(&apex(), ours, limits);
    for (h, b) in rrs {
        rx.push(h, b)?;
    }
    rx.end_of_message();
    Ok(rx)
}

#[test]
fn axfr_style_ends_at_the_closing_soa_and_ignores_strangers() {
    let rrs = [
        soa(5),
        rec("example.com", rtype::NS, class::IN, b"\x02ns\x07example\x03com\x00"),
        a("www.example.com", 1),
        a("www.example.org", 2),                            // out of zone
        rec("www.example.com", rtype::A, 3, &[1, 2, 3, 4]), // CH class
        soa(5),
        a("late.example.com", 3), // after the end
    ];
    let rx = feed(None, ZoneLimits::default(), &rrs).unwrap();
    assert!(rx.is_done());
    let Transfer::Full(r) = rx.finish().unwrap() else { panic!("not full") };
    assert_eq!(r.len(), 3);
    let www = r.get(2);
    assert_eq!((www.prefix, www.rtype, www.ttl, www.rdata), (&b"\x03www"[..], rtype::A, 300, &[192, 0, 2, 1][..]));
    assert_eq!(&*www.owner(r.apex()), &from_dotted("www.example.com").unwrap()[..]);
    assert_eq!(r.serial(0), 5);
    let src = r.into_source("t".into());
    assert_eq!(src.records.len(), 3);
    assert_eq!(&*src.records[2].owner, &from_dotted("www.example.com").unwrap()[..]);
}

#[test]
fn broken_sequences_are_refused() {
    let e = feed(None, ZoneLimits::default(), &[a("www.example.com", 1)]).unwrap_err();
    assert_eq!(e, ReceiveError::Protocol("transfer does not start with the zone's SOA"));
    let e = feed(None, ZoneLimits::default(), &[soa(5), a("x.example.com", 1), soa(6)]).unwrap_err();
    assert_eq!(e, ReceiveError::Protocol("SOA in the middle of an AXFR-style transfer"));
    let rx = feed(None, ZoneLimits::default(), &[soa(5), a("x.example.com", 1)]).unwrap();
    assert_eq!(rx.finish().unwrap_err(), ReceiveError::Protocol("missing closing SOA"));
    // An incremental answer whose last difference has no new SOA.
    let mut rx = feed(Some(1), ZoneLimits::default(), &[soa(3), soa(1), a("x.example.com", 1)]).unwrap();
    rx.done = true;
    assert_eq!(rx.finish().unwrap_err(), ReceiveError::Protocol("incomplete difference sequence"));
}

#[test]
fn one_soa_not_newer_is_up_to_date_one_newer_waits_for_more() {
    let rx = feed(Some(7), ZoneLimits::default(), &[soa(7)]).unwrap();
    assert!(rx.is_done());
    assert!(matches!(rx.finish().unwrap(), Transfer::UpToDate { soa } if crate::remote::soa_serial(&soa) == 7));
    let rx = feed(Some(7), ZoneLimits::default(), &[soa(8)]).unwrap();
    assert!(!rx.is_done(), "a newer SOA alone in a message: the rest follows");
    // IXFR answered AXFR-style.
    let rx = feed(Some(7), ZoneLimits::default(), &[soa(8), a("x.example.com", 1), soa(8)]).unwrap();
    assert!(matches!(rx.finish().unwrap(), Transfer::Full(r) if r.len() == 2));
}

#[test]
fn incremental_differences_are_split_at_their_soas() {
    // 1 → 2 → 3: the new SOA of the last difference has the final serial
    // but is not the end.
    let rrs = [
        soa(3),
        soa(1),
        a("old.example.com", 1),
        soa(2),
        a("mid.example.com", 2),
        a("mid2.example.com", 2),
        soa(2),
        soa(3),
        a("new.example.com", 3),
        soa(3),
    ];
    let rx = feed(Some(1), ZoneLimits::default(), &rrs).unwrap();
    assert!(rx.is_done());
    let Transfer::Incremental(r, spans) = rx.finish().unwrap() else { panic!("not incremental") };
    assert_eq!(spans, [Span { from: 1, to: 3, end: 6 }, Span { from: 6, to: 7, end: 9 }]);
    assert_eq!((r.serial(spans[0].from), r.serial(spans[0].to), r.serial(spans[1].from), r.serial(spans[1].to)), (1, 2, 2, 3));
    assert_eq!(r.iter(spans[0].removed()).map(|x| x.prefix).collect::<Vec<_>>(), [&b"\x03old"[..]]);
    assert_eq!(r.iter(spans[0].added()).count(), 2);
    assert_eq!(r.iter(spans[1].removed()).count(), 0);
    assert_eq!(r.iter(spans[1].added()).map(|x| x.rdata[3]).collect::<Vec<_>>(), [3]);
}

/// 60,000 differences in one answer, read in one pass: the old reader
/// counted every SOA received so far at each SOA, 10¹⁰ steps here.
#[test]
fn long_incremental_history_is_read_in_one_pass() {
    let n = 60_000u32;
    let mut rx = Receiver::new(&apex(), Some(1), ZoneLimits::default());
    let first = soa(n + 1);
    rx.push(&first.0, &first.1).unwrap();
    for s in 1..=n {
        for r in [soa(s), a("x.example.com", (s % 250) as u8), soa(s + 1), a("x.example.com", ((s + 1) % 250) as u8)] {
            rx.push(&r.0, &r.1).unwrap();
        }
    }
    rx.push(&first.0, &first.1).unwrap();
    let Transfer::Incremental(_, spans) = rx.finish().unwrap() else { panic!("not incremental") };
    assert_eq!(spans.len(), n as usize);
}

#[test]
fn limits_abort_at_the_record_that_crosses_them() {
    let body: Vec<_> = (0..10).map(|i| a(&format!("h{i}.example.com"), i)).collect();
    let mut rrs = vec![soa(1)];
    rrs.extend(body.iter().cloned());
    let e = feed(None, ZoneLimits { max_records: 5, max_zone_bytes: 1 << 20 }, &rrs).unwrap_err();
    let ReceiveError::Limit(l) = e else { panic!("{e:?}") };
    assert_eq!((l.which, l.limit), (Limit::Records, 5));
    // Uncompressed: the SOA is 75 octets, each hN A record 30.
    let (soa_size, a_size) = (soa(1).1.len() as u64 + 10, body[0].1.len() as u64 + 10);
    assert_eq!((soa_size, a_size), (75, 30));
    let e = feed(None, ZoneLimits { max_records: 100, max_zone_bytes: soa_size + 3 * a_size }, &rrs).unwrap_err();
    assert!(matches!(e, ReceiveError::Limit(l) if l.which == Limit::Bytes), "{e:?}");
    rrs.push(soa(1));
    assert!(feed(None, ZoneLimits { max_records: 11, max_zone_bytes: soa_size + 10 * a_size }, &rrs).unwrap().is_done(), "exactly at the limits");
}

/// Received records take at most twice their uncompressed wire size in
/// memory, buffer growth and offsets included.
#[test]
fn stored_records_stay_within_twice_their_wire_size() {
    let mut rx = Receiver::new(&apex(), None, ZoneLimits::default());
    let mut wire = 0usize;
    for i in 0..200_000u32 {
        let r = if i == 0 { soa(1) } else { a(&format!("host{i}.example.com"), (i % 250) as u8) };
        wire += r.1.len() + 10;
        rx.push(&r.0, &r.1).unwrap();
        if i % 10_007 == 0 || i == 199_999 {
            assert!(rx.heap_bytes() <= 2 * wire + 8192, "{} octets held for {wire} octets of records", rx.heap_bytes());
        }
    }
    // Owners are kept below the apex: far less than the wire size.
    assert!(rx.heap_bytes() < wire, "{} octets held for {wire}", rx.heap_bytes());
}
