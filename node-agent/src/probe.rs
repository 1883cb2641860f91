//! Container probes: one check (httpGet on the pod's address, tcpSocket,
//! exec inside the container), and the thresholds that turn checks into a
//! result (successThreshold, failureThreshold) at the probe's period.
//!
//! Owns: what a probe's spec means. Must not: act on a result (the
//! supervisor restarts on liveness and reports readiness).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::exec::ExecContext;

/// The timing of a probe, with the API's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Before the first check.
    pub initial_delay: Duration,
    /// Between checks.
    pub period: Duration,
    /// For one check.
    pub timeout: Duration,
    /// Successes in a row that make it pass.
    pub success: u32,
    /// Failures in a row that make it fail.
    pub failure: u32,
}

impl Timing {
    /// The timing of `p` (defaults: no delay, 10 s period, 1 s timeout, 1 success, 3 failures).
    pub fn of(p: &Probe) -> Self {
        let secs = |v: Option<i32>, d: u64| Duration::from_secs(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(d));
        let count = |v: Option<i32>, d: u32| v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0).unwrap_or(d);
        Timing {
            initial_delay: secs(p.initial_delay_seconds, 0),
            period: secs(p.period_seconds, 10).max(Duration::from_secs(1)),
            timeout: secs(p.timeout_seconds, 1).max(Duration::from_secs(1)),
            success: count(p.success_threshold, 1),
            failure: count(p.failure_threshold, 3),
        }
    }
}

/// Consecutive results turned into a verdict.
#[derive(Debug, Clone)]
pub struct Verdict {
    timing: Timing,
    ok_run: u32,
    fail_run: u32,
    passing: Option<bool>,
}

impl Verdict {
    /// No check yet: no verdict.
    pub fn new(timing: Timing) -> Self {
        Self { timing, ok_run: 0, fail_run: 0, passing: None }
    }

    /// Records one check; returns the verdict (`None` until a threshold is reached).
    pub fn record(&mut self, ok: bool) -> Option<bool> {
        if ok {
            self.ok_run += 1;
            self.fail_run = 0;
            if self.ok_run >= self.timing.success {
                self.passing = Some(true);
            }
        } else {
            self.fail_run += 1;
            self.ok_run = 0;
            if self.fail_run >= self.timing.failure {
                self.passing = Some(false);
            }
        }
        self.passing
    }
}

/// What one check needs besides the probe.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The pod's address.
    pub pod_ip: Ipv4Addr,
    /// The container's process (for exec probes).
    pub pid: u32,
    /// What an exec probe's command inherits.
    pub exec: &'a ExecContext,
}

/// One check of `p` for container `c`: `Err` says why it failed.
pub async fn check(p: &Probe, c: &Container, t: Target<'_>, timeout: Duration) -> Result<(), String> {
    let run = async {
        if let Some(h) = &p.http_get {
            let port = port(&h.port, c)?;
            let host = h.host.as_deref().and_then(|h| h.parse::<IpAddr>().ok()).unwrap_or(IpAddr::V4(t.pod_ip));
            if h.scheme.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("http")) {
                return Err("only HTTP probes are supported on this node".to_string());
            }
            http_get(SocketAddr::new(host, port), h.path.as_deref().unwrap_or("/")).await
        } else if let Some(s) = &p.tcp_socket {
            let port = port(&s.port, c)?;
            tokio::net::TcpStream::connect((t.pod_ip, port)).await.map(drop).map_err(|e| format!("dial tcp {}:{port}: {e}", t.pod_ip))
        } else if let Some(e) = &p.exec {
            crate::exec::probe(t.pid, t.exec, e.command.as_deref().unwrap_or_default()).await
        } else {
            Err("no handler (httpGet, tcpSocket or exec) in the probe".to_string())
        }
    };
    tokio::time::timeout(timeout, run).await.unwrap_or_else(|_| Err(format!("timed out after {timeout:?}")))
}

/// A probe's port: a number, or the name of one of the container's ports.
fn port(p: &IntOrString, c: &Container) -> Result<u16, String> {
    match p {
        IntOrString::Int(n) => u16::try_from(*n).map_err(|_| format!("bad port {n}")),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|cp| cp.name.as_deref() == Some(name))
            .and_then(|cp| u16::try_from(cp.container_port).ok())
            .ok_or_else(|| format!("no container port named {name}")),
    }
}

/// GET `path` over HTTP/1.1; a status in 200..400 passes, as the kubelet's.
async fn http_get(addr: SocketAddr, path: &str) -> Result<(), String> {
    let mut s = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("Get http://{addr}{path}: {e}"))?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: kube-probe/1.20\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.map_err(|e| format!("Get http://{addr}{path}: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = s.read(&mut buf).await.map_err(|e| format!("Get http://{addr}{path}: {e}"))?;
        if n == 0 || head.len() > 4096 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let code = status_code(&head).ok_or_else(|| format!("Get http://{addr}{path}: malformed response"))?;
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!("HTTP probe failed with statuscode: {code}"))
    }
}

/// The status code of an HTTP/1.x status line.
fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split(' ');
    words.next().filter(|v| v.starts_with("HTTP/1."))?;
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(success: u32, failure: u32) -> Timing {
        Timing { initial_delay: Duration::ZERO, period: Duration::from_secs(1), timeout: Duration::from_secs(1), success, failure }
    }

    #[test]
    fn defaults_of_the_api() {
        let t = Timing::of(&Probe::default());
        assert_eq!(
            t,
            Timing { initial_delay: Duration::ZERO, period: Duration::from_secs(10), timeout: Duration::from_secs(1), success: 1, failure: 3 }
        );
    }

    #[test]
    fn thresholds() {
        let mut v = Verdict::new(timing(2, 3));
        assert_eq!(v.record(true), None, "one success of two");
        assert_eq!(v.record(true), Some(true));
        assert_eq!(v.record(false), Some(true));
        assert_eq!(v.record(false), Some(true));
        assert_eq!(v.record(true), Some(true), "a success breaks the failure run");
        assert_eq!(v.record(false), Some(true));
        assert_eq!(v.record(false), Some(true));
        assert_eq!(v.record(false), Some(false), "three in a row");
        assert_eq!(v.record(true), Some(false), "one success of two");
        assert_eq!(v.record(true), Some(true));
    }

    #[test]
    fn status_lines() {
        assert_eq!(status_code(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(status_code(b"HTTP/1.0 503 Service Unavailable\r\nx"), Some(503));
        assert_eq!(status_code(b"SSH-2.0\r\n"), None);
    }

    #[tokio::test]
    async fn http_get_against_a_listener() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            for code in ["200 OK", "503 Service Unavailable"] {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(format!("HTTP/1.1 {code}\r\ncontent-length: 0\r\n\r\n").as_bytes()).await.unwrap();
            }
        });
        assert_eq!(http_get(addr, "/readyz").await, Ok(()));
        assert_eq!(http_get(addr, "/readyz").await, Err("HTTP probe failed with statuscode: 503".into()));
        server.await.unwrap();
    }
}
