//! The HTTP side of the control API: routes, the bearer-token check, JSON
//! errors, and the server's start and stop.
//!
//! Owns: the route table ([`routes`], from which the router is built, so
//! the OpenAPI test checks what is really served), mapping [`ApiError`] to
//! statuses and `{"error": …, "field": …}` bodies, and the token check: the
//! file is read at every request (a rotated Secret works at once; an
//! unreadable or empty one refuses everything with 503). `/healthz`,
//! `/readyz` and `/metrics` need no token.
//! Must not: change zones itself ([`super::Control`] does).

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Json, Router};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::body::ZoneBody;
use super::conn::MAX_BODY;
use super::keys::KeyBody;
use super::{apex_of, conn, tls, ApiError, Control, ControlError};
use crate::config::ControlConfig;
use crate::lifecycle::Shared;

/// How long shutdown waits for requests in progress.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Ctx {
    control: Arc<Control>,
    rt: Arc<Shared>,
    token: Option<PathBuf>,
    /// `[control] idle_timeout_ms`.
    idle: Duration,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, field) = match &self {
            ApiError::BadRequest { field, .. } => (StatusCode::BAD_REQUEST, field.clone()),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, None),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, None),
            ApiError::Invalid { field, .. } => (StatusCode::UNPROCESSABLE_ENTITY, Some(field.clone())),
            ApiError::TooLarge { field, .. } => (StatusCode::PAYLOAD_TOO_LARGE, Some(field.clone())),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        let mut body = json!({ "error": self.to_string() });
        if let Some(f) = field {
            body["field"] = json!(f);
        }
        (status, Json(body)).into_response()
    }
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

type Table = Vec<(&'static str, &'static str, MethodRouter<Ctx>)>;

/// Every route: path, method, handler. Token-protected unless listed in [`OPEN`].
fn table() -> Table {
    vec![
        ("/v1/zones", "GET", get(list_zones)),
        ("/v1/zones/{zone}", "GET", get(get_zone)),
        ("/v1/zones/{zone}", "PUT", put(put_zone)),
        ("/v1/zones/{zone}", "DELETE", delete(delete_zone)),
        ("/v1/zones/{zone}/notify", "POST", post(notify)),
        ("/v1/zones/{zone}/refresh", "POST", post(refresh)),
        ("/v1/keys", "GET", get(list_keys)),
        ("/v1/keys/{name}", "PUT", put(put_key)),
        ("/v1/keys/{name}", "DELETE", delete(delete_key)),
        ("/healthz", "GET", get(healthz)),
        ("/readyz", "GET", get(readyz)),
        ("/metrics", "GET", get(metrics)),
    ]
}

/// Paths served without a token.
const OPEN: &[&str] = &["/healthz", "/readyz", "/metrics"];

/// `(path, method)` of every route served, in axum's `{param}` syntax.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    table().into_iter().map(|(p, m, _)| (p, m)).collect()
}

fn router(ctx: Ctx) -> Router {
    let (mut api, mut open) = (Router::new(), Router::new());
    let mut grouped: Vec<(&'static str, MethodRouter<Ctx>)> = Vec::new();
    for (path, _, mr) in table() {
        match grouped.iter_mut().find(|(p, _)| *p == path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(mr),
            None => grouped.push((path, mr)),
        }
    }
    for (path, mr) in grouped {
        if OPEN.contains(&path) {
            open = open.route(path, mr);
        } else {
            api = api.route(path, mr);
        }
    }
    // The token first, then the body (nobody unauthenticated gets one buffered).
    let api =
        api.route_layer(middleware::from_fn_with_state(ctx.idle, conn::read_body)).route_layer(middleware::from_fn_with_state(ctx.clone(), auth));
    api.merge(open)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint; see docs/openapi.yaml") })
        .method_not_allowed_fallback(|| async { error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(ctx)
}

/// Constant-time comparison (the token must not leak through timing).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn auth(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    if let Some(path) = &ctx.token {
        let want = match std::fs::read_to_string(path) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
            Ok(_) => return error(StatusCode::SERVICE_UNAVAILABLE, "the control API token file is empty; every request is refused"),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot read the control API token file");
                return error(StatusCode::SERVICE_UNAVAILABLE, "the control API token file cannot be read; every request is refused");
            }
        };
        let got = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !got.is_some_and(|g| same(g.trim().as_bytes(), want.as_bytes())) {
            let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
            r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let resp = next.run(req).await;
    if method != Method::GET {
        tracing::info!(op = "control", %method, path, status = resp.status().as_u16(), "control API request");
    }
    resp
}

fn zone_param(zone: &str) -> Result<Box<[u8]>, ApiError> {
    apex_of(zone).map_err(|e| ApiError::BadRequest { field: Some("zone".into()), msg: e.to_string() })
}

fn flag(q: &HashMap<String, String>, name: &str, default: bool) -> Result<bool, ApiError> {
    match q.get(name).map(|s| s.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" || v == "1" || v.is_empty() => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(v) => Err(ApiError::BadRequest { field: Some(name.into()), msg: format!("{name}={v:?}: expected true or false") }),
    }
}

/// Parses a JSON body, naming the field of the first mismatch.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        ApiError::BadRequest { field, msg: format!("invalid JSON body: {}", e.inner()) }
    })
}

