//! Writes to the API server only when something changed: a child object is
//! server-side applied (one field manager, forced) when it is missing, when a
//! field the operator sets differs in the live object (someone edited it),
//! or when the operator's own desired object changed (its hash, kept in an
//! annotation, differs: this also drops fields the operator no longer sets).
//! A status is patched only when it differs from the one stored.
//!
//! Owns: the comparison (`covers`), the desired-hash annotation, and counting
//! every write in `metrics`. Must not: build objects (the kinds' `children`
//! modules do) or decide what to write.

use std::fmt::Debug;

use kube::api::{DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::metrics;
use ironbind_crds::v1alpha1::Condition;

/// The one field manager of every apply the operator makes.
pub const MANAGER: &str = "ironbind-operator";
/// The annotation holding the hash of what the operator last applied.
pub const HASH_ANNOTATION: &str = "bindy.firestoned.io/desired-hash";

/// What [`ensure`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The live object already matched: no write.
    Unchanged,
    /// It did not exist and was created.
    Created,
    /// It existed and differed (edited, or the desired object changed).
    Updated,
}

/// Makes the live object match `desired` (named by its metadata), writing only
/// when needed; returns the live object and what was done.
pub async fn ensure<K>(api: &Api<K>, mut desired: K) -> Result<(K, Outcome), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
{
    let name = desired.name_any();
    let hash = desired_hash(&desired);
    desired.annotations_mut().insert(HASH_ANNOTATION.into(), hash);
    let live = api.get_opt(&name).await?;
    let outcome = match &live {
        Some(l) if covers(&to_value(l), &to_value(&desired)) => return Ok((live.expect("matched Some"), Outcome::Unchanged)),
        Some(_) => Outcome::Updated,
        None => Outcome::Created,
    };
    metrics::global().api_write(kind::<K>(), "apply");
    let obj = api.patch(&name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&desired)).await?;
    Ok((obj, outcome))
}

/// Patches the status subresource of `obj` to `status` (a JSON object) unless
/// the stored status already says the same.
pub async fn status<K>(api: &Api<K>, obj: &K, status: Value) -> Result<bool, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
{
    let live = to_value(obj).get("status").cloned().unwrap_or(Value::Null);
    if same_status(&live, &status) {
        return Ok(false);
    }
    metrics::global().api_write(kind::<K>(), "status");
    let body = serde_json::json!({ "status": status });
    api.patch_status(&obj.name_any(), &PatchParams::default(), &Patch::Merge(&body)).await?;
    Ok(true)
}

/// Creates `obj` (counted as a write).
pub async fn create<K>(api: &Api<K>, obj: &K) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
{
    metrics::global().api_write(kind::<K>(), "create");
    api.create(&PostParams { field_manager: Some(MANAGER.into()), ..Default::default() }, obj).await
}

/// Deletes `name` (its dependents go through the garbage collector, before
/// it with `Foreground`); a missing object is not an error.
pub async fn delete<K>(api: &Api<K>, name: &str, propagation: PropagationPolicy) -> Result<(), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    metrics::global().api_write(kind::<K>(), "delete");
    let dp = DeleteParams { propagation_policy: Some(propagation), ..Default::default() };
    match api.delete(name, &dp).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

