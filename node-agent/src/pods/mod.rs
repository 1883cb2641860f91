//! The pods of this node: a watch on every Pod binds the unscheduled ones
//! here ([`crate::sched`]) and gives each pod bound here a worker
//! ([`worker`]) that runs it; the watch's later versions of a pod go to its
//! worker (deletion, readiness gates), and at shutdown every worker stops
//! its processes.
//!
//! Owns: which worker runs which pod (by UID). Must not: start processes
//! itself or write pod status (the workers do).

pub mod container;
pub mod envsrc;
pub mod launch;
pub mod registry;
pub mod starter;
pub mod state;
pub mod status;
pub mod worker;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::DeleteParams;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, ResourceExt};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub use registry::Registry;
use worker::{grace_of, Ending, NodeCtx};

/// A running worker: where its pod's new versions and its end go.
struct Handle {
    pod: watch::Sender<Pod>,
    end: watch::Sender<Option<(Ending, Duration)>>,
}

impl Handle {
    fn end(&self, why: Ending, grace: Duration) {
        if self.end.borrow().is_none() {
            let _ = self.end.send(Some((why, grace)));
        }
    }
}

/// Watches pods until `shutdown`, then stops every worker and waits for them.
pub async fn run(ctx: NodeCtx, shutdown: CancellationToken) {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let mut events = watcher::watcher(api, watcher::Config::default()).default_backoff().boxed();
    let mut workers: HashMap<String, Handle> = HashMap::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<String>();
    let mut tasks = tokio::task::JoinSet::new();
    let mut listed: Option<HashSet<String>> = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(uid) = done_rx.recv() => {
                workers.remove(&uid);
                while tasks.try_join_next().is_some() {}
            }
            ev = events.next() => match ev {
                None => break,
                Some(Err(e)) => tracing::warn!(error = %e, "pod watch"),
                Some(Ok(Event::Init)) => listed = Some(HashSet::new()),
                Some(Ok(Event::InitApply(p))) => {
                    if let Some(l) = listed.as_mut() { l.insert(p.uid().unwrap_or_default()); }
                    apply(&ctx, p, &mut workers, &done_tx, &mut tasks);
                }
                Some(Ok(Event::InitDone)) => {
                    // Pods deleted while the watch was down.
                    if let Some(l) = listed.take() {
                        for (uid, h) in &workers {
                            if !l.contains(uid) { h.end(Ending::Gone, grace_of(&h.pod.borrow())); }
                        }
                    }
                }
                Some(Ok(Event::Apply(p))) => apply(&ctx, p, &mut workers, &done_tx, &mut tasks),
                Some(Ok(Event::Delete(p))) => {
                    if let Some(h) = workers.get(&p.uid().unwrap_or_default()) {
                        h.end(Ending::Gone, grace_of(&p));
                    }
                }
            }
        }
    }
    tracing::info!(pods = workers.len(), "stopping every pod");
    for h in workers.values() {
        h.end(Ending::Shutdown, grace_of(&h.pod.borrow()));
    }
    while tasks.join_next().await.is_some() {}
}

/// One version of a pod from the watch.
fn apply(ctx: &NodeCtx, pod: Pod, workers: &mut HashMap<String, Handle>, done: &mpsc::UnboundedSender<String>, tasks: &mut tokio::task::JoinSet<()>) {
    if crate::sched::wants_binding(&pod) {
        tokio::spawn(crate::sched::bind(ctx.client.clone(), pod, ctx.node_name.clone(), ctx.events.clone()));
        return;
    }
    if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(ctx.node_name.as_str()) {
        return;
    }
    let uid = pod.uid().unwrap_or_default();
    let deleting = pod.metadata.deletion_timestamp.is_some();
    if let Some(h) = workers.get(&uid) {
        if deleting {
            let grace =
                pod.metadata.deletion_grace_period_seconds.map_or_else(|| grace_of(&pod), |s| Duration::from_secs(u64::try_from(s).unwrap_or(0)));
            h.end(Ending::Deleted, grace);
        }
        let _ = h.pod.send(pod);
        return;
    }
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if deleting {
        // Not ours to run (any more): confirm the deletion as the kubelet does.
        let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default());
        let name = pod.name_any();
        tokio::spawn(async move {
            let _ = api.delete(&name, &DeleteParams::default().grace_period(0)).await;
        });
        return;
    }
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return;
    }
    let (pod_tx, pod_rx) = watch::channel(pod);
    let (end_tx, end_rx) = watch::channel(None);
    workers.insert(uid.clone(), Handle { pod: pod_tx, end: end_tx });
    let (ctx, done) = (ctx.clone(), done.clone());
    tasks.spawn(async move {
        worker::run(ctx, pod_rx, end_rx).await;
        let _ = done.send(uid);
    });
}
