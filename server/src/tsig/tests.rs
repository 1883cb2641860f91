//! In-module tests: keys, request verification and its failures, response
//! chains with unsigned intermediate messages.

use base64::Engine as _;

use super::record::TsigRr;
use super::*;
use crate::wire::request::{parse, Parsed};
use crate::wire::{flags, rcode};

pub(super) const NOW: u64 = 1_700_000_000;
pub(super) const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A query for `www.example.` SOA with id 0x1234, optionally with an OPT.
pub(super) fn query(with_opt: bool) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, with_opt as u8];
    m.extend_from_slice(b"\x03www\x07example\x00\x00\x06\x00\x01");
    if with_opt {
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
    }
    m
}

/// A response message number `n` of a stream (id 0x1234, one TXT answer).
pub(super) fn response(n: u8) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
    m.extend_from_slice(b"\x03www\x07example\x00\x00\x06\x00\x01");
    m.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0x0E, 0x10, 0, 2, 1, b'0' + n]);
    m
}

pub(super) fn key(alg: Algorithm) -> Key {
    Key::new("key.example.", alg, SECRET).unwrap()
}

pub(super) fn ring(k: Key) -> KeyRing {
    let mut r = KeyRing::new();
    r.insert(k);
    r
}

pub(super) fn tsig_at(msg: &[u8]) -> usize {
    match parse(msg) {
        Parsed::Ok(r) => r.tsig_at.expect("signed"),
        other => panic!("unparsable: {other:?}"),
    }
}

/// Signs `response` with `signer` in a roomy buffer.
pub(super) fn sign(signer: &mut ResponseSigner, msg: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    buf[..msg.len()].copy_from_slice(msg);
    let n = signer.sign(&mut buf, msg.len()).unwrap();
    buf.truncate(n);
    buf
}

fn signed_query(k: &Key, now: u64) -> (Vec<u8>, ClientSession) {
    let mut q = query(true);
    let session = ClientSession::sign_request(k, &mut q, now).unwrap();
    (q, session)
}

#[test]
fn algorithms_parse_and_md5_is_refused() {
    assert_eq!("hmac-sha256".parse::<Algorithm>(), Ok(Algorithm::HmacSha256));
    assert_eq!("HMAC-SHA1.".parse::<Algorithm>(), Ok(Algorithm::HmacSha1));
    assert_eq!("hmac-sha512".parse::<Algorithm>(), Ok(Algorithm::HmacSha512));
    assert_eq!("hmac-md5".parse::<Algorithm>(), Err(TsigError::Md5Refused));
    assert_eq!("HMAC-MD5.SIG-ALG.REG.INT.".parse::<Algorithm>(), Err(TsigError::Md5Refused));
    assert!(matches!("gss-tsig".parse::<Algorithm>(), Err(TsigError::UnknownAlgorithm(_))));
    assert_eq!(Algorithm::from_wire(b"\x0bHMAC-SHA384\x00"), Some(Algorithm::HmacSha384));
    assert_eq!(Algorithm::HmacSha1.min_mac_len(), 10);
    assert_eq!(Algorithm::HmacSha256.min_mac_len(), 16);
}

#[test]
fn key_specs_and_redacted_debug() {
    let k = Key::from_spec("Key.Example.=hmac-sha1:c2VjcmV0").unwrap();
    assert_eq!(&*k.name, b"\x03key\x07example\x00");
    assert_eq!(k.algorithm, Algorithm::HmacSha1);
    let k = Key::from_spec("xfr=c2VjcmV0c2VjcmV0").unwrap();
    assert_eq!(k.algorithm, Algorithm::HmacSha256);
    let dbg = format!("{k:?}");
    assert!(dbg.contains("xfr.") && dbg.contains("redacted"), "{dbg}");
    assert!(!dbg.contains("secretsecret") && !dbg.contains("115"), "secret leaked: {dbg}");
    assert!(matches!(Key::from_spec("k=hmac-md5:c2VjcmV0"), Err(TsigError::Md5Refused)));
    assert!(matches!(Key::from_spec("no-equals-sign"), Err(TsigError::BadSpec)));
    let e = Key::from_spec("k=hmac-sha256:not*base64").unwrap_err();
    assert!(matches!(e, TsigError::BadSecret { .. }) && !e.to_string().contains("not*base64"), "{e}");
    assert!(matches!(Key::from_spec("k="), Err(TsigError::BadSecret { .. })));
}

