//! The `Bind9Instance` controller: keeps the children of [`super::children`]
//! as built (writing only what differs: [`crate::apply`]), keeps the
//! control-API token it made first, opens each pod's readiness gate once the
//! pod serves its zones ([`super::gate`]), and writes the instance's status.
//! A finalizer stops the instance's servers before the instance goes.
//!
//! Owns: one reconcile of one instance, and the watches that trigger it (the
//! instances, the children they own, and their pods: a deleted or edited
//! child is put back, a new pod is looked at as soon as it runs). Must not:
//! build objects itself (`children` does) or decide zone content (the
//! DNSZone controller does).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use kube::api::{ListParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{finalizer, Error as FinalizerError, Event as Finalized};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::json;

use super::children::{self, Parent};
use super::{gate, render};
use crate::apply::{self, Outcome};
use crate::events::Events;
use crate::metrics;
use crate::placement as select;
use ironbind_crds::v1alpha1::{Bind9Instance, DNSZone};

/// The kind, as metrics and logs name it.
pub const KIND: &str = "Bind9Instance";
/// The finalizer that stops an instance's servers before the instance goes.
pub const FINALIZER: &str = "bindy.firestoned.io/bind9instance-finalizer";
/// How long a deleted instance waits for its Deployment to go before its finalizer is released anyway.
const CLEANUP_GRACE: Duration = Duration::from_secs(60);

/// What a reconcile needs.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Event publisher.
    pub events: Events,
}

/// Why a reconcile failed (retried with back-off).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The API server refused or failed a request.
    #[error("API request failed: {0}")]
    Api(#[from] kube::Error),
    /// The instance has no namespace or UID (never for a stored object).
    #[error("instance without {0}")]
    Incomplete(&'static str),
    /// Cleanup waits for the instance's Deployment to go.
    #[error("waiting for {0} to be deleted")]
    Waiting(String),
    /// Adding or removing the finalizer failed.
    #[error("finalizer: {0}")]
    Finalizer(String),
}

/// Runs the controller until the stream ends.
pub async fn run(client: Client) {
    let instances: Api<Bind9Instance> = Api::all(client.clone());
    let cfg = watcher::Config::default();
    let managed = watcher::Config::default().labels("app.kubernetes.io/managed-by=ironbind-operator");
    let ctx = Arc::new(Context { client: client.clone(), events: Events::new(client.clone()) });
    let controller = Controller::new(instances, cfg.clone());
    // A zone added, changed or served somewhere wakes the instances it selects (their gates).
    let store = controller.store();
    controller
        .watches(Api::<DNSZone>::all(client.clone()), cfg.clone(), move |z: DNSZone| {
            store.state().iter().filter(|i| select::selects(&z, i)).map(|i| ObjectRef::from_obj(&**i)).collect::<Vec<_>>()
        })
        .owns(Api::<Deployment>::all(client.clone()), managed.clone())
        .owns(Api::<Service>::all(client.clone()), managed.clone())
        .owns(Api::<ConfigMap>::all(client.clone()), managed.clone())
        .owns(Api::<Secret>::all(client.clone()), managed.clone())
        .watches(Api::<Pod>::all(client), managed, |pod: Pod| {
            let ns = pod.namespace();
            pod.labels().get("instance").cloned().zip(ns).map(|(name, ns)| ObjectRef::<Bind9Instance>::new(&name).within(&ns))
        })
        .run(reconcile, error_policy, ctx)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(kind = KIND, error = %e, "reconcile failed");
            }
        })
        .await;
}

fn error_policy(inst: Arc<Bind9Instance>, e: &ReconcileError, _: Arc<Context>) -> Action {
    tracing::warn!(kind = KIND, name = %inst.name_any(), error = %e, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(5))
}

