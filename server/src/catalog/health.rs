//! Readiness and zone states: is every configured zone being served?
//!
//! Owns: the `/readyz` decision and the state of each zone that `/metrics`
//! counts. Must not: serve HTTP (the control server does) or change any
//! zone; it only reads the transfer catalog (every configured zone, from
//! the config file or the control API) and the served table.
//!
//! ```text
//!  in catalog, served, not expired ─► loaded     ┐
//!  in catalog, served, expired ─────► expired    ┘ ready
//!  secondary, not served ────────────► pending    (no data-dir copy and no transfer yet)
//!  primary, not served ──────────────► failed     (its file did not load)
//!  served but not in the catalog ───► loaded / expired
//! ```
//!
//! An expired secondary is still ready: it was loaded, and taking every
//! replica out of service because the primary is down would not help anyone
//! (its queries get SERVFAIL either way); `ironbind_zones{state="expired"}`
//! is the signal to alert on.

#![forbid(unsafe_code)]

use std::collections::HashSet;

use super::Catalog;
use crate::wire::name::BareName;
use crate::zone::set::ZoneSet;

/// Where one zone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneState {
    /// Served.
    Loaded,
    /// A secondary past EXPIRE: served with SERVFAIL until a refresh succeeds.
    Expired,
    /// A secondary with nothing to serve yet (waiting for its first transfer).
    Pending,
    /// A primary whose data failed to load.
    Failed,
}

impl ZoneState {
    /// Every state, in label order.
    pub const ALL: [ZoneState; 4] = [ZoneState::Loaded, ZoneState::Expired, ZoneState::Pending, ZoneState::Failed];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            ZoneState::Loaded => "loaded",
            ZoneState::Expired => "expired",
            ZoneState::Pending => "pending",
            ZoneState::Failed => "failed",
        }
    }

    /// Whether a zone in this state lets the server be ready.
    pub fn is_ready(self) -> bool {
        matches!(self, ZoneState::Loaded | ZoneState::Expired)
    }
}

/// One zone's name (no trailing dot), state and serial (when served).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneHealth {
    /// `example.com`.
    pub name: String,
    /// Where it stands.
    pub state: ZoneState,
    /// The served serial.
    pub serial: Option<u32>,
}

/// Every configured or served zone, sorted by name.
pub fn zone_states(catalog: &Catalog, zones: &ZoneSet) -> Vec<ZoneHealth> {
    let table = zones.load();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for ctl in catalog.all() {
        seen.insert(ctl.apex.clone());
        let (state, serial) = match table.get(&ctl.apex) {
            Some(s) if s.status.is_expired() => (ZoneState::Expired, Some(s.zone.serial)),
            Some(s) => (ZoneState::Loaded, Some(s.zone.serial)),
            None if ctl.policy().is_secondary() => (ZoneState::Pending, None),
            None => (ZoneState::Failed, None),
        };
        out.push(ZoneHealth { name: BareName(&ctl.apex).to_string(), state, serial });
    }
    for s in table.iter().filter(|s| !seen.contains(&s.zone.origin)) {
        let state = if s.status.is_expired() { ZoneState::Expired } else { ZoneState::Loaded };
        out.push(ZoneHealth { name: BareName(&s.zone.origin).to_string(), state, serial: Some(s.zone.serial) });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Whether every configured zone is ready, and the zones that are not,
/// each as `zone: why`.
pub fn readiness(catalog: &Catalog, zones: &ZoneSet) -> (bool, Vec<String>) {
    let not_ready: Vec<String> = zone_states(catalog, zones)
        .into_iter()
        .filter(|z| !z.state.is_ready())
        .map(|z| match z.state {
            ZoneState::Pending => format!("{}: secondary not transferred yet (no saved copy)", z.name),
            _ => format!("{}: failed to load", z.name),
        })
        .collect();
    (not_ready.is_empty(), not_ready)
}
