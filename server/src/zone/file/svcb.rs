//! SVCB and HTTPS RDATA (RFC 9460) in presentation form, both directions.
//!
//! Text: `priority target key[=value]…`. Keys: `mandatory`, `alpn`,
//! `no-default-alpn`, `port`, `ipv4hint`, `ech`, `ipv6hint`, `dohpath`
//! (RFC 9461), `ohttp` (RFC 9540) and `keyNNNNN`. Values are
//! character-strings (RFC 9460 Appendix A); `alpn` and `mandatory` are
//! comma-separated value-lists, where `\,` and `\\` escape inside an item.
//! Wire: priority, target name, then `key ‖ length ‖ value` in strictly
//! increasing key order (§2.2).
//!
//! Must not: reorder or drop parameters silently; duplicates are errors.

use super::codec;
use super::error::{RdataError, SvcParamError};
use super::put::{put_escaped, put_name, put_num, Wire};
use super::text::{ipv4, ipv6};
use super::text::{parse_decimal, show, unescape_into, Fields};
use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

const MANDATORY: u16 = 0;
const ALPN: u16 = 1;
const NO_DEFAULT_ALPN: u16 = 2;
const PORT: u16 = 3;
const IPV4HINT: u16 = 4;
const ECH: u16 = 5;
const IPV6HINT: u16 = 6;
const DOHPATH: u16 = 7;
const OHTTP: u16 = 8;

const KEY_NAMES: &[(&str, u16)] = &[
    ("mandatory", MANDATORY),
    ("alpn", ALPN),
    ("no-default-alpn", NO_DEFAULT_ALPN),
    ("port", PORT),
    ("ipv4hint", IPV4HINT),
    ("ech", ECH),
    ("ipv6hint", IPV6HINT),
    ("dohpath", DOHPATH),
    ("ohttp", OHTTP),
];

fn key_from(b: &[u8]) -> Option<u16> {
    if let Some(&(_, k)) = KEY_NAMES.iter().find(|(n, _)| n.as_bytes() == b) {
        return Some(k);
    }
    let digits = b.strip_prefix(b"key")?;
    // key65535 is reserved (§14.3.2); no leading zeros so the text is canonical.
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    parse_decimal(digits, 65_534).map(|v| v as u16)
}

fn put_key(k: u16, out: &mut String) {
    match KEY_NAMES.iter().find(|&&(_, v)| v == k) {
        Some((n, _)) => out.push_str(n),
        None => {
            let _ = write!(out, "key{k}");
        }
    }
}

/// Splits a decoded value-list (Appendix A.1) into items.
fn value_list(v: &[u8]) -> Vec<Vec<u8>> {
    let mut items = vec![Vec::new()];
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'\\' if i + 1 < v.len() => {
                items.last_mut().expect("never empty").push(v[i + 1]);
                i += 2;
                continue;
            }
            b',' => items.push(Vec::new()),
            c => items.last_mut().expect("never empty").push(c),
        }
        i += 1;
    }
    items
}

/// Parses SVCB/HTTPS fields.
pub(super) fn parse(f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    out.extend_from_slice(&f.u16("priority")?.to_be_bytes());
    f.name("target name", out)?;
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    while let Some(tok) = f.peek_tok() {
        f.next_tok("SvcParam")?;
        let b = f.bytes(tok);
        let (kb, mut raw) = match b.iter().position(|&c| c == b'=') {
            Some(p) => (&b[..p], Some(&b[p + 1..])),
            None => (b, None),
        };
        let key = key_from(kb).filter(|_| !tok.quoted).ok_or_else(|| RdataError::SvcKey(show(kb)))?;
        // `key="quoted value"` lexes as `key=` followed by an adjacent quoted token.
        if raw == Some(b"") {
            if let Some(next) = f.peek_tok().filter(|n| n.quoted && n.start == tok.end + 1) {
                f.next_tok("SvcParam value")?;
                raw = Some(f.bytes(next));
            }
        }
        let mut value = Vec::new();
        if let Some(r) = raw {
            unescape_into(r, &mut value)?;
        }
        let wire = param_value(key, raw.is_some(), &value).map_err(|source| RdataError::SvcParam { key: show(kb), source })?;
        if params.iter().any(|(k, _)| *k == key) {
            return Err(RdataError::SvcDuplicate(show(kb)));
        }
        params.push((key, wire));
    }
    params.sort_by_key(|p| p.0);
    if let Some((_, m)) = params.iter().find(|p| p.0 == MANDATORY) {
        for k in m.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])) {
            if !params.iter().any(|p| p.0 == k) {
                let mut name = String::new();
                put_key(k, &mut name);
                return Err(RdataError::SvcMandatoryMissing(name));
            }
        }
    }
    for (k, v) in params {
        let len = u16::try_from(v.len()).map_err(|_| RdataError::SvcValueTooLong)?;
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&v);
    }
    Ok(())
}

