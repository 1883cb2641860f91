//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`
//! (`scripts/fuzz.sh seed`): real queries and transfer requests, zone files
//! (the fixture's, the scenario tests', and one line per RDATA type from the
//! reader's round-trip tests), AXFR and IXFR answer streams, TSIG-signed
//! requests and signed answer streams, UPDATE messages, and control API
//! bodies.
//!
//! Owns: making inputs that reach deep into each target: each is valid for
//! the fixture of `ironbind_fuzz` (its zones, keys and clock), and a few are
//! near misses of a check.
//! Must not: write anything but the corpus directories it is given, nor
//! make files the targets could not read back (names are fixed, so a re-run
//! rewrites the same files).

use std::fs;
use std::path::{Path, PathBuf};

use ironbind::tsig::{verify_request, Algorithm, ClientSession, Key};
use ironbind::wire::request::{self, Parsed};
use ironbind::xfr::axfr::{render_each, transfer_units, Unit};
use ironbind_fuzz::{example_zone, framed, key_ring, keys, session_query, wire, zone, EXAMPLE_ZONE, NOW, ORIGIN, TEST_ZONE};

const IN: u16 = 1;
const CH: u16 = 3;
const ANY: u16 = 255;
const NONE: u16 = 254;
const A: u16 = 1;
const NS: u16 = 2;
const CNAME: u16 = 5;
const SOA: u16 = 6;
const MX: u16 = 15;
const TXT: u16 = 16;
const AAAA: u16 = 28;
const DS: u16 = 43;
const DNSKEY: u16 = 48;
const IXFR: u16 = 251;
const AXFR: u16 = 252;

/// One record per RDATA type the reader knows, copied from its round-trip
/// tests (`server/src/zone/file/tests_rdata.rs`), plus the directives.
const RDATA_ZONE: &str = r#"$ORIGIN example.com.
$TTL 1h
@ IN SOA ns1 hostmaster.example.com. ( 2024010101 2h 1h 2w 5m )
@ 3600 IN NS ns1
ns1 IN 300 A 192.0.2.1
r1 AAAA 2001:db8::1
r2 AAAA ::ffff:192.0.2.1
r3 CNAME Target.Example.NET.
r4 DNAME other.org.
r5 PTR @
r6 MB mb
r7 MX 10 mail
r8 KX 10 kx.example.net.
r9 AFSDB 1 afsdb
r10 TYPE21 10 relay
r11 TXT "v=spf1 -all" word "with \"quote\" and \\" "\010\255" ""
r12 SPF "v=spf1 ~all"
r13 HINFO "KLH-10" TOPS-20
r14 MINFO rmail emailbx.example.net.
r15 RP louie.trantor.umd.edu. lam1.people.umd.edu.
_sip._udp SRV 0 5 5060 sipserver
r16 NAPTR 100 10 "" "" "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i" .
r17 NAPTR 100 10 S SIP+D2U "" _sip._udp
r18 CAA 0 issue "ca.example.net; account=230123"
r19 URI 10 1 "ftp://ftp1.example.com/public"
r20 SSHFP 2 1 123456789abcdef67890123456789abcdef67890
_443._tcp TLSA 0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971
r21 SMIMEA 3 1 1 ( d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971 )
r22 OPENPGPKEY mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2Yhvy DMXjq
sub NS ns.sub
sub DS 60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )
sub DS 12345 ECDSAP256SHA256 2 2BB183AF5F22588179A53B0A98631FAD1A2921182BB183AF5F225881
r23 CDS 0 0 0 00
@ DNSKEY 256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3 Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10h
    WqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL 742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w== )
@ CDNSKEY 0 3 0 AA==
r1 RRSIG AAAA 5 3 86400 20030322173103 ( 20030220173103 2642 example.com.
    oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o
    J5D6fwFm8nN+6pBzeDQfsS3Ap3o= ) ; a comment
