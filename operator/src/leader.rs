//! Leader election on a `coordination.k8s.io/v1` Lease: only the replica
//! holding the Lease runs the controllers; the others stand by and take over
//! when it is released or expires.
//!
//! ```text
//!            absent / released / expired: create or take over (leaseTransitions + 1)
//!  standby ───────────────────────────────────────────────────────────────▶ leader
//!    │  ▲      (a conflict on resourceVersion: another replica won; stay)     │
//!    │  └─ held by another and fresh: wait a retry period (≤ 2 s)            │ renew every duration/3
//!    │                                                                        │
//!    │ SIGTERM: exit 0                  SIGTERM: stop controllers, release ───┤ exit 0
//!    ▼                                  not renewed for a lease duration, or ─┘ exit ≠ 0
//!  (exit)                               another holder seen: stop, exit ≠ 0 (no split brain)
//! ```
//!
//! A Lease is expired when `renewTime + leaseDurationSeconds < now` (the
//! writer's clock against ours: clocks must agree within a retry period). The
//! leader stops itself once a lease duration has passed since the last
//! renewal it knows succeeded (measured from before that request was sent),
//! which is no later than the moment any other replica may take over.
//!
//! Owns: the decision ([`decide`], pure: the Lease as read, now, me → create,
//! take over, renew or wait), the spec each decision writes ([`next_spec`],
//! [`released`]), the Lease requests (each bounded by [`API_TIMEOUT`]) and the
//! standby/leader loop around the controllers ([`run`]). Must not: know what
//! the controllers do (they are a future it starts and drops), serve HTTP, or
//! exit the process itself (its caller maps the outcome to an exit code).

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::PostParams;
use kube::{Api, Client};
use tokio::time::Instant;

use crate::http::Health;
use crate::metrics;

/// Longest any one request to the API server may take: a hung API server
/// must not freeze renewals past the point where the leader has to stop.
pub const API_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest pause between two attempts of a standby (or after a failed renewal).
const MAX_RETRY: Duration = Duration::from_secs(2);

/// Which Lease, who we are, and for how long a holder keeps it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Lease's name.
    pub name: String,
    /// The Lease's namespace.
    pub namespace: String,
    /// This replica's `holderIdentity`.
    pub identity: String,
    /// `leaseDurationSeconds` (whole seconds, at least one).
    pub duration: Duration,
}

impl Config {
    /// How often the leader renews: a third of the duration.
    pub fn renew_every(&self) -> Duration {
        self.duration / 3
    }

    /// How often a standby tries (and a leader retries a failed renewal): ~2 s,
    /// less for leases shorter than 6 s.
    pub fn retry_every(&self) -> Duration {
        MAX_RETRY.min(self.duration / 3)
    }

    /// How long the election loop may go without a beat before `/healthz` fails.
    pub fn stale_after(&self) -> Duration {
        self.duration * 2 + API_TIMEOUT * 2
    }

    fn seconds(&self) -> i32 {
        i32::try_from(self.duration.as_secs()).unwrap_or(i32::MAX).max(1)
    }

    fn lease(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// What a replica does with the Lease as it read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// There is none: create it, held by us.
    Create,
    /// Released or expired: take it over.
    Acquire,
    /// It is ours: renew it.
    Renew,
    /// Another replica holds it and has renewed it in time.
    Wait {
        /// Its holder.
        holder: String,
    },
}

/// The decision of `me` at `now` about `lease` (`None`: absent). A Lease
/// without `leaseDurationSeconds` (or with one below 1) counts as lasting
/// `default_duration`; one without `renewTime` as renewed at its
/// `acquireTime`, and as expired without either.
pub fn decide(lease: Option<&Lease>, now: Timestamp, me: &str, default_duration: Duration) -> Decision {
    let Some(lease) = lease else { return Decision::Create };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = match spec.holder_identity.as_deref() {
        None | Some("") => return Decision::Acquire,
        Some(h) if h == me => return Decision::Renew,
        Some(h) => h.to_string(),
    };
    if expired(&spec, now, default_duration) {
        Decision::Acquire
    } else {
        Decision::Wait { holder }
    }
}

/// `renewTime + leaseDurationSeconds < now`, with the defaults of [`decide`].
fn expired(spec: &LeaseSpec, now: Timestamp, default_duration: Duration) -> bool {
    let Some(MicroTime(last)) = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()) else { return true };
    let secs = match spec.lease_duration_seconds {
        Some(s) if s >= 1 => i64::from(s),
        _ => i64::try_from(default_duration.as_secs()).unwrap_or(i64::MAX),
    };
    // Past the end of time: never expires.
    last.checked_add(SignedDuration::from_secs(secs)).is_ok_and(|end| end < now)
}

