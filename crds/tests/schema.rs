//! The generated CRDs against what a Kubernetes 1.20 API server accepts and
//! what the CRD contract promises: structural schemas (every node typed, no
//! `anyOf`/`oneOf`/`$ref`/CEL), defaults that fit their schema, free-form
//! objects only where a core/v1 object is embedded, names, short names,
//! status subresource, printer columns ending in `Ready`.

mod support;

use ironbind_crds::generate;
use serde_json::Value;
use support::schema_of;

/// Schema keywords apiextensions.k8s.io/v1 refuses in a structural schema, or
/// that a 1.20 API server does not know.
const FORBIDDEN: [&str; 14] = [
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "$ref",
    "$schema",
    "definitions",
    "dependencies",
    "additionalItems",
    "patternProperties",
    "uniqueItems",
    "const",
    "x-kubernetes-validations",
    "x-kubernetes-embedded-resource",
];

/// Field names whose schema may keep unknown fields: embedded core/v1 objects.
const FREE_FORM: [&str; 6] = ["volumes[]", "volumeMounts[]", "envVars[]", "spec", "serviceSpec", "persistentVolume"];

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

fn walk(node: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(obj) = node.as_object() else {
        problems.push(format!("{path}: schema is not an object"));
        return;
    };
    for key in FORBIDDEN {
        if obj.contains_key(key) {
            problems.push(format!("{path}: has {key}"));
        }
    }
    let int_or_string = node["x-kubernetes-int-or-string"] == Value::Bool(true);
    let ty = node["type"].as_str();
    match (ty, int_or_string) {
        (Some(_), true) => problems.push(format!("{path}: int-or-string with a type")),
        (None, false) => problems.push(format!("{path}: no type")),
        _ => {}
    }
    if node["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true) {
        let field = path.rsplit('.').next().unwrap_or(path);
        if ty != Some("object") || !FREE_FORM.contains(&field) {
            problems.push(format!("{path}: keeps unknown fields but is not an embedded core/v1 object"));
        }
    }
    if obj.contains_key("properties") && obj.contains_key("additionalProperties") {
        problems.push(format!("{path}: both properties and additionalProperties"));
    }
    if let Some(values) = node["enum"].as_array() {
        for v in values {
            if !ty.is_some_and(|t| type_matches(t, v)) {
                problems.push(format!("{path}: enum value {v} is not a {ty:?}"));
            }
        }
    }
    if let Some(default) = node.get("default") {
        if let Some(t) = ty {
            if !type_matches(t, default) {
                problems.push(format!("{path}: default {default} is not a {t}"));
            }
        }
        if node["enum"].as_array().is_some_and(|values| !values.contains(default)) {
            problems.push(format!("{path}: default {default} is not among the enum values"));
        }
        let mut errors = Vec::new();
        support::validate(node, default, path, &mut errors);
        problems.extend(errors.into_iter().map(|e| format!("default: {e}")));
    }
    if let Some(props) = node["properties"].as_object() {
        for (k, v) in props {
            walk(v, &format!("{path}.{k}"), problems);
        }
    }
    if let Some(additional) = obj.get("additionalProperties") {
        if additional.is_object() {
            walk(additional, &format!("{path}{{}}"), problems);
        } else {
            problems.push(format!("{path}: additionalProperties is not a schema"));
        }
    }
    if ty == Some("array") {
        match obj.get("items") {
            Some(items) if items.is_object() => walk(items, &format!("{path}[]"), problems),
            _ => problems.push(format!("{path}: array without one items schema")),
        }
    }
}

