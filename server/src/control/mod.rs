//! The control plane: zones and TSIG keys managed through an HTTP API while
//! the server runs (docs/CONTROL.md, docs/openapi.yaml).
//!
//! Owns: the zones and keys defined through the API ([`Control`]), kept in
//! `<data_dir>/control/` ([`defs`]) and served again after a restart (the
//! zones' records are their copies in `<data_dir>/zones/`), the HTTP server
//! ([`http`], optional TLS in [`tls`], connection cap and timeouts in
//! [`conn`]) and its bearer-token check, and the `/metrics`-only listener
//! ([`scrape`]).
//! Must not: write zone data itself (edits go through
//! [`Shared::edit_zone`](crate::lifecycle::Shared::edit_zone) and
//! [`Store`](crate::store::Store)), or touch zones defined in the
//! config file: a zone or key belongs to whoever defined it first, and the
//! other source is refused (`409` through the API; an error log and the
//! API's definition kept when the config file names it later).
//!
//! ```text
//!  start:  control/zones.json, keys.json ─► keys merged over the config's
//!          ─► config zones the API owns are skipped (logged)
//!          ─► API primaries served from their data-dir copy, API secondaries started
//!          ─► HTTP (after the DNS listeners)
//!  PUT primary:   body ─► records (field errors 400/422) ─► new? build, save zones.json,
//!                 publish ─► else Shared::edit_zone (diff, journal, NOTIFY) ─► policy
//!  PUT secondary: save zones.json ─► start/re-point its refresh task
//!  DELETE:        save zones.json ─► stop serving, stop task, remove files
//!  SIGHUP:        the reload holds the control lock: keys re-merged, API zones kept
//! ```

#![forbid(unsafe_code)]

pub mod body;
pub mod conn;
pub mod defs;
pub mod http;
mod keys;
pub mod scrape;
mod start;
pub mod tls;
mod view;
mod zones;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::lifecycle::secondary::Secondaries;
use crate::tsig::KeyRing;
use crate::wire::name::DisplayName;

pub use http::{routes, serve, HttpServer};

use defs::{DefsDir, KeyDef, ZoneDef};

/// Why the control plane cannot start. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// A definitions file cannot be read or written.
    #[error("control API state: {0}")]
    Store(String),
    /// The token file, certificate or key is unusable.
    #[error("control API: {0}")]
    Setup(String),
    /// The listen address cannot be bound.
    #[error("control API: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Why a request was refused; maps to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad JSON, bad zone name).
    #[error("{msg}")]
    BadRequest {
        /// The field at fault, if one is.
        field: Option<String>,
        /// Why.
        msg: String,
    },
    /// 404: no such zone or key.
    #[error("{0}")]
    NotFound(String),
    /// 409: the zone or key is owned elsewhere, is a secondary, or is in use.
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but not a valid zone or key.
    #[error("{msg}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// Why.
        msg: String,
    },
    /// 413: the zone is larger than its `maxRecords` / `maxZoneBytes`
    /// (or the server's defaults); nothing was changed.
    #[error("{msg}")]
    TooLarge {
        /// `maxRecords` or `maxZoneBytes`.
        field: String,
        /// Why, with the limit and the count.
        msg: String,
    },
    /// 500: the server failed; nothing was changed unless the message says so.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn invalid((field, msg): defs::FieldError) -> Self {
        ApiError::Invalid { field, msg }
    }
}

/// The definitions under the control lock.
pub struct Inner {
    zones: BTreeMap<Box<[u8]>, ZoneDef>,
    /// By key name (lowercase wire).
    keys: BTreeMap<Box<[u8]>, KeyDef>,
    secondaries: Secondaries,
}

/// Zones and keys defined through the API.
pub struct Control {
    defs: DefsDir,
    data_dir: PathBuf,
    inner: tokio::sync::Mutex<Inner>,
}

