//! UDP workers: a fixed set of blocking threads, one `SO_REUSEPORT` socket each.
//!
//! Owns: binding the worker sockets and the receive → handle → send loop with
//! batched `recvmmsg(2)`/`sendmmsg(2)`. Every buffer a worker uses (receive
//! slots, response slots, addresses, control messages, `mmsghdr` arrays, its
//! [`UdpCounters`]) is allocated once when the worker starts, so a query costs
//! no heap allocation here (`tests/alloc_udp.rs` checks the whole path).
//! Must not: spawn per packet, block on anything but its own socket, or log per
//! query above debug.
//!
//! A worker blocks in `recvmmsg` with `MSG_WAITFORONE`: it sleeps until one
//! datagram arrives, then takes whatever else is already queued (up to
//! [`BATCH`]), answers them all from the served zones loaded once for the
//! batch ([`Handler::handle_in`]) and sends the answers with one `sendmmsg`. The
//! socket's receive timeout ([`POLL`]) wakes it to check the shutdown token.
//! When a served zone is too large for the CPU caches
//! ([`ZoneTable::wants_prefetch`]), two cheap passes over the batch come
//! first ([`Handler::prefetch`]): one asks the CPU for each query's table
//! slot line, the next (those lines arriving meanwhile) for each node, so
//! the batch's cache misses overlap instead of costing two in turn per
//! query. They are hints only: the answers are the same without them.
//! Replies leave from the address the query was sent to (RFC 2181 §4, see
//! [`super::pktinfo`]). An UPDATE is the one request not answered in the
//! batch: it waits for a zone commit, so it goes to a task ([`super::handoff`]).

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tokio_util::sync::CancellationToken;

use super::handoff::Handoff;
use super::pktinfo::{self, CmsgBuf};
use super::supervise::{supervise, Verdict};
use super::SharedHandler;
use crate::metrics::counters::UdpCounters;
use crate::query::{Handler, RequestCtx, Transport, MAX_MESSAGE};
use crate::zone::set::{PrefetchHint, ZoneTable};

/// Datagrams taken per `recvmmsg` call.
pub const BATCH: usize = 32;
/// Receive slot size: the largest UDP payload, so no datagram is ever cut.
/// (The memory is only touched as far as datagrams reach.)
const RX_SLOT: usize = 65535;
/// How often a blocked worker wakes to check for shutdown.
pub const POLL: Duration = Duration::from_millis(200);
/// A send that cannot complete in this long is dropped (the client retries).
const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// Per-worker options.
#[derive(Debug, Clone, Copy, Default)]
pub struct UdpOptions {
    /// Log each query at debug level.
    pub query_log: bool,
}

/// Binds `n` sockets to `addr` with `SO_REUSEPORT` (blocking, with a read
/// timeout of [`POLL`]). With port 0 a free port is picked and all join it.
/// IPv6 sockets are IPv6-only; wildcard binds enable packet info.
pub fn bind(addr: SocketAddr, n: usize) -> io::Result<Vec<Socket>> {
    // Port 0: the port the probe picked is free again for a moment before the
    // workers' sockets take it, and another bind may win it: pick again.
    let tries = if addr.port() == 0 { 8 } else { 1 };
    let mut last = None;
    for _ in 0..tries {
        match bind_once(addr, n) {
            Ok(s) => return Ok(s),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("cannot bind")))
}

fn bind_once(addr: SocketAddr, n: usize) -> io::Result<Vec<Socket>> {
    // SO_REUSEPORT would let us silently share a port another process of the
    // same user already serves; a plain bind first fails loudly instead (and
    // picks the port when 0 is asked for).
    let bound = {
        let probe = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if addr.is_ipv6() {
            probe.set_only_v6(true)?;
        }
        probe.bind(&addr.into())?;
        probe.local_addr()?.as_socket().ok_or_else(|| io::Error::other("no local address"))?
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if addr.is_ipv6() {
            s.set_only_v6(true)?;
        }
        s.set_reuse_port(true)?;
        s.set_read_timeout(Some(POLL))?;
        s.set_write_timeout(Some(SEND_TIMEOUT))?;
        if addr.ip().is_unspecified() {
            pktinfo::enable(&s, addr.is_ipv6())?;
        }
        // A larger queue absorbs bursts between batches; the kernel caps it.
        let _ = s.set_recv_buffer_size(1 << 20);
        s.bind(&bound.into())?;
        out.push(s);
    }
    Ok(out)
}