/// Wire value of one parameter from its decoded presentation value.
fn param_value(key: u16, has_value: bool, v: &[u8]) -> Result<Vec<u8>, SvcParamError> {
    let mut out = Vec::new();
    let need_value = !matches!(key, NO_DEFAULT_ALPN | OHTTP);
    if need_value && !has_value && key <= OHTTP {
        return Err(SvcParamError::MissingValue);
    }
    match key {
        NO_DEFAULT_ALPN | OHTTP if has_value => return Err(SvcParamError::TakesNoValue),
        NO_DEFAULT_ALPN | OHTTP => {}
        MANDATORY => {
            let mut keys = Vec::new();
            for item in value_list(v) {
                let k = key_from(&item).ok_or_else(|| SvcParamError::UnknownKey(show(&item)))?;
                if k == MANDATORY || keys.contains(&k) {
                    return Err(SvcParamError::KeyNotAllowed(show(&item)));
                }
                keys.push(k);
            }
            keys.sort_unstable();
            keys.iter().for_each(|k| out.extend_from_slice(&k.to_be_bytes()));
        }
        ALPN => {
            for id in value_list(v) {
                if id.is_empty() || id.len() > 255 {
                    return Err(SvcParamError::BadAlpn);
                }
                out.push(id.len() as u8);
                out.extend_from_slice(&id);
            }
        }
        PORT => {
            let p = parse_decimal(v, u16::MAX as u64).ok_or(SvcParamError::NotPort)?;
            out.extend_from_slice(&(p as u16).to_be_bytes());
        }
        IPV4HINT => {
            for a in v.split(|&c| c == b',') {
                out.extend_from_slice(&ipv4(a).ok_or_else(|| SvcParamError::BadAddress { family: "IPv4", text: show(a) })?.octets());
            }
        }
        IPV6HINT => {
            for a in v.split(|&c| c == b',') {
                out.extend_from_slice(&ipv6(a).ok_or_else(|| SvcParamError::BadAddress { family: "IPv6", text: show(a) })?.octets());
            }
        }
        ECH => codec::base64_decode(v, &mut out).ok_or(SvcParamError::NotBase64)?,
        _ => out.extend_from_slice(v),
    }
    Ok(out)
}

/// Formats SVCB/HTTPS wire RDATA.
pub(super) fn format(w: &mut Wire<'_>, out: &mut String) -> Option<()> {
    put_num(w.u16()?, out);
    put_name(w, out)?;
    let mut last: Option<u16> = None;
    while !w.done() {
        let key = w.u16()?;
        let len = w.u16()? as usize;
        let v = w.bytes(len)?;
        if last.is_some_and(|l| l >= key) || key == u16::MAX {
            return None;
        }
        last = Some(key);
        out.push(' ');
        put_key(key, out);
        match key {
            NO_DEFAULT_ALPN | OHTTP => {
                if !v.is_empty() {
                    return None;
                }
            }
            MANDATORY => {
                if v.is_empty() || v.len() % 2 != 0 {
                    return None;
                }
                out.push('=');
                let mut prev = MANDATORY;
                for (i, c) in v.chunks_exact(2).enumerate() {
                    let k = u16::from_be_bytes([c[0], c[1]]);
                    // The parser sorts and refuses `mandatory` itself; keep what it makes.
                    if k <= prev || k == u16::MAX {
                        return None;
                    }
                    prev = k;
                    if i > 0 {
                        out.push(',');
                    }
                    put_key(k, out);
                }
            }
            ALPN => {
                let mut list = Vec::new();
                let mut a = Wire::new(v);
                while !a.done() {
                    let id = a.charstr().filter(|id| !id.is_empty())?;
                    if !list.is_empty() {
                        list.push(b',');
                    }
                    for &c in id {
                        if c == b',' || c == b'\\' {
                            list.push(b'\\');
                        }
                        list.push(c);
                    }
                }
                if list.is_empty() {
                    return None;
                }
                out.push_str("=\"");
                put_escaped(&list, out);
                out.push('"');
            }
            PORT => {
                let p = Wire::new(v).u16().filter(|_| v.len() == 2)?;
                let _ = write!(out, "={p}");
            }
            IPV4HINT | IPV6HINT => {
                let n = if key == IPV4HINT { 4 } else { 16 };
                if v.is_empty() || v.len() % n != 0 {
                    return None;
                }
                out.push('=');
                for (i, c) in v.chunks_exact(n).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = match <[u8; 4]>::try_from(c) {
                        Ok(a4) => write!(out, "{}", Ipv4Addr::from(a4)),
                        Err(_) => write!(out, "{}", Ipv6Addr::from(<[u8; 16]>::try_from(c).ok()?)),
                    };
                }
            }
            ECH => {
                out.push_str("=\"");
                codec::base64_encode(v, out);
                out.push('"');
            }
            _ => {
                out.push_str("=\"");
                put_escaped(v, out);
                out.push('"');
            }
        }
    }
    Some(())
}
