//! DNS messages on the wire, as the tests see them.
//!
//! Owns: building query packets from a [`QuerySpec`] (including deliberately
//! odd ones: any opcode, header bits, question count, duplicated or misplaced
//! OPT) and a strict parser for messages ([`Message::parse`]) that keeps what
//! the checks need: raw header bits, the question bytes exactly as sent, every
//! record with its names decompressed, the raw RDATA as it was on the wire,
//! and the OPT pseudo-record apart.
//!
//! The parser is strict on purpose (RFC 1035 §4.1, RFC 9619): labels ≤ 63,
//! names ≤ 255 octets, compression pointers only backwards and loop-free,
//! counts consistent with the length and no trailing octets. The robustness
//! test uses it to decide whether a mutated query is still well formed.

use crate::rr::{self, rdata_layout, Field, Rr};

/// Header flag bits (second 16-bit word of the header).
pub mod flag {
    /// Response.
    pub const QR: u16 = 0x8000;
    /// Authoritative answer.
    pub const AA: u16 = 0x0400;
    /// Truncated.
    pub const TC: u16 = 0x0200;
    /// Recursion desired.
    pub const RD: u16 = 0x0100;
    /// Recursion available.
    pub const RA: u16 = 0x0080;
    /// Reserved (must be zero).
    pub const Z: u16 = 0x0040;
    /// Authentic data.
    pub const AD: u16 = 0x0020;
    /// Checking disabled.
    pub const CD: u16 = 0x0010;
}

/// RCODE numbers, including extended ones (RFC 6891 §6.1.3).
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// Format error.
    pub const FORMERR: u16 = 1;
    /// Server failure.
    pub const SERVFAIL: u16 = 2;
    /// Name error.
    pub const NXDOMAIN: u16 = 3;
    /// Not implemented.
    pub const NOTIMP: u16 = 4;
    /// Refused.
    pub const REFUSED: u16 = 5;
    /// Name exists when it should not (RFC 6672 §2.2).
    pub const YXDOMAIN: u16 = 6;
    /// Not authoritative.
    pub const NOTAUTH: u16 = 9;
    /// Bad EDNS version (RFC 6891).
    pub const BADVERS: u16 = 16;
    /// Bad cookie (RFC 7873).
    pub const BADCOOKIE: u16 = 23;
}

const RCODE_NAMES: &[(&str, u16)] = &[
    ("NOERROR", 0),
    ("FORMERR", 1),
    ("SERVFAIL", 2),
    ("NXDOMAIN", 3),
    ("NOTIMP", 4),
    ("REFUSED", 5),
    ("YXDOMAIN", 6),
    ("YXRRSET", 7),
    ("NXRRSET", 8),
    ("NOTAUTH", 9),
    ("NOTZONE", 10),
    ("BADVERS", 16),
    ("BADCOOKIE", 23),
];

/// RCODE mnemonic or number.
pub fn rcode_name(r: u16) -> String {
    RCODE_NAMES.iter().find(|(_, v)| *v == r).map_or_else(|| format!("RCODE{r}"), |(n, _)| (*n).to_string())
}

/// Parses an RCODE mnemonic or number.
pub fn parse_rcode(s: &str) -> Option<u16> {
    let u = s.to_ascii_uppercase();
    RCODE_NAMES.iter().find(|(n, _)| *n == u).map(|(_, v)| *v).or_else(|| s.parse().ok())
}

/// EDNS(0) settings of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdnsSpec {
    /// Advertised UDP payload size.
    pub payload: u16,
    /// EDNS version.
    pub version: u8,
    /// DNSSEC OK.
    pub dnssec_ok: bool,
    /// Extra (unknown) flag bits to set, besides DO.
    pub extra_flags: u16,
    /// Options: code and data.
    pub options: Vec<(u16, Vec<u8>)>,
}

impl Default for EdnsSpec {
    fn default() -> Self {
        Self { payload: 1232, version: 0, dnssec_ok: false, extra_flags: 0, options: Vec::new() }
    }
}

