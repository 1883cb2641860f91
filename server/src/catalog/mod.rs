//! Per-zone transfer state that is not part of a snapshot: the zone's role and
//! policy (who may transfer, whom to notify, which primaries), its IXFR
//! journal, the wake-up for its refresh task, and what the control API shows
//! of its last load and refresh ([`ZoneEvent`], [`RefreshStatus`]); plus the
//! TSIG key ring.
//!
//! Owns: the catalog shared by the request layer (AXFR/IXFR out, NOTIFY in)
//! and the runtime (reload, refresh tasks, NOTIFY out).
//! Must not: do I/O. Reads are rare (transfers, NOTIFY), so plain locks do;
//! nothing here is on the query path.

pub mod health;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};

use arc_swap::ArcSwap;

use crate::acl::Acl;
use crate::tsig::{KeyRing, ReplayGuard};
use crate::xfr::journal::{Journal, JournalLimits};

/// A remote server: a primary to transfer from, or a NOTIFY target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// Address and port.
    pub addr: SocketAddr,
    /// TSIG key name to sign with, when set.
    pub key: Option<String>,
    /// Local address to send from (T4: per-primary transfer source); the
    /// system picks one when `None`.
    pub source: Option<IpAddr>,
}

/// Whether we are the source of a zone or copy it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Role {
    /// We hold the master copy (zone file or control API).
    #[default]
    Primary,
    /// We transfer the zone from these primaries, in order of preference.
    Secondary {
        /// The primaries.
        primaries: Vec<Remote>,
    },
}

/// Transfer and NOTIFY policy of one zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZonePolicy {
    /// Primary or secondary.
    pub role: Role,
    /// Clients allowed to AXFR/IXFR by address. Empty: nobody by address.
    pub allow_transfer: Acl,
    /// TSIG keys whose holders may transfer, from any address.
    pub allow_transfer_keys: Vec<String>,
    /// Extra addresses allowed to NOTIFY us (secondaries); primaries always may.
    pub allow_notify: Acl,
    /// Servers to NOTIFY on every serial change, besides the zone's NS.
    pub also_notify: Vec<Remote>,
    /// Also NOTIFY the addresses of the zone's NS names found in the zone
    /// (RFC 1996 §3.3), except our own listen addresses.
    pub notify_ns: bool,
    /// TSIG keys whose holders may send dynamic updates (RFC 2136) to a
    /// primary zone. Empty: updates are refused.
    pub allow_update: Vec<String>,
    /// Records the zone may hold; the server's default when `None`.
    pub max_records: Option<u64>,
    /// Uncompressed wire octets the zone may hold; the server's default when `None`.
    pub max_zone_bytes: Option<u64>,
}

impl ZonePolicy {
    /// True when the zone is a secondary.
    pub fn is_secondary(&self) -> bool {
        matches!(self.role, Role::Secondary { .. })
    }

    /// The zone's size limits: its own, else `defaults` (`[transfer]`).
    pub fn limits(&self, defaults: crate::zone::limits::ZoneLimits) -> crate::zone::limits::ZoneLimits {
        defaults.with(self.max_records, self.max_zone_bytes)
    }

    /// True when `ip` is one of the zone's primaries.
    pub fn is_primary_addr(&self, ip: IpAddr) -> bool {
        match &self.role {
            Role::Secondary { primaries } => primaries.iter().any(|p| same_ip(p.addr.ip(), ip)),
            Role::Primary => false,
        }
    }
}

/// Who sent a NOTIFY, as [`ZonePolicy::notify_from`] judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifySource {
    /// A primary (signed with its key when it has one), or an `allow_notify` address.
    Allowed,
    /// Neither a primary nor listed in `allow_notify`.
    Stranger,
    /// The address is a primary configured with this key (`@KEY`), and the
    /// NOTIFY was not signed with it.
    KeyRequired(String),
}

impl ZonePolicy {
    /// Whether a NOTIFY from `ip`, signed with `key` (a verified TSIG key
    /// name) or unsigned, may start a refresh. A primary configured with a
    /// key (`addr@KEY`) is only believed when the NOTIFY is signed with that
    /// key: its address alone is easy to spoof over UDP. Primaries without
    /// a key, and the `allow_notify` addresses, are believed by address.
    pub fn notify_from(&self, ip: IpAddr, key: Option<&str>) -> NotifySource {
        let Role::Secondary { primaries } = &self.role else { return NotifySource::Stranger };
        let mut keyed = None;
        for p in primaries.iter().filter(|p| same_ip(p.addr.ip(), ip)) {
            match &p.key {
                None => return NotifySource::Allowed,
                Some(k) if key.is_some_and(|s| same_key(s, k)) => return NotifySource::Allowed,
                Some(k) => keyed = Some(k.clone()),
            }
        }
        match keyed {
            Some(k) => NotifySource::KeyRequired(k),
            None if self.allow_notify.matches(ip) => NotifySource::Allowed,
            None => NotifySource::Stranger,
        }
    }
}

