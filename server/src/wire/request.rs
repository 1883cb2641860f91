//! A parsed, borrowed view of a request message (RFC 1035 §4.1).
//!
//! Owns: validating the header, the single question, and the additional-section
//! records that matter to the server (OPT, RFC 6891; TSIG, RFC 8945), without
//! copying the message. Must not: allocate, or decide how to answer.

use super::name::{read_plain_name_lower, skip_name, NameBuf};
use super::{flags, get_u16, get_u32, rtype, WireError};

/// The EDNS(0) parameters a request carried (RFC 6891 §6.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    /// Requestor's UDP payload size (values below 512 count as 512, §6.2.5).
    pub udp_size: u16,
    /// EDNS version.
    pub version: u8,
    /// The DO bit (RFC 3225).
    pub dnssec_ok: bool,
    /// The client asked for our NSID (RFC 5001).
    pub nsid: bool,
    /// The client asked for the zone's expire timer (RFC 7314).
    pub expire: bool,
}

/// The question of a request.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// QNAME exactly as sent (case preserved). The question is the first
    /// name of a message, so it can hold no compression pointer.
    pub name: &'a [u8],
    /// QNAME lowercased, for lookups (RFC 4343).
    pub lower: NameBuf,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// A request whose header could be read.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The whole message.
    pub msg: &'a [u8],
    /// Message ID.
    pub id: u16,
    /// Flags word as received (opcode and rcode bits included).
    pub flags: u16,
    /// Section counts: question, answer, authority, additional.
    pub counts: [u16; 4],
    /// The question when QDCOUNT is 1 and it parsed.
    pub question: Option<Question<'a>>,
    /// EDNS parameters when the request carried one valid OPT record.
    pub edns: Option<Edns>,
    /// Offset of the TSIG record when present (it must be last, RFC 8945 §5.1).
    pub tsig_at: Option<usize>,
    /// Offset of the first answer-section record.
    pub answer_at: usize,
}

impl Request<'_> {
    /// The opcode (RFC 1035 §4.1.1).
    #[inline]
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xF) as u8
    }

    /// True when this is a response (QR=1).
    #[inline]
    pub fn is_response(&self) -> bool {
        self.flags & flags::QR != 0
    }
}

/// The outcome of parsing: either a usable request, a request the server must
/// answer with FORMERR (header readable, rest broken), or nothing to answer.
#[derive(Debug)]
pub enum Parsed<'a> {
    /// Well-formed.
    Ok(Request<'a>),
    /// Header readable but the rest is malformed: answer FORMERR. The request
    /// holds what could be read (question and OPT when they parsed).
    FormErr(Request<'a>, WireError),
    /// Not even a header: drop silently.
    Drop,
}

/// Header length.
pub const HEADER_LEN: usize = 12;

/// Parses `msg` (RFC 1035 §4.1, RFC 6891 §6.1.1, RFC 8945 §5.1).
#[inline]
pub fn parse(msg: &[u8]) -> Parsed<'_> {
    if msg.len() < HEADER_LEN {
        return Parsed::Drop;
    }
    let h = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
    let mut req = Request {
        msg,
        id: h(0),
        flags: h(2),
        counts: [h(4), h(6), h(8), h(10)],
        question: None,
        edns: None,
        tsig_at: None,
        answer_at: HEADER_LEN,
    };
    match parse_body(&mut req) {
        Ok(()) => Parsed::Ok(req),
        Err(e) => Parsed::FormErr(req, e),
    }
}