/// Where to put (broken) OPT records, for RFC 6891 §6.1.1 tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptOddity {
    /// One OPT in the additional section, owner root.
    #[default]
    None,
    /// Two OPT records.
    Duplicate,
    /// The OPT record in the answer section.
    InAnswer,
    /// OPT owner is not the root.
    NonRootOwner,
}

/// A query to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySpec {
    /// QNAME in presentation form (case kept).
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
    /// Message ID.
    pub id: u16,
    /// OPCODE (0..=15).
    pub opcode: u8,
    /// Header bits to set (QR, AA, TC, RD, RA, Z, AD, CD).
    pub flags: u16,
    /// EDNS, or none.
    pub edns: Option<EdnsSpec>,
    /// Number of copies of the question to send (0 = header only).
    pub qdcount: u16,
    /// Send over TCP.
    pub tcp: bool,
    /// Odd OPT placement.
    pub opt_oddity: OptOddity,
}

impl QuerySpec {
    /// A query like `dig` sends by default: RD=1, EDNS version 0 with 1232 octets.
    pub fn new(name: &str, qtype: u16) -> Self {
        Self {
            name: name.to_string(),
            qtype,
            qclass: rr::classes::IN,
            id: 0x1234,
            opcode: 0,
            flags: flag::RD,
            edns: Some(EdnsSpec::default()),
            qdcount: 1,
            tcp: false,
            opt_oddity: OptOddity::None,
        }
    }

    /// Without EDNS.
    pub fn noedns(mut self) -> Self {
        self.edns = None;
        self
    }

    /// Over TCP.
    pub fn tcp(mut self) -> Self {
        self.tcp = true;
        self
    }

    /// The question in wire form (QNAME, QTYPE, QCLASS), case kept.
    pub fn question_bytes(&self) -> Result<Vec<u8>, String> {
        let mut q = rr::parse_name(&self.name, Some(&[0]))?;
        q.extend_from_slice(&self.qtype.to_be_bytes());
        q.extend_from_slice(&self.qclass.to_be_bytes());
        Ok(q)
    }

    /// The query packet.
    pub fn build(&self) -> Result<Vec<u8>, String> {
        let q = self.question_bytes()?;
        let opt = self.edns.as_ref().map(opt_record);
        let mut an = 0u16;
        let mut ar = 0u16;
        let mut answer = Vec::new();
        let mut additional = Vec::new();
        if let Some(opt) = &opt {
            match self.opt_oddity {
                OptOddity::None => {
                    additional.extend_from_slice(opt);
                    ar = 1;
                }
                OptOddity::Duplicate => {
                    additional.extend_from_slice(opt);
                    additional.extend_from_slice(opt);
                    ar = 2;
                }
                OptOddity::InAnswer => {
                    answer.extend_from_slice(opt);
                    an = 1;
                }
                OptOddity::NonRootOwner => {
                    // Owner "a." instead of the root.
                    additional.extend_from_slice(&[1, b'a']);
                    additional.extend_from_slice(opt);
                    ar = 1;
                }
            }
        }
        let flags = (self.flags & !0x7800) | (u16::from(self.opcode & 0x0f) << 11);
        let mut p = Vec::with_capacity(512);
        p.extend_from_slice(&self.id.to_be_bytes());
        p.extend_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(&self.qdcount.to_be_bytes());
        p.extend_from_slice(&an.to_be_bytes());
        p.extend_from_slice(&0u16.to_be_bytes());
        p.extend_from_slice(&ar.to_be_bytes());
        for _ in 0..self.qdcount {
            p.extend_from_slice(&q);
        }
        p.extend(answer);
        p.extend(additional);
        Ok(p)
    }
}

