//! Secondary zones: one task per zone that keeps it in step with its
//! primaries on the SOA timers (RFC 1034 §4.3.5, RFC 1035 §3.3.13) and on
//! NOTIFY (RFC 1996 §3.7–3.11).
//!
//! Owns: the zone's lifecycle — load from the data directory, refresh,
//! retry, expire, notify — with one handler per event, the timers (persisted
//! after every attempt, so a restart resumes them, checklist T3), failover
//! between primaries in their configured order (T4), and the set of running
//! tasks ([`Secondaries`]), started, stopped and re-pointed on reload. Each
//! task reports its phase and its last load, transfer or refresh on the
//! zone's catalog entry ([`RefreshStatus`], [`ZoneCtl::record`]) for the
//! control API.
//! Must not: talk DNS itself ([`super::inbound`] does one refresh from one
//! primary) or write files ([`crate::store`]).
//!
//! ```text
//!                 start ── data-dir copy? ──no──► Empty (not served; REFUSED)
//!                   │ yes, serve it at once             │ refresh now; on failure
//!                   ▼                                   │ back off 2 s … 5 min
//!   ┌──────────► Fresh ◄──────── ok ────────────────────┘
//!   │              │ refresh timer (REFRESH − ≤10 % jitter) / NOTIFY
//!   │              ▼
//!   │          Refresh: for each primary in order:
//!   │            SOA ─ newer? ─► IXFR (→ AXFR fallback) ─► commit (journal,
//!   │            data dir, swap)  ·  same or older serial: nothing to do
//!   ├── ok ◄───────┤
//!   │              │ every primary failed
//!   │              ▼
//!   ├── ok ◄── Retrying ── retry timer (RETRY − jitter) / NOTIFY ─► Refresh
//!   │              │ expire timer (last success + EXPIRE)
//!   │              ▼
//!   └── ok ◄── Expired: SERVFAIL for the zone; keeps retrying
//!
//!  ok = last_refresh := now, next := now + REFRESH − jitter,
//!       expire_at := now + EXPIRE, not expired; timers saved.
//!  NOTIFY while a refresh runs: remembered once (tokio Notify permit), so
//!  a burst gives at most one more refresh (checklist N4).
//! ```

#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::inbound::{self, Refreshed, Target};
use super::Shared;
use crate::catalog::{RefreshStatus, Role, ZoneCtl, ZonePolicy};
use crate::store::Timers;
use crate::wire::name::DisplayName;
use crate::xfr::journal::{Journal, JournalLimits};
use crate::zone::Zone;

/// The SOA timer fields of a zone (RFC 1035 §3.3.13), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoaTimers {
    /// Serial.
    pub serial: u32,
    /// REFRESH: how often to check the primary.
    pub refresh: u32,
    /// RETRY: how soon to check again after a failure.
    pub retry: u32,
    /// EXPIRE: how long the data stays good without a successful check.
    pub expire: u32,
}

impl SoaTimers {
    /// The timers of `zone`'s SOA.
    pub fn of(zone: &Zone) -> Option<SoaTimers> {
        Self::parse(zone.soa().rdatas().next()?)
    }

    /// The timers in SOA RDATA (uncompressed).
    pub fn parse(rdata: &[u8]) -> Option<SoaTimers> {
        let s = crate::wire::soa::Soa::parse(rdata)?;
        Some(SoaTimers { serial: s.serial, refresh: s.refresh, retry: s.retry, expire: s.expire })
    }
}

/// One configured secondary zone.
#[derive(Debug, Clone)]
pub struct SecondarySpec {
    /// Name for logs, without the trailing dot.
    pub name: String,
    /// Apex, lowercase wire.
    pub apex: Box<[u8]>,
    /// Primaries and transfer policy.
    pub policy: ZonePolicy,
    /// TSIG key for NOTIFY to targets that name none.
    pub notify_key: Option<String>,
}

