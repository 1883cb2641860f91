//! DNSSEC and key-material RDATA in presentation form, both directions:
//! DS/CDS, DNSKEY/CDNSKEY, RRSIG (RFC 4034, RFC 7344), NSEC (RFC 4034 §4),
//! NSEC3/NSEC3PARAM (RFC 5155 §3.3, §4.3), CSYNC (RFC 7477), ZONEMD
//! (RFC 8976), CERT (RFC 4398) and DHCID (RFC 4701), with the helpers they
//! share: algorithm mnemonics, RRSIG timestamps and type bitmaps.
//!
//! Must not: validate signatures or digests; this is syntax only.

use super::codec;
use super::error::RdataError;
use super::put::{put_base64, put_hex_rest, put_name, put_num, Wire};
use super::text::{bad, parse_decimal, parse_type, show, Fields};
use super::text::{base64_rest, hex_rest};
use crate::wire::rtype::{self, TypeName};
use std::fmt::Write;

/// True for the types this module parses and formats.
pub(super) fn handles(t: u16) -> bool {
    use rtype::*;
    matches!(t, DS | CDS | DNSKEY | CDNSKEY | RRSIG | NSEC | NSEC3 | NSEC3PARAM | CSYNC | ZONEMD | CERT | DHCID)
}

/// DNSSEC algorithm mnemonics (IANA "DNS Security Algorithm Numbers").
const ALGORITHMS: &[(&str, u8)] = &[
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("INDIRECT", 252),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

/// CERT type mnemonics (RFC 4398 §2.1).
const CERT_TYPES: &[(&str, u16)] =
    &[("PKIX", 1), ("SPKI", 2), ("PGP", 3), ("IPKIX", 4), ("ISPKI", 5), ("IPGP", 6), ("ACPKIX", 7), ("IACPKIX", 8), ("URI", 253), ("OID", 254)];

fn algorithm(f: &mut Fields<'_>) -> Result<u8, RdataError> {
    let b = f.next("algorithm")?;
    parse_decimal(b, 255)
        .map(|v| v as u8)
        .or_else(|| ALGORITHMS.iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(b)).map(|a| a.1))
        .ok_or_else(|| bad("algorithm", b))
}

