//! Talking to other servers: the client side of transfers (SOA queries,
//! AXFR/IXFR in) and NOTIFY out, over tokio sockets.
//!
//! Owns: what both exchanges share: where to send from and to
//! ([`Endpoint`]), the request ID and question ([`build_query`]), the TSIG
//! hook ([`Auth`]) and the failure ([`XfrError`]). `transfer` reads
//! transfers in, `notify` sends NOTIFY, `peer` signs with the catalog's
//! keys and words peers and failures as BIND's log lines do.
//! Must not: touch the zone set or decide whom to talk to (the zone's
//! lifecycle does).

#![forbid(unsafe_code)]

pub mod notify;
pub mod peer;
pub mod transfer;

pub use notify::notify;
pub use transfer::{query_soa, soa_serial, transfer, Stats, Transfer};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use crate::catalog::Remote;
use crate::tsig::TsigError;
use crate::wire::rr::WireRr;
use crate::wire::{class, rtype, WireError};
use crate::xfr::receive::ReceiveError;
use crate::zone::limits::LimitExceeded;

/// Why a transfer or SOA query failed; the text is what the log line says.
#[derive(Debug, thiserror::Error)]
pub enum XfrError {
    /// Socket error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// The primary answered with an error RCODE.
    #[error("primary answered {0}")]
    Rcode(&'static str),
    /// The answer could not be parsed.
    #[error("malformed answer: {0}")]
    Wire(#[from] WireError),
    /// The answer parsed but is not a valid transfer.
    #[error("{0}")]
    Protocol(String),
    /// TSIG verification of the answer failed.
    #[error("TSIG: {0}")]
    Tsig(#[from] AuthError),
    /// The zone grew past one of its limits; the transfer was aborted.
    #[error("{0}")]
    Limit(LimitExceeded),
}

impl From<ReceiveError> for XfrError {
    fn from(e: ReceiveError) -> Self {
        match e {
            ReceiveError::Limit(l) => XfrError::Limit(l),
            ReceiveError::Protocol(why) => XfrError::Protocol(why.into()),
        }
    }
}

/// Why an answer does not pass [`Auth`]; the text follows `TSIG: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request was never signed, so no answer can verify.
    #[error("the request could not be signed")]
    Unsigned,
    /// The answer's TSIG does not verify (RFC 8945 §5.3).
    #[error(transparent)]
    Tsig(#[from] TsigError),
}

/// Signs requests and verifies answers of one exchange (TSIG, RFC 8945).
pub trait Auth: Send {
    /// Signs the request in place.
    fn sign(&mut self, msg: &mut Vec<u8>);
    /// Verifies one answer message.
    fn verify(&mut self, msg: &[u8]) -> Result<(), AuthError>;
    /// Checks the stream ended with a signed message.
    fn finish(&mut self) -> Result<(), AuthError>;
}

/// Where to send, and optionally from which local address (BIND's
/// `transfer-source`; checklist T4: per-primary source address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The remote server.
    pub addr: SocketAddr,
    /// The local address to send from; the system picks one when `None`.
    pub source: Option<IpAddr>,
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Self {
        Endpoint { addr, source: None }
    }
}

/// The address outgoing NOTIFY and transfers leave from when an endpoint
/// names none: the server's own listen address when it listens on one
/// specific address (a pod's IP), so peers that allow it by address (a
/// primary's allow-transfer, a secondary's primaries) recognise it even when
/// several servers share one host's network. Unset: the system picks.
static DEFAULT_SOURCE: std::sync::OnceLock<std::sync::Mutex<Option<IpAddr>>> = std::sync::OnceLock::new();

/// Sets (or clears) the default source address; called at start and on reload.
pub fn set_default_source(ip: Option<IpAddr>) {
    *DEFAULT_SOURCE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner()) = ip.filter(|i| !i.is_unspecified());
}

/// An endpoint's own source, else the default when of the remote's family.
fn pick_source(own: Option<IpAddr>, default: Option<IpAddr>, remote: SocketAddr) -> Option<IpAddr> {
    own.or_else(|| default.filter(|d| d.is_ipv4() == remote.is_ipv4()))
}

fn default_source() -> Option<IpAddr> {
    *DEFAULT_SOURCE.get()?.lock().unwrap_or_else(|e| e.into_inner())
}

impl Endpoint {
    /// The source address used: this endpoint's own, else the server's default when of the remote's family.
    fn source_ip(&self) -> Option<IpAddr> {
        pick_source(self.source, default_source(), self.addr)
    }

    fn local(&self) -> SocketAddr {
        let any = if self.addr.is_ipv4() { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V6(Ipv6Addr::UNSPECIFIED) };
        SocketAddr::new(self.source_ip().unwrap_or(any), 0)
    }

    /// A UDP socket bound to the source address and connected to the remote.
    pub(crate) async fn udp(&self) -> std::io::Result<UdpSocket> {
        let sock = UdpSocket::bind(self.local()).await?;
        sock.connect(self.addr).await?;
        Ok(sock)
    }

    /// A TCP connection from the source address to the remote.
    pub(crate) async fn tcp(&self) -> std::io::Result<TcpStream> {
        let Some(_) = self.source_ip() else { return TcpStream::connect(self.addr).await };
        let sock = if self.addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        sock.bind(self.local())?;
        sock.connect(self.addr).await
    }
}

/// Where the transfer client sends to a catalog's remote, and from.
pub fn endpoint(r: &Remote) -> Endpoint {
    Endpoint { addr: r.addr, source: r.source }
}

pub(crate) fn build_query(zone: &[u8], qtype: u16, op: u8, authority_soa: Option<&WireRr>) -> (u16, Vec<u8>) {
    let id: u16 = rand_id();
    let mut m = Vec::with_capacity(64 + zone.len() * 2);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&((op as u16) << 11).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, authority_soa.is_some() as u8, 0, 0]);
    m.extend_from_slice(zone);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&class::IN.to_be_bytes());
    if let Some(soa) = authority_soa {
        m.extend_from_slice(zone);
        m.extend_from_slice(&rtype::SOA.to_be_bytes());
        m.extend_from_slice(&class::IN.to_be_bytes());
        m.extend_from_slice(&soa.ttl.to_be_bytes());
        m.extend_from_slice(&(soa.rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&soa.rdata);
    }
    (id, m)
}

pub(crate) fn rand_id() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    RandomState::new().hash_one(t) as u16
}

#[cfg(test)]
mod source_tests {
    use super::*;

    #[test]
    fn the_default_source_applies_to_its_family_and_yields_to_an_endpoints_own() {
        let v4: SocketAddr = "127.0.0.9:53".parse().unwrap();
        let v6: SocketAddr = "[::1]:53".parse().unwrap();
        let pod: IpAddr = "127.0.61.4".parse().unwrap();
        let own: IpAddr = "127.0.0.3".parse().unwrap();
        assert_eq!(pick_source(None, Some(pod), v4), Some(pod));
        assert_eq!(pick_source(None, Some(pod), v6), None, "an IPv6 peer: the system picks");
        assert_eq!(pick_source(Some(own), Some(pod), v4), Some(own));
        assert_eq!(pick_source(None, None, v4), None);
    }
}
