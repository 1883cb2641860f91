//! Hand-written schemas for the Kubernetes core/v1 types the CRDs embed
//! (`#[schemars(schema_with = …)]`), shared by every served version.
//!
//! bindy inlined the full k8s-openapi schemas of `Volume`, `ServiceSpec`,
//! `EnvVar`, … and its CRDs grew to ~250 KiB, past what client-side
//! `kubectl apply` can store in its `last-applied-configuration` annotation.
//! Here those objects are `type: object` with their required keys typed and
//! `x-kubernetes-preserve-unknown-fields: true` below (structural, and kept as
//! given by the API server); the Rust fields are still the k8s-openapi types,
//! so the operator reads them typed. Small types that ironbind uses
//! (`ResourceRequirements`, `EmptyDirVolumeSource`) are typed in full, with
//! quantities as `x-kubernetes-int-or-string` maps.
//!
//! Every helper returns a schema with `nullable: true`: they all describe
//! optional fields.

use schemars::{json_schema, Schema, SchemaGenerator};
use serde_json::{json, Value};

use crate::patterns;

/// A resource quantity: an integer or a string in quantity syntax.
fn quantity() -> Value {
    json!({ "x-kubernetes-int-or-string": true, "pattern": patterns::QUANTITY })
}

/// A map of resource name to quantity (`limits`, `requests`).
fn quantity_map(description: &str) -> Value {
    json!({ "type": "object", "description": description, "additionalProperties": quantity() })
}

/// A core/v1 object not expanded: `required` keys are strings, the rest is kept as given.
fn embedded(description: &str, required: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = required.iter().map(|k| (k.to_string(), json!({ "type": "string" }))).collect();
    let mut v = json!({
        "type": "object",
        "description": description,
        "x-kubernetes-preserve-unknown-fields": true,
    });
    if !required.is_empty() {
        v["properties"] = Value::Object(properties);
        v["required"] = json!(required);
    }
    v
}

/// An optional array of `item`.
fn list(description: &str, item: Value) -> Schema {
    json_schema!({ "type": "array", "description": description, "nullable": true, "items": item })
}

/// An optional object.
fn optional(mut v: Value) -> Schema {
    v["nullable"] = json!(true);
    Schema::try_from(v).expect("an object schema")
}

/// `Option<Vec<core/v1 Volume>>`.
pub fn volumes(_: &mut SchemaGenerator) -> Schema {
    list("Volumes (Kubernetes core/v1 Volume objects, kept as given).", embedded("A core/v1 Volume.", &["name"]))
}

/// `Option<Vec<core/v1 VolumeMount>>`.
pub fn volume_mounts(_: &mut SchemaGenerator) -> Schema {
    list("Volume mounts (Kubernetes core/v1 VolumeMount objects, kept as given).", embedded("A core/v1 VolumeMount.", &["mountPath", "name"]))
}

/// `Option<Vec<core/v1 EnvVar>>`.
pub fn env_vars(_: &mut SchemaGenerator) -> Schema {
    list("Environment variables (Kubernetes core/v1 EnvVar objects, kept as given).", embedded("A core/v1 EnvVar.", &["name"]))
}

/// `Option<core/v1 ServiceSpec>`.
pub fn service_spec(_: &mut SchemaGenerator) -> Schema {
    optional(embedded("A Kubernetes core/v1 ServiceSpec merged into the generated Service (ports and selector are the operator's).", &[]))
}

/// `Option<core/v1 PersistentVolumeClaimSpec>`.
pub fn pvc_spec(_: &mut SchemaGenerator) -> Schema {
    optional(embedded("A Kubernetes core/v1 PersistentVolumeClaimSpec.", &[]))
}

/// `Option<core/v1 EmptyDirVolumeSource>`, typed in full.
pub fn empty_dir(_: &mut SchemaGenerator) -> Schema {
    optional(json!({
        "type": "object",
        "description": "A Kubernetes core/v1 EmptyDirVolumeSource.",
        "properties": {
            "medium": { "type": "string", "description": "Storage medium: \"\" (node default) or \"Memory\"." },
            "sizeLimit": quantity(),
        },
    }))
}

/// `Option<core/v1 ResourceRequirements>`, typed in full (no `claims`).
pub fn resources(_: &mut SchemaGenerator) -> Schema {
    optional(json!({
        "type": "object",
        "description": "Compute resources of the container (Kubernetes core/v1 ResourceRequirements).",
        "properties": {
            "limits": quantity_map("Maximum amount of each resource (cpu, memory, …)."),
            "requests": quantity_map("Minimum amount of each resource (cpu, memory, …)."),
        },
    }))
}

/// Field transform for `Option<UnitEnum>`: schemars lists `null` among the
/// enum values of an optional enum; `nullable: true` (added later) already
/// says that, and an enum value of the wrong type is not worth testing an API
/// server's tolerance with.
pub fn optional_enum(schema: &mut Schema) {
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}
