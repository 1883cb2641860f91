//! One container's supervisor: starts its process (output to the log
//! file), runs its readiness and liveness probes, restarts it by the pod's
//! restartPolicy with the kubelet's back-off, and stops it (SIGTERM, then
//! SIGKILL after the grace period) when the pod worker says so.
//!
//! Owns: the container's process from start to reaping, and its view.
//! Must not: talk to the API (the pod worker publishes the views).

use std::net::Ipv4Addr;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, ObjectReference, Probe};
use k8s_openapi::jiff::Timestamp;
use tokio::sync::watch;
use tracing::Instrument;

use super::registry::Registry;
use super::state::{Run, Shared};
use crate::backoff::Backoff;
use crate::events::Events;
use crate::exec::ExecContext;
use crate::probe::{self, Target, Timing, Verdict};
use crate::process::{logs, signal, spawn, Spec};
use crate::volumes::PodDirs;

/// Everything a supervisor needs.
pub struct Supervisor {
    /// The container's index in the pod's views.
    pub index: usize,
    /// An init container: ready once it completed, no probes.
    pub init: bool,
    /// The container.
    pub container: Container,
    /// Its process, sandbox included.
    pub spec: Spec,
    /// The pod's namespace, name and UID (for the registry and messages).
    pub pod: (String, String, String),
    /// The pod's address (for probes).
    pub pod_ip: Ipv4Addr,
    /// The pod's directories (logs).
    pub dirs: PodDirs,
    /// Always, OnFailure or Never.
    pub restart_policy: String,
    /// The pod's terminationGracePeriodSeconds (a liveness kill uses it).
    pub grace: Duration,
    /// The views shared with the pod worker.
    pub shared: Arc<Shared>,
    /// The kubelet endpoint's table.
    pub registry: Registry,
    /// `Some(grace)` once the container must stop.
    pub stop: watch::Receiver<Option<Duration>>,
    /// Events about the pod.
    pub events: Events,
    /// The pod, for its events.
    pub pod_ref: ObjectReference,
}

/// How one run ended.
enum End {
    Exited(std::process::ExitStatus),
    Liveness(std::process::ExitStatus, String),
    Stopped(Option<std::process::ExitStatus>),
}

fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Supervisor {
    /// Runs until the container is stopped, or is done by its restart policy.
    #[tracing::instrument(skip_all, fields(pod = %format!("{}/{}", self.pod.0, self.pod.1), container = %self.container.name))]
    pub async fn run(mut self) {
        let exec = Arc::new(ExecContext {
            env: self.spec.env.clone(),
            identity: self.spec.identity.clone(),
            cwd: self.spec.cwd.clone(),
            sandboxed: matches!(self.spec.sandbox, crate::process::Sandbox::Private(_)),
        });
        let mut backoff = Backoff::new();
        let name = self.container.name.clone();
        loop {
            if self.stop.borrow().is_some() {
                return;
            }
            let _ = logs::rotate(&self.dirs.current_log(&name), &self.dirs.previous_log(&name));
            let started = Instant::now();
            let started_at = now();
            let end = match spawn(&self.spec, Stdio::null(), Stdio::piped(), Stdio::piped()) {
                Ok(child) => self.one_run(child, &exec, &started_at).await,
                Err(e) => {
                    tracing::warn!(program = %self.spec.program.display(), error = %e, "cannot start the container");
                    let msg = format!("cannot start {}: {e}", self.spec.program.display());
                    self.events.warning(&self.pod_ref, "Failed", format!("Error: {msg}"));
                    self.shared.update(self.index, |v| {
                        v.state = Run::Waiting { reason: "RunContainerError".into(), message: Some(msg) };
                        v.ready = false;
                    });
                    None
                }
            };
            let finished_at = now();
            let (stopped, exit) = match end {
                None => (false, None),
                Some(End::Exited(st)) => (false, Some((st, None))),
                Some(End::Liveness(st, why)) => (false, Some((st, Some(why)))),
                Some(End::Stopped(st)) => (true, st.map(|s| (s, None))),
            };
            let mut code = 128;
            if let Some((st, msg)) = exit {
                code = st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
                let reason = if code == 0 { "Completed" } else { "Error" };
                let term = Run::Terminated {
                    exit_code: code,
                    signal: st.signal(),
                    reason: reason.into(),
                    message: msg,
                    started_at: started_at.clone(),
                    finished_at,
                };
                tracing::info!(exit_code = code, ran = ?started.elapsed(), "container exited");
                let init = self.init;
                self.shared.update(self.index, |v| {
                    v.state = term.clone();
                    v.last = Some(term);
                    v.ready = init && code == 0;
                    v.pid = None;
                });
            }
            if stopped || self.stop.borrow().is_some() {
                return;
            }
            let restart = match self.restart_policy.as_str() {
                "Never" => false,
                "OnFailure" => code != 0,
                _ => true,
            };
            if !restart {
                return;
            }
            let delay = backoff.after_exit(started.elapsed());
            if !delay.is_zero() {
                let msg =
                    format!("back-off {}s restarting failed container={name} pod={}_{}({})", delay.as_secs(), self.pod.1, self.pod.0, self.pod.2);
                self.events.warning(&self.pod_ref, "BackOff", format!("Back-off restarting failed container {name}"));
                self.shared.update(self.index, |v| v.state = Run::Waiting { reason: "CrashLoopBackOff".into(), message: Some(msg) });
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stopping(&mut self.stop) => return,
                }
            }
            self.shared.update(self.index, |v| v.restart_count += 1);
        }
    }

    /// One run of the process, from spawn to reaping.
    async fn one_run(&mut self, mut child: tokio::process::Child, exec: &Arc<ExecContext>, started_at: &str) -> Option<End> {
        let pid = child.id().unwrap_or(0);
        let name = self.container.name.clone();
        let log = self.dirs.current_log(&name);
        if let Some(out) = child.stdout.take() {
            tokio::spawn(logs::capture(out, "stdout", log.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(logs::capture(err, "stderr", log));
        }
        let (ns, pod, uid) = &self.pod;
        self.registry.set_container(ns, pod, uid, &name, Some(pid), exec.clone());
        let has_readiness = self.container.readiness_probe.is_some() || self.init;
        tracing::info!(pid, program = %self.spec.program.display(), "container started");
        self.events.normal(&self.pod_ref, "Started", format!("Started container {name}"));
        self.shared.update(self.index, |v| {
            v.state = Run::Running { started_at: started_at.into() };
            v.started = true;
            v.ready = !has_readiness;
            v.pid = Some(pid);
        });
        let readiness = self.container.readiness_probe.clone().filter(|_| !self.init).map(|p| {
            let (shared, i, c, ip, ex) = (self.shared.clone(), self.index, self.container.clone(), self.pod_ip, exec.clone());
            let (events, pod_ref) = (self.events.clone(), self.pod_ref.clone());
            tokio::spawn(
                async move {
                    probe_loop(&p, &c, ip, pid, &ex, |ok, why| {
                        if shared.snapshot().get(i).is_some_and(|v| v.ready != ok) {
                            tracing::info!(ready = ok, "readiness changed");
                            if !ok {
                                events.warning(&pod_ref, "Unhealthy", format!("Readiness probe failed: {why}"));
                            }
                            shared.update(i, |v| v.ready = ok);
                        }
                        true
                    })
                    .await
                }
                .instrument(tracing::Span::current()),
            )
        });
        let (live_tx, mut live_rx) = tokio::sync::mpsc::channel::<String>(1);
        let liveness = self.container.liveness_probe.clone().filter(|_| !self.init).map(|p| {
            let (c, ip, ex) = (self.container.clone(), self.pod_ip, exec.clone());
            tokio::spawn(
                async move {
                    probe_loop(&p, &c, ip, pid, &ex, |ok, why| {
                        if !ok {
                            let _ = live_tx.try_send(format!("Liveness probe failed: {why}"));
                        }
                        ok
                    })
                    .await
                }
                .instrument(tracing::Span::current()),
            )
        });
        let end = tokio::select! {
            st = child.wait() => st.ok().map(End::Exited),
            Some(why) = live_rx.recv() => {
                tracing::info!(%why, "liveness failed; restarting the container");
                self.events.warning(&self.pod_ref, "Unhealthy", why.clone());
                self.events.normal(&self.pod_ref, "Killing", format!("Container {name} failed liveness probe, will be restarted"));
                signal::terminate(pid, self.grace, child.wait()).await.ok().map(|st| End::Liveness(st, why))
            }
            grace = stopping(&mut self.stop) => {
                tracing::info!(pid, ?grace, "stopping the container");
                self.events.normal(&self.pod_ref, "Killing", format!("Stopping container {name}"));
                Some(End::Stopped(signal::terminate(pid, grace, child.wait()).await.ok()))
            }
        };
        for t in [readiness, liveness].into_iter().flatten() {
            t.abort();
        }
        self.registry.set_container(ns, pod, uid, &name, None, exec.clone());
        end
    }
}

/// Resolves once the container must stop, with the grace period.
async fn stopping(stop: &mut watch::Receiver<Option<Duration>>) -> Duration {
    stop.wait_for(Option::is_some).await.ok().and_then(|g| *g).unwrap_or_default()
}

/// Checks `p` at its period; hands each verdict (with the last failure) to
/// `on`, and ends when `on` returns false.
async fn probe_loop(p: &Probe, c: &Container, pod_ip: Ipv4Addr, pid: u32, exec: &ExecContext, mut on: impl FnMut(bool, &str) -> bool) {
    let timing = Timing::of(p);
    let mut verdict = Verdict::new(timing);
    tokio::time::sleep(timing.initial_delay).await;
    loop {
        let res = probe::check(p, c, Target { pod_ip, pid, exec }, timing.timeout).await;
        let why = res.as_ref().err().cloned().unwrap_or_default();
        if let Err(e) = &res {
            tracing::debug!(error = %e, "probe failed");
        }
        if let Some(v) = verdict.record(res.is_ok()) {
            if !on(v, &why) {
                return;
            }
        }
        tokio::time::sleep(timing.period).await;
    }
}
