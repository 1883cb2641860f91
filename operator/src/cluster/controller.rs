//! The `Bind9Cluster` controller: keeps the instances of [`super::children`]
//! as built (writing only what differs), deletes the ones scaled away
//! (highest index first, as they are named), and writes the cluster's status
//! from its instances' `Ready` conditions. A finalizer deletes the cluster's
//! instances, and waits for them, before the cluster goes.
//!
//! Owns: one reconcile of one cluster, and the watches that trigger it (the
//! clusters and the instances they own). Must not: build instances itself or
//! reach into the instances' children (the instance controller does).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{ListParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{finalizer, Error as FinalizerError, Event as Finalized};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::json;

use super::children;
use crate::apply::{self, Outcome};
use crate::events::Events;
use crate::metrics;
use ironbind_crds::v1alpha1::{Bind9Cluster, Bind9Instance, ConditionStatus};

/// The kind, as metrics and logs name it.
pub const KIND: &str = "Bind9Cluster";
/// The finalizer (bindy's name) that deletes a cluster's instances first.
pub const FINALIZER: &str = "bindy.firestoned.io/bind9cluster-finalizer";

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
    /// The cluster has no namespace or UID (never for a stored object).
    #[error("cluster without {0}")]
    Incomplete(&'static str),
    /// Cleanup waits for the instances to go.
    #[error("waiting for {0} instance(s) to be deleted")]
    Waiting(usize),
    /// Adding or removing the finalizer failed.
    #[error("finalizer: {0}")]
    Finalizer(String),
}

/// Runs the controller until the stream ends.
pub async fn run(client: Client) {
    let clusters: Api<Bind9Cluster> = Api::all(client.clone());
    let ctx = Arc::new(Context { client: client.clone(), events: Events::new(client.clone()) });
    Controller::new(clusters, watcher::Config::default())
        .owns(Api::<Bind9Instance>::all(client), watcher::Config::default().labels(&format!("{}=Bind9Cluster", children::MANAGED_BY)))
        .run(reconcile, error_policy, ctx)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(kind = KIND, error = %e, "reconcile failed");
            }
        })
        .await;
}

fn error_policy(c: Arc<Bind9Cluster>, e: &ReconcileError, _: Arc<Context>) -> Action {
    tracing::warn!(kind = KIND, name = %c.name_any(), error = %e, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(5))
}

/// One reconcile, timed and counted: the finalizer's apply or cleanup.
pub async fn reconcile(c: Arc<Bind9Cluster>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let ns = c.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let api: Api<Bind9Cluster> = Api::namespaced(ctx.client.clone(), &ns);
    let span = tracing::info_span!("reconcile", kind = KIND, namespace = %ns, name = %c.name_any());
    let _g = span.enter();
    if c.meta().deletion_timestamp.is_none() && !c.finalizers().iter().any(|f| f == FINALIZER) {
        metrics::global().api_write(KIND, "finalizer");
    }
    let r = finalizer(&api, FINALIZER, c, |ev| async {
        match ev {
            Finalized::Apply(c) => apply_cluster(c, &ctx).await,
            Finalized::Cleanup(c) => cleanup(c, &ctx).await,
        }
    })
    .await;
    let r = match r {
        Ok(a) => Ok(a),
        Err(FinalizerError::ApplyFailed(e)) => Err(e),
        Err(FinalizerError::CleanupFailed(ReconcileError::Waiting(n))) => {
            tracing::info!(instances = n, "cleanup waits");
            Ok(Action::requeue(Duration::from_secs(1)))
        }
        Err(FinalizerError::CleanupFailed(e)) => Err(e),
        Err(e) => Err(ReconcileError::Finalizer(e.to_string())),
    };
    metrics::global().reconciled(KIND, started.elapsed(), r.is_ok());
    r
}

/// The instances this cluster made (by label and owner).
async fn owned(api: &Api<Bind9Instance>, name: &str, uid: &str) -> Result<Vec<Bind9Instance>, kube::Error> {
    let sel = children::selector(name).iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let all = api.list(&ListParams::default().labels(&sel)).await?.items;
    Ok(all.into_iter().filter(|i| i.owner_references().iter().any(|o| o.uid == uid)).collect())
}