/// Starts one worker thread per socket. Each stops within [`POLL`] after
/// `shutdown` fires.
pub fn spawn_workers(sockets: Vec<Socket>, handler: SharedHandler, opts: UdpOptions, shutdown: CancellationToken) -> io::Result<Vec<JoinHandle<()>>> {
    let mut threads = Vec::with_capacity(sockets.len());
    // UPDATEs are answered on this runtime, off the workers (see `handoff`).
    let rt = tokio::runtime::Handle::try_current().ok();
    let slots = Arc::new(tokio::sync::Semaphore::new(super::handoff::MAX_IN_FLIGHT));
    for (i, sock) in sockets.into_iter().enumerate() {
        let (handler, shutdown) = (handler.clone(), shutdown.clone());
        let handoff = Handoff::new(&sock, rt.clone(), slots.clone(), opts.query_log);
        let name = format!("ironbind-udp-{i}");
        let t = std::thread::Builder::new().name(name.clone()).spawn(move || {
            // A panic (a bug some input reached) restarts the worker on the
            // same socket; too many in a row abort the process instead.
            let count = || crate::metrics::events::worker_panicked();
            if supervise(&name, count, || worker(&sock, &handler, opts, &shutdown, handoff.as_ref())) == Verdict::GiveUp {
                std::process::abort();
            }
        })?;
        threads.push(t);
    }
    Ok(threads)
}

fn worker(sock: &Socket, handler: &SharedHandler, opts: UdpOptions, shutdown: &CancellationToken, handoff: Option<&Handoff>) {
    let listen = sock.local_addr().ok().and_then(|a| a.as_socket());
    let span = tracing::info_span!("udp", proto = "udp", listen = ?listen);
    let _enter = span.enter();
    let fd = sock.as_raw_fd();
    let mut batch = Batch::new();
    let mut last_warn: Option<Instant> = None;
    while !shutdown.is_cancelled() {
        let n = match batch.recv(fd) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => continue,
            Err(e) => {
                warn_rate_limited(&mut last_warn, "recvmmsg", &e);
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        #[cfg(debug_assertions)]
        debug_panic_on(&batch, n);
        let answers = {
            // The handler and the served zones, loaded once for the batch and
            // dropped once it is answered (an idle worker holds no old version).
            let h = handler.load();
            let zones = h.zones().load();
            batch.answer(n, &h, &zones, opts, handoff)
        };
        if let Err(e) = batch.send(fd, answers) {
            warn_rate_limited(&mut last_warn, "sendmmsg", &e);
        }
    }
    tracing::debug!("udp worker stopped");
}

/// Debug builds only (the tests' binary): panics when a received datagram
/// contains the bytes of `IRONBIND_DEBUG_PANIC_ON`, so that tests can prove a
/// worker panic is survived. Release builds have no such code.
#[cfg(debug_assertions)]
fn debug_panic_on(batch: &Batch, n: usize) {
    static NEEDLE: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
    let Some(needle) = NEEDLE.get_or_init(|| std::env::var("IRONBIND_DEBUG_PANIC_ON").ok().filter(|s| !s.is_empty()).map(String::into_bytes)) else {
        return;
    };
    for i in 0..n {
        if datagram(&batch.rx, &batch.rx_hdr, i).windows(needle.len()).any(|w| w == needle.as_slice()) {
            panic!("IRONBIND_DEBUG_PANIC_ON matched a datagram");
        }
    }
}

fn warn_rate_limited(last: &mut Option<Instant>, op: &'static str, e: &io::Error) {
    let now = Instant::now();
    if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
        *last = Some(now);
        tracing::warn!(op, error = %e, "udp socket error");
    }
}

