//! HTTPS for the control API: a PEM certificate chain and key read at
//! start, rustls with the `ring` provider, and an [`axum::serve::Listener`]
//! whose handshakes run in their own tasks so a slow client never holds up
//! the others.
//!
//! Owns: loading the certificate and key (errors name the file) and the
//! handshake tasks (at most [`MAX_HANDSHAKES`] at once, each bounded by
//! [`HANDSHAKE_TIMEOUT`]; a connection holds its place under the
//! connection cap of [`super::conn`] from its accept on). Must not: know
//! about requests.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::conn::{Accept, Capped, Slot};
use super::ControlError;

/// A client gets this long to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at most; further connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 64;

/// The TLS acceptor for the PEM files `cert` (chain, leaf first) and `key`.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ControlError> {
    let bad = |p: &Path, e: String| ControlError::Setup(format!("{}: {e}", p.display()));
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).map_err(|e| bad(cert, e.to_string()))?.collect::<Result<_, _>>().map_err(|e| bad(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(cert, "no PEM certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ControlError::Setup(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad(cert, format!("certificate and key do not make a usable pair: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepted TCP connections (under the connection cap), handed on once
/// their handshake succeeds.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr, Slot)>,
}

impl TlsListener {
    /// Starts accepting from `tcp` until `shutdown` fires.
    pub fn new(tcp: Capped, acceptor: TlsAcceptor, shutdown: CancellationToken) -> TlsListener {
        let (tx, ready) = mpsc::channel(MAX_HANDSHAKES);
        let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let Ok(permit) = handshakes.clone().acquire_owned().await else { return };
                let (stream, peer, slot) = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    c = tcp.accept_tcp() => c,
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer, slot)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(remote = %peer, error = %e, "control API: TLS handshake failed"),
                        Err(_) => tracing::debug!(remote = %peer, "control API: TLS handshake timed out"),
                    }
                    drop(permit);
                });
            }
        });
        TlsListener { ready }
    }
}

impl Accept for TlsListener {
    type Io = TlsStream<TcpStream>;

    async fn accept(&mut self) -> (Self::Io, SocketAddr, Slot) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task ended (shutdown): nothing more will come.
            None => std::future::pending().await,
        }
    }
}