/// Lowercase wire apex of a zone name from a path or file, or why not.
pub fn apex_of(name: &str) -> Result<Box<[u8]>, BadZoneName> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let ok_chars = trimmed.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if trimmed.is_empty() || !ok_chars || trimmed.split('.').any(str::is_empty) {
        return Err(BadZoneName::Syntax(name.to_string()));
    }
    crate::lifecycle::primary::apex_of(trimmed).ok_or_else(|| BadZoneName::TooLong(name.to_string()))
}

/// A zone name in a path or a definition that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadZoneName {
    /// Empty, an empty label, or a character names never hold here.
    #[error("{0:?} is not a zone name")]
    Syntax(String),
    /// Over 63 octets in a label or 255 in the name.
    #[error("{0:?} is not a zone name (label or name too long)")]
    TooLong(String),
}

impl Control {
    /// Reads the definitions in `<data_dir>/control/`. A damaged file fails
    /// the start: serving without the zones it lists would lose them.
    pub fn open(data_dir: &Path) -> Result<Control, ControlError> {
        let defs = DefsDir::new(data_dir);
        let mut zones = BTreeMap::new();
        for d in defs.load_zones()? {
            let bad = |why: String| ControlError::Store(format!("{}: zone {:?}: {why}", defs.zones_path().display(), d.name));
            let apex = apex_of(&d.name).map_err(|e| bad(e.to_string()))?;
            d.policy().map_err(|(f, why)| bad(format!("{f}: {why}")))?;
            zones.insert(apex, d);
        }
        let mut keys = BTreeMap::new();
        for k in defs.load_keys()? {
            let key = k.key().map_err(|why| ControlError::Store(format!("{}: key {:?}: {why}", defs.keys_path().display(), k.name)))?;
            keys.insert(key.name.clone(), k);
        }
        let inner = Inner { zones, keys, secondaries: Secondaries::default() };
        Ok(Control { defs, data_dir: data_dir.into(), inner: tokio::sync::Mutex::new(inner) })
    }

    /// The control lock: API changes, and a SIGHUP reload while it holds it.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, Inner> {
        self.inner.lock().await
    }

    /// Stops the API's secondary-zone tasks (after the shutdown token fired).
    pub async fn join(&self) {
        self.inner.lock().await.secondaries.join().await;
    }
}

/// Records `op` and its result as the zone's `lastLoad` (kept on its
/// catalog entry, so it goes when the zone goes).
fn record(rt: &crate::lifecycle::Shared, apex: &[u8], op: &'static str, result: String) {
    if let Some(ctl) = rt.catalog.get(apex) {
        ctl.record(op, result);
    }
}

impl Inner {
    /// `ring` (the config's keys) plus the API's. A config key of the same
    /// name as an API key is dropped with an error: the API defined it first.
    pub fn merge_keys(&self, mut ring: KeyRing) -> KeyRing {
        for k in self.keys.values() {
            if ring.get(&k.name).is_some() {
                tracing::error!(key = %k.name, "TSIG key {:?} is defined both in the config file and through the control API; using the control API's (DELETE /v1/keys/{} to let the config file's take over)", k.name, k.name);
            }
            match k.key() {
                Ok(key) => {
                    ring.insert(key);
                }
                Err(e) => tracing::error!(key = %k.name, error = %e, "control API key unusable"),
            }
        }
        ring
    }

    /// `specs` without the zones the API owns (each skipped with an error).
    pub fn claim<T>(&self, specs: Vec<T>, apex: impl Fn(&T) -> &[u8]) -> Vec<T> {
        specs
            .into_iter()
            .filter(|s| {
                let a = apex(s);
                let owned = self.zones.contains_key(a);
                if owned {
                    tracing::error!(zone = %DisplayName(a), "zone {} is defined both in the config file and through the control API; serving the control API's (DELETE it through the API, then reload, to let the config file's take over)", DisplayName(a));
                }
                !owned
            })
            .collect()
    }

    /// True when the API defined the zone at `apex`.
    pub fn owns(&self, apex: &[u8]) -> bool {
        self.zones.contains_key(apex)
    }
}
