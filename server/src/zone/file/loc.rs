//! LOC RDATA (RFC 1876) in presentation form, both directions.
//!
//! Text: `d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [size[m] [hp[m] [vp[m]]]]`.
//! Wire: version 0, size, horizontal and vertical precision (each a
//! base-and-power-of-ten octet, in centimetres), latitude and longitude in
//! thousandths of an arc second offset by 2^31, altitude in centimetres above
//! 100 000 m below the WGS 84 reference spheroid.
//!
//! Must not: accept a version other than 0 (RFC 1876 §2 defines no other).

use super::error::RdataError;
use super::put::Wire;
use super::text::{bad, show, Fields};
use std::fmt::Write;

const EQUATOR: i64 = 1 << 31;
/// Altitude offset: the wire counts from 100 000 m below the spheroid (in cm).
const ALT_BASE: i64 = 10_000_000;
/// Largest size or precision: 9 × 10^9 cm (RFC 1876 §3).
const MAX_PREC_CM: i64 = 9_000_000_000;

/// Parses LOC fields into the 16-octet wire form.
pub(super) fn parse(f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let lat = coordinate(f, "latitude", 90, [b'N', b'S'])?;
    let lon = coordinate(f, "longitude", 180, [b'E', b'W'])?;
    let b = f.next("altitude")?;
    let alt = meters(b).filter(|&cm| (-ALT_BASE..=u32::MAX as i64 - ALT_BASE).contains(&cm)).ok_or_else(|| bad("altitude", b))?;
    let mut prec = [0x12u8, 0x16, 0x13]; // 1 m, 10 000 m, 10 m (RFC 1876 §3)
    for (i, what) in ["size", "horizontal precision", "vertical precision"].into_iter().enumerate() {
        let Some(b) = f.peek() else { break };
        f.next(what)?;
        let cm = meters(b).filter(|&cm| (0..=MAX_PREC_CM).contains(&cm)).ok_or_else(|| bad(what, b))?;
        prec[i] = encode_prec(cm);
    }
    out.push(0);
    out.extend_from_slice(&prec);
    out.extend_from_slice(&(lat as u32).to_be_bytes());
    out.extend_from_slice(&(lon as u32).to_be_bytes());
    out.extend_from_slice(&((alt + ALT_BASE) as u32).to_be_bytes());
    Ok(())
}

/// `deg [min [sec]] H` → wire value (2^31 ± thousandths of an arc second).
fn coordinate(f: &mut Fields<'_>, what: &'static str, max_deg: i64, hemi: [u8; 2]) -> Result<i64, RdataError> {
    let is_hemi = |b: &[u8]| b.len() == 1 && hemi.contains(&b[0].to_ascii_uppercase());
    let b = f.next(what)?;
    let deg = super::text::parse_decimal(b, max_deg as u64).ok_or_else(|| bad(what, b))? as i64;
    let mut thousandths = deg * 3_600_000;
    let mut b = f.next(what)?;
    if !is_hemi(b) {
        let min = super::text::parse_decimal(b, 59).ok_or_else(|| bad(what, b))? as i64;
        thousandths += min * 60_000;
        b = f.next(what)?;
        if !is_hemi(b) {
            let ms = fixed(b, 3).filter(|&v| (0..60_000).contains(&v)).ok_or_else(|| bad(what, b))?;
            thousandths += ms;
            b = f.next(what)?;
        }
    }
    if !is_hemi(b) {
        return Err(RdataError::Hemisphere { what, expected: [hemi[0] as char, hemi[1] as char], found: show(b) });
    }
    if thousandths > max_deg * 3_600_000 {
        return Err(RdataError::Beyond { what, max_deg });
    }
    let south_or_west = b[0].to_ascii_uppercase() == hemi[1];
    Ok(if south_or_west { EQUATOR - thousandths } else { EQUATOR + thousandths })
}

/// A decimal with at most `digits` fraction digits, scaled by 10^digits.
fn fixed(b: &[u8], digits: u32) -> Option<i64> {
    let (neg, b) = match b.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, b),
    };
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(p) => (&b[..p], &b[p + 1..]),
        None => (b, &b""[..]),
    };
    if int.is_empty() || frac.len() > digits as usize || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v = super::text::parse_decimal(int, 100_000_000_000)? as i64;
    for i in 0..digits as usize {
        v = v * 10 + frac.get(i).map_or(0, |&c| (c - b'0') as i64);
    }
    Some(if neg { -v } else { v })
}

/// Metres with an optional `m` suffix → centimetres.
fn meters(b: &[u8]) -> Option<i64> {
    let b = b.strip_suffix(b"m").or_else(|| b.strip_suffix(b"M")).unwrap_or(b);
    fixed(b, 2)
}

/// Centimetres → base/exponent octet, truncating like RFC 1876 Appendix A.
fn encode_prec(cm: i64) -> u8 {
    let (mut m, mut e) = (cm, 0u8);
    while m >= 10 && e < 9 {
        m /= 10;
        e += 1;
    }
    (m as u8) << 4 | e
}

/// Base/exponent octet → centimetres; `None` for digits above 9.
fn decode_prec(v: u8) -> Option<i64> {
    let (m, e) = (v >> 4, v & 15);
    (m <= 9 && e <= 9).then(|| m as i64 * 10i64.pow(e as u32))
}

fn put_meters(cm: i64, out: &mut String) {
    let sign = if cm < 0 { "-" } else { "" };
    let _ = write!(out, " {sign}{}.{:02}m", cm.abs() / 100, cm.abs() % 100);
}

fn put_coordinate(v: u32, max_deg: i64, hemi: [char; 2], out: &mut String) -> Option<()> {
    let off = v as i64 - EQUATOR;
    let abs = off.abs();
    if abs > max_deg * 3_600_000 {
        return None;
    }
    let h = if off < 0 { hemi[1] } else { hemi[0] };
    let secs = abs / 1000;
    let _ = write!(out, " {} {} {}.{:03} {h}", secs / 3600, secs / 60 % 60, secs % 60, abs % 1000);
    Some(())
}

/// Formats LOC wire RDATA.
pub(super) fn format(w: &mut Wire<'_>, out: &mut String) -> Option<()> {
    if w.u8()? != 0 {
        return None;
    }
    let prec = [decode_prec(w.u8()?)?, decode_prec(w.u8()?)?, decode_prec(w.u8()?)?];
    put_coordinate(w.u32()?, 90, ['N', 'S'], out)?;
    put_coordinate(w.u32()?, 180, ['E', 'W'], out)?;
    put_meters(w.u32()? as i64 - ALT_BASE, out);
    for cm in prec {
        put_meters(cm, out);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_octets() {
        assert_eq!(encode_prec(100), 0x12);
        assert_eq!(encode_prec(1_000_000), 0x16);
        assert_eq!(encode_prec(1200), 0x13);
        assert_eq!(encode_prec(0), 0x00);
        assert_eq!(encode_prec(MAX_PREC_CM), 0x99);
        assert_eq!(decode_prec(0x16), Some(1_000_000));
        assert_eq!(decode_prec(0xA0), None);
        assert_eq!(fixed(b"-2.5", 2), Some(-250));
        assert_eq!(fixed(b"23.123", 3), Some(23_123));
        assert_eq!(fixed(b"1.234", 2), None);
    }
}