#[test]
fn schemas_are_structural_and_fit_kubernetes_1_20() {
    let mut problems = Vec::new();
    for crd in generate::crds() {
        let kind = crd.spec.names.kind.clone();
        let schema = schema_of(&kind);
        let root: Vec<&str> = schema["properties"].as_object().expect("root properties").keys().map(String::as_str).collect();
        assert_eq!(root, ["spec", "status"], "{kind}: root properties (metadata is the API server's)");
        assert_eq!(schema["required"], serde_json::json!(["spec"]), "{kind}: spec is required");
        for (k, v) in schema["properties"].as_object().expect("properties") {
            walk(v, &format!("{kind}.{k}"), &mut problems);
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Whether a printer column's JSONPath names a field of the schema.
fn path_exists(schema: &Value, json_path: &str) -> bool {
    let path = json_path.split("[?(").next().expect("a path");
    let mut node = schema;
    for part in path.trim_start_matches('.').split('.') {
        node = &node["properties"][part];
        if node.is_null() {
            return false;
        }
    }
    true
}

#[test]
fn names_short_names_subresources_and_columns_are_the_contracts() {
    let expected: [(&str, &str, &[&str]); 12] = [
        ("Bind9Cluster", "bind9clusters", &["b9c", "b9cs"]),
        ("Bind9Instance", "bind9instances", &["b9", "b9s"]),
        ("DNSZone", "dnszones", &["zone", "zones", "dz", "dzs"]),
        ("ARecord", "arecords", &["a"]),
        ("AAAARecord", "aaaarecords", &["aaaa"]),
        ("CNAMERecord", "cnamerecords", &["cname"]),
        ("MXRecord", "mxrecords", &["mx"]),
        ("TXTRecord", "txtrecords", &["txt"]),
        ("NSRecord", "nsrecords", &["ns"]),
        ("SRVRecord", "srvrecords", &["srv"]),
        ("CAARecord", "caarecords", &["caa"]),
        ("PTRRecord", "ptrrecords", &["ptr"]),
    ];
    let crds = generate::crds();
    assert_eq!(crds.len(), expected.len());
    for (crd, (kind, plural, short)) in crds.iter().zip(expected) {
        assert_eq!(crd.spec.names.kind, kind);
        assert_eq!(crd.spec.names.plural, plural);
        assert_eq!(crd.spec.names.short_names.as_deref(), Some(&short.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]), "{kind}");
        assert_eq!(crd.metadata.name.as_deref(), Some(format!("{plural}.bindy.firestoned.io").as_str()));
        assert_eq!(crd.spec.group, "bindy.firestoned.io");
        assert_eq!(crd.spec.scope, "Namespaced", "{kind}");
        assert!(crd.spec.conversion.is_none(), "{kind}: one version, no conversion");
        let [version] = &crd.spec.versions[..] else { panic!("{kind}: one version") };
        assert_eq!((version.name.as_str(), version.served, version.storage), ("v1alpha1", true, true), "{kind}");
        let subresources = version.subresources.as_ref().expect("subresources");
        assert!(subresources.status.is_some() && subresources.scale.is_none(), "{kind}: status subresource only");
        assert!(version.selectable_fields.is_none(), "{kind}: selectableFields is 1.30+");
        let columns = version.additional_printer_columns.as_ref().expect("printer columns");
        let ready = columns.last().expect("a column");
        assert_eq!((ready.name.as_str(), ready.type_.as_str()), ("Ready", "string"), "{kind}");
        assert_eq!(ready.json_path, ".status.conditions[?(@.type==\"Ready\")].status", "{kind}");
        let schema = schema_of(kind);
        for c in columns {
            assert!(["string", "integer", "number", "boolean", "date"].contains(&c.type_.as_str()), "{kind}: column {}", c.name);
            assert!(path_exists(&schema, &c.json_path), "{kind}: column {} points at {}, not in the schema", c.name, c.json_path);
        }
    }
}

#[test]
fn crds_fit_client_side_apply() {
    // `kubectl apply` stores the whole object in an annotation; annotations total at most 256 KiB.
    for crd in generate::crds() {
        let size = serde_json::to_vec(&crd).expect("JSON").len();
        assert!(size < 128 * 1024, "{}: {size} bytes of JSON", generate::crd_name(&crd));
    }
}

#[test]
fn validations_bindy_has_are_in_the_schema() {
    let instance = schema_of("Bind9Instance");
    let replicas = &instance["properties"]["spec"]["properties"]["replicas"];
    assert_eq!((replicas["minimum"].as_f64(), replicas["maximum"].as_f64(), replicas["default"].as_i64()), (Some(0.0), Some(100.0), Some(1)));
    assert_eq!(instance["properties"]["spec"]["properties"]["role"]["enum"], serde_json::json!(["primary", "secondary"]));
    assert!(instance["properties"]["spec"]["required"].is_null(), "neither role nor clusterRef is required");

    let zone = schema_of("DNSZone");
    let spec = &zone["properties"]["spec"];
    assert_eq!(spec["required"], serde_json::json!(["zoneName"]));
    assert_eq!(spec["properties"]["type"]["default"], "primary");
    assert!(spec["properties"]["zoneName"]["pattern"].is_string());
    let soa = &spec["properties"]["soaRecord"];
    assert_eq!(soa["required"].as_array().map(Vec::len), Some(7), "a given SOA is complete, as in bindy");

    let a = schema_of("ARecord");
    let spec = &a["properties"]["spec"];
    assert_eq!(spec["required"], serde_json::json!(["name"]), "zoneRef / zone are optional: recordsFrom may select the record");
    assert_eq!(spec["properties"]["ipv4Address"]["pattern"], ironbind_crds::patterns::IPV4);
    assert_eq!(spec["properties"]["ipv4Addresses"]["items"]["pattern"], ironbind_crds::patterns::IPV4);
    assert_eq!(spec["properties"]["ipv4Addresses"]["minItems"], 1);
}

#[test]
fn patterns_accept_and_refuse_what_they_should() {
    use ironbind_crds::patterns::{FQDN, IPV4, IPV6, ZONE_NAME};
    let is = |p: &str, s: &str| regex::Regex::new(p).expect("compiles").is_match(s);
    for ok in ["0.0.0.0", "192.0.2.1", "255.255.255.255", "10.0.1.10"] {
        assert!(is(IPV4, ok), "{ok}");
    }
    for bad in ["192.0.2.300", "192.0.2", "01.2.3.4", "www.example.org", "1.2.3.4 ", "::1"] {
        assert!(!is(IPV4, bad), "{bad}");
    }
    for ok in ["2001:db8::1", "::", "::1", "2001:db8:0:1::61", "fe80:0:0:0:0:0:0:1"] {
        assert!(is(IPV6, ok), "{ok}");
    }
    assert!(!is(IPV6, "192.0.2.1"));
    assert!(is(ZONE_NAME, "example.com") && is(ZONE_NAME, "2.0.192.in-addr.arpa"));
    assert!(!is(ZONE_NAME, "example.com.") && !is(ZONE_NAME, "_tcp.example.com"));
    assert!(is(FQDN, "ns1.example.com.") && !is(FQDN, "ns1.example.com"));
}

#[test]
fn the_structural_check_catches_what_it_should() {
    let bad = serde_json::json!({
        "type": "object",
        "properties": {
            "untyped": {},
            "union": { "type": "string", "anyOf": [{ "type": "string" }] },
            "cel": { "type": "string", "x-kubernetes-validations": [{ "rule": "self != ''" }] },
            "loose": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
            "nullEnum": { "type": "string", "enum": ["a", null] },
            "badDefault": { "type": "integer", "minimum": 0, "default": -1 },
            "both": { "type": "object", "properties": { "a": { "type": "string" } }, "additionalProperties": { "type": "string" } },
        },
    });
    let mut problems = Vec::new();
    walk(&bad, "x", &mut problems);
    for expected in [
        "x.untyped: no type",
        "x.union: has anyOf",
        "x.cel: has x-kubernetes-validations",
        "x.loose: keeps unknown fields",
        "x.nullEnum: enum value null",
        "default: x.badDefault",
        "x.both: both properties",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(expected)), "missed {expected}: {problems:#?}");
    }
}