/// The spec `me` writes for `decision` over `old`: holder, duration and
/// renewTime always; acquireTime and leaseTransitions + 1 on a takeover; other
/// fields kept ([`Decision::Wait`] writes nothing: `old` as it is).
pub fn next_spec(old: Option<&LeaseSpec>, decision: &Decision, now: Timestamp, me: &str, duration_secs: i32) -> LeaseSpec {
    let old = old.cloned().unwrap_or_default();
    if let Decision::Wait { .. } = decision {
        return old;
    }
    let transitions = old.lease_transitions.unwrap_or(0).max(0);
    let base =
        LeaseSpec { holder_identity: Some(me.to_string()), lease_duration_seconds: Some(duration_secs), renew_time: Some(MicroTime(now)), ..old };
    match decision {
        Decision::Create => LeaseSpec { acquire_time: Some(MicroTime(now)), lease_transitions: Some(0), ..base },
        Decision::Acquire => LeaseSpec { acquire_time: Some(MicroTime(now)), lease_transitions: Some(transitions.saturating_add(1)), ..base },
        Decision::Renew | Decision::Wait { .. } => {
            LeaseSpec { acquire_time: base.acquire_time.clone().or(Some(MicroTime(now))), lease_transitions: Some(transitions), ..base }
        }
    }
}

/// The spec a leader writes when it steps down: no holder, expired at once
/// (duration 1 s, renewed now), the transitions kept.
pub fn released(old: &LeaseSpec, now: Timestamp) -> LeaseSpec {
    LeaseSpec { holder_identity: None, lease_duration_seconds: Some(1), renew_time: Some(MicroTime(now)), ..old.clone() }
}

/// Why the election stopped other than on a signal.
#[derive(Debug, thiserror::Error)]
pub enum ElectionError {
    /// A request to the API server took longer than its bound.
    #[error("API request timed out after {0:?}")]
    Timeout(Duration),
    /// The Lease changed since it was read: another replica wrote it first.
    #[error("the Lease changed since it was read")]
    Conflict,
    /// The API server refused or failed a request.
    #[error("API request failed: {0}")]
    Api(#[from] kube::Error),
    /// The leader could not renew within a lease duration, or saw another holder.
    #[error("leadership lost (holder now: {})", holder.as_deref().unwrap_or("unknown"))]
    Lost {
        /// The holder seen, if the Lease could be read.
        holder: Option<String>,
    },
    /// The controllers' future ended while leading.
    #[error("the controllers stopped")]
    ControllersStopped,
}

/// The outcome of one attempt on the Lease.
enum Attempt {
    /// We hold it: the Lease as written (its resourceVersion for the next write).
    Leading(Box<Lease>),
    /// Another replica does.
    Held(String),
}

/// The Lease's requests, each bounded, each reporting the API server reached.
struct LeaseLock<'a> {
    api: Api<Lease>,
    cfg: &'a Config,
    health: &'a Health,
}