#[inline]
fn parse_body(req: &mut Request<'_>) -> Result<(), WireError> {
    let msg = req.msg;
    let mut pos = HEADER_LEN;
    if req.counts[0] == 1 {
        // A pointer in the first name could only point into the header.
        let mut lower = NameBuf::root();
        let end = read_plain_name_lower(msg, pos, &mut lower)?;
        let q = Question { name: &msg[pos..end], lower, qtype: get_u16(msg, end)?, qclass: get_u16(msg, end + 2)? };
        pos = end + 4;
        req.question = Some(q);
    } else {
        for _ in 0..req.counts[0] {
            pos = skip_name(msg, pos)? + 4;
            if pos > msg.len() {
                return Err(WireError::Truncated);
            }
        }
    }
    req.answer_at = pos;
    let total = req.counts[1] as usize + req.counts[2] as usize + req.counts[3] as usize;
    let first_additional = req.counts[1] as usize + req.counts[2] as usize;
    for i in 0..total {
        let start = pos;
        let name_end = skip_name(msg, pos)?;
        let t = get_u16(msg, name_end)?;
        let rdlen = get_u16(msg, name_end + 8)? as usize;
        let end = name_end + 10 + rdlen;
        if end > msg.len() {
            return Err(WireError::Truncated);
        }
        if req.tsig_at.is_some() {
            // Something follows the TSIG record.
            return Err(WireError::BadTsig);
        }
        match t {
            rtype::OPT => {
                // OPT only in the additional section, once, owned by the root.
                if i < first_additional || req.edns.is_some() || name_end != start + 1 || msg[start] != 0 {
                    return Err(WireError::BadOpt);
                }
                req.edns = Some(parse_opt(msg, name_end, end)?);
            }
            rtype::TSIG => {
                if i + 1 != total || i < first_additional {
                    return Err(WireError::BadTsig);
                }
                req.tsig_at = Some(start);
            }
            _ => super::rr::check_rdata(msg, name_end + 10, end, t)?,
        }
        pos = end;
    }
    // Counts must account for the whole message (RFC 1035 §4.1; checklist Q20).
    if pos != msg.len() {
        return Err(WireError::Malformed);
    }
    Ok(())
}

/// The EDNS EXPIRE option code (RFC 7314).
pub const EDNS_EXPIRE: u16 = 9;

fn parse_opt(msg: &[u8], at: usize, end: usize) -> Result<Edns, WireError> {
    let udp_size = get_u16(msg, at + 2)?.max(512);
    let ttl = get_u32(msg, at + 4)?;
    let mut edns = Edns {
        udp_size,
        version: (ttl >> 16) as u8,
        dnssec_ok: ttl & 0x8000 != 0,
        nsid: false,
        expire: false,
    };
    let mut p = at + 10;
    while p < end {
        let code = get_u16(msg, p)?;
        let len = get_u16(msg, p + 2)? as usize;
        if p + 4 + len > end {
            return Err(WireError::BadOpt);
        }
        match code {
            3 => edns.nsid = true,
            EDNS_EXPIRE => edns.expire = true,
            _ => {}
        }
        p += 4 + len;
    }
    Ok(edns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(extra: &[u8], arcount: u16) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, arcount as u8];
        m.extend_from_slice(&[3, b'W', b'w', b'W', 0, 0, 1, 0, 1]);
        m.extend_from_slice(extra);
        m
    }

    #[test]
    fn parses_question_and_opt() {
        let opt = [0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 4, 0, 3, 0, 0];
        let m = query(&opt, 1);
        let Parsed::Ok(r) = parse(&m) else { panic!() };
        let q = r.question.unwrap();
        assert_eq!(q.name, b"\x03WwW\x00");
        assert_eq!(q.lower.as_wire(), b"\x03www\x00");
        let e = r.edns.unwrap();
        assert_eq!((e.udp_size, e.version, e.dnssec_ok, e.nsid), (1232, 0, true, true));
    }

    #[test]
    fn rejects_two_opts_and_short_headers() {
        let opt = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0];
        let mut two = opt.to_vec();
        two.extend_from_slice(&opt);
        assert!(matches!(parse(&query(&two, 2)), Parsed::FormErr(_, WireError::BadOpt)));
        assert!(matches!(parse(&[0u8; 5]), Parsed::Drop));
        assert!(matches!(parse(&query(&[], 1)), Parsed::FormErr(..)));
    }
}
