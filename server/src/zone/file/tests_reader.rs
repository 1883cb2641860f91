//! Tests of the reader: directives, owners, TTL and class rules, lines in
//! errors, `$INCLUDE` (fixtures in `server/tests/data/zonefile/`), and the
//! writer's round trip.

use super::*;
use crate::wire::name::from_dotted;
use crate::wire::rtype;
use crate::zone::Record;
use std::path::PathBuf;

fn origin() -> Vec<u8> {
    from_dotted("example.com").unwrap()
}

fn read(text: &str) -> RecordSource {
    read_zone_str(text, "t.zone", &origin(), None).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(text: &str) -> ZoneFileError {
    read_zone_str(text, "t.zone", &origin(), None).expect_err("should fail")
}

fn name(s: &str) -> Box<[u8]> {
    from_dotted(s).unwrap().into()
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/zonefile")
}

const SOA: &str = "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n";

#[test]
fn owners_relative_absolute_at_and_blank() {
    let src = read(&format!("{SOA}www A 192.0.2.1\n  A 192.0.2.2\nWWW.Other.Org. A 192.0.2.3\n@ NS ns1\n"));
    let r = &src.records;
    assert_eq!(r.len(), 5);
    assert_eq!((r[0].owner.clone(), r[0].rtype), (name("example.com"), rtype::SOA));
    assert_eq!(r[1].owner, name("www.example.com"));
    assert_eq!(r[2].owner, name("www.example.com"), "blank owner repeats the previous one");
    assert_eq!(r[3].owner, name("www.other.org"), "owners are lowercased");
    assert_eq!(r[4].owner, name("example.com"));
    assert_eq!(&r[4].rdata[..], b"\x03ns1\x07example\x03com\x00");
    assert!(r.iter().all(|x| x.class == 1 && x.ttl == 3600));
    assert_eq!(r.iter().map(|x| x.src.line).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert_eq!(src.files, vec!["t.zone".to_string()]);
}

#[test]
fn rdata_names_keep_case() {
    let src = read(&format!("{SOA}Mail MX 10 MX1.Example.NET.\n"));
    assert_eq!(src.records[1].owner, name("mail.example.com"));
    assert_eq!(&src.records[1].rdata[2..], b"\x03MX1\x07Example\x03NET\x00");
}

#[test]
fn ttl_and_class_in_either_order() {
    let src = read("$TTL 60\na 300 IN A 192.0.2.1\nb IN 1h30m A 192.0.2.2\nc CLASS1 A 192.0.2.3\nd 2D A 192.0.2.4\ne 1W in a 192.0.2.5\n");
    let ttls: Vec<u32> = src.records.iter().map(|r| r.ttl).collect();
    assert_eq!(ttls, vec![300, 5400, 60, 172_800, 604_800]);
}

#[test]
fn ttl_defaults_follow_ttl_directive_then_previous_then_soa_minimum() {
    // No $TTL: the SOA's MINIMUM, then the previous record's TTL.
    let src = read("@ IN SOA ns1 hostmaster 1 2 3 4 555\nwww A 192.0.2.1\nx 20 A 192.0.2.2\ny A 192.0.2.3\n");
    assert_eq!(src.records.iter().map(|r| r.ttl).collect::<Vec<_>>(), vec![555, 555, 20, 20]);
    // $TTL wins over the previous TTL.
    let src = read("a 20 A 192.0.2.1\n$TTL 99\nb A 192.0.2.2\n");
    assert_eq!(src.records[1].ttl, 99);
    let e = read_err("\n; comment\nwww A 192.0.2.1\n");
    assert_eq!((e.line, e.reason.as_str()), (3, "no TTL specified (no $TTL and no earlier TTL)"));
}

#[test]
fn origin_directive_changes_relative_names() {
    let src = read("$TTL 1\n$ORIGIN sub\nwww A 192.0.2.1\n$ORIGIN other.net.\n@ CNAME www\n");
    assert_eq!(src.records[0].owner, name("www.sub.example.com"));
    assert_eq!(src.records[1].owner, name("other.net"));
    assert_eq!(&src.records[1].rdata[..], &*name("www.other.net"));
}

#[test]
fn parentheses_span_lines_and_record_starts_at_first_line() {
    let src = read("$TTL 1h\n\n@ IN SOA ( ns1 ; primary\n  hostmaster ; (not a paren\n  2024 ; serial\n  1h 15m 1w 1d )\nwww A 192.0.2.1\n");
    let soa = &src.records[0];
    assert_eq!(soa.src.line, 3);
    assert_eq!(&soa.rdata[soa.rdata.len() - 20..soa.rdata.len() - 16], &2024u32.to_be_bytes());
    assert_eq!(&soa.rdata[soa.rdata.len() - 4..], &86_400u32.to_be_bytes());
    assert_eq!(src.records[1].src.line, 7);
}

#[test]
fn escapes_in_owners_and_strings() {
    let src = read("$TTL 1\na\\.b A 192.0.2.1\n\\065\\032c TXT \"hello world\" \"q\\\"\\\\\" plain\n");
    assert_eq!(&src.records[0].owner[..], b"\x03a.b\x07example\x03com\x00");
    assert_eq!(&src.records[1].owner[..4], b"\x03a c");
    let rd = &src.records[1].rdata;
    assert_eq!(&rd[..], b"\x0bhello world\x03q\"\\\x05plain");
}

#[test]
fn rfc3597_forms() {
    let src = read("$TTL 1\na TYPE1 \\# 4 0A000001\nb A 10.0.0.1\nc CLASS1 TYPE65280 \\# 3 ( ab\n cdef )\nd TYPE65280 \\# 0\ne TYPE1 10.0.0.1\n");
    let r = &src.records;
    assert_eq!(r[0].rdata, r[1].rdata);
    assert_eq!(r[0].rtype, rtype::A);
    assert_eq!((r[2].rtype, &r[2].rdata[..]), (65280, &[0xab, 0xcd, 0xef][..]));
    assert!(r[3].rdata.is_empty());
    assert_eq!(r[4].rdata, r[1].rdata);
}

#[test]
fn error_messages_name_file_and_line() {
    let e = read_zone_str("$TTL 1\n\nhost A 1.2.3\n", "zones/example.com.zone", &origin(), None).unwrap_err();
    assert_eq!(e.to_string(), "zones/example.com.zone:3: bad IPv4 address \"1.2.3\"");
    let x64 = "x".repeat(64);
    let cases: &[(&str, u32, &str)] = &[
        ("$TTL 1\nwww AA 1.2.3.4\n", 2, "unknown type \"AA\""),
        ("$TTL 1\nwww IN A (\n 192.0.2.1\n", 2, "unbalanced parentheses: \"(\" is never closed"),
        ("$TTL 1\nwww A 192.0.2.1 )\n", 2, "unbalanced parentheses: \")\" without \"(\""),
        ("$TTL 1\n\nwww TXT \"abc\n", 3, "unterminated string"),
        (&format!("$TTL 1\n{x64} A 192.0.2.1\n"), 2, &format!("bad owner name \"{x64}\": label longer than 63 octets")),
        ("$TTL 1\nwww CH A 192.0.2.1\n", 2, "class CH is not supported: only IN zones are served"),
        ("$TTL 1\nwww CLASS3 TXT x\n", 2, "class CLASS3 is not supported: only IN zones are served"),
        ("$TTL 1\n  A 192.0.2.1\n", 2, "no owner name: the first record starts with whitespace"),
        ("$TTL 1\nwww 1x A 192.0.2.1\n", 2, "bad TTL \"1x\""),
        ("$TTL x\n", 1, "bad TTL \"x\""),
        ("$TTL 1\nwww\n", 2, "missing record type"),
        ("$TTL 1\nwww A\n", 2, "missing IPv4 address"),
        ("$TTL 1\nwww A 192.0.2.1 192.0.2.2\n", 2, "unexpected \"192.0.2.2\" after the RDATA"),
        ("$TTL 1\nwww MX ( 10\n\n x\n y )\n", 5, "unexpected \"y\" after the RDATA"),
        ("$TTL 1\nwww ANY \\# 0\n", 2, "type ANY cannot appear in zone data"),
        ("$TTL 1\n$INCLUDE x.inc\n", 2, "$INCLUDE is not allowed here (no directory to resolve it against)"),
        ("$FOO 1\n", 1, "unknown directive \"$FOO\""),
        ("$ORIGIN\n", 1, "$ORIGIN takes one argument"),
        ("$TTL 1\nwww NULL 1\n", 2, "type NULL has no presentation parser; write its RDATA in RFC 3597 generic form (\\# len hex)"),
        ("$TTL 1\nwww TYPE999 ab\n", 2, "type TYPE999 has no presentation parser; write its RDATA in RFC 3597 generic form (\\# len hex)"),
        ("$TTL 1\nwww A \\# 3 0A0000\n", 2, "RDATA in generic form is not valid A data"),
        ("$TTL 1\nwww TYPE999 \\# 2 0A0000\n", 2, "generic RDATA has 3 octets but its length field says 2"),
    ];
    for &(text, line, reason) in cases {
        let e = read_err(text);
        assert_eq!((e.line, e.reason.as_str()), (line, reason), "{text:?}");
        assert_eq!(e.file, "t.zone");
    }
}

#[test]
fn include_with_origin_nesting_and_revert() {
    let path = fixtures().join("example.com.zone");
    let src = read_zone_file(&path, &origin()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(src.files.len(), 3);
    assert_eq!(src.files[0], path.display().to_string());
    assert!(src.files[1].ends_with("sub/hosts.inc"), "{:?}", src.files);
    assert!(src.files[2].ends_with("sub/more.inc"), "{:?}", src.files);
    type Row = (Box<[u8]>, u16, u32, u16, u32);
    let got: Vec<Row> = src.records.iter().map(|r| (r.owner.clone(), r.rtype, r.ttl, r.src.file, r.src.line)).collect();
    let want = vec![
        (name("example.com"), rtype::SOA, 3600, 0, 3),
        (name("example.com"), rtype::NS, 3600, 0, 6),
        (name("ns1.example.com"), rtype::A, 3600, 0, 7),
        (name("alpha.hosts.example.com"), rtype::A, 300, 1, 2),
        (name("gamma.hosts.example.com"), rtype::A, 3600, 2, 1),
        (name("beta.hosts.example.com"), rtype::AAAA, 3600, 1, 4),
        (name("www.example.com"), rtype::A, 3600, 0, 9),
    ];
    assert_eq!(got, want);
    let soa: &Record = &src.records[0];
    assert_eq!(src.locate(soa.src), format!("{}:3", path.display()));
}

#[test]
fn include_errors_name_the_included_file() {
    let e = read_zone_file(&fixtures().join("bad-include.zone"), &origin()).unwrap_err();
    assert!(e.file.ends_with("sub/bad.inc"), "{e}");
    assert_eq!((e.line, e.reason.as_str()), (3, "bad IPv4 address \"1.2.3\""));

    let e = read_zone_file(&fixtures().join("loop.zone"), &origin()).unwrap_err();
    assert_eq!((e.line, e.reason.as_str()), (2, "$INCLUDE nested too deep (limit 16)"));

    let dir = fixtures();
    let e = read_zone_str("$INCLUDE \"no such.inc\"\n", "m.zone", &origin(), Some(&dir)).unwrap_err();
    assert_eq!(e.to_string(), "m.zone:1: cannot read included file no such.inc: No such file or directory");

    let e = read_zone_file(&dir.join("missing.zone"), &origin()).unwrap_err();
    assert_eq!((e.line, e.reason.as_str()), (0, "cannot read zone file: No such file or directory"));
}

#[test]
fn blank_owner_after_include_is_the_owner_before_it() {
    let dir = fixtures();
    let src = read_zone_str("$TTL 5\nkeep A 192.0.2.1\n$INCLUDE sub/more.inc\n  A 192.0.2.2\n", "m.zone", &origin(), Some(&dir)).unwrap();
    assert_eq!(src.records[1].owner, name("gamma.example.com"));
    assert_eq!(src.records[2].owner, name("keep.example.com"));
}

#[test]
fn written_records_read_back_identically() {
    let text = format!(
        "{SOA}@ NS ns1\n@ MX 10 Mail.Example.com.\nmail A 192.0.2.25\n\
         \\$odd\\@name\\.x\\032y TXT \"a \\\"b\\\" \\\\ c\" \"\\255\\000\"\n\
         ns1 AAAA 2001:db8::1\n_sip._udp SRV 0 5 5060 sip\nwild.* 7200 NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp\n\
         x TYPE65280 \\# 2 beef\nx NULL \\# 1 00\nx HTTPS 1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1\n\
         x LOC 52 22 23 N 4 53 32 E -2m\nx CAA 0 issue \"ca.example.net; account=1\"\n\
         x DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n\
         x NSEC3 1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG\n"
    );
    let first = read(&text);
    let mut out = String::new();
    write_records(first.records.iter().map(|r| (&r.owner[..], r.rtype, r.ttl, &r.rdata[..])), &mut out);
    let second = read_zone_str(&out, "w.zone", &from_dotted("elsewhere.org").unwrap(), None).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(first.records.len(), second.records.len());
    for (a, b) in first.records.iter().zip(&second.records) {
        assert_eq!((&a.owner, a.rtype, a.ttl, &a.rdata), (&b.owner, b.rtype, b.ttl, &b.rdata), "{out}");
    }
    assert!(out.contains("x.example.com. 7200 IN TYPE65280 \\# 2 BEEF\n"), "{out}");
    assert!(out.starts_with("example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n"), "{out}");
}

#[test]
fn streamed_records_are_the_same_text() {
    // Owners with every octet value, so the fast name writer is checked
    // against `DisplayName` escape by escape.
    let mut owners: Vec<Vec<u8>> = (0..=255u8).collect::<Vec<u8>>().chunks(60).map(|l| [&[l.len() as u8][..], l, &origin()].concat()).collect();
    owners.push(vec![0]);
    let recs: Vec<(&[u8], u16, u32, &[u8])> = owners
        .iter()
        .map(|o| (&o[..], rtype::CNAME, 300u32, &o[..]))
        .chain([(&b"\x00"[..], rtype::A, 1u32, &b"\xc0\x00\x02\x01"[..]), (&b"\x00"[..], 65280, 0, &b""[..])])
        .collect();
    let mut text = String::new();
    write_records(recs.iter().copied(), &mut text);
    let mut streamed = Vec::new();
    write_records_to(recs.iter().copied(), &mut streamed).unwrap();
    assert_eq!(String::from_utf8(streamed).unwrap(), text);
    for (line, o) in text.lines().zip(&owners) {
        let shown = crate::wire::name::DisplayName(o).to_string();
        assert_eq!(line, format!("{shown} 300 IN CNAME {shown}"));
    }
    assert!(text.ends_with(". 1 IN A 192.0.2.1\n. 0 IN TYPE65280 \\# 0\n"), "{text}");
}
