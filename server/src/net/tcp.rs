//! DNS over TCP (RFC 7766): a tokio task per connection under connection caps.
//!
//! Owns: binding listeners, the accept loops, per-connection framing (2-octet
//! length prefix, RFC 1035 §4.2.2) with pipelining, idle and slow-peer
//! timeouts, the total and per-client connection caps, and draining
//! connections on shutdown. Must not: interpret DNS; it hands each message to
//! [`crate::query::Handler::handle_tcp`] and writes back what that produces,
//! one message or a stream of them (zone transfers); an UPDATE goes to
//! [`crate::query::Handler::update`] and its commit is awaited in the task.
//!
//! Lifecycle of a connection:
//!
//! ```text
//!  accept ─► cap check ──full──► close at once
//!               │ ok
//!               ▼
//!   ┌──► wait for length (idle timeout, or shutdown ─► close)
//!   │           ▼
//!   │    read message (idle timeout) ─► handle_tcp ─► write len‖msg (each message)
//!   └───────────┘
//! ```
//!
//! Requests on one connection are answered in order; clients may pipeline as
//! many as they like (RFC 7766 §6.2.1.1) and the reads are buffered, so
//! several queries in one segment, or one query split over many, both work.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::SharedHandler;
use crate::metrics::{counters, events};
use crate::query::{RequestCtx, TcpResponse, Transport, MAX_MESSAGE};

/// How long in-flight connections may take to finish their current request
/// after shutdown begins, before they are cut.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(5);
/// Read buffer per connection: a few typical queries, so pipelined requests
/// arriving together are taken in one read.
const READ_BUF: usize = 4096;

/// Messages of a stream (a zone transfer) sent with one write, at most.
const STREAM_BATCH: usize = 8;

/// The next messages of `s`, framed (2-octet length, RFC 7766 §8) into
/// `buf`: one, waited for, then as many as are ready and fit. Empty when
/// the stream is done.
fn next_frames(s: &mut dyn crate::wire::MessageStream, buf: &mut [u8]) -> Vec<std::ops::Range<usize>> {
    let mut frames = Vec::with_capacity(STREAM_BATCH);
    let mut pos = 0;
    while pos + 2 + MAX_MESSAGE <= buf.len() {
        let out = &mut buf[pos + 2..pos + 2 + MAX_MESSAGE];
        let n = if frames.is_empty() { s.next_message(out) } else { s.next_ready(out) };
        let Some(n) = n else { break };
        buf[pos..pos + 2].copy_from_slice(&(n as u16).to_be_bytes());
        frames.push(pos..pos + 2 + n);
        pos += 2 + n;
    }
    frames
}

/// TCP limits (from `[tcp]` in the config).
#[derive(Debug, Clone, Copy)]
pub struct TcpOptions {
    /// Close a connection with no complete request for this long; also bounds
    /// the time to receive one request and to write one response.
    pub idle_timeout: Duration,
    /// Connections open at most.
    pub max_connections: usize,
    /// Connections open at most per client: one IPv4 address, or one IPv6
    /// /64 (see [`client_key`]).
    pub max_connections_per_client: u32,
    /// Log each query at debug level.
    pub query_log: bool,
}

/// Binds a non-blocking listener with `SO_REUSEADDR` (IPv6: IPv6-only).
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// The TCP side of the server: shared caps and the set of live connections.
pub struct TcpServer {
    handler: SharedHandler,
    opts: TcpOptions,
    slots: Arc<Semaphore>,
    per_client: Arc<Mutex<HashMap<IpAddr, u32>>>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    /// Fired when the drain deadline passes: cuts connections still open.
    cut: CancellationToken,
}