#[test]
fn key_ring_lookup_ignores_case() {
    let mut r = KeyRing::from_specs(["key.example=hmac-sha256:c2VjcmV0"]).unwrap();
    assert!(r.get("KEY.Example.").is_some());
    assert!(r.get_wire(b"\x03KEY\x07eXample\x00").is_some());
    assert!(r.get("other.example").is_none());
    let r2 = r.clone();
    assert!(r.remove("Key.EXAMPLE").is_some());
    assert!(r.is_empty() && r2.len() == 1);
}

#[test]
fn round_trip_every_algorithm() {
    for alg in Algorithm::ALL {
        let k = key(alg);
        let (q, mut session) = signed_query(&k, NOW);
        let at = tsig_at(&q);
        let rr = TsigRr::parse(&q, at).unwrap();
        assert_eq!(rr.mac.len(), alg.mac_len());
        let v = verify_request(&q, at, &ring(k), NOW + 10).unwrap_or_else(|f| panic!("{alg}: {f}"));
        assert_eq!(v.request_mac, rr.mac);
        let mut signer = v.signer(NOW + 11);
        let resp = sign(&mut signer, &response(1));
        assert_eq!(resp[11], 1, "ARCOUNT bumped");
        session.verify_response(&resp, NOW + 12).unwrap_or_else(|e| panic!("{alg}: {e}"));
        session.finish().unwrap();
    }
}

#[test]
fn key_name_case_is_ignored() {
    // The client knows the key as `Key.Example.`; the server as `key.example.`.
    let client_key = Key::new("Key.Example.", Algorithm::HmacSha256, SECRET).unwrap();
    let mut q = query(false);
    // Write the owner in mixed case on the wire, as another implementation may.
    ClientSession::sign_request(&client_key, &mut q, NOW).unwrap();
    let at = tsig_at(&q);
    q[at + 1..at + 4].copy_from_slice(b"KEY");
    let server_ring = ring(key(Algorithm::HmacSha256));
    assert!(verify_request(&q, at, &server_ring, NOW).is_ok(), "MAC uses the canonical lowercase name");
}

fn failure(q: &[u8], keys: &KeyRing, now: u64) -> Failure {
    verify_request(q, tsig_at(q), keys, now).expect_err("must fail")
}

/// Writes the error response for `q` and returns it with its TSIG record.
fn error_response(q: &[u8], f: &Failure, now_check: u64) -> Vec<u8> {
    let Parsed::Ok(req) = parse(q) else { panic!() };
    let mut buf = vec![0u8; 1024];
    let n = write_error_response(&req, f, 1232, &mut buf).unwrap();
    buf.truncate(n);
    assert_eq!(u16::from_be_bytes([buf[2], buf[3]]) & 0xF, rcode::NOTAUTH);
    assert!(u16::from_be_bytes([buf[2], buf[3]]) & flags::QR != 0);
    let rr = TsigRr::parse(&buf, tsig_at(&buf)).unwrap();
    assert_eq!(rr.error, f.error);
    assert!(rr.time_signed.abs_diff(now_check) <= 1 || f.error == error::BADTIME);
    buf
}

