//! Reading resource records out of a received message (transfers in,
//! NOTIFY, UPDATE): owner decompressed and lowercased, RDATA decompressed to
//! the uncompressed wire form the zone stores.
//!
//! Owns: walking a section, and decompressing names inside the RDATA of the
//! types whose RDATA may carry compressed names (RFC 1035 §3.3 types, and those
//! RFC 3597 §4 tells receivers to decompress: RP, AFSDB, RT, SIG, PX, NXT,
//! NAPTR, SRV, KX, DNAME). Every other RDATA is copied as is.
//! Must not: interpret records. Not used on the query path (it allocates).

use super::name::{read_name, NameBuf};
use super::{get_u16, get_u32, rtype, WireError};

/// One record read from a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRr {
    /// Owner, lowercase uncompressed wire form.
    pub owner: Vec<u8>,
    /// Type.
    pub rtype: u16,
    /// Class.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// RDATA, uncompressed.
    pub rdata: Vec<u8>,
}

/// One field of an RDATA layout: where domain names sit inside the RDATA of
/// the types whose names are decompressed when read (RFC 3597 §4) and
/// lowercased for comparison (RFC 4034 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A domain name.
    Name,
    /// Octets to copy as they are.
    Fixed(usize),
    /// NAPTR: order, preference, then three character strings (RFC 3403 §4.1).
    NaptrHead,
}

/// The layout of type `t`'s RDATA, for the types with names inside.
pub fn name_layout(t: u16) -> Option<&'static [Field]> {
    use Field::*;
    Some(match t {
        rtype::NS | rtype::MD | rtype::MF | rtype::CNAME | rtype::MB | rtype::MG | rtype::MR | rtype::PTR
        | rtype::DNAME => &[Name],
        rtype::SOA => &[Name, Name, Fixed(20)],
        rtype::MINFO | rtype::RP => &[Name, Name],
        rtype::MX | rtype::AFSDB | 21 /* RT */ | rtype::KX => &[Fixed(2), Name],
        rtype::SRV => &[Fixed(6), Name],
        26 /* PX */ => &[Fixed(2), Name, Name],
        rtype::NAPTR => &[NaptrHead, Name],
        _ => return None,
    })
}

/// Reads the record at `pos`; returns it and the offset after it.
pub fn read_rr(msg: &[u8], pos: usize) -> Result<(WireRr, usize), WireError> {
    let mut owner = Vec::new();
    let (h, end) = read_rr_into(msg, pos, &mut owner)?;
    let rdata = owner.split_off(h.owner_len);
    Ok((WireRr { owner, rtype: h.rtype, class: h.class, ttl: h.ttl, rdata }, end))
}

/// The fixed fields of a record read by [`read_rr_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrHead {
    /// Type.
    pub rtype: u16,
    /// Class.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// Length of the owner at the start of the output.
    pub owner_len: usize,
}

