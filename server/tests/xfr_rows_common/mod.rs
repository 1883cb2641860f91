//! Helpers shared by the transfer-row tests (`xfr_rows_out.rs`, `xfr_rows_in.rs`):
//! hand-built DNS messages, a small response parser, TCP/UDP exchanges. It
//! re-exports what the test files use, so they only `use xfr_rows_common::*`.
#![allow(dead_code, unused_imports)]

pub use std::collections::HashMap;
pub use std::io::{Read, Write};
pub use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
pub use std::path::Path;
pub use std::process::{Command, Stdio};
pub use std::sync::{Arc, Barrier, Mutex};
pub use std::time::{Duration, Instant};

pub use super::xfr_common::*;
pub use ironbind::tsig::{ClientSession, Key, TsigError};

pub const S: Duration = Duration::from_secs(1);
pub const ZONE: &str = "example.com";
pub const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

pub const T_A: u16 = 1;
pub const T_NS: u16 = 2;
pub const T_SOA: u16 = 6;
pub const T_TXT: u16 = 16;
pub const T_OPT: u16 = 41;
pub const T_TSIG: u16 = 250;
pub const T_IXFR: u16 = 251;
pub const T_AXFR: u16 = 252;
pub const C_IN: u16 = 1;
pub const C_CH: u16 = 3;

pub const NOERROR: u16 = 0;
pub const FORMERR: u16 = 1;
pub const SERVFAIL: u16 = 2;
pub const NOTIMP: u16 = 4;
pub const REFUSED: u16 = 5;
pub const NOTAUTH: u16 = 9;
pub const OP_NOTIFY: u8 = 4;

pub const BADSIG: u16 = 16;
pub const BADKEY: u16 = 17;
pub const BADTIME: u16 = 18;
pub const BADTRUNC: u16 = 22;

// ─── building messages ────────────────────────────────────────────────────

/// `name` in wire form, labels as given (case preserved), uncompressed.
pub fn wire_name(name: &str) -> Vec<u8> {
    let mut w = Vec::new();
    for l in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        w.push(l.len() as u8);
        w.extend_from_slice(l.as_bytes());
    }
    w.push(0);
    w
}

/// Appends one resource record.
pub fn push_rr(m: &mut Vec<u8>, owner: &str, t: u16, class: u16, ttl: u32, rdata: &[u8]) {
    m.extend_from_slice(&wire_name(owner));
    m.extend_from_slice(&t.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    m.extend_from_slice(&ttl.to_be_bytes());
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
}

/// Adds 1 to the section count `i` (0 = question … 3 = additional).
pub fn bump(m: &mut [u8], i: usize) {
    let at = 4 + 2 * i;
    let n = u16::from_be_bytes([m[at], m[at + 1]]) + 1;
    m[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

/// SOA RDATA of the test zones (`ns1`/`hostmaster` under `example.com`).
pub fn soa_rdata(serial: u32) -> Vec<u8> {
    let mut r = wire_name("ns1.example.com");
    r.extend_from_slice(&wire_name("hostmaster.example.com"));
    for v in [serial, SLOW.0, SLOW.1, SLOW.2, 300] {
        r.extend_from_slice(&v.to_be_bytes());
    }
    r
}

/// A request: `opcode`, RD clear, one question.
pub fn request(id: u16, opcode: u8, name: &str, qtype: u16) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&(u16::from(opcode) << 11).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&wire_name(name));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&C_IN.to_be_bytes());
    m
}

/// A QUERY.
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    request(id, 0, name, qtype)
}

/// An IXFR query carrying our SOA with `serial` in the authority section (RFC 1995 §3).
pub fn ixfr_query(id: u16, zone: &str, serial: u32) -> Vec<u8> {
    let mut m = query(id, zone, T_IXFR);
    push_rr(&mut m, zone, T_SOA, C_IN, 300, &soa_rdata(serial));
    bump(&mut m, 2);
    m
}

