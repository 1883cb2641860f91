//! Tests of AXFR packing: the on-demand stream against the iterator path.

use super::*;
use crate::wire::rr::read_rr;
use crate::xfr::diff::fixtures::zone;

/// Every record of the messages, in order, and the message count.
fn records_of(messages: &[Vec<u8>]) -> Vec<(Vec<u8>, u16, Vec<u8>)> {
    let mut out = Vec::new();
    for m in messages {
        let an = u16::from_be_bytes([m[6], m[7]]) as usize;
        let qd = u16::from_be_bytes([m[4], m[5]]) as usize;
        let mut p = 12;
        for _ in 0..qd {
            p = crate::wire::name::skip_name(m, p).unwrap() + 4;
        }
        for _ in 0..an {
            let (rr, next) = read_rr(m, p).unwrap();
            out.push((rr.owner.to_ascii_lowercase(), rr.rtype, rr.rdata));
            p = next;
        }
        assert_eq!(p, m.len());
    }
    out
}

#[test]
fn stream_matches_the_iterator_path_with_a_split_rrset() {
    // 3000 TXT records at one name: an RRset far bigger than a message.
    let mut body: String = (0..3000).map(|i| format!("big IN TXT \"record number {i:05}\"\n")).collect();
    body.push_str(&(0..500).map(|i| format!("h{i} IN A 192.0.2.{}\n", i % 250)).collect::<String>());
    body.push_str("mail IN MX 10 h1\nsub IN NS ns.sub\nns.sub IN A 192.0.2.53\n");
    let z = Arc::new(zone(7, &body));
    let q = (b"\x07EXAMPLE\x03com\x00".as_slice(), rtype::AXFR, 1);
    let mut stream = AxfrStream::new(z.clone(), 42, q);
    let mut streamed = Vec::new();
    let mut buf = vec![0u8; 65535];
    while let Some(n) = stream.next_message(&mut buf) {
        assert!(n <= 65535);
        assert_eq!(&buf[..2], &42u16.to_be_bytes());
        streamed.push(buf[..n].to_vec());
    }
    let rendered: Vec<Vec<u8>> = {
        let mut v = Vec::new();
        render_each(42, q, transfer_units(&z), |m| {
            v.push(m);
            true
        });
        v
    };
    assert_eq!(streamed, rendered);
    assert!(streamed.len() > 3, "{} messages", streamed.len());
    let recs = records_of(&streamed);
    // SOA, the body, SOA.
    assert_eq!(recs.len(), z.record_count() + 1);
    assert_eq!((recs[0].1, recs[recs.len() - 1].1), (rtype::SOA, rtype::SOA));
    assert_eq!(recs.iter().filter(|r| r.1 == rtype::TXT).count(), 3000);
    // The question only in the first message.
    assert_eq!(u16::from_be_bytes([streamed[0][4], streamed[0][5]]), 1);
    assert!(streamed[1..].iter().all(|m| m[4] == 0 && m[5] == 0));
}
