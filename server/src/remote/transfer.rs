//! The client side of zone transfers: SOA queries and AXFR/IXFR in
//! (RFC 5936 §2.2, RFC 1995 §4).
//!
//! Owns: sending the request, reading the TCP message stream into one reused
//! 64 KiB buffer, checking each message (TSIG, ID, QR, RCODE) and handing its
//! answer records, decompressed into a reused scratch buffer, to
//! [`Receiver`](crate::xfr::receive::Receiver), which classifies them (up to
//! date, incremental or full), stores them compactly and enforces the zone's
//! size limits. Applying the result is the caller's job.
//! Must not: touch the zone set, or keep a message or a record beyond the
//! one being read.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{build_query, Auth, Endpoint, XfrError};
use crate::wire::request::{self, Parsed, Request};
use crate::wire::rr::{read_rr_into, read_sections, WireRr};
use crate::wire::{flags, rcode, rtype, WireError};
use crate::zone::build::soa_fields;
use crate::zone::limits::ZoneLimits;

use crate::xfr::receive::Receiver;
pub use crate::xfr::receive::Transfer;

/// Counters for the BIND-style "Transfer completed" line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Messages received.
    pub messages: usize,
    /// Records received.
    pub records: usize,
    /// Octets received.
    pub bytes: usize,
    /// Wall time.
    pub secs: f64,
}

/// Serial of an SOA record.
pub fn soa_serial(rr: &WireRr) -> u32 {
    soa_fields(&rr.rdata).map(|(s, _)| s).unwrap_or(0)
}

fn rcode_name(r: u16) -> &'static str {
    rcode::name(r).unwrap_or("an error")
}

/// Checks a response header (ID, QR, RCODE) and returns the parsed message.
fn check_header(msg: &[u8], id: u16) -> Result<Request<'_>, XfrError> {
    let r = match request::parse(msg) {
        Parsed::Ok(r) => r,
        Parsed::FormErr(_, e) => return Err(e.into()),
        Parsed::Drop => return Err(WireError::Truncated.into()),
    };
    if r.id != id || r.flags & flags::QR == 0 {
        return Err(XfrError::Protocol("answer does not match the query".into()));
    }
    let rc = r.flags & 0xF;
    if rc != rcode::NOERROR {
        return Err(XfrError::Rcode(rcode_name(rc)));
    }
    Ok(r)
}

/// Checks a response header and returns its records.
fn check_response(msg: &[u8], id: u16) -> Result<Vec<(u8, WireRr)>, XfrError> {
    let r = check_header(msg, id)?;
    Ok(read_sections(msg, r.answer_at, r.counts)?)
}

/// Asks `primary` for the zone's SOA over UDP (TCP when truncated).
pub async fn query_soa(primary: impl Into<Endpoint>, zone: &[u8], mut auth: Option<Box<dyn Auth>>, timeout: Duration) -> Result<WireRr, XfrError> {
    let primary: Endpoint = primary.into();
    let (id, mut q) = build_query(zone, rtype::SOA, 0, None);
    if let Some(a) = auth.as_mut() {
        a.sign(&mut q);
    }
    let sock = primary.udp().await?;
    let mut buf = vec![0u8; 65535];
    let deadline = Instant::now() + timeout;
    let mut attempt = 0;
    let n = loop {
        sock.send(&q).await?;
        attempt += 1;
        let wait = (timeout / 3).max(Duration::from_millis(200));
        match tokio::time::timeout(wait.min(deadline.saturating_duration_since(Instant::now())), sock.recv(&mut buf)).await {
            Ok(Ok(n)) if n >= 2 && buf[..2] == id.to_be_bytes() => break n,
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) if attempt < 3 && Instant::now() < deadline => continue,
            Err(_) => return Err(XfrError::Timeout),
        }
    };
    let msg = &buf[..n];
    if msg.len() > 3 && u16::from_be_bytes([msg[2], msg[3]]) & flags::TC != 0 {
        let mut out = None;
        tcp_exchange(primary, &q, id, auth.as_deref_mut(), timeout, |rrs, _| {
            out = rrs.into_iter().find(|(s, r)| *s == 1 && r.rtype == rtype::SOA).map(|(_, r)| r);
            Ok(false)
        })
        .await?;
        return out.ok_or_else(|| XfrError::Protocol("no SOA in the answer".into()));
    }
    if let Some(a) = auth.as_mut() {
        a.verify(msg).map_err(XfrError::Tsig)?;
    }
    let rrs = check_response(msg, id)?;
    rrs.into_iter()
        .find(|(s, r)| *s == 1 && r.rtype == rtype::SOA && r.owner == zone)
        .map(|(_, r)| r)
        .ok_or_else(|| XfrError::Protocol("no SOA in the answer".into()))
}

