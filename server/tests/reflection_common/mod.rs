//! Helpers of the reflection tests (`rrl.rs`, `cookies.rs`): queries with
//! EDNS options built by hand, responses read back (extended RCODE, EDNS
//! options), bursts from a chosen loopback source address, and a plain
//! HTTP GET for `/metrics`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// The COOKIE option code (RFC 7873).
pub const COOKIE: u16 = 10;
/// The NSID option code (RFC 5001).
pub const NSID: u16 = 3;

/// A query for `name`/`qtype` (RD clear) with an OPT record (payload 1232)
/// holding `options`, or no OPT when `options` is `None`.
pub fn query(id: u16, name: &str, qtype: u16, options: Option<&[(u16, &[u8])]>) -> Vec<u8> {
    let mut m = vec![0u8; 12];
    m[0..2].copy_from_slice(&id.to_be_bytes());
    m[5] = 1;
    for l in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        m.push(l.len() as u8);
        m.extend_from_slice(l.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    if let Some(opts) = options {
        m[11] = 1;
        let mut rdata = Vec::new();
        for (code, v) in opts {
            rdata.extend_from_slice(&code.to_be_bytes());
            rdata.extend_from_slice(&(v.len() as u16).to_be_bytes());
            rdata.extend_from_slice(v);
        }
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rdata);
    }
    m
}

/// A query with no question (QDCOUNT 0) and an OPT holding `options`.
pub fn no_question(id: u16, options: &[(u16, &[u8])]) -> Vec<u8> {
    let mut m = query(id, "x", 1, Some(options));
    m.drain(12..19); // the name "x" (3 octets), QTYPE, QCLASS
    m[5] = 0;
    m
}

fn skip_name(m: &[u8], mut p: usize) -> usize {
    loop {
        let l = m[p] as usize;
        if l == 0 {
            return p + 1;
        }
        if l & 0xC0 == 0xC0 {
            return p + 2;
        }
        p += 1 + l;
    }
}

/// What the tests read from a response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The whole message.
    pub msg: Vec<u8>,
    /// The 12-bit RCODE (header and OPT).
    pub rcode: u16,
    /// TC set.
    pub tc: bool,
    /// Records in the answer section.
    pub ancount: u16,
    /// Record types of the answer section, in order.
    pub answer_types: Vec<u16>,
    /// EDNS options of the OPT record, when there is one.
    pub options: Option<Vec<(u16, Vec<u8>)>>,
}

impl Reply {
    /// Parses a response.
    pub fn parse(m: &[u8]) -> Reply {
        let count = |i: usize| u16::from_be_bytes([m[i], m[i + 1]]) as usize;
        let mut p = 12;
        for _ in 0..count(4) {
            p = skip_name(m, p) + 4;
        }
        let (mut options, mut ext, mut answer_types) = (None, 0u16, Vec::new());
        for i in 0..count(6) + count(8) + count(10) {
            let n = skip_name(m, p);
            let t = u16::from_be_bytes([m[n], m[n + 1]]);
            let rdlen = u16::from_be_bytes([m[n + 8], m[n + 9]]) as usize;
            let rdata = &m[n + 10..n + 10 + rdlen];
            if i < count(6) {
                answer_types.push(t);
            }
            if t == 41 {
                ext = u16::from(m[n + 4]) << 4;
                let mut opts = Vec::new();
                let mut q = 0;
                while q + 4 <= rdata.len() {
                    let code = u16::from_be_bytes([rdata[q], rdata[q + 1]]);
                    let len = u16::from_be_bytes([rdata[q + 2], rdata[q + 3]]) as usize;
                    opts.push((code, rdata[q + 4..q + 4 + len].to_vec()));
                    q += 4 + len;
                }
                options = Some(opts);
            }
            p = n + 10 + rdlen;
        }
        assert_eq!(p, m.len(), "counts cover the whole message");
        Reply { msg: m.to_vec(), rcode: ext | u16::from(m[3] & 0x0F), tc: m[2] & 0x02 != 0, ancount: count(6) as u16, answer_types, options }
    }

    /// The value of EDNS option `code`.
    pub fn option(&self, code: u16) -> Option<&[u8]> {
        self.options.as_ref()?.iter().find(|(c, _)| *c == code).map(|(_, v)| &v[..])
    }
}

/// One UDP exchange from a socket bound to `src` (port 0).
pub fn udp_from(src: IpAddr, server: SocketAddr, q: &[u8]) -> Option<Reply> {
    let s = UdpSocket::bind((src, 0)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.send_to(q, server).unwrap();
    let mut buf = [0u8; 65535];
    let n = s.recv(&mut buf).ok()?;
    Some(Reply::parse(&buf[..n]))
}

/// One UDP exchange from 127.0.0.1.
pub fn udp(server: SocketAddr, q: &[u8]) -> Reply {
    udp_from([127, 0, 0, 1].into(), server, q).expect("an answer over UDP")
}

/// One TCP exchange.
pub fn tcp(server: SocketAddr, q: &[u8]) -> Reply {
    let mut s = TcpStream::connect(server).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(q);
    s.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut m = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut m).unwrap();
    Reply::parse(&m)
}

/// What came back for a burst.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Burst {
    /// Queries sent.
    pub sent: usize,
    /// Full answers (TC clear).
    pub answered: usize,
    /// Truncated answers (slips).
    pub truncated: usize,
    /// Seconds from the first query sent to the last one.
    pub secs: f64,
}

impl Burst {
    /// Queries that got nothing back.
    pub fn unanswered(&self) -> usize {
        self.sent - self.answered - self.truncated
    }
}

/// Sends `q` `n` times from `src`, spread over `sockets` source ports (so
/// the server's SO_REUSEPORT workers share the flood), then counts the
/// answers until none has come for 500 ms.
pub fn burst(src: IpAddr, server: SocketAddr, q: &[u8], n: usize, sockets: usize) -> Burst {
    let socks: Vec<UdpSocket> = (0..sockets).map(|_| UdpSocket::bind((src, 0)).unwrap()).collect();
    let start = Instant::now();
    let mut q = q.to_vec();
    for i in 0..n {
        q[0..2].copy_from_slice(&(i as u16).to_be_bytes());
        socks[i % sockets].send_to(&q, server).unwrap();
        if i % 32 == 31 {
            // Keep within the server's socket buffer: the test is about the
            // limit, not about loss.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let mut b = Burst { sent: n, secs: start.elapsed().as_secs_f64(), ..Burst::default() };
    let mut buf = [0u8; 65535];
    for s in &socks {
        s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        while let Ok(len) = s.recv(&mut buf) {
            if buf[2] & 0x02 != 0 {
                b.truncated += 1;
            } else {
                b.answered += 1;
            }
            let _ = len;
        }
    }
    b
}

/// `GET path` (or another `method`) over plain HTTP/1.1: status and body.
pub fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The value of the sample `name{labels}` in a Prometheus text page.
pub fn sample(page: &str, series: &str) -> u64 {
    page.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok()).unwrap_or_else(|| panic!("no {series} in:\n{page}"))
}
