//! The `DNSZone` controller: computes the zone (`build`: SOA, NS, every
//! record attached to it), finds its servers (`select`), and brings every pod
//! of them in line through its control API (`push`): the primaries hold the
//! data and allow transfers to, and NOTIFY, the secondary pods (TSIG-signed
//! with a key kept in a Secret); the secondaries transfer it from the primary
//! pods. Pods, instances and records are watched, so a replaced pod with a new
//! IP is followed within one reconcile. A finalizer removes the zone from
//! every server before the zone goes.
//!
//! Owns: one reconcile of one zone and its status, the records' status, the
//! transfer key's Secret. Must not: build the zone's data or talk HTTP itself.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::ByteString;
use kube::api::ListParams;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::finalizer::{finalizer, Error as FinalizerError, Event as Finalized};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::{json, Value};

use super::build::{self, RecordObject};
use super::push::{self, Key, PodZone, Pushed};
use super::records;
use crate::apply;
use crate::control::Endpoint;
use crate::events::Events;
use crate::instance::render::{CONTROL_PORT, DNS_PORT, TOKEN_KEY};
use crate::metrics;
use crate::placement as select;
use ironbind_crds::v1alpha1::{
    AAAARecord, ARecord, Bind9Instance, CAARecord, CNAMERecord, DNSZone, MXRecord, NSRecord, PTRRecord, SRVRecord, TXTRecord, ZoneType,
};

/// The kind, as metrics and logs name it.
pub const KIND: &str = "DNSZone";
/// The finalizer (bindy's name) that removes the zone from every server first.
pub const FINALIZER: &str = "bindy.firestoned.io/dnszone-finalizer";
/// The Secret key holding the transfer key's base64 secret.
const SECRET_KEY: &str = "secret";

/// What a reconcile needs.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Event publisher.
    pub events: Events,
    /// What was pushed to which pod.
    pub pushed: Pushed,
}

/// Why a reconcile failed (retried with back-off).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The API server refused or failed a request.
    #[error("API request failed: {0}")]
    Api(#[from] kube::Error),
    /// The zone has no namespace (never for a stored object).
    #[error("zone without {0}")]
    Incomplete(&'static str),
    /// Adding or removing the finalizer failed.
    #[error("finalizer: {0}")]
    Finalizer(String),
    /// Removing the zone from a server failed.
    #[error("removing the zone: {0}")]
    Cleanup(String),
}

fn same_ns_zones(store: &Store<DNSZone>, ns: Option<String>) -> Vec<ObjectRef<DNSZone>> {
    store.state().iter().filter(|z| z.namespace() == ns).map(|z| ObjectRef::from_obj(&**z)).collect()
}

/// Runs the controller until the stream ends.
pub async fn run(client: Client) {
    let zones: Api<DNSZone> = Api::all(client.clone());
    let ctx = Arc::new(Context { client: client.clone(), events: Events::new(client.clone()), pushed: Pushed::default() });
    let controller = Controller::new(zones, watcher::Config::default()).with_config(ControllerConfig::default().debounce(Duration::from_millis(200)));
    let store = controller.store();
    let cfg = watcher::Config::default();
    let managed = watcher::Config::default().labels("app.kubernetes.io/managed-by=ironbind-operator");
    macro_rules! by_namespace {
        ($c:expr, $api:expr, $wc:expr) => {{
            let s = store.clone();
            $c.watches($api, $wc, move |o| same_ns_zones(&s, o.namespace()))
        }};
    }
    let c = by_namespace!(controller, Api::<Bind9Instance>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<Pod>::all(client.clone()), managed);
    let c = by_namespace!(c, Api::<ARecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<AAAARecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<CNAMERecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<MXRecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<TXTRecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<NSRecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<SRVRecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<CAARecord>::all(client.clone()), cfg.clone());
    let c = by_namespace!(c, Api::<PTRRecord>::all(client.clone()), cfg);
    c.run(reconcile, error_policy, ctx)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(kind = KIND, error = %e, "reconcile failed");
            }
        })
        .await;
}

fn error_policy(z: Arc<DNSZone>, e: &ReconcileError, _: Arc<Context>) -> Action {
    tracing::warn!(kind = KIND, name = %z.name_any(), error = %e, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(3))
}