fn opt_record(e: &EdnsSpec) -> Vec<u8> {
    let mut r = vec![0u8];
    r.extend_from_slice(&rr::types::OPT.to_be_bytes());
    r.extend_from_slice(&e.payload.to_be_bytes());
    r.push(0); // extended RCODE
    r.push(e.version);
    let flags = e.extra_flags | if e.dnssec_ok { 0x8000 } else { 0 };
    r.extend_from_slice(&flags.to_be_bytes());
    let mut rd = Vec::new();
    for (code, data) in &e.options {
        rd.extend_from_slice(&code.to_be_bytes());
        rd.extend_from_slice(&(data.len() as u16).to_be_bytes());
        rd.extend_from_slice(data);
    }
    r.extend_from_slice(&(rd.len() as u16).to_be_bytes());
    r.extend(rd);
    r
}

/// The OPT pseudo-record of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// UDP payload size (the CLASS field).
    pub payload: u16,
    /// Upper 8 bits of the extended RCODE.
    pub ext_rcode: u8,
    /// EDNS version.
    pub version: u8,
    /// Flags (DO is 0x8000).
    pub flags: u16,
    /// Options: code and data.
    pub options: Vec<(u16, Vec<u8>)>,
    /// Owner is the root.
    pub owner_is_root: bool,
}

impl Opt {
    /// DNSSEC OK bit.
    pub fn dnssec_ok(&self) -> bool {
        self.flags & 0x8000 != 0
    }
}

/// A record as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRecord {
    /// The record with names decompressed (case as on the wire).
    pub rr: Rr,
    /// RDATA exactly as on the wire (may hold compression pointers).
    pub raw_rdata: Vec<u8>,
    /// Offset of the record's first octet in the message.
    pub offset: usize,
}

/// A question as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// QNAME, decompressed, case kept.
    pub name: Vec<u8>,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Message {
    /// The bytes received.
    pub raw: Vec<u8>,
    /// ID.
    pub id: u16,
    /// The flags word (QR, OPCODE, AA, TC, RD, RA, Z, AD, CD, RCODE).
    pub flags: u16,
    /// Counts as given in the header.
    pub counts: [u16; 4],
    /// Questions.
    pub questions: Vec<Question>,
    /// The question section bytes exactly as received.
    pub question_bytes: Vec<u8>,
    /// Answer section.
    pub answer: Vec<WireRecord>,
    /// Authority section.
    pub authority: Vec<WireRecord>,
    /// Additional section without OPT.
    pub additional: Vec<WireRecord>,
    /// The OPT record, if any (only the first if there are several).
    pub opt: Option<Opt>,
    /// Number of OPT records seen in any section.
    pub opt_count: usize,
    /// Whether an OPT appeared outside the additional section.
    pub opt_misplaced: bool,
}

/// Reads a possibly compressed name at `pos` of `msg`; returns the
/// uncompressed name and the offset just past it in the original position.
/// Strict: pointers only backwards, at most 127 of them, labels ≤ 63, name
/// ≤ 255 octets, no label types 0x40/0x80.
pub fn read_name(msg: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), String> {
    let mut out = Vec::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos).ok_or("name runs past the end")? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    out.push(0);
                    if out.len() > 255 {
                        return Err("name longer than 255 octets".into());
                    }
                    return Ok((out, end.unwrap_or(pos + 1)));
                }
                let label = msg.get(pos + 1..pos + 1 + len).ok_or("label runs past the end")?;
                out.push(len as u8);
                out.extend_from_slice(label);
                if out.len() > 255 {
                    return Err("name longer than 255 octets".into());
                }
                pos += 1 + len;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or("pointer runs past the end")? as usize;
                let target = ((len & 0x3f) << 8) | lo;
                if target >= pos {
                    return Err(format!("compression pointer at {pos} points forward to {target}"));
                }
                jumps += 1;
                if jumps > 127 {
                    return Err("too many compression pointers".into());
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(format!("unknown label type 0x{len:02x}")),
        }
    }
}

fn u16_at(b: &[u8], i: usize) -> Result<u16, String> {
    b.get(i..i + 2).map(|s| u16::from_be_bytes([s[0], s[1]])).ok_or_else(|| "message truncated".to_string())
}