/// One reconcile, timed and counted: the finalizer's apply or cleanup.
pub async fn reconcile(inst: Arc<Bind9Instance>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let ns = inst.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let api: Api<Bind9Instance> = Api::namespaced(ctx.client.clone(), &ns);
    let span = tracing::info_span!("reconcile", kind = KIND, namespace = %ns, name = %inst.name_any());
    let _g = span.enter();
    if inst.meta().deletion_timestamp.is_none() && !inst.finalizers().iter().any(|f| f == FINALIZER) {
        metrics::global().api_write(KIND, "finalizer");
    }
    let r = finalizer(&api, FINALIZER, inst, |ev| async {
        match ev {
            Finalized::Apply(i) => apply_instance(i, &ctx).await,
            Finalized::Cleanup(i) => cleanup(i, &ctx).await,
        }
    })
    .await;
    let r = match r {
        Ok(a) => Ok(a),
        Err(FinalizerError::ApplyFailed(e)) => Err(e),
        Err(FinalizerError::CleanupFailed(ReconcileError::Waiting(what))) => {
            tracing::info!(waiting_for = %what, "cleanup waits");
            Ok(Action::requeue(Duration::from_secs(1)))
        }
        Err(FinalizerError::CleanupFailed(e)) => Err(e),
        Err(e) => Err(ReconcileError::Finalizer(e.to_string())),
    };
    metrics::global().reconciled(KIND, started.elapsed(), r.is_ok());
    r
}

/// The instance exists: children as built, gates, status.
async fn apply_instance(inst: Arc<Bind9Instance>, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = inst.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let name = inst.name_any();
    let uid = inst.uid().ok_or(ReconcileError::Incomplete("uid"))?;
    let p = Parent { instance: &inst, name: &name, namespace: &ns, uid: &uid };
    let unsupported = render::unsupported(&inst.spec);
    let mut changed: Vec<(&str, Outcome)> = Vec::new();

    // The token is made once and kept: a new one would lock the operator out of running pods.
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let token = match secrets.get_opt(&format!("{name}-control")).await? {
        Some(s) => s.data.and_then(|d| d.get(render::TOKEN_KEY).map(|b| String::from_utf8_lossy(&b.0).into_owned())),
        None => None,
    }
    .unwrap_or_else(new_token);
    let (_, o) = apply::ensure(&secrets, children::token_secret(&p, &token)).await?;
    changed.push(("Secret", o));

    // A config ironbind cannot honour is not written: the pods keep the last good one.
    if let Ok(cm) = children::config_map(&p) {
        let (_, o) = apply::ensure(&Api::<ConfigMap>::namespaced(ctx.client.clone(), &ns), cm).await?;
        changed.push(("ConfigMap", o));
    }
    let (d, o) = apply::ensure(&Api::<Deployment>::namespaced(ctx.client.clone(), &ns), children::deployment(&p)).await?;
    changed.push(("Deployment", o));
    let (_, o) = apply::ensure(&Api::<Service>::namespaced(ctx.client.clone(), &ns), children::service(&p)).await?;
    changed.push(("Service", o));
    announce(ctx, &inst, &changed).await;

    // Gates: every running pod is asked what it serves.
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
    let selector = p.selector().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let listed = pods.list(&ListParams::default().labels(&selector)).await?.items;
    let zones = Api::<DNSZone>::namespaced(ctx.client.clone(), &ns).list(&ListParams::default()).await?.items;
    let assigned = select::assigned(&inst, &zones);
    let mut unreachable = false;
    for pod in &listed {
        match gate::sync(&pods, pod, &token, &assigned).await? {
            gate::Change::None => {}
            gate::Change::Set(open, why) => {
                let note = format!("pod {}: {why}; readiness gate {}", pod.name_any(), if open { "open" } else { "closed" });
                if open {
                    ctx.events.normal(&*inst, "ZonesLoaded", "OpenGate", note).await;
                } else {
                    ctx.events.warning(&*inst, "ZonesMissing", "CloseGate", note).await;
                }
            }
            gate::Change::Unreachable(why) => {
                tracing::debug!(pod = %pod.name_any(), %why, "pod's control API not answering yet");
                unreachable |= pod.status.as_ref().and_then(|s| s.pod_ip.as_ref()).is_some();
            }
        }
    }

    let mut pod_ips: Vec<String> = listed.iter().filter_map(|pod| pod.status.as_ref().and_then(|s| s.pod_ip.clone())).collect();
    pod_ips.sort();
    let want = inst.spec.replicas;
    let ready = d.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
    let ignored = render::ignored_fields(&inst.spec);
    let (status, reason, mut message) = if let Some(u) = unsupported.first() {
        ("False", "Unsupported", u.to_string())
    } else if ready >= want {
        ("True", "AllReplicasReady", format!("{ready}/{want} replicas ready"))
    } else {
        ("False", "ReplicasNotReady", format!("{ready}/{want} replicas ready"))
    };
    if !ignored.is_empty() {
        message.push_str(&format!("; BIND-only settings accepted and ignored: {}", ignored.join(", ")));
    }
    let prev = apply::transition(inst.status.as_ref().map(|s| &s.conditions[..]).unwrap_or_default(), "Ready", status);
    let body = json!({
        "observedGeneration": inst.metadata.generation,
        "role": inst.resolved_role().as_str(),
        "cluster": inst.resolved_cluster(),
        "replicas": want,
        "readyReplicas": ready,
        "podIps": pod_ips,
        "conditions": [{
            "type": "Ready",
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": prev.since,
            "observedGeneration": inst.metadata.generation,
        }],
    });
    let api: Api<Bind9Instance> = Api::namespaced(ctx.client.clone(), &ns);
    if apply::status(&api, &*inst, body).await? && prev.reason.as_deref() != Some(reason) {
        match reason {
            "Unsupported" => ctx.events.warning(&*inst, "Unsupported", "Reconcile", message).await,
            "AllReplicasReady" => ctx.events.normal(&*inst, "Ready", "Reconcile", message).await,
            _ if prev.status.as_deref() == Some("True") => ctx.events.warning(&*inst, "NotReady", "Reconcile", message).await,
            _ => {}
        }
    }
    // A pod that runs but does not answer yet is asked again soon; otherwise the watches wake us.
    Ok(Action::requeue(Duration::from_secs(if unreachable { 2 } else { 300 })))
}

