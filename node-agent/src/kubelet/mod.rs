//! The kubelet's HTTPS endpoint on 127.0.0.1: the API server proxies
//! `kubectl logs` to `/containerLogs/…` and `kubectl exec` to `/exec/…`
//! here. A self-signed certificate (the API server does not check it),
//! HTTP/1.1 with upgrades for exec's WebSocket.
//!
//! Owns: the listener, TLS and routing. Must not: start or stop pods (it
//! reads the registry; exec'd commands are its only processes).

pub mod exec;
pub mod logs;
pub mod query;
pub mod tls;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::pods::Registry;

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum KubeletError {
    /// The port could not be bound.
    #[error("binding 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate could not be made.
    #[error("self-signed certificate: {0}")]
    Tls(String),
}

/// The routes.
pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/containerLogs/{ns}/{pod}/{container}", get(logs::container_logs))
        .route("/exec/{ns}/{pod}/{container}", get(exec::exec).post(exec::exec))
        .with_state(registry)
}

/// Binds 127.0.0.1:`port` (0: any free port); returns the bound address
/// and the task serving it until `shutdown`.
pub async fn serve(port: u16, registry: Registry, shutdown: CancellationToken) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), KubeletError> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|source| KubeletError::Bind { port, source })?;
    let addr = listener.local_addr().map_err(|source| KubeletError::Bind { port, source })?;
    let acceptor = tls::self_signed()?;
    let app = router(registry);
    let task = tokio::spawn(async move {
        loop {
            let (tcp, peer) = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let (acceptor, app, shutdown) = (acceptor.clone(), app.clone(), shutdown.clone());
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "TLS handshake"),
                    Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                };
                let conn =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), TowerToHyperService::new(app)).with_upgrades();
                tokio::select! {
                    r = conn => if let Err(e) = r { tracing::debug!(%peer, error = %e, "connection") },
                    _ = shutdown.cancelled() => {}
                }
            });
        }
    });
    Ok((addr, task))
}
