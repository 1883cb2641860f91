//! Presentation format: wire RDATA → text, the inverse of [`super::rdata`],
//! and whole records as zone-file lines ([`write_records`]).
//!
//! Owns: [`Wire`], a strict cursor over uncompressed RDATA; the formatters of
//! the simple types; the dispatch to the DNSSEC, SVCB and LOC formatters; and
//! the RFC 3597 `\# len hex` fallback for types without a formatter or RDATA
//! that does not decode.
//! Must not: emit text that the reader would parse back differently. Names
//! are always absolute and escaped, strings always quoted.

use super::{codec, loc, rdata_dnssec as dnssec, svcb};
use crate::wire::name::{MAX_LABEL_LEN, MAX_NAME_LEN};
use crate::wire::rtype::{self, TypeName};
use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Strict cursor over RDATA: every read fails (`None`) past the end.
pub(super) struct Wire<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Wire<'a> {
    /// A cursor at the start of `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Self { b, pos: 0 }
    }

    /// True when every octet has been read.
    pub fn done(&self) -> bool {
        self.pos == self.b.len()
    }

    /// The next `n` octets.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(s)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.pos..];
        self.pos = self.b.len();
        s
    }

    /// One octet.
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    /// A big-endian 16-bit field.
    pub fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian 32-bit field.
    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An uncompressed name, validated (label and name limits, no pointers).
    pub fn name(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        loop {
            let l = self.u8()? as usize;
            if l > MAX_LABEL_LEN || self.pos - start + l > MAX_NAME_LEN {
                return None;
            }
            if l == 0 {
                return Some(&self.b[start..self.pos]);
            }
            self.bytes(l)?;
        }
    }

    /// A `<character-string>`'s content.
    pub fn charstr(&mut self) -> Option<&'a [u8]> {
        let l = self.u8()? as usize;
        self.bytes(l)
    }
}

/// Appends ` name.` (absolute, escaped) for the next name in `w`.
pub(super) fn put_name(w: &mut Wire<'_>, out: &mut String) -> Option<()> {
    let n = w.name()?;
    out.push(' ');
    push_name(n, out);
    Some(())
}

/// Appends wire name `w` in presentation form, absolute and escaped: the
/// same text as [`DisplayName`](crate::wire::name::DisplayName), pushed
/// octet by octet instead of through `fmt` (a saved zone writes a million).
pub(super) fn push_name(w: &[u8], out: &mut String) {
    if w.first().copied().unwrap_or(0) == 0 {
        out.push('.');
        return;
    }
    let mut pos = 0;
    while pos < w.len() && w[pos] != 0 {
        let l = w[pos] as usize;
        for &b in &w[pos + 1..(pos + 1 + l).min(w.len())] {
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    out.push('\\');
                    out.push(b as char);
                }
                0x21..=0x7E => out.push(b as char),
                _ => push_decimal_escape(b, out),
            }
        }
        out.push('.');
        pos += 1 + l;
    }
}

/// Appends `\DDD` for octet `b`.
fn push_decimal_escape(b: u8, out: &mut String) {
    out.push('\\');
    out.push((b'0' + b / 100) as char);
    out.push((b'0' + b / 10 % 10) as char);
    out.push((b'0' + b % 10) as char);
}

/// Appends ` "text"` with `"`, `\` and non-printable octets escaped.
pub(super) fn put_quoted(b: &[u8], out: &mut String) {
    out.push_str(" \"");
    put_escaped(b, out);
    out.push('"');
}

/// Appends `b` escaped for use inside a quoted string.
pub(super) fn put_escaped(b: &[u8], out: &mut String) {
    for &c in b {
        match c {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7E => out.push(c as char),
            _ => {
                let _ = write!(out, "\\{c:03}");
            }
        }
    }
}

/// Appends ` {v}` for a number.
pub(super) fn put_num(v: impl std::fmt::Display, out: &mut String) {
    let _ = write!(out, " {v}");
}

/// Appends ` HEX`, or nothing when `b` is empty.
fn put_hex(b: &[u8], out: &mut String) -> Option<()> {
    if b.is_empty() {
        return None;
    }
    out.push(' ');
    codec::hex_encode(b, out);
    Some(())
}

/// Appends ` BASE64`; `None` when `b` is empty (the parser requires data).
pub(super) fn put_base64(b: &[u8], out: &mut String) -> Option<()> {
    if b.is_empty() {
        return None;
    }
    out.push(' ');
    codec::base64_encode(b, out);
    Some(())
}

/// Appends ` HEX` of every remaining octet; `None` when there are none.
pub(super) fn put_hex_rest(w: &mut Wire<'_>, out: &mut String) -> Option<()> {
    put_hex(w.rest(), out)
}

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