impl LeaseLock<'_> {
    async fn bounded<T>(&self, limit: Duration, call: impl Future<Output = kube::Result<T>>) -> Result<T, ElectionError> {
        let r = tokio::time::timeout(limit, call).await.map_err(|_| ElectionError::Timeout(limit))?;
        if matches!(r, Ok(_) | Err(kube::Error::Api(_))) {
            self.health.api_reached();
        }
        r.map_err(|e| match e {
            kube::Error::Api(s) if s.code == 409 => ElectionError::Conflict,
            e => ElectionError::Api(e),
        })
    }

    /// Reads the Lease (unless `known`), decides, and writes what the decision asks for.
    async fn attempt(&self, known: Option<Lease>, limit: Duration) -> Result<Attempt, ElectionError> {
        let lease = match known {
            Some(l) => Some(l),
            None => self.bounded(limit, self.api.get_opt(&self.cfg.name)).await?,
        };
        let now = Timestamp::now();
        let decision = decide(lease.as_ref(), now, &self.cfg.identity, self.cfg.duration);
        if let Decision::Wait { holder } = decision {
            return Ok(Attempt::Held(holder));
        }
        let spec = next_spec(lease.as_ref().and_then(|l| l.spec.as_ref()), &decision, now, &self.cfg.identity, self.cfg.seconds());
        let pp = PostParams::default();
        let written = match lease {
            None => {
                let meta = ObjectMeta { name: Some(self.cfg.name.clone()), namespace: Some(self.cfg.namespace.clone()), ..Default::default() };
                self.bounded(limit, self.api.create(&pp, &Lease { metadata: meta, spec: Some(spec) })).await?
            }
            // The metadata read, resourceVersion included: a write in between is a conflict.
            Some(l) => self.bounded(limit, self.api.replace(&self.cfg.name, &pp, &Lease { metadata: l.metadata, spec: Some(spec) })).await?,
        };
        Ok(Attempt::Leading(Box::new(written)))
    }

    /// Steps down: the Lease written as [`released`] if it is still ours.
    async fn release(&self, mut known: Option<Lease>) -> Result<(), ElectionError> {
        let end = Instant::now() + API_TIMEOUT;
        loop {
            let limit = end.saturating_duration_since(Instant::now());
            let lease = match known.take() {
                Some(l) => l,
                None => match self.bounded(limit, self.api.get_opt(&self.cfg.name)).await? {
                    Some(l) => l,
                    None => return Ok(()),
                },
            };
            let spec = lease.spec.clone().unwrap_or_default();
            if spec.holder_identity.as_deref() != Some(self.cfg.identity.as_str()) {
                return Ok(());
            }
            let out = Lease { metadata: lease.metadata, spec: Some(released(&spec, Timestamp::now())) };
            match self.bounded(limit, self.api.replace(&self.cfg.name, &PostParams::default(), &out)).await {
                // Written by someone else meanwhile (a renewal of ours in flight): read again.
                Err(ElectionError::Conflict) => continue,
                r => return r.map(drop),
            }
        }
    }
}

/// Stands by until this replica holds the Lease, runs `controllers` while it
/// does, and returns `Ok` when `shutdown` resolves (the Lease released first
/// if held); an error when leadership is lost or the controllers stop.
pub async fn run<C, F>(client: Client, cfg: &Config, health: &Health, controllers: C, shutdown: impl Future<Output = ()>) -> Result<(), ElectionError>
where
    C: FnOnce() -> F,
    F: Future<Output = ()>,
{
    let lock = LeaseLock { api: Api::namespaced(client, &cfg.namespace), cfg, health };
    let mut shutdown = std::pin::pin!(shutdown);
    let lease_name = cfg.lease();
    metrics::global().set_leader(false);

    // Standby.
    let mut seen: Option<String> = None;
    let (lease, mut valid_until) = loop {
        health.beat();
        let sent = Instant::now();
        match lock.attempt(None, API_TIMEOUT).await {
            Ok(Attempt::Leading(lease)) => break (*lease, sent + cfg.duration),
            Ok(Attempt::Held(holder)) => {
                if seen.as_deref() != Some(holder.as_str()) {
                    tracing::info!(lease = %lease_name, holder = %holder, "standing by");
                    seen = Some(holder);
                }
            }
            Err(ElectionError::Conflict) => tracing::debug!(lease = %lease_name, "another replica wrote the Lease first"),
            Err(e) => tracing::warn!(lease = %lease_name, error = %e, "cannot read or take the Lease"),
        }
        let jitter = Duration::from_millis(rand::random_range(0..=cfg.retry_every().as_millis() as u64 / 5));
        tokio::select! {
            () = tokio::time::sleep(cfg.retry_every() + jitter) => {}
            () = &mut shutdown => {
                tracing::info!(lease = %lease_name, "stopping (standby)");
                return Ok(());
            }
        }
    };

    // Leader.
    let transitions = lease.spec.as_ref().and_then(|s| s.lease_transitions).unwrap_or(0);
    tracing::info!(lease = %lease_name, holder = %cfg.identity, transitions, "became leader");
    metrics::global().set_leader(true);
    let mut known = Some(lease);
    let mut running = Box::pin(controllers());
    let outcome = tokio::select! {
        () = &mut running => Err(ElectionError::ControllersStopped),
        () = &mut shutdown => Ok(()),
        lost = keep(&lock, &mut known, &mut valid_until) => Err(lost),
    };
    drop(running);
    metrics::global().set_leader(false);
    match outcome {
        Err(ElectionError::Lost { holder }) => {
            let holder = holder.unwrap_or_else(|| "unknown".into());
            tracing::error!(lease = %lease_name, holder = %holder, "lost leadership: controllers stopped");
            Err(ElectionError::Lost { holder: Some(holder) })
        }
        outcome => {
            match lock.release(known).await {
                Ok(()) => tracing::info!(lease = %lease_name, holder = %cfg.identity, "released the Lease"),
                Err(e) => tracing::warn!(lease = %lease_name, error = %e, "could not release the Lease: it expires on its own"),
            }
            outcome
        }
    }
}

