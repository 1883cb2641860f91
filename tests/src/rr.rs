//! Resource records in presentation form, for writing expectations.
//!
//! Owns: parsing one zone-file line (`owner ttl class type rdata`) into wire
//! form, rendering a wire record back to text, and the canonical form used to
//! compare records semantically (RFC 4034 §6.2: owner and embedded names in
//! lowercase, names uncompressed). The generic RFC 3597 form `\# len hex` is
//! accepted for every type and is how types without a renderer are shown.
//!
//! Must not: depend on the server crate. The expectations are written
//! independently of the code under test.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Record type numbers used by the tests.
pub mod types {
    /// A (RFC 1035).
    pub const A: u16 = 1;
    /// NS.
    pub const NS: u16 = 2;
    /// CNAME.
    pub const CNAME: u16 = 5;
    /// SOA.
    pub const SOA: u16 = 6;
    /// PTR.
    pub const PTR: u16 = 12;
    /// HINFO.
    pub const HINFO: u16 = 13;
    /// MX.
    pub const MX: u16 = 15;
    /// TXT.
    pub const TXT: u16 = 16;
    /// AAAA (RFC 3596).
    pub const AAAA: u16 = 28;
    /// SRV (RFC 2782).
    pub const SRV: u16 = 33;
    /// NAPTR (RFC 3403).
    pub const NAPTR: u16 = 35;
    /// DNAME (RFC 6672).
    pub const DNAME: u16 = 39;
    /// OPT (RFC 6891).
    pub const OPT: u16 = 41;
    /// DS (RFC 4034).
    pub const DS: u16 = 43;
    /// TSIG (RFC 8945).
    pub const TSIG: u16 = 250;
    /// AXFR.
    pub const AXFR: u16 = 252;
    /// ANY (RFC 8482).
    pub const ANY: u16 = 255;
}

/// Class numbers.
pub mod classes {
    /// Internet.
    pub const IN: u16 = 1;
    /// CHAOS.
    pub const CH: u16 = 3;
    /// Hesiod.
    pub const HS: u16 = 4;
    /// ANY (QCLASS only).
    pub const ANY: u16 = 255;
}

const TYPE_NAMES: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("PTR", 12),
    ("HINFO", 13),
    ("MX", 15),
    ("TXT", 16),
    ("RP", 17),
    ("AFSDB", 18),
    ("AAAA", 28),
    ("SRV", 33),
    ("NAPTR", 35),
    ("DNAME", 39),
    ("OPT", 41),
    ("DS", 43),
    ("RRSIG", 46),
    ("NSEC", 47),
    ("DNSKEY", 48),
    ("NSEC3", 50),
    ("CAA", 257),
    ("TSIG", 250),
    ("IXFR", 251),
    ("AXFR", 252),
    ("ANY", 255),
];

const CLASS_NAMES: &[(&str, u16)] = &[("IN", 1), ("CH", 3), ("HS", 4), ("NONE", 254), ("ANY", 255)];

/// Parses a type mnemonic or `TYPEnnn`.
pub fn parse_type(s: &str) -> Option<u16> {
    let u = s.to_ascii_uppercase();
    if let Some(&(_, v)) = TYPE_NAMES.iter().find(|(n, _)| *n == u) {
        return Some(v);
    }
    u.strip_prefix("TYPE").and_then(|n| n.parse().ok())
}

/// Parses a class mnemonic or `CLASSnnn`.
pub fn parse_class(s: &str) -> Option<u16> {
    let u = s.to_ascii_uppercase();
    if let Some(&(_, v)) = CLASS_NAMES.iter().find(|(n, _)| *n == u) {
        return Some(v);
    }
    u.strip_prefix("CLASS").and_then(|n| n.parse().ok())
}

/// Type mnemonic, or `TYPEnnn`.
pub fn type_name(t: u16) -> String {
    match TYPE_NAMES.iter().find(|(_, v)| *v == t) {
        Some((n, _)) => (*n).to_string(),
        None => format!("TYPE{t}"),
    }
}

/// Class mnemonic, or `CLASSnnn`.
pub fn class_name(c: u16) -> String {
    match CLASS_NAMES.iter().find(|(_, v)| *v == c) {
        Some((n, _)) => (*n).to_string(),
        None => format!("CLASS{c}"),
    }
}

