//! Black-box tests of the zone-transfer rows of the RFC checklist
//! (`RFC-CHECKLIST.md` §4.4–4.8: A*, I*, N*, T*, S*) that the other `xfr_*`
//! tests do not prove. Every test runs the real `ironbind` binary on loopback
//! and names the rows it covers; `docs/TRANSFERS.md` maps every row to its
//! test. Messages are built and read here with a small wire codec of our own
//! (and TSIG-signed with `ironbind::tsig::ClientSession`), so the server's
//! exact bytes are checked, not a client's interpretation of them.

mod xfr_common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use ironbind::tsig::{ClientSession, Key, TsigError};
use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

const T_A: u16 = 1;
const T_NS: u16 = 2;
const T_SOA: u16 = 6;
const T_TXT: u16 = 16;
const T_OPT: u16 = 41;
const T_TSIG: u16 = 250;
const T_IXFR: u16 = 251;
const T_AXFR: u16 = 252;
const C_IN: u16 = 1;
const C_CH: u16 = 3;

const NOERROR: u16 = 0;
const FORMERR: u16 = 1;
const SERVFAIL: u16 = 2;
const NOTIMP: u16 = 4;
const REFUSED: u16 = 5;
const NOTAUTH: u16 = 9;
const OP_NOTIFY: u8 = 4;

const BADSIG: u16 = 16;
const BADKEY: u16 = 17;
const BADTIME: u16 = 18;
const BADTRUNC: u16 = 22;

// ─── building messages ────────────────────────────────────────────────────

/// `name` in wire form, labels as given (case preserved), uncompressed.
fn wire_name(name: &str) -> Vec<u8> {
    let mut w = Vec::new();
    for l in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        w.push(l.len() as u8);
        w.extend_from_slice(l.as_bytes());
    }
    w.push(0);
    w
}

/// Appends one resource record.
fn push_rr(m: &mut Vec<u8>, owner: &str, t: u16, class: u16, ttl: u32, rdata: &[u8]) {
    m.extend_from_slice(&wire_name(owner));
    m.extend_from_slice(&t.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    m.extend_from_slice(&ttl.to_be_bytes());
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
}

/// Adds 1 to the section count `i` (0 = question … 3 = additional).
fn bump(m: &mut [u8], i: usize) {
    let at = 4 + 2 * i;
    let n = u16::from_be_bytes([m[at], m[at + 1]]) + 1;
    m[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

/// SOA RDATA of the test zones (`ns1`/`hostmaster` under `example.com`).
fn soa_rdata(serial: u32) -> Vec<u8> {
    let mut r = wire_name("ns1.example.com");
    r.extend_from_slice(&wire_name("hostmaster.example.com"));
    for v in [serial, SLOW.0, SLOW.1, SLOW.2, 300] {
        r.extend_from_slice(&v.to_be_bytes());
    }
    r
}

/// A request: `opcode`, RD clear, one question.
fn request(id: u16, opcode: u8, name: &str, qtype: u16) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&(u16::from(opcode) << 11).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&wire_name(name));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&C_IN.to_be_bytes());
    m
}

/// A QUERY.
fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    request(id, 0, name, qtype)
}

/// An IXFR query carrying our SOA with `serial` in the authority section (RFC 1995 §3).
fn ixfr_query(id: u16, zone: &str, serial: u32) -> Vec<u8> {
    let mut m = query(id, zone, T_IXFR);
    push_rr(&mut m, zone, T_SOA, C_IN, 300, &soa_rdata(serial));
    bump(&mut m, 2);
    m
}

/// A NOTIFY (AA set, RFC 1996 §3.7), optionally with an SOA hint in the answer section.
fn notify_query(id: u16, zone: &str, hint: Option<u32>) -> Vec<u8> {
    let mut m = request(id, OP_NOTIFY, zone, T_SOA);
    m[2] |= 0x04; // AA
    if let Some(serial) = hint {
        push_rr(&mut m, zone, T_SOA, C_IN, 300, &soa_rdata(serial));
        bump(&mut m, 1);
    }
    m
}

/// Appends an OPT record offering `size` octets (RFC 6891).
fn with_edns(mut m: Vec<u8>, size: u16) -> Vec<u8> {
    m.extend_from_slice(&[0, 0, 41]);
    m.extend_from_slice(&size.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    bump(&mut m, 3);
    m
}

/// The test key `xfr-key` (hmac-sha256, [`SECRET`]).
fn xfr_key() -> Key {
    Key::from_spec(&format!("{KEY}=hmac-sha256:{SECRET}")).unwrap()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Signs `m` in place with `key` at time `at`; the session verifies the answer.
fn sign_at(m: &mut Vec<u8>, key: &Key, at: u64) -> ClientSession {
    ClientSession::sign_request(key, m, at).unwrap()
}

fn sign(m: &mut Vec<u8>, key: &Key) -> ClientSession {
    sign_at(m, key, unix_now())
}

// ─── reading messages ─────────────────────────────────────────────────────

/// Reads the name at `pos` (following compression pointers); returns it
/// dotted, case as received, and the offset after it.
fn read_name(m: &[u8], mut pos: usize) -> (String, usize) {
    let (mut labels, mut end, mut hops) = (Vec::new(), None, 0);
    loop {
        let len = m[pos] as usize;
        if len & 0xC0 == 0xC0 {
            end.get_or_insert(pos + 2);
            pos = (len & 0x3F) << 8 | m[pos + 1] as usize;
            hops += 1;
            assert!(hops < 64, "compression loop");
            continue;
        }
        if len == 0 {
            let end = end.unwrap_or(pos + 1);
            let name = if labels.is_empty() { ".".to_string() } else { format!("{}.", labels.join(".")) };
            return (name, end);
        }
        labels.push(String::from_utf8_lossy(&m[pos + 1..pos + 1 + len]).into_owned());
        pos += 1 + len;
    }
}

fn be16(m: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([m[at], m[at + 1]])
}

fn be32(m: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])
}

/// One resource record of a received message.
#[derive(Debug, Clone)]
struct Rr {
    /// 1 answer, 2 authority, 3 additional.
    section: u8,
    /// Owner, dotted, case as received.
    owner: String,
    rtype: u16,
    class: u16,
    /// Offset of the RDATA in the message.
    rdata_at: usize,
    rdata: Vec<u8>,
    /// The serial, for an SOA.
    serial: Option<u32>,
}

impl Rr {
    fn is_soa(&self) -> bool {
        self.rtype == T_SOA
    }

    /// `owner TYPE rdata` for A/TXT/SOA, lowercase, for comparing contents.
    fn text(&self) -> String {
        let data = match self.rtype {
            T_A if self.rdata.len() == 4 => format!("{}.{}.{}.{}", self.rdata[0], self.rdata[1], self.rdata[2], self.rdata[3]),
            T_TXT => String::from_utf8_lossy(&self.rdata[1..1 + self.rdata[0] as usize]).into_owned(),
            T_SOA => format!("serial {}", self.serial.unwrap_or(0)),
            _ => format!("{:?}", self.rdata),
        };
        format!("{} {} {}", self.owner.to_ascii_lowercase(), self.rtype, data)
    }
}

/// The TSIG record of a message (RFC 8945 §4.2).
#[derive(Debug, Clone)]
struct Tsig {
    key: String,
    algorithm: String,
    time_signed: u64,
    mac: Vec<u8>,
    original_id: u16,
    error: u16,
    other: Vec<u8>,
}

/// A received message.
#[derive(Debug, Clone)]
struct Msg {
    raw: Vec<u8>,
    /// The question's name octets exactly as received.
    qname_wire: Option<Vec<u8>>,
    qtype: u16,
    qclass: u16,
    rrs: Vec<Rr>,
}

impl Msg {
    fn parse(raw: &[u8]) -> Msg {
        assert!(raw.len() >= 12, "short message: {raw:?}");
        let mut pos = 12;
        let (mut qname_wire, mut qtype, mut qclass) = (None, 0, 0);
        for i in 0..be16(raw, 4) {
            let (_, end) = read_name(raw, pos);
            if i == 0 {
                qname_wire = Some(raw[pos..end].to_vec());
                qtype = be16(raw, end);
                qclass = be16(raw, end + 2);
            }
            pos = end + 4;
        }
        let mut rrs = Vec::new();
        for section in 1..=3u8 {
            for _ in 0..be16(raw, 4 + 2 * section as usize) {
                let (owner, end) = read_name(raw, pos);
                let (rtype, class) = (be16(raw, end), be16(raw, end + 2));
                let rdlen = be16(raw, end + 8) as usize;
                let rdata_at = end + 10;
                let serial = (rtype == T_SOA).then(|| {
                    let (_, p) = read_name(raw, rdata_at);
                    let (_, p) = read_name(raw, p);
                    be32(raw, p)
                });
                rrs.push(Rr { section, owner, rtype, class, rdata_at, rdata: raw[rdata_at..rdata_at + rdlen].to_vec(), serial });
                pos = rdata_at + rdlen;
            }
        }
        assert_eq!(pos, raw.len(), "trailing octets after the counted records");
        Msg { raw: raw.to_vec(), qname_wire, qtype, qclass, rrs }
    }

