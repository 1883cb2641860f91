//! The operator's own HTTP endpoint on `--metrics-addr`: `GET /metrics` (the
//! registry of [`crate::metrics`] in the Prometheus text format), `GET /healthz`
//! (200 while the process's loops beat) and `GET /readyz` (200 once the API
//! server has answered at least once). Standby replicas serve all three.
//!
//! Hand-written on a tokio `TcpListener`: one request per connection
//! (`Connection: close`), the request head capped at [`MAX_HEAD`] bytes (431
//! beyond), read within [`READ_TIMEOUT`], at most [`MAX_CONNECTIONS`] at once
//! (more are closed at accept).
//!
//! Owns: the listener, request parsing ([`parse_head`], pure) and routing
//! ([`route`], pure), and [`Health`], what the probes report. Must not: decide
//! leadership or touch the API server (the election loop reports to
//! [`Health`]), or render metrics itself.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Largest request head (request line and headers) read; a longer one gets 431.
pub const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its whole request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; the next ones are closed as soon as accepted.
pub const MAX_CONNECTIONS: usize = 64;
/// After an error response, how long (and how much) the rest of the request is
/// read and dropped, so that the client sees the response rather than a reset.
const DRAIN: (Duration, usize) = (Duration::from_secs(1), 64 * 1024);

/// What the probes report: whether the process's loops still beat, and
/// whether the API server has been reached.
#[derive(Debug)]
pub struct Health {
    start: Instant,
    /// Milliseconds after `start` of the last beat.
    beat_ms: AtomicU64,
    api_reached: AtomicBool,
    stale_after: Duration,
}

impl Health {
    /// Healthy while a beat is at most `stale_after` old (one beats at creation).
    pub fn new(stale_after: Duration) -> Health {
        Health { start: Instant::now(), beat_ms: AtomicU64::new(0), api_reached: AtomicBool::new(false), stale_after }
    }

    /// A loop of the process went round once.
    pub fn beat(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.beat_ms.store(ms, Ordering::Relaxed);
    }

    /// The API server answered (anything, an error status included).
    pub fn api_reached(&self) {
        self.api_reached.store(true, Ordering::Relaxed);
    }

    /// `/healthz`: the last beat is recent enough.
    pub fn live(&self) -> bool {
        let last = Duration::from_millis(self.beat_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last) <= self.stale_after
    }

    /// `/readyz`: the API server has been reached at least once.
    pub fn ready(&self) -> bool {
        self.api_reached.load(Ordering::Relaxed)
    }
}

/// A request head, as far as routing needs it.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (case-sensitive, as HTTP methods are).
    pub method: String,
    /// The path, without the query string.
    pub path: String,
}

/// Why a request head is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// No end of head within [`MAX_HEAD`] bytes (431).
    #[error("request head longer than {MAX_HEAD} bytes")]
    TooLarge,
    /// Not `METHOD SP TARGET SP HTTP/1.x` (400).
    #[error("malformed request line")]
    Malformed,
}

/// Parses the request head at the start of `buf`: `Ok(None)` while it is
/// incomplete (no empty line yet) and shorter than [`MAX_HEAD`].
pub fn parse_head(buf: &[u8]) -> Result<Option<Request>, HeadError> {
    let Some(end) = head_end(buf) else {
        return if buf.len() >= MAX_HEAD { Err(HeadError::TooLarge) } else { Ok(None) };
    };
    if end > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| HeadError::Malformed)?;
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(HeadError::Malformed);
    };
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    if !token(method) || !target.starts_with('/') || !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(HeadError::Malformed);
    }
    let path = target.split(['?', '#']).next().unwrap_or(target);
    Ok(Some(Request { method: method.to_string(), path: path.to_string() }))
}

/// The length of the head including its terminating empty line (CRLF CRLF, or LF LF).
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A response: status, content type, body.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Response {
    fn text(status: u16, body: &str) -> Response {
        Response { status, content_type: "text/plain; charset=utf-8", body: format!("{body}\n") }
    }

    /// The response as bytes on the wire (`head_only`: for HEAD, no body).
    pub fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "",
        };
        let allow = if self.status == 405 { "Allow: GET, HEAD\r\n" } else { "" };
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
            self.status,
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        if !head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
        out
    }
}

/// What `req` gets: the three paths for GET (and HEAD), 405 for other methods, 404 elsewhere.
pub fn route(req: &Request, health: &Health) -> Response {
    let known = matches!(req.path.as_str(), "/metrics" | "/healthz" | "/readyz");
    if !known {
        return Response::text(404, "not found");
    }
    if req.method != "GET" && req.method != "HEAD" {
        return Response::text(405, "method not allowed");
    }
    match req.path.as_str() {
        "/metrics" => Response { status: 200, content_type: "text/plain; version=0.0.4; charset=utf-8", body: crate::metrics::global().render() },
        "/healthz" if health.live() => Response::text(200, "ok"),
        "/healthz" => Response::text(503, "stalled"),
        _ if health.ready() => Response::text(200, "ok"),
        _ => Response::text(503, "API server not reached yet"),
    }
}