#[test]
fn unknown_key_is_badkey_unsigned() {
    let (q, mut session) = signed_query(&Key::new("other.example", Algorithm::HmacSha256, SECRET).unwrap(), NOW);
    let f = failure(&q, &ring(key(Algorithm::HmacSha256)), NOW);
    assert_eq!((f.rcode, f.error), (rcode::NOTAUTH, error::BADKEY));
    let resp = error_response(&q, &f, NOW);
    let rr = TsigRr::parse(&resp, tsig_at(&resp)).unwrap();
    assert!(rr.mac.is_empty(), "BADKEY is unsigned");
    assert_eq!(rr.key_name.as_wire(), b"\x05other\x07example\x00");
    assert_eq!(session.verify_response(&resp, NOW), Err(TsigError::PeerError { error: error::BADKEY, authenticated: false }));

    // Right name, wrong algorithm: also BADKEY.
    let (q, _) = signed_query(&key(Algorithm::HmacSha512), NOW);
    assert_eq!(failure(&q, &ring(key(Algorithm::HmacSha256)), NOW).error, error::BADKEY);
}

#[test]
fn wrong_secret_or_tampering_is_badsig_unsigned() {
    let (q, mut session) = signed_query(&key(Algorithm::HmacSha256), NOW);
    let other = Key::new("key.example", Algorithm::HmacSha256, b"another secret").unwrap();
    let f = failure(&q, &ring(other), NOW);
    assert_eq!((f.rcode, f.error), (rcode::NOTAUTH, error::BADSIG));
    let resp = error_response(&q, &f, NOW);
    assert!(TsigRr::parse(&resp, tsig_at(&resp)).unwrap().mac.is_empty());
    assert_eq!(session.verify_response(&resp, NOW), Err(TsigError::PeerError { error: error::BADSIG, authenticated: false }));

    let mut tampered = q.clone();
    tampered[3] |= 0x10; // CD bit
    assert_eq!(failure(&tampered, &ring(key(Algorithm::HmacSha256)), NOW).error, error::BADSIG);
}

#[test]
fn skewed_clock_is_badtime_signed_with_server_time() {
    let k = key(Algorithm::HmacSha256);
    let (q, mut session) = signed_query(&k, NOW);
    let server_now = NOW + 301;
    let f = failure(&q, &ring(k), server_now);
    assert_eq!((f.rcode, f.error), (rcode::NOTAUTH, error::BADTIME));
    let resp = error_response(&q, &f, server_now);
    let rr = TsigRr::parse(&resp, tsig_at(&resp)).unwrap();
    assert_eq!(rr.mac.len(), 32, "BADTIME is signed");
    assert_eq!(rr.time_signed, NOW, "Time Signed echoes the request");
    assert_eq!(rr.other, &server_now.to_be_bytes()[2..], "Other Data holds the server time");
    // The client authenticates the error.
    let e = session.verify_response(&resp, NOW).unwrap_err();
    assert_eq!(e, TsigError::PeerError { error: error::BADTIME, authenticated: true });
    assert_eq!(e.to_string(), "peer answered with TSIG error BADTIME (18)");
    // Within the fudge it passes.
    assert!(verify_request(&q, tsig_at(&q), &ring(key(Algorithm::HmacSha256)), NOW - 300).is_ok());
}

/// The query of [`query`] signed with a MAC truncated to `len` octets.
fn truncated_query(k: &Key, len: usize) -> Vec<u8> {
    let mut q = query(false);
    ClientSession::sign_request(k, &mut q, NOW).unwrap();
    let rr = TsigRr::parse(&q, tsig_at(&q)).unwrap();
    let mac = rr.mac[..len].to_vec();
    let alg = k.algorithm.wire_name();
    let mut out = query(false);
    let unsigned_len = out.len();
    let fields =
        record::Fields { key_name: &k.name, algorithm: alg, time_signed: NOW, fudge: FUDGE, mac: &mac, original_id: 0x1234, error: 0, other: &[] };
    out.resize(unsigned_len + fields.len(), 0);
    fields.append(&mut out, unsigned_len).unwrap();
    out
}