    fn id(&self) -> u16 {
        be16(&self.raw, 0)
    }
    fn flags(&self) -> u16 {
        be16(&self.raw, 2)
    }
    fn qr(&self) -> bool {
        self.flags() & 0x8000 != 0
    }
    fn opcode(&self) -> u8 {
        ((self.flags() >> 11) & 0xF) as u8
    }
    fn aa(&self) -> bool {
        self.flags() & 0x0400 != 0
    }
    fn tc(&self) -> bool {
        self.flags() & 0x0200 != 0
    }
    fn rcode(&self) -> u16 {
        self.flags() & 0xF
    }
    fn count(&self, i: usize) -> u16 {
        be16(&self.raw, 4 + 2 * i)
    }
    fn answers(&self) -> impl Iterator<Item = &Rr> {
        self.rrs.iter().filter(|r| r.section == 1)
    }
    fn tsig(&self) -> Option<Tsig> {
        let rr = self.rrs.last().filter(|r| r.rtype == T_TSIG)?;
        let m = &self.raw;
        let (algorithm, p) = read_name(m, rr.rdata_at);
        let time_signed = u64::from(be16(m, p)) << 32 | u64::from(be32(m, p + 2));
        let mac_len = be16(m, p + 8) as usize;
        let mac = m[p + 10..p + 10 + mac_len].to_vec();
        let q = p + 10 + mac_len;
        let other_len = be16(m, q + 4) as usize;
        Some(Tsig {
            key: rr.owner.clone(),
            algorithm,
            time_signed,
            mac,
            original_id: be16(m, q),
            error: be16(m, q + 2),
            other: m[q + 6..q + 6 + other_len].to_vec(),
        })
    }
}

// ─── talking to servers ───────────────────────────────────────────────────

/// Sends `q` over UDP from `from` (`ip:port`) and waits up to 3 s for the answer.
fn udp_ask(from: &str, to: SocketAddr, q: &[u8]) -> Option<Msg> {
    let s = UdpSocket::bind(from).unwrap();
    s.set_read_timeout(Some(3 * S)).unwrap();
    s.send_to(q, to).unwrap();
    let mut b = vec![0u8; 65535];
    let (n, _) = s.recv_from(&mut b).ok()?;
    Some(Msg::parse(&b[..n]))
}

/// A TCP connection to `to`, from `from` when given.
fn tcp_connect(to: SocketAddr, from: Option<IpAddr>) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    if let Some(ip) = from {
        s.bind(&SocketAddr::new(ip, 0).into()).unwrap();
    }
    s.connect_timeout(&to.into(), 5 * S).unwrap();
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(60 * S)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// `len ‖ msg` (RFC 1035 §4.2.2).
fn framed(q: &[u8]) -> Vec<u8> {
    let mut f = (q.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(q);
    f
}

/// Reads one length-prefixed message.
fn tcp_read(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap_or_else(|e| panic!("reading a message length: {e}"));
    let mut m = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut m).unwrap_or_else(|e| panic!("reading a message: {e}"));
    m
}

/// The messages of one AXFR/IXFR answer, and whether they are complete.
#[derive(Default)]
struct XfrReader {
    msgs: Vec<Msg>,
    records: usize,
    first_serial: Option<u32>,
    /// Whether the second record is an SOA (an incremental IXFR).
    incremental: Option<bool>,
    soas_after_first: usize,
    done: bool,
}

impl XfrReader {
    /// Takes the next message; true when the answer is complete: an error
    /// RCODE, a lone SOA (IXFR: up to date), the second SOA of an AXFR-style
    /// answer, or the SOA closing an incremental one (RFC 1995 §4).
    fn push(&mut self, m: Msg) -> bool {
        assert!(!self.done, "message after the end of the transfer");
        if m.rcode() != NOERROR {
            self.done = true;
        }
        for rr in m.answers() {
            self.records += 1;
            if self.records == 1 {
                assert!(rr.is_soa(), "a transfer starts with the SOA: {rr:?}");
                self.first_serial = rr.serial;
                continue;
            }
            if self.records == 2 {
                self.incremental = Some(rr.is_soa());
            }
            if rr.is_soa() {
                self.soas_after_first += 1;
                if self.incremental == Some(false) || (rr.serial == self.first_serial && self.soas_after_first % 2 == 1 && self.soas_after_first >= 3) {
                    self.done = true;
                }
            }
        }
        if self.records == 1 {
            self.done = true;
        }
        self.msgs.push(m);
        self.done
    }

    fn answers(&self) -> Vec<&Rr> {
        self.msgs.iter().flat_map(|m| m.answers()).collect()
    }
}

/// Sends `q` over TCP (from `from`) and reads its whole transfer answer.
fn xfr(to: SocketAddr, from: Option<IpAddr>, q: &[u8]) -> XfrReader {
    let mut s = tcp_connect(to, from);
    s.write_all(&framed(q)).unwrap();
    let mut r = XfrReader::default();
    while !r.push(Msg::parse(&tcp_read(&mut s))) {}
    r
}

/// Sends `q` over TCP and reads one message.
fn tcp_ask(to: SocketAddr, q: &[u8]) -> Msg {
    let mut s = tcp_connect(to, None);
    s.write_all(&framed(q)).unwrap();
    Msg::parse(&tcp_read(&mut s))
}

/// Checks what holds for every message of a transfer answer to a request
/// with `id` (RFC 5936 §2.2): QR and AA set, TC never, NOERROR, ≤ 65535
/// octets, the question in the first message only.
fn check_stream(r: &XfrReader, id: u16) {
    for (i, m) in r.msgs.iter().enumerate() {
        assert_eq!(m.id(), id, "message {i}");
        assert!(m.qr() && m.aa() && !m.tc(), "message {i}: flags {:#06x}", m.flags());
        assert_eq!(m.rcode(), NOERROR, "message {i}");
        assert!(m.raw.len() <= 65535);
        assert_eq!(m.count(0), u16::from(i == 0), "message {i}: QDCOUNT");
    }
}

/// Writes `text` to `dir/name`; returns the path.
fn write_zone(dir: &Path, name: &str, text: &str) -> String {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    f.display().to_string()
}

/// Starts a primary for `example.com` from `text` with extra flags.
fn primary(tag: &str, text: &str, extra: &[&str]) -> (Ironbind, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempdir(tag);
    let file = write_zone(&dir, "example.com.zone", text);
    let zone_arg = format!("{ZONE}={file}");
    let mut args = vec!["--zone", zone_arg.as_str()];
    args.extend(extra);
    let p = Ironbind::start(tag, free_port(), &dir.join("data"), &args);
    (p, dir, file.into())
}

fn key_arg() -> String {
    format!("{KEY}=hmac-sha256:{SECRET}")
}

fn localhost() -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, 1]))
}

// ─── A1 ───────────────────────────────────────────────────────────────────

/// A1: AXFR over UDP is answered NOTIMP, never with the zone, whoever asks
/// and however (plain, EDNS, TSIG-signed). `dig +notcp AXFR` cannot probe
/// this: dig 9.18 sends AXFR over TCP whatever +notcp says (`kdig +notcp`
/// does use UDP and reports NOTIMP), so the query is sent by hand.
#[test]
fn a1_axfr_over_udp_is_notimp_never_the_zone() {
    let (p, _d, _f) = primary("a1", &zone_text(ZONE, 1, SLOW, 5, ""), &["--allow-transfer", "127.0.0.0/8", "--tsig-key", &key_arg(), "--allow-transfer-key", KEY]);
    let plain = query(0x0a01, ZONE, T_AXFR);
    let edns = with_edns(query(0x0a02, ZONE, T_AXFR), 4096);
    let mut signed = query(0x0a03, ZONE, T_AXFR);
    let mut session = sign(&mut signed, &xfr_key());
    for q in [&plain, &edns, &signed] {
        let m = udp_ask("127.0.0.1:0", p.addr, q).expect("an answer over UDP");
        assert_eq!(m.id(), be16(q, 0));
        assert!(m.qr());
        assert!(matches!(m.rcode(), NOTIMP | REFUSED | FORMERR), "rcode {}", m.rcode());
        assert_eq!(m.rcode(), NOTIMP, "ironbind answers NOTIMP");
        assert_eq!((m.count(1), m.count(2)), (0, 0), "never the zone");
        assert!(!m.rrs.iter().any(|r| r.is_soa()));
        assert!(!m.tc(), "no TC either: a retry over TCP is the client's decision");
    }
    // The signed one is answered signed.
    let m = udp_ask("127.0.0.1:0", p.addr, &signed).unwrap();
    session.verify_response(&m.raw, unix_now()).expect("the NOTIMP answer is signed");
    // Over TCP the same client gets the zone.
    let r = xfr(p.addr, None, &plain);
    assert_eq!(r.records, 1 + 2 + 5 + 1);
}

// ─── A2, A3, A7, S4 ───────────────────────────────────────────────────────