/// A NOTIFY (AA set, RFC 1996 §3.7), optionally with an SOA hint in the answer section.
pub fn notify_query(id: u16, zone: &str, hint: Option<u32>) -> Vec<u8> {
    let mut m = request(id, OP_NOTIFY, zone, T_SOA);
    m[2] |= 0x04; // AA
    if let Some(serial) = hint {
        push_rr(&mut m, zone, T_SOA, C_IN, 300, &soa_rdata(serial));
        bump(&mut m, 1);
    }
    m
}

/// Appends an OPT record offering `size` octets (RFC 6891).
pub fn with_edns(mut m: Vec<u8>, size: u16) -> Vec<u8> {
    m.extend_from_slice(&[0, 0, 41]);
    m.extend_from_slice(&size.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    bump(&mut m, 3);
    m
}

/// The test key `xfr-key` (hmac-sha256, [`SECRET`]).
pub fn xfr_key() -> Key {
    Key::from_spec(&format!("{KEY}=hmac-sha256:{SECRET}")).unwrap()
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Signs `m` in place with `key` at time `at`; the session verifies the answer.
pub fn sign_at(m: &mut Vec<u8>, key: &Key, at: u64) -> ClientSession {
    ClientSession::sign_request(key, m, at).unwrap()
}

pub fn sign(m: &mut Vec<u8>, key: &Key) -> ClientSession {
    sign_at(m, key, unix_now())
}

// ─── reading messages ─────────────────────────────────────────────────────

/// Reads the name at `pos` (following compression pointers); returns it
/// dotted, case as received, and the offset after it.
pub fn read_name(m: &[u8], mut pos: usize) -> (String, usize) {
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

pub fn be16(m: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([m[at], m[at + 1]])
}

pub fn be32(m: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])
}

/// One resource record of a received message.
#[derive(Debug, Clone)]
pub struct Rr {
    /// 1 answer, 2 authority, 3 additional.
    pub section: u8,
    /// Owner, dotted, case as received.
    pub owner: String,
    pub rtype: u16,
    pub class: u16,
    /// Offset of the RDATA in the message.
    pub rdata_at: usize,
    pub rdata: Vec<u8>,
    /// The serial, for an SOA.
    pub serial: Option<u32>,
}

impl Rr {
    pub fn is_soa(&self) -> bool {
        self.rtype == T_SOA
    }

    /// `owner TYPE rdata` for A/TXT/SOA, lowercase, for comparing contents.
    pub fn text(&self) -> String {
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
pub struct Tsig {
    pub key: String,
    pub algorithm: String,
    pub time_signed: u64,
    pub mac: Vec<u8>,
    pub original_id: u16,
    pub error: u16,
    pub other: Vec<u8>,
}

/// A received message.
#[derive(Debug, Clone)]
pub struct Msg {
    pub raw: Vec<u8>,
    /// The question's name octets exactly as received.
    pub qname_wire: Option<Vec<u8>>,
    pub qtype: u16,
    pub qclass: u16,
    pub rrs: Vec<Rr>,
}

impl Msg {
    pub fn parse(raw: &[u8]) -> Msg {
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

    pub fn id(&self) -> u16 {
        be16(&self.raw, 0)
    }
    pub fn flags(&self) -> u16 {
        be16(&self.raw, 2)
    }
    pub fn qr(&self) -> bool {
        self.flags() & 0x8000 != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags() >> 11) & 0xF) as u8
    }
    pub fn aa(&self) -> bool {
        self.flags() & 0x0400 != 0
    }
    pub fn tc(&self) -> bool {
        self.flags() & 0x0200 != 0
    }
    pub fn rcode(&self) -> u16 {
        self.flags() & 0xF
    }
    pub fn count(&self, i: usize) -> u16 {
        be16(&self.raw, 4 + 2 * i)
    }
    pub fn answers(&self) -> impl Iterator<Item = &Rr> {
        self.rrs.iter().filter(|r| r.section == 1)
    }
    pub fn tsig(&self) -> Option<Tsig> {
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
pub fn udp_ask(from: &str, to: SocketAddr, q: &[u8]) -> Option<Msg> {
    let s = UdpSocket::bind(from).unwrap();
    s.set_read_timeout(Some(3 * S)).unwrap();
    s.send_to(q, to).unwrap();
    let mut b = vec![0u8; 65535];
    let (n, _) = s.recv_from(&mut b).ok()?;
    Some(Msg::parse(&b[..n]))
}

/// A TCP connection to `to`, from `from` when given.
pub fn tcp_connect(to: SocketAddr, from: Option<IpAddr>) -> TcpStream {
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
pub fn framed(q: &[u8]) -> Vec<u8> {
    let mut f = (q.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(q);
    f
}

/// Reads one length-prefixed message.
pub fn tcp_read(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap_or_else(|e| panic!("reading a message length: {e}"));
    let mut m = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut m).unwrap_or_else(|e| panic!("reading a message: {e}"));
    m
}

/// The messages of one AXFR/IXFR answer, and whether they are complete.
#[derive(Default)]
pub struct XfrReader {
    pub msgs: Vec<Msg>,
    pub records: usize,
    pub first_serial: Option<u32>,
    /// Whether the second record is an SOA (an incremental IXFR).
    pub incremental: Option<bool>,
    pub soas_after_first: usize,
    pub done: bool,
}

impl XfrReader {
    /// Takes the next message; true when the answer is complete: an error
    /// RCODE, a lone SOA (IXFR: up to date), the second SOA of an AXFR-style
    /// answer, or the SOA closing an incremental one (RFC 1995 §4).
    pub fn push(&mut self, m: Msg) -> bool {
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
                if self.incremental == Some(false) || (rr.serial == self.first_serial && self.soas_after_first % 2 == 1 && self.soas_after_first >= 3)
                {
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

    pub fn answers(&self) -> Vec<&Rr> {
        self.msgs.iter().flat_map(|m| m.answers()).collect()
    }
}

/// Sends `q` over TCP (from `from`) and reads its whole transfer answer.
pub fn xfr(to: SocketAddr, from: Option<IpAddr>, q: &[u8]) -> XfrReader {
    let mut s = tcp_connect(to, from);
    s.write_all(&framed(q)).unwrap();
    let mut r = XfrReader::default();
    while !r.push(Msg::parse(&tcp_read(&mut s))) {}
    r
}

/// Sends `q` over TCP and reads one message.
pub fn tcp_ask(to: SocketAddr, q: &[u8]) -> Msg {
    let mut s = tcp_connect(to, None);
    s.write_all(&framed(q)).unwrap();
    Msg::parse(&tcp_read(&mut s))
}

/// Checks what holds for every message of a transfer answer to a request
/// with `id` (RFC 5936 §2.2): QR and AA set, TC never, NOERROR, ≤ 65535
/// octets, the question in the first message only.
pub fn check_stream(r: &XfrReader, id: u16) {
    for (i, m) in r.msgs.iter().enumerate() {
        assert_eq!(m.id(), id, "message {i}");
        assert!(m.qr() && m.aa() && !m.tc(), "message {i}: flags {:#06x}", m.flags());
        assert_eq!(m.rcode(), NOERROR, "message {i}");
        assert!(m.raw.len() <= 65535);
        assert_eq!(m.count(0), u16::from(i == 0), "message {i}: QDCOUNT");
    }
}

/// Writes `text` to `dir/name`; returns the path.
pub fn write_zone(dir: &Path, name: &str, text: &str) -> String {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    f.display().to_string()
}

/// Starts a primary for `example.com` from `text` with extra flags.
pub fn primary(tag: &str, text: &str, extra: &[&str]) -> (Ironbind, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempdir(tag);
    let file = write_zone(&dir, "example.com.zone", text);
    let zone_arg = format!("{ZONE}={file}");
    let mut args = vec!["--zone", zone_arg.as_str()];
    args.extend(extra);
    let p = start_ironbind(tag, free_port(), &dir.join("data"), &args);
    (p, dir, file.into())
}

pub fn key_arg() -> String {
    format!("{KEY}=hmac-sha256:{SECRET}")
}

pub fn localhost() -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, 1]))
}

// ─── A1 ───────────────────────────────────────────────────────────────────
