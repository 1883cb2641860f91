//! UDP requests answered off the worker thread: an UPDATE (RFC 2136) waits
//! for its zone's commit, so the worker hands it to a tokio task and goes on
//! with its batch.
//!
//! Owns: one task per UPDATE received over UDP (updates are rare; queries
//! never come here), and sending that task's one reply with `sendmsg(2)` from
//! the address the request was sent to ([`super::pktinfo`], RFC 2181 §4).
//! Must not: interpret DNS (the handler does) or block a runtime thread: the
//! reply is sent with `MSG_DONTWAIT`, and dropped if the socket buffer is full
//! (the client retries, as for any lost datagram).

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use socket2::{SockAddr, Socket};
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::pktinfo::{self, CmsgBuf, LocalAddr};
use crate::query::{Handler, RequestCtx, Transport};

/// UPDATEs received over UDP being answered at once, across the workers of
/// one listen address; more are dropped (the client retries). Commits of a
/// zone run one at a time anyway, and this bounds what a flood of (even
/// unsigned) UPDATEs can queue.
pub const MAX_IN_FLIGHT: usize = 64;

/// What a worker needs to hand requests to tasks: the runtime and its socket.
pub struct Handoff {
    rt: tokio::runtime::Handle,
    sock: Arc<Socket>,
    slots: Arc<Semaphore>,
    query_log: bool,
}

impl Handoff {
    /// A handoff for the worker of `sock` onto `rt`, sharing `slots` (one
    /// semaphore of [`MAX_IN_FLIGHT`] per listen address); `None` (UPDATE is
    /// then answered NOTIMP on the worker) without a runtime or when the
    /// socket cannot be shared.
    pub fn new(sock: &Socket, rt: Option<tokio::runtime::Handle>, slots: Arc<Semaphore>, query_log: bool) -> Option<Self> {
        let sock = match sock.try_clone() {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::warn!(proto = "udp", error = %e, "cannot share the UDP socket; UPDATE over UDP is answered NOTIMP");
                return None;
            }
        };
        Some(Self { rt: rt?, sock, slots, query_log })
    }

    /// Answers the UPDATE `req` from `peer`, received on `local`, on a task.
    pub fn update(&self, handler: Arc<Handler>, req: &[u8], peer: SocketAddr, local: LocalAddr) {
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            tracing::debug!(proto = "udp", remote = %peer, "too many UPDATEs in flight; dropped");
            crate::metrics::counters::record_udp_task(None);
            return;
        };
        let (sock, req, query_log) = (self.sock.clone(), req.to_vec(), self.query_log);
        // A child of the worker's `udp` span.
        let span = tracing::info_span!("update", remote = %peer);
        let task = async move {
            let _permit = permit;
            let ctx = RequestCtx { peer, transport: Transport::Udp };
            let resp = handler.update(&req, ctx).await;
            crate::metrics::counters::record_udp_task(resp.as_deref());
            if query_log {
                super::log_query(Transport::Udp, peer, &req, resp.as_deref());
            }
            if let Some(resp) = resp {
                if let Err(e) = send_one(&sock, &resp, peer, &local) {
                    tracing::debug!(error = %e, "cannot send the UPDATE response");
                }
            }
        };
        self.rt.spawn(task.instrument(span));
    }
}

/// Sends one datagram to `peer` from `local` (when known).
fn send_one(sock: &Socket, msg: &[u8], peer: SocketAddr, local: &LocalAddr) -> io::Result<()> {
    let to = SockAddr::from(peer);
    let mut ctrl = CmsgBuf::default();
    let clen = pktinfo::write(local, &mut ctrl);
    let mut iov = libc::iovec { iov_base: msg.as_ptr() as *mut libc::c_void, iov_len: msg.len() };
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut hdr: libc::msghdr = unsafe { mem::zeroed() };
    hdr.msg_name = to.as_ptr() as *mut libc::c_void;
    hdr.msg_namelen = to.len();
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    if clen > 0 {
        hdr.msg_control = ctrl.0.as_mut_ptr().cast();
        hdr.msg_controllen = clen as _;
    }
    // SAFETY: `hdr` points at live locals for the duration of the call: the
    // peer address (`to`, its exact length), one iovec over `msg` (read
    // only; sendmsg does not write through iov_base) and, when set, `ctrl`
    // holding `clen` octets of control data written by pktinfo::write.
    let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, libc::MSG_DONTWAIT) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