/// A2, A3, A7, S4: a 100 000-host zone is sent as many messages, each at
/// most 65535 octets with TC never set, the SOA first and last and nowhere
/// else; the question is echoed (case preserved) in the first message only.
/// `dig AXFR` and `dig -y` AXFR read the same record and message counts;
/// signed, every message carries a TSIG chained to the previous one, which
/// both `dig -y` and our client verify; an ironbind secondary using the key
/// takes the multi-message signed stream.
#[test]
fn a2_a3_a7_s4_large_zone_streams_in_many_signed_messages() {
    require(&["dig"]);
    const HOSTS: usize = 100_000;
    let key = key_arg();
    let (p, _d, _f) = primary("a2", &zone_text(ZONE, 7, SLOW, HOSTS, ""), &["--allow-transfer", "127.0.0.0/8", "--tsig-key", &key]);
    let total = 1 + 2 + HOSTS + 1; // SOA, NS, ns1 A, hosts, SOA

    let q = query(0xa2a2, "ExAmPle.CoM", T_AXFR);
    let r = xfr(p.addr, None, &q);
    check_stream(&r, 0xa2a2);
    assert!(r.msgs.len() >= 30, "{} messages for {total} records", r.msgs.len());
    let first = &r.msgs[0];
    assert_eq!(first.qname_wire.as_deref(), Some(&wire_name("ExAmPle.CoM")[..]), "question echoed as sent");
    assert_eq!((first.qtype, first.qclass), (T_AXFR, C_IN));
    let all = r.answers();
    assert_eq!(all.len(), total);
    assert!(all[0].is_soa() && all[total - 1].is_soa());
    assert_eq!((all[0].serial, all[total - 1].serial), (Some(7), Some(7)));
    assert_eq!(all.iter().filter(|r| r.is_soa()).count(), 2, "no SOA between the first and the last");
    assert!(all.iter().all(|r| r.owner.to_ascii_lowercase().ends_with("example.com.") && r.class == C_IN));
    let hosts: std::collections::HashSet<&str> = all.iter().filter(|r| r.owner.starts_with('h')).map(|r| r.owner.as_str()).collect();
    assert_eq!(hosts.len(), HOSTS);

    // dig reads the same stream.
    let stats = |out: &str| out.lines().find(|l| l.starts_with(";; XFR size:")).map(str::to_string).unwrap_or_else(|| panic!("no XFR size line:\n{}", &out[out.len().saturating_sub(2000)..]));
    let plain = stats(&dig(p.addr, &[ZONE, "AXFR", "+stats"]));
    assert!(plain.starts_with(&format!(";; XFR size: {total} records (messages {},", r.msgs.len())), "{plain}");

    // Signed: every message has a TSIG, chained; our client and dig both verify.
    let mut q = query(0xa7a7, ZONE, T_AXFR);
    let mut session = sign(&mut q, &xfr_key());
    let signed = xfr(p.addr, None, &q);
    check_stream(&signed, 0xa7a7);
    assert_eq!(signed.records, total);
    for (i, m) in signed.msgs.iter().enumerate() {
        let t = m.tsig().unwrap_or_else(|| panic!("message {i} is not signed"));
        assert_eq!((t.key.as_str(), t.algorithm.as_str(), t.error, t.original_id), ("xfr-key.", "hmac-sha256.", 0, 0xa7a7), "message {i}");
        session.verify_response(&m.raw, unix_now()).unwrap_or_else(|e| panic!("message {i}: {e}"));
    }
    session.finish().expect("the stream ends on a signed message");
    let out = dig(p.addr, &[ZONE, "AXFR", "+stats", "-y", &format!("hmac-sha256:{KEY}:{SECRET}")]);
    assert!(!out.contains("Couldn't verify") && !out.contains("Transfer failed"), "{}", &out[out.len().saturating_sub(2000)..]);
    assert!(stats(&out).starts_with(&format!(";; XFR size: {total} records (messages {},", signed.msgs.len())));

    // Our secondary takes the signed multi-message stream.
    let sdir = tempdir("a7s");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}@{KEY}", p.addr.port())]));
    let s = Ironbind::start("a7-secondary", free_port(), &sdir.join("data"), &["--config", &cfg, "--tsig-key", &key]);
    let line = s.proc.expect(0, &["Transfer completed:", "(serial 7)"], 120 * S);
    assert_eq!(completed_counts(&line), (signed.msgs.len(), total), "{line}");
    // The line is logged when the new version is built; it is published just after.
    assert!(wait_until(30 * S, || serial(s.addr, ZONE) == Some(7)), "{}", s.proc.log());
    assert_eq!(a(s.addr, "h99999.example.com").as_deref(), Some("10.1.134.159"));
}

// ─── A4 ───────────────────────────────────────────────────────────────────

/// A4: a transfer is one version of the zone even when the zone is
/// reloaded while it is being read: the first message is read, the file is
/// replaced by a version with every host changed and SIGHUP applied, and
/// the rest of the stream is still entirely the old version; a new AXFR
/// gets the new one.
#[test]
fn a4_transfer_is_a_consistent_snapshot_across_a_reload() {
    const HOSTS: usize = 100_000;
    let dir = tempdir("a4");
    let v1 = zone_text(ZONE, 1, SLOW, HOSTS, "");
    let v2 = zone_text(ZONE, 2, SLOW, 0, "only-in-v2 A 192.0.2.2\n")
        + &(0..HOSTS).map(|i| format!("h{i} A 11.{}.{}.{}\n", (i >> 16) & 255, (i >> 8) & 255, i & 255)).collect::<String>();
    let file = write_zone(&dir, "example.com.zone", &v1);
    // A long TCP timeout: the server must wait for us while we pause reading.
    let cfg = ironbind_config(
        &dir,
        &format!("[tcp]\nidle_timeout_ms = 120000\n\n[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.0/8\"]\nnotify_ns = false\n"),
    );
    let p = Ironbind::start("a4", free_port(), &dir.join("data"), &["--config", &cfg]);

    let mut conn = tcp_connect(p.addr, None);
    conn.write_all(&framed(&query(0xa4a4, ZONE, T_AXFR))).unwrap();
    let mut old = XfrReader::default();
    assert!(!old.push(Msg::parse(&tcp_read(&mut conn))), "more than one message");

    let pl = p.proc.log_len();
    std::fs::write(&file, &v2).unwrap();
    p.reload();
    p.proc.expect(pl, &["zone reloaded: serial 1 -> 2"], 120 * S);
    assert_eq!(serial(p.addr, ZONE), Some(2), "the new version is served");

    while !old.push(Msg::parse(&tcp_read(&mut conn))) {}
    check_stream(&old, 0xa4a4);
    let recs = old.answers();
    assert_eq!(recs.len(), 1 + 2 + HOSTS + 1);
    assert_eq!((recs[0].serial, recs[recs.len() - 1].serial), (Some(1), Some(1)));
    assert!(recs.iter().filter(|r| r.rtype == T_A && r.owner.starts_with('h')).all(|r| r.rdata[0] == 10), "a record of the new version in the old transfer");
    assert!(!recs.iter().any(|r| r.owner.starts_with("only-in-v2")));

    let new = xfr(p.addr, None, &query(0xa4a5, ZONE, T_AXFR));
    let recs = new.answers();
    assert_eq!(recs.len(), 1 + 2 + HOSTS + 1 + 1);
    assert_eq!(recs[0].serial, Some(2));
    assert!(recs.iter().filter(|r| r.rtype == T_A && r.owner.starts_with('h')).all(|r| r.rdata[0] == 11));
}

// ─── A5 ───────────────────────────────────────────────────────────────────

/// A5: transfers only to listed addresses or holders of a listed key:
/// REFUSED otherwise (over TCP, and for IXFR over UDP), NOTAUTH for a zone
/// not served, NOTAUTH with BADKEY/BADSIG for a bad TSIG (also as `dig -y`
/// shows it); never a record of the zone.
#[test]
fn a5_refused_unlisted_notauth_unserved_or_bad_tsig() {
    require(&["dig"]);
    let other = "other-key=hmac-sha256:b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktIQ==";
    let (p, _d, _f) = primary("a5", &zone_text(ZONE, 3, SLOW, 5, ""), &[
        "--allow-transfer", "127.0.0.2/32", "--tsig-key", &key_arg(), "--tsig-key", other, "--allow-transfer-key", KEY,
    ]);
    let zone_size = 1 + 2 + 5 + 1;
    let (listed, unlisted) = (Some(IpAddr::from([127, 0, 0, 2])), localhost());

    // Listed address: the zone, by AXFR and by IXFR.
    assert_eq!(xfr(p.addr, listed, &query(1, ZONE, T_AXFR)).records, zone_size);
    assert_eq!(xfr(p.addr, listed, &ixfr_query(2, ZONE, 1)).records, zone_size);
    assert_eq!(udp_ask("127.0.0.2:0", p.addr, &ixfr_query(3, ZONE, 1)).unwrap().rcode(), NOERROR);

    // Unlisted address: REFUSED, one message, nothing of the zone.
    let pl = p.proc.log_len();
    for q in [query(4, ZONE, T_AXFR), ixfr_query(5, ZONE, 1)] {
        let r = xfr(p.addr, unlisted, &q);
        assert_eq!(r.msgs.len(), 1);
        let m = &r.msgs[0];
        assert_eq!((m.rcode(), m.count(1), m.count(2)), (REFUSED, 0, 0), "qtype {}", m.qtype);
        assert!(m.qr() && !m.aa());
    }
    let m = udp_ask("127.0.0.1:0", p.addr, &ixfr_query(6, ZONE, 1)).unwrap();
    assert_eq!((m.rcode(), m.count(1)), (REFUSED, 0), "IXFR over UDP");
    p.proc.expect(pl, &["client 127.0.0.1#", "zone transfer 'example.com/AXFR/IN' denied"], 5 * S);
    assert!(dig(p.addr, &[ZONE, "AXFR"]).contains("Transfer failed"));

    // The listed key from an unlisted address: the zone, signed.
    let mut q = query(7, ZONE, T_AXFR);
    let mut session = sign(&mut q, &xfr_key());
    let r = xfr(p.addr, unlisted, &q);
    assert_eq!(r.records, zone_size);
    for m in &r.msgs {
        session.verify_response(&m.raw, unix_now()).unwrap();
    }
    // A valid key that is not listed: REFUSED, signed.
    let mut q = query(8, ZONE, T_AXFR);
    let mut session = sign(&mut q, &Key::from_spec(other).unwrap());
    let r = xfr(p.addr, unlisted, &q);
    assert_eq!((r.msgs.len(), r.msgs[0].rcode(), r.records), (1, REFUSED, 0));
    session.verify_response(&r.msgs[0].raw, unix_now()).expect("the REFUSED answer is signed");

    // A zone we do not serve: NOTAUTH, even for a listed client.
    for q in [query(9, "example.org", T_AXFR), ixfr_query(10, "example.org", 1)] {
        let r = xfr(p.addr, listed, &q);
        assert_eq!((r.msgs.len(), r.msgs[0].rcode(), r.records), (1, NOTAUTH, 0));
    }
    assert_eq!(udp_ask("127.0.0.2:0", p.addr, &ixfr_query(11, "example.org", 1)).unwrap().rcode(), NOTAUTH);

    // Bad TSIG, even from a listed address: NOTAUTH, unsigned TSIG with the error.
    let wrong_secret = Key::from_spec(&format!("{KEY}=hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")).unwrap();
    let unknown = Key::from_spec(&format!("nobody=hmac-sha256:{SECRET}")).unwrap();
    for (k, err) in [(&wrong_secret, BADSIG), (&unknown, BADKEY)] {
        let mut q = query(12, ZONE, T_AXFR);
        let mut session = sign(&mut q, k);
        let r = xfr(p.addr, listed, &q);
        let m = &r.msgs[0];
        assert_eq!((r.msgs.len(), m.rcode(), m.count(1)), (1, NOTAUTH, 0));
        let t = m.tsig().expect("a TSIG record in the error");
        assert_eq!((t.error, t.mac.len()), (err, 0), "unsigned, error {err}");
        assert!(matches!(session.verify_response(&m.raw, unix_now()), Err(TsigError::PeerError { error, authenticated: false }) if error == err));
    }
    let out = dig(p.addr, &["-b", "127.0.0.2", ZONE, "AXFR", "-y", "hmac-sha256:xfr-key:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"]);
    assert!(out.contains("BADSIG") && out.contains("Transfer failed") && !out.contains("\tIN\tA\t"), "{out}");
}