fn u32_at(b: &[u8], i: usize) -> Result<u32, String> {
    b.get(i..i + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "message truncated".to_string())
}

/// Decompresses the names of RDATA at `msg[start..start+len]` for types with
/// a known layout; other RDATA is copied as is.
fn read_rdata(msg: &[u8], rtype: u16, start: usize, len: usize) -> Result<Vec<u8>, String> {
    let raw = msg.get(start..start + len).ok_or("RDATA runs past the end")?;
    let Some(layout) = rdata_layout(rtype) else {
        return Ok(raw.to_vec());
    };
    let mut out = Vec::new();
    let mut i = start;
    for f in layout {
        match f {
            Field::Fixed(n) => {
                out.extend_from_slice(msg.get(i..i + n).filter(|_| i + n <= start + len).ok_or("RDATA too short")?);
                i += n;
            }
            Field::Name => {
                let (n, next) = read_name(msg, i)?;
                if next > start + len {
                    return Err(format!("name in {} RDATA runs past RDLENGTH", rr::type_name(rtype)));
                }
                out.extend(n);
                i = next;
            }
        }
    }
    if i != start + len {
        return Err(format!("{} RDATA has {} octets after its fields", rr::type_name(rtype), start + len - i));
    }
    Ok(out)
}

impl Message {
    /// Parses a message strictly (see the module docs).
    pub fn parse(buf: &[u8]) -> Result<Message, String> {
        if buf.len() < 12 {
            return Err(format!("message of {} octets is shorter than a header", buf.len()));
        }
        let counts = [u16_at(buf, 4)?, u16_at(buf, 6)?, u16_at(buf, 8)?, u16_at(buf, 10)?];
        let mut m = Message {
            raw: buf.to_vec(),
            id: u16_at(buf, 0)?,
            flags: u16_at(buf, 2)?,
            counts,
            questions: Vec::new(),
            question_bytes: Vec::new(),
            answer: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
            opt: None,
            opt_count: 0,
            opt_misplaced: false,
        };
        let mut pos = 12;
        for _ in 0..counts[0] {
            let (name, next) = read_name(buf, pos)?;
            let qtype = u16_at(buf, next)?;
            let qclass = u16_at(buf, next + 2)?;
            m.questions.push(Question { name, qtype, qclass });
            pos = next + 4;
        }
        m.question_bytes = buf[12..pos].to_vec();
        for (section, &count) in counts[1..].iter().enumerate() {
            for _ in 0..count {
                let offset = pos;
                let (owner, next) = read_name(buf, pos)?;
                let rtype = u16_at(buf, next)?;
                let class = u16_at(buf, next + 2)?;
                let ttl = u32_at(buf, next + 4)?;
                let rdlen = u16_at(buf, next + 8)? as usize;
                let start = next + 10;
                if start + rdlen > buf.len() {
                    return Err(format!("RDLENGTH {rdlen} runs past the end of the message"));
                }
                pos = start + rdlen;
                if rtype == rr::types::OPT {
                    m.opt_count += 1;
                    if section != 2 {
                        m.opt_misplaced = true;
                    }
                    if m.opt.is_none() {
                        m.opt = Some(parse_opt(&owner, class, ttl, &buf[start..start + rdlen])?);
                    }
                    continue;
                }
                let rdata = read_rdata(buf, rtype, start, rdlen)?;
                let rec = WireRecord { rr: Rr { owner, ttl: Some(ttl), class, rtype, rdata }, raw_rdata: buf[start..start + rdlen].to_vec(), offset };
                match section {
                    0 => m.answer.push(rec),
                    1 => m.authority.push(rec),
                    _ => m.additional.push(rec),
                }
            }
        }
        if pos != buf.len() {
            return Err(format!("{} octets after the last record", buf.len() - pos));
        }
        Ok(m)
    }

