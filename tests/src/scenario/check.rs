//! Running one case and judging the response.
//!
//! Every response is held to invariants that hold for any query to an
//! authoritative server without DNSSEC, whatever the case says:
//!
//! * it parses strictly ([`Message::parse`]) and with hickory-proto;
//! * ID, OPCODE, RD and CD are copied; QR=1; RA=0, AD=0, Z=0 (RFC 1035,
//!   RFC 4035 §3.1.6, RFC 8906 §8.1.3);
//! * the question is echoed byte for byte (RFC 4343), except that FORMERR and
//!   NOTIMP may carry no question;
//! * an OPT is present exactly when the query had one (RFC 6891 §7, E1/E8),
//!   with version 0, owner root, only one, unknown flag bits clear, no
//!   unknown options echoed, no edns-tcp-keepalive over UDP (RFC 7828 §3.2.1)
//!   and an advertised payload of at least 512;
//! * over UDP the size is at most 512 without EDNS and at most
//!   min(max(512, offered), server maximum) with it (RFC 6891 §6.2.5);
//! * TC is clear over TCP, and clear over UDP unless the case says `flags tc`;
//! * within a section, the records of one RRset share one TTL and no record
//!   appears twice (RFC 2181 §5).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::parse::{Case, Check, EdnsCheck, Section};
use crate::client;
use crate::rr::{self, Rr};
use crate::wire::{self, flag, Message, QuerySpec, WireRecord};

/// How long to wait for an answer.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long to wait before deciding that no reply is coming.
pub const NOREPLY_WAIT: Duration = Duration::from_millis(800);

/// EDNS option codes a response may carry: NSID, ECS, EXPIRE, COOKIE,
/// keepalive, padding, EDE (RFC 5001, 7871, 7314, 7873, 7828, 7830, 8914).
const KNOWN_OPTIONS: &[u16] = &[3, 8, 9, 10, 11, 12, 15];

/// Sends a query as the spec says (UDP or TCP) and returns the raw reply.
pub fn exchange(addr: SocketAddr, q: &QuerySpec, timeout: Duration) -> Result<Option<Vec<u8>>, String> {
    let packet = q.build()?;
    let r = if q.tcp { client::tcp_exchange(addr, &packet, timeout) } else { client::udp_exchange(addr, &packet, timeout) };
    r.map_err(|e| format!("{} exchange failed: {e}", if q.tcp { "TCP" } else { "UDP" }))
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What went wrong; empty when the case passed.
    pub problems: Vec<String>,
    /// The response as dig-like text, when there was one.
    pub response: Option<String>,
}

/// Runs `case` against the server at `addr`, whose UDP maximum is `udp_max`.
pub fn run_case(addr: SocketAddr, udp_max: u16, case: &Case) -> Outcome {
    let mut p = Vec::new();
    let q = &case.query;
    let e = &case.expect;
    let wait = if e.noreply { NOREPLY_WAIT } else { REPLY_TIMEOUT };
    let raw = match exchange(addr, q, wait) {
        Ok(r) => r,
        Err(m) => return Outcome { problems: vec![m], response: None },
    };
    let Some(raw) = raw else {
        if !e.noreply {
            p.push(format!("no reply within {wait:?}"));
        }
        return Outcome { problems: p, response: None };
    };
    let m = match Message::parse(&raw) {
        Ok(m) => m,
        Err(err) => return Outcome { problems: vec![format!("malformed response ({err}): {}", rr::hex(&raw))], response: None },
    };
    let response = Some(m.render());
    if e.noreply {
        p.push("expected no reply, got one".into());
        return Outcome { problems: p, response };
    }
    invariants(&mut p, q, &m, udp_max, e.edns.contains(&EdnsCheck::AnyPresence));
    expectations(&mut p, addr, case, &m);
    Outcome { problems: p, response }
}