/// Renews the Lease (`known`: as last written, else read again) until it
/// cannot: returns when a lease duration passed without a renewal that is
/// known to have succeeded, or when another holder is seen.
async fn keep(lock: &LeaseLock<'_>, known: &mut Option<Lease>, valid_until: &mut Instant) -> ElectionError {
    let cfg = lock.cfg;
    let mut next = Instant::now() + cfg.renew_every();
    loop {
        tokio::time::sleep_until(next.min(*valid_until)).await;
        lock.health.beat();
        let sent = Instant::now();
        let left = valid_until.saturating_duration_since(sent);
        if left.is_zero() {
            return ElectionError::Lost { holder: None };
        }
        match lock.attempt(known.take(), left.min(API_TIMEOUT)).await {
            Ok(Attempt::Leading(lease)) => {
                *known = Some(*lease);
                *valid_until = sent + cfg.duration;
                next = sent + cfg.renew_every();
            }
            Ok(Attempt::Held(holder)) => return ElectionError::Lost { holder: Some(holder) },
            Err(e) => {
                tracing::warn!(lease = %cfg.lease(), error = %e, left = ?valid_until.saturating_duration_since(Instant::now()), "renewing the Lease failed");
                next = Instant::now() + cfg.retry_every();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Duration = Duration::from_secs(15);

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn lease(holder: Option<&str>, renew: Option<&str>, secs: Option<i32>) -> Lease {
        Lease {
            metadata: ObjectMeta { name: Some("ironbind-operator".into()), resource_version: Some("7".into()), ..Default::default() },
            spec: Some(LeaseSpec {
                holder_identity: holder.map(Into::into),
                renew_time: renew.map(|r| MicroTime(t(r))),
                lease_duration_seconds: secs,
                lease_transitions: Some(3),
                ..Default::default()
            }),
        }
    }

    fn wait(holder: &str) -> Decision {
        Decision::Wait { holder: holder.into() }
    }

    const NOW: &str = "2025-01-01T00:00:10Z";

    #[test]
    fn an_absent_lease_is_created() {
        assert_eq!(decide(None, t(NOW), "me", DEFAULT), Decision::Create);
    }

    #[test]
    fn a_fresh_lease_of_another_is_waited_for() {
        let l = lease(Some("other"), Some("2025-01-01T00:00:05Z"), Some(15));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("other"));
    }

    #[test]
    fn an_expired_lease_is_taken_over() {
        let l = lease(Some("other"), Some("2025-01-01T00:00:05Z"), Some(3));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), Decision::Acquire);
    }

    #[test]
    fn a_released_lease_is_taken_over_at_once() {
        for holder in [None, Some("")] {
            let l = lease(holder, Some(NOW), Some(15));
            assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), Decision::Acquire, "holder {holder:?}");
        }
        let fresh_release =
            Lease { spec: Some(released(lease(Some("other"), Some(NOW), Some(15)).spec.as_ref().unwrap(), t(NOW))), ..lease(None, None, None) };
        assert_eq!(decide(Some(&fresh_release), t(NOW), "me", DEFAULT), Decision::Acquire);
    }

    #[test]
    fn our_own_lease_is_renewed_even_when_expired() {
        let l = lease(Some("me"), Some(NOW), Some(15));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), Decision::Renew);
        let l = lease(Some("me"), Some("2024-01-01T00:00:00Z"), Some(15));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), Decision::Renew, "nobody took it: still ours");
        let l = lease(Some("me-2"), Some(NOW), Some(15));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("me-2"), "a prefix is another identity");
    }

    #[test]
    fn the_clock_edges() {
        // renewTime + duration == now: not yet expired (strictly less than now is).
        let l = lease(Some("other"), Some("2025-01-01T00:00:07Z"), Some(3));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("other"));
        let l = lease(Some("other"), Some("2025-01-01T00:00:06.999999Z"), Some(3));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), Decision::Acquire, "one microsecond past");
        // Renewed "in the future" (the holder's clock ahead of ours): held.
        let l = lease(Some("other"), Some("2025-01-01T00:01:00Z"), Some(3));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("other"));
        // A duration past the end of time never expires.
        let l = lease(Some("other"), Some("9999-12-01T00:00:00Z"), Some(i32::MAX));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("other"));
    }

    #[test]
    fn missing_fields_take_defaults() {
        // No duration, or a nonsensical one: ours (15 s), so renewed 10 s ago is fresh.
        for secs in [None, Some(0), Some(-5)] {
            let l = lease(Some("other"), Some("2025-01-01T00:00:00Z"), secs);
            assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("other"), "duration {secs:?}");
            assert_eq!(decide(Some(&l), t(NOW), "me", Duration::from_secs(5)), Decision::Acquire, "duration {secs:?}");
        }
        // No renewTime: the acquireTime counts; neither: expired.
        let mut l = lease(Some("other"), None, Some(15));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), Decision::Acquire);
        l.spec.as_mut().unwrap().acquire_time = Some(MicroTime(t("2025-01-01T00:00:09Z")));
        assert_eq!(decide(Some(&l), t(NOW), "me", DEFAULT), wait("other"));
        // No spec at all: nobody holds it.
        let empty = Lease { metadata: ObjectMeta::default(), spec: None };
        assert_eq!(decide(Some(&empty), t(NOW), "me", DEFAULT), Decision::Acquire);
    }

    #[test]
    fn what_each_decision_writes() {
        let now = t(NOW);
        let c = next_spec(None, &Decision::Create, now, "me", 15);
        assert_eq!(c.holder_identity.as_deref(), Some("me"));
        assert_eq!((c.lease_duration_seconds, c.lease_transitions), (Some(15), Some(0)));
        assert_eq!((c.acquire_time.clone(), c.renew_time.clone()), (Some(MicroTime(now)), Some(MicroTime(now))));

        let mut old = lease(Some("other"), Some("2025-01-01T00:00:00Z"), Some(3)).spec.unwrap();
        old.acquire_time = Some(MicroTime(t("2025-01-01T00:00:00Z")));
        old.preferred_holder = Some("kept".into());
        let a = next_spec(Some(&old), &Decision::Acquire, now, "me", 15);
        assert_eq!(a.holder_identity.as_deref(), Some("me"));
        assert_eq!((a.lease_duration_seconds, a.lease_transitions), (Some(15), Some(4)), "a takeover counts");
        assert_eq!(a.acquire_time, Some(MicroTime(now)));
        assert_eq!(a.preferred_holder.as_deref(), Some("kept"), "fields it does not own are kept");

        let r = next_spec(Some(&a), &Decision::Renew, t("2025-01-01T00:00:15Z"), "me", 15);
        assert_eq!(r.acquire_time, Some(MicroTime(now)), "a renewal keeps the acquire time");
        assert_eq!(r.renew_time, Some(MicroTime(t("2025-01-01T00:00:15Z"))));
        assert_eq!(r.lease_transitions, Some(4), "a renewal is no transition");

        assert_eq!(next_spec(Some(&a), &wait("other"), now, "me", 15), a, "waiting writes nothing");
        let mut neg = old.clone();
        neg.lease_transitions = Some(-2);
        assert_eq!(next_spec(Some(&neg), &Decision::Acquire, now, "me", 15).lease_transitions, Some(1));
    }

    #[test]
    fn a_released_lease_has_no_holder_and_is_expired() {
        let old = next_spec(None, &Decision::Create, t("2025-01-01T00:00:00Z"), "me", 15);
        let r = released(&old, t(NOW));
        assert_eq!(r.holder_identity, None);
        assert_eq!(r.lease_transitions, Some(0), "kept");
        assert!(expired(&r, t("2025-01-01T00:00:11.000001Z"), DEFAULT), "and expired a second later in any case");
    }

    #[test]
    fn the_periods_follow_the_duration() {
        let cfg = |s| Config { name: "l".into(), namespace: "n".into(), identity: "me".into(), duration: Duration::from_secs(s) };
        assert_eq!((cfg(15).renew_every(), cfg(15).retry_every()), (Duration::from_secs(5), Duration::from_secs(2)));
        assert_eq!((cfg(3).renew_every(), cfg(3).retry_every()), (Duration::from_secs(1), Duration::from_secs(1)));
        assert_eq!(cfg(0).seconds(), 1);
    }
}