r24 RRSIG TYPE65280 13 2 1h 1700000000 1690000000 1 . AAAA
r25 NSEC host.example.com. A MX RRSIG NSEC TYPE1234
2t7b4g4vsa5smi47k61mv5bv1a22bojr NSEC3 1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG )
@ NSEC3PARAM 1 0 12 aabbccdd
r26 CSYNC 66 3 A NS AAAA
@ ZONEMD 2018031900 1 1 ( c68090d90a7aed716bc459f9340e3d7c1370d4d24b7e2fc3 a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c )
r27 CERT PGP 0 0 mQENBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YhvyDMXjq
r28 CERT 65000 1 RSASHA256 AAAA
r29 DHCID ( AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA= )
r30 LOC 42 21 54 N 71 06 18 W -24m 30m
r31 LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
r32 LOC 90 S 180 W 42849672.95m 90000000m 1.5m 0
r33 SVCB 1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEX+DQ== ipv6hint=2001:db8::1
r34 HTTPS 1 . mandatory=alpn alpn="h3" no-default-alpn key65000="x y" key9
r35 HTTPS 0 pool.svc
r36 SVCB 2 . dohpath=/dns-query{?dns} ohttp
r37 TYPE999 \# 4 0A000001
r38 CLASS1 TYPE1 \# 4 C0000202
Esc\.aped\065 A 192.0.2.9
"#;

struct Corpus {
    root: PathBuf,
    count: usize,
}

impl Corpus {
    fn put(&mut self, target: &str, name: &str, data: &[u8]) {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join(name);
        fs::write(&path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.count += 1;
    }
}

/// A message: header (ID, flags, counts) then the question, if any.
fn message(id: u16, flags: u16, qname: &str, qtype: u16, qclass: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&wire(qname));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&qclass.to_be_bytes());
    m
}