// ─── A6 ───────────────────────────────────────────────────────────────────

/// What a pipelined request expects back.
enum Want {
    Xfr(XfrReader),
    One(Option<Msg>),
}

/// A6: transfers run in parallel on separate connections, and on one
/// connection two AXFRs, an IXFR and ordinary queries may be pipelined:
/// every request gets its complete answer under its own ID.
#[test]
fn a6_parallel_transfers_and_pipelined_queries_on_one_connection() {
    const HOSTS: usize = 20_000;
    let dir = tempdir("a6");
    let net = write_zone(&dir, "example.net.zone", &zone_text("example.net", 9, SLOW, 4, ""));
    let net_arg = format!("example.net={net}");
    let (p, _d, _f) = primary("a6", &zone_text(ZONE, 5, SLOW, HOSTS, ""), &["--allow-transfer", "127.0.0.0/8", "--zone", &net_arg]);
    let com_total = 1 + 2 + HOSTS + 1;

    // Three connections at once: two plain AXFRs and one pipelining everything.
    let start = Arc::new(Barrier::new(3));
    let parallel: Vec<_> = (0..2u16)
        .map(|i| {
            let (start, addr) = (start.clone(), p.addr);
            std::thread::spawn(move || {
                start.wait();
                let r = xfr(addr, None, &query(0x600 + i, ZONE, T_AXFR));
                check_stream(&r, 0x600 + i);
                r.records
            })
        })
        .collect();

    let mut conn = tcp_connect(p.addr, None);
    let requests: Vec<(u16, Vec<u8>)> = vec![
        (0x61, query(0x61, ZONE, T_AXFR)),
        (0x62, query(0x62, "h5.example.com", T_A)),
        (0x63, query(0x63, "example.net", T_AXFR)),
        (0x64, ixfr_query(0x64, ZONE, 5)),
        (0x65, query(0x65, "example.net", T_SOA)),
    ];
    let mut want: HashMap<u16, Want> = HashMap::new();
    let mut burst = Vec::new();
    for (id, q) in &requests {
        burst.extend_from_slice(&framed(q));
        let xfr = matches!(be16(q, q.len() - 4), T_AXFR) || *id == 0x64;
        want.insert(*id, if xfr { Want::Xfr(XfrReader::default()) } else { Want::One(None) });
    }
    start.wait();
    conn.write_all(&burst).unwrap(); // all five in one segment
    let complete = |w: &HashMap<u16, Want>| w.values().all(|w| matches!(w, Want::Xfr(r) if r.done) || matches!(w, Want::One(Some(_))));
    while !complete(&want) {
        let m = Msg::parse(&tcp_read(&mut conn));
        match want.get_mut(&m.id()) {
            Some(Want::Xfr(r)) => {
                r.push(m);
            }
            Some(Want::One(slot @ None)) => *slot = Some(m),
            _ => panic!("unexpected message id {:#x}", m.id()),
        }
    }
    let Some(Want::Xfr(com)) = want.remove(&0x61) else { unreachable!() };
    check_stream(&com, 0x61);
    assert_eq!(com.records, com_total);
    assert!(com.msgs.len() > 1);
    let Some(Want::One(Some(a))) = want.remove(&0x62) else { unreachable!() };
    assert_eq!(a.answers().map(Rr::text).collect::<Vec<_>>(), ["h5.example.com. 1 10.0.0.5"]);
    let Some(Want::Xfr(net)) = want.remove(&0x63) else { unreachable!() };
    check_stream(&net, 0x63);
    assert_eq!((net.records, net.answers()[0].serial), (1 + 2 + 4 + 1, Some(9)));
    let Some(Want::Xfr(ixfr)) = want.remove(&0x64) else { unreachable!() };
    assert_eq!((ixfr.records, ixfr.answers()[0].serial), (1, Some(5)), "IXFR from the current serial: one SOA");
    let Some(Want::One(Some(soa))) = want.remove(&0x65) else { unreachable!() };
    assert_eq!(soa.answers().next().and_then(|r| r.serial), Some(9));
    // The connection is still usable afterwards.
    conn.write_all(&framed(&query(0x66, "h7.example.com", T_A))).unwrap();
    let m = Msg::parse(&tcp_read(&mut conn));
    assert_eq!((m.id(), m.answers().count()), (0x66, 1));

    for t in parallel {
        assert_eq!(t.join().unwrap(), com_total);
    }
}

// ─── I2, I4, I5 ───────────────────────────────────────────────────────────

/// I2, I4, I5 (and I3 once history exists): IXFR from the current or a
/// newer serial is one SOA in one message; from a serial with no history
/// it is the whole zone AXFR-style inside the IXFR answer (never NOTIMP or
/// empty); over UDP it is always the current SOA alone (our documented I5
/// choice), which `dig +notcp IXFR=N` shows.
#[test]
fn i2_i4_i5_ixfr_answer_forms() {
    require(&["dig"]);
    let (p, _d, file) = primary("ixfr", &zone_text(ZONE, 10, SLOW, 60, ""), &["--allow-transfer", "127.0.0.0/8"]);
    let full = 1 + 2 + 60 + 1;

    // I2: current, and newer (RFC 1982), serials.
    for (i, client) in [10u32, 11, 10 + (1 << 30)].into_iter().enumerate() {
        let r = xfr(p.addr, None, &ixfr_query(0x20 + i as u16, ZONE, client));
        check_stream(&r, 0x20 + i as u16);
        assert_eq!(r.msgs.len(), 1, "client {client}");
        assert_eq!(r.answers().iter().map(|r| r.serial).collect::<Vec<_>>(), [Some(10)], "client {client}");
        assert_eq!((r.msgs[0].qtype, r.msgs[0].count(2), r.msgs[0].count(3)), (T_IXFR, 0, 0));
    }

    // I4: no history for the client's serial (none at all yet): AXFR-style.
    let axfr_set = |r: &XfrReader| {
        let mut v: Vec<String> = r.answers().iter().map(|r| r.text()).collect();
        v.sort();
        v
    };
    let reference = xfr(p.addr, None, &query(0x30, ZONE, T_AXFR));
    for (i, client) in [9u32, 1, 0].into_iter().enumerate() {
        let r = xfr(p.addr, None, &ixfr_query(0x31 + i as u16, ZONE, client));
        check_stream(&r, 0x31 + i as u16);
        let recs = r.answers();
        assert_eq!(recs.len(), full, "client {client}");
        assert!(!recs[1].is_soa(), "AXFR-style: the second record is not an SOA");
        assert_eq!(recs.iter().filter(|r| r.is_soa()).count(), 2);
        assert_eq!(axfr_set(&r), axfr_set(&reference));
    }

    // One change: IXFR from 10 is incremental (I3), from an older serial still full (I4).
    let pl = p.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 11, SLOW, 60, "").replace("h3 A 10.0.0.3\n", "h3 A 10.3.3.3\n")).unwrap();
    p.reload();
    p.proc.expect(pl, &["zone reloaded: serial 10 -> 11"], 20 * S);
    let r = xfr(p.addr, None, &ixfr_query(0x40, ZONE, 10));
    let seq: Vec<String> = r.answers().iter().map(|r| r.text()).collect();
    assert_eq!(seq, [
        "example.com. 6 serial 11",
        "example.com. 6 serial 10",
        "h3.example.com. 1 10.0.0.3",
        "example.com. 6 serial 11",
        "h3.example.com. 1 10.3.3.3",
        "example.com. 6 serial 11",
    ]);
    let r = xfr(p.addr, None, &ixfr_query(0x41, ZONE, 5));
    assert_eq!(r.records, full, "unknown serial 5: the whole zone");
    assert_eq!(r.answers()[0].serial, Some(11));

    // I5: over UDP, the current SOA alone, whatever the client's serial.
    for client in [5u32, 10, 11] {
        let m = udp_ask("127.0.0.1:0", p.addr, &ixfr_query(0x50, ZONE, client)).expect("answered over UDP");
        assert_eq!((m.rcode(), m.qr(), m.aa(), m.tc()), (NOERROR, true, true, false), "client {client}");
        assert_eq!(m.answers().map(|r| r.serial).collect::<Vec<_>>(), [Some(11)], "client {client}");
        assert_eq!(m.qtype, T_IXFR);
    }
    let out = dig(p.addr, &["+notcp", ZONE, "IXFR=10", "+noall", "+answer", "+stats"]);
    assert!(out.contains("(UDP)"), "{out}");
    let answers: Vec<&str> = out.lines().filter(|l| !l.starts_with(';') && !l.trim().is_empty()).collect();
    assert_eq!(answers.len(), 1, "{out}");
    assert!(answers[0].contains("SOA") && answers[0].contains(" 11 "), "{out}");
}

