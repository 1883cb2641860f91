//! Cross-checks against hickory-proto's TSIG code (`rr::rdata::tsig`): its
//! `message_tbs` builds the RFC 8945 §4.3 digest input independently of ours
//! (message re-encoded by hickory, key and algorithm names canonicalised by its
//! encoder), and its parser reads the records we write.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::tsig::{make_tsig_record, message_tbs, TsigAlgorithm, TsigError as HError, TSIG};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hmac::{Hmac, KeyInit, Mac};

use super::tests::{key, query, response, ring, sign, tsig_at, NOW, SECRET};
use super::*;
use crate::wire::request::{parse, Parsed};

/// HMAC of `data` with the test secret, computed directly with the hmac crate.
fn hmac_of(alg: Algorithm, data: &[u8]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            let mut m = Hmac::<$d>::new_from_slice(SECRET).unwrap();
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match alg {
        Algorithm::HmacSha1 => run!(sha1::Sha1),
        Algorithm::HmacSha224 => run!(sha2::Sha224),
        Algorithm::HmacSha256 => run!(sha2::Sha256),
        Algorithm::HmacSha384 => run!(sha2::Sha384),
        Algorithm::HmacSha512 => run!(sha2::Sha512),
    }
}

fn h_alg(alg: Algorithm) -> TsigAlgorithm {
    match alg {
        Algorithm::HmacSha1 => TsigAlgorithm::HmacSha1,
        Algorithm::HmacSha224 => TsigAlgorithm::HmacSha224,
        Algorithm::HmacSha256 => TsigAlgorithm::HmacSha256,
        Algorithm::HmacSha384 => TsigAlgorithm::HmacSha384,
        Algorithm::HmacSha512 => TsigAlgorithm::HmacSha512,
    }
}

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// Signs `msg` the hickory way: MAC over `prefix ‖ message_tbs(msg, tsig, key name)`.
fn hickory_sign(mut msg: Message, alg: Algorithm, key_name: &str, prefix: &[u8], time: u64) -> Vec<u8> {
    let pre = TSIG::new(h_alg(alg), time, 300, Vec::new(), msg.metadata.id, None, Vec::new());
    let mut tbs = prefix.to_vec();
    tbs.extend(message_tbs(&msg, &pre, &name(key_name)).unwrap());
    let mac = hmac_of(alg, &tbs);
    msg.signature = Some(Box::new(make_tsig_record(name(key_name), pre.set_mac(mac))));
    msg.to_vec().unwrap()
}

/// Checks the TSIG of our `wire` message the hickory way; `prefix` is the
/// length-prefixed request MAC for a response. Returns hickory's TSIG RDATA.
fn hickory_check(wire: &[u8], alg: Algorithm, prefix: &[u8]) -> TSIG {
    let mut msg = Message::from_vec(wire).unwrap();
    let (key_name, tsig) = take_tsig(&mut msg);
    assert_eq!(key_name, name("key.example."), "key name (hickory compares case-insensitively)");
    assert_eq!(tsig.algorithm, h_alg(alg));
    assert_eq!(tsig.oid, msg.metadata.id);
    // hickory's re-encoding of the message must be the bytes we covered.
    let at = tsig_at(wire);
    let mut ours = wire[..at].to_vec();
    ours[11] -= 1;
    assert_eq!(msg.to_vec().unwrap(), ours, "hickory re-encodes the message identically");
    let mut tbs = prefix.to_vec();
    tbs.extend(message_tbs(&msg, &tsig, &key_name).unwrap());
    if !tsig.mac.is_empty() {
        assert_eq!(hmac_of(alg, &tbs), tsig.mac, "{alg}: hickory's digest input gives our MAC");
    }
    tsig
}

/// Removes the TSIG record hickory decoded as the last additional record
/// (without its `dnssec` features hickory leaves it there) and returns it.
fn take_tsig(msg: &mut Message) -> (Name, TSIG) {
    let rec = msg.additionals.pop().expect("hickory sees the TSIG record");
    match rec.data {
        RData::TSIG(t) => (rec.name, t),
        other => panic!("last additional is not TSIG: {other:?}"),
    }
}

fn request_mac(q: &[u8]) -> Vec<u8> {
    take_tsig(&mut Message::from_vec(q).unwrap()).1.mac
}

fn prefixed(mac: &[u8]) -> Vec<u8> {
    let mut p = (mac.len() as u16).to_be_bytes().to_vec();
    p.extend_from_slice(mac);
    p
}

