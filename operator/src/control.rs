//! A client of one pod's control API (the server's HTTP API on the pod IP,
//! port 8053, bearer token from the instance's Secret): HTTP/1.1, one request
//! per connection, bounded in time and size, since a pod is just another
//! peer on the network.
//!
//! Owns: the request, the response parsing (Content-Length, chunked, or to
//! EOF) and the zone list's shape. Must not: decide what a pod should serve.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest a whole request may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response accepted.
const MAX_RESPONSE: usize = 64 << 20;

/// Why a control-API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// Connecting, writing or reading failed.
    #[error("control API at {0}: {1}")]
    Io(SocketAddr, std::io::Error),
    /// No answer in time.
    #[error("control API at {0}: no answer within {TIMEOUT:?}")]
    Timeout(SocketAddr),
    /// The answer was not HTTP as expected, or too large.
    #[error("control API at {0}: bad response: {1}")]
    Malformed(SocketAddr, &'static str),
    /// The server answered with an error status.
    #[error("control API at {0}: HTTP {1}: {2}")]
    Status(SocketAddr, u16, String),
}

/// One pod's control API.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Pod IP and control port.
    pub addr: SocketAddr,
    /// The bearer token.
    pub token: String,
}

/// One zone as a server reports it (`GET /v1/zones`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ZoneState {
    /// Apex, as the server writes it.
    pub name: String,
    /// `primary` or `secondary`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it answers for it.
    pub served: bool,
    /// SOA serial served.
    pub serial: Option<u32>,
    /// Hash of the zone's content.
    pub content_hash: Option<String>,
    /// Records served.
    pub record_count: Option<usize>,
}

#[derive(Deserialize)]
struct ZoneList {
    zones: Vec<ZoneState>,
}

impl Endpoint {
    /// `GET /v1/zones`: what the server holds.
    pub async fn zones(&self) -> Result<Vec<ZoneState>, ControlError> {
        let body = self.call("GET", "/v1/zones", None).await?;
        let list: ZoneList = serde_json::from_slice(&body).map_err(|_| ControlError::Malformed(self.addr, "zone list is not the expected JSON"))?;
        Ok(list.zones)
    }

    /// One request; the body of a 2xx answer, or why not.
    pub async fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Vec<u8>, ControlError> {
        let addr = self.addr;
        let fut = async {
            let mut s = TcpStream::connect(addr).await.map_err(|e| ControlError::Io(addr, e))?;
            let body = body.unwrap_or_default();
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                self.token,
                body.len()
            );
            s.write_all(head.as_bytes()).await.map_err(|e| ControlError::Io(addr, e))?;
            s.write_all(body).await.map_err(|e| ControlError::Io(addr, e))?;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 16 << 10];
            loop {
                let n = s.read(&mut chunk).await.map_err(|e| ControlError::Io(addr, e))?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_RESPONSE {
                    return Err(ControlError::Malformed(addr, "response too large"));
                }
            }
            let (status, body) = parse_response(&buf).map_err(|m| ControlError::Malformed(addr, m))?;
            if !(200..300).contains(&status) {
                let text = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
                return Err(ControlError::Status(addr, status, text));
            }
            Ok(body)
        };
        tokio::time::timeout(TIMEOUT, fut).await.map_err(|_| ControlError::Timeout(addr))?
    }
}

/// Status code and body of a whole HTTP/1.1 response read to EOF.
pub fn parse_response(buf: &[u8]) -> Result<(u16, Vec<u8>), &'static str> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of headers")?;
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "headers not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err("not HTTP/1.x");
    }
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).filter(|s| (100..600).contains(s)).ok_or("bad status code")?;
    let mut length = None;
    let mut chunked = false;
    for l in lines {
        let (k, v) = l.split_once(':').ok_or("bad header line")?;
        let v = v.trim();
        if k.eq_ignore_ascii_case("content-length") {
            length = Some(v.parse::<usize>().map_err(|_| "bad Content-Length")?);
        } else if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
    }
    let rest = &buf[end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n).ok_or("body shorter than Content-Length")?.to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").ok_or("bad chunk size line")?;
        let size_text = std::str::from_utf8(&b[..eol]).map_err(|_| "bad chunk size")?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).map_err(|_| "bad chunk size")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("chunk shorter than its size")?);
        b = b.get(size + 2..).ok_or("chunk without its CRLF")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_body() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}extra";
        assert_eq!(parse_response(r).unwrap(), (200, b"{}".to_vec()));
    }

    #[test]
    fn chunked_body() {
        let r = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), (201, b"abcde".to_vec()));
    }

    #[test]
    fn hostile_responses_are_errors() {
        for r in [
            &b"HTTP/1.1 200 OK\r\n"[..],
            b"SMTP 220 hi\r\n\r\n",
            b"HTTP/1.1 999 x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nab",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        ] {
            assert!(parse_response(r).is_err(), "{:?}", String::from_utf8_lossy(r));
        }
    }

    #[test]
    fn the_zone_list_parses() {
        let j = br#"{"zones":[{"name":"example.com.","type":"primary","source":"api","served":true,"serial":7,"contentHash":"ab","recordCount":3,"allowTransfer":[]}]}"#;
        let l: ZoneList = serde_json::from_slice(j).unwrap();
        assert_eq!(l.zones[0].serial, Some(7));
        assert_eq!(l.zones[0].content_hash.as_deref(), Some("ab"));
    }
}