// ─── N2 ───────────────────────────────────────────────────────────────────

/// Receives NOTIFYs on `sock` for up to `wait`, answering each with what
/// `reply` says (`None`: stay silent). Returns them.
fn notify_target(sock: &UdpSocket, wait: Duration, mut reply: impl FnMut(usize) -> Option<u16>) -> Vec<Msg> {
    let mut got = Vec::new();
    let end = Instant::now() + wait;
    let mut b = [0u8; 4096];
    while Instant::now() < end {
        sock.set_read_timeout(Some((end - Instant::now()).max(Duration::from_millis(1)))).unwrap();
        let Ok((n, from)) = sock.recv_from(&mut b) else { continue };
        let m = Msg::parse(&b[..n]);
        if let Some(rc) = reply(got.len()) {
            let mut r = b[..n].to_vec();
            r[2] |= 0x80; // QR
            r[3] = (r[3] & 0xF0) | rc as u8;
            sock.send_to(&r, from).unwrap();
        }
        got.push(m);
    }
    got
}

/// N1, N2: the primary NOTIFYs (opcode NOTIFY, AA, QTYPE SOA, the new SOA
/// as a hint) and retransmits until a response arrives; a NOTIMP response
/// ends the exchange too (RFC 1996 §3.12); with no response it gives up
/// after the configured number of transmissions and logs it.
#[test]
fn n2_notify_is_retransmitted_until_answered() {
    let dir = tempdir("n2");
    let target = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tport = target.local_addr().unwrap().port();
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 1, SLOW, 3, ""));
    let cfg = ironbind_config(
        &dir,
        &format!(
            "[transfer]\nnotify_retries = 3\nnotify_timeout_ms = 300\n\n[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\n\
             also_notify = [\"127.0.0.1:{tport}\"]\nnotify_ns = false\n"
        ),
    );
    // Startup NOTIFYs: stay silent twice, answer the third.
    let p = Ironbind::start("n2", free_port(), &dir.join("data"), &["--config", &cfg]);
    let got = notify_target(&target, 4 * S, |i| (i == 2).then_some(NOERROR));
    assert_eq!(got.len(), 3, "two retransmissions, then silence once answered");
    for m in &got {
        assert_eq!((m.opcode(), m.qr(), m.aa(), m.qtype, m.qclass), (OP_NOTIFY, false, true, T_SOA, C_IN));
        assert_eq!(m.qname_wire.as_deref(), Some(&wire_name(ZONE)[..]));
        assert_eq!(m.answers().map(|r| r.serial).collect::<Vec<_>>(), [Some(1)], "the SOA hint");
    }

    // A NOTIMP response ends the exchange at once.
    let pl = p.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 2, SLOW, 3, "")).unwrap();
    p.reload();
    let got = notify_target(&target, 3 * S, |_| Some(NOTIMP));
    assert_eq!(got.len(), 1, "no retransmission after NOTIMP");
    assert_eq!(got[0].answers().next().and_then(|r| r.serial), Some(2));
    p.proc.expect(pl, &[&format!("notify response from 127.0.0.1#{tport}: NOTIMP")], 5 * S);

    // Never answered: exactly notify_retries transmissions, then a warning.
    let pl = p.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 3, SLOW, 3, "")).unwrap();
    p.reload();
    let got = notify_target(&target, 5 * S, |_| None);
    assert_eq!(got.len(), 3, "notify_retries = 3");
    p.proc.expect(pl, &[&format!("notify to 127.0.0.1#{tport} failed")], 5 * S);
}

// ─── N3, N5, N6 ───────────────────────────────────────────────────────────

/// Checks an answer to the NOTIFY `q` (RFC 1996 §3.7): QR, same ID, opcode
/// and question (name octets as sent), `rcode`, AA when accepted.
fn check_notify_answer(q: &[u8], m: &Msg, rcode: u16) {
    let asked = Msg::parse(q);
    assert!(m.qr(), "QR");
    assert_eq!(m.id(), asked.id());
    assert_eq!(m.opcode(), OP_NOTIFY);
    assert_eq!((m.qname_wire.as_ref(), m.qtype, m.qclass), (asked.qname_wire.as_ref(), T_SOA, C_IN), "question echoed");
    assert_eq!(m.rcode(), rcode);
    assert_eq!(m.aa(), rcode == NOERROR, "AA on an accepted NOTIFY");
    assert_eq!(m.count(1), 0);
}

/// N3, N5, N6: a secondary answers every NOTIFY with QR=1 and the same ID,
/// opcode and question (AA set), over UDP and over TCP, and acts on it;
/// NOTAUTH for a zone it does not serve, REFUSED for one it is primary for
/// or from an address that is not a primary (logged); a signed NOTIFY is
/// verified and answered signed, a badly signed one gets NOTAUTH/BADSIG.
#[test]
fn n3_n5_n6_notify_answered_over_udp_and_tcp() {
    let dir = tempdir("n3");
    let dead = free_port(); // the primary: nothing listens there
    let net = write_zone(&dir, "example.net.zone", &zone_text("example.net", 1, SLOW, 1, ""));
    let cfg = ironbind_config(
        &dir,
        &format!(
            "{}\n[[zone]]\nname = \"example.net\"\nfile = {net:?}\nnotify_ns = false\n",
            secondary_zone(ZONE, &[format!("127.0.0.1:{dead}")])
        ),
    );
    let s = Ironbind::start("n3", free_port(), &dir.join("data"), &["--config", &cfg, "--tsig-key", &key_arg()]);
    let refreshed = |from: usize| s.proc.expect(from, &["notify received; refreshing now"], 10 * S);
    let refresh_done = |from: usize| s.proc.expect(from, &["refresh failed with every primary"], 20 * S);
    refresh_done(0);

    // UDP, with an SOA hint as BIND and ironbind send it, name in mixed case.
    let sl = s.proc.log_len();
    let q = notify_query(0x3a3a, "ExAmple.COM", Some(7));
    let m = udp_ask("127.0.0.1:0", s.addr, &q).expect("answered over UDP");
    check_notify_answer(&q, &m, NOERROR);
    refreshed(sl);
    refresh_done(sl);

    // TCP (N6).
    let sl = s.proc.log_len();
    let q = notify_query(0x3b3b, ZONE, None);
    check_notify_answer(&q, &tcp_ask(s.addr, &q), NOERROR);
    refreshed(sl);
    refresh_done(sl);

    // N5: a zone not served: NOTAUTH, over both transports.
    let q = notify_query(0x3c3c, "example.org", None);
    check_notify_answer(&q, &udp_ask("127.0.0.1:0", s.addr, &q).unwrap(), NOTAUTH);
    check_notify_answer(&q, &tcp_ask(s.addr, &q), NOTAUTH);
    // A zone we are primary for: REFUSED.
    let q = notify_query(0x3d3d, "example.net", None);
    check_notify_answer(&q, &udp_ask("127.0.0.1:0", s.addr, &q).unwrap(), REFUSED);
    // Not from a primary: REFUSED and logged, no refresh.
    let sl = s.proc.log_len();
    let q = notify_query(0x3e3e, ZONE, None);
    check_notify_answer(&q, &udp_ask("127.0.0.2:0", s.addr, &q).unwrap(), REFUSED);
    s.proc.expect(sl, &["refused notify for zone 'example.com' from non-primary 127.0.0.2#"], 5 * S);
    std::thread::sleep(S);
    assert!(s.proc.lines_with(sl, &["notify received; refreshing now"]).is_empty());

    // Signed: verified, answered signed; a bad MAC: NOTAUTH with BADSIG.
    let mut q = notify_query(0x3f3f, ZONE, Some(7));
    let mut session = sign(&mut q, &xfr_key());
    let m = udp_ask("127.0.0.1:0", s.addr, &q).unwrap();
    check_notify_answer(&q[..], &m, NOERROR);
    session.verify_response(&m.raw, unix_now()).expect("a signed answer");
    let mut q = notify_query(0x4040, ZONE, None);
    sign(&mut q, &Key::from_spec(&format!("{KEY}=hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")).unwrap());
    let m = udp_ask("127.0.0.1:0", s.addr, &q).unwrap();
    assert_eq!((m.id(), m.opcode(), m.rcode()), (0x4040, OP_NOTIFY, NOTAUTH));
    assert_eq!(m.tsig().map(|t| t.error), Some(BADSIG));
}

// ─── T1, T2 ───────────────────────────────────────────────────────────────

