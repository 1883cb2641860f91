//! The record objects of a namespace, every kind, read for a zone's
//! reconcile, and their `Ready` status written back (accepted and served by
//! the primaries, or refused with the reason).
//!
//! Owns: listing the nine kinds and patching their status. Must not: decide
//! whether a record is valid (`build` does).

use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Api, Client};
use serde_json::{json, Value};

use super::build::RecordObject;
use crate::apply;
use ironbind_crds::v1alpha1::{AAAARecord, ARecord, CAARecord, CNAMERecord, MXRecord, NSRecord, PTRRecord, SRVRecord, TXTRecord};

/// The kinds and their plurals.
pub const KINDS: [(&str, &str); 9] = [
    ("ARecord", "arecords"),
    ("AAAARecord", "aaaarecords"),
    ("CNAMERecord", "cnamerecords"),
    ("MXRecord", "mxrecords"),
    ("TXTRecord", "txtrecords"),
    ("NSRecord", "nsrecords"),
    ("SRVRecord", "srvrecords"),
    ("CAARecord", "caarecords"),
    ("PTRRecord", "ptrrecords"),
];

/// Every record object in `ns`.
pub async fn list(client: &Client, ns: &str) -> Result<Vec<RecordObject>, kube::Error> {
    let lp = ListParams::default();
    let mut out = Vec::new();
    out.extend(Api::<ARecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::A));
    out.extend(Api::<AAAARecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Aaaa));
    out.extend(Api::<CNAMERecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Cname));
    out.extend(Api::<MXRecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Mx));
    out.extend(Api::<TXTRecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Txt));
    out.extend(Api::<NSRecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Ns));
    out.extend(Api::<SRVRecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Srv));
    out.extend(Api::<CAARecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Caa));
    out.extend(Api::<PTRRecord>::namespaced(client.clone(), ns).list(&lp).await?.items.into_iter().map(RecordObject::Ptr));
    Ok(out)
}

fn api(client: &Client, ns: &str, kind: &str) -> Option<Api<DynamicObject>> {
    let plural = KINDS.iter().find(|(k, _)| *k == kind)?.1;
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("bindy.firestoned.io", "v1alpha1", kind), plural);
    Some(Api::namespaced_with(client.clone(), ns, &ar))
}

/// Writes `Ready` on a record (only when it differs from what it says).
pub async fn set_ready(client: &Client, rec: &RecordObject, ready: bool, reason: &str, message: &str, zone: &str) -> Result<(), kube::Error> {
    let Some(ns) = rec.namespace() else { return Ok(()) };
    let Some(api) = api(client, &ns, rec.kind()) else { return Ok(()) };
    let live = as_value(rec).get("status").cloned().unwrap_or(Value::Null);
    let old = live.get("conditions").and_then(Value::as_array).and_then(|cs| cs.iter().find(|c| c["type"] == "Ready")).cloned();
    let status = if ready { "True" } else { "False" };
    let since = old
        .as_ref()
        .filter(|c| c["status"] == status)
        .and_then(|c| c.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| json!(k8s_openapi::jiff::Timestamp::now().to_string()));
    let desired = json!({
        "observedGeneration": rec.generation(),
        "zone": (!zone.is_empty()).then_some(zone),
        "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message,
                        "lastTransitionTime": since, "observedGeneration": rec.generation()}],
    });
    if apply::same_status(&live, &desired) {
        return Ok(());
    }
    crate::metrics::global().api_write("Record", "status");
    api.patch_status(&rec.name(), &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&json!({"status": desired}))).await?;
    Ok(())
}

fn as_value(rec: &RecordObject) -> Value {
    let v = match rec {
        RecordObject::A(r) => serde_json::to_value(r),
        RecordObject::Aaaa(r) => serde_json::to_value(r),
        RecordObject::Cname(r) => serde_json::to_value(r),
        RecordObject::Mx(r) => serde_json::to_value(r),
        RecordObject::Txt(r) => serde_json::to_value(r),
        RecordObject::Ns(r) => serde_json::to_value(r),
        RecordObject::Srv(r) => serde_json::to_value(r),
        RecordObject::Caa(r) => serde_json::to_value(r),
        RecordObject::Ptr(r) => serde_json::to_value(r),
    };
    v.unwrap_or(Value::Null)
}