fn invariants(p: &mut Vec<String>, q: &QuerySpec, m: &Message, udp_max: u16, any_opt: bool) {
    if let Err(err) = hickory_proto::op::Message::from_vec(&m.raw) {
        p.push(format!("hickory-proto cannot parse the response: {err}"));
    }
    if m.id != q.id {
        p.push(format!("ID {} is not the query's {}", m.id, q.id));
    }
    if !m.has(flag::QR) {
        p.push("QR=0 in a response".into());
    }
    if m.opcode() != q.opcode {
        p.push(format!("OPCODE {} is not the query's {}", m.opcode(), q.opcode));
    }
    for (bit, name) in [(flag::RD, "RD"), (flag::CD, "CD")] {
        if m.has(bit) != (q.flags & bit != 0) {
            p.push(format!("{name} not copied from the query"));
        }
    }
    for (bit, name) in [(flag::RA, "RA"), (flag::AD, "AD"), (flag::Z, "Z")] {
        if m.has(bit) {
            p.push(format!("{name}=1 (an authoritative server without DNSSEC sets it to 0)"));
        }
    }
    if q.tcp && m.has(flag::TC) {
        p.push("TC=1 over TCP".into());
    }
    // Question echo (Q5).
    let rc = m.rcode();
    let qbytes = q.question_bytes().unwrap_or_default();
    if q.qdcount == 1 {
        let may_omit = rc == wire::rcode::FORMERR || rc == wire::rcode::NOTIMP;
        if m.counts[0] == 0 && !may_omit {
            p.push("question section missing".into());
        } else if m.counts[0] > 1 || (m.counts[0] == 1 && m.question_bytes != qbytes) {
            p.push(format!("question not echoed byte for byte: sent {}, got {}", rr::hex(&qbytes), rr::hex(&m.question_bytes)));
        }
    }
    // OPT (E1, E8, E4, E5).
    let query_opt = q.edns.is_some();
    if !any_opt {
        match (query_opt, m.opt.is_some()) {
            (true, false) => p.push("query had OPT but the response has none (RFC 6891 §7)".into()),
            (false, true) => p.push("query had no OPT but the response has one".into()),
            _ => {}
        }
    }
    if m.opt_count > 1 {
        p.push(format!("{} OPT records in the response", m.opt_count));
    }
    if m.opt_misplaced {
        p.push("OPT outside the additional section".into());
    }
    if let Some(o) = &m.opt {
        if !o.owner_is_root {
            p.push("OPT owner is not the root".into());
        }
        if o.version != 0 {
            p.push(format!("response OPT version {} (we speak version 0)", o.version));
        }
        if o.flags & 0x7fff != 0 {
            p.push(format!("response OPT has unknown flag bits 0x{:04x} set (RFC 6891 §6.1.4)", o.flags & 0x7fff));
        }
        if o.payload < 512 {
            p.push(format!("response OPT advertises payload {} < 512", o.payload));
        }
        for (code, _) in &o.options {
            if !KNOWN_OPTIONS.contains(code) {
                p.push(format!("response echoes unknown EDNS option {code} (RFC 6891 §6.1.2)"));
            }
            if *code == 11 && !q.tcp {
                p.push("edns-tcp-keepalive sent over UDP (RFC 7828 §3.2.1)".into());
            }
        }
    }
    if !q.tcp {
        let limit = match &q.edns {
            None => 512,
            Some(e) => e.payload.max(512).min(udp_max.max(512)),
        } as usize;
        if m.raw.len() > limit {
            p.push(format!("UDP response of {} octets exceeds the limit of {limit}", m.raw.len()));
        }
    }
    for (name, sec) in [("answer", &m.answer), ("authority", &m.authority), ("additional", &m.additional)] {
        let mut ttls: HashMap<(Vec<u8>, u16, u16), u32> = HashMap::new();
        let mut seen: Vec<(Rr, usize)> = Vec::new();
        for r in sec {
            let c = r.rr.canonical();
            let key = (c.owner.clone(), c.class, c.rtype);
            if let Some(t) = ttls.insert(key, c.ttl.unwrap_or(0)) {
                if Some(t) != c.ttl {
                    p.push(format!("{name}: RRset {} has more than one TTL (RFC 2181 §5.2)", short(&c)));
                }
            }
            let mut no_ttl = c.clone();
            no_ttl.ttl = None;
            match seen.iter_mut().find(|(x, _)| *x == no_ttl) {
                Some((_, n)) => *n += 1,
                None => seen.push((no_ttl, 1)),
            }
        }
        for (r, n) in seen.iter().filter(|(_, n)| *n > 1) {
            p.push(format!("{name}: record appears {n} times (RFC 2181 §5): {}", r.to_text()));
        }
    }
}

fn short(r: &Rr) -> String {
    format!("{} {} {}", rr::name_to_string(&r.owner), rr::class_name(r.class), rr::type_name(r.rtype))
}