async fn list_zones(State(c): State<Ctx>) -> Response {
    let g = c.control.lock().await;
    let zones = c.control.views(&g, &c.rt, None, false).await;
    Json(json!({ "zones": zones })).into_response()
}

async fn get_zone(State(c): State<Ctx>, Path(zone): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let apex = zone_param(&zone)?;
    let full = flag(&q, "rrsets", true)?;
    let g = c.control.lock().await;
    let mut v = c.control.views(&g, &c.rt, Some(&apex), full).await;
    match v.pop() {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError::NotFound(format!("zone {zone} is not served here"))),
    }
}

async fn put_zone(State(c): State<Ctx>, Path(zone): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let apex = zone_param(&zone)?;
    let body: ZoneBody = parse(&body)?;
    let r = c.control.put_zone(&c.rt, apex, body).await?;
    let status = if r.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(r)).into_response())
}

async fn delete_zone(State(c): State<Ctx>, Path(zone): Path<String>) -> Result<Response, ApiError> {
    let apex = zone_param(&zone)?;
    c.control.delete_zone(&c.rt, &apex).await?;
    Ok(Json(json!({ "zone": super::DisplayName(&apex).to_string(), "deleted": true })).into_response())
}

async fn notify(State(c): State<Ctx>, Path(zone): Path<String>) -> Result<Response, ApiError> {
    let apex = zone_param(&zone)?;
    c.control.notify(&c.rt, &apex)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "zone": super::DisplayName(&apex).to_string(), "notify": "queued" }))).into_response())
}

async fn refresh(State(c): State<Ctx>, Path(zone): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let apex = zone_param(&zone)?;
    let force = flag(&q, "force", false)?;
    c.control.refresh(&c.rt, &apex, force)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "zone": super::DisplayName(&apex).to_string(), "refresh": "queued", "force": force }))).into_response())
}

async fn list_keys(State(c): State<Ctx>) -> Response {
    Json(json!({ "keys": c.control.list_keys(&c.rt).await })).into_response()
}

async fn put_key(State(c): State<Ctx>, Path(name): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body: KeyBody = parse(&body)?;
    Ok(Json(c.control.put_key(&c.rt, &name, body).await?).into_response())
}

async fn delete_key(State(c): State<Ctx>, Path(name): Path<String>) -> Result<Response, ApiError> {
    c.control.delete_key(&c.rt, &name).await?;
    Ok(Json(json!({ "key": name.trim_end_matches('.'), "deleted": true })).into_response())
}

async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(c): State<Ctx>) -> Response {
    let (ready, waiting) = crate::catalog::health::readiness(&c.rt.catalog, &c.rt.zones);
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready, "notReady": waiting }))).into_response()
}

async fn metrics(State(c): State<Ctx>) -> Response {
    let text = crate::metrics::render(&crate::catalog::health::zone_states(&c.rt.catalog, &c.rt.zones));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// The running HTTP server.
pub struct HttpServer {
    /// The bound address.
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl HttpServer {
    /// A server running as `task` on `addr`.
    pub(super) fn new(addr: std::net::SocketAddr, task: tokio::task::JoinHandle<()>) -> Self {
        Self { addr, task }
    }

    /// Waits (after the shutdown token fired) for requests in progress, up
    /// to [`DRAIN_DEADLINE`].
    pub async fn stop(self) {
        let abort = self.task.abort_handle();
        if tokio::time::timeout(DRAIN_DEADLINE, self.task).await.is_err() {
            abort.abort();
            tracing::warn!("control API requests still running at the deadline; cut short");
        }
    }
}

/// Starts the control API when `cfg.listen` is set; stops when `shutdown` fires.
pub async fn serve(
    cfg: &ControlConfig,
    control: Arc<Control>,
    rt: Arc<Shared>,
    shutdown: CancellationToken,
) -> Result<Option<HttpServer>, ControlError> {
    let Some(listen) = cfg.listen else { return Ok(None) };
    match &cfg.token_file {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) if !t.trim().is_empty() => {}
            Ok(_) => return Err(ControlError::Setup(format!("{}: the token file is empty", p.display()))),
            Err(e) => return Err(ControlError::Setup(format!("{}: cannot read the token file: {e}", p.display()))),
        },
        None => tracing::warn!(listen = %listen, "control API without a bearer token: anyone who can connect to {listen} may change zones"),
    }
    let acceptor = match (&cfg.tls_cert_file, &cfg.tls_key_file) {
        (Some(c), Some(k)) => Some(tls::acceptor(c, k)?),
        _ => None,
    };
    let tcp = tokio::net::TcpListener::bind(listen).await.map_err(|source| ControlError::Bind { addr: listen, source })?;
    let addr = tcp.local_addr().map_err(|source| ControlError::Bind { addr: listen, source })?;
    let idle = Duration::from_millis(cfg.idle_timeout_ms);
    let app = router(Ctx { control, rt, token: cfg.token_file.clone(), idle });
    let capped = conn::Capped::new(tcp, cfg.max_connections as usize);
    let tls = acceptor.is_some();
    let task = match acceptor {
        None => tokio::spawn(conn::serve(capped, app, idle, shutdown)),
        Some(acc) => tokio::spawn(conn::serve(tls::TlsListener::new(capped, acc, shutdown.clone()), app, idle, shutdown)),
    };
    tracing::info!(listen = %addr, tls, max_connections = cfg.max_connections, "control API listening");
    Ok(Some(HttpServer { addr, task }))
}