    /// OPCODE.
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }

    /// Whether a header bit is set.
    pub fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    /// The full RCODE: header bits plus the OPT extension (RFC 6891 §6.1.3).
    pub fn rcode(&self) -> u16 {
        let low = self.flags & 0x000f;
        match &self.opt {
            Some(o) => (u16::from(o.ext_rcode) << 4) | low,
            None => low,
        }
    }

    /// A dig-like rendering, for failure messages.
    pub fn render(&self) -> String {
        let mut s = format!(
            ";; id {} opcode {} rcode {} flags:{}; QUERY {} ANSWER {} AUTHORITY {} ADDITIONAL {}; {} octets\n",
            self.id,
            self.opcode(),
            rcode_name(self.rcode()),
            flag_names(self.flags),
            self.counts[0],
            self.counts[1],
            self.counts[2],
            self.counts[3],
            self.raw.len(),
        );
        if let Some(o) = &self.opt {
            s.push_str(&format!(
                ";; OPT version {} payload {} flags 0x{:04x} ext-rcode {} options {:?}\n",
                o.version,
                o.payload,
                o.flags,
                o.ext_rcode,
                o.options.iter().map(|(c, d)| format!("{c}:{}", rr::hex(d))).collect::<Vec<_>>()
            ));
        }
        for q in &self.questions {
            s.push_str(&format!(";; QUESTION {} {} {}\n", rr::name_to_string(&q.name), rr::class_name(q.qclass), rr::type_name(q.qtype)));
        }
        for (title, sec) in [("ANSWER", &self.answer), ("AUTHORITY", &self.authority), ("ADDITIONAL", &self.additional)] {
            if !sec.is_empty() {
                s.push_str(&format!(";; {title}\n"));
                for r in sec {
                    s.push_str(&format!("   {}\n", r.rr.to_text()));
                }
            }
        }
        s
    }
}

/// Names of the header bits set in `flags`.
pub fn flag_names(flags: u16) -> String {
    let mut s = String::new();
    for (bit, n) in
        [(flag::QR, "qr"), (flag::AA, "aa"), (flag::TC, "tc"), (flag::RD, "rd"), (flag::RA, "ra"), (flag::Z, "z"), (flag::AD, "ad"), (flag::CD, "cd")]
    {
        if flags & bit != 0 {
            s.push(' ');
            s.push_str(n);
        }
    }
    s
}

fn parse_opt(owner: &[u8], class: u16, ttl: u32, rd: &[u8]) -> Result<Opt, String> {
    let mut options = Vec::new();
    let mut i = 0;
    while i < rd.len() {
        let code = u16_at(rd, i)?;
        let len = u16_at(rd, i + 2)? as usize;
        let data = rd.get(i + 4..i + 4 + len).ok_or("EDNS option runs past the OPT RDATA")?;
        options.push((code, data.to_vec()));
        i += 4 + len;
    }
    Ok(Opt { payload: class, ext_rcode: (ttl >> 24) as u8, version: (ttl >> 16) as u8, flags: ttl as u16, options, owner_is_root: owner == [0] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_a_query() {
        let mut q = QuerySpec::new("WwW.ExAmPlE.com", rr::types::A);
        q.edns.as_mut().unwrap().options.push((100, vec![1, 2]));
        let p = q.build().unwrap();
        let m = Message::parse(&p).unwrap();
        assert_eq!(m.question_bytes, q.question_bytes().unwrap());
        assert_eq!(rr::name_to_string(&m.questions[0].name), "WwW.ExAmPlE.com.");
        assert_eq!(m.opt.as_ref().unwrap().options, vec![(100, vec![1, 2])]);
        assert!(m.has(flag::RD));
    }

    #[test]
    fn rejects_pointer_loops_and_forward_pointers() {
        let mut p = QuerySpec::new("a.", 1).noedns().build().unwrap();
        p.truncate(12);
        p.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(Message::parse(&p).is_err());
        p.truncate(12);
        p.extend_from_slice(&[0xc0, 14, 0, 0, 1, 0, 1]);
        assert!(Message::parse(&p).is_err());
    }
}
