//! The `Bind9Instance` controller: applies the children of [`super::children`]
//! with server-side apply (one field manager), keeps the control-API token it
//! made first, and writes the instance's status from its Deployment.
//!
//! Owns: one reconcile of one instance, and the watches that trigger it (the
//! instances, and the children they own: a deleted or edited child is put
//! back). Must not: build objects itself (`children` does) or decide zone
//! content (the DNSZone controller does).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use super::children::{self, Parent};
use super::render;
use ironbind_crds::v1alpha1::Bind9Instance;

/// The one field manager of every apply the operator makes.
pub const MANAGER: &str = "ironbind-operator";

/// What a reconcile needs.
pub struct Context {
    /// The API client.
    pub client: Client,
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
}

/// Runs the controller until the stream ends.
pub async fn run(client: Client) {
    let instances: Api<Bind9Instance> = Api::all(client.clone());
    let cfg = watcher::Config::default();
    Controller::new(instances, cfg.clone())
        .owns(Api::<Deployment>::all(client.clone()), cfg.clone())
        .owns(Api::<Service>::all(client.clone()), cfg.clone())
        .owns(Api::<ConfigMap>::all(client.clone()), cfg.clone())
        .owns(Api::<Secret>::all(client.clone()), cfg)
        .run(reconcile, error_policy, Arc::new(Context { client }))
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::warn!(kind = "Bind9Instance", error = %e, "reconcile failed");
            }
        })
        .await;
}

fn error_policy(_: Arc<Bind9Instance>, e: &ReconcileError, _: Arc<Context>) -> Action {
    tracing::warn!(kind = "Bind9Instance", error = %e, "retrying");
    Action::requeue(Duration::from_secs(5))
}

/// One reconcile: children applied, status written.
pub async fn reconcile(inst: Arc<Bind9Instance>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let ns = inst.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let name = inst.name_any();
    let uid = inst.uid().ok_or(ReconcileError::Incomplete("uid"))?;
    let p = Parent { instance: &inst, name: &name, namespace: &ns, uid: &uid };
    let apply = PatchParams::apply(MANAGER).force();
    let unsupported = render::unsupported(&inst.spec);

    // The token is made once and kept: a new one would lock the operator out of running pods.
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let secret_name = format!("{name}-control");
    let token = match secrets.get_opt(&secret_name).await? {
        Some(s) => s.data.and_then(|d| d.get(render::TOKEN_KEY).map(|b| String::from_utf8_lossy(&b.0).into_owned())),
        None => None,
    }
    .unwrap_or_else(new_token);
    secrets.patch(&secret_name, &apply, &Patch::Apply(children::token_secret(&p, &token))).await?;

    // A config ironbind cannot honour is not written: the pods keep the last good one.
    if let Ok(cm) = children::config_map(&p) {
        let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
        api.patch(&format!("{name}-config"), &apply, &Patch::Apply(cm)).await?;
    }
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &ns);
    let d = deployments.patch(&name, &apply, &Patch::Apply(children::deployment(&p))).await?;
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);
    services.patch(&name, &apply, &Patch::Apply(children::service(&p))).await?;

    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
    let selector = p.selector().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let mut pod_ips: Vec<String> =
        pods.list(&ListParams::default().labels(&selector)).await?.items.into_iter().filter_map(|pod| pod.status.and_then(|s| s.pod_ip)).collect();
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
    // lastTransitionTime moves only when the status does.
    let old = inst.status.as_ref().and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"));
    let since = old
        .filter(|c| serde_json::to_value(c.status).ok().as_ref().and_then(|v| v.as_str()) == Some(status))
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or_else(now_rfc3339);
    let body = json!({
        "apiVersion": "bindy.firestoned.io/v1alpha1",
        "kind": "Bind9Instance",
        "status": {
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
                "lastTransitionTime": since,
                "observedGeneration": inst.metadata.generation,
            }],
        }
    });
    let instances: Api<Bind9Instance> = Api::namespaced(ctx.client.clone(), &ns);
    instances.patch_status(&name, &apply, &Patch::Apply(body)).await?;
    Ok(Action::requeue(Duration::from_secs(300)))
}

fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn now_rfc3339() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}
