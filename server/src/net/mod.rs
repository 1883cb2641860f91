//! Network transports: UDP workers and DNS over TCP.
//!
//! Owns: sockets, framing and the tasks/threads that move bytes between the
//! network and [`crate::query::Handler`]. UDP is a fixed set of blocking worker
//! threads, one `SO_REUSEPORT` socket each, with batched `recvmmsg`/`sendmmsg`
//! and buffers allocated once ([`udp`]). TCP follows RFC 7766: a tokio task per
//! connection under a connection cap, length framing, pipelining and idle
//! timeouts ([`tcp`]). Both stop on one `CancellationToken`.
//! Must not: interpret DNS beyond framing. The only DNS it reads is the
//! question and RCODE for the optional query log ([`log_query`]) and the
//! response header and question for the counters ([`crate::metrics`]).
//!
//! ```text
//!   bind() ──► Listeners { udp: N sockets per address, tcp: 1 listener per address }
//!                 │                              │
//!     udp::spawn_workers (std threads)     tcp::TcpServer::serve (tokio)
//!       recvmmsg ─► Handler::handle ─►       accept ─► task per connection
//!       sendmmsg (source = query's dst)        read len+msg ─► Handler::handle_tcp ─► write
//! ```

#[allow(unsafe_code)]
pub mod handoff;
#[allow(unsafe_code)]
pub mod pktinfo;
pub mod supervise;
pub mod tcp;
#[allow(unsafe_code)]
pub mod udp;

use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::query::{Handler, Transport};
use crate::wire::{self, name, rtype};

/// The request handler shared by every worker and connection. Swapped whole
/// when settings change on reload; readers never block.
pub type SharedHandler = Arc<ArcSwap<Handler>>;

/// Wraps a handler for sharing.
pub fn shared(handler: Handler) -> SharedHandler {
    Arc::new(ArcSwap::from_pointee(handler))
}

/// Why the transports could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Creating, configuring or binding a socket failed.
    #[error("cannot listen on {proto} {addr}: {error}")]
    Bind {
        /// The listen address.
        addr: SocketAddr,
        /// "udp" or "tcp".
        proto: &'static str,
        /// The OS error (in the message, not a `source`, so chains print it once).
        error: std::io::Error,
    },
    /// A worker thread could not be started.
    #[error("cannot start UDP worker thread: {0}")]
    Thread(std::io::Error),
}

/// Bound sockets, before any worker runs.
#[derive(Debug)]
pub struct Listeners {
    /// The actual addresses (with the port chosen by the OS when 0 was asked for).
    pub addrs: Vec<SocketAddr>,
    /// For each address, its UDP worker sockets.
    pub udp: Vec<Vec<socket2::Socket>>,
    /// For each address, its TCP listener (non-blocking).
    pub tcp: Vec<std::net::TcpListener>,
}

/// How often binding retries when port 0 was asked for and the port the OS
/// chose for UDP is taken for TCP.
const PORT_RETRIES: usize = 16;

/// Binds UDP (`udp_workers` sockets) and TCP on every address. With port 0, one
/// free port is chosen and used for both UDP and TCP.
pub fn bind(listen: &[SocketAddr], udp_workers: usize) -> Result<Listeners, NetError> {
    let mut out = Listeners { addrs: Vec::new(), udp: Vec::new(), tcp: Vec::new() };
    for &addr in listen {
        let mut attempt = 0;
        let (actual, udp, tcp) = loop {
            attempt += 1;
            let udp = udp::bind(addr, udp_workers).map_err(|error| NetError::Bind { addr, proto: "udp", error })?;
            let actual = udp[0].local_addr().ok().and_then(|a| a.as_socket()).ok_or_else(|| NetError::Bind {
                addr,
                proto: "udp",
                error: std::io::Error::other("no local address"),
            })?;
            match tcp::bind(actual) {
                Ok(t) => break (actual, udp, t),
                Err(e) if addr.port() == 0 && attempt < PORT_RETRIES && e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(error) => return Err(NetError::Bind { addr: actual, proto: "tcp", error }),
            }
        };
        out.addrs.push(actual);
        out.udp.push(udp);
        out.tcp.push(tcp);
    }
    Ok(out)
}

/// Target of the per-query log lines (enabled at debug by `query_log = true`).
pub const QUERY_LOG_TARGET: &str = "ironbind::query_log";

/// Logs one query and its answer at debug level (`query_log = true`). Parses
/// only what it prints; formatting allocates, which is why this is opt-in.
pub fn log_query(transport: Transport, peer: SocketAddr, req: &[u8], resp: Option<&[u8]>) {
    let proto = match transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
    };
    let mut qname = name::NameBuf::default();
    let (qn, qtype) = match name::read_name(req, 12, &mut qname) {
        Ok(end) if wire::get_u16(req, 4).unwrap_or(0) > 0 => (Some(qname), wire::get_u16(req, end).ok()),
        _ => (None, None),
    };
    let rcode = resp.and_then(|r| r.get(3)).map(|b| b & 0x0f);
    tracing::debug!(
        target: QUERY_LOG_TARGET,
        remote = %peer,
        proto,
        qname = %qn.as_ref().map(|n| name::DisplayName(n.as_wire()).to_string()).unwrap_or_default(),
        qtype = %qtype.map(|t| rtype::TypeName(t).to_string()).unwrap_or_default(),
        rcode = rcode.map(i64::from).unwrap_or(-1),
        len = resp.map(<[u8]>::len).unwrap_or(0),
        "query"
    );
}