/// Key names compare ignoring case and a trailing dot (RFC 8945 §4.2).
fn same_key(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let norm = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    norm(a) == norm(b)
}

/// The last load, reload, transfer, refresh or edit of a zone, as the
/// control API shows it (`lastLoad`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ZoneEvent {
    /// `load`, `reload`, `put`, `transfer` or `refresh`.
    pub op: &'static str,
    /// Unix time, seconds.
    pub time: u64,
    /// `ok`, or what failed.
    pub result: String,
}

/// Where a secondary's refresh task stands, as it last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshStatus {
    /// `empty` (never transferred), `ok`, `retrying` (the last refresh
    /// failed, EXPIRE not reached) or `expired`.
    pub phase: &'static str,
    /// Consecutive failed refreshes.
    pub failures: u32,
}

/// Transfer state of one zone.
#[derive(Debug)]
pub struct ZoneCtl {
    /// Apex, lowercase wire.
    pub apex: Box<[u8]>,
    policy: ArcSwap<ZonePolicy>,
    /// Differences between recent versions, for IXFR out.
    pub journal: Mutex<Journal>,
    /// Woken by NOTIFY and by manual refresh requests.
    pub refresh: tokio::sync::Notify,
    /// Set with a manual retransfer request: the next refresh transfers the
    /// whole zone even when the primary's serial is not newer.
    pub force_refresh: std::sync::atomic::AtomicBool,
    last_event: Mutex<Option<ZoneEvent>>,
    refresh_status: Mutex<Option<RefreshStatus>>,
}

impl ZoneCtl {
    /// The current policy.
    pub fn policy(&self) -> Arc<ZonePolicy> {
        self.policy.load_full()
    }

    /// Replaces the policy.
    pub fn set_policy(&self, p: ZonePolicy) {
        self.policy.store(Arc::new(p));
    }

    /// Records the zone's latest load, reload, transfer, refresh or edit.
    pub fn record(&self, op: &'static str, result: impl Into<String>) {
        let time = crate::clock::unix_now();
        *self.last_event.lock().unwrap_or_else(|p| p.into_inner()) = Some(ZoneEvent { op, time, result: result.into() });
    }

    /// The latest [`record`](Self::record)ed event.
    pub fn last_event(&self) -> Option<ZoneEvent> {
        self.last_event.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sets what the refresh task reports.
    pub fn set_refresh_status(&self, s: RefreshStatus) {
        *self.refresh_status.lock().unwrap_or_else(|p| p.into_inner()) = Some(s);
    }

    /// What the refresh task last reported (`None`: no task, or not started).
    pub fn refresh_status(&self) -> Option<RefreshStatus> {
        *self.refresh_status.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// All zones' transfer state and the TSIG keys.
#[derive(Debug, Default)]
pub struct Catalog {
    zones: RwLock<HashMap<Box<[u8]>, Arc<ZoneCtl>>>,
    keys: ArcSwap<KeyRing>,
    /// Signed UPDATEs seen within the fudge window (replays are refused).
    replay: ReplayGuard,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state of the zone at `apex`.
    pub fn get(&self, apex: &[u8]) -> Option<Arc<ZoneCtl>> {
        self.zones.read().unwrap_or_else(|p| p.into_inner()).get(apex).cloned()
    }

    /// Adds the zone or updates its policy; its journal is kept.
    pub fn upsert(&self, apex: &[u8], policy: ZonePolicy) -> Arc<ZoneCtl> {
        let mut z = self.zones.write().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = z.get(apex) {
            c.set_policy(policy);
            return c.clone();
        }
        let c = Arc::new(ZoneCtl {
            apex: apex.into(),
            policy: ArcSwap::from_pointee(policy),
            journal: Mutex::new(Journal::new(apex, JournalLimits::default())),
            refresh: tokio::sync::Notify::new(),
            force_refresh: Default::default(),
            last_event: Mutex::new(None),
            refresh_status: Mutex::new(None),
        });
        z.insert(apex.into(), c.clone());
        c
    }

    /// Forgets the zone.
    pub fn remove(&self, apex: &[u8]) -> Option<Arc<ZoneCtl>> {
        self.zones.write().unwrap_or_else(|p| p.into_inner()).remove(apex)
    }

    /// Every zone's state.
    pub fn all(&self) -> Vec<Arc<ZoneCtl>> {
        self.zones.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// The TSIG keys.
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.load_full()
    }

    /// The signed requests that changed state within the fudge window.
    pub fn replay_guard(&self) -> &ReplayGuard {
        &self.replay
    }

    /// Replaces the TSIG keys.
    pub fn set_keys(&self, keys: KeyRing) {
        self.keys.store(Arc::new(keys));
    }
}