/// Reads the record at `pos` as [`read_rr`] does, into `out` (cleared
/// first): the owner (lowercase, uncompressed), then the RDATA
/// (decompressed). A reused `out` means no allocation per record, for
/// transfers in. Returns the fixed fields and the offset after the record.
pub fn read_rr_into(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Result<(RrHead, usize), WireError> {
    let mut owner = NameBuf::root();
    let p = read_name(msg, pos, &mut owner)?;
    owner.make_lowercase();
    let t = get_u16(msg, p)?;
    let class = get_u16(msg, p + 2)?;
    let ttl = get_u32(msg, p + 4)?;
    let len = get_u16(msg, p + 8)? as usize;
    let start = p + 10;
    let end = start + len;
    if end > msg.len() {
        return Err(WireError::Truncated);
    }
    out.clear();
    out.extend_from_slice(owner.as_wire());
    let owner_len = out.len();
    match name_layout(t) {
        Some(fields) if len > 0 => decompress_into(msg, start, end, fields, out)?,
        _ => out.extend_from_slice(&msg[start..end]),
    }
    Ok((RrHead { rtype: t, class, ttl, owner_len }, end))
}

fn decompress_into(msg: &[u8], start: usize, end: usize, fields: &[Field], out: &mut Vec<u8>) -> Result<(), WireError> {
    let mut p = start;
    let mut name = NameBuf::root();
    for f in fields {
        match *f {
            Field::NaptrHead => {
                // order, preference, flags, services, regexp (RFC 3403 §4.1)
                let head_end = naptr_head_end(&msg[..end], p).ok_or(WireError::Malformed)?;
                out.extend_from_slice(&msg[p..head_end]);
                p = head_end;
            }
            Field::Name => {
                p = read_name(msg, p, &mut name)?;
                out.extend_from_slice(name.as_wire());
            }
            Field::Fixed(n) => {
                out.extend_from_slice(msg.get(p..p + n).ok_or(WireError::Malformed)?);
                p += n;
            }
        }
    }
    if p != end {
        return Err(WireError::Malformed);
    }
    Ok(())
}

/// Checks without allocating that the names inside the RDATA at
/// `msg[start..end]` of type `t` are well formed and fill it exactly (RFC 1035
/// §4.1.3: lengths consistent). Types without names inside always pass.
pub fn check_rdata(msg: &[u8], start: usize, end: usize, t: u16) -> Result<(), WireError> {
    let Some(fields) = name_layout(t) else { return Ok(()) };
    if start == end {
        return Ok(()); // empty RDATA: meaningful in UPDATE deletions (RFC 2136 §2.5)
    }
    let mut p = start;
    for f in fields {
        p = match *f {
            Field::Name => super::name::skip_name(&msg[..end], p)?,
            Field::Fixed(n) => p + n,
            Field::NaptrHead => naptr_head_end(&msg[..end], p).ok_or(WireError::Malformed)?,
        };
        if p > end {
            return Err(WireError::Malformed);
        }
    }
    if p != end {
        return Err(WireError::Malformed);
    }
    Ok(())
}

/// The offset after NAPTR's order, preference and three character strings
/// starting at `p`, or `None` when they run past `b`.
pub fn naptr_head_end(b: &[u8], mut p: usize) -> Option<usize> {
    p += 4;
    for _ in 0..3 {
        p += 1 + *b.get(p)? as usize;
    }
    (p <= b.len()).then_some(p)
}

/// Reads every record of the answer, authority and additional sections, with
/// the section index (1, 2, 3) of each. `answer_at` is the offset after the
/// question section.
pub fn read_sections(msg: &[u8], answer_at: usize, counts: [u16; 4]) -> Result<Vec<(u8, WireRr)>, WireError> {
    let mut out = Vec::with_capacity(counts[1] as usize);
    let mut pos = answer_at;
    for (sec, &n) in counts.iter().enumerate().skip(1) {
        for _ in 0..n {
            let (rr, next) = read_rr(msg, pos)?;
            out.push((sec as u8, rr));
            pos = next;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naptr_head_is_copied_and_its_replacement_decompressed() {
        let mut m = vec![0u8; 12];
        m.extend_from_slice(b"\x07example\x03com\x00"); // at 12
        let owner_at = m.len();
        m.extend_from_slice(&[0xC0, 12]);
        let head: &[u8] = b"\x00\x0a\x00\x64\x01U\x07E2U+sip\x00";
        let rdata_len = head.len() + 2;
        m.extend_from_slice(&rtype::NAPTR.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        m.extend_from_slice(&(rdata_len as u16).to_be_bytes());
        let rdata_at = m.len();
        m.extend_from_slice(head);
        m.extend_from_slice(&[0xC0, 12]); // replacement: example.com, compressed
        let (rr, end) = read_rr(&m, owner_at).unwrap();
        assert_eq!(end, m.len());
        assert_eq!(&rr.rdata[..head.len()], head);
        assert_eq!(&rr.rdata[head.len()..], b"\x07example\x03com\x00");
        assert_eq!(check_rdata(&m, rdata_at, m.len(), rtype::NAPTR), Ok(()));
        // A character string that runs past the RDATA is malformed.
        assert!(check_rdata(&m, rdata_at, rdata_at + 6, rtype::NAPTR).is_err());
        assert_eq!(naptr_head_end(head, 0), Some(head.len()));
        assert_eq!(naptr_head_end(&head[..head.len() - 1], 0), None);
    }

    #[test]
    fn decompresses_soa_and_mx() {
        // header, then "example.com" at 12, then records pointing at it
        let mut m = vec![0u8; 12];
        m.extend_from_slice(b"\x07example\x03com\x00");
        let rr_at = m.len();
        m.extend_from_slice(&[0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10, 4, b'm', b'a', b'i', b'l']);
        m.extend_from_slice(&[0xC0, 12]);
        let (rr, end) = read_rr(&m, rr_at).unwrap();
        assert_eq!(end, m.len());
        assert_eq!(rr.rtype, 15);
        assert_eq!(rr.rdata, b"\x00\x0a\x04mail\x07example\x03com\x00");
        let mut out = vec![9; 3];
        let (head, end2) = read_rr_into(&m, rr_at, &mut out).unwrap();
        assert_eq!((head.rtype, head.class, head.ttl, end2), (15, 1, 60, end));
        assert_eq!((&out[..head.owner_len], &out[head.owner_len..]), (&rr.owner[..], &rr.rdata[..]));
    }
}