fn kind<K: Resource<DynamicType = ()>>() -> &'static str {
    // Kinds are static strings for every type the operator writes.
    match K::kind(&()).as_ref() {
        "ConfigMap" => "ConfigMap",
        "Secret" => "Secret",
        "Service" => "Service",
        "Deployment" => "Deployment",
        "Pod" => "Pod",
        "Bind9Instance" => "Bind9Instance",
        "Bind9Cluster" => "Bind9Cluster",
        "DNSZone" => "DNSZone",
        _ => "other",
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A stable hash (FNV-1a, 64 bits, hex) of the desired object as JSON
/// (maps are ordered, so equal objects hash equally across runs).
pub fn desired_hash<K: Serialize>(desired: &K) -> String {
    let text = serde_json::to_string(desired).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Whether `live` holds everything `desired` sets: every key of a desired
/// object present and covered (an absent live key matches only an empty or
/// null desired value), arrays of equal length covered element by element,
/// scalars equal (numbers by value). Fields the server adds are ignored.
pub fn covers(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (_, Value::Null) => true,
        (Value::Object(l), Value::Object(d)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => covers(lv, dv),
            None => is_empty(dv),
        }),
        (Value::Null, d) => is_empty(d),
        (Value::Array(l), Value::Array(d)) => l.len() == d.len() && l.iter().zip(d).all(|(lv, dv)| covers(lv, dv)),
        (Value::Number(l), Value::Number(d)) => l.as_f64() == d.as_f64(),
        (l, d) => l == d,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(is_empty),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The stored condition `type_` (its status as `True`/`False`/`Unknown`, its
/// reason) and the `lastTransitionTime` a new one with `status` carries: the
/// stored time when the status is unchanged, else now.
pub fn transition(conditions: &[Condition], type_: &str, status: &str) -> Previous {
    let old = conditions.iter().find(|c| c.type_ == type_);
    let old_status = old.and_then(|c| serde_json::to_value(c.status).ok()).and_then(|v| v.as_str().map(str::to_string));
    let since = old
        .filter(|_| old_status.as_deref() == Some(status))
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| k8s_openapi::jiff::Timestamp::now().to_string());
    Previous { status: old_status, reason: old.and_then(|c| c.reason.clone()), since }
}

/// What [`transition`] found.
pub struct Previous {
    /// The stored status, if the condition was there.
    pub status: Option<String>,
    /// The stored reason.
    pub reason: Option<String>,
    /// The `lastTransitionTime` to write.
    pub since: String,
}

/// Whether the stored status already says what `desired` says (ignoring when
/// conditions last changed; fields `desired` leaves out belong to others).
pub fn same_status(live: &Value, desired: &Value) -> bool {
    fn strip(v: &Value) -> Value {
        let mut v = v.clone();
        if let Some(cs) = v.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in cs {
                if let Some(o) = c.as_object_mut() {
                    o.remove("lastTransitionTime");
                }
            }
        }
        v
    }
    covers(&strip(live), &strip(desired))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_added_fields_are_ignored() {
        let desired = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "s", "args": ["a"]}]}}}});
        let live = json!({"spec": {"replicas": 2, "progressDeadlineSeconds": 600,
            "template": {"spec": {"containers": [{"name": "s", "args": ["a"], "imagePullPolicy": "Always"}], "dnsPolicy": "ClusterFirst"}}}});
        assert!(covers(&live, &desired));
    }

    #[test]
    fn an_edit_is_seen() {
        let desired = json!({"spec": {"replicas": 2}});
        assert!(!covers(&json!({"spec": {"replicas": 5}}), &desired));
        assert!(!covers(&json!({"spec": {}}), &desired));
        assert!(!covers(&json!({}), &desired));
    }

    #[test]
    fn arrays_must_match_in_length_and_order() {
        let desired = json!({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]});
        assert!(!covers(&json!({"ports": [{"port": 53, "protocol": "UDP"}]}), &desired));
        assert!(!covers(&json!({"ports": [{"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}), &desired));
        assert!(covers(&json!({"ports": [{"port": 53, "protocol": "UDP", "targetPort": 5353}, {"port": 53.0, "protocol": "TCP"}]}), &desired));
    }

    #[test]
    fn empty_desired_values_match_absent_ones() {
        assert!(covers(&json!({"a": 1}), &json!({"a": 1, "labels": {}, "env": [], "x": null})));
        assert!(!covers(&json!({"a": 1}), &json!({"flag": false})), "false is a value the server keeps");
    }

    #[test]
    fn statuses_compare_without_transition_times() {
        let a = json!({"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}], "podIps": ["127.0.0.2"]});
        let b = json!({"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-07T00:00:00Z"}], "podIps": ["127.0.0.2"]});
        assert!(same_status(&a, &b));
        let c = json!({"conditions": [{"type": "Ready", "status": "False"}], "podIps": ["127.0.0.2"]});
        assert!(!same_status(&a, &c));
        let d = json!({"conditions": [{"type": "Ready", "status": "True"}], "podIps": []});
        assert!(!same_status(&a, &d), "a pod IP gone is a change");
        assert!(same_status(&json!({"a": 1, "zones": ["x"]}), &json!({"a": 1})), "what other controllers write is theirs");
    }

    #[test]
    fn a_transition_time_moves_only_with_the_status() {
        let stored: Vec<Condition> =
            serde_json::from_value(json!([{"type": "Ready", "status": "True", "reason": "AllReady", "lastTransitionTime": "2026-01-01T00:00:00Z"}]))
                .unwrap();
        let same = transition(&stored, "Ready", "True");
        assert_eq!((same.status.as_deref(), same.reason.as_deref(), same.since.as_str()), (Some("True"), Some("AllReady"), "2026-01-01T00:00:00Z"));
        assert_ne!(transition(&stored, "Ready", "False").since, "2026-01-01T00:00:00Z");
        assert_eq!(transition(&stored, "Other", "True").status, None);
    }

    #[test]
    fn the_hash_is_stable_and_sensitive() {
        let a = json!({"b": 1, "a": [1, 2]});
        assert_eq!(desired_hash(&a), desired_hash(&json!({"a": [1, 2], "b": 1})));
        assert_ne!(desired_hash(&a), desired_hash(&json!({"a": [1, 2], "b": 2})));
        assert_eq!(desired_hash(&a).len(), 16);
    }
}
