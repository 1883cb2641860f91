//! One pod on this node, from taking it to confirming its deletion: an
//! address, its volumes, its containers started (pods::starter), its status published
//! whenever a container changes (and the readiness gates' conditions), and
//! at the end every process stopped, the pod's directory removed, the
//! address given back and the deletion confirmed (grace 0).
//!
//! Owns: the pod's life on this node. Must not: schedule, or touch another
//! pod's processes.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;

use super::envsrc::fetch as fetch_env;
use super::launch::PodFacts;
use super::registry::{PodEntry, Registry};
use super::starter::Starter;
use super::state::{ContainerView, Run, Shared};
use super::status::{patch, Input, Transitions};
use crate::cli::ImageMap;
use crate::ipam::Allocator;
use crate::process::is_root;
use crate::volumes::{materialise, remove_pod_dirs, PodDirs};

/// How long a status change waits for others to join it.
const COALESCE: Duration = Duration::from_millis(100);

/// What every pod worker shares.
#[derive(Clone)]
pub struct NodeCtx {
    /// The API client.
    pub client: Client,
    /// This node's name.
    pub node_name: String,
    /// The state directory.
    pub state_dir: std::path::PathBuf,
    /// Image → binary.
    pub images: Arc<ImageMap>,
    /// Pod addresses.
    pub ipam: Arc<Mutex<Allocator>>,
    /// The kubelet endpoint's table.
    pub registry: Registry,
    /// How often ConfigMap and Secret volumes are refreshed (and a failed status update retried).
    pub volume_refresh: Duration,
    /// Events about pods.
    pub events: crate::events::Events,
}

/// Why the worker ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The pod is being deleted: stop, clean up, confirm the deletion.
    Deleted,
    /// The object is gone already: stop and clean up.
    Gone,
    /// The agent shuts down: stop the processes, leave the object.
    Shutdown,
}

/// Runs the pod until `end` says why to stop. `pods` carries its latest version.
#[tracing::instrument(skip_all, fields(pod = %format!("{}/{}", pod_ns(&pods.borrow()), pods.borrow().name_any())))]
pub async fn run(ctx: NodeCtx, mut pods: watch::Receiver<Pod>, mut end: watch::Receiver<Option<(Ending, Duration)>>) {
    let pod = pods.borrow().clone();
    let (ns, name, uid) = (pod_ns(&pod), pod.name_any(), pod.uid().unwrap_or_default());
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
    let preferred = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()).and_then(|s| s.parse().ok());
    let allocated = ctx.ipam.lock().unwrap_or_else(|p| p.into_inner()).allocate(&uid, preferred);
    let pod_ip = match allocated {
        Ok(ip) => ip,
        Err(e) => {
            tracing::error!(error = %e, "no address for the pod");
            ended(&mut end).await;
            return;
        }
    };
    let dirs = PodDirs::new(&ctx.state_dir, &uid);
    ctx.registry.insert(&ns, &name, PodEntry { uid: uid.clone(), dirs: dirs.clone(), containers: BTreeMap::new() });
    let views = pod.spec.as_ref().map(|s| ContainerView::all(s, pod.status.as_ref())).unwrap_or_default();
    let shared = Arc::new(Shared::new(views));
    let start_time = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut publisher = Publisher { api: api.clone(), name: name.clone(), pod_ip, start_time, tr: Transitions::default(), last: None };
    tracing::info!(%pod_ip, "taking the pod");
    let latest = pods.borrow().clone();
    publisher.publish(&latest, &shared.snapshot()).await;

    // Volumes first: a container starts only once every volume is there.
    let (stop_tx, stop_rx) = watch::channel(None);
    let ready = prepare(&ctx, &pod, &dirs, &shared, &mut pods, &mut end).await;
    let starter = if ready {
        let objects = fetch_env(&ctx.client, &ns, &pod).await;
        let facts = PodFacts { objects, pod_ip, host_ip: Ipv4Addr::LOCALHOST, node_name: ctx.node_name.clone() };
        let s = Starter { ctx: ctx.clone(), pod: pod.clone(), facts, dirs: dirs.clone(), shared: shared.clone(), stop: stop_rx };
        Some(tokio::spawn(s.run()))
    } else {
        None
    };
    let latest = pods.borrow().clone();
    publisher.publish(&latest, &shared.snapshot()).await;

    let mut refresh = tokio::time::interval(ctx.volume_refresh);
    refresh.tick().await;
    let (ending, grace) = loop {
        tokio::select! {
            _ = shared.changed() => {
                tokio::time::sleep(COALESCE).await;
                let latest = pods.borrow().clone();
                publisher.publish(&latest, &shared.snapshot()).await;
            }
            r = pods.changed() => {
                if r.is_err() { break (Ending::Gone, grace_of(&pod)); }
                let latest = pods.borrow_and_update().clone();
                publisher.publish(&latest, &shared.snapshot()).await;
            }
            _ = refresh.tick() => {
                let latest = pods.borrow().clone();
                if ready {
                    if let Err(e) = materialise(&ctx.client, &ctx.state_dir, &dirs, &latest).await {
                        tracing::warn!(error = %e, "refreshing the volumes");
                    }
                }
                // Also retries a status update that failed.
                publisher.publish(&latest, &shared.snapshot()).await;
            }
            r = ended(&mut end) => break r.unwrap_or((Ending::Gone, grace_of(&pod))),
        }
    };
    tracing::info!(?ending, ?grace, "stopping the pod");
    let _ = stop_tx.send(Some(grace));
    if let Some(s) = starter {
        let _ = s.await;
    }
    if ending != Ending::Shutdown {
        let latest = pods.borrow().clone();
        publisher.publish(&latest, &shared.snapshot()).await;
        remove_pod_dirs(&dirs);
        ctx.ipam.lock().unwrap_or_else(|p| p.into_inner()).release(&uid);
    }
    ctx.registry.remove(&ns, &name, &uid);
    if ending == Ending::Deleted {
        let dp = DeleteParams {
            preconditions: Some(Preconditions { uid: Some(uid.clone()), resource_version: None }),
            ..DeleteParams::default().grace_period(0)
        };
        match api.delete(&name, &dp).await {
            Ok(_) => tracing::info!("deletion confirmed"),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
            Err(e) => tracing::warn!(error = %e, "cannot confirm the deletion"),
        }
    }
}

