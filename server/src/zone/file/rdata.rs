//! RDATA presentation parsers: text fields of one record → uncompressed wire
//! RDATA. Dispatches on the type; holds the parsers of the RFC 1035 family and
//! the other simple types (addresses, names, strings, SRV, NAPTR, CAA, URI,
//! SSHFP, TLSA), and the RFC 3597 generic form `\# len hex` for every type.
//! DNSSEC types live in [`super::rdata_dnssec`], SVCB/HTTPS in
//! [`super::svcb`], LOC in [`super::loc`].
//!
//! Must not: know about owners, TTLs or directives, or keep state between records.

use super::error::RdataError;
use super::text::{bad, base64_rest, hex_rest, ipv4, ipv6, show, Fields};
use super::{loc, present, rdata_dnssec as dnssec, svcb};
use crate::wire::rtype;

/// True for types that have a presentation parser here (others only take `\#`).
pub(super) fn has_parser(t: u16) -> bool {
    use rtype::*;
    matches!(
        t,
        A | AAAA
            | NS
            | CNAME
            | DNAME
            | PTR
            | MB
            | MG
            | MR
            | MD
            | MF
            | MX
            | KX
            | AFSDB
            | 21
            | SOA
            | TXT
            | SPF
            | HINFO
            | MINFO
            | RP
            | SRV
            | NAPTR
            | CAA
            | URI
            | SSHFP
            | TLSA
            | SMIMEA
            | OPENPGPKEY
            | LOC
            | SVCB
            | HTTPS
    ) || dnssec::handles(t)
}

/// Parses the RDATA fields in `f` for type `t`, appending the wire form to
/// `out` (which must be empty). Every field must be used.
pub(super) fn parse(t: u16, f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let generic = f.peek_tok().is_some_and(|tok| !tok.quoted && f.bytes(tok) == b"\\#");
    if generic {
        parse_generic(f, out)?;
        if has_parser(t) && present::format_known(t, out, &mut String::new()).is_none() {
            return Err(RdataError::GenericInvalid(t));
        }
    } else {
        parse_presentation(t, f, out)?;
    }
    f.finish()?;
    if out.len() > u16::MAX as usize {
        return Err(RdataError::TooLong);
    }
    Ok(())
}

/// `\# len hex…` (RFC 3597 §5).
fn parse_generic(f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    f.next("\\#")?;
    let len = f.decimal("RDATA length", u16::MAX as u64)? as usize;
    if len > 0 {
        hex_rest(f, "RDATA hex data", out)?;
    }
    if out.len() != len {
        return Err(RdataError::GenericLength { found: out.len(), declared: len });
    }
    Ok(())
}

fn parse_presentation(t: u16, f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    use rtype::*;
    match t {
        A => {
            let b = f.next("IPv4 address")?;
            let ip = ipv4(b).ok_or_else(|| bad("IPv4 address", b))?;
            out.extend_from_slice(&ip.octets());
        }
        AAAA => {
            let b = f.next("IPv6 address")?;
            let ip = ipv6(b).ok_or_else(|| bad("IPv6 address", b))?;
            out.extend_from_slice(&ip.octets());
        }
        NS | CNAME | DNAME | PTR | MB | MG | MR | MD | MF => f.name("domain name", out)?,
        MX | KX | 21 => {
            out.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            f.name("exchange", out)?;
        }
        AFSDB => {
            out.extend_from_slice(&f.u16("subtype")?.to_be_bytes());
            f.name("hostname", out)?;
        }
        SOA => {
            f.name("primary name server", out)?;
            f.name("responsible mailbox", out)?;
            out.extend_from_slice(&f.u32("serial")?.to_be_bytes());
            for what in ["refresh", "retry", "expire", "minimum"] {
                out.extend_from_slice(&f.ttl(what)?.to_be_bytes());
            }
        }
        TXT | SPF => {
            f.charstr("text", out)?;
            while !f.is_done() {
                f.charstr("text", out)?;
            }
        }
        HINFO => {
            f.charstr("CPU", out)?;
            f.charstr("OS", out)?;
        }
        MINFO => {
            f.name("responsible mailbox", out)?;
            f.name("error mailbox", out)?;
        }
        RP => {
            f.name("mailbox", out)?;
            f.name("TXT owner", out)?;
        }
        SRV => {
            for what in ["priority", "weight", "port"] {
                out.extend_from_slice(&f.u16(what)?.to_be_bytes());
            }
            f.name("target", out)?;
        }
        NAPTR => {
            out.extend_from_slice(&f.u16("order")?.to_be_bytes());
            out.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            for what in ["flags", "services", "regexp"] {
                f.charstr(what, out)?;
            }
            f.name("replacement", out)?;
        }
        CAA => parse_caa(f, out)?,
        URI => {
            out.extend_from_slice(&f.u16("priority")?.to_be_bytes());
            out.extend_from_slice(&f.u16("weight")?.to_be_bytes());
            let b = f.next("target URI")?;
            super::text::unescape_into(b, out)?;
        }
        SSHFP => {
            out.push(f.u8("algorithm")?);
            out.push(f.u8("fingerprint type")?);
            hex_rest(f, "fingerprint", out)?;
        }
        TLSA | SMIMEA => {
            out.push(f.u8("certificate usage")?);
            out.push(f.u8("selector")?);
            out.push(f.u8("matching type")?);
            hex_rest(f, "certificate association data", out)?;
        }
        OPENPGPKEY => base64_rest(f, "public key", out)?,
        LOC => loc::parse(f, out)?,
        SVCB | HTTPS => svcb::parse(f, out)?,
        t if dnssec::handles(t) => dnssec::parse(t, f, out)?,
        _ => return Err(RdataError::NoParser(t)),
    }
    Ok(())
}

/// CAA (RFC 8659 §4.1.1): flags, tag, value.
fn parse_caa(f: &mut Fields<'_>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    out.push(f.u8("flags")?);
    let tag = f.next("tag")?;
    if tag.is_empty() || tag.len() > 255 || !tag.iter().all(u8::is_ascii_alphanumeric) {
        return Err(RdataError::CaaTag(show(tag)));
    }
    out.push(tag.len() as u8);
    out.extend_from_slice(tag);
    let value = f.next("value")?;
    Ok(super::text::unescape_into(value, out)?)
}