fn expectations(p: &mut Vec<String>, addr: SocketAddr, case: &Case, m: &Message) {
    let e = &case.expect;
    let q = &case.query;
    let rc = m.rcode();
    if !e.rcodes.is_empty() && !e.rcodes.contains(&rc) {
        let want: Vec<String> = e.rcodes.iter().map(|r| wire::rcode_name(*r)).collect();
        p.push(format!("rcode: expected {}, got {}", want.join("|"), wire::rcode_name(rc)));
    }
    let mut flags = e.flags.clone();
    if !flags.iter().any(|(b, _)| *b == flag::TC) {
        flags.push((flag::TC, false));
    }
    for (bit, want) in flags {
        if m.has(bit) != want {
            p.push(format!("flag {}: expected {}, got {}", wire::flag_names(bit).trim().to_uppercase(), u8::from(want), u8::from(!want)));
        }
    }
    for c in &e.edns {
        let o = m.opt.as_ref();
        match c {
            EdnsCheck::AnyPresence => {}
            EdnsCheck::Present(want) => {
                if o.is_some() != *want {
                    p.push(format!("OPT expected {}", if *want { "present" } else { "absent" }));
                }
            }
            EdnsCheck::Version(v) => match o {
                Some(o) if o.version == *v => {}
                _ => p.push(format!("expected an OPT with version {v}")),
            },
            EdnsCheck::DnssecOk(want) => {
                if o.is_none_or(|o| o.dnssec_ok() != *want) {
                    p.push(format!("expected an OPT with DO={}", u8::from(*want)));
                }
            }
            EdnsCheck::Option(code, want) => {
                let has = o.is_some_and(|o| o.options.iter().any(|(c, _)| c == code));
                if has != *want {
                    p.push(format!("EDNS option {code} expected {}", if *want { "present" } else { "absent" }));
                }
            }
            EdnsCheck::PayloadAtLeast(n) => {
                if o.is_none_or(|o| o.payload < *n) {
                    p.push(format!("expected an OPT advertising at least {n} octets"));
                }
            }
        }
    }
    let secs: [(&str, &Vec<WireRecord>); 3] = [("answer", &m.answer), ("authority", &m.authority), ("additional", &m.additional)];
    for (i, (name, got)) in secs.iter().enumerate() {
        compare_section(p, name, &e.sections[i], got);
    }
    for c in &e.checks {
        match c {
            Check::SizeAtMost(n) => {
                if m.raw.len() > *n {
                    p.push(format!("response is {} octets, more than {n}", m.raw.len()));
                }
            }
            Check::NonEmpty(i) => {
                if secs[*i].1.is_empty() {
                    p.push(format!("{} section is empty", secs[*i].0));
                }
            }
            Check::Uncompressed(t) => {
                for (name, sec) in secs {
                    for r in sec.iter().filter(|r| r.rr.rtype == *t) {
                        if has_pointer_in_names(r) {
                            p.push(format!(
                                "{name}: {} RDATA is compressed on the wire ({}); RFC 3597 §4 forbids it",
                                rr::type_name(*t),
                                rr::hex(&r.raw_rdata)
                            ));
                        }
                    }
                }
            }
            Check::WholeRrsets => whole_rrsets(p, addr, q, m),
        }
    }
}

/// Whether the raw RDATA holds a compression pointer where a name is.
fn has_pointer_in_names(r: &WireRecord) -> bool {
    let Some(layout) = rr::rdata_layout(r.rr.rtype) else {
        return false;
    };
    let raw = &r.raw_rdata;
    let mut i = 0;
    for f in layout {
        match f {
            rr::Field::Fixed(n) => i += n,
            rr::Field::Name => loop {
                let Some(&l) = raw.get(i) else { return false };
                if l & 0xc0 == 0xc0 {
                    return true;
                }
                i += 1 + l as usize;
                if l == 0 {
                    break;
                }
            },
        }
    }
    false
}