/// The whole reply to `q` when it fails, or `None` when it verifies.
fn reply(q: &[u8], keys: &KeyRing) -> Option<Vec<u8>> {
    let f = verify_request(q, tsig_at(q), keys, NOW).err()?;
    let Parsed::Ok(req) = parse(q) else { panic!() };
    let mut buf = vec![0u8; 1024];
    let n = write_error_response(&req, &f, 1232, &mut buf).unwrap();
    buf.truncate(n);
    Some(buf)
}

#[test]
fn truncated_macs_are_judged_by_size_before_any_mac() {
    let k = key(Algorithm::HmacSha256);
    let keys = ring(k.clone());
    for len in 1..32 {
        let right = truncated_query(&k, len);
        let mut wrong = right.clone();
        let n = wrong.len();
        wrong[n - 7] ^= 0xFF; // the last MAC octet
        let (a, b) = (failure(&right, &keys, NOW), failure(&wrong, &keys, NOW));
        let want = if len < 16 { (rcode::FORMERR, error::NOERROR) } else { (rcode::NOTAUTH, error::BADTRUNC) };
        assert_eq!((a.rcode, a.error), want, "right prefix of {len} octets");
        assert_eq!((b.rcode, b.error), want, "wrong prefix of {len} octets");
        assert_eq!(reply(&right, &keys), reply(&wrong, &keys), "a {len}-octet prefix: replies must not tell right from wrong");
    }
    // BADTRUNC is unsigned: nothing was verified.
    let q = truncated_query(&k, 16);
    let resp = reply(&q, &keys).unwrap();
    assert!(TsigRr::parse(&resp, tsig_at(&resp)).unwrap().mac.is_empty());
    // The full MAC verifies.
    assert!(verify_request(&truncated_query(&k, 32), tsig_at(&truncated_query(&k, 32)), &keys, NOW).is_ok());
}

#[test]
fn truncation_policy_from_the_algorithm_name() {
    let spec: AlgorithmSpec = "hmac-sha256-128".parse().unwrap();
    assert_eq!(spec, AlgorithmSpec { algorithm: Algorithm::HmacSha256, min_mac_len: Some(16) });
    assert_eq!(spec.to_string(), "hmac-sha256-128");
    assert_eq!("HMAC-SHA256-256".parse::<AlgorithmSpec>().unwrap().min_mac_len, None);
    for bad in ["hmac-sha256-120", "hmac-sha256-127", "hmac-sha256-264", "hmac-sha1-72", "hmac-md5-128"] {
        assert!(bad.parse::<AlgorithmSpec>().is_err(), "{bad}");
    }
    assert_eq!("hmac-sha1-80".parse::<AlgorithmSpec>().unwrap().min_mac_len, Some(10));

    let k = Key::from_spec(&format!("key.example=hmac-sha256-128:{}", base64::engine::general_purpose::STANDARD.encode(SECRET))).unwrap();
    assert_eq!(k.min_mac_len(), 16);
    let keys = ring(k.clone());
    // At or above the policy: verified, and the response MAC chains from
    // the truncated request MAC as transmitted.
    let q = truncated_query(&k, 16);
    assert_eq!(verify_request(&q, tsig_at(&q), &keys, NOW).unwrap().request_mac.len(), 16);
    let mut bad = q.clone();
    let n = bad.len();
    bad[n - 7] ^= 1;
    assert_eq!(failure(&bad, &keys, NOW).error, error::BADSIG);
    // Below it: BADTRUNC whatever the prefix.
    let q = truncated_query(&k, 15);
    assert_eq!(failure(&q, &keys, NOW).rcode, rcode::FORMERR);
}