/// The running secondary-zone tasks, by apex.
#[derive(Default)]
pub struct Secondaries {
    tasks: HashMap<Box<[u8]>, Task>,
}

struct Task {
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

impl Secondaries {
    /// Stops the tasks of zones whose apex is not in `keep`: they are no
    /// longer served, and their transfer state and files are forgotten.
    /// Returns how many were stopped.
    pub fn retain(&mut self, rt: &Shared, keep: &HashSet<Box<[u8]>>) -> usize {
        let gone: Vec<Box<[u8]>> = self.tasks.keys().filter(|a| !keep.contains(*a)).cloned().collect();
        for apex in &gone {
            if let Some(t) = self.tasks.remove(apex) {
                t.cancel.cancel();
                t.handle.abort();
            }
            rt.zones.remove(apex);
            rt.catalog.remove(apex);
            rt.store.remove(apex);
            tracing::info!(zone = %DisplayName(apex), op = "remove", "secondary zone removed from configuration; no longer served");
        }
        gone.len()
    }

    /// Makes the running tasks match `want`: stops
    /// those of zones no longer wanted ([`retain`](Self::retain)), updates the
    /// policy of the others (new primaries take effect at the next refresh)
    /// and starts the missing ones. Returns how many were started.
    pub fn apply(&mut self, rt: &Arc<Shared>, want: Vec<SecondarySpec>) -> usize {
        let keep = want.iter().map(|s| s.apex.clone()).collect();
        self.retain(rt, &keep);
        let mut started = 0;
        for SecondarySpec { name, apex, policy, notify_key } in want {
            let ctl = rt.catalog.upsert(&apex, policy);
            rt.notifier.set_key(&apex, notify_key);
            if self.tasks.get(&apex).is_some_and(|t| !t.handle.is_finished()) {
                continue;
            }
            let cancel = rt.shutdown.child_token();
            let zone = SecondaryZone { rt: rt.clone(), name, ctl, cancel: cancel.clone() };
            let handle = tokio::spawn(zone.run());
            self.tasks.insert(apex, Task { cancel, handle });
            started += 1;
        }
        started
    }

    /// Waits for every task to end (after the shutdown token fired).
    pub async fn join(&mut self) {
        for (_, t) in self.tasks.drain() {
            t.cancel.cancel();
            let _ = t.handle.await;
        }
    }
}

/// Where a zone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Never loaded: nothing served.
    Empty,
    /// Last refresh succeeded.
    Fresh,
    /// Last refresh failed; still inside EXPIRE.
    Retrying,
    /// EXPIRE passed without a successful refresh: SERVFAIL.
    Expired,
}

impl Phase {
    /// What the control API shows ([`RefreshStatus::phase`]).
    fn label(self) -> &'static str {
        match self {
            Phase::Empty => "empty",
            Phase::Fresh => "ok",
            Phase::Retrying => "retrying",
            Phase::Expired => "expired",
        }
    }
}

/// An event of the zone's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Refresh,
    Retry,
    Expire,
    Notify,
}

/// One secondary zone's task.
struct SecondaryZone {
    rt: Arc<Shared>,
    name: String,
    ctl: Arc<ZoneCtl>,
    cancel: CancellationToken,
}

/// The zone's timers and phase.
struct State {
    phase: Phase,
    timers: Timers,
    /// Consecutive failed refreshes.
    failures: u32,
    /// When the last NOTIFY-triggered refresh started.
    last_notify: Option<tokio::time::Instant>,
}

/// `secs` shortened by up to 10 %, so secondaries of one primary spread out.
fn jitter(secs: u64) -> u64 {
    use std::hash::{BuildHasher, RandomState};
    let r = RandomState::new().hash_one(std::time::SystemTime::now()) % 1000;
    secs - secs * r / 10_000
}

/// Sleeps until the unix time `at`.
async fn sleep_until_unix(at: u64) {
    let wait = at.saturating_sub(crate::clock::unix_now());
    tokio::time::sleep(Duration::from_secs(wait)).await;
}