/// T1, T2: without any NOTIFY the secondary finds a new serial on its
/// REFRESH timer and transfers it; when the primary's serial goes
/// backwards it does not transfer, keeps its newer copy and logs it (the
/// primary logs the step back too).
#[test]
fn t1_t2_refresh_timer_and_serial_going_backwards() {
    let dir = tempdir("t2p");
    let timers = (2, 2, 3600); // REFRESH 2 s (the floor), RETRY 2 s
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 5, timers, 10, ""));
    let cfg = ironbind_config(&dir, &format!("[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.0/8\"]\nnotify_ns = false\n"));
    let p = Ironbind::start("t2-primary", free_port(), &dir.join("data"), &["--config", &cfg]);
    let sdir = tempdir("t2s");
    let scfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", p.addr.port())]));
    let s = Ironbind::start("t2-secondary", free_port(), &sdir.join("data"), &["--config", &scfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 5)"], 30 * S);

    // T1: a new serial, no NOTIFY sent (no targets): the REFRESH timer finds it.
    let sl = s.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 6, timers, 10, "new A 192.0.2.6\n")).unwrap();
    p.reload();
    s.proc.expect(sl, &["has serial 6, ours 5: transferring"], 30 * S);
    s.proc.expect(sl, &["Transfer completed:", "(serial 6)"], 30 * S);
    assert!(s.proc.lines_with(sl, &["notify received"]).is_empty(), "found by the timer, not a NOTIFY");
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(6)));
    assert_eq!(a(s.addr, "new.example.com").as_deref(), Some("192.0.2.6"));

    // T2: the primary goes back to serial 3: no transfer, logged, newer copy kept.
    let (sl, pl) = (s.proc.log_len(), p.proc.log_len());
    std::fs::write(&file, zone_text(ZONE, 3, timers, 10, "")).unwrap();
    p.reload();
    p.proc.expect(pl, &["serial went backwards (6 -> 3)"], 20 * S);
    let port = p.addr.port();
    s.proc.expect(sl, &[&format!("refresh: serial 3 received from primary 127.0.0.1#{port} < ours (6); not transferring")], 30 * S);
    // Two more refresh rounds: still no transfer.
    let seen = s.proc.lines_with(sl, &["not transferring"]).len();
    assert!(wait_until(30 * S, || s.proc.lines_with(sl, &["not transferring"]).len() >= seen + 2), "{}", s.proc.log());
    assert!(s.proc.lines_with(sl, &["Transfer completed"]).is_empty(), "{}", s.proc.log());
    assert_eq!(serial(s.addr, ZONE), Some(6));
    assert_eq!(a(s.addr, "new.example.com").as_deref(), Some("192.0.2.6"));
}

// ─── S1, S6 ───────────────────────────────────────────────────────────────