/// Appends a record to section `sec` (1 answer/prerequisites, 2 authority/
/// updates, 3 additional) and bumps its count; sections must come in order.
fn push_rr(m: &mut Vec<u8>, sec: usize, owner: &[u8], t: u16, class: u16, ttl: u32, rdata: &[u8]) {
    m.extend_from_slice(owner);
    m.extend_from_slice(&t.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    m.extend_from_slice(&ttl.to_be_bytes());
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
    let at = 4 + 2 * sec;
    let n = u16::from_be_bytes([m[at], m[at + 1]]) + 1;
    m[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

/// An OPT record (RFC 6891) with `payload`, version, DO and options.
fn push_opt(m: &mut Vec<u8>, payload: u16, version: u8, dnssec_ok: bool, options: &[u8]) {
    let ttl = u32::from(version) << 16 | if dnssec_ok { 0x8000 } else { 0 };
    push_rr(m, 3, &[0], 41, payload, ttl, options);
}

fn soa_rdata(serial: u32) -> Vec<u8> {
    let mut r = wire("ns1.example.com");
    r.extend_from_slice(&wire("hostmaster.example.com"));
    for v in [serial, 7200, 3600, 1_209_600, 300] {
        r.extend_from_slice(&v.to_be_bytes());
    }
    r
}

fn signed(key: &Key, mut m: Vec<u8>) -> Vec<u8> {
    ClientSession::sign_request(key, &mut m, NOW).expect("signs");
    m
}

fn queries(c: &mut Corpus) {
    let rd = 0x0100;
    let plain: &[(&str, &str, u16)] = &[
        ("www-a", "www.example.com", A),
        ("www-aaaa", "WwW.ExAmPlE.CoM", AAAA),
        ("cname", "alias.example.com", A),
        ("cname-chain", "a.example.com", A),
        ("cname-loop", "loop1.example.com", A),
        ("cname-dangling", "nx.example.com", A),
        ("ent", "b.ent.example.com", A),
        ("below-ent", "a.b.ent.example.com", A),
        ("wildcard", "foo.wild.example.com", TXT),
        ("referral", "www.sub.example.com", A),
        ("ds-at-cut", "sub.example.com", DS),
        ("dname", "x.old.example.com", A),
        ("nxdomain", "nothere.example.com", A),
        ("nodata", "example.com", DNSKEY),
        ("apex-any", "example.com", ANY),
        ("apex-mx", "example.com", MX),
        ("big-txt", "big.example.com", TXT),
        ("refused", "example.org", A),
        ("child-ds", "child.test", DS),
        ("parent-wildcard", "x.test", MX),
        ("child-ns", "child.test", NS),
    ];
    for &(name, qname, t) in plain {
        c.put("query", name, &message(0x1001, rd, qname, t, IN));
    }
    let mut e = message(0x1002, rd, "big.example.com", TXT, IN);
    push_opt(&mut e, 1232, 0, true, &[]);
    c.put("query", "edns-do-big", &e);
    let mut e = message(0x1003, rd, "www.example.com", A, IN);
    push_opt(&mut e, 4096, 1, false, &[]);
    c.put("query", "edns-badvers", &e);
    // NSID (3, empty), EXPIRE (9, empty), COOKIE (10, client cookie).
    let mut e = message(0x1004, rd, "example.com", SOA, IN);
    push_opt(&mut e, 512, 0, false, &[0, 3, 0, 0, 0, 9, 0, 0, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    c.put("query", "edns-options", &e);
    c.put("query", "chaos-version", &message(0x1005, 0, "version.bind", TXT, CH));
    c.put("query", "chaos-id", &message(0x1006, 0, "id.server", TXT, CH));
    c.put("query", "axfr", &message(0x1007, 0, ORIGIN, AXFR, IN));
    c.put("query", "axfr-test", &message(0x1008, 0, "test", AXFR, IN));
    let mut ixfr = message(0x1009, 0, ORIGIN, IXFR, IN);
    push_rr(&mut ixfr, 2, &[0xC0, 12], SOA, IN, 3600, &soa_rdata(2024010100));
    c.put("query", "ixfr-old", &ixfr);
    let mut ixfr = message(0x100A, 0, ORIGIN, IXFR, IN);
    push_rr(&mut ixfr, 2, &[0xC0, 12], SOA, IN, 3600, &soa_rdata(2024010101));
    c.put("query", "ixfr-current", &ixfr);
    let mut notify = message(0x100B, 4 << 11 | 0x0400, ORIGIN, SOA, IN);
    push_rr(&mut notify, 1, &[0xC0, 12], SOA, IN, 3600, &soa_rdata(2024010102));
    c.put("query", "notify", &notify);
    let k = keys();
    c.put("query", "signed-a", &signed(&k[0], message(0x100C, rd, "www.example.com", A, IN)));
    c.put("query", "signed-axfr", &signed(&k[0], message(0x100D, 0, ORIGIN, AXFR, IN)));
    c.put("query", "signed-sha1", &signed(&k[1], message(0x100E, rd, "www.example.com", A, IN)));
    let stranger = Key::new("stranger.example.", Algorithm::HmacSha256, b"x").expect("key");
    c.put("query", "signed-badkey", &signed(&stranger, message(0x100F, rd, "www.example.com", A, IN)));
    c.put("query", "update", &update_message(0x1010, |_| {}));
    let mut two = message(0x1011, rd, "www.example.com", A, IN);
    two[5] = 2;
    two.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    c.put("query", "qdcount-2", &two);
    let mut resp = message(0x1012, 0x8400, "www.example.com", A, IN);
    push_rr(&mut resp, 1, &[0xC0, 12], A, IN, 60, &[192, 0, 2, 1]);
    c.put("query", "response", &resp);
    c.put("query", "header-only", &[0x10, 0x13, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
}

fn zone_files(c: &mut Corpus, repo: &Path) {
    c.put("zone_file", "fixture-example", EXAMPLE_ZONE.as_bytes());
    c.put("zone_file", "fixture-test", TEST_ZONE.as_bytes());
    c.put("zone_file", "every-type", RDATA_ZONE.as_bytes());
    c.put("zone_file", "include", b"$ORIGIN example.com.\n$INCLUDE other.zone\n@ SOA ns1 h 1 2 3 4 5\n");
    c.put("zone_file", "generic-class", b"@ 60 CLASS1 SOA ns1 h 1 2 3 4 5\n@ IN 60 NS ns1\nx CH TXT hi\n");
    let dir = repo.join("tests/scenarios/zones");
    for sub in [dir.clone(), dir.join("bad")] {
        let Ok(entries) = fs::read_dir(&sub) else { continue };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        files.sort();
        for p in files {
            let name = format!("scenario-{}{}", if sub == dir { "" } else { "bad-" }, p.file_name().unwrap_or_default().to_string_lossy());
            c.put("zone_file", &name, &fs::read(&p).unwrap_or_default());
        }
    }
}

/// The messages of a transfer of `units`, one message per chunk of
/// `per_message` units (the renderer itself packs up to 16 KiB), each with
/// the question.
fn transfer_messages(id: u16, qtype: u16, units: Vec<Unit<'_>>, per_message: usize) -> Vec<Vec<u8>> {
    let apex = wire(ORIGIN);
    let mut out = Vec::new();
    for chunk in units.chunks(per_message.max(1)) {
        render_each(id, (apex.as_slice(), qtype, IN), chunk.iter().copied(), |m| {
            out.push(m);
            true
        });
    }
    out
}

fn transfers(c: &mut Corpus) {
    let v1 = example_zone();
    let v2 = zone(ORIGIN, &EXAMPLE_ZONE.replace("2024010101", "2024010102").replace("www     IN A 192.0.2.11", "www     IN A 192.0.2.12"));
    let stream = |mode: u8, msgs: &[Vec<u8>]| {
        let mut s = vec![mode];
        s.extend_from_slice(&framed(msgs.iter().map(|m| m.as_slice())));
        s
    };
    let axfr: Vec<Unit> = transfer_units(&v2).collect();
    c.put("xfr_in", "axfr-one-message", &stream(0, &transfer_messages(0, AXFR, axfr.clone(), 1000)));
    c.put("xfr_in", "axfr-many-messages", &stream(0, &transfer_messages(0, AXFR, axfr.clone(), 4)));
    c.put("xfr_in", "ixfr-answered-axfr-style", &stream(1, &transfer_messages(0, IXFR, axfr, 8)));
    let old_axfr: Vec<Unit> = transfer_units(v1).collect();
    c.put("xfr_in", "ixfr-axfr-style-not-newer", &stream(1, &transfer_messages(0, IXFR, old_axfr, 1000)));

    let apex = wire(ORIGIN);
    let www = wire("www.example.com");
    let new = wire("new.example.com");
    let (s1, s2, s3) = (soa_rdata(2024010101), soa_rdata(2024010102), soa_rdata(2024010103));
    let (a11, a12, a13) = ([192u8, 0, 2, 11], [192u8, 0, 2, 12], [192u8, 0, 2, 13]);
    let soa = |d: &'static [u8]| Unit::Rec(&apex, SOA, 3600, d);
    let (s1, s2, s3): (&'static [u8], &'static [u8], &'static [u8]) = (s1.leak(), s2.leak(), s3.leak());
    let ixfr = vec![
        soa(s3),
        soa(s1),
        Unit::Rec(&www, A, 3600, &a11),
        soa(s2),
        Unit::Rec(&www, A, 3600, &a12),
        soa(s2),
        soa(s3),
        Unit::Rec(&new, A, 300, &a13),
        Unit::Rec(&new, TXT, 300, b"\x03new"),
        soa(s3),
    ];
    c.put("xfr_in", "ixfr-two-diffs", &stream(1, &transfer_messages(0, IXFR, ixfr.clone(), 1000)));
    c.put("xfr_in", "ixfr-two-diffs-split", &stream(1, &transfer_messages(0, IXFR, ixfr[..].to_vec(), 3)));
    c.put("xfr_in", "ixfr-up-to-date", &stream(1, &transfer_messages(0, IXFR, vec![soa(s1)], 1)));
    let broken = vec![soa(s3), soa(s1), Unit::Rec(&www, A, 3600, &a11), soa(s3)];
    c.put("xfr_in", "ixfr-incomplete", &stream(1, &transfer_messages(0, IXFR, broken, 1000)));
    let mut refused = message(0, 0x8005, ORIGIN, AXFR, IN);
    refused[3] = 5;
    c.put("xfr_in", "axfr-refused", &stream(0, &[refused]));
}

fn tsig(c: &mut Corpus) {
    let k = keys();
    for (i, key) in k.iter().enumerate() {
        let q = signed(key, message(0x2000 + i as u16, 0x0100, "www.example.com", A, IN));
        c.put("tsig", &format!("request-key{i}"), &framed([q.as_slice()]));
    }
    let mut with_opt = message(0x2010, 0x0100, "www.example.com", A, IN);
    push_opt(&mut with_opt, 1232, 0, false, &[]);
    let with_opt = signed(&k[0], with_opt);
    let stranger = Key::new("stranger.example.", Algorithm::HmacSha256, b"x").expect("key");
    let badkey = signed(&stranger, message(0x2011, 0, "www.example.com", A, IN));
    c.put("tsig", "request-opt-and-badkey", &framed([with_opt.as_slice(), badkey.as_slice()]));

    // The answer stream to the session's signed AXFR, signed as the server
    // signs it: first and last messages signed, one in the middle not.
    let mut q = session_query();
    ClientSession::sign_request(&k[0], &mut q, NOW).expect("signs");
    let Parsed::Ok(r) = request::parse(&q) else { panic!("signed query parses") };
    let v = verify_request(&q, r.tsig_at.expect("signed"), &key_ring(), NOW).expect("verifies");
    let mut signer = v.signer(NOW);
    let units: Vec<Unit> = transfer_units(example_zone()).collect();
    let msgs = transfer_messages(0x1234, AXFR, units, 5);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65535];
    for (i, m) in msgs.iter().enumerate() {
        if i == 1 && msgs.len() > 2 {
            signer.skip(m).expect("skips");
            out.push(m.clone());
        } else {
            buf[..m.len()].copy_from_slice(m);
            let n = signer.sign(&mut buf, m.len()).expect("signs");
            out.push(buf[..n].to_vec());
        }
    }
    c.put("tsig", "answer-stream", &framed(out.iter().map(|m| m.as_slice())));
    c.put("tsig", "answer-first-only", &framed([out[0].as_slice()]));
}

/// An UPDATE for `example.com` (RFC 2136 §2: opcode 5, zone section),
/// whose prerequisite and update sections `body` appends.
fn update_message(id: u16, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut m = message(id, 5 << 11, ORIGIN, SOA, IN);
    body(&mut m);
    m
}

fn updates(c: &mut Corpus) {
    let www = wire("www.example.com");
    let new = wire("new.example.com");
    let apex = wire(ORIGIN);
    let a = |last: u8| vec![192u8, 0, 2, last];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("add", update_message(1, |m| push_rr(m, 2, &new, A, IN, 300, &a(99)))),
        ("add-compressed-owner", update_message(2, |m| push_rr(m, 2, &[3, b'n', b'e', b'w', 0xC0, 12], A, IN, 300, &a(98)))),
        ("delete-rrset", update_message(3, |m| push_rr(m, 2, &www, A, ANY, 0, &[]))),
        ("delete-name", update_message(4, |m| push_rr(m, 2, &wire("alias.example.com"), ANY, ANY, 0, &[]))),
        ("delete-rr", update_message(5, |m| push_rr(m, 2, &www, A, NONE, 0, &a(10)))),
        (
            "prereq-yxdomain",
            update_message(6, |m| {
                push_rr(m, 1, &www, ANY, ANY, 0, &[]);
                push_rr(m, 2, &www, TXT, IN, 60, b"\x02hi");
            }),
        ),
        (
            "prereq-nxdomain",
            update_message(7, |m| {
                push_rr(m, 1, &new, ANY, NONE, 0, &[]);
                push_rr(m, 2, &new, CNAME, IN, 60, &www);
            }),
        ),
        ("prereq-yxrrset", update_message(8, |m| push_rr(m, 1, &www, A, ANY, 0, &[]))),
        ("prereq-nxrrset", update_message(9, |m| push_rr(m, 1, &www, TXT, NONE, 0, &[]))),
        (
            "prereq-value",
            update_message(10, |m| {
                push_rr(m, 1, &www, A, IN, 0, &a(10));
                push_rr(m, 1, &www, A, IN, 0, &a(11));
                push_rr(m, 2, &www, A, NONE, 0, &a(11));
            }),
        ),
        ("add-soa", update_message(11, |m| push_rr(m, 2, &apex, SOA, IN, 3600, &soa_rdata(2024020202)))),
        ("delete-apex-ns", update_message(12, |m| push_rr(m, 2, &apex, NS, ANY, 0, &[]))),
        ("cname-beside-data", update_message(13, |m| push_rr(m, 2, &www, CNAME, IN, 60, &new))),
        (
            "add-mx",
            update_message(14, |m| {
                let mut rd = vec![0, 10];
                rd.extend_from_slice(&wire("mail.example.com"));
                push_rr(m, 2, &apex, MX, IN, 60, &rd);
            }),
        ),
        ("out-of-zone", update_message(15, |m| push_rr(m, 2, &wire("www.example.org"), A, IN, 60, &a(1)))),
    ];
    for (name, m) in cases {
        c.put("update", name, &m);
    }
    let signed_add = signed(&keys()[0], update_message(16, |m| push_rr(m, 2, &new, A, IN, 300, &a(97))));
    c.put("update", "signed-add", &signed_add);
}

fn control(c: &mut Corpus) {
    let bodies: &[(&str, &str)] = &[
        (
            "zone-primary",
            r#"{"type":"primary","soa":{"mname":"ns1","rname":"hostmaster.example.com.","serial":7,"refresh":7200,"retry":3600,"expire":1209600,"minimum":300,"ttl":3600},"rrsets":[{"name":"@","type":"NS","rdata":["ns1","ns2.example.net."]},{"name":"ns1","type":"A","ttl":300,"rdata":["192.0.2.1"]},{"name":"www","type":"AAAA","rdata":["2001:db8::1","2001:db8::2"]},{"name":"@","type":"MX","rdata":["10 mail"]},{"name":"alias","type":"CNAME","rdata":["www"]},{"name":"txt.example.com.","type":"TXT","rdata":["\"a b\" c"]},{"name":"x","type":"TYPE999","rdata":["\\# 2 abcd"]},{"name":"_sip._tcp","type":"SRV","rdata":["0 5 5060 www"]}],"allowTransfer":["192.0.2.0/24","2001:db8::/32"],"allowTransferKeys":["key.example"],"allowUpdate":["key.example"],"alsoNotify":["192.0.2.7:5353@key.example"],"notifyNs":false,"notifyKey":"key.example"}"#,
        ),
        ("zone-primary-bare", r#"{"type":"primary"}"#),
        (
            "zone-primary-cname-clash",
            r#"{"type":"primary","soa":{"mname":"ns1","rname":"h","refresh":1,"retry":1,"expire":1,"minimum":1,"ttl":1},"rrsets":[{"name":"@","type":"NS","rdata":["ns1"]},{"name":"a","type":"CNAME","rdata":["b"]},{"name":"a","type":"A","rdata":["192.0.2.1"]}]}"#,
        ),
        (
            "zone-secondary",
            r#"{"type":"secondary","primaries":["192.0.2.1","192.0.2.2:5353@key.example","[2001:db8::1]:53"],"allowNotify":["192.0.2.0/24"],"allowTransfer":[]}"#,
        ),
        ("zone-bad-field", r#"{"type":"primary","rrsets":[{"name":"a b","type":"A","rdata":["192.0.2.1"]}]}"#),
        ("key", r#"{"name":"key.example","algorithm":"hmac-sha256","secret":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}"#),
        ("key-truncated", r#"{"name":"trunc.example.","algorithm":"hmac-sha256-128","secret":"c2VjcmV0"}"#),
        ("key-sha1", r#"{"name":"k","algorithm":"hmac-sha1","secret":" AAAA "}"#),
        ("key-md5", r#"{"name":"k","algorithm":"hmac-md5","secret":"AAAA"}"#),
        ("key-bad-base64", r#"{"name":"k","algorithm":"hmac-sha512","secret":"***"}"#),
    ];
    for (name, body) in bodies {
        c.put("control_body", name, body.as_bytes());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
    let repo = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let mut c = Corpus { root, count: 0 };
    queries(&mut c);
    zone_files(&mut c, &repo);
    transfers(&mut c);
    tsig(&mut c);
    updates(&mut c);
    control(&mut c);
    println!("wrote {} seed files under {}", c.count, c.root.display());
}