impl TcpServer {
    /// A server answering with `handler` that stops accepting when `shutdown` fires.
    pub fn new(handler: SharedHandler, opts: TcpOptions, shutdown: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            handler,
            slots: Arc::new(Semaphore::new(opts.max_connections)),
            opts,
            per_client: Arc::default(),
            tracker: TaskTracker::new(),
            shutdown,
            cut: CancellationToken::new(),
        })
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.opts.max_connections - self.slots.available_permits()
    }

    /// Accepts connections on `listener` until shutdown. Must run inside a tokio runtime.
    pub async fn serve(self: Arc<Self>, listener: std::net::TcpListener) -> std::io::Result<()> {
        let listener = TcpListener::from_std(listener)?;
        let local = listener.local_addr()?;
        let mut last_warn: Option<tokio::time::Instant> = None;
        loop {
            let (stream, peer) = tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break,
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        if last_warn.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                            last_warn = Some(tokio::time::Instant::now());
                            tracing::warn!(proto = "tcp", listen = %local, error = %e, "accept failed");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Some((permit, client)) = self.admit(peer.ip()) else {
                tracing::debug!(proto = "tcp", remote = %peer, "connection limit reached; closing");
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let this = self.clone();
            let span = tracing::info_span!("tcp", proto = "tcp", remote = %peer);
            self.tracker.spawn(
                async move {
                    tokio::select! {
                        _ = this.cut.cancelled() => tracing::debug!("connection cut at shutdown deadline"),
                        _ = this.connection(stream, peer) => {}
                    }
                    drop((permit, client));
                }
                .instrument(span),
            );
        }
        tracing::debug!(proto = "tcp", listen = %local, "stopped accepting");
        Ok(())
    }

    /// Waits for open connections to finish their current request, up to
    /// `deadline`; then cuts the rest.
    pub async fn drain(&self, deadline: Duration) {
        self.tracker.close();
        if tokio::time::timeout(deadline, self.tracker.wait()).await.is_err() {
            tracing::warn!(open = self.open_connections(), "tcp connections still open at the shutdown deadline; closing them");
            self.cut.cancel();
            self.tracker.wait().await;
        }
    }

    fn admit(&self, ip: IpAddr) -> Option<(OwnedSemaphorePermit, ClientSlot)> {
        let ip = client_key(ip);
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        let mut map = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= self.opts.max_connections_per_client {
            return None;
        }
        *n += 1;
        Some((permit, ClientSlot { ip, map: self.per_client.clone() }))
    }

    async fn connection(&self, stream: TcpStream, peer: SocketAddr) {
        let idle = self.opts.idle_timeout;
        let (rd, mut wr) = stream.into_split();
        let mut rd = BufReader::with_capacity(READ_BUF, rd);
        let mut req = vec![0u8; MAX_MESSAGE];
        // One output buffer per connection: length prefix then the message, so
        // each message goes out in a single write (RFC 7766 §8).
        let mut out = vec![0u8; 2 + MAX_MESSAGE];
        let ctx = RequestCtx { peer, transport: Transport::Tcp };
        loop {
            let len = tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break,
                r = tokio::time::timeout(idle, rd.read_u16()) => match r {
                    Ok(Ok(n)) => n as usize,
                    Ok(Err(_)) => break, // EOF or reset
                    Err(_) => {
                        tracing::debug!("idle timeout");
                        break;
                    }
                },
            };
            if len == 0 {
                break;
            }
            match tokio::time::timeout(idle, rd.read_exact(&mut req[..len])).await {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    tracing::debug!("timeout reading request");
                    break;
                }
            }
            if self.respond(&req[..len], &ctx, &mut wr, &mut out).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    }

    /// Answers one request; `Err` means the connection must close.
    async fn respond(&self, req: &[u8], ctx: &RequestCtx, wr: &mut tokio::net::tcp::OwnedWriteHalf, out: &mut [u8]) -> Result<(), ()> {
        let update = {
            let h = self.handler.load();
            h.is_update(req).then(|| Arc::clone(&h))
        };
        if let Some(h) = update {
            // UPDATE (RFC 2136) waits for its commit; later requests on this
            // connection wait behind it, in order.
            let resp = h.update(req, *ctx).await.filter(|m| m.len() <= MAX_MESSAGE);
            counters::record_tcp(resp.as_deref());
            if self.opts.query_log {
                super::log_query(Transport::Tcp, ctx.peer, req, resp.as_deref());
            }
            let Some(m) = resp else { return Ok(()) };
            out[2..2 + m.len()].copy_from_slice(&m);
            return self.write_frame(wr, out, m.len()).await;
        }
        let resp = {
            let h = self.handler.load();
            h.handle_tcp(req, ctx, &mut out[2..])
        };
        match resp {
            TcpResponse::Drop => {
                counters::record_tcp(None);
                if self.opts.query_log {
                    super::log_query(Transport::Tcp, ctx.peer, req, None);
                }
                Ok(())
            }
            TcpResponse::Single(n) => {
                events::tcp_single(&out[2..2 + n.min(MAX_MESSAGE)]);
                if self.opts.query_log {
                    super::log_query(Transport::Tcp, ctx.peer, req, Some(&out[2..2 + n]));
                }
                self.write_frame(wr, out, n).await
            }
            TcpResponse::Stream(mut s) => {
                if self.opts.query_log {
                    super::log_query(Transport::Tcp, ctx.peer, req, None);
                }
                // Producing a message renders records from the snapshot (CPU work,
                // milliseconds for a big message batch): done on the blocking pool,
                // off the async workers.
                // Room for several framed messages: what is ready goes out in one write.
                let mut buf = vec![0u8; STREAM_BATCH * (2 + MAX_MESSAGE)];
                // Counts the request and the transfer (a failure if dropped early).
                let mut count = events::TcpStreamCount::default();
                loop {
                    let (s2, b2, frames) = tokio::task::spawn_blocking(move || {
                        let frames = next_frames(&mut *s, &mut buf);
                        (s, buf, frames)
                    })
                    .await
                    .map_err(|_| ())?;
                    (s, buf) = (s2, b2);
                    let Some(end) = frames.last().map(|f| f.end) else {
                        count.complete();
                        return Ok(());
                    };
                    for f in &frames {
                        count.message(&buf[f.start + 2..f.end]);
                    }
                    self.write_frames(wr, &buf[..end]).await?;
                }
            }
        }
    }

    async fn write_frame(&self, wr: &mut tokio::net::tcp::OwnedWriteHalf, out: &mut [u8], n: usize) -> Result<(), ()> {
        if n > MAX_MESSAGE {
            return Err(());
        }
        out[..2].copy_from_slice(&(n as u16).to_be_bytes());
        self.write_frames(wr, &out[..2 + n]).await
    }

    /// Writes length-prefixed messages, all of `frames`.
    async fn write_frames(&self, wr: &mut tokio::net::tcp::OwnedWriteHalf, frames: &[u8]) -> Result<(), ()> {
        match tokio::time::timeout(self.opts.idle_timeout, wr.write_all(frames)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(()),
            Err(_) => {
                tracing::debug!("timeout writing response");
                Err(())
            }
        }
    }
}

