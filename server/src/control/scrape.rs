//! The `/metrics`-only listener (`[metrics] listen`, `--metrics-listen`).
//!
//! Owns: a router with one route, `GET /metrics` (no token: it changes
//! nothing and shows no zone data beyond serials), 404 for every other path
//! and 405 for every other method, served with the control API's connection
//! cap and slow-client timeouts ([`super::conn`]). So Prometheus can scrape
//! without the write API being reachable at all.
//! Must not: serve anything else, or read a request body.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{conn, http::HttpServer, ControlError};
use crate::lifecycle::Shared;

/// Connections open at most: a few scrapers.
const MAX_CONNECTIONS: usize = 16;
/// A scraper that sends no request head for this long is dropped.
const IDLE: Duration = Duration::from_secs(30);

fn router(rt: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|| async move {
                (
                    [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
                    crate::metrics::render(&crate::catalog::health::zone_states(&rt.catalog, &rt.zones)),
                )
                    .into_response()
            }),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "this listener serves GET /metrics only") })
        .method_not_allowed_fallback(|| async { error(StatusCode::METHOD_NOT_ALLOWED, "this listener serves GET /metrics only") })
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

/// Starts the listener on `listen`; stops when `shutdown` fires.
pub async fn serve(listen: SocketAddr, rt: Arc<Shared>, shutdown: CancellationToken) -> Result<HttpServer, ControlError> {
    let tcp = tokio::net::TcpListener::bind(listen).await.map_err(|source| ControlError::Bind { addr: listen, source })?;
    let addr = tcp.local_addr().map_err(|source| ControlError::Bind { addr: listen, source })?;
    let capped = conn::Capped::new(tcp, MAX_CONNECTIONS);
    let task = tokio::spawn(conn::serve(capped, router(rt), IDLE, shutdown));
    tracing::info!(listen = %addr, "metrics listening (GET /metrics only)");
    Ok(HttpServer::new(addr, task))
}