/// Resolves once the pod must end: why, and with what grace.
async fn ended(end: &mut watch::Receiver<Option<(Ending, Duration)>>) -> Option<(Ending, Duration)> {
    end.wait_for(Option::is_some).await.ok().and_then(|e| *e)
}

/// The pod's termination grace period (default 30 s).
pub fn grace_of(pod: &Pod) -> Duration {
    let s = pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds).unwrap_or(30);
    Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

fn pod_ns(pod: &Pod) -> String {
    pod.namespace().unwrap_or_else(|| "default".into())
}

/// Sets up the volumes, retrying every 5 s while they fail (each failure in
/// the containers' Waiting message). False when the pod ends first, or can
/// never start here (volumes without root).
async fn prepare(
    ctx: &NodeCtx,
    pod: &Pod,
    dirs: &PodDirs,
    shared: &Shared,
    pods: &mut watch::Receiver<Pod>,
    end: &mut watch::Receiver<Option<(Ending, Duration)>>,
) -> bool {
    let n = shared.snapshot().len();
    let wait_all = |reason: &str, msg: String| {
        for i in 0..n {
            let m = msg.clone();
            shared.update(i, |v| v.state = Run::Waiting { reason: reason.into(), message: Some(m) });
        }
    };
    let mounts = pod.spec.as_ref().map(|s| s.containers.iter().any(|c| c.volume_mounts.as_ref().is_some_and(|m| !m.is_empty()))).unwrap_or(false);
    if mounts && !is_root() {
        wait_all("CreateContainerConfigError", "the node agent does not run as root: it cannot mount volumes into a pod".into());
        return false;
    }
    loop {
        match materialise(&ctx.client, &ctx.state_dir, dirs, pod).await {
            Ok(()) => return true,
            Err(e) => {
                tracing::warn!(error = %e, "volumes not ready");
                wait_all("CreateContainerConfigError", e.to_string());
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            r = pods.changed() => if r.is_err() { return false },
            _ = ended(end) => return false,
        }
    }
}

/// Sends the status when it differs from the last one sent.
struct Publisher {
    api: Api<Pod>,
    name: String,
    pod_ip: Ipv4Addr,
    start_time: String,
    tr: Transitions,
    last: Option<serde_json::Value>,
}

impl Publisher {
    async fn publish(&mut self, pod: &Pod, views: &[ContainerView]) {
        let now = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let input = Input { pod, pod_ip: self.pod_ip, host_ip: Ipv4Addr::LOCALHOST, start_time: &self.start_time, containers: views };
        let body = patch(&input, &mut self.tr, &now);
        if self.last.as_ref() == Some(&body) {
            return;
        }
        match self.api.patch_status(&self.name, &PatchParams::default(), &Patch::Strategic(&body)).await {
            Ok(_) => self.last = Some(body),
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => tracing::warn!(error = %e, "cannot update the pod's status"),
        }
    }
}