/// Sends `q` over TCP and feeds every answer message's records to `each`
/// until it returns `Ok(false)`.
async fn tcp_exchange(
    primary: Endpoint,
    q: &[u8],
    id: u16,
    auth: Option<&mut (dyn Auth + 'static)>,
    timeout: Duration,
    mut each: impl FnMut(Vec<(u8, WireRr)>, usize) -> Result<bool, XfrError>,
) -> Result<Stats, XfrError> {
    let mut n = 0;
    tcp_stream(primary, q, id, auth, timeout, |msg, r| {
        n += 1;
        let answers = read_sections(msg, r.answer_at, r.counts)?.into_iter().filter(|(s, _)| *s == 1).collect();
        each(answers, n)
    })
    .await
}

/// Sends `q` over TCP and hands every answer message, checked (TSIG, ID,
/// QR, RCODE) and parsed, to `each` until it returns `Ok(false)`. One
/// 64 KiB buffer is reused for every message.
async fn tcp_stream(
    primary: Endpoint,
    q: &[u8],
    id: u16,
    mut auth: Option<&mut (dyn Auth + 'static)>,
    timeout: Duration,
    mut each: impl FnMut(&[u8], &Request<'_>) -> Result<bool, XfrError>,
) -> Result<Stats, XfrError> {
    let started = Instant::now();
    let io = async {
        let mut s = primary.tcp().await?;
        s.set_nodelay(true)?;
        let mut framed = Vec::with_capacity(q.len() + 2);
        framed.extend_from_slice(&(q.len() as u16).to_be_bytes());
        framed.extend_from_slice(q);
        s.write_all(&framed).await?;
        let mut stats = Stats::default();
        let mut buf = vec![0u8; 65535];
        loop {
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await?;
            let n = u16::from_be_bytes(len) as usize;
            s.read_exact(&mut buf[..n]).await?;
            let msg = &buf[..n];
            stats.messages += 1;
            stats.bytes += n + 2;
            if let Some(a) = auth.as_deref_mut() {
                a.verify(msg).map_err(XfrError::Tsig)?;
            }
            let r = check_header(msg, id)?;
            stats.records += r.counts[1] as usize;
            if !each(msg, &r)? {
                break;
            }
        }
        if let Some(a) = auth.as_deref_mut() {
            a.finish().map_err(XfrError::Tsig)?;
        }
        stats.secs = started.elapsed().as_secs_f64();
        Ok::<Stats, XfrError>(stats)
    };
    tokio::time::timeout(timeout, io).await.map_err(|_| XfrError::Timeout)?
}

/// Transfers `zone` from `primary`: IXFR from `current` (our SOA) when given,
/// else AXFR (RFC 5936). Out-of-zone and non-IN records are ignored (A8).
/// The answer is classified and stored as it arrives ([`Receiver`]); one
/// over `limits` aborts the transfer at the record that crossed it.
pub async fn transfer(
    primary: impl Into<Endpoint>,
    zone: &[u8],
    current: Option<&WireRr>,
    limits: ZoneLimits,
    mut auth: Option<Box<dyn Auth>>,
    timeout: Duration,
) -> Result<(Transfer, Stats), XfrError> {
    let primary: Endpoint = primary.into();
    let qtype = if current.is_some() { rtype::IXFR } else { rtype::AXFR };
    let (id, mut q) = build_query(zone, qtype, 0, current);
    if let Some(a) = auth.as_mut() {
        a.sign(&mut q);
    }
    let mut rx = Receiver::new(zone, current.map(soa_serial), limits);
    let mut scratch = Vec::with_capacity(512);
    let stats = tcp_stream(primary, &q, id, auth.as_deref_mut(), timeout, |msg, r| {
        let mut pos = r.answer_at;
        for _ in 0..r.counts[1] {
            let (head, next) = read_rr_into(msg, pos, &mut scratch)?;
            pos = next;
            rx.push(&head, &scratch)?;
        }
        rx.end_of_message();
        Ok(!rx.is_done())
    })
    .await?;
    tracing::debug!(zone = %crate::wire::name::DisplayName(zone), records = rx.len(), held = rx.heap_bytes(), received = stats.bytes,
        "transfer received: {} records held in {} octets ({} octets on the wire)", rx.len(), rx.heap_bytes(), stats.bytes);
    rx.finish().map(|t| (t, stats)).map_err(Into::into)
}
