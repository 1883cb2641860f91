//! Presentation-format primitives shared by the record reader and the RDATA
//! parsers: domain names with `\DDD`/`\X` escapes (RFC 1035 §5.1, RFC 4343),
//! character-strings, decimal numbers, TTLs with units, type and class
//! mnemonics, and [`Fields`], the cursor over the tokens of one RDATA.
//!
//! Must not: allocate per token on the common path. Names and strings are
//! decoded straight into the caller's output buffer.

use super::codec;
use super::error::{RdataError, TextError};
use super::lexer::Tok;
use crate::wire::name::{MAX_LABEL_LEN, MAX_NAME_LEN};
use crate::wire::rtype;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A token for an error message.
pub(super) fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `bad {what} "{token}"`: a field that is not what it should be.
pub(super) fn bad(what: &'static str, b: &[u8]) -> RdataError {
    RdataError::Bad { what, text: show(b) }
}

/// Decodes the escape whose backslash is at `b[i]`: returns the byte and the
/// index just past the escape.
fn unescape(b: &[u8], i: usize) -> Result<(u8, usize), TextError> {
    let Some(&c) = b.get(i + 1) else {
        return Err(TextError::EscapeAtEnd);
    };
    if !c.is_ascii_digit() {
        return Ok((c, i + 2));
    }
    match b.get(i + 1..i + 4) {
        Some(d) if d.iter().all(u8::is_ascii_digit) => {
            let v = (d[0] - b'0') as u32 * 100 + (d[1] - b'0') as u32 * 10 + (d[2] - b'0') as u32;
            u8::try_from(v).map(|v| (v, i + 4)).map_err(|_| TextError::EscapeTooLarge(show(d)))
        }
        _ => Err(TextError::EscapeShort(show(&b[i..b.len().min(i + 4)]))),
    }
}

/// Appends the wire form of the presentation name `b` to `out`; a relative
/// name (no trailing dot) is completed with `origin` (lowercase wire), `@`
/// is the origin itself. Case is kept.
pub(super) fn parse_name(b: &[u8], origin: &[u8], out: &mut Vec<u8>) -> Result<(), TextError> {
    let start = out.len();
    match b {
        b"@" => {
            out.extend_from_slice(origin);
            return Ok(());
        }
        b"." => {
            out.push(0);
            return Ok(());
        }
        b"" => return Err(TextError::EmptyName),
        _ => {}
    }
    let mut label_at = out.len();
    out.push(0);
    let mut label_len = 0usize;
    let mut absolute = false;
    let mut i = 0;
    while i < b.len() {
        let byte = match b[i] {
            b'.' => {
                if label_len == 0 {
                    return Err(TextError::EmptyLabel(show(b)));
                }
                out[label_at] = label_len as u8;
                i += 1;
                if i == b.len() {
                    absolute = true;
                    break;
                }
                label_at = out.len();
                out.push(0);
                label_len = 0;
                continue;
            }
            b'\\' => {
                let (v, next) = unescape(b, i)?;
                i = next;
                v
            }
            c => {
                i += 1;
                c
            }
        };
        if label_len == MAX_LABEL_LEN {
            return Err(TextError::LabelTooLong);
        }
        out.push(byte);
        label_len += 1;
    }
    if absolute {
        out.push(0);
    } else {
        out[label_at] = label_len as u8;
        out.extend_from_slice(origin);
    }
    if out.len() - start > MAX_NAME_LEN {
        return Err(TextError::NameTooLong);
    }
    Ok(())
}

/// Decodes the escapes of a character-string token into `out` (no length octet).
pub(super) fn unescape_into(b: &[u8], out: &mut Vec<u8>) -> Result<(), TextError> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let (v, next) = unescape(b, i)?;
            out.push(v);
            i = next;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(())
}

/// Appends a `<character-string>` (length octet, then the bytes) to `out`.
pub(super) fn parse_charstr(b: &[u8], out: &mut Vec<u8>) -> Result<(), TextError> {
    let at = out.len();
    out.push(0);
    unescape_into(b, out)?;
    let len = out.len() - at - 1;
    if len > 255 {
        return Err(TextError::CharStrTooLong);
    }
    out[at] = len as u8;
    Ok(())
}

/// A decimal number no larger than `max`.
pub(super) fn parse_decimal(b: &[u8], max: u64) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    (v <= max).then_some(v)
}

