//! Writing presentation text, the pieces every type's formatter uses: a
//! strict cursor over RDATA ([`Wire`]), names, quoted and escaped strings,
//! numbers, hex and base64.
//!
//! Owns: the escaping rules of RFC 1035 §5.1 on output. Must not: know any
//! record type (`present`, `loc`, `svcb`, `rdata_dnssec` do).

use super::codec;
use crate::wire::name::{MAX_LABEL_LEN, MAX_NAME_LEN};
use std::fmt::Write;

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
