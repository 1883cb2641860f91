//! Helpers shared by the `net_*` integration tests (and `metrics.rs`,
//! `alloc_udp.rs`): building queries, reading answers, and running the real
//! `ironbind` binary on a port it picks (processes and temp dirs from
//! `ironbind-test-support`, re-exported here).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

pub use ironbind_test_support::*;

/// Type numbers used by the tests.
pub const A: u16 = 1;
/// NS.
pub const NS: u16 = 2;
/// SOA.
pub const SOA: u16 = 6;
/// TXT.
pub const TXT: u16 = 16;
/// AAAA.
pub const AAAA: u16 = 28;

/// Writes a query (RD=0, with an EDNS OPT offering 1232 octets) into `buf`
/// and returns its length. Does not allocate.
pub fn write_query(buf: &mut [u8], id: u16, name: &str, qtype: u16) -> usize {
    buf[..12].copy_from_slice(&[0; 12]);
    buf[0..2].copy_from_slice(&id.to_be_bytes());
    buf[5] = 1; // QDCOUNT
    buf[11] = 1; // ARCOUNT (OPT)
    let mut p = 12;
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        buf[p] = label.len() as u8;
        buf[p + 1..p + 1 + label.len()].copy_from_slice(label.as_bytes());
        p += 1 + label.len();
    }
    buf[p] = 0;
    p += 1;
    buf[p..p + 4].copy_from_slice(&[(qtype >> 8) as u8, qtype as u8, 0, 1]);
    p += 4;
    // OPT: root owner, type 41, class = payload size, TTL 0, RDLEN 0.
    buf[p..p + 11].copy_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    p + 11
}

/// A query as a new vector.
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut b = vec![0u8; 600];
    let n = write_query(&mut b, id, name, qtype);
    b.truncate(n);
    b
}

/// Message ID.
pub fn id(m: &[u8]) -> u16 {
    u16::from_be_bytes([m[0], m[1]])
}
/// RCODE (header bits only).
pub fn rcode(m: &[u8]) -> u8 {
    m[3] & 0x0f
}
/// AA bit.
pub fn aa(m: &[u8]) -> bool {
    m[2] & 0x04 != 0
}
/// ANCOUNT.
pub fn ancount(m: &[u8]) -> u16 {
    u16::from_be_bytes([m[6], m[7]])
}
/// NSCOUNT.
pub fn nscount(m: &[u8]) -> u16 {
    u16::from_be_bytes([m[8], m[9]])
}

fn skip_name(m: &[u8], mut p: usize) -> usize {
    loop {
        let l = m[p] as usize;
        if l == 0 {
            return p + 1;
        }
        if l & 0xc0 == 0xc0 {
            return p + 2;
        }
        p += 1 + l;
    }
}

/// The records of the answer and authority sections: (type, rdata range).
pub fn records(m: &[u8]) -> Vec<(u16, std::ops::Range<usize>)> {
    let mut p = 12;
    for _ in 0..u16::from_be_bytes([m[4], m[5]]) {
        p = skip_name(m, p) + 4;
    }
    let mut out = Vec::new();
    for _ in 0..(ancount(m) + nscount(m)) {
        p = skip_name(m, p);
        let t = u16::from_be_bytes([m[p], m[p + 1]]);
        let len = u16::from_be_bytes([m[p + 8], m[p + 9]]) as usize;
        p += 10;
        out.push((t, p..p + len));
        p += len;
    }
    out
}

/// The serial of the first SOA in the answer section.
pub fn soa_serial(m: &[u8]) -> Option<u32> {
    let (_, r) = records(m).into_iter().take(ancount(m) as usize).find(|(t, _)| *t == SOA)?;
    let p = skip_name(m, skip_name(m, r.start));
    Some(u32::from_be_bytes([m[p], m[p + 1], m[p + 2], m[p + 3]]))
}

/// The first A record's address in the answer section.
pub fn first_a(m: &[u8]) -> Option<std::net::Ipv4Addr> {
    let (_, r) = records(m).into_iter().take(ancount(m) as usize).find(|(t, _)| *t == A)?;
    Some(std::net::Ipv4Addr::new(m[r.start], m[r.start + 1], m[r.start + 2], m[r.start + 3]))
}

/// Starts the binary with `args` (add `--listen 127.0.0.1:0` to get a free
/// port) and `--log-format text`, and waits until it listens; its address is
/// the one it logs.
pub fn ironbind(args: &[&str]) -> Ironbind {
    ironbind_with_env(args, &[])
}

/// [`ironbind`] with extra environment variables.
pub fn ironbind_with_env(args: &[&str], env: &[(&str, &str)]) -> Ironbind {
    env.iter().fold(launch!("ironbind"), |l, (k, v)| l.env(k, v)).args(args.iter().copied()).args(["--log-format", "text"]).start()
}

/// Sends `msg` over a TCP stream with its length prefix.
pub fn tcp_send(s: &mut std::net::TcpStream, msg: &[u8]) {
    use std::io::Write;
    let mut b = (msg.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(msg);
    s.write_all(&b).unwrap();
}

/// Reads one length-prefixed message.
pub fn tcp_recv(s: &mut std::net::TcpStream) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut l = [0u8; 2];
    s.read_exact(&mut l)?;
    let mut m = vec![0u8; u16::from_be_bytes(l) as usize];
    s.read_exact(&mut m)?;
    Ok(m)
}

/// One query over TCP on a new connection.
pub fn tcp_query(addr: SocketAddr, q: &[u8]) -> Vec<u8> {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp_send(&mut s, q);
    tcp_recv(&mut s).unwrap()
}

/// One query over UDP.
pub fn udp_query(addr: SocketAddr, q: &[u8]) -> Vec<u8> {
    let bind = if addr.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" };
    let s = std::net::UdpSocket::bind(bind).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.send_to(q, addr).unwrap();
    let mut b = vec![0u8; 65535];
    let (n, _) = s.recv_from(&mut b).unwrap();
    b.truncate(n);
    b
}
