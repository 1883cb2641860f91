//! Resource record type numbers (IANA catalog) and their mnemonics.
//!
//! Owns: the numeric constants, the mnemonic table used by the zone-file reader
//! and writer, and per-type wire facts (which RDATA names may be compressed,
//! which hold names that additional-section processing follows).

#![allow(missing_docs)]

pub const A: u16 = 1;
pub const NS: u16 = 2;
pub const MD: u16 = 3;
pub const MF: u16 = 4;
pub const CNAME: u16 = 5;
pub const SOA: u16 = 6;
pub const MB: u16 = 7;
pub const MG: u16 = 8;
pub const MR: u16 = 9;
pub const NULL: u16 = 10;
pub const WKS: u16 = 11;
pub const PTR: u16 = 12;
pub const HINFO: u16 = 13;
pub const MINFO: u16 = 14;
pub const MX: u16 = 15;
pub const TXT: u16 = 16;
pub const RP: u16 = 17;
pub const AFSDB: u16 = 18;
pub const AAAA: u16 = 28;
pub const LOC: u16 = 29;
pub const SRV: u16 = 33;
pub const NAPTR: u16 = 35;
pub const KX: u16 = 36;
pub const CERT: u16 = 37;
pub const DNAME: u16 = 39;
pub const OPT: u16 = 41;
pub const APL: u16 = 42;
pub const DS: u16 = 43;
pub const SSHFP: u16 = 44;
pub const IPSECKEY: u16 = 45;
pub const RRSIG: u16 = 46;
pub const NSEC: u16 = 47;
pub const DNSKEY: u16 = 48;
pub const DHCID: u16 = 49;
pub const NSEC3: u16 = 50;
pub const NSEC3PARAM: u16 = 51;
pub const TLSA: u16 = 52;
pub const SMIMEA: u16 = 53;
pub const HIP: u16 = 55;
pub const CDS: u16 = 59;
pub const CDNSKEY: u16 = 60;
pub const OPENPGPKEY: u16 = 61;
pub const CSYNC: u16 = 62;
pub const ZONEMD: u16 = 63;
pub const SVCB: u16 = 64;
pub const HTTPS: u16 = 65;
pub const SPF: u16 = 99;
pub const NID: u16 = 104;
pub const L32: u16 = 105;
pub const L64: u16 = 106;
pub const LP: u16 = 107;
pub const EUI48: u16 = 108;
pub const EUI64: u16 = 109;
pub const TKEY: u16 = 249;
pub const TSIG: u16 = 250;
pub const IXFR: u16 = 251;
pub const AXFR: u16 = 252;
pub const MAILB: u16 = 253;
pub const MAILA: u16 = 254;
pub const ANY: u16 = 255;
pub const URI: u16 = 256;
pub const CAA: u16 = 257;

/// Mnemonic ↔ number for the types the zone-file reader knows by name.
pub const NAMES: &[(&str, u16)] = &[
    ("A", A),
    ("NS", NS),
    ("MD", MD),
    ("MF", MF),
    ("CNAME", CNAME),
    ("SOA", SOA),
    ("MB", MB),
    ("MG", MG),
    ("MR", MR),
    ("NULL", NULL),
    ("WKS", WKS),
    ("PTR", PTR),
    ("HINFO", HINFO),
    ("MINFO", MINFO),
    ("MX", MX),
    ("TXT", TXT),
    ("RP", RP),
    ("AFSDB", AFSDB),
    ("AAAA", AAAA),
    ("LOC", LOC),
    ("SRV", SRV),
    ("NAPTR", NAPTR),
    ("KX", KX),
    ("CERT", CERT),
    ("DNAME", DNAME),
    ("OPT", OPT),
    ("APL", APL),
    ("DS", DS),
    ("SSHFP", SSHFP),
    ("IPSECKEY", IPSECKEY),
    ("RRSIG", RRSIG),
    ("NSEC", NSEC),
    ("DNSKEY", DNSKEY),
    ("DHCID", DHCID),
    ("NSEC3", NSEC3),
    ("NSEC3PARAM", NSEC3PARAM),
    ("TLSA", TLSA),
    ("SMIMEA", SMIMEA),
    ("HIP", HIP),
    ("CDS", CDS),
    ("CDNSKEY", CDNSKEY),
    ("OPENPGPKEY", OPENPGPKEY),
    ("CSYNC", CSYNC),
    ("ZONEMD", ZONEMD),
    ("SVCB", SVCB),
    ("HTTPS", HTTPS),
    ("SPF", SPF),
    ("NID", NID),
    ("L32", L32),
    ("L64", L64),
    ("LP", LP),
    ("EUI48", EUI48),
    ("EUI64", EUI64),
    ("TKEY", TKEY),
    ("TSIG", TSIG),
    ("IXFR", IXFR),
    ("AXFR", AXFR),
    ("MAILB", MAILB),
    ("MAILA", MAILA),
    ("ANY", ANY),
    ("URI", URI),
    ("CAA", CAA),
];

/// The type number for a mnemonic or `TYPEnnn` (RFC 3597 §5), case-insensitively.
pub fn from_name(s: &str) -> Option<u16> {
    if s.len() > 4 && s.is_char_boundary(4) && s[..4].eq_ignore_ascii_case("TYPE") {
        return s[4..].parse().ok();
    }
    NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)).map(|&(_, t)| t)
}

/// Writes the mnemonic of `t`, or `TYPEnnn` for types without one.
pub struct TypeName(pub u16);

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match NAMES.iter().find(|&&(_, t)| t == self.0) {
            Some((n, _)) => f.write_str(n),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

/// Meta and question-only types that never appear as zone data (RFC 6895 §3.1).
#[inline]
pub fn is_meta(t: u16) -> bool {
    matches!(t, OPT | TKEY | TSIG | IXFR | AXFR | MAILB | MAILA | ANY) || (128..=255).contains(&t)
}

/// Offset within the RDATA of a domain name that additional-section processing
/// follows (RFC 1035 §3.3, RFC 2782): NS and MX targets, SRV targets.
#[inline]
pub fn additional_name_offset(t: u16) -> Option<usize> {
    match t {
        NS => Some(0),
        MX => Some(2),
        SRV => Some(6),
        _ => None,
    }
}