/// Everything one worker needs for a batch, allocated once.
struct Batch {
    rx: Box<[u8]>,
    tx: Box<[u8]>,
    names: Box<[libc::sockaddr_storage]>,
    rx_ctrl: Box<[CmsgBuf]>,
    tx_ctrl: Box<[CmsgBuf]>,
    rx_iov: Box<[libc::iovec]>,
    tx_iov: Box<[libc::iovec]>,
    rx_hdr: Box<[libc::mmsghdr]>,
    tx_hdr: Box<[libc::mmsghdr]>,
    /// For answer `j`: which received datagram it answers.
    tx_for: [usize; BATCH],
    /// This worker's request counters (`/metrics`).
    counters: UdpCounters,
}

/// Received datagram `i`: its slot of `rx`, as far as `recvmmsg` filled it.
#[inline]
fn datagram<'a>(rx: &'a [u8], hdrs: &[libc::mmsghdr], i: usize) -> &'a [u8] {
    let len = (hdrs[i].msg_len as usize).min(RX_SLOT);
    &rx[i * RX_SLOT..i * RX_SLOT + len]
}

fn zeroed_slice<T: Copy>(n: usize) -> Box<[T]> {
    // SAFETY: only used for libc plain-old-data structs (sockaddr_storage,
    // iovec, mmsghdr) for which all-zero bytes are a valid value.
    vec![unsafe { mem::zeroed::<T>() }; n].into_boxed_slice()
}

impl Batch {
    fn new() -> Self {
        Self {
            rx: vec![0u8; BATCH * RX_SLOT].into_boxed_slice(),
            tx: vec![0u8; BATCH * MAX_MESSAGE].into_boxed_slice(),
            names: zeroed_slice(BATCH),
            rx_ctrl: vec![CmsgBuf::default(); BATCH].into_boxed_slice(),
            tx_ctrl: vec![CmsgBuf::default(); BATCH].into_boxed_slice(),
            rx_iov: zeroed_slice(BATCH),
            tx_iov: zeroed_slice(BATCH),
            rx_hdr: zeroed_slice(BATCH),
            tx_hdr: zeroed_slice(BATCH),
            tx_for: [0; BATCH],
            counters: UdpCounters::register(),
        }
    }

