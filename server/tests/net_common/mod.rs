//! Helpers shared by the `net_*` integration tests: building queries, reading
//! answers, and running the real `ironbind` binary with its log captured.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// A fresh directory under the system temp dir.
pub fn tempdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("ironbind-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running `ironbind` process with its stderr collected line by line.
pub struct Ironbind {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// The first listen address (UDP and TCP).
    pub addr: SocketAddr,
}

impl Ironbind {
    /// Starts the binary with `args` (add `--listen 127.0.0.1:0` to get a free
    /// port) and waits until it listens.
    pub fn start(args: &[&str]) -> Ironbind {
        Self::start_with_env(args, &[])
    }

    /// [`Self::start`] with extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Ironbind {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironbind"))
            .envs(env.iter().copied())
            .args(args)
            .args(["--log-format", "text"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ironbind");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let err = child.stderr.take().unwrap();
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("[ironbind] {line}");
                l2.lock().unwrap().push(line);
            }
        });
        let mut p = Ironbind { child, lines, addr: "0.0.0.0:0".parse().unwrap() };
        let line = p
            .wait_log(|l| l.contains("listening") && l.contains("proto=\"tcp\""), Duration::from_secs(20))
            .unwrap_or_else(|| panic!("ironbind did not start; log:\n{}", p.log()));
        let addr = line.split("listen=").nth(1).unwrap().split_whitespace().next().unwrap();
        p.addr = addr.parse().unwrap();
        p
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits for a log line (logged at or after call time or before) matching `pred`.
    pub fn wait_log(&self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        self.wait_log_from(0, pred, timeout)
    }

    /// Number of log lines so far (to wait only for newer ones).
    pub fn log_len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits for a line at index ≥ `from` matching `pred`.
    pub fn wait_log_from(&self, from: usize, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(l) = self.lines.lock().unwrap().iter().skip(from).find(|l| pred(l)) {
                return Some(l.clone());
            }
            if Instant::now() > end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal.
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) with our own child's pid and a valid signal number.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "kill failed");
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() > end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Ironbind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