async fn apply_cluster(c: Arc<Bind9Cluster>, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = c.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let name = c.name_any();
    let uid = c.uid().ok_or(ReconcileError::Incomplete("uid"))?;
    let api: Api<Bind9Instance> = Api::namespaced(ctx.client.clone(), &ns);
    let desired = children::instances(&c, &name, &ns, &uid);
    let wanted: BTreeSet<String> = desired.iter().map(|i| i.name_any()).collect();

    let mut created = Vec::new();
    let mut updated = Vec::new();
    let mut live = Vec::new();
    for inst in desired {
        let (obj, o) = apply::ensure(&api, inst).await?;
        match o {
            Outcome::Created => created.push(obj.name_any()),
            Outcome::Updated => updated.push(obj.name_any()),
            Outcome::Unchanged => {}
        }
        live.push(obj);
    }
    let mut removed = Vec::new();
    for extra in owned(&api, &name, &uid).await?.into_iter().filter(|i| !wanted.contains(&i.name_any())) {
        if extra.meta().deletion_timestamp.is_none() {
            apply::delete(&api, &extra.name_any(), PropagationPolicy::Background).await?;
            removed.push(extra.name_any());
        }
    }
    if !created.is_empty() {
        ctx.events.normal(&*c, "InstancesCreated", "Scale", format!("created {}", created.join(", "))).await;
    }
    if !updated.is_empty() {
        ctx.events.normal(&*c, "InstancesUpdated", "Apply", format!("brought back to the cluster's settings: {}", updated.join(", "))).await;
    }
    if !removed.is_empty() {
        ctx.events.normal(&*c, "InstancesRemoved", "Scale", format!("scaled down: deleted {}", removed.join(", "))).await;
    }

    // Status from the instances' own Ready conditions.
    let ready_of = |i: &Bind9Instance| {
        i.status.as_ref().and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready")).is_some_and(|c| c.status == ConditionStatus::True)
    };
    let total = live.len();
    let ready = live.iter().filter(|i| ready_of(i)).count();
    let (status, reason) = match (total, ready) {
        (0, _) => ("False", "NoChildren"),
        (t, r) if r == t => ("True", "AllReady"),
        (_, 0) => ("False", "NotReady"),
        _ => ("False", "PartiallyReady"),
    };
    let message = if total == 0 { "the cluster asks for no instances".to_string() } else { format!("{ready}/{total} instances ready") };
    let stored = c.status.as_ref().map(|s| &s.conditions[..]).unwrap_or_default();
    let prev = apply::transition(stored, "Ready", status);
    let mut conditions = vec![json!({
        "type": "Ready", "status": status, "reason": reason, "message": message,
        "lastTransitionTime": prev.since, "observedGeneration": c.metadata.generation,
    })];
    for (i, inst) in live.iter().enumerate() {
        let t = format!("Bind9Instance-{i}");
        let r = ready_of(inst);
        let st = if r { "True" } else { "False" };
        let since = apply::transition(stored, &t, st).since;
        conditions.push(json!({
            "type": t, "status": st, "reason": if r { "Ready" } else { "NotReady" },
            "message": format!("{} {}", inst.name_any(), if r { "is ready" } else { "is not ready" }),
            "lastTransitionTime": since, "observedGeneration": c.metadata.generation,
        }));
    }
    let body = json!({
        "observedGeneration": c.metadata.generation,
        "instanceCount": total,
        "readyInstances": ready,
        "instances": live.iter().map(|i| i.name_any()).collect::<Vec<_>>(),
        "conditions": conditions,
    });
    let capi: Api<Bind9Cluster> = Api::namespaced(ctx.client.clone(), &ns);
    if apply::status(&capi, &*c, body).await? && prev.status.as_deref() != Some(status) {
        if status == "True" {
            ctx.events.normal(&*c, "Ready", "Reconcile", message).await;
        } else if prev.status.as_deref() == Some("True") {
            ctx.events.warning(&*c, "NotReady", "Reconcile", message).await;
        }
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

/// The cluster is being deleted: its instances go first (each stops its
/// servers through its own finalizer), then the finalizer is released.
async fn cleanup(c: Arc<Bind9Cluster>, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = c.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let uid = c.uid().ok_or(ReconcileError::Incomplete("uid"))?;
    let api: Api<Bind9Instance> = Api::namespaced(ctx.client.clone(), &ns);
    let left = owned(&api, &c.name_any(), &uid).await?;
    if left.is_empty() {
        return Ok(Action::await_change());
    }
    let to_delete: Vec<_> = left.iter().filter(|i| i.meta().deletion_timestamp.is_none()).collect();
    if !to_delete.is_empty() {
        let names: Vec<String> = to_delete.iter().map(|i| i.name_any()).collect();
        ctx.events.normal(&*c, "Deleting", "Delete", format!("deleting instances {}", names.join(", "))).await;
        for i in names {
            apply::delete(&api, &i, PropagationPolicy::Background).await?;
        }
    }
    Err(ReconcileError::Waiting(left.len()))
}
