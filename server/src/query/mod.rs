//! The transport-agnostic request layer: request bytes in, response message(s) out.
//!
//! Owns: opcode dispatch, access control (`allowQuery`), EDNS(0) negotiation
//! (NSID, EXPIRE, DNS cookies: [`cookie`]), CHAOS identity answers, running
//! the zone lookup into the response writer, and response rate limiting of
//! UDP answers ([`rrl`]).
//! UPDATE (RFC 2136, [`update`]) is the one request answered asynchronously:
//! transports check [`Handler::is_update`] and await [`Handler::update`].
//! Must not: touch sockets. `net` frames bytes and calls [`Handler::handle`]
//! (one message) or [`Handler::handle_tcp`] (which may produce a stream of
//! messages, as zone transfers do).

mod answer;
mod chaos;
pub mod cookie;
mod expire;
mod handler;
pub mod rrl;
mod signed;
mod transfer;
pub mod update;

pub use crate::acl::{Acl, Prefix};
pub use crate::wire::MessageStream;
pub use handler::Handler;

use std::net::SocketAddr;

use crate::wire::request::Request;

/// The transport a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: answers are capped at the negotiated payload size and truncated with TC=1.
    Udp,
    /// TCP (RFC 7766): answers up to 65535 octets; transfers allowed.
    Tcp,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy)]
pub struct RequestCtx {
    /// The client's address.
    pub peer: SocketAddr,
    /// The transport.
    pub transport: Transport,
}

/// Settings of the request layer, fixed for the life of a [`Handler`].
#[derive(Debug, Clone)]
pub struct QueryConfig {
    /// Clients allowed to query; others get REFUSED. Empty means everyone.
    pub allow_query: Acl,
    /// Largest UDP response we send, whatever the client offers (default 1232,
    /// DNS Flag Day 2020). Clamped to 512..=65535.
    pub udp_max_payload: u16,
    /// Answer for `version.bind`/`version.server` CH TXT; `None` refuses it.
    pub chaos_version: Option<String>,
    /// Answer for `id.server`/`hostname.bind` CH TXT; `None` refuses it.
    pub chaos_id: Option<String>,
    /// NSID (RFC 5001) sent to clients that ask; `None` sends none.
    pub nsid: Option<Vec<u8>>,
    /// DNS cookies (RFC 7873, RFC 9018).
    pub cookies: cookie::CookieSettings,
    /// Response rate limiting over UDP; `None` limits nothing.
    pub rrl: Option<rrl::RrlSettings>,
}

impl Default for QueryConfig {
    fn default() -> Self {
        Self {
            allow_query: Acl::default(),
            udp_max_payload: 1232,
            chaos_version: None,
            chaos_id: None,
            nsid: None,
            cookies: cookie::CookieSettings::default(),
            rrl: None,
        }
    }
}

/// Smallest buffer a caller must pass to [`Handler::handle`]: a TCP message can be
/// 65535 octets.
pub const MAX_MESSAGE: usize = 65535;

/// What to send back for a request over TCP.
pub enum TcpResponse {
    /// Nothing (the request was a response, or unreadable).
    Drop,
    /// One message of this length, already in the output buffer.
    Single(usize),
    /// Several messages, produced on demand.
    Stream(Box<dyn MessageStream>),
}

#[cfg(test)]
mod tests;

/// The request read from `req` (header, then the rest in place) and whether
/// it is malformed (FORMERR), or `None` for what gets no answer at all
/// (shorter than a header, or a response: RFC 8906 rationale, never answer
/// responses).
#[inline]
pub(crate) fn parse_request(req: &[u8]) -> Option<(Request<'_>, bool)> {
    let mut r = Request::header(req)?;
    let malformed = read_rest(&mut r)?;
    Some((r, malformed))
}

/// Reads the rest of the request whose header `r` holds, in place: whether
/// it is malformed (FORMERR), or `None` for a response, which gets no answer.
#[inline]
pub(crate) fn read_rest(r: &mut Request<'_>) -> Option<bool> {
    if r.is_response() {
        return None;
    }
    Some(r.parse_rest().is_err())
}
