//! DNS cookies (RFC 7873, RFC 9018), NSID (RFC 5001) and minimal ANY over
//! UDP (RFC 8482) against the real binary, with the real `dig`, and cookies
//! exchanged with BIND9 `named` configured with the same secret: each
//! server accepts the other's server cookie (checklist K1–K5).

mod reflection_common;
mod xfr_common;

use std::time::Duration;

use reflection_common::*;
use xfr_common::{dig, free_port, require, start_ironbind, tempdir, zone_text, Ironbind, Named};

const A: u16 = 1;
const BADCOOKIE: u16 = 23;
const SECRET: &str = "e5e973e5a6b2a43f48e7dc849e37bfcf";

fn zone() -> String {
    zone_text("example.com", 1, (3600, 600, 86400), 5, "@ MX 10 mail\nmail A 192.0.2.25\n@ TXT \"v=spf1 mx -all\"\n")
}

fn start(tag: &str, args: &[&str]) -> Ironbind {
    let dir = tempdir(tag);
    std::fs::write(dir.join("example.com.zone"), zone()).unwrap();
    let z = format!("example.com={}", dir.join("example.com.zone").display());
    let mut all = vec!["--zone", &z];
    all.extend_from_slice(args);
    start_ironbind(tag, free_port(), &dir.join("data"), &all)
}

#[test]
fn dig_shows_a_server_cookie_and_the_nsid() {
    require(&["dig"]);
    let s = start("cookie-dig", &["--nsid", "ironbind-test"]);
    let out = dig(s.addr, &["+cookie", "+nsid", "h1.example.com", "A"]);
    let line = out.lines().find(|l| l.starts_with("; COOKIE: ")).unwrap_or_else(|| panic!("no COOKIE line:\n{out}"));
    // 8 octets of client cookie, 16 of server cookie, and dig checked the client part.
    let hex = line.trim_start_matches("; COOKIE: ").split_whitespace().next().unwrap();
    assert_eq!(hex.len(), 48, "{line}");
    assert!(line.ends_with("(good)"), "{line}");
    assert_eq!(&hex[16..24], "01000000", "version 1, reserved zero: {line}");
    assert!(out.contains("; NSID: ") && out.contains("(\"ironbind-test\")"), "{out}");
    // Without +nsid, no NSID; without +cookie, no COOKIE.
    let plain = dig(s.addr, &["+nocookie", "h1.example.com", "A"]);
    assert!(!plain.contains("NSID") && !plain.contains("COOKIE"), "{plain}");
}

#[test]
fn cookie_exchanges_without_enforcement() {
    let s = start("cookie-raw", &[]);
    let client = *b"clientck";
    let first = udp(s.addr, &query(1, "h1.example.com", A, Some(&[(COOKIE, &client)])));
    assert_eq!((first.rcode, first.ancount), (0, 1), "a client cookie alone gets the answer (K2)");
    let cookie = first.option(COOKIE).expect("a cookie").to_vec();
    assert_eq!((cookie.len(), &cookie[..8], &cookie[8..12]), (24, &client[..], &[1, 0, 0, 0][..]));
    let again = udp(s.addr, &query(2, "h1.example.com", A, Some(&[(COOKIE, &cookie)])));
    assert_eq!((again.rcode, again.ancount), (0, 1));
    assert_eq!(again.option(COOKIE).map(<[u8]>::len), Some(24));
    // A wrong server cookie: answered (not enforcing), with a fresh cookie (K3).
    let mut wrong = cookie.clone();
    wrong[20] ^= 0x55;
    let r = udp(s.addr, &query(3, "h1.example.com", A, Some(&[(COOKIE, &wrong)])));
    assert_eq!((r.rcode, r.ancount), (0, 1));
    assert_ne!(r.option(COOKIE).unwrap()[8..], wrong[8..]);
    // Malformed lengths: FORMERR (K1).
    for n in [1usize, 7, 9, 15, 41] {
        let bad = vec![7u8; n];
        let r = udp(s.addr, &query(4, "h1.example.com", A, Some(&[(COOKIE, &bad)])));
        assert_eq!((r.rcode, r.ancount), (1, 0), "COOKIE of {n} octets");
        assert!(r.option(COOKIE).is_none());
    }
    // A cookie-only query (QDCOUNT 0) learns a cookie (K4); without a cookie it is FORMERR.
    let r = udp(s.addr, &no_question(5, &[(COOKIE, &client)]));
    assert_eq!((r.rcode, r.ancount), (0, 0));
    assert_eq!(r.option(COOKIE).map(|c| c[..8].to_vec()), Some(client.to_vec()));
    assert_eq!(udp(s.addr, &no_question(6, &[])).rcode, 1);
}