fn h_query() -> Message {
    let mut m = Message::new(0xBEEF, MessageType::Query, OpCode::Query);
    m.add_query(Query::query(name("www.example."), RecordType::SOA));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    m.set_edns(edns);
    m
}

#[test]
fn hickory_signed_requests_verify() {
    for alg in Algorithm::ALL {
        // Mixed-case key name on the wire: the MAC uses it lowercased (S6).
        let wire = hickory_sign(h_query(), alg, "Key.Example.", &[], NOW);
        let v = verify_request(&wire, tsig_at(&wire), &ring(key(alg)), NOW + 5).unwrap_or_else(|f| panic!("{alg}: {f}"));
        assert_eq!(v.original_id, 0xBEEF);
        let mut bad = wire.clone();
        bad[2] ^= 0x01; // RD
        assert_eq!(verify_request(&bad, tsig_at(&bad), &ring(key(alg)), NOW).unwrap_err().error, error::BADSIG);
    }
}

#[test]
fn our_signed_requests_check_with_hickory() {
    for alg in Algorithm::ALL {
        let mut q = query(true);
        ClientSession::sign_request(&key(alg), &mut q, NOW).unwrap();
        let t = hickory_check(&q, alg, &[]);
        assert_eq!((t.time, t.fudge, t.error, t.other.len()), (NOW, 300, None, 0));
    }
}

#[test]
fn our_signed_responses_check_with_hickory() {
    for alg in Algorithm::ALL {
        let mut q = query(false);
        ClientSession::sign_request(&key(alg), &mut q, NOW).unwrap();
        let v = verify_request(&q, tsig_at(&q), &ring(key(alg)), NOW).unwrap();
        let resp = sign(&mut v.signer(NOW + 1), &response(1));
        let t = hickory_check(&resp, alg, &prefixed(&v.request_mac));
        assert_eq!((t.time, t.error), (NOW + 1, None));
    }
}

#[test]
fn hickory_signed_response_verifies_with_client() {
    let alg = Algorithm::HmacSha256;
    let mut q = query(false);
    let mut session = ClientSession::sign_request(&key(alg), &mut q, NOW).unwrap();
    let request_mac = request_mac(&q);
    let mut r = Message::response(0x1234, OpCode::Query);
    r.metadata.authoritative = true;
    r.add_query(Query::query(name("www.example."), RecordType::SOA));
    r.add_answer(Record::from_rdata(name("www.example."), 3600, RData::TXT(TXT::new(vec!["1".into()]))));
    let wire = hickory_sign(r, alg, "key.example.", &prefixed(&request_mac), NOW + 2);
    session.verify_response(&wire, NOW + 3).unwrap();
    session.finish().unwrap();
}

/// hickory reads our error responses: BADKEY unsigned, BADTIME signed with
/// the server's time in Other Data.
#[test]
fn hickory_reads_our_error_responses() {
    let alg = Algorithm::HmacSha256;
    let write = |q: &[u8], f: &Failure| {
        let Parsed::Ok(req) = parse(q) else { panic!() };
        let mut buf = vec![0u8; 1024];
        let n = write_error_response(&req, f, 1232, &mut buf).unwrap();
        buf.truncate(n);
        buf
    };
    let mut q = query(true);
    ClientSession::sign_request(&Key::new("nokey.example.", alg, SECRET).unwrap(), &mut q, NOW).unwrap();
    let f = verify_request(&q, tsig_at(&q), &ring(key(alg)), NOW).unwrap_err();
    let mut m = Message::from_vec(&write(&q, &f)).unwrap();
    assert_eq!(u16::from(m.metadata.response_code), 9);
    assert!(m.edns.is_some(), "OPT kept in the error response");
    let (key_name, t) = take_tsig(&mut m);
    assert_eq!((key_name, t.error, t.mac.len()), (name("nokey.example."), Some(HError::BadKey), 0));

    let mut q = query(true);
    ClientSession::sign_request(&key(alg), &mut q, NOW).unwrap();
    let request_mac = request_mac(&q);
    let f = verify_request(&q, tsig_at(&q), &ring(key(alg)), NOW + 3600).unwrap_err();
    let t = hickory_check(&write(&q, &f), alg, &prefixed(&request_mac));
    assert_eq!(t.error, Some(HError::BadTime));
    assert_eq!((t.time, t.other), (NOW, (NOW + 3600).to_be_bytes()[2..].to_vec()));
}