/// Parses the RDATA of DNSSEC type `t`.
pub(super) fn parse(t: u16, f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    use rtype::*;
    match t {
        DS | CDS => {
            out.extend_from_slice(&f.u16("key tag")?.to_be_bytes());
            out.push(algorithm(f)?);
            out.push(f.u8("digest type")?);
            hex_rest(f, "digest", out)?;
        }
        DNSKEY | CDNSKEY => {
            out.extend_from_slice(&f.u16("flags")?.to_be_bytes());
            out.push(f.u8("protocol")?);
            out.push(algorithm(f)?);
            base64_rest(f, "public key", out)?;
        }
        RRSIG => {
            let b = f.next("type covered")?;
            let covered = parse_type(b).ok_or_else(|| RdataError::UnknownType(show(b)))?;
            out.extend_from_slice(&covered.to_be_bytes());
            out.push(algorithm(f)?);
            out.push(f.u8("labels")?);
            out.extend_from_slice(&f.ttl("original TTL")?.to_be_bytes());
            for what in ["signature expiration", "signature inception"] {
                let b = f.next(what)?;
                let v = parse_time(b).ok_or_else(|| bad(what, b))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            out.extend_from_slice(&f.u16("key tag")?.to_be_bytes());
            f.name("signer's name", out)?;
            base64_rest(f, "signature", out)?;
        }
        NSEC => {
            f.name("next domain name", out)?;
            parse_bitmap(f, out)?;
        }
        NSEC3 | NSEC3PARAM => {
            out.push(f.u8("hash algorithm")?);
            out.push(f.u8("flags")?);
            out.extend_from_slice(&f.u16("iterations")?.to_be_bytes());
            let salt = f.next("salt")?;
            let at = out.len();
            out.push(0);
            if salt != b"-" {
                codec::hex_decode(salt, out).ok_or_else(|| bad("salt", salt))?;
            }
            out[at] = u8::try_from(out.len() - at - 1).map_err(|_| RdataError::SaltTooLong)?;
            if t == NSEC3 {
                let next = f.next("next hashed owner name")?;
                let at = out.len();
                out.push(0);
                codec::base32hex_decode(next, out)
                    .filter(|_| out.len() > at + 1 && out.len() - at - 1 <= 255)
                    .ok_or_else(|| RdataError::NotBase32hex { what: "next hashed owner name", text: show(next) })?;
                out[at] = (out.len() - at - 1) as u8;
                parse_bitmap(f, out)?;
            }
        }
        CSYNC => {
            out.extend_from_slice(&f.u32("SOA serial")?.to_be_bytes());
            out.extend_from_slice(&f.u16("flags")?.to_be_bytes());
            parse_bitmap(f, out)?;
        }
        ZONEMD => {
            out.extend_from_slice(&f.u32("serial")?.to_be_bytes());
            out.push(f.u8("scheme")?);
            out.push(f.u8("hash algorithm")?);
            hex_rest(f, "digest", out)?;
        }
        CERT => {
            let b = f.next("certificate type")?;
            let ct = parse_decimal(b, u16::MAX as u64)
                .map(|v| v as u16)
                .or_else(|| CERT_TYPES.iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(b)).map(|c| c.1))
                .ok_or_else(|| bad("certificate type", b))?;
            out.extend_from_slice(&ct.to_be_bytes());
            out.extend_from_slice(&f.u16("key tag")?.to_be_bytes());
            out.push(algorithm(f)?);
            base64_rest(f, "certificate", out)?;
        }
        DHCID => base64_rest(f, "DHCID data", out)?,
        _ => unreachable!("dnssec::parse called for a type it does not handle"),
    }
    Ok(())
}

/// Formats the RDATA of DNSSEC type `t`.
pub(super) fn format(t: u16, w: &mut Wire<'_>, out: &mut String) -> Option<()> {
    use rtype::*;
    match t {
        DS | CDS => {
            put_num(w.u16()?, out);
            put_num(w.u8()?, out);
            put_num(w.u8()?, out);
            put_hex_rest(w, out)?;
        }
        DNSKEY | CDNSKEY => {
            put_num(w.u16()?, out);
            put_num(w.u8()?, out);
            put_num(w.u8()?, out);
            put_base64(w.rest(), out)?;
        }
        RRSIG => {
            let _ = write!(out, " {}", TypeName(w.u16()?));
            put_num(w.u8()?, out);
            put_num(w.u8()?, out);
            put_num(w.u32()?, out);
            put_time(w.u32()?, out);
            put_time(w.u32()?, out);
            put_num(w.u16()?, out);
            put_name(w, out)?;
            put_base64(w.rest(), out)?;
        }
        NSEC => {
            put_name(w, out)?;
            put_bitmap(w.rest(), out)?;
        }
        NSEC3 | NSEC3PARAM => {
            put_num(w.u8()?, out);
            put_num(w.u8()?, out);
            put_num(w.u16()?, out);
            let salt = w.charstr()?;
            if salt.is_empty() {
                out.push_str(" -");
            } else {
                out.push(' ');
                codec::hex_encode(salt, out);
            }
            if t == NSEC3 {
                let next = w.charstr()?;
                if next.is_empty() {
                    return None;
                }
                out.push(' ');
                codec::base32hex_encode(next, out);
                put_bitmap(w.rest(), out)?;
            }
        }
        CSYNC => {
            put_num(w.u32()?, out);
            put_num(w.u16()?, out);
            put_bitmap(w.rest(), out)?;
        }
        ZONEMD => {
            put_num(w.u32()?, out);
            put_num(w.u8()?, out);
            put_num(w.u8()?, out);
            put_hex_rest(w, out)?;
        }
        CERT => {
            put_num(w.u16()?, out);
            put_num(w.u16()?, out);
            put_num(w.u8()?, out);
            put_base64(w.rest(), out)?;
        }
        DHCID => put_base64(w.rest(), out)?,
        _ => return None,
    }
    Some(())
}