/// One reconcile, timed and counted: the finalizer's apply or cleanup.
pub async fn reconcile(z: Arc<DNSZone>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let ns = z.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let api: Api<DNSZone> = Api::namespaced(ctx.client.clone(), &ns);
    let span = tracing::info_span!("reconcile", kind = KIND, namespace = %ns, name = %z.name_any(), zone = %z.spec.zone_name);
    let _g = span.enter();
    if z.meta().deletion_timestamp.is_none() && !z.finalizers().iter().any(|f| f == FINALIZER) {
        metrics::global().api_write(KIND, "finalizer");
    }
    let r = finalizer(&api, FINALIZER, z, |ev| async {
        match ev {
            Finalized::Apply(z) => apply_zone(z, &ctx).await,
            Finalized::Cleanup(z) => cleanup(z, &ctx).await,
        }
    })
    .await;
    let r = match r {
        Ok(a) => Ok(a),
        Err(FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e)) => Err(e),
        Err(e) => Err(ReconcileError::Finalizer(e.to_string())),
    };
    metrics::global().reconciled(KIND, started.elapsed(), r.is_ok());
    r
}

/// One running pod of an instance, with its control API.
struct Target {
    instance: String,
    ip: IpAddr,
    ep: Endpoint,
}

/// The running pods (with an IP) of `instances`, each with the instance's token.
async fn targets(client: &Client, ns: &str, instances: &[&Bind9Instance]) -> Result<Vec<Target>, kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    let mut out = Vec::new();
    for inst in instances {
        let name = inst.name_any();
        let Some(token) = secrets
            .get_opt(&format!("{name}-control"))
            .await?
            .and_then(|s| s.data)
            .and_then(|d| d.get(TOKEN_KEY).map(|b| String::from_utf8_lossy(&b.0).trim().to_string()))
        else {
            continue;
        };
        for pod in pods.list(&ListParams::default().labels(&format!("instance={name}"))).await?.items {
            let Some(st) = pod.status.as_ref() else { continue };
            if st.phase.as_deref() != Some("Running") || pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let Some(ip) = st.pod_ip.as_deref().and_then(|i| i.parse::<IpAddr>().ok()) else { continue };
            out.push(Target { instance: name.clone(), ip, ep: Endpoint { addr: SocketAddr::new(ip, CONTROL_PORT), token: token.clone() } });
        }
    }
    out.sort_by_key(|t| t.ip);
    Ok(out)
}

/// The zone's transfer key, made once and kept in a Secret owned by the zone.
async fn transfer_key(ctx: &Context, z: &DNSZone, ns: &str) -> Result<Key, ReconcileError> {
    let name = format!("{}-transfer-key", z.name_any());
    let key_name = format!("{}.{ns}.ironbind-transfer", z.name_any());
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let existing =
        secrets.get_opt(&name).await?.and_then(|s| s.data).and_then(|d| d.get(SECRET_KEY).map(|b| String::from_utf8_lossy(&b.0).into_owned()));
    let secret = existing.unwrap_or_else(new_secret);
    let uid = z.uid().ok_or(ReconcileError::Incomplete("uid"))?;
    let desired = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name),
            namespace: Some(ns.to_string()),
            labels: Some([("app.kubernetes.io/managed-by".to_string(), "ironbind-operator".to_string())].into()),
            owner_references: Some(vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                api_version: "bindy.firestoned.io/v1alpha1".into(),
                kind: "DNSZone".into(),
                name: z.name_any(),
                uid,
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(
            [(SECRET_KEY.to_string(), ByteString(secret.clone().into_bytes())), ("name".to_string(), ByteString(key_name.clone().into_bytes()))]
                .into(),
        ),
        ..Default::default()
    };
    apply::ensure(&secrets, desired).await?;
    Ok(Key { name: key_name, secret })
}

fn new_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut b = [0u8; 33];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::STANDARD.encode(b)
}

