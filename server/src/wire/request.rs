//! A parsed, borrowed view of a request message (RFC 1035 §4.1).
//!
//! Owns: validating the header, the single question, and the additional-section
//! records that matter to the server (OPT, RFC 6891, with the options it
//! answers: NSID, EXPIRE, COOKIE; TSIG, RFC 8945), without copying the
//! message. Must not: allocate, or decide how to answer.

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
    /// The COOKIE option (RFC 7873 §4), where it lies in the message.
    pub cookie: CookieOpt,
}

/// The COOKIE option of a request (RFC 7873 §4), as offsets into the
/// message so the request stays a borrowed view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookieOpt {
    /// No COOKIE option.
    #[default]
    Absent,
    /// A client cookie alone: 8 octets at this offset.
    Client(u16),
    /// A client cookie (8 octets at the offset) then a server cookie of
    /// 8 to 32 octets (the length given).
    Full(u16, u8),
    /// A COOKIE option of any other length, or two of them: FORMERR (RFC 7873 §5.2.2).
    Malformed,
}

impl CookieOpt {
    /// The client cookie and the server cookie (empty when absent) in `msg`.
    #[inline]
    pub fn parts<'m>(&self, msg: &'m [u8]) -> Option<(&'m [u8; 8], &'m [u8])> {
        let (at, slen) = match *self {
            CookieOpt::Client(at) => (at as usize, 0),
            CookieOpt::Full(at, n) => (at as usize, n as usize),
            _ => return None,
        };
        let client = msg.get(at..at + 8)?.try_into().ok()?;
        Some((client, msg.get(at + 8..at + 8 + slen)?))
    }
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
    let Some(mut req) = Request::header(msg) else { return Parsed::Drop };
    match parse_body(&mut req) {
        Ok(()) => Parsed::Ok(req),
        Err(e) => Parsed::FormErr(req, e),
    }
}

impl<'a> Request<'a> {
    /// The request with only its header read (no question yet), or `None`
    /// when `msg` is shorter than a header. Cheap: the question's name
    /// buffer is not touched until [`Request::parse_rest`].
    #[inline]
    pub fn header(msg: &'a [u8]) -> Option<Self> {
        let head: &[u8; HEADER_LEN] = msg.first_chunk()?;
        let h = |i: usize| u16::from_be_bytes([head[i], head[i + 1]]);
        Some(Request {
            msg,
            id: h(0),
            flags: h(2),
            counts: [h(4), h(6), h(8), h(10)],
            question: None,
            edns: None,
            tsig_at: None,
            answer_at: HEADER_LEN,
        })
    }

    /// Parses the rest of the message into `self` (made by
    /// [`Request::header`]), in place: [`parse`] without moving the request,
    /// which holds a 255-octet name buffer. On error `self` holds what could
    /// be read (answer FORMERR).
    #[inline]
    pub fn parse_rest(&mut self) -> Result<(), WireError> {
        parse_body(self)
    }
}