/// Parses a presentation domain name into uncompressed wire form, keeping case.
/// A name without a trailing dot is completed with `origin` (wire form), or is
/// an error when there is no origin. `@` is the origin.
pub fn parse_name(s: &str, origin: Option<&[u8]>) -> Result<Vec<u8>, String> {
    if s == "@" {
        return origin.map(<[u8]>::to_vec).ok_or_else(|| "'@' without an origin".to_string());
    }
    if s == "." {
        return Ok(vec![0]);
    }
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut label = Vec::new();
    let mut i = 0;
    let mut absolute = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let d = b.get(i + 1..i + 4);
                if let Some(d) = d.filter(|d| d.iter().all(u8::is_ascii_digit)) {
                    let v: u32 = std::str::from_utf8(d).unwrap().parse().unwrap();
                    label.push(u8::try_from(v).map_err(|_| format!("bad escape in {s:?}"))?);
                    i += 4;
                } else {
                    label.push(*b.get(i + 1).ok_or_else(|| format!("trailing backslash in {s:?}"))?);
                    i += 2;
                }
            }
            b'.' => {
                if label.is_empty() {
                    return Err(format!("empty label in {s:?}"));
                }
                push_label(&mut out, &label, s)?;
                label.clear();
                i += 1;
                if i == b.len() {
                    absolute = true;
                }
            }
            c => {
                label.push(c);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        push_label(&mut out, &label, s)?;
    }
    if absolute {
        out.push(0);
    } else {
        let o = origin.ok_or_else(|| format!("relative name {s:?} needs an origin"))?;
        out.extend_from_slice(o);
    }
    if out.len() > 255 {
        return Err(format!("name {s:?} is longer than 255 octets"));
    }
    Ok(out)
}

fn push_label(out: &mut Vec<u8>, label: &[u8], s: &str) -> Result<(), String> {
    if label.len() > 63 {
        return Err(format!("label longer than 63 octets in {s:?}"));
    }
    out.push(label.len() as u8);
    out.extend_from_slice(label);
    Ok(())
}

/// Renders an uncompressed wire name (which must be well formed) as text,
/// escaping as RFC 4343 suggests. Case is kept.
pub fn name_to_string(wire: &[u8]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < wire.len() && wire[i] != 0 {
        let n = wire[i] as usize;
        for &c in wire.get(i + 1..i + 1 + n).unwrap_or(&[]) {
            match c {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    s.push('\\');
                    s.push(c as char);
                }
                0x21..=0x7e => s.push(c as char),
                _ => {
                    let _ = write!(s, "\\{c:03}");
                }
            }
        }
        s.push('.');
        i += 1 + n;
    }
    if s.is_empty() {
        s.push('.');
    }
    s
}

/// Lowercases the ASCII letters of a wire name in place.
pub fn lowercase_name(wire: &mut [u8]) {
    let mut i = 0;
    while i < wire.len() && wire[i] != 0 {
        let n = wire[i] as usize;
        let end = (i + 1 + n).min(wire.len());
        wire[i + 1..end].make_ascii_lowercase();
        i = end;
    }
}

/// Length of the uncompressed wire name at the start of `b`, if well formed.
pub fn wire_name_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        let n = *b.get(i)? as usize;
        if n == 0 {
            return Some(i + 1);
        }
        if n > 63 {
            return None;
        }
        i += 1 + n;
    }
}

/// One resource record in uncompressed wire form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    /// Owner, wire form.
    pub owner: Vec<u8>,
    /// TTL; `None` in an expectation means "any TTL".
    pub ttl: Option<u32>,
    /// Class.
    pub class: u16,
    /// Type.
    pub rtype: u16,
    /// RDATA, names uncompressed.
    pub rdata: Vec<u8>,
}

/// Where the names are inside the RDATA of a type: a list of fields, each a
/// fixed number of octets or a domain name. Types whose RDATA holds names
/// (RFC 3597 §4 and later) are listed so that names can be decompressed and
/// lowercased for comparison. `None` for opaque RDATA.
pub fn rdata_layout(rtype: u16) -> Option<&'static [Field]> {
    use Field::{Fixed, Name};
    Some(match rtype {
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => &[Name],
        6 => &[Name, Name, Fixed(20)],
        14 | 17 => &[Name, Name],
        15 | 18 | 21 | 36 => &[Fixed(2), Name],
        26 => &[Fixed(2), Name, Name],
        33 => &[Fixed(6), Name],
        _ => return None,
    })
}