/// S1, S6: transfers signed with hmac-sha1, -sha224, -sha256, -sha384 and
/// -sha512 verify with `dig -y`; HMAC-MD5 keys are refused at startup; key
/// names compare case-insensitively (a key configured as `Xfr-Key.Example`,
/// used by dig as `xfr-key.example` and `XFR-KEY.EXAMPLE`, and listed in
/// `--allow-transfer-key` in yet another case).
#[test]
fn s1_s6_algorithms_and_key_name_case() {
    require(&["dig"]);
    let algs = ["hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"];
    let mut args: Vec<String> = Vec::new();
    for alg in algs {
        args.extend(["--tsig-key".into(), format!("k-{alg}={alg}:{SECRET}"), "--allow-transfer-key".into(), format!("k-{alg}")]);
    }
    args.extend(["--tsig-key".into(), format!("Xfr-Key.Example=hmac-sha256:{SECRET}"), "--allow-transfer-key".into(), "xFR-kEY.eXAMPLE.".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (p, _d, file) = primary("s1", &zone_text(ZONE, 1, SLOW, 5, ""), &args);
    let records = 1 + 2 + 5 + 1;
    let check = |y: String| {
        let out = dig(p.addr, &[ZONE, "AXFR", "+stats", "-y", &y]);
        assert!(!out.contains("Couldn't verify") && !out.contains("Transfer failed") && !out.contains("BAD"), "{y}:\n{out}");
        assert!(out.contains(&format!(";; XFR size: {records} records")), "{y}:\n{out}");
    };
    for alg in algs {
        check(format!("{alg}:k-{alg}:{SECRET}"));
    }
    for name in ["xfr-key.example", "XFR-KEY.EXAMPLE", "Xfr-Key.Example"] {
        check(format!("hmac-sha256:{name}:{SECRET}"));
    }
    assert!(axfr(p.addr, ZONE, false).is_empty(), "unsigned transfers are refused");

    // HMAC-MD5: a configuration error, exit status 2.
    let dir = tempdir("s1md5");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironbind"))
        .args(["--listen", &format!("127.0.0.1:{}", free_port()), "--data-dir"])
        .arg(dir.join("data"))
        .args(["--zone", &format!("{ZONE}={}", file.display()), "--tsig-key", &format!("old=hmac-md5:{SECRET}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + 10 * S;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ironbind with an HMAC-MD5 key did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("MD5"), "{err}");
}

// ─── S2, S3, S5 ───────────────────────────────────────────────────────────

/// Replaces the MAC of the signed message `m` by its first `len` octets
/// (RFC 8945 §5.2.2.1: a truncated MAC is the leftmost octets).
fn truncate_mac(m: &[u8], len: usize) -> Vec<u8> {
    let parsed = Msg::parse(m);
    let rr = parsed.rrs.last().unwrap();
    let (_, p) = read_name(m, rr.rdata_at);
    let old = be16(m, p + 8) as usize;
    let mut out = m[..p + 8].to_vec();
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&m[p + 10..p + 10 + len]);
    out.extend_from_slice(&m[p + 10 + old..]);
    let rdlen = be16(m, rr.rdata_at - 2) as usize - (old - len);
    out[rr.rdata_at - 2..rr.rdata_at].copy_from_slice(&(rdlen as u16).to_be_bytes());
    out
}

/// S2, S3: a TSIG that is not the last record, or a second TSIG, is
/// FORMERR. An unknown key is NOTAUTH + BADKEY and a wrong MAC NOTAUTH +
/// BADSIG, both unsigned; a clock 1000 s off is NOTAUTH + BADTIME, signed,
/// with the request's time and ours in Other Data; a MAC truncated below
/// half the hash is BADTRUNC (signed), at half it is accepted. Over UDP and
/// over TCP (AXFR goes through its own path), and as `dig -y` reports it.
#[test]
fn s2_s3_tsig_placement_and_errors() {
    require(&["dig"]);
    let (p, _d, _f) = primary("s3", &zone_text(ZONE, 1, SLOW, 3, ""), &["--tsig-key", &key_arg(), "--allow-transfer-key", KEY]);
    let key = xfr_key();

    // S2: TSIG not last / twice.
    let mut q = query(0x5201, ZONE, T_SOA);
    sign(&mut q, &key);
    let mut after = q.clone();
    push_rr(&mut after, "x.example.com", T_A, C_IN, 0, &[192, 0, 2, 1]);
    bump(&mut after, 3);
    let mut twice = q.clone();
    let tsig_rr = {
        let m = Msg::parse(&q);
        let rr = m.rrs.last().unwrap().clone();
        q[rr.rdata_at - 10 - wire_name(&rr.owner).len()..].to_vec()
    };
    twice.extend_from_slice(&tsig_rr);
    bump(&mut twice, 3);
    for bad in [&after, &twice] {
        let m = udp_ask("127.0.0.1:0", p.addr, bad).expect("answered");
        assert_eq!((m.id(), m.rcode(), m.count(1)), (0x5201, FORMERR, 0));
    }
    let m = udp_ask("127.0.0.1:0", p.addr, &q).unwrap();
    assert_eq!(m.rcode(), NOERROR, "the well-formed one is fine");

    // S3 over UDP (SOA query) and TCP (AXFR).
    let unknown = Key::from_spec(&format!("nobody=hmac-sha256:{SECRET}")).unwrap();
    let wrong = Key::from_spec(&format!("{KEY}=hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")).unwrap();
    let now = unix_now();
    let ask = |q: &[u8], tcp: bool| if tcp { tcp_ask(p.addr, q) } else { udp_ask("127.0.0.1:0", p.addr, q).unwrap() };
    for tcp in [false, true] {
        let qtype = if tcp { T_AXFR } else { T_SOA };
        for (k, at, err) in [(&unknown, now, BADKEY), (&wrong, now, BADSIG), (&key, now - 1000, BADTIME)] {
            let mut q = query(0x5300 + err, ZONE, qtype);
            let mut session = sign_at(&mut q, k, at);
            let m = ask(&q, tcp);
            assert_eq!((m.id(), m.rcode(), m.count(1)), (0x5300 + err, NOTAUTH, 0), "tcp {tcp}, error {err}");
            let t = m.tsig().expect("a TSIG in the error answer");
            assert_eq!(t.error, err);
            let r = session.verify_response(&m.raw, unix_now());
            if err == BADTIME {
                assert_eq!(t.mac.len(), 32, "BADTIME is signed");
                assert_eq!(t.time_signed, at, "Time Signed echoes the request");
                assert_eq!(t.other.len(), 6, "Other Data: our clock");
                let ours = t.other.iter().fold(0u64, |a, b| a << 8 | u64::from(*b));
                assert!(ours.abs_diff(unix_now()) <= 5, "server time {ours}");
                assert_eq!(r, Err(TsigError::PeerError { error: BADTIME, authenticated: true }));
            } else {
                assert!(t.mac.is_empty(), "BADKEY/BADSIG are unsigned");
                assert_eq!(r, Err(TsigError::PeerError { error: err, authenticated: false }));
            }
        }
        // Truncated MACs: 16 of 32 octets is allowed, 12 is BADTRUNC.
        let mut q = query(0x5400, ZONE, qtype);
        sign(&mut q, &key);
        let m = ask(&truncate_mac(&q, 16), tcp);
        assert_eq!(m.rcode(), NOERROR, "tcp {tcp}: half the hash is allowed");
        let m = ask(&truncate_mac(&q, 12), tcp);
        assert_eq!(m.rcode(), NOTAUTH);
        let t = m.tsig().unwrap();
        assert_eq!((t.error, t.mac.len()), (BADTRUNC, 32), "BADTRUNC is signed");
    }

    // As dig shows it.
    let out = dig(p.addr, &[ZONE, "SOA", "-y", &format!("hmac-sha256:nobody:{SECRET}")]);
    assert!(out.contains("status: NOTAUTH") && out.contains("BADKEY"), "{out}");
    let out = dig(p.addr, &[ZONE, "SOA", "-y", "hmac-sha256:xfr-key:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"]);
    assert!(out.contains("status: NOTAUTH") && out.contains("BADSIG"), "{out}");
    let out = dig(p.addr, &[ZONE, "AXFR", "-y", &format!("hmac-sha256:nobody:{SECRET}")]);
    assert!(out.contains("BADKEY") && out.contains("Transfer failed"), "{out}");
}

/// S5: a signed answer that does not fit the client's UDP size is sent as
/// the question and the TSIG (plus OPT) with TC=1 and NOERROR (RFC 8945
/// §5.3), and still verifies, also when part of the answer (a CNAME) would
/// have fit; over TCP the same query gets everything.
#[test]
fn s5_signed_answer_too_big_for_udp_is_question_and_tsig_with_tc() {
    require(&["dig"]);
    let big: String = (0..20).map(|i| format!("big TXT \"{}\" \"{i}\"\n", "x".repeat(200))).collect();
    let (p, _d, _f) = primary("s5", &zone_text(ZONE, 1, SLOW, 2, &format!("{big}c CNAME big\n")), &["--tsig-key", &key_arg()]);
    let key = xfr_key();
    for name in ["big.example.com", "c.example.com"] {
        let mut q = with_edns(query(0x5500, name, T_TXT), 512);
        let mut session = sign(&mut q, &key);
        let m = udp_ask("127.0.0.1:0", p.addr, &q).expect("answered");
        assert!(m.raw.len() <= 512, "{name}: {} octets", m.raw.len());
        assert!(m.tc(), "{name}: TC");
        assert_eq!((m.rcode(), m.count(0), m.count(1), m.count(2)), (NOERROR, 1, 0, 0), "{name}: only the question");
        assert_eq!(m.rrs.iter().map(|r| r.rtype).collect::<Vec<_>>(), [T_OPT, T_TSIG], "{name}");
        session.verify_response(&m.raw, unix_now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Over TCP: the whole answer, signed.
        let mut q = with_edns(query(0x5501, name, T_TXT), 512);
        let mut session = sign(&mut q, &key);
        let m = tcp_ask(p.addr, &q);
        assert!(!m.tc());
        assert!(m.answers().filter(|r| r.rtype == T_TXT).count() == 20, "{name}");
        session.verify_response(&m.raw, unix_now()).unwrap();
    }
    // Unsigned, the truncated answer keeps what fits (RFC 2181 §9), as before.
    let m = udp_ask("127.0.0.1:0", p.addr, &with_edns(query(0x5502, "c.example.com", T_TXT), 512)).unwrap();
    assert!(m.tc());
    assert_eq!(m.answers().map(|r| r.rtype).collect::<Vec<_>>(), [5], "the CNAME");
    // dig -y with a small buffer verifies it.
    let out = dig(p.addr, &["c.example.com", "TXT", "+bufsize=512", "+ignore", "-y", &format!("hmac-sha256:{KEY}:{SECRET}")]);
    assert!(out.contains(" tc") && out.contains("ANSWER: 0,") && !out.contains("Couldn't verify"), "{out}");
}

// ─── A8, I7: a scripted primary ──────────────────────────────────────────

/// How the scripted primary answers an IXFR.
#[derive(Debug, Clone, Copy, PartialEq)]
enum IxfrMode {
    /// RCODE NOTIMP.
    NotImp,
    /// A difference sequence that deletes a record the client does not have.
    BadHistory,
    /// Correct differences, one record per message.
    Incremental,
    /// The whole zone AXFR-style.
    Full,
}

/// How the scripted primary answers an AXFR.
#[derive(Debug, Clone, Copy, PartialEq)]
enum AxfrMode {
    /// The zone in several messages, with an out-of-zone and a CH-class record mixed in.
    Good,
    /// Ends with an SOA whose serial differs from the first, then closes.
    EndSerialDiffers,
}

struct Script {
    serial: u32,
    ixfr: IxfrMode,
    axfr: AxfrMode,
    /// Requests received over TCP: `AXFR`, `IXFR <client serial>`.
    seen: Vec<String>,
}

type Rec = (String, u16, u16, Vec<u8>);

fn soa_rec(serial: u32) -> Rec {
    (ZONE.into(), T_SOA, C_IN, soa_rdata(serial))
}

fn txt(s: &str) -> Vec<u8> {
    let mut r = vec![s.len() as u8];
    r.extend_from_slice(s.as_bytes());
    r
}

/// The scripted zone at `serial`: NS, glue, 30 hosts and `ver TXT "v<serial>"`.
fn scripted_zone(serial: u32) -> Vec<Rec> {
    let mut v = vec![(ZONE.into(), T_NS, C_IN, wire_name("ns1.example.com")), ("ns1.example.com".into(), T_A, C_IN, vec![192, 0, 2, 1])];
    for i in 0..30u8 {
        v.push((format!("h{i}.example.com"), T_A, C_IN, vec![10, 0, 0, i]));
    }
    v.push(("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{serial}"))));
    v
}

/// An answer message: QR, AA, `rcode`, the question when given, `recs` in the answer section.
fn answer_msg(id: u16, question: Option<(&[u8], u16)>, rcode: u16, recs: &[Rec]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&(0x8400 | rcode).to_be_bytes());
    m.extend_from_slice(&[0, question.is_some() as u8]);
    m.extend_from_slice(&(recs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    if let Some((name, t)) = question {
        m.extend_from_slice(name);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&C_IN.to_be_bytes());
    }
    for (owner, t, class, rdata) in recs {
        push_rr(&mut m, owner, *t, *class, 300, rdata);
    }
    m
}

/// A primary whose answers the test scripts, on a loopback port (UDP for
/// SOA queries, TCP for transfers).
struct FakePrimary {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl FakePrimary {
    fn start(serial: u32) -> FakePrimary {
        let port = free_port();
        let addr = local(port);
        let udp = UdpSocket::bind(addr).unwrap();
        let tcp = TcpListener::bind(addr).unwrap();
        let script = Arc::new(Mutex::new(Script { serial, ixfr: IxfrMode::Incremental, axfr: AxfrMode::Good, seen: Vec::new() }));
        let sc = script.clone();
        std::thread::spawn(move || {
            let mut b = [0u8; 1024];
            while let Ok((n, from)) = udp.recv_from(&mut b) {
                let q = Msg::parse(&b[..n]);
                let serial = sc.lock().unwrap().serial;
                let recs = if q.qtype == T_SOA { vec![soa_rec(serial)] } else { vec![] };
                let _ = udp.send_to(&answer_msg(q.id(), Some((q.qname_wire.as_deref().unwrap(), q.qtype)), NOERROR, &recs), from);
            }
        });
        let sc = script.clone();
        std::thread::spawn(move || {
            for conn in tcp.incoming().flatten() {
                let sc = sc.clone();
                std::thread::spawn(move || Self::serve(conn, &sc));
            }
        });
        FakePrimary { addr, script }
    }

    fn set(&self, serial: u32, ixfr: IxfrMode, axfr: AxfrMode) {
        let mut s = self.script.lock().unwrap();
        (s.serial, s.ixfr, s.axfr) = (serial, ixfr, axfr);
    }

    fn seen(&self) -> Vec<String> {
        self.script.lock().unwrap().seen.clone()
    }

    /// Answers one transfer request, then closes the connection.
    fn serve(mut conn: TcpStream, script: &Mutex<Script>) {
        conn.set_read_timeout(Some(10 * S)).unwrap();
        let q = Msg::parse(&tcp_read(&mut conn));
        let (serial, ixfr, axfr) = {
            let mut s = script.lock().unwrap();
            let client = q.rrs.iter().find(|r| r.section == 2).and_then(|r| r.serial);
            s.seen.push(match (q.qtype, client) {
                (T_IXFR, Some(c)) => format!("IXFR {c}"),
                _ => "AXFR".into(),
            });
            (s.serial, s.ixfr, s.axfr)
        };
        let qn = q.qname_wire.clone().unwrap();
        let question = Some((&qn[..], q.qtype));
        let zone = |s: u32| std::iter::once(soa_rec(s)).chain(scripted_zone(s)).chain(std::iter::once(soa_rec(s))).collect::<Vec<_>>();
        let messages: Vec<Vec<u8>> = match (q.qtype, ixfr) {
            (T_IXFR, IxfrMode::NotImp) => vec![answer_msg(q.id(), question, NOTIMP, &[])],
            (T_IXFR, IxfrMode::BadHistory) => {
                let client = q.rrs.iter().find(|r| r.section == 2).and_then(|r| r.serial).unwrap();
                let recs = vec![
                    soa_rec(serial),
                    soa_rec(client),
                    ("gone.example.com".into(), T_A, C_IN, vec![192, 0, 2, 99]),
                    soa_rec(serial),
                    ("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{serial}"))),
                    soa_rec(serial),
                ];
                vec![answer_msg(q.id(), question, NOERROR, &recs)]
            }
            (T_IXFR, IxfrMode::Incremental) => {
                let client = q.rrs.iter().find(|r| r.section == 2).and_then(|r| r.serial).unwrap();
                let mut recs = vec![soa_rec(serial)];
                for v in client..serial {
                    recs.push(soa_rec(v));
                    recs.push(("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{v}"))));
                    recs.push(soa_rec(v + 1));
                    recs.push(("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{}", v + 1))));
                }
                recs.push(soa_rec(serial));
                let mut msgs = vec![answer_msg(q.id(), question, NOERROR, &recs[..2])];
                msgs.extend(recs[2..].iter().map(|r| answer_msg(q.id(), None, NOERROR, std::slice::from_ref(r))));
                msgs
            }
            (T_IXFR, IxfrMode::Full) => {
                let z = zone(serial);
                vec![answer_msg(q.id(), question, NOERROR, &z[..10]), answer_msg(q.id(), None, NOERROR, &z[10..])]
            }
            _ => match axfr {
                AxfrMode::Good => {
                    let mut z = zone(serial);
                    // Junk the secondary must ignore (A8): out of zone, and not class IN.
                    z.insert(5, ("evil.example.org".into(), T_A, C_IN, vec![6, 6, 6, 6]));
                    z.insert(9, ("chaos.example.com".into(), T_TXT, C_CH, txt("ch")));
                    let mut msgs = vec![answer_msg(q.id(), question, NOERROR, &z[..12])];
                    msgs.extend(z[12..].chunks(10).map(|c| answer_msg(q.id(), None, NOERROR, c)));
                    msgs
                }
                AxfrMode::EndSerialDiffers => {
                    let mut z = zone(serial);
                    *z.last_mut().unwrap() = soa_rec(serial + 1);
                    vec![answer_msg(q.id(), question, NOERROR, &z[..12]), answer_msg(q.id(), None, NOERROR, &z[12..])]
                }
            },
        };
        for m in messages {
            if conn.write_all(&framed(&m)).is_err() {
                return; // the client stopped reading
            }
        }
        let _ = conn.shutdown(std::net::Shutdown::Write);
        // Let the client read everything before the socket goes away.
        let mut sink = [0u8; 512];
        let _ = conn.read(&mut sink);
    }
}

