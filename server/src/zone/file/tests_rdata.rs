//! Tests of the RDATA parsers and formatters: every type round-trips
//! (parse → format → parse gives the same wire), the RFC 3597 generic form
//! of each gives the same wire, and known wire vectors from the RFCs.

use super::*;
use crate::wire::name::from_dotted;
use crate::wire::rtype::{self, *};

fn origin() -> Vec<u8> {
    from_dotted("example.com").unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Parses, formats, re-parses; checks the generic form too. Returns the wire.
fn round_trip(t: u16, text: &str) -> Vec<u8> {
    let o = origin();
    let wire = parse_rdata(t, text, &o).unwrap_or_else(|e| panic!("{} {text:?}: {e}", TypeName(t)));
    let shown = format_rdata(t, &wire);
    assert!(!shown.starts_with("\\#"), "{} {text:?} formatted generically: {shown}", TypeName(t));
    let again = parse_rdata(t, &shown, b"\x05other\x00").unwrap_or_else(|e| panic!("{shown:?}: {e}"));
    assert_eq!(again, wire, "{} {text:?} -> {shown:?}", TypeName(t));
    assert_eq!(format_rdata(t, &again), shown);
    let generic = format!("\\# {} {}", wire.len(), to_hex(&wire));
    let generic = if wire.is_empty() { "\\# 0".to_string() } else { generic };
    assert_eq!(parse_rdata(t, &generic, &o).unwrap(), wire, "generic form of {} {text:?}", TypeName(t));
    wire
}

const DNSKEY_B64: &str = "AQPSKmynfzW4kyBv015MUG2DeIQ3 Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10h \
    WqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL 742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w==";

#[test]
fn every_type_round_trips() {
    let cases: &[(u16, &str)] = &[
        (A, "192.0.2.1"),
        (AAAA, "2001:db8::1"),
        (AAAA, "::ffff:192.0.2.1"),
        (NS, "ns1"),
        (CNAME, "Target.Example.NET."),
        (DNAME, "other.org."),
        (PTR, "@"),
        (MB, "mb"),
        (MG, "mg"),
        (MR, "mr"),
        (MD, "md"),
        (MF, "mf"),
        (MX, "10 mail"),
        (KX, "10 kx.example.net."),
        (AFSDB, "1 afsdb"),
        (21, "10 relay"),
        (SOA, "ns1 hostmaster.example.com. ( 2024010101 2h 1h 2w 5m )"),
        (TXT, "\"v=spf1 -all\" word \"with \\\"quote\\\" and \\\\\" \"\\010\\255\" \"\""),
        (SPF, "\"v=spf1 ~all\""),
        (HINFO, "\"KLH-10\" TOPS-20"),
        (MINFO, "rmail emailbx.example.net."),
        (RP, "louie.trantor.umd.edu. lam1.people.umd.edu."),
        (SRV, "0 5 5060 sipserver"),
        (SRV, "0 0 0 ."),
        (NAPTR, "100 10 \"\" \"\" \"!^urn:cid:.+@([^\\\\.]+\\\\.)(.*)$!\\\\2!i\" ."),
        (NAPTR, "100 10 S SIP+D2U \"\" _sip._udp"),
        (CAA, "0 issue \"ca.example.net; account=230123\""),
        (CAA, "128 tbs \"\""),
        (URI, "10 1 \"ftp://ftp1.example.com/public\""),
        (SSHFP, "2 1 123456789abcdef67890123456789abcdef67890"),
        (TLSA, "0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971"),
        (SMIMEA, "3 1 1 ( d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971 )"),
        (OPENPGPKEY, "mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2Yhvy DMXjq"),
        (DS, "60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )"),
        (CDS, "0 0 0 00"),
        (DS, "12345 ECDSAP256SHA256 2 2BB183AF5F22588179A53B0A98631FAD1A2921182BB183AF5F225881"),
        (DNSKEY, &format!("256 3 5 ( {DNSKEY_B64} )")),
        (CDNSKEY, "0 3 0 AA=="),
        (
            RRSIG,
            "A 5 3 86400 20030322173103 ( 20030220173103 2642 example.com. \
             oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o \
             B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG \
             J5D6fwFm8nN+6pBzeDQfsS3Ap3o= )",
        ),
        (RRSIG, "TYPE65280 13 2 1h 1700000000 1690000000 1 . AAAA"),
        (NSEC, "host.example.com. A MX RRSIG NSEC TYPE1234"),
        (NSEC, "next"),
        (NSEC3, "1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG )"),
        (NSEC3, "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"),
        (NSEC3PARAM, "1 0 12 aabbccdd"),
        (NSEC3PARAM, "1 0 0 -"),
        (CSYNC, "66 3 A NS AAAA"),
        (ZONEMD, "2018031900 1 1 ( c68090d90a7aed716bc459f9340e3d7c1370d4d24b7e2fc3 a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c )"),
        (CERT, "PGP 0 0 mQENBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YhvyDMXjq"),
        (CERT, "65000 1 RSASHA256 AAAA"),
        (DHCID, "( AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA= )"),
        (LOC, "42 21 54 N 71 06 18 W -24m 30m"),
        (LOC, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"),
        (LOC, "90 S 180 W 42849672.95m 90000000m 1.5m 0"),
        (SVCB, "1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEX+DQ== ipv6hint=2001:db8::1"),
        (HTTPS, "1 . mandatory=alpn alpn=\"h3\" no-default-alpn key65000=\"x y\" key9"),
        (HTTPS, "0 pool.svc"),
        (SVCB, "2 . dohpath=/dns-query{?dns} ohttp"),
    ];
    for &(t, text) in cases {
        round_trip(t, text);
    }
}

#[test]
fn known_wire_vectors() {
    assert_eq!(round_trip(A, "10.0.0.1"), hex("0A000001"));
    assert_eq!(round_trip(MX, "10 mail"), hex("000A 046D61696C 076578616D706C65 03636F6D 00"));
    assert_eq!(round_trip(TXT, "a \"b c\""), hex("0161 03622063"));
    assert_eq!(round_trip(CAA, "0 issue \"ca.net\""), hex("00 05 6973737565 63612E6E6574"));
    // RFC 4034 §4.3 bitmap: A MX RRSIG NSEC in window 0, TYPE1234 in window 4.
    let bitmap = format!("0006 400100000003 041B {} 20", "00".repeat(26));
    assert_eq!(round_trip(NSEC, "a.example. A MX RRSIG NSEC TYPE1234"), hex(&format!("0161076578616D706C6500 {bitmap}")));
    // RFC 1876 example: 42°21'54"N 71°06'18"W -24m, size 30m.
    assert_eq!(round_trip(LOC, "42 21 54 N 71 06 18 W -24m 30m"), hex("00 33 16 13 89172DD0 70BE15F0 00988D20"));
    assert_eq!(format_rdata(LOC, &hex("00 33 16 13 89172DD0 70BE15F0 00988D20")), "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m");
    assert_eq!(
        format_rdata(RRSIG, &round_trip(RRSIG, "A 8 2 300 20250101000000 1700000000 7 . AAAA")),
        "A 8 2 300 20250101000000 20231114221320 7 . AAAA"
    );
}

#[test]
fn svcb_rfc9460_appendix_d() {
    let vectors: &[(&str, &str)] = &[
        ("0 foo.example.com.", "0000 03666F6F 076578616D706C65 03636F6D 00"),
        ("1 .", "0001 00"),
        ("16 foo.example.com. port=53", "0010 03666F6F076578616D706C6503636F6D00 0003 0002 0035"),
        ("1 foo.example.com. key667=hello", "0001 03666F6F076578616D706C6503636F6D00 029B 0005 68656C6C6F"),
        ("1 foo.example.com. key667=\"hello\\210qoo\"", "0001 03666F6F076578616D706C6503636F6D00 029B 0009 68656C6C6FD2716F6F"),
        (
            "1 foo.example.com. ipv6hint=\"2001:db8::1,2001:db8::53:1\"",
            "0001 03666F6F076578616D706C6503636F6D00 0006 0020 20010DB8000000000000000000000001 20010DB8000000000000000000530001",
        ),
        (
            "16 foo.example.org. (alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1)",
            "0010 03666F6F076578616D706C65036F726700 0000 0004 0001 0004 0001 0009 026832 0568332D3139 0004 0004 C0000201",
        ),
        ("16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", "0010 03666F6F076578616D706C65036F726700 0001 000C 08665C6F6F2C626172 026832"),
        ("16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2", "0010 03666F6F076578616D706C65036F726700 0001 000C 08665C6F6F2C626172 026832"),
    ];
    for &(text, wire) in vectors {
        assert_eq!(round_trip(SVCB, text), hex(wire), "{text}");
    }
    let o = origin();
    for bad in [
        "1 foo.example.com. key123=abc key123=def",
        "1 foo.example.com. mandatory",
        "1 foo.example.com. alpn",
        "1 foo.example.com. port",
        "1 foo.example.com. mandatory=mandatory",
        "1 foo.example.com. no-default-alpn=abc",
        "1 foo.example.com. mandatory=key123",
        "1 foo.example.com. key65535",
        "1 foo.example.com. port=65536",
        "1 foo.example.com. ipv4hint=1.2.3",
    ] {
        assert!(parse_rdata(SVCB, bad, &o).is_err(), "{bad}");
    }
}

#[test]
fn generic_form_for_any_type() {
    let o = origin();
    assert_eq!(parse_rdata(A, "\\# 4 0A000001", &o).unwrap(), parse_rdata(A, "10.0.0.1", &o).unwrap());
    assert_eq!(parse_rdata(NULL, "\\# 3 ( 01 0203 )", &o).unwrap(), vec![1, 2, 3]);
    assert_eq!(format_rdata(NULL, &[1, 2, 3]), "\\# 3 010203");
    assert_eq!(format_rdata(65280, &[]), "\\# 0");
    assert_eq!(format_rdata(A, &[1, 2, 3]), "\\# 3 010203", "malformed RDATA falls back to \\#");
    assert_eq!(format_rdata(WKS, &[1]), "\\# 1 01");
    assert_eq!(parse_rdata(A, "\\# 3 0A0000", &o).unwrap_err().to_string(), "RDATA in generic form is not valid A data");
    assert_eq!(parse_rdata(65280, "\\# 2 0A0000", &o).unwrap_err().to_string(), "generic RDATA has 3 octets but its length field says 2");
    assert_eq!(parse_rdata(65280, "\\# 1", &o).unwrap_err().to_string(), "missing RDATA hex data");
    assert!(parse_rdata(65280, "\\# 1 0g", &o).unwrap_err().to_string().starts_with("bad RDATA hex data"));
    assert_eq!(
        parse_rdata(WKS, "1.2.3.4 6 ftp", &o).unwrap_err().to_string(),
        "type WKS has no presentation parser; write its RDATA in RFC 3597 generic form (\\# len hex)"
    );
    // A quoted \# is ordinary text.
    assert_eq!(parse_rdata(TXT, "\"\\#\"", &o).unwrap(), b"\x01#");
}

#[test]
fn rdata_errors_are_readable() {
    let o = origin();
    let cases: &[(u16, &str, &str)] = &[
        (A, "1.2.3", "bad IPv4 address \"1.2.3\""),
        (A, "1.2.3.256", "bad IPv4 address \"1.2.3.256\""),
        (AAAA, "2001:db8::g", "bad IPv6 address \"2001:db8::g\""),
        (MX, "x mail", "bad preference \"x\""),
        (MX, "70000 mail", "bad preference \"70000\""),
        (MX, "10", "missing exchange"),
        (NS, "a..b", "bad domain name \"a..b\": empty label in name \"a..b\""),
        (SOA, "a b 1 2 3 4", "missing minimum"),
        (CAA, "0 is-sue x", "bad CAA tag \"is-sue\": letters and digits only"),
        (DS, "1 5 1 abc", "bad digest: not hex \"abc\""),
        (DNSKEY, "256 3 5 AQPS*", "bad public key: not base64"),
        (DNSKEY, "256 3 5", "missing public key"),
        (RRSIG, "AA 5 3 1 1 1 1 . AAAA", "unknown type \"AA\""),
        (RRSIG, "A 5 3 1 20031322173103 1 1 . AAAA", "bad signature expiration \"20031322173103\""),
        (RRSIG, "A BOGUS 3 1 1 1 1 . AAAA", "bad algorithm \"BOGUS\""),
        (NSEC, "next A BOGUS", "unknown type \"BOGUS\" in type bitmap"),
        (NSEC3, "1 0 0 zz x", "bad salt \"zz\""),
        (NSEC3, "1 0 0 - WW", "bad next hashed owner name \"WW\": not base32hex"),
        (LOC, "91 N 0 E 0m", "bad latitude \"91\""),
        (LOC, "42 21 54 X 71 06 18 W 0", "bad latitude: expected N or S, found \"X\""),
        (LOC, "90 0 0.001 N 0 E 0", "latitude beyond 90 degrees"),
        (TXT, "", "missing text"),
        (A, "1.2.3.4 5", "unexpected \"5\" after the RDATA"),
        (NS, "", "missing domain name"),
        (NS, r"a\", "backslash at end of input"),
        (TXT, "\"abc", "unterminated string"),
        (TXT, r#""a\2""#, r#"bad text: bad escape "\2": \DDD needs three digits"#),
        (TXT, r"a\300", r#"bad text: bad escape "\300""#),
        (CERT, "BOGUS 1 1 AAAA", "bad certificate type \"BOGUS\""),
        (LOC, "42 N 181 E 0", "bad longitude \"181\""),
        (LOC, "42 N 71 W x", "bad altitude \"x\""),
        (LOC, "42 N 71 W 0 5000000000000", "bad size \"5000000000000\""),
        (SVCB, "1 . bogus", "bad SvcParam key \"bogus\""),
        (SVCB, "1 . alpn", "bad SvcParam \"alpn\": missing value"),
        (SVCB, "1 . no-default-alpn=abc", "bad SvcParam \"no-default-alpn\": takes no value"),
        (SVCB, "1 . mandatory=bogus", "bad SvcParam \"mandatory\": unknown key \"bogus\""),
        (SVCB, "1 . mandatory=mandatory", "bad SvcParam \"mandatory\": key \"mandatory\" not allowed or repeated"),
        (SVCB, "1 . alpn=\"h2,,h3\"", "bad SvcParam \"alpn\": empty or over-long ALPN id"),
        (SVCB, "1 . port=65536", "bad SvcParam \"port\": not a port number"),
        (SVCB, "1 . ipv4hint=1.2.3", "bad SvcParam \"ipv4hint\": bad IPv4 address \"1.2.3\""),
        (SVCB, "1 . ipv6hint=::g", "bad SvcParam \"ipv6hint\": bad IPv6 address \"::g\""),
        (SVCB, "1 . ech=***", "bad SvcParam \"ech\": not base64"),
        (SVCB, "1 . key123=abc key123=def", "duplicate SvcParam key \"key123\""),
        (SVCB, "1 . mandatory=port", "mandatory SvcParam \"port\" is missing"),
    ];
    for &(t, text, want) in cases {
        assert_eq!(parse_rdata(t, text, &o).unwrap_err().to_string(), want, "{} {text:?}", TypeName(t));
    }
    let long = "x".repeat(256);
    assert_eq!(parse_rdata(TXT, &long, &o).unwrap_err().to_string(), "bad text: character string longer than 255 octets");
    assert!(parse_rdata(TXT, &"x".repeat(255), &o).is_ok());
    let salt = format!("1 0 0 {}", "ab".repeat(256));
    assert_eq!(parse_rdata(NSEC3PARAM, &salt, &o).unwrap_err().to_string(), "salt longer than 255 octets");
}

#[test]
fn formatted_names_are_absolute_and_escaped() {
    let o = origin();
    let w = parse_rdata(CNAME, "a\\.b\\ c\\\"d\\;e", &o).unwrap();
    assert_eq!(format_rdata(CNAME, &w), "a\\.b\\032c\\\"d\\;e.example.com.");
    assert_eq!(format_rdata(NS, &[0]), ".");
    assert_eq!(format_rdata(rtype::MX, &parse_rdata(MX, "0 @", &o).unwrap()), "0 example.com.");
}

#[test]
fn errors_carry_the_field_and_the_text() {
    let o = origin();
    assert_eq!(parse_rdata(A, "1.2.3", &o).unwrap_err(), RdataError::Bad { what: "IPv4 address", text: "1.2.3".into() });
    assert_eq!(parse_rdata(MX, "10", &o).unwrap_err(), RdataError::Missing("exchange"));
    assert_eq!(
        parse_rdata(NS, "a..b", &o).unwrap_err(),
        RdataError::BadName { what: "domain name", text: "a..b".into(), source: TextError::EmptyLabel("a..b".into()) }
    );
    assert_eq!(parse_rdata(WKS, "1.2.3.4 6 ftp", &o).unwrap_err(), RdataError::NoParser(WKS));
    assert_eq!(parse_rdata(SVCB, "1 . port=x", &o).unwrap_err(), RdataError::SvcParam { key: "port".into(), source: SvcParamError::NotPort });
    assert_eq!(parse_rdata(TXT, "\"abc", &o).unwrap_err(), RdataError::Syntax("unterminated string"));
}