fn compare_section(p: &mut Vec<String>, name: &str, want: &Section, got: &[WireRecord]) {
    let empty = Vec::new();
    let expected = match want {
        Section::Ignore => return,
        Section::Empty => &empty,
        Section::Records(r) => r,
    };
    let expected: Vec<(Rr, bool)> = expected.iter().map(|(r, o)| (r.canonical(), *o)).collect();
    let mut used = vec![false; expected.len()];
    let mut unexpected = Vec::new();
    // Required records first, so an optional twin does not steal a match.
    let order: Vec<usize> = (0..expected.len()).filter(|&i| !expected[i].1).chain((0..expected.len()).filter(|&i| expected[i].1)).collect();
    for g in got {
        let c = g.rr.canonical();
        let hit = order.iter().copied().find(|&i| {
            let (x, _) = &expected[i];
            !used[i] && x.owner == c.owner && x.class == c.class && x.rtype == c.rtype && x.rdata == c.rdata && (x.ttl.is_none() || x.ttl == c.ttl)
        });
        match hit {
            Some(i) => used[i] = true,
            None => unexpected.push(c.to_text()),
        }
    }
    for u in unexpected {
        p.push(format!("{name}: unexpected  {u}"));
    }
    for (i, (x, optional)) in expected.iter().enumerate() {
        if !used[i] && !optional {
            p.push(format!("{name}: missing     {}", x.to_text()));
        }
    }
}

fn whole_rrsets(p: &mut Vec<String>, addr: SocketAddr, q: &QuerySpec, m: &Message) {
    let mut tq = q.clone();
    tq.tcp = true;
    let full = match exchange(addr, &tq, REPLY_TIMEOUT) {
        Ok(Some(raw)) => match Message::parse(&raw) {
            Ok(f) => f,
            Err(e) => return p.push(format!("whole-rrsets: TCP response malformed: {e}")),
        },
        Ok(None) => return p.push("whole-rrsets: no TCP response".into()),
        Err(e) => return p.push(format!("whole-rrsets: {e}")),
    };
    for (name, part, whole) in [("answer", &m.answer, &full.answer), ("authority", &m.authority, &full.authority)] {
        let count = |sec: &[WireRecord], k: &(Vec<u8>, u16, u16)| {
            sec.iter()
                .filter(|r| {
                    let c = r.rr.canonical();
                    (c.owner, c.class, c.rtype) == *k
                })
                .count()
        };
        for r in part {
            let c = r.rr.canonical();
            let k = (c.owner.clone(), c.class, c.rtype);
            let (a, b) = (count(part, &k), count(whole, &k));
            if a != b {
                p.push(format!("{name}: RRset {} has {a} of the {b} records sent over TCP (partial RRset)", short(&c)));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse::parse;

    fn rec(line: &str) -> WireRecord {
        WireRecord { rr: Rr::parse(line, None).unwrap(), raw_rdata: Vec::new(), offset: 0 }
    }

    fn problems(scn: &str, got: &[&str]) -> Vec<String> {
        let sc = parse("t.scn", scn).unwrap();
        let got: Vec<WireRecord> = got.iter().map(|l| rec(l)).collect();
        let mut p = Vec::new();
        compare_section(&mut p, "answer", &sc.cases[0].expect.sections[0], &got);
        p
    }

    const SCN: &str =
        "zone x. x.zone\ncase c\n covers Q7\n query a.x. A\n rcode NOERROR\n answer\n  a.x. 300 IN A 192.0.2.1\n  ? a.x. * IN A 192.0.2.2\n";

    #[test]
    fn sections_compare_semantically() {
        assert!(problems(SCN, &["A.X. 300 IN A 192.0.2.1"]).is_empty());
        assert!(problems(SCN, &["a.x. 300 IN A 192.0.2.1", "a.x. 7 IN A \\# 4 c0000202"]).is_empty());
        let p = problems(SCN, &["a.x. 301 IN A 192.0.2.1"]);
        assert_eq!(p.len(), 2, "{p:?}"); // wrong TTL: unexpected + missing
        let p = problems(SCN, &["a.x. 300 IN A 192.0.2.1", "a.x. 300 IN A 192.0.2.1"]);
        assert_eq!(p.len(), 1, "{p:?}"); // second copy is unexpected
        let p = problems("zone x. x.zone\ncase c\n covers Q7\n query a.x. A\n rcode NOERROR\n", &["a.x. 1 IN A 192.0.2.1"]);
        assert_eq!(p.len(), 1, "a section not mentioned must be empty: {p:?}");
    }

    #[test]
    fn pointers_in_srv_rdata_are_found() {
        let mut r = rec("s.x. 1 IN SRV 1 2 3 t.x.");
        r.raw_rdata = vec![0, 1, 0, 2, 0, 3, 1, b't', 0xc0, 12];
        assert!(has_pointer_in_names(&r));
        r.raw_rdata = vec![0, 1, 0, 2, 0, 3, 1, b't', 1, b'x', 0];
        assert!(!has_pointer_in_names(&r));
    }
}