/// Events for children created or put back.
async fn announce(ctx: &Context, inst: &Bind9Instance, changed: &[(&str, Outcome)]) {
    let of = |o: Outcome| changed.iter().filter(|(_, x)| *x == o).map(|(k, _)| *k).collect::<Vec<_>>();
    let created = of(Outcome::Created);
    let updated = of(Outcome::Updated);
    if !created.is_empty() {
        ctx.events.normal(inst, "Created", "Apply", format!("created {}", created.join(", "))).await;
    }
    if !updated.is_empty() {
        ctx.events.normal(inst, "Updated", "Apply", format!("brought back to the desired state: {}", updated.join(", "))).await;
    }
}

/// The instance is being deleted: its Deployment goes first (the servers
/// stop), then the finalizer is released and the garbage collector takes the rest.
async fn cleanup(inst: Arc<Bind9Instance>, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = inst.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let name = inst.name_any();
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &ns);
    let Some(d) = deployments.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    let since = inst.meta().deletion_timestamp.as_ref().map(|t| t.0);
    let waited = since.map(|t| k8s_openapi::jiff::Timestamp::now().duration_since(t).unsigned_abs()).unwrap_or_default();
    if waited > CLEANUP_GRACE {
        ctx.events
            .warning(
                &*inst,
                "CleanupTimeout",
                "Delete",
                format!("Deployment {name} still there after {CLEANUP_GRACE:?}; leaving it to the garbage collector"),
            )
            .await;
        return Ok(Action::await_change());
    }
    if d.metadata.deletion_timestamp.is_none() {
        ctx.events.normal(&*inst, "Deleting", "Delete", format!("stopping the servers of {name}")).await;
        apply::delete(&deployments, &name, PropagationPolicy::Foreground).await?;
    }
    Err(ReconcileError::Waiting(format!("Deployment {ns}/{name}")))
}

fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}