#[test]
fn fudge_is_capped_locally() {
    let k = key(Algorithm::HmacSha256);
    let keys = ring(k.clone());
    let mut q = query(false);
    let unsigned_len = q.len();
    // A request that claims a fudge of 65535 s, signed 1000 s ago.
    let mut ctx = mac::MacCtx::new(&k);
    ctx.update(&q);
    let then = NOW - 1000;
    ctx.variables(&k.name, k.algorithm.wire_name(), &mac::Vars { time_signed: then, fudge: u16::MAX, error: 0, other: &[] });
    let m = ctx.finish();
    let fields = record::Fields {
        key_name: &k.name,
        algorithm: k.algorithm.wire_name(),
        time_signed: then,
        fudge: u16::MAX,
        mac: m.as_slice(),
        original_id: 0x1234,
        error: 0,
        other: &[],
    };
    q.resize(unsigned_len + fields.len(), 0);
    fields.append(&mut q, unsigned_len).unwrap();
    assert_eq!(failure(&q, &keys, NOW).error, error::BADTIME);
    assert!(verify_request(&q, tsig_at(&q), &keys, then + 300).is_ok(), "within 300 s it verifies");
}

#[test]
fn replayed_requests_are_refused_within_the_window() {
    let k = key(Algorithm::HmacSha256);
    let keys = ring(k.clone());
    let guard = ReplayGuard::new(4);
    let (q, _) = signed_query(&k, NOW);
    let v = verify_request(&q, tsig_at(&q), &keys, NOW).unwrap();
    assert_eq!(guard.begin(&v, NOW), Seen::Fresh);
    assert_eq!(guard.begin(&v, NOW + 1), Seen::InFlight, "a retransmission while it is handled");
    guard.finish(&v);
    assert_eq!(guard.begin(&v, NOW + 10), Seen::Done, "same key, time and MAC");
    let (q2, _) = signed_query(&k, NOW + 1);
    let v2 = verify_request(&q2, tsig_at(&q2), &keys, NOW + 1).unwrap();
    assert_eq!(guard.begin(&v2, NOW + 1), Seen::Fresh, "another request");
    // Once the window is past, the entry is forgotten (the time check refuses it anyway).
    assert_eq!(guard.begin(&v, NOW + 301), Seen::Fresh);
    let f = Failure::replayed(v.clone(), NOW);
    assert_eq!((f.rcode, f.error), (rcode::NOTAUTH, error::BADTIME));
    // The cap holds.
    for i in 0..10 {
        let (q, _) = signed_query(&k, NOW + 2 + i);
        guard.begin(&verify_request(&q, tsig_at(&q), &keys, NOW + 2 + i).unwrap(), NOW + 2 + i);
    }
    assert_eq!(guard.len(), 4);
}

#[test]
fn malformed_tsig_is_formerr_without_tsig() {
    let (mut q, _) = signed_query(&key(Algorithm::HmacSha256), NOW);
    let at = tsig_at(&q);
    let class_at = at + 13 + 2; // owner "key.example." is 13 octets, then TYPE
    q[class_at..class_at + 2].copy_from_slice(&1u16.to_be_bytes());
    let f = failure(&q, &ring(key(Algorithm::HmacSha256)), NOW);
    assert_eq!((f.rcode, f.error), (rcode::FORMERR, 0));
    let mut buf = [0u8; 64];
    buf[..12].copy_from_slice(&q[..12]);
    assert_eq!(f.append_tsig(&mut buf, 12), Ok(12));
}

#[test]
fn chained_stream_of_three_signed_messages() {
    let k = key(Algorithm::HmacSha256);
    let (q, mut session) = signed_query(&k, NOW);
    let v = verify_request(&q, tsig_at(&q), &ring(k), NOW).unwrap();
    let mut signer = v.signer(NOW);
    for n in 1..=3 {
        let m = sign(&mut signer, &response(n));
        session.verify_response(&m, NOW + 1).unwrap_or_else(|e| panic!("message {n}: {e}"));
    }
    session.finish().unwrap();

    // Reordering breaks the chain.
    let (q, mut session) = signed_query(&key(Algorithm::HmacSha256), NOW);
    let v = verify_request(&q, tsig_at(&q), &ring(key(Algorithm::HmacSha256)), NOW).unwrap();
    let mut signer = v.signer(NOW);
    let m1 = sign(&mut signer, &response(1));
    let m2 = sign(&mut signer, &response(2));
    let m3 = sign(&mut signer, &response(3));
    session.verify_response(&m1, NOW).unwrap();
    assert_eq!(session.verify_response(&m3, NOW), Err(TsigError::BadSig));
    assert_eq!(session.verify_response(&m2, NOW), Err(TsigError::SessionFailed));
}