/// Serves `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, health: Arc<Health>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and the like: wait instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%remote, "too many connections: closed");
            continue;
        };
        let health = health.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, &health).await {
                tracing::debug!(%remote, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
}

/// One connection: one request head read within [`READ_TIMEOUT`], one response, closed.
async fn connection(mut stream: TcpStream, health: &Health) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        let mut chunk = [0u8; 1024];
        loop {
            match parse_head(&buf) {
                Ok(None) => {}
                Ok(Some(req)) => return Ok(Ok(req)),
                Err(e) => return Ok(Err(e)),
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await;
    let (resp, head_only, drain) = match read {
        Err(_) => (Response::text(408, "request timeout"), false, false),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(Err(HeadError::TooLarge))) => (Response::text(431, "request header fields too large"), false, true),
        Ok(Ok(Err(HeadError::Malformed))) => (Response::text(400, "bad request"), false, true),
        Ok(Ok(Ok(req))) => (route(&req, health), req.method == "HEAD", false),
    };
    stream.write_all(&resp.to_bytes(head_only)).await?;
    stream.shutdown().await?;
    if drain {
        // What the client still sends is read and dropped, so that closing
        // with unread data does not reset the connection before it reads the answer.
        let _ = tokio::time::timeout(DRAIN.0, async {
            let mut chunk = [0u8; 4096];
            let mut left = DRAIN.1;
            while left > 0 {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        })
        .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> Request {
        Request { method: method.into(), path: path.into() }
    }

    #[test]
    fn a_complete_head_is_parsed() {
        let r = parse_head(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(r, Some(req("GET", "/metrics")));
        let r = parse_head(b"GET /healthz?verbose=1 HTTP/1.0\n\n").unwrap();
        assert_eq!(r, Some(req("GET", "/healthz")), "LF line ends and a query string");
        let r = parse_head(b"DELETE /readyz HTTP/1.1\r\n\r\nbody").unwrap();
        assert_eq!(r, Some(req("DELETE", "/readyz")), "what follows the head is not read");
    }

    #[test]
    fn an_incomplete_head_asks_for_more() {
        assert_eq!(parse_head(b""), Ok(None));
        assert_eq!(parse_head(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(parse_head(b"GET /metrics HTTP/1.1\r\n\r"), Ok(None));
    }

    #[test]
    fn a_head_past_the_cap_is_too_large() {
        let mut long = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        long.resize(MAX_HEAD, b'a');
        assert_eq!(parse_head(&long), Err(HeadError::TooLarge), "no end within the cap");
        long.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_head(&long), Err(HeadError::TooLarge), "an end past the cap");
        let mut fits = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        fits.resize(MAX_HEAD - 4, b'a');
        fits.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_head(&fits), Ok(Some(req("GET", "/"))), "exactly the cap");
    }

    #[test]
    fn malformed_request_lines_are_refused() {
        for bad in [
            &b"GET /metrics\r\n\r\n"[..],
            b"GET  /metrics HTTP/1.1\r\n\r\n",
            b"GET metrics HTTP/1.1\r\n\r\n",
            b"GET /metrics HTTP/2\r\n\r\n",
            b"GET /metrics HTTP/1.1 extra\r\n\r\n",
            b"G3T /metrics HTTP/1.1\r\n\r\n",
            b"\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(parse_head(bad), Err(HeadError::Malformed), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn routes() {
        let h = Health::new(Duration::from_secs(60));
        assert_eq!(route(&req("GET", "/healthz"), &h).status, 200);
        assert_eq!(route(&req("GET", "/readyz"), &h).status, 503, "the API server not reached yet");
        h.api_reached();
        assert_eq!(route(&req("GET", "/readyz"), &h).status, 200);
        let m = route(&req("GET", "/metrics"), &h);
        assert_eq!((m.status, m.content_type), (200, "text/plain; version=0.0.4; charset=utf-8"));
        assert!(m.body.contains("ironbind_operator_leader "), "{}", m.body);
        assert_eq!(route(&req("HEAD", "/metrics"), &h).status, 200);
        assert_eq!(route(&req("POST", "/metrics"), &h).status, 405);
        assert_eq!(route(&req("GET", "/"), &h).status, 404);
        assert_eq!(route(&req("POST", "/nope"), &h).status, 404);
    }

    #[test]
    fn a_stale_beat_fails_healthz() {
        let h = Health::new(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(route(&req("GET", "/healthz"), &h).status, 503);
        let h = Health::new(Duration::from_secs(60));
        assert!(h.live());
    }

    #[test]
    fn responses_close_and_count_their_body() {
        let r = Response::text(405, "method not allowed");
        let wire = String::from_utf8(r.to_bytes(false)).unwrap();
        assert!(wire.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{wire}");
        assert!(wire.contains("Content-Length: 19\r\n"), "{wire}");
        assert!(wire.contains("Allow: GET, HEAD\r\n"), "{wire}");
        assert!(wire.contains("Connection: close\r\n\r\nmethod not allowed\n"), "{wire}");
        let head = String::from_utf8(Response::text(200, "ok").to_bytes(true)).unwrap();
        assert!(head.ends_with("Content-Length: 3\r\nConnection: close\r\n\r\n"), "{head}");
    }
}