#[test]
fn required_cookies_badcookie_over_udp_only() {
    require(&["dig"]);
    let s = start("cookie-require", &["--require-cookies"]);
    let client = *b"12345678";
    let q = |id, c: &[u8]| query(id, "h2.example.com", A, Some(&[(COOKIE, c)]));
    let r = udp(s.addr, &q(1, &client));
    assert_eq!((r.rcode, r.ancount), (BADCOOKIE, 0), "client cookie alone over UDP: BADCOOKIE (K3)");
    let cookie = r.option(COOKIE).expect("BADCOOKIE carries a fresh cookie").to_vec();
    let ok = udp(s.addr, &q(2, &cookie));
    assert_eq!((ok.rcode, ok.ancount), (0, 1));
    let mut wrong = cookie.clone();
    wrong[12] ^= 0x80; // the timestamp
    let r = udp(s.addr, &q(3, &wrong));
    assert_eq!(r.rcode, BADCOOKIE);
    assert_eq!(r.option(COOKIE).map(<[u8]>::len), Some(24));
    // No COOKIE at all: answered (RRL covers those clients); TCP: answered.
    assert_eq!(udp(s.addr, &query(4, "h2.example.com", A, Some(&[]))).ancount, 1);
    let t = tcp(s.addr, &q(5, &client));
    assert_eq!((t.rcode, t.ancount), (0, 1), "TCP proves the address");
    // dig learns the cookie from the BADCOOKIE answer and retries.
    let out = dig(s.addr, &["+cookie", "h2.example.com", "A"]);
    assert!(out.contains("BADCOOKIE, retrying") && out.contains("status: NOERROR"), "{out}");
}

/// BIND and ironbind with one secret: a cookie either makes is valid at
/// the other (RFC 9018's interoperable format, K5), and a changed octet
/// is not, at either.
#[test]
fn bind_and_ironbind_accept_each_others_cookies() {
    require(&["named", "dig"]);
    let np = free_port();
    let named = Named::start(
        np,
        &format!("  answer-cookie yes;\n  cookie-algorithm siphash24;\n  cookie-secret \"{SECRET}\";\n  require-server-cookie yes;"),
        "zone \"example.com\" { type primary; file \"example.com.zone\"; };",
        &[("example.com.zone", &zone())],
    );
    let s = start("cookie-bind", &["--require-cookies", "--cookie-secret", SECRET]);
    let client = *b"interop!";
    let q = |id, c: &[u8]| query(id, "h3.example.com", A, Some(&[(COOKIE, c)]));
    // Both enforce: a client cookie alone gets BADCOOKIE and a server cookie.
    let from_bind = udp(named.addr, &q(1, &client));
    assert_eq!(from_bind.rcode, BADCOOKIE, "named enforces");
    let from_ib = udp(s.addr, &q(2, &client));
    assert_eq!(from_ib.rcode, BADCOOKIE, "ironbind enforces");
    let (cb, ci) = (from_bind.option(COOKIE).unwrap().to_vec(), from_ib.option(COOKIE).unwrap().to_vec());
    assert_eq!((cb.len(), ci.len()), (24, 24));
    let r = udp(s.addr, &q(3, &cb));
    assert_eq!((r.rcode, r.ancount), (0, 1), "ironbind accepts BIND's cookie {cb:02x?}");
    let r = udp(named.addr, &q(4, &ci));
    assert_eq!((r.rcode, r.ancount), (0, 1), "BIND accepts ironbind's cookie {ci:02x?}");
    for (mut c, who) in [(cb, "BIND's"), (ci, "ironbind's")] {
        c[23] ^= 1;
        assert_eq!(udp(s.addr, &q(5, &c)).rcode, BADCOOKIE, "ironbind, {who} cookie changed");
        assert_eq!(udp(named.addr, &q(6, &c)).rcode, BADCOOKIE, "BIND, {who} cookie changed");
    }
    drop(named);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn any_is_one_rrset_over_udp_and_all_over_tcp() {
    require(&["dig"]);
    let s = start("any", &[]);
    let udp_out = dig(s.addr, &["+notcp", "+nocookie", "+ignore", "example.com", "ANY"]);
    assert!(udp_out.contains("(UDP)") && udp_out.contains("ANSWER: 1,"), "{udp_out}");
    assert!(!udp_out.lines().any(|l| l.starts_with(";; flags:") && l.contains(" tc")), "not truncated: {udp_out}");
    let tcp_out = dig(s.addr, &["+tcp", "+nocookie", "example.com", "ANY"]);
    assert!(tcp_out.contains("(TCP)") && tcp_out.contains("ANSWER: 4,"), "SOA, NS, MX, TXT: {tcp_out}");
    for t in ["SOA", "NS", "MX", "TXT"] {
        assert!(tcp_out.lines().any(|l| l.starts_with("example.com.") && l.split_whitespace().nth(3) == Some(t)), "{t}: {tcp_out}");
    }
    // The raw answer: one RRset, the name's smallest; the same query over TCP has them all.
    let q = query(9, "example.com", 255, Some(&[]));
    let (u, t) = (udp(s.addr, &q), tcp(s.addr, &q));
    assert_eq!(u.answer_types, vec![16], "TXT (27 octets) is the smallest RRset here");
    assert!(t.answer_types.len() >= 4 && t.answer_types.contains(&16) && t.answer_types.contains(&6), "{:?}", t.answer_types);
}