/// A8, I7: ironbind as the secondary of a scripted primary. It takes a
/// multi-message AXFR, ignoring an out-of-zone and a non-IN record; an IXFR
/// answered NOTIMP, or with a history that does not apply, falls back to
/// AXFR from the same primary; an AXFR whose closing SOA serial differs
/// from the opening one is rejected and the served version is untouched
/// (atomic), with a retry scheduled; a multi-message incremental IXFR of
/// two versions and an IXFR answered AXFR-style are both applied.
#[test]
fn a8_i7_secondary_against_a_scripted_primary() {
    require(&["dig"]);
    let fake = FakePrimary::start(1);
    let sdir = tempdir("a8");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", fake.addr.port())]));
    let s = Ironbind::start("a8-secondary", free_port(), &sdir.join("data"), &["--config", &cfg]);
    let ver = || dig(s.addr, &["ver.example.com", "TXT", "+short"]).trim().to_string();
    // "Transfer completed" is logged when the version is built; it is published just after.
    let published = |n: u32| assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(n)), "serial {n} not served:\n{}", s.proc.log());
    let from = format!("transfer of 'example.com/IN' from 127.0.0.1#{}", fake.addr.port());

    // A8: a multi-message AXFR with junk in it.
    let line = s.proc.expect(0, &[&from, "Transfer completed:", "(serial 1)"], 30 * S);
    assert!(line.contains("op=\"axfr\""), "{line}");
    assert_eq!(completed_counts(&line).0, 4, "{line}");
    published(1);
    assert_eq!(ver(), "\"v1\"");
    let served = axfr(s.addr, ZONE, false);
    assert_eq!(served.len(), 1 + 2 + 30 + 1, "{served:#?}");
    assert!(!served.iter().any(|l| l.contains("evil") || l.contains("chaos")), "{served:#?}");
    assert_eq!(status(s.addr, "evil.example.org", "A"), "REFUSED", "out-of-zone data is not served");
    assert_eq!(status(s.addr, "chaos.example.com", "TXT"), "NXDOMAIN");

    let step = |serial: u32, ixfr: IxfrMode, axfr_mode: AxfrMode| {
        fake.set(serial, ixfr, axfr_mode);
        let sl = s.proc.log_len();
        assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
        sl
    };

    // I7: IXFR answered NOTIMP → AXFR.
    let sl = step(2, IxfrMode::NotImp, AxfrMode::Good);
    s.proc.expect(sl, &[&from, "IXFR failed", "NOTIMP", "falling back to AXFR"], 20 * S);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 2)"], 20 * S);
    assert!(line.contains("op=\"axfr\""), "{line}");
    published(2);
    assert_eq!(ver(), "\"v2\"");

    // I7: an IXFR whose history does not apply → AXFR.
    let sl = step(3, IxfrMode::BadHistory, AxfrMode::Good);
    s.proc.expect(sl, &[&from, "IXFR failed", "inconsistent history", "falling back to AXFR"], 20 * S);
    s.proc.expect(sl, &["Transfer completed:", "(serial 3)"], 20 * S);
    published(3);
    assert_eq!(ver(), "\"v3\"");
    assert_eq!(status(s.addr, "gone.example.com", "A"), "NXDOMAIN");
    let v3 = axfr(s.addr, ZONE, false);

    // A8: start and end SOA differ → rejected; v3 stays served, a retry is scheduled.
    let sl = step(5, IxfrMode::NotImp, AxfrMode::EndSerialDiffers);
    s.proc.expect(sl, &["refresh failed with every primary; retrying in"], 30 * S);
    assert!(s.proc.lines_with(sl, &["Transfer completed"]).is_empty(), "{}", s.proc.log());
    assert_eq!(serial(s.addr, ZONE), Some(3));
    assert_eq!(axfr(s.addr, ZONE, false), v3, "the served version is untouched");

    // I3/I7: a multi-message incremental IXFR over two versions (3 → 4 → 5).
    let sl = step(5, IxfrMode::Incremental, AxfrMode::Good);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 5)"], 20 * S);
    assert!(line.contains("op=\"ixfr\""), "{line}");
    assert_eq!(completed_counts(&line), (9, 10), "{line}");
    published(5);
    assert_eq!(ver(), "\"v5\"");

    // I7: an IXFR answered AXFR-style is taken as the whole zone.
    let sl = step(6, IxfrMode::Full, AxfrMode::Good);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 6)"], 20 * S);
    assert!(line.contains("op=\"ixfr\""), "{line}");
    published(6);
    assert_eq!(ver(), "\"v6\"");
    assert_eq!(axfr(s.addr, ZONE, false).len(), 1 + 2 + 30 + 1);

    assert_eq!(fake.seen(), ["AXFR", "IXFR 1", "AXFR", "IXFR 2", "AXFR", "IXFR 3", "AXFR", "IXFR 3", "IXFR 5"]);
}

// ─── T1 × I5: an expired zone ─────────────────────────────────────────────

/// T1, I5: once a secondary zone has expired it answers SERVFAIL for the
/// zone everywhere: queries, AXFR and IXFR over TCP, and IXFR over UDP
/// (which must not hand out the stale SOA as if it were current).
#[test]
fn t1_i5_expired_zone_is_servfail_for_transfers_and_ixfr_over_udp() {
    let pdir = tempdir("exp-p");
    let file = write_zone(&pdir, "example.com.zone", &zone_text(ZONE, 4, (1, 1, 3), 3, ""));
    let zone_arg = format!("{ZONE}={file}");
    let mut p = Ironbind::start("exp-primary", free_port(), &pdir.join("data"), &["--zone", &zone_arg, "--allow-transfer", "127.0.0.0/8"]);
    let sdir = tempdir("exp-s");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", p.addr.port())]));
    let s = Ironbind::start("exp-secondary", free_port(), &sdir.join("data"), &["--config", &cfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 4)"], 30 * S);
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(4)));
    let m = udp_ask("127.0.0.1:0", s.addr, &ixfr_query(1, ZONE, 1)).unwrap();
    assert_eq!((m.rcode(), m.answers().next().and_then(|r| r.serial)), (NOERROR, Some(4)), "before expiry");

    p.proc.kill9();
    s.proc.expect(0, &["zone example.com/IN: expired"], 30 * S);
    assert_eq!(status(s.addr, ZONE, "SOA"), "SERVFAIL");
    for q in [query(2, ZONE, T_AXFR), ixfr_query(3, ZONE, 1)] {
        let r = xfr(s.addr, None, &q);
        assert_eq!((r.msgs.len(), r.msgs[0].rcode(), r.records), (1, SERVFAIL, 0), "TCP qtype {}", r.msgs[0].qtype);
    }
    let m = udp_ask("127.0.0.1:0", s.addr, &ixfr_query(4, ZONE, 1)).unwrap();
    assert_eq!((m.rcode(), m.count(1)), (SERVFAIL, 0), "IXFR over UDP to an expired zone");
}