impl SecondaryZone {
    fn apex(&self) -> &[u8] {
        &self.ctl.apex
    }

    async fn run(self) {
        let mut st = self.start().await;
        loop {
            self.report(&st);
            let expire_at = st.timers.expire_at_unix.filter(|_| matches!(st.phase, Phase::Fresh | Phase::Retrying));
            if let Some(s) = self.rt.zones.load().get(self.apex()) {
                s.status.set_expire_at(expire_at);
            }
            let due = if matches!(st.phase, Phase::Fresh) { Event::Refresh } else { Event::Retry };
            let event = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return,
                _ = self.ctl.refresh.notified() => Event::Notify,
                _ = sleep_until_unix(expire_at.unwrap_or(0)), if expire_at.is_some() => Event::Expire,
                _ = sleep_until_unix(st.timers.next_refresh_unix) => due,
            };
            tracing::debug!(zone = %self.name, op = "refresh", ?event, phase = ?st.phase, "zone event");
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = self.handle(event, &mut st) => {}
            }
        }
    }

    /// Shows the phase to the control API (`GET /v1/zones`).
    fn report(&self, st: &State) {
        self.ctl.set_refresh_status(RefreshStatus { phase: st.phase.label(), failures: st.failures });
    }

    /// One handler per event.
    async fn handle(&self, event: Event, st: &mut State) {
        match event {
            Event::Refresh => self.on_refresh(st).await,
            Event::Retry => self.on_retry(st).await,
            Event::Expire => self.on_expire(st),
            Event::Notify => self.on_notify(st).await,
        }
    }

    /// REFRESH timer: check the primaries.
    async fn on_refresh(&self, st: &mut State) {
        self.refresh(st).await;
    }

    /// RETRY timer (after a failure, while expired, or before the first transfer).
    async fn on_retry(&self, st: &mut State) {
        tracing::debug!(zone = %self.name, op = "retry", failures = st.failures, "zone {}/IN: retrying refresh", self.name);
        self.refresh(st).await;
    }

    /// NOTIFY from a primary: act as if the refresh timer fired (RFC 1996 §3.11),
    /// at most once per `notify_refresh_interval_ms`; NOTIFYs that arrive
    /// while waiting are folded into this refresh (the Notify permit).
    async fn on_notify(&self, st: &mut State) {
        let gap = Duration::from_millis(self.rt.transfer.notify_refresh_interval_ms);
        if let Some(last) = st.last_notify.filter(|t| t.elapsed() < gap) {
            tracing::debug!(zone = %self.name, op = "notify", "zone {}/IN: notify-triggered refresh deferred (notify_refresh_interval_ms)", self.name);
            crate::metrics::events::notify_refresh_deferred();
            tokio::time::sleep_until(last + gap).await;
        }
        st.last_notify = Some(tokio::time::Instant::now());
        tracing::info!(zone = %self.name, op = "notify", "zone {}/IN: notify received; refreshing now", self.name);
        self.refresh(st).await;
    }

    /// Load: serve the data-directory copy at once, resume its timers.
    async fn start(&self) -> State {
        // A zone that just changed type may still have its files being deleted.
        self.rt.store.settled(&self.ctl.apex).await;
        let (store, apex) = (self.rt.store.clone(), self.ctl.apex.clone());
        let saved = tokio::task::spawn_blocking(move || store.load(&apex)).await.unwrap_or_default();
        let now = crate::clock::unix_now();
        let saved = crate::store::roll_forward(&self.name, saved).await;
        let journal = match (saved.journal, &saved.zone) {
            (Some(saved), Some(zone)) if saved.leads_to(zone) => saved,
            (j, _) => {
                let fresh = Journal::new(&self.ctl.apex, JournalLimits::default());
                if j.is_some_and(|j| !j.is_empty()) {
                    // History that does not lead to the saved copy: start it anew on disk too.
                    self.rt.store.save_journal(&fresh);
                }
                fresh
            }
        };
        *self.ctl.journal.lock().unwrap_or_else(|p| p.into_inner()) = journal;
        let Some(zone) = saved.zone else {
            tracing::info!(zone = %self.name, op = "load", "zone {}/IN: no saved copy; transferring from the primaries", self.name);
            let timers = Timers { last_refresh_unix: 0, next_refresh_unix: now, expire_at_unix: None, last_serial: 0 };
            return State { phase: Phase::Empty, timers, failures: 0, last_notify: None };
        };
        let serial = zone.serial;
        let timers = saved.timers.unwrap_or(Timers { last_refresh_unix: 0, next_refresh_unix: now, expire_at_unix: None, last_serial: serial });
        let stale_copy = saved.rolled_forward;
        let status = self.rt.zones.insert(Arc::new(zone));
        if stale_copy {
            self.rt.store.save_served_later(&self.rt.zones, &self.ctl.apex);
        }
        let expired = timers.is_expired(now);
        status.set_expired(expired);
        self.ctl.record("load", if expired { "ok, but expired while the server was down" } else { "ok" });
        let phase = if expired {
            tracing::warn!(zone = %self.name, serial, op = "load", "zone {}/IN: loaded serial {serial} from the data directory, but it expired while we were down; answering SERVFAIL until a refresh succeeds", self.name);
            Phase::Expired
        } else {
            tracing::info!(zone = %self.name, serial, op = "load", refresh_in = timers.refresh_in(now), "zone {}/IN: loaded serial {serial} from the data directory", self.name);
            Phase::Fresh
        };
        let timers = if expired { Timers { next_refresh_unix: now, ..timers } } else { timers };
        State { phase, timers, failures: 0, last_notify: None }
    }

    /// Asks each primary in turn; transfers from the first with a newer serial.
    async fn refresh(&self, st: &mut State) {
        let Role::Secondary { primaries } = self.ctl.policy().role.clone() else {
            st.timers.next_refresh_unix = crate::clock::unix_now() + self.rt.transfer.refresh_max_secs;
            return;
        };
        let target = Target {
            apex: self.ctl.apex.clone(),
            name: self.name.clone(),
            soa_timeout: Duration::from_millis(self.rt.transfer.soa_timeout_ms),
            xfr_timeout: Duration::from_secs(self.rt.transfer.timeout_secs),
            limits: self.ctl.policy().limits(self.rt.transfer.zone_limits()),
        };
        let keys = self.rt.catalog.keys();
        // A manual retransfer (control API): AXFR whatever the serials say.
        let force = self.ctl.force_refresh.swap(false, std::sync::atomic::Ordering::Relaxed);
        let mut last_error = String::from("no primaries");
        for p in &primaries {
            let current = if force { None } else { self.rt.zones.load().get(self.apex()).map(|s| s.zone.clone()) };
            match inbound::refresh_from(&target, p, &keys, current).await {
                Ok(Refreshed::UpToDate { .. }) => return self.on_success(st).await,
                Ok(Refreshed::New(v)) => {
                    let v = *v;
                    let done = v.completed();
                    let diffs = (!v.diffs.is_empty()).then_some(v.diffs);
                    let timers = self.success_timers(&v.zone);
                    let status = match self.rt.store.commit(&self.rt.zones, &self.ctl, v.zone, diffs, Some(timers)).await {
                        Ok(status) => status,
                        Err(e) => {
                            // Not served: a restart must not come back older
                            // than what was answered. Retried on RETRY.
                            last_error = e.to_string();
                            break;
                        }
                    };
                    done.log(&self.name);
                    if status.is_expired() {
                        tracing::info!(zone = %self.name, serial = timers.last_serial, op = "refresh", "zone {}/IN: transferred after expiry; answering again", self.name);
                    }
                    status.set_expired(false);
                    self.rt.notifier.zone_changed(self.apex());
                    self.ctl.record("transfer", "ok");
                    st.timers = timers;
                    st.phase = Phase::Fresh;
                    st.failures = 0;
                    return;
                }
                Err(e) => last_error = format!("{}: {e}", p.addr), // logged; next primary
            }
        }
        self.on_failure(st, &last_error).await;
    }

    /// The timers after a successful refresh that left `zone` served.
    fn success_timers(&self, zone: &Zone) -> Timers {
        let now = crate::clock::unix_now();
        let t = SoaTimers::of(zone).unwrap_or(SoaTimers { serial: zone.serial, refresh: 3600, retry: 600, expire: 604_800 });
        let refresh = self.clamp(t.refresh as u64);
        Timers {
            last_refresh_unix: now,
            next_refresh_unix: now + jitter(refresh),
            expire_at_unix: Some(now + (t.expire as u64).max(1)),
            last_serial: zone.serial,
        }
    }

    /// The primary confirmed our version: restart REFRESH and EXPIRE.
    async fn on_success(&self, st: &mut State) {
        let Some(served) = self.rt.zones.load().get(self.apex()).cloned() else { return };
        if st.phase == Phase::Expired {
            tracing::info!(zone = %self.name, serial = served.zone.serial, op = "refresh", "zone {}/IN: refreshed after expiry; answering again", self.name);
        }
        served.status.set_expired(false);
        self.ctl.record("refresh", "ok");
        st.timers = self.success_timers(&served.zone);
        st.phase = Phase::Fresh;
        st.failures = 0;
        self.save(st).await;
    }

    /// Every primary failed: retry after RETRY (or back off while empty).
    async fn on_failure(&self, st: &mut State, last_error: &str) {
        st.failures += 1;
        self.ctl.record("refresh", format!("failed with every primary ({} in a row); last: {last_error}", st.failures));
        let now = crate::clock::unix_now();
        let wait = match self.rt.zones.load().get(self.apex()).and_then(|s| SoaTimers::of(&s.zone)) {
            Some(t) => jitter(self.clamp(t.retry as u64)),
            None => (self.rt.transfer.refresh_min_secs << st.failures.min(8)).min(300),
        };
        st.timers.next_refresh_unix = now + wait.max(1);
        if st.phase == Phase::Fresh {
            st.phase = Phase::Retrying;
        }
        tracing::warn!(zone = %self.name, op = "retry", failures = st.failures,
            "zone {}/IN: refresh failed with every primary; retrying in {wait} s", self.name);
        if st.phase != Phase::Empty {
            self.save(st).await;
        }
    }

    /// EXPIRE passed without a successful refresh: stop answering for the zone.
    fn on_expire(&self, st: &mut State) {
        if let Some(s) = self.rt.zones.load().get(self.apex()) {
            s.status.set_expired(true);
        }
        st.phase = Phase::Expired;
        tracing::warn!(zone = %self.name, op = "expire", "zone {}/IN: expired; answering SERVFAIL until a refresh succeeds", self.name);
    }

    fn clamp(&self, secs: u64) -> u64 {
        secs.clamp(self.rt.transfer.refresh_min_secs, self.rt.transfer.refresh_max_secs)
    }

    async fn save(&self, st: &State) {
        let (store, apex, t) = (self.rt.store.clone(), self.ctl.apex.clone(), st.timers);
        let _ = tokio::task::spawn_blocking(move || store.save_timers(&apex, &t)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soa_timer_fields() {
        let mut rdata = b"\x03ns1\x00\x0ahostmaster\x00".to_vec();
        for v in [7u32, 5, 2, 20, 300] {
            rdata.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(SoaTimers::parse(&rdata), Some(SoaTimers { serial: 7, refresh: 5, retry: 2, expire: 20 }));
        assert_eq!(SoaTimers::parse(&rdata[..20]), None);
    }

    #[test]
    fn jitter_only_shortens_by_a_tenth() {
        for _ in 0..100 {
            let j = jitter(1000);
            assert!((900..=1000).contains(&j), "{j}");
        }
        assert_eq!(jitter(0), 0);
    }
}
