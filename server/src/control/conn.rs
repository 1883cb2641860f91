//! Connections of the control API: the cap on open connections, the
//! timeouts that keep a slow client (slowloris) from holding one, and the
//! serve loop with its graceful drain.
//!
//! Owns: accepting TCP connections under `[control] max_connections` (one
//! over the cap is closed at once, with a warning at most once a minute),
//! serving each with hyper's HTTP/1, where a request head must be complete
//! within `idle_timeout_ms` of the connection opening or of its last answer
//! (hyper's header timeout, which also closes idle keep-alive connections),
//! the request-body deadline ([`read_body`]: a pause of `idle_timeout_ms`,
//! or a body still arriving after [`BODY_DEADLINE`], gets 408), and
//! stopping: no new connections once the token fires; open ones finish the
//! request they are on.
//! Must not: know routes or tokens ([`super::http`]) or TLS ([`super::tls`],
//! which hands over connections through [`Accept`] with their slot).
//!
//! ```text
//!  accept ─► slot free? ─no─► close
//!             │ yes (held until the connection closes)
//!             ▼
//!  [TLS handshake] ─► HTTP/1: head within idle ─► token ─► body (pauses < idle,
//!                     all within BODY_DEADLINE) ─► handler ─► answer ─► head within idle …
//! ```

#![forbid(unsafe_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Largest request body: a zone of about a million records.
pub const MAX_BODY: usize = 128 << 20;

/// The longest a whole request body may take to arrive, however steadily
/// it trickles: a zone of [`MAX_BODY`] at 0.5 MB/s.
pub const BODY_DEADLINE: Duration = Duration::from_secs(300);

/// One place under the connection cap, held while the connection is open.
pub type Slot = OwnedSemaphorePermit;

/// Connections ready for HTTP, each with its [`Slot`].
pub trait Accept: Send {
    /// The byte stream (TCP, or TLS over TCP).
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection.
    fn accept(&mut self) -> impl Future<Output = (Self::Io, SocketAddr, Slot)> + Send;
}

/// TCP accepts under the connection cap.
pub struct Capped {
    tcp: TcpListener,
    slots: Arc<Semaphore>,
    /// Unix time of the last "limit reached" warning.
    warned: AtomicU64,
}

impl Capped {
    /// At most `max` connections from `tcp` open at once.
    pub fn new(tcp: TcpListener, max: usize) -> Capped {
        Capped { tcp, slots: Arc::new(Semaphore::new(max.max(1))), warned: AtomicU64::new(0) }
    }

    /// The next connection with its slot; one over the cap is closed at once.
    pub async fn accept_tcp(&self) -> (TcpStream, SocketAddr, Slot) {
        loop {
            match self.tcp.accept().await {
                Ok((stream, peer)) => match self.slots.clone().try_acquire_owned() {
                    Ok(slot) => return (stream, peer, slot),
                    Err(_) => {
                        drop(stream);
                        self.warn_full(peer);
                    }
                },
                Err(e) => {
                    // Out of file descriptors, say: do not spin.
                    tracing::debug!(error = %e, "control API: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn warn_full(&self, peer: SocketAddr) {
        let now = crate::clock::unix_now();
        let last = self.warned.load(Ordering::Relaxed);
        if now >= last + 60 && self.warned.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            tracing::warn!(remote = %peer, "control API: connection limit ([control] max_connections) reached; closing new connections (logged once a minute)");
        } else {
            tracing::debug!(remote = %peer, "control API: connection limit reached; connection closed");
        }
    }
}

impl Accept for Capped {
    type Io = TcpStream;

    fn accept(&mut self) -> impl Future<Output = (TcpStream, SocketAddr, Slot)> + Send {
        self.accept_tcp()
    }
}

/// Serves `app` on the connections of `incoming` until `shutdown` fires,
/// then waits for the open connections to finish their request (the caller
/// bounds that wait).
pub async fn serve<A: Accept>(mut incoming: A, app: Router, idle: Duration, shutdown: CancellationToken) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(idle);
    loop {
        let (io, peer, slot) = tokio::select! {
            _ = shutdown.cancelled() => break,
            c = incoming.accept() => c,
        };
        let conn = graceful.watch(http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app.clone())));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(remote = %peer, error = %e, "control API connection ended");
            }
            drop(slot);
        });
    }
    drop(incoming);
    graceful.shutdown().await;
}

fn error(status: StatusCode, msg: String) -> Response {
    (status, Json(serde_json::json!({ "error": msg }))).into_response()
}

/// Reads the whole request body before the handler runs (layered inside the
/// token check, so nobody unauthenticated gets a body buffered): a pause
/// longer than `idle` or a body still arriving after [`BODY_DEADLINE`] gets
/// 408, one over [`MAX_BODY`] 413.
pub async fn read_body(State(idle): State<Duration>, req: Request, next: Next) -> Response {
    let (parts, mut body) = req.into_parts();
    let deadline = tokio::time::Instant::now() + BODY_DEADLINE;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let wait = idle.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let frame = match tokio::time::timeout(wait, std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx))).await {
            Ok(f) => f,
            Err(_) => {
                let why = if tokio::time::Instant::now() >= deadline { "did not arrive within the body deadline" } else { "stalled" };
                return error(StatusCode::REQUEST_TIMEOUT, format!("request body {why}; send it in one go"));
            }
        };
        match frame {
            None => break,
            Some(Err(e)) => return error(StatusCode::BAD_REQUEST, format!("cannot read the request body: {e}")),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    if buf.len() + data.len() > MAX_BODY {
                        return error(StatusCode::PAYLOAD_TOO_LARGE, format!("request body over {} octets", MAX_BODY));
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(Bytes::from(buf)))).await
}