async fn apply_zone(z: Arc<DNSZone>, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = z.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let apex = z.spec.zone_name.trim_end_matches('.').to_ascii_lowercase();
    let instances = Api::<Bind9Instance>::namespaced(ctx.client.clone(), &ns).list(&ListParams::default()).await?.items;
    let servers = select::servers(&z, &instances);
    let primaries = targets(&ctx.client, &ns, &servers.primaries).await?;
    let secondaries = targets(&ctx.client, &ns, &servers.secondaries).await?;
    let live: Vec<SocketAddr> = primaries.iter().chain(&secondaries).map(|t| t.ep.addr).collect();
    ctx.pushed.forget_except(&live);
    let secondary_ips: Vec<String> = secondaries.iter().map(|t| t.ip.to_string()).collect();

    let mut failures: Vec<String> = Vec::new();
    let mut results: Vec<(&Target, &'static str, PodZone)> = Vec::new();
    let mut built_info: Option<build::Built> = None;
    let mut attached: Vec<RecordObject> = Vec::new();

    match z.spec.zone_type {
        ZoneType::Primary => {
            let all = records::list(&ctx.client, &ns).await?;
            // Records naming a zone that does not exist here are told so (every zone of the namespace says the same).
            let zones = Api::<DNSZone>::namespaced(ctx.client.clone(), &ns).list(&ListParams::default()).await?.items;
            for rec in all.iter().filter(|r| !zones.iter().any(|o| build::attached(o, r))) {
                let c = rec.common();
                let missing = match (&c.zone_ref, &c.zone) {
                    (Some(r), _) => format!("no DNSZone named {r} in namespace {ns} (spec.zoneRef)"),
                    (None, Some(n)) => format!("no DNSZone with zoneName {n} in namespace {ns} (spec.zone)"),
                    (None, None) => continue,
                };
                records::set_ready(&ctx.client, rec, false, "ZoneNotFound", &missing, "").await?;
            }
            attached = all.into_iter().filter(|r| build::attached(&z, r)).collect();
            let built = match build::desired(&z, &attached) {
                Ok(b) => b,
                Err(e) => {
                    let msg = format!("the zone cannot be built: {e}");
                    write_status(ctx, &z, &ns, "False", "InvalidZone", &msg, None, &secondary_ips, None, &[]).await?;
                    return Ok(Action::requeue(Duration::from_secs(300)));
                }
            };
            let key = if secondaries.is_empty() { None } else { Some(transfer_key(ctx, &z, &ns).await?) };
            let mut body = built.body.clone();
            if let Some(o) = body.as_object_mut() {
                let allow: Vec<String> = z
                    .spec
                    .allow_transfer
                    .iter()
                    .flatten()
                    .cloned()
                    .chain(secondaries.iter().map(|t| format!("{}/{}", t.ip, if t.ip.is_ipv4() { 32 } else { 128 })))
                    .collect();
                let notify: Vec<String> = z
                    .spec
                    .also_notify
                    .iter()
                    .flatten()
                    .cloned()
                    .chain(
                        secondaries
                            .iter()
                            .map(|t| format!("{}@{}", SocketAddr::new(t.ip, DNS_PORT), key.as_ref().map(|k| k.name.as_str()).unwrap_or_default())),
                    )
                    .collect();
                o.insert("allowTransfer".into(), json!(allow));
                o.insert("allowTransferKeys".into(), json!(key.iter().map(|k| k.name.clone()).collect::<Vec<_>>()));
                o.insert("alsoNotify".into(), json!(notify));
                o.insert("notifyNs".into(), json!(false));
            }
            // A new primary pod starts at the serial the zone is served with.
            let known = z.status.as_ref().and_then(|s| s.serial);
            for t in &primaries {
                match push::sync_zone(&t.ep, &ctx.pushed, key.as_ref(), &apex, &body, known).await {
                    Ok(r) => results.push((t, "primary", r)),
                    Err(e) => failures.push(format!("{} ({}): {e}", t.instance, t.ip)),
                }
            }
            if !primaries.is_empty() {
                let sec_body = json!({
                    "type": "secondary",
                    "primaries": primaries.iter().map(|t| format!("{}@{}", SocketAddr::new(t.ip, DNS_PORT), key.as_ref().map(|k| k.name.as_str()).unwrap_or_default())).collect::<Vec<_>>(),
                    "allowNotify": primaries.iter().map(|t| t.ip.to_string()).collect::<Vec<_>>(),
                    "notifyNs": false,
                });
                for t in &secondaries {
                    match push::sync_zone(&t.ep, &ctx.pushed, key.as_ref(), &apex, &sec_body, None).await {
                        Ok(r) => results.push((t, "secondary", r)),
                        Err(e) => failures.push(format!("{} ({}): {e}", t.instance, t.ip)),
                    }
                }
            }
            built_info = Some(built);
        }
        ZoneType::Secondary => {
            let from: Vec<String> = z.spec.secondary_config.iter().flat_map(|c| c.primary_servers.iter().cloned()).collect();
            let body = json!({"type": "secondary", "primaries": from, "notifyNs": false});
            for t in &secondaries {
                match push::sync_zone(&t.ep, &ctx.pushed, None, &apex, &body, None).await {
                    Ok(r) => results.push((t, "secondary", r)),
                    Err(e) => failures.push(format!("{} ({}): {e}", t.instance, t.ip)),
                }
            }
        }
    }

    // Status: who serves which serial.
    let primary_serial = results.iter().filter(|(_, role, _)| *role == "primary").filter_map(|(_, _, r)| r.serial).max();
    let per_instance: Vec<Value> = results
        .iter()
        .map(|(t, role, r)| {
            json!({"apiVersion": "bindy.firestoned.io/v1alpha1", "kind": "Bind9Instance", "name": t.instance, "namespace": ns,
                   "role": role, "status": if r.served { "Configured" } else { "Claimed" }, "serial": r.serial,
                   "message": format!("pod {}", t.ip)})
        })
        .collect();
    let expected = match z.spec.zone_type {
        ZoneType::Primary => primaries.len() + if primaries.is_empty() { 0 } else { secondaries.len() },
        ZoneType::Secondary => secondaries.len(),
    };
    let serving = results.iter().filter(|(_, _, r)| r.served).count();
    let (status, reason, message) = if !failures.is_empty() {
        ("False", "PushFailed", format!("{} server(s) not brought up to date: {}", failures.len(), failures.join("; ")))
    } else if z.spec.zone_type == ZoneType::Primary && primaries.is_empty() {
        ("False", "NoPrimary", "no running primary pod is selected by this zone".to_string())
    } else if z.spec.zone_type == ZoneType::Secondary && secondaries.is_empty() {
        ("False", "NoInstances", "no running pod is selected by this zone".to_string())
    } else if serving < expected {
        ("False", "Transferring", format!("{serving}/{expected} pods serve the zone"))
    } else {
        let recs = built_info.as_ref().map(|b| format!(", {} records", b.record_count)).unwrap_or_default();
        ("True", "ReconcileSucceeded", format!("served by {} primary and {} secondary pod(s){recs}", primaries.len(), secondaries.len()))
    };
    let record_count = built_info.as_ref().map(|b| b.record_count);
    write_status(ctx, &z, &ns, status, reason, &message, primary_serial, &secondary_ips, record_count, &per_instance).await?;

    // The records' own status.
    if let Some(built) = &built_info {
        let on_primaries =
            !primaries.is_empty() && failures.is_empty() && results.iter().filter(|(_, r, _)| *r == "primary").all(|(_, _, r)| r.served);
        for rec in &attached {
            let refused = built.refused.iter().find(|(k, n, _)| k == rec.kind() && *n == rec.name());
            let (ready, reason, msg) = match refused {
                Some((_, _, why)) => (false, "InvalidRecord", why.clone()),
                None if on_primaries => (true, "ServedByPrimaries", format!("served by the primaries of {apex}")),
                None => (false, "NotYetServed", format!("{apex} is not served by its primaries yet")),
            };
            records::set_ready(&ctx.client, rec, ready, reason, &msg, &apex).await?;
        }
    }
    let again = if status == "True" { 300 } else { 2 };
    Ok(Action::requeue(Duration::from_secs(again)))
}

#[allow(clippy::too_many_arguments)]
async fn write_status(
    ctx: &Context,
    z: &DNSZone,
    ns: &str,
    status: &str,
    reason: &str,
    message: &str,
    serial: Option<u32>,
    secondary_ips: &[String],
    record_count: Option<usize>,
    per_instance: &[Value],
) -> Result<(), kube::Error> {
    let prev = apply::transition(z.status.as_ref().map(|s| &s.conditions[..]).unwrap_or_default(), "Ready", status);
    let body = json!({
        "observedGeneration": z.metadata.generation,
        "serial": serial,
        "secondaryIps": secondary_ips,
        "recordCount": record_count,
        "bind9Instances": per_instance,
        "bind9InstancesCount": per_instance.len(),
        "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message,
                        "lastTransitionTime": prev.since, "observedGeneration": z.metadata.generation}],
    });
    let api: Api<DNSZone> = Api::namespaced(ctx.client.clone(), ns);
    if apply::status(&api, z, body).await? && prev.status.as_deref() != Some(status) {
        if status == "True" {
            ctx.events.normal(z, "Ready", "Reconcile", message.to_string()).await;
        } else {
            ctx.events.warning(z, reason, "Reconcile", message.to_string()).await;
        }
    }
    Ok(())
}