/// A field of RDATA, see [`rdata_layout`].
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// So many octets of opaque data.
    Fixed(usize),
    /// A domain name.
    Name,
}

impl Rr {
    /// The canonical form for comparison: lowercase owner and embedded names.
    pub fn canonical(&self) -> Rr {
        let mut r = self.clone();
        lowercase_name(&mut r.owner);
        if let Some(layout) = rdata_layout(r.rtype) {
            let mut i = 0;
            for f in layout {
                match f {
                    Field::Fixed(n) => i += n,
                    Field::Name => {
                        let Some(n) = wire_name_len(&r.rdata[i.min(r.rdata.len())..]) else {
                            break;
                        };
                        lowercase_name(&mut r.rdata[i..i + n]);
                        i += n;
                    }
                }
            }
        } else if r.rtype == types::NAPTR {
            if let Some(start) = naptr_replacement_offset(&r.rdata) {
                lowercase_name(&mut r.rdata[start..]);
            }
        }
        r
    }

    /// Presentation form: `owner ttl class type rdata`; TTL `*` when any.
    pub fn to_text(&self) -> String {
        let ttl = self.ttl.map_or_else(|| "*".to_string(), |t| t.to_string());
        format!(
            "{} {} {} {} {}",
            name_to_string(&self.owner),
            ttl,
            class_name(self.class),
            type_name(self.rtype),
            rdata_to_text(self.rtype, &self.rdata)
        )
    }

    /// Parses one zone-file line with all five fields. A TTL of `*` matches
    /// any TTL. Relative names are completed with `origin`.
    pub fn parse(line: &str, origin: Option<&[u8]>) -> Result<Rr, String> {
        let toks = tokenize(line)?;
        if toks.len() < 4 {
            return Err(format!("expected `owner ttl class type rdata`, got {line:?}"));
        }
        let owner = parse_name(&toks[0].text, origin)?;
        let ttl = if toks[1].text == "*" {
            None
        } else {
            Some(toks[1].text.parse::<u32>().map_err(|_| format!("bad TTL {:?} in {line:?}", toks[1].text))?)
        };
        let class = parse_class(&toks[2].text).ok_or_else(|| format!("bad class {:?} in {line:?}", toks[2].text))?;
        let rtype = parse_type(&toks[3].text).ok_or_else(|| format!("bad type {:?} in {line:?}", toks[3].text))?;
        let rdata = parse_rdata(rtype, &toks[4..], origin).map_err(|e| format!("{e} in {line:?}"))?;
        Ok(Rr { owner, ttl, class, rtype, rdata })
    }
}

/// Offset of the replacement name inside NAPTR RDATA.
fn naptr_replacement_offset(rd: &[u8]) -> Option<usize> {
    let mut i = 4;
    for _ in 0..3 {
        i += 1 + *rd.get(i)? as usize;
    }
    (i < rd.len()).then_some(i)
}

/// A token of a presentation line: its text and whether it was quoted.
#[derive(Debug, Clone)]
pub struct Token {
    /// The text, with escapes kept as written for unquoted tokens; quoted
    /// tokens have the quotes removed but escapes kept.
    pub text: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
}

/// Splits a line into whitespace-separated tokens; `"..."` is one token. A
/// `;` outside quotes starts a comment.
pub fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == ';' {
            break;
        }
        let mut text = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated string in {line:?}")),
                    Some('"') => break,
                    Some('\\') => {
                        text.push('\\');
                        if let Some(n) = chars.next() {
                            text.push(n);
                        }
                    }
                    Some(ch) => text.push(ch),
                }
            }
            out.push(Token { text, quoted: true });
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                text.push(ch);
                chars.next();
                if ch == '\\' {
                    if let Some(n) = chars.next() {
                        text.push(n);
                    }
                }
            }
            out.push(Token { text, quoted: false });
        }
    }
    Ok(out)
}