#[inline]
fn parse_body(req: &mut Request<'_>) -> Result<(), WireError> {
    let msg = req.msg;
    let mut pos = HEADER_LEN;
    if req.counts[0] == 1 {
        // A pointer in the first name could only point into the header.
        // The name is lowercased straight into the request (no copy of the buffer).
        let q = req.question.insert(Question { name: &[], lower: NameBuf::root(), qtype: 0, qclass: 0 });
        let parsed = read_plain_name_lower(msg, pos, &mut q.lower).and_then(|end| Ok((end, get_u16(msg, end)?, get_u16(msg, end + 2)?)));
        let (end, qtype, qclass) = match parsed {
            Ok(v) => v,
            Err(e) => {
                req.question = None;
                return Err(e);
            }
        };
        q.name = &msg[pos..end];
        q.qtype = qtype;
        q.qclass = qclass;
        pos = end + 4;
    } else {
        for _ in 0..req.counts[0] {
            pos = skip_name(msg, pos)? + 4;
            if pos > msg.len() {
                return Err(WireError::Truncated);
            }
        }
    }
    req.answer_at = pos;
    // The usual query ends with one OPT record (owner the root, in the
    // additional section) and nothing else: read it straight away. Anything
    // else, including an OPT that does not end the message, takes the
    // general walk below (which then finds what is wrong with it).
    if req.counts[1..] == [0, 0, 1] && msg.get(pos..pos + 3) == Some(&[0, (rtype::OPT >> 8) as u8, rtype::OPT as u8]) {
        let end = pos + 11 + get_u16(msg, pos + 9)? as usize;
        if end == msg.len() {
            req.edns = Some(parse_opt(msg, pos + 1, end)?);
            return Ok(());
        }
    }
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
/// The EDNS NSID option code (RFC 5001).
pub const EDNS_NSID: u16 = 3;
/// The EDNS COOKIE option code (RFC 7873).
pub const EDNS_COOKIE: u16 = 10;

#[inline]
fn parse_opt(msg: &[u8], at: usize, end: usize) -> Result<Edns, WireError> {
    let udp_size = get_u16(msg, at + 2)?.max(512);
    let ttl = get_u32(msg, at + 4)?;
    let mut edns = Edns { udp_size, version: (ttl >> 16) as u8, dnssec_ok: ttl & 0x8000 != 0, nsid: false, expire: false, cookie: CookieOpt::Absent };
    let mut p = at + 10;
    while p < end {
        let code = get_u16(msg, p)?;
        let len = get_u16(msg, p + 2)? as usize;
        if p + 4 + len > end {
            return Err(WireError::BadOpt);
        }
        match code {
            EDNS_NSID => edns.nsid = true,
            EDNS_EXPIRE => edns.expire = true,
            EDNS_COOKIE => {
                edns.cookie = match (edns.cookie, len) {
                    (CookieOpt::Absent, 8) => CookieOpt::Client((p + 4) as u16),
                    (CookieOpt::Absent, 16..=40) => CookieOpt::Full((p + 4) as u16, (len - 8) as u8),
                    _ => CookieOpt::Malformed,
                }
            }
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

    /// The one-OPT query takes a short cut; what is not exactly that still
    /// gets the errors of the general walk.
    #[test]
    fn opt_at_the_end_and_around_it() {
        let opt = [0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 4, 0, 3, 0, 0];
        let err = |m: &[u8]| match parse(m) {
            Parsed::FormErr(_, e) => Some(e),
            _ => None,
        };
        let ok = query(&opt, 1);
        let Parsed::Ok(r) = parse(&ok) else { panic!() };
        assert_eq!(r.edns.map(|e| (e.udp_size, e.dnssec_ok, e.nsid)), Some((1232, true, true)));
        assert_eq!(err(&query(&[&opt[..], &[0]].concat(), 1)), Some(WireError::Malformed), "a stray octet after it");
        assert_eq!(err(&query(&opt[..13], 1)), Some(WireError::Truncated), "RDATA cut short");
        assert_eq!(err(&query(&opt[..10], 1)), Some(WireError::Truncated), "RDLENGTH cut short");
        assert_eq!(err(&query(&[&opt[..7], &[0, 0, 0, 4, 0, 9, 0, 9]].concat(), 1)), Some(WireError::BadOpt), "an option past RDATA");
        let mut authority = query(&opt, 0);
        authority[9] = 1;
        assert_eq!(err(&authority), Some(WireError::BadOpt), "OPT in the authority section");
        let owned = [&[1, b'a', 0][..], &opt[1..]].concat();
        assert_eq!(err(&query(&owned, 1)), Some(WireError::BadOpt), "OPT not owned by the root");
    }

    /// COOKIE (RFC 7873 §4, §5.2.2): 8 octets a client cookie, 16 to 40 a
    /// client and a server cookie, any other length (or a second option) malformed.
    #[test]
    fn cookie_option_lengths() {
        let cookie = |lens: &[usize]| {
            let mut rdata = Vec::new();
            for &n in lens {
                rdata.extend_from_slice(&[0, 10, 0, n as u8]);
                rdata.extend((0..n).map(|i| i as u8));
            }
            let mut opt = vec![0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, rdata.len() as u8];
            opt.extend_from_slice(&rdata);
            let m = query(&opt, 1);
            let Parsed::Ok(r) = parse(&m) else { panic!("{lens:?}") };
            let c = r.edns.unwrap().cookie;
            (c, c.parts(&m).map(|(cc, sc)| (cc.to_vec(), sc.len())))
        };
        assert_eq!(cookie(&[]).0, CookieOpt::Absent);
        let (c, parts) = cookie(&[8]);
        assert!(matches!(c, CookieOpt::Client(_)));
        assert_eq!(parts, Some(((0..8).collect(), 0)));
        assert_eq!(cookie(&[24]).1, Some(((0..8).collect(), 16)));
        assert_eq!(cookie(&[40]).1.map(|p| p.1), Some(32));
        for bad in [&[0][..], &[7], &[9], &[15], &[41], &[8, 8]] {
            assert_eq!(cookie(bad).0, CookieOpt::Malformed, "{bad:?}");
        }
    }

    /// Parsing in place ([`Request::header`], [`Request::parse_rest`]) sees
    /// what [`parse`] sees, and a broken question leaves none behind.
    #[test]
    fn parsing_in_place_matches_parse() {
        let opt = [0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 4, 0, 3, 0, 0];
        let bad_opt = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 9];
        let mut cut_name = query(&[], 0);
        cut_name.truncate(14);
        let mut cut_type = query(&[], 0);
        cut_type.truncate(19);
        for m in [query(&opt, 1), query(&[], 0), query(&bad_opt, 1), cut_name, cut_type, vec![0; 11]] {
            let mut r = Request::header(&m);
            let rest = r.as_mut().map(Request::parse_rest);
            let seen = |r: &Request<'_>| {
                let q = r.question.map(|q| (q.name.to_vec(), q.lower.as_wire().to_vec(), q.qtype, q.qclass));
                (r.id, r.flags, r.counts, q, r.edns, r.tsig_at)
            };
            match (parse(&m), r, rest) {
                (Parsed::Drop, None, None) => {}
                (Parsed::Ok(p), Some(r), Some(Ok(()))) => assert_eq!(seen(&p), seen(&r)),
                (Parsed::FormErr(p, e), Some(r), Some(Err(e2))) => {
                    assert_eq!((seen(&p), e), (seen(&r), e2));
                    assert_eq!(r.question.is_some(), m.len() > 19, "{m:?}");
                }
                (p, r, rest) => panic!("{p:?} vs {r:?} {rest:?}"),
            }
        }
    }
}