/// Whom a connection counts against for the per-client cap: an IPv4
/// address, or an IPv6 address's /64. One host owns a whole /64 (RFC 4291
/// §2.5.1, SLAAC and privacy addresses, RFC 8981), so counting IPv6 by
/// address would let one client open the cap once per address it picks.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(a) & !((1u128 << 64) - 1)).into()),
        },
    }
}

/// One connection counted against its client's limit; released on drop.
struct ClientSlot {
    ip: IpAddr,
    map: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let k = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(k("2001:db8:1:2:aaaa::1"), k("2001:db8:1:2:ffff:1:2:3"));
        assert_eq!(k("2001:db8:1:2::7"), "2001:db8:1:2::".parse::<std::net::IpAddr>().unwrap());
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_ne!(k("192.0.2.1"), k("192.0.2.2"), "IPv4 by address");
        assert_eq!(k("::ffff:192.0.2.1"), k("192.0.2.1"));
    }

    /// The cap itself: with one connection per client, a second address of
    /// the same /64 is refused until the first connection closes; another
    /// /64, and IPv4 neighbours, are admitted.
    #[test]
    fn per_client_cap_counts_an_ipv6_64_once() {
        use crate::query::{Handler, QueryConfig};
        let handler = crate::net::shared(Handler::new(std::sync::Arc::new(crate::zone::set::ZoneSet::new()), QueryConfig::default()));
        let opts = super::TcpOptions {
            idle_timeout: std::time::Duration::from_secs(1),
            max_connections: 16,
            max_connections_per_client: 1,
            query_log: false,
        };
        let srv = super::TcpServer::new(handler, opts, Default::default());
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let first = srv.admit(ip("2001:db8:1:2::1")).expect("first connection");
        assert!(srv.admit(ip("2001:db8:1:2:ffff::9")).is_none(), "same /64: over the cap");
        let other = srv.admit(ip("2001:db8:1:3::1")).expect("another /64");
        let v4 = (srv.admit(ip("192.0.2.1")).expect("IPv4"), srv.admit(ip("192.0.2.2")).expect("its neighbour"));
        drop(first);
        assert!(srv.admit(ip("2001:db8:1:2:ffff::9")).is_some(), "admitted once the first closed");
        drop((other, v4));
    }
}
