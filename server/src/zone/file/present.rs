//! Presentation format: wire RDATA → text, the inverse of [`super::rdata`],
//! and whole records as zone-file lines ([`write_records`]).
//!
//! Owns: the formatters of the simple types (on the pieces of [`super::put`]); the dispatch to the DNSSEC, SVCB and LOC formatters; and
//! the RFC 3597 `\# len hex` fallback for types without a formatter or RDATA
//! that does not decode.
//! Must not: emit text that the reader would parse back differently. Names
//! are always absolute and escaped, strings always quoted.

use super::put::{push_name, put_base64, put_hex_rest, put_name, put_num, put_quoted, Wire};
use super::{codec, loc, rdata_dnssec as dnssec, svcb};
use crate::wire::rtype::{self, TypeName};
use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Appends the presentation of `rdata` for type `t` to `out`, with a leading
/// space before each field. `None` when the type has no formatter here or the
/// RDATA does not decode as that type (then `out` holds garbage).
pub(super) fn format_known(t: u16, rdata: &[u8], out: &mut String) -> Option<()> {
    use rtype::*;
    let mut w = Wire::new(rdata);
    match t {
        A => put_num(Ipv4Addr::from(<[u8; 4]>::try_from(w.bytes(4)?).ok()?), out),
        AAAA => put_num(Ipv6Addr::from(<[u8; 16]>::try_from(w.bytes(16)?).ok()?), out),
        NS | CNAME | DNAME | PTR | MB | MG | MR | MD | MF => put_name(&mut w, out)?,
        MX | KX | AFSDB | 21 => {
            put_num(w.u16()?, out);
            put_name(&mut w, out)?;
        }
        SOA => {
            put_name(&mut w, out)?;
            put_name(&mut w, out)?;
            for _ in 0..5 {
                put_num(w.u32()?, out);
            }
        }
        TXT | SPF => {
            put_quoted(w.charstr()?, out);
            while !w.done() {
                put_quoted(w.charstr()?, out);
            }
        }
        HINFO => {
            put_quoted(w.charstr()?, out);
            put_quoted(w.charstr()?, out);
        }
        MINFO | RP => {
            put_name(&mut w, out)?;
            put_name(&mut w, out)?;
        }
        SRV => {
            for _ in 0..3 {
                put_num(w.u16()?, out);
            }
            put_name(&mut w, out)?;
        }
        NAPTR => {
            put_num(w.u16()?, out);
            put_num(w.u16()?, out);
            for _ in 0..3 {
                put_quoted(w.charstr()?, out);
            }
            put_name(&mut w, out)?;
        }
        CAA => {
            put_num(w.u8()?, out);
            let tag = w.charstr()?;
            if tag.is_empty() || !tag.iter().all(u8::is_ascii_alphanumeric) {
                return None;
            }
            out.push(' ');
            out.push_str(std::str::from_utf8(tag).ok()?);
            put_quoted(w.rest(), out);
        }
        URI => {
            put_num(w.u16()?, out);
            put_num(w.u16()?, out);
            put_quoted(w.rest(), out);
        }
        SSHFP => {
            put_num(w.u8()?, out);
            put_num(w.u8()?, out);
            put_hex_rest(&mut w, out)?;
        }
        TLSA | SMIMEA => {
            for _ in 0..3 {
                put_num(w.u8()?, out);
            }
            put_hex_rest(&mut w, out)?;
        }
        OPENPGPKEY => put_base64(w.rest(), out)?,
        LOC => loc::format(&mut w, out)?,
        SVCB | HTTPS => svcb::format(&mut w, out)?,
        t if dnssec::handles(t) => dnssec::format(t, &mut w, out)?,
        _ => return None,
    }
    w.done().then_some(())
}

/// Presentation form of `rdata` (see [`super::format_rdata`]).
pub(super) fn format_rdata(t: u16, rdata: &[u8]) -> String {
    let mut out = String::with_capacity(rdata.len() * 2 + 8);
    if format_known(t, rdata, &mut out).is_none() || out.is_empty() {
        out.clear();
        put_generic(rdata, &mut out);
    }
    // Every formatter writes a leading space before each field.
    if out.starts_with(' ') {
        out.remove(0);
    }
    out
}

/// ` \# len hex` (RFC 3597 §5).
fn put_generic(rdata: &[u8], out: &mut String) {
    let _ = write!(out, " \\# {}", rdata.len());
    if !rdata.is_empty() {
        out.push(' ');
        codec::hex_encode(rdata, out);
    }
}

/// Appends one `owner ttl IN TYPE rdata` line per record (see [`super::write_records`]).
pub(super) fn write_records<'a>(records: impl Iterator<Item = (&'a [u8], u16, u32, &'a [u8])>, out: &mut String) {
    let mut rd = String::new();
    for (owner, t, ttl, rdata) in records {
        push_record(owner, t, ttl, rdata, &mut rd, out);
    }
}

/// Appends the line `owner ttl IN TYPE rdata\n` to `out`; `rd` is scratch
/// for the RDATA (which may have to be redone in RFC 3597 form).
pub(super) fn push_record(owner: &[u8], t: u16, ttl: u32, rdata: &[u8], rd: &mut String, out: &mut String) {
    rd.clear();
    if format_known(t, rdata, rd).is_none() || rd.is_empty() {
        rd.clear();
        put_generic(rdata, rd);
    }
    push_name(owner, out);
    let _ = write!(out, " {ttl} IN {}", TypeName(t));
    out.push_str(rd);
    out.push('\n');
}