/// A TTL: plain seconds, or units `s m h d w` in any case (`1h30m`, `2D`).
/// A trailing number without a unit counts as seconds.
pub(super) fn parse_ttl(b: &[u8]) -> Option<u32> {
    if let Some(v) = parse_decimal(b, u32::MAX as u64) {
        return Some(v as u32);
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for &c in b {
        if c.is_ascii_digit() {
            num = Some(num.unwrap_or(0).checked_mul(10)?.checked_add((c - b'0') as u64)?);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86_400,
            b'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(num.take()?.checked_mul(mult)?)?;
    }
    total = total.checked_add(num.unwrap_or(0))?;
    if b.is_empty() || total > u32::MAX as u64 {
        return None;
    }
    Some(total as u32)
}

/// A type mnemonic or `TYPEnnn` (RFC 3597 §5), case-insensitively.
pub(super) fn parse_type(b: &[u8]) -> Option<u16> {
    if b.len() > 4 && b[..4].eq_ignore_ascii_case(b"TYPE") {
        return parse_decimal(&b[4..], u16::MAX as u64).map(|v| v as u16);
    }
    if b.eq_ignore_ascii_case(b"RT") {
        return Some(21); // RFC 1183 §3.3; not in the shared mnemonic table
    }
    rtype::NAMES.iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(b)).map(|&(_, t)| t)
}

/// A class mnemonic or `CLASSnnn` (RFC 3597 §5). `ANY` and `NONE` are left
/// out: they only occur in queries and updates, and `ANY` is also a type.
pub(super) fn parse_class(b: &[u8]) -> Option<u16> {
    if b.len() > 5 && b[..5].eq_ignore_ascii_case(b"CLASS") {
        return parse_decimal(&b[5..], u16::MAX as u64).map(|v| v as u16);
    }
    [(&b"IN"[..], 1u16), (b"CS", 2), (b"CH", 3), (b"HS", 4)].iter().find(|(n, _)| n.eq_ignore_ascii_case(b)).map(|&(_, c)| c)
}

/// Cursor over the RDATA tokens of one record.
pub(super) struct Fields<'a> {
    src: &'a [u8],
    toks: &'a [Tok],
    pos: usize,
    /// Origin for relative names in the RDATA (lowercase wire).
    pub origin: &'a [u8],
}

impl<'a> Fields<'a> {
    /// A cursor over `toks`, ranges into `src`.
    pub fn new(src: &'a [u8], toks: &'a [Tok], origin: &'a [u8]) -> Self {
        Self { src, toks, pos: 0, origin }
    }

    /// Number of tokens consumed so far (for locating an error).
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// True when every token has been consumed.
    pub fn is_done(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// The next token without consuming it.
    pub fn peek_tok(&self) -> Option<Tok> {
        self.toks.get(self.pos).copied()
    }

    /// The bytes of the next token without consuming it.
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.peek_tok().map(|t| self.bytes(t))
    }

    /// The bytes of `t`.
    pub fn bytes(&self, t: Tok) -> &'a [u8] {
        &self.src[t.start..t.end]
    }

    /// The next token; `missing {what}` when there is none.
    pub fn next_tok(&mut self, what: &'static str) -> Result<Tok, RdataError> {
        let t = self.peek_tok().ok_or(RdataError::Missing(what))?;
        self.pos += 1;
        Ok(t)
    }

    /// The bytes of the next token; `missing {what}` when there is none.
    pub fn next(&mut self, what: &'static str) -> Result<&'a [u8], RdataError> {
        let t = self.next_tok(what)?;
        Ok(self.bytes(t))
    }

    /// A decimal field no larger than `max`.
    pub fn decimal(&mut self, what: &'static str, max: u64) -> Result<u64, RdataError> {
        let b = self.next(what)?;
        parse_decimal(b, max).ok_or_else(|| bad(what, b))
    }

    /// An 8-bit decimal field.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, RdataError> {
        self.decimal(what, u8::MAX as u64).map(|v| v as u8)
    }

    /// A 16-bit decimal field.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, RdataError> {
        self.decimal(what, u16::MAX as u64).map(|v| v as u16)
    }

    /// A 32-bit decimal field.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, RdataError> {
        self.decimal(what, u32::MAX as u64).map(|v| v as u32)
    }

    /// A 32-bit time field that also accepts TTL units (SOA timers, RRSIG original TTL).
    pub fn ttl(&mut self, what: &'static str) -> Result<u32, RdataError> {
        let b = self.next(what)?;
        parse_ttl(b).ok_or_else(|| bad(what, b))
    }

    /// A domain name, appended to `out` in wire form.
    pub fn name(&mut self, what: &'static str, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let b = self.next(what)?;
        parse_name(b, self.origin, out).map_err(|source| RdataError::BadName { what, text: show(b), source })
    }

    /// A `<character-string>`, appended to `out` with its length octet.
    pub fn charstr(&mut self, what: &'static str, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let b = self.next(what)?;
        parse_charstr(b, out).map_err(|source| RdataError::BadCharStr { what, source })
    }

    /// Concatenates the unescaped bytes of every remaining token into `out`
    /// (for base64 and hex fields, which may be split by whitespace).
    pub fn rest_into(&mut self, what: &'static str, out: &mut Vec<u8>) -> Result<(), RdataError> {
        if self.is_done() {
            return Err(RdataError::Missing(what));
        }
        while let Some(t) = self.peek_tok() {
            self.pos += 1;
            unescape_into(self.bytes(t), out)?;
        }
        Ok(())
    }

    /// Fails when tokens are left over.
    /// Consumes the offending token so that the error points at its line.
    pub fn finish(&mut self) -> Result<(), RdataError> {
        match self.peek() {
            None => Ok(()),
            Some(b) => {
                self.pos += 1;
                Err(RdataError::Trailing(show(b)))
            }
        }
    }
}