/// Type bitmap from the remaining tokens (RFC 4034 §4.1.2): window blocks in
/// increasing order, each without trailing zero octets.
fn parse_bitmap(f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let mut types = Vec::new();
    while !f.is_done() {
        let b = f.next("type")?;
        types.push(parse_type(b).ok_or_else(|| RdataError::UnknownBitmapType(show(b)))?);
    }
    types.sort_unstable();
    types.dedup();
    let mut i = 0;
    while i < types.len() {
        let window = (types[i] >> 8) as u8;
        let mut bits = [0u8; 32];
        let mut len = 0;
        while i < types.len() && (types[i] >> 8) as u8 == window {
            let low = (types[i] & 0xFF) as usize;
            bits[low / 8] |= 0x80 >> (low % 8);
            len = low / 8 + 1;
            i += 1;
        }
        out.push(window);
        out.push(len as u8);
        out.extend_from_slice(&bits[..len]);
    }
    Ok(())
}

/// Appends ` TYPE…` for each type in a canonical bitmap; `None` otherwise.
fn put_bitmap(mut b: &[u8], out: &mut String) -> Option<()> {
    let mut last_window: Option<u8> = None;
    while !b.is_empty() {
        let (window, len) = (b[0], *b.get(1)? as usize);
        if last_window.is_some_and(|w| w >= window) || !(1..=32).contains(&len) {
            return None;
        }
        let bits = b.get(2..2 + len)?;
        if bits[len - 1] == 0 {
            return None;
        }
        for (byte, &v) in bits.iter().enumerate() {
            for bit in 0..8 {
                if v & (0x80 >> bit) != 0 {
                    let _ = write!(out, " {}", TypeName((window as u16) << 8 | (byte * 8 + bit) as u16));
                }
            }
        }
        last_window = Some(window);
        b = &b[2 + len..];
    }
    Some(())
}

/// An RRSIG time (RFC 4034 §3.2): `YYYYMMDDHHmmSS` in UTC, or seconds since
/// the epoch. Dates past 2106 wrap modulo 2^32 (serial arithmetic, RFC 1982).
pub(super) fn parse_time(b: &[u8]) -> Option<u32> {
    if b.len() != 14 {
        return parse_decimal(b, u32::MAX as u64).map(|v| v as u32);
    }
    let n = |r: std::ops::Range<usize>| parse_decimal(&b[r], 9999);
    let (y, mo, d) = (n(0..4)? as i64, n(4..6)? as u32, n(6..8)? as u32);
    let (h, mi, s) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if y < 1970 || !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + (h * 3600 + mi * 60 + s) as i64;
    Some(secs as u64 as u32)
}

/// Appends ` YYYYMMDDHHmmSS` for seconds since the epoch.
fn put_time(v: u32, out: &mut String) {
    let days = (v / 86_400) as i64;
    let rem = v % 86_400;
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, " {y:04}{m:02}{d:02}{:02}{:02}{:02}", rem / 3600, rem / 60 % 60, rem % 60);
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = ((m + 9) % 12) as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrsig_times() {
        assert_eq!(parse_time(b"19700101000000"), Some(0));
        assert_eq!(parse_time(b"20240229120000"), Some(1_709_208_000));
        assert_eq!(parse_time(b"20230229120000"), None);
        assert_eq!(parse_time(b"1709208000"), Some(1_709_208_000));
        assert_eq!(parse_time(b"21060207062816"), Some(0)); // 2^32 s wraps
        let mut s = String::new();
        put_time(1_709_208_000, &mut s);
        assert_eq!(s, " 20240229120000");
        for v in [0u32, 59, 86_399, 951_782_400, u32::MAX] {
            let mut s = String::new();
            put_time(v, &mut s);
            assert_eq!(parse_time(s.trim().as_bytes()), Some(v), "{s}");
        }
    }
}