    /// Receives up to [`BATCH`] datagrams; blocks for the first one (up to [`POLL`]).
    fn recv(&mut self, fd: libc::c_int) -> io::Result<usize> {
        let rx = self.rx.as_mut_ptr();
        for i in 0..BATCH {
            // Pointers are re-derived every call so they always come from the
            // current borrow of each buffer.
            self.rx_iov[i] = libc::iovec {
                // SAFETY: i < BATCH, so the slot lies inside `rx` (BATCH * RX_SLOT octets).
                iov_base: unsafe { rx.add(i * RX_SLOT) }.cast(),
                iov_len: RX_SLOT,
            };
            let h = &mut self.rx_hdr[i].msg_hdr;
            h.msg_name = (&mut self.names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut self.rx_iov[i];
            h.msg_iovlen = 1;
            h.msg_control = self.rx_ctrl[i].0.as_mut_ptr().cast();
            h.msg_controllen = pktinfo::CMSG_BUF as _;
            h.msg_flags = 0;
            self.rx_hdr[i].msg_len = 0;
        }
        // SAFETY: each of the BATCH headers points at live buffers owned by
        // `self` (address storage, one iovec over its own RX_SLOT slot, a
        // control buffer of CMSG_BUF octets) with the lengths set above; they
        // stay valid and unaliased for the duration of the call.
        let n = unsafe { libc::recvmmsg(fd, self.rx_hdr.as_mut_ptr(), BATCH as libc::c_uint, libc::MSG_WAITFORONE, std::ptr::null_mut()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    /// Answers the `n` received datagrams into the response slots; returns how
    /// many answers there are to send.
    fn answer(&mut self, n: usize, handler: &Arc<Handler>, zones: &ZoneTable, opts: UdpOptions, handoff: Option<&Handoff>) -> usize {
        if zones.wants_prefetch() {
            self.prefetch(n, handler, zones);
        }
        let mut out = 0;
        for i in 0..n {
            let hdr = &self.rx_hdr[i];
            if hdr.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                continue;
            }
            let Some(peer) = pktinfo::to_std(&self.names[i], hdr.msg_hdr.msg_namelen) else { continue };
            let req = datagram(&self.rx, &self.rx_hdr, i);
            if let (Some(handoff), true) = (handoff, handler.is_update(req)) {
                // Answered on a task: the commit must not hold up this batch.
                #[allow(clippy::unnecessary_cast)]
                let local = pktinfo::read(&self.rx_ctrl[i], hdr.msg_hdr.msg_controllen as usize);
                handoff.update(Arc::clone(handler), req, peer, local);
                continue;
            }
            let resp = &mut self.tx[out * MAX_MESSAGE..(out + 1) * MAX_MESSAGE];
            let ctx = RequestCtx { peer, transport: Transport::Udp };
            let answered = handler.handle_in(zones, req, &ctx, resp).filter(|&r| r <= MAX_MESSAGE);
            self.counters.record(answered.map(|r| &resp[..r]));
            if opts.query_log {
                super::log_query(Transport::Udp, peer, req, answered.map(|r| &resp[..r]));
            }
            let Some(rlen) = answered else { continue };
            // msg_controllen is size_t on glibc but socklen_t on musl.
            #[allow(clippy::unnecessary_cast)]
            let local = pktinfo::read(&self.rx_ctrl[i], hdr.msg_hdr.msg_controllen as usize);
            let clen = pktinfo::write(&local, &mut self.tx_ctrl[out]);
            self.tx_iov[out].iov_len = rlen;
            self.tx_hdr[out].msg_hdr.msg_controllen = clen as _;
            self.tx_for[out] = i;
            out += 1;
        }
        out
    }

    /// The prefetch passes over the `n` received datagrams (see the module
    /// doc): every slot line, then every node. No allocation (the hints
    /// live on the stack), and nothing read but headers and question names.
    fn prefetch(&self, n: usize, handler: &Handler, zones: &ZoneTable) {
        let mut hints: [Option<PrefetchHint<'_>>; BATCH] = [None; BATCH];
        for (i, hint) in hints.iter_mut().enumerate().take(n) {
            *hint = handler.prefetch(zones, datagram(&self.rx, &self.rx_hdr, i));
        }
        for hint in hints[..n.min(BATCH)].iter().flatten() {
            hint.prefetch_node();
        }
    }

    /// Sends the first `count` answers, skipping any the kernel refuses.
    fn send(&mut self, fd: libc::c_int, count: usize) -> io::Result<()> {
        let tx = self.tx.as_mut_ptr();
        for j in 0..count {
            let i = self.tx_for[j];
            // SAFETY: j < BATCH, so the slot lies inside `tx` (BATCH * MAX_MESSAGE octets).
            self.tx_iov[j].iov_base = unsafe { tx.add(j * MAX_MESSAGE) }.cast();
            let namelen = self.rx_hdr[i].msg_hdr.msg_namelen;
            let h = &mut self.tx_hdr[j].msg_hdr;
            h.msg_name = (&mut self.names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = namelen;
            h.msg_iov = &mut self.tx_iov[j];
            h.msg_iovlen = 1;
            h.msg_control = if h.msg_controllen == 0 { std::ptr::null_mut() } else { self.tx_ctrl[j].0.as_mut_ptr().cast() };
            h.msg_flags = 0;
        }
        let mut sent = 0;
        let mut last_err = None;
        while sent < count {
            // SAFETY: headers sent..count were filled above and point at live
            // buffers owned by `self`: the peer address received with the query,
            // one iovec over the response slot with its length, and a control
            // buffer holding `msg_controllen` octets (or none).
            let r = unsafe { libc::sendmmsg(fd, self.tx_hdr.as_mut_ptr().add(sent), (count - sent) as libc::c_uint, 0) };
            if r > 0 {
                sent += r as usize;
            } else {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    // This datagram cannot be sent (e.g. EMSGSIZE, unreachable
                    // peer); drop it and go on with the rest.
                    sent += 1;
                    last_err = Some(e);
                }
            }
        }
        last_err.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
#[path = "udp_tests.rs"]
mod tests;
