//! NOTIFY out on the wire (RFC 1996 §3): one message to one target over
//! UDP, retried until it is answered.
//!
//! Owns: building the NOTIFY (SOA question, AA, the SOA as answer hint) and
//! matching its response. Must not: choose targets or schedule retries
//! across changes ([`crate::lifecycle::notify`] does).

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use super::{build_query, Auth, Endpoint, XfrError};
use crate::wire::rr::WireRr;
use crate::wire::{class, flags, rtype};

/// Sends a NOTIFY for `zone` (with `soa` as the answer hint, RFC 1996 §3.7) to
/// `target` over UDP, retrying until a matching response arrives. Returns the
/// response RCODE; NOTIMP ends the exchange too (RFC 1996 §3.12).
pub async fn notify(
    target: impl Into<Endpoint>,
    zone: &[u8],
    soa: Option<&WireRr>,
    mut auth: Option<Box<dyn Auth>>,
    tries: u32,
    interval: Duration,
) -> Result<u16, XfrError> {
    let (id, mut q) = build_query(zone, rtype::SOA, crate::wire::opcode::NOTIFY, None);
    q[2] |= (flags::AA >> 8) as u8;
    if let Some(soa) = soa {
        q[7] = 1; // ANCOUNT
        q.extend_from_slice(zone);
        q.extend_from_slice(&rtype::SOA.to_be_bytes());
        q.extend_from_slice(&class::IN.to_be_bytes());
        q.extend_from_slice(&soa.ttl.to_be_bytes());
        q.extend_from_slice(&(soa.rdata.len() as u16).to_be_bytes());
        q.extend_from_slice(&soa.rdata);
    }
    if let Some(a) = auth.as_mut() {
        a.sign(&mut q);
    }
    let sock = target.into().udp().await?;
    let mut buf = vec![0u8; 4096];
    for _ in 0..tries.max(1) {
        sock.send(&q).await?;
        let deadline = Instant::now() + interval;
        while let Ok(r) = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), sock.recv(&mut buf)).await {
            let Ok(n) = r else { break };
            if n >= 4 && buf[..2] == id.to_be_bytes() && buf[2] & 0x80 != 0 {
                if let Some(a) = auth.as_mut() {
                    a.verify(&buf[..n]).map_err(XfrError::Tsig)?;
                }
                return Ok((buf[3] & 0xF) as u16);
            }
        }
    }
    Err(XfrError::Timeout)
}