/// The zone is being deleted: every server of it stops serving it.
async fn cleanup(z: Arc<DNSZone>, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = z.namespace().ok_or(ReconcileError::Incomplete("namespace"))?;
    let apex = z.spec.zone_name.trim_end_matches('.').to_ascii_lowercase();
    let instances = Api::<Bind9Instance>::namespaced(ctx.client.clone(), &ns).list(&ListParams::default()).await?.items;
    // Another zone object for the same apex keeps serving it on the servers it selects.
    let others = Api::<DNSZone>::namespaced(ctx.client.clone(), &ns).list(&ListParams::default()).await?.items;
    let servers = select::servers(&z, &instances);
    let all: Vec<&Bind9Instance> = servers.primaries.iter().chain(&servers.secondaries).copied().collect();
    for t in targets(&ctx.client, &ns, &all).await? {
        let kept = others.iter().any(|o| {
            o.uid() != z.uid()
                && o.meta().deletion_timestamp.is_none()
                && o.spec.zone_name.trim_end_matches('.').eq_ignore_ascii_case(&apex)
                && instances.iter().any(|i| i.name_any() == t.instance && select::selects(o, i))
        });
        if kept {
            continue;
        }
        push::remove_zone(&t.ep, &ctx.pushed, &apex).await.map_err(|e| ReconcileError::Cleanup(e.to_string()))?;
    }
    ctx.events.normal(&*z, "Deleted", "Delete", format!("{apex} removed from its servers")).await;
    Ok(Action::await_change())
}