/// Decodes `\X` and `\DDD` escapes of a character-string.
fn unescape_string(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if let Some(d) = b.get(i + 1..i + 4).filter(|d| d.iter().all(u8::is_ascii_digit)) {
                let v: u32 = std::str::from_utf8(d).unwrap().parse().unwrap();
                out.push(u8::try_from(v).map_err(|_| format!("bad escape in {s:?}"))?);
                i += 4;
            } else {
                out.push(*b.get(i + 1).ok_or("trailing backslash")?);
                i += 2;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    if out.len() > 255 {
        return Err(format!("character-string longer than 255 octets: {s:?}"));
    }
    Ok(out)
}

fn num<T: std::str::FromStr>(t: Option<&Token>, what: &str) -> Result<T, String> {
    let t = t.ok_or_else(|| format!("missing {what}"))?;
    t.text.parse().map_err(|_| format!("bad {what} {:?}", t.text))
}

fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() & 1 == 1 {
        return Err(format!("odd number of hex digits in {s:?}"));
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("bad hex {s:?}"))).collect()
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses RDATA text for `rtype`. Every type accepts the generic `\# len hex`.
pub fn parse_rdata(rtype: u16, toks: &[Token], origin: Option<&[u8]>) -> Result<Vec<u8>, String> {
    if toks.first().is_some_and(|t| t.text == "\\#" && !t.quoted) {
        let len: usize = num(toks.get(1), "generic RDATA length")?;
        let data = hex_decode(&toks[2..].iter().map(|t| t.text.as_str()).collect::<String>())?;
        if data.len() != len {
            return Err(format!("generic RDATA says {len} octets but has {}", data.len()));
        }
        return Ok(data);
    }
    let t = |i: usize| toks.get(i).ok_or_else(|| format!("missing RDATA field {}", i + 1));
    let name = |i: usize| -> Result<Vec<u8>, String> { parse_name(&t(i)?.text, origin) };
    let mut out = Vec::new();
    match rtype {
        types::A => {
            let a: Ipv4Addr = t(0)?.text.parse().map_err(|_| "bad IPv4 address".to_string())?;
            out.extend_from_slice(&a.octets());
        }
        types::AAAA => {
            let a: Ipv6Addr = t(0)?.text.parse().map_err(|_| "bad IPv6 address".to_string())?;
            out.extend_from_slice(&a.octets());
        }
        types::NS | types::CNAME | types::PTR | types::DNAME => out = name(0)?,
        types::MX => {
            out.extend_from_slice(&num::<u16>(toks.first(), "preference")?.to_be_bytes());
            out.extend(name(1)?);
        }
        types::SRV => {
            for i in 0..3 {
                out.extend_from_slice(&num::<u16>(toks.get(i), "SRV field")?.to_be_bytes());
            }
            out.extend(name(3)?);
        }
        types::SOA => {
            out.extend(name(0)?);
            out.extend(name(1)?);
            for i in 2..7 {
                out.extend_from_slice(&num::<u32>(toks.get(i), "SOA number")?.to_be_bytes());
            }
        }
        types::TXT | types::HINFO => {
            if toks.is_empty() {
                return Err("TXT needs at least one string".into());
            }
            for tok in toks {
                let s = unescape_string(&tok.text)?;
                out.push(s.len() as u8);
                out.extend(s);
            }
        }
        types::DS => {
            out.extend_from_slice(&num::<u16>(toks.first(), "key tag")?.to_be_bytes());
            out.push(num::<u8>(toks.get(1), "algorithm")?);
            out.push(num::<u8>(toks.get(2), "digest type")?);
            out.extend(hex_decode(&toks[3..].iter().map(|t| t.text.as_str()).collect::<String>())?);
        }
        _ => return Err(format!("no text form known for {}; use \\# len hex", type_name(rtype))),
    }
    if toks.len() > expected_fields(rtype).unwrap_or(usize::MAX) {
        return Err(format!("too many RDATA fields for {}", type_name(rtype)));
    }
    Ok(out)
}

fn expected_fields(rtype: u16) -> Option<usize> {
    Some(match rtype {
        types::A | types::AAAA | types::NS | types::CNAME | types::PTR | types::DNAME => 1,
        types::MX => 2,
        types::SRV => 4,
        types::SOA => 7,
        types::HINFO => 2,
        _ => return None,
    })
}