/// A status with every field set, as the operator would write it.
fn full_statuses() -> Vec<(&'static str, Value)> {
    use ironbind_crds::v1alpha1::{
        Bind9ClusterStatus, Bind9InstanceStatus, Condition, ConditionStatus, DNSZoneStatus, InstanceRole, InstanceZoneState, InstanceZoneStatus,
        RecordStatus, ZoneReference,
    };
    let ready = Condition {
        type_: "Ready".into(),
        status: ConditionStatus::False,
        reason: Some("IgnoredFields".into()),
        message: Some("ignored: spec.version (BIND only), spec.config.rndcSecretRef".into()),
        last_transition_time: Some("2026-01-02T03:04:05Z".into()),
        observed_generation: Some(3),
    };
    let zone_ref = ZoneReference {
        api_version: "bindy.firestoned.io/v1alpha1".into(),
        kind: "DNSZone".into(),
        name: "example-com".into(),
        namespace: "dns-system".into(),
        zone_name: "example.com".into(),
        last_reconciled_at: Some("2026-01-02T03:04:05Z".into()),
    };
    let cluster = Bind9ClusterStatus {
        conditions: vec![ready.clone()],
        observed_generation: Some(3),
        instance_count: Some(4),
        ready_instances: Some(3),
        instances: vec!["production-dns-primary-0".into()],
    };
    let instance = Bind9InstanceStatus {
        conditions: vec![ready.clone()],
        observed_generation: Some(3),
        role: Some(InstanceRole::Secondary),
        cluster: Some("production".into()),
        replicas: Some(2),
        ready_replicas: Some(1),
        pod_ips: vec!["10.244.1.5".into()],
        service_address: Some("10.0.0.53".into()),
        zones: vec![zone_ref.clone()],
    };
    let zone = DNSZoneStatus {
        conditions: vec![ready.clone()],
        observed_generation: Some(3),
        serial: Some(4_294_967_295),
        secondary_ips: vec!["10.244.1.5".into(), "10.244.2.8".into()],
        record_count: Some(9),
        bind9_instances: vec![InstanceZoneState {
            api_version: "bindy.firestoned.io/v1alpha1".into(),
            kind: "Bind9Instance".into(),
            name: "secondary-dns".into(),
            namespace: "dns-system".into(),
            role: Some(InstanceRole::Secondary),
            status: InstanceZoneStatus::Configured,
            serial: Some(2025012101),
            message: Some("transfer of 'example.com/IN' from 10.0.1.10#53: Transfer completed".into()),
            last_reconciled_at: Some("2026-01-02T03:04:05Z".into()),
        }],
        bind9_instances_count: Some(1),
    };
    let record = RecordStatus {
        conditions: vec![ready],
        observed_generation: Some(1),
        zone: Some("example.com".into()),
        zone_ref: Some(zone_ref),
        addresses: Some("192.0.2.1,192.0.2.2".into()),
        last_updated: Some("2026-01-02T03:04:05Z".into()),
    };
    vec![
        ("Bind9Cluster", json(&cluster)),
        ("Bind9Instance", json(&instance)),
        ("DNSZone", json(&zone)),
        ("ARecord", json(&record)),
        ("PTRRecord", json(&record)),
        ("DNSZone", json(&DNSZoneStatus::default())),
    ]
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serializes")
}

#[test]
fn statuses_the_operator_writes_pass_the_schema() {
    for (kind, status) in full_statuses() {
        let mut errors = Vec::new();
        support::validate(&schema_of(kind)["properties"]["status"], &status, "status", &mut errors);
        assert!(errors.is_empty(), "{kind}: {errors:#?}\n{status:#}");
        if std::env::var_os("PRINT_STATUS").is_some() {
            println!("{kind}\t{status}");
        }
    }
}
