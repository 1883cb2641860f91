//! Helpers for the control API tests: a minimal HTTP/1.1 client (plain or
//! TLS through rustls, `Connection: close`), starting `ironbind` with the
//! API on a free loopback port, and zone bodies.
#![allow(dead_code, unused_imports)]

pub use std::net::SocketAddr;
pub use std::path::{Path, PathBuf};
pub use std::time::Duration;

pub use serde_json::{json, Value};

pub use super::xfr_common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use tokio_rustls::rustls;

pub const S: Duration = Duration::from_secs(1);
/// The token the tests' token files hold.
pub const TOKEN: &str = "s3cret-token";

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The control API of one running server.
#[derive(Clone)]
pub struct Api {
    pub addr: SocketAddr,
    pub token: Option<String>,
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Api {
    /// Sends `method path` with the API's token.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.call_as(self.token.as_deref(), method, path, body)
    }

    /// Sends `method path` with `token` (none: no Authorization header).
    pub fn call_as(&self, token: Option<&str>, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.raw(token, method, path, body.as_bytes())
    }

    /// Sends raw body bytes.
    pub fn raw(&self, token: Option<&str>, method: &str, path: &str, body: &[u8]) -> Resp {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n", self.addr, body.len());
        if !body.is_empty() {
            req.push_str("Content-Type: application/json\r\n");
        }
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        req.push_str("\r\n");
        let mut wire = req.into_bytes();
        wire.extend_from_slice(body);
        let tcp = TcpStream::connect(self.addr).unwrap_or_else(|e| panic!("connect {}: {e}", self.addr));
        tcp.set_read_timeout(Some(120 * S)).unwrap();
        let mut out = Vec::new();
        match &self.tls {
            None => {
                let mut s = tcp;
                s.write_all(&wire).unwrap();
                s.read_to_end(&mut out).unwrap();
            }
            Some(cfg) => {
                let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                let conn = rustls::ClientConnection::new(cfg.clone(), name).unwrap();
                let mut s = rustls::StreamOwned::new(conn, tcp);
                s.write_all(&wire).unwrap();
                // The server may close without close_notify; keep what came.
                let _ = s.read_to_end(&mut out);
            }
        }
        parse(&out)
    }
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no HTTP header in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).expect("status line");
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Resp { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

/// A server with the control API.
pub struct Server {
    pub ib: Ironbind,
    pub api: Api,
    pub dir: PathBuf,
}

/// Writes the token file into `dir`.
pub fn token_file(dir: &Path) -> PathBuf {
    let p = dir.join("token");
    std::fs::write(&p, format!("  {TOKEN}\n")).unwrap();
    p
}

/// Starts `ironbind` with `--control-listen` on a free port, a token file,
/// a fresh data dir and `args`; waits until the API listens.
pub fn start(tag: &str, args: &[&str]) -> Server {
    let dir = tempdir(tag);
    let tok = token_file(&dir);
    let cport = free_port();
    let listen = format!("127.0.0.1:{cport}");
    let tok = tok.display().to_string();
    let mut all = vec!["--control-listen", &listen, "--control-token-file", &tok];
    all.extend_from_slice(args);
    let ib = start_ironbind(tag, free_port(), &dir.join("data"), &all);
    ib.proc.expect(0, &["control API listening"], 30 * S);
    let api = Api { addr: local(cport), token: Some(TOKEN.into()), tls: None };
    Server { ib, api, dir }
}

impl Server {
    /// Restarts gracefully and waits for the API again.
    pub fn restart(&mut self) {
        self.ib.restart();
        self.ib.proc.expect(0, &["control API listening"], 30 * S);
    }

    /// SIGKILL, then start again.
    pub fn restart_after_kill(&mut self) {
        self.ib.restart_after_kill();
        self.ib.proc.expect(0, &["control API listening"], 30 * S);
    }

    /// `data/zones/<file>`.
    pub fn zone_file(&self, name: &str) -> PathBuf {
        self.ib.data_dir.join("zones").join(name)
    }
}

/// A primary zone body: NS ns1 (127.0.0.1, so nothing leaves the machine),
/// `www A www_ip`, plus `extra` RRsets; transfers allowed from loopback.
pub fn primary(www_ip: &str, extra: &[Value], also_notify: &[String]) -> Value {
    let mut rrsets = vec![
        json!({"name": "@", "type": "NS", "rdata": ["ns1"]}),
        json!({"name": "ns1", "type": "A", "rdata": ["127.0.0.1"]}),
        json!({"name": "www", "type": "A", "ttl": 300, "rdata": [www_ip]}),
        // Enough data that an IXFR of one change is smaller than the zone
        // (otherwise the server rightly answers an IXFR with the whole zone).
        json!({"name": "hosts", "type": "A", "rdata": (1..=30).map(|i| format!("10.0.0.{i}")).collect::<Vec<_>>()}),
    ];
    rrsets.extend(extra.iter().cloned());
    json!({
        "type": "primary",
        "soa": {"mname": "ns1", "rname": "hostmaster", "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 300, "ttl": 300},
        "rrsets": rrsets,
        "allowTransfer": ["127.0.0.0/8"],
        "alsoNotify": also_notify,
        "notifyNs": false,
    })
}

/// `dig @addr NAME IXFR=serial` as normalised answer lines, in order.
pub fn ixfr(addr: SocketAddr, zone: &str, serial: u32) -> Vec<String> {
    let q = format!("IXFR={serial}");
    dig(addr, &[zone, &q, "+noall", "+answer", "+nottlid"])
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase())
        .collect()
}