#[test]
fn unsigned_intermediate_messages() {
    let k = key(Algorithm::HmacSha1);
    let (q, mut session) = signed_query(&k, NOW);
    let v = verify_request(&q, tsig_at(&q), &ring(k), NOW).unwrap();
    let mut signer = v.signer(NOW);
    assert_eq!(signer.skip(&response(0)), Err(TsigError::Unsigned), "the first message must be signed");
    let m1 = sign(&mut signer, &response(1));
    signer.skip(&response(2)).unwrap();
    signer.skip(&response(3)).unwrap();
    let m4 = sign(&mut signer, &response(4));
    session.verify_response(&m1, NOW).unwrap();
    session.verify_response(&response(2), NOW).unwrap();
    session.verify_response(&response(3), NOW).unwrap();
    assert_eq!(session.finish(), Err(TsigError::Incomplete), "not yet ended on a signed message");
    session.verify_response(&m4, NOW).unwrap();
    session.finish().unwrap();
}

#[test]
fn final_unsigned_message_is_rejected() {
    let k = key(Algorithm::HmacSha256);
    let (q, mut session) = signed_query(&k, NOW);
    let v = verify_request(&q, tsig_at(&q), &ring(k), NOW).unwrap();
    let mut signer = v.signer(NOW);
    session.verify_response(&sign(&mut signer, &response(1)), NOW).unwrap();
    session.verify_response(&response(2), NOW).unwrap();
    assert_eq!(session.finish(), Err(TsigError::Incomplete));
}

#[test]
fn unsigned_first_and_too_many_unsigned() {
    let k = key(Algorithm::HmacSha256);
    let (_, mut session) = signed_query(&k, NOW);
    assert_eq!(session.verify_response(&response(1), NOW), Err(TsigError::Unsigned));

    let (q, mut session) = signed_query(&k, NOW);
    let v = verify_request(&q, tsig_at(&q), &ring(k), NOW).unwrap();
    let mut signer = v.signer(NOW);
    session.verify_response(&sign(&mut signer, &response(1)), NOW).unwrap();
    for _ in 0..MAX_UNSIGNED {
        session.verify_response(&response(2), NOW).unwrap();
        signer.skip(&response(2)).unwrap();
    }
    assert_eq!(signer.skip(&response(2)), Err(TsigError::TooManyUnsigned));
    assert_eq!(session.verify_response(&response(2), NOW), Err(TsigError::TooManyUnsigned));
}

#[test]
fn client_checks_response_time_and_space_is_reported() {
    let k = key(Algorithm::HmacSha256);
    let (q, mut session) = signed_query(&k, NOW);
    let v = verify_request(&q, tsig_at(&q), &ring(k), NOW).unwrap();
    let mut signer = v.signer(NOW);
    // No room: nothing written, chain unchanged.
    let r = response(1);
    let mut small = vec![0u8; r.len() + signer.tsig_len() - 1];
    small[..r.len()].copy_from_slice(&r);
    assert_eq!(signer.sign(&mut small, r.len()), Err(crate::wire::WireError::NoSpace));
    let m = sign(&mut signer, &r);
    assert_eq!(m.len(), r.len() + ResponseSigner::new(&v, NOW).tsig_len());
    assert!(matches!(session.verify_response(&m, NOW + 1000), Err(TsigError::BadTime { .. })));
}
