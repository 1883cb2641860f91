//! Shared by the integration tests: reading the repository's YAML manifests,
//! the generated schema of a kind, and a small OpenAPI v3 validator that
//! applies the checks a Kubernetes API server makes on a custom resource
//! (types, required, enum, pattern, ranges, minItems, unknown fields as
//! kubectl's strict field validation reports them), naming the failing field
//! the way the API server does (`spec.ipv4Addresses[1]`).

#![allow(dead_code)] // each test crate uses a different part

use std::path::{Path, PathBuf};

use ironbind_crds::generate;
use serde::Deserialize;
use serde_json::Value;

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crds/ has a parent").to_path_buf()
}

/// The `.yaml` files of a directory under the repository root, sorted.
pub fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let dir = repo_root().join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .yaml files in {}", dir.display());
    files
}

/// The non-empty YAML documents of a file, as JSON values.
pub fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|de| Value::deserialize(de).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

/// The `openAPIV3Schema` of a kind's (only) version, as JSON.
pub fn schema_of(kind: &str) -> Value {
    let crd = generate::crds().into_iter().find(|c| c.spec.names.kind == kind).unwrap_or_else(|| panic!("no CRD for kind {kind}"));
    let version = crd.spec.versions.into_iter().next().expect("a version");
    serde_json::to_value(version.schema.expect("a schema").open_api_v3_schema.expect("an openAPIV3Schema")).expect("schema to JSON")
}

/// Validates a whole object (its `spec` and `status`; `apiVersion`, `kind` and
/// `metadata` are the API server's) against its kind's schema.
pub fn validate_object(kind: &str, object: &Value) -> Vec<String> {
    let schema = schema_of(kind);
    let mut errors = Vec::new();
    let Some(fields) = object.as_object() else {
        return vec!["<root>: not an object".into()];
    };
    for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !fields.contains_key(key) {
            errors.push(format!("{key}: Required value"));
        }
    }
    for (key, value) in fields {
        match key.as_str() {
            "apiVersion" | "kind" | "metadata" => {}
            _ => match schema["properties"].get(key) {
                Some(s) => validate(s, value, key, &mut errors),
                None => errors.push(format!("{key}: unknown field")),
            },
        }
    }
    errors
}

/// Validates `value` at `path` against `schema`, appending `path: reason` errors.
pub fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if value.is_null() {
        if schema["nullable"] != Value::Bool(true) {
            errors.push(format!("{path}: Invalid value: null"));
        }
        return;
    }
    if schema["x-kubernetes-int-or-string"] == Value::Bool(true) {
        match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => {}
            Value::String(s) => check_pattern(schema, s, path, errors),
            _ => errors.push(format!("{path}: Invalid value: must be an integer or a string")),
        }
        return;
    }
    if let Some(values) = schema["enum"].as_array() {
        if !values.contains(value) {
            errors.push(format!("{path}: Unsupported value: {value}"));
        }
    }
    match (schema["type"].as_str(), value) {
        (Some("string"), Value::String(s)) => check_pattern(schema, s, path, errors),
        (Some("boolean"), Value::Bool(_)) => {}
        (Some("integer"), Value::Number(n)) if n.is_i64() || n.is_u64() => {
            let n = n.as_f64().expect("a number");
            if schema["minimum"].as_f64().is_some_and(|min| n < min) {
                errors.push(format!("{path}: Invalid value: {n}: should be greater than or equal to {}", schema["minimum"]));
            }
            if schema["maximum"].as_f64().is_some_and(|max| n > max) {
                errors.push(format!("{path}: Invalid value: {n}: should be less than or equal to {}", schema["maximum"]));
            }
        }
        (Some("number"), Value::Number(_)) => {}
        (Some("array"), Value::Array(items)) => {
            if schema["minItems"].as_u64().is_some_and(|min| (items.len() as u64) < min) {
                errors.push(format!("{path}: Invalid value: should have at least {} items", schema["minItems"]));
            }
            for (i, item) in items.iter().enumerate() {
                validate(&schema["items"], item, &format!("{path}[{i}]"), errors);
            }
        }
        (Some("object"), Value::Object(fields)) => {
            for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !fields.contains_key(key) {
                    errors.push(format!("{path}.{key}: Required value"));
                }
            }
            let preserve = schema["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true);
            for (key, v) in fields {
                let sub = format!("{path}.{key}");
                if let Some(s) = schema["properties"].get(key) {
                    validate(s, v, &sub, errors);
                } else if schema.get("additionalProperties").is_some_and(Value::is_object) {
                    validate(&schema["additionalProperties"], v, &sub, errors);
                } else if !preserve {
                    errors.push(format!("{sub}: unknown field"));
                }
            }
        }
        (Some(t), _) => errors.push(format!("{path}: Invalid type: expected {t}, got {value}")),
        (None, _) => errors.push(format!("{path}: schema has no type")),
    }
}

fn check_pattern(schema: &Value, s: &str, path: &str, errors: &mut Vec<String>) {
    if let Some(p) = schema["pattern"].as_str() {
        let re = regex::Regex::new(p).unwrap_or_else(|e| panic!("{path}: pattern {p} does not compile: {e}"));
        if !re.is_match(s) {
            errors.push(format!("{path}: Invalid value: \"{s}\": should match '{p}'"));
        }
    }
}