fn string_to_text(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &c in s {
        match c {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\{c:03}");
            }
        }
    }
    out.push('"');
    out
}

fn generic(rd: &[u8]) -> String {
    if rd.is_empty() {
        "\\# 0".to_string()
    } else {
        format!("\\# {} {}", rd.len(), hex(rd))
    }
}

/// Renders RDATA (uncompressed) as text; falls back to `\# len hex` for types
/// without a renderer and for RDATA that does not parse as its type.
pub fn rdata_to_text(rtype: u16, rd: &[u8]) -> String {
    known_rdata_to_text(rtype, rd).unwrap_or_else(|| generic(rd))
}

fn known_rdata_to_text(rtype: u16, rd: &[u8]) -> Option<String> {
    let name_at = |i: usize| -> Option<(String, usize)> {
        let n = wire_name_len(rd.get(i..)?)?;
        Some((name_to_string(&rd[i..i + n]), i + n))
    };
    let u16_at = |i: usize| -> Option<u16> { Some(u16::from_be_bytes(rd.get(i..i + 2)?.try_into().ok()?)) };
    Some(match rtype {
        types::A if rd.len() == 4 => Ipv4Addr::from(<[u8; 4]>::try_from(rd).ok()?).to_string(),
        types::AAAA if rd.len() == 16 => Ipv6Addr::from(<[u8; 16]>::try_from(rd).ok()?).to_string(),
        types::NS | types::CNAME | types::PTR | types::DNAME => {
            let (n, end) = name_at(0)?;
            (end == rd.len()).then_some(n)?
        }
        types::MX => {
            let (n, end) = name_at(2)?;
            (end == rd.len()).then(|| format!("{} {n}", u16_at(0).unwrap()))?
        }
        types::SRV => {
            let (n, end) = name_at(6)?;
            (end == rd.len()).then(|| format!("{} {} {} {n}", u16_at(0).unwrap(), u16_at(2).unwrap(), u16_at(4).unwrap()))?
        }
        types::SOA => {
            let (m, i) = name_at(0)?;
            let (r, i) = name_at(i)?;
            if rd.len() != i + 20 {
                return None;
            }
            let n: Vec<String> = (0..5).map(|k| u32::from_be_bytes(rd[i + 4 * k..i + 4 * k + 4].try_into().unwrap()).to_string()).collect();
            format!("{m} {r} {}", n.join(" "))
        }
        types::TXT | types::HINFO => {
            let mut parts = Vec::new();
            let mut i = 0;
            while i < rd.len() {
                let n = rd[i] as usize;
                parts.push(string_to_text(rd.get(i + 1..i + 1 + n)?));
                i += 1 + n;
            }
            if parts.is_empty() || (rtype == types::HINFO && parts.len() != 2) {
                return None;
            }
            parts.join(" ")
        }
        types::DS if rd.len() > 4 => format!("{} {} {} {}", u16_at(0)?, rd[2], rd[3], hex(&rd[4..]).to_uppercase()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for line in [
            "www.example.com. 300 IN A 192.0.2.1",
            "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 5",
            "t.example.com. 60 IN TXT \"a b\" \"c\\\"d\"",
            "_sip._udp.example.com. 60 IN SRV 10 60 5060 sip.example.com.",
            "u.example.com. 60 IN TYPE65534 \\# 4 0a000001",
            "s.example.com. 60 IN DS 12345 13 2 ABCD",
        ] {
            let rr = Rr::parse(line, None).unwrap();
            assert_eq!(rr.to_text(), line);
        }
    }

    #[test]
    fn generic_equals_known() {
        let a = Rr::parse("g.example. 1 IN A \\# 4 0A000001", None).unwrap();
        let b = Rr::parse("g.example. 1 IN A 10.0.0.1", None).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn canonical_lowercases_names() {
        let a = Rr::parse("WWW.Example. 1 IN CNAME Foo.Example.", None).unwrap().canonical();
        assert_eq!(a.to_text(), "www.example. 1 IN CNAME foo.example.");
        assert!(parse_name("a..b.", None).is_err());
        assert!(parse_name(&format!("{}.", "a".repeat(64)), None).is_err());
    }
}