/// Dotted-quad IPv4 address.
pub(super) fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// IPv6 address in any RFC 4291 §2.2 form.
pub(super) fn ipv6(b: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Hex data from every remaining token (whitespace inside is allowed).
pub(super) fn hex_rest(f: &mut Fields<'_>, what: &'static str, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let mut text = Vec::new();
    f.rest_into(what, &mut text)?;
    codec::hex_decode(&text, out).ok_or_else(|| RdataError::NotHex { what, text: show_short(&text) })
}

/// At most 40 characters of `b`, for errors about long encoded fields.
fn show_short(b: &[u8]) -> String {
    if b.len() <= 40 {
        return show(b);
    }
    format!("{}…", show(&b[..40]))
}

/// Base64 data from every remaining token (whitespace inside is allowed).
pub(super) fn base64_rest(f: &mut Fields<'_>, what: &'static str, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let mut text = Vec::new();
    f.rest_into(what, &mut text)?;
    codec::base64_decode(&text, out).ok_or(RdataError::NotBase64 { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        parse_name(s.as_bytes(), b"\x07example\x03com\x00", &mut out).map(|_| out).map_err(|e| e.to_string())
    }

    #[test]
    fn names_relative_absolute_and_escaped() {
        assert_eq!(name("www").unwrap(), b"\x03www\x07example\x03com\x00");
        assert_eq!(name("A.b.").unwrap(), b"\x01A\x01b\x00");
        assert_eq!(name("@").unwrap(), b"\x07example\x03com\x00");
        assert_eq!(name(".").unwrap(), b"\x00");
        assert_eq!(name("a\\.b.").unwrap(), b"\x03a.b\x00");
        assert_eq!(name("\\065\\ x.").unwrap(), b"\x03A x\x00");
        assert_eq!(name("a..b").unwrap_err(), "empty label in name \"a..b\"");
        assert!(name(".a").is_err());
        assert!(name("\\256.").unwrap_err().starts_with("bad escape"));
        assert!(name("\\12.").unwrap_err().starts_with("bad escape"));
        assert_eq!(name(&"x".repeat(64)).unwrap_err(), "label longer than 63 octets");
        assert!(name(&"x".repeat(63)).is_ok());
        let long = vec!["a".repeat(63); 4].join(".") + ".";
        assert_eq!(name(&long).unwrap_err(), "name longer than 255 octets");
    }

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl(b"3600"), Some(3600));
        assert_eq!(parse_ttl(b"1h30m"), Some(5400));
        assert_eq!(parse_ttl(b"2D"), Some(172_800));
        assert_eq!(parse_ttl(b"1w1d1h1m1s"), Some(694_861));
        assert_eq!(parse_ttl(b"1h30"), Some(3630));
        assert_eq!(parse_ttl(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_ttl(b"4294967296"), None);
        assert_eq!(parse_ttl(b"h"), None);
        assert_eq!(parse_ttl(b"1x"), None);
        assert_eq!(parse_ttl(b""), None);
    }

    #[test]
    fn types_and_classes() {
        assert_eq!(parse_type(b"aaaa"), Some(rtype::AAAA));
        assert_eq!(parse_type(b"TYPE65280"), Some(65280));
        assert_eq!(parse_type(b"TYPE70000"), None);
        assert_eq!(parse_type(b"AA"), None);
        assert_eq!(parse_class(b"in"), Some(1));
        assert_eq!(parse_class(b"CLASS1"), Some(1));
        assert_eq!(parse_class(b"CH"), Some(3));
        assert_eq!(parse_class(b"ANY"), None);
    }

    #[test]
    fn charstr_limits() {
        let mut out = Vec::new();
        parse_charstr(b"a\\\"b\\010", &mut out).unwrap();
        assert_eq!(out, b"\x04a\"b\n");
        out.clear();
        assert!(parse_charstr("x".repeat(256).as_bytes(), &mut out).is_err());
    }
}
