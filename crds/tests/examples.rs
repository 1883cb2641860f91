//! The example manifests in `deploy/examples/`: every document of the seed
//! (`seed/`, copied verbatim; fragments merged into the instance they
//! belong to) and of bindy's v1alpha1 examples (`bindy/`) deserializes into
//! the Rust types, passes the CRD schema, and survives a serialize /
//! deserialize round trip that still passes the schema (what the operator
//! writes back). Every `invalid/` manifest fails the schema at the field its
//! `# expect-rejection:` line names.

mod support;

use std::path::Path;

use ironbind_crds::v1alpha1::{
    AAAARecord, ARecord, Bind9Cluster, Bind9Instance, CAARecord, CNAMERecord, DNSZone, InstanceRole, MXRecord, NSRecord, PTRRecord, SRVRecord,
    TXTRecord, ZoneType,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use support::{documents, validate_object, yaml_files};

/// Deserializes, validates and round-trips one object of kind `K`.
fn check<K: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(what: &str, kind: &str, doc: &Value) -> K {
    let typed: K = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{what}: does not deserialize as {kind}: {e}"));
    let errors = validate_object(kind, doc);
    assert!(errors.is_empty(), "{what}: schema rejects it: {errors:#?}");
    let written = serde_json::to_value(&typed).expect("serializes");
    let errors = validate_object(kind, &written);
    assert!(errors.is_empty(), "{what}: schema rejects what the Rust type writes: {errors:#?}\n{written:#}");
    let again: K = serde_json::from_value(written).unwrap_or_else(|e| panic!("{what}: written form does not deserialize: {e}"));
    assert_eq!(again, typed, "{what}: round trip changed it");
    typed
}

/// Checks one document by its kind; returns the kind.
fn check_document(what: &str, doc: &Value) -> String {
    let kind = doc["kind"].as_str().unwrap_or_else(|| panic!("{what}: no kind")).to_string();
    assert_eq!(doc["apiVersion"], "bindy.firestoned.io/v1alpha1", "{what}: apiVersion");
    match kind.as_str() {
        "Bind9Cluster" => drop(check::<Bind9Cluster>(what, &kind, doc)),
        "Bind9Instance" => drop(check::<Bind9Instance>(what, &kind, doc)),
        "DNSZone" => drop(check::<DNSZone>(what, &kind, doc)),
        "ARecord" => drop(check::<ARecord>(what, &kind, doc)),
        "AAAARecord" => drop(check::<AAAARecord>(what, &kind, doc)),
        "CNAMERecord" => drop(check::<CNAMERecord>(what, &kind, doc)),
        "MXRecord" => drop(check::<MXRecord>(what, &kind, doc)),
        "TXTRecord" => drop(check::<TXTRecord>(what, &kind, doc)),
        "NSRecord" => drop(check::<NSRecord>(what, &kind, doc)),
        "SRVRecord" => drop(check::<SRVRecord>(what, &kind, doc)),
        "CAARecord" => drop(check::<CAARecord>(what, &kind, doc)),
        "PTRRecord" => drop(check::<PTRRecord>(what, &kind, doc)),
        other => panic!("{what}: unexpected kind {other}"),
    }
    kind
}

fn name(path: &Path) -> String {
    path.file_name().expect("a file name").to_string_lossy().into_owned()
}

/// `base` with `patch` merged in (objects merged key by key, anything else replaced).
fn merged(base: &Value, patch: &Value) -> Value {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            let mut out = b.clone();
            for (k, v) in p {
                let next = out.get(k).map_or_else(|| v.clone(), |old| merged(old, v));
                out.insert(k.clone(), next);
            }
            Value::Object(out)
        }
        _ => patch.clone(),
    }
}

fn seed(file: &str) -> Value {
    let path = support::repo_root().join("deploy/examples/seed").join(file);
    let mut docs = documents(&path);
    assert_eq!(docs.len(), 1, "{file}: one document");
    docs.remove(0)
}

#[test]
fn every_seed_document_is_accepted() {
    let base = seed("01-bind9instance-secondary-dns.yaml");
    for path in yaml_files("deploy/examples/seed") {
        for (i, doc) in documents(&path).iter().enumerate() {
            let what = format!("seed/{} #{i}", name(&path));
            if doc.get("kind").is_some() {
                check_document(&what, doc);
            } else {
                // A fragment of the instance manifest: the seed shows it as part of the instance above it.
                assert!(name(&path).contains("-fragment-"), "{what}: a document without kind must be named as a fragment");
                check_document(&what, &merged(&base, doc));
            }
        }
    }
}

#[test]
fn seed_instances_take_role_and_cluster_from_labels() {
    let first: Bind9Instance = serde_json::from_value(seed("01-bind9instance-secondary-dns.yaml")).expect("instance");
    assert_eq!(first.spec.role, None);
    assert_eq!(first.resolved_role(), InstanceRole::Secondary, "dns-role: secondary");
    assert_eq!(first.spec.replicas, 1);
    assert_eq!(first.spec.version.as_deref(), Some("9.18"));
    let config = first.spec.config.as_ref().expect("config");
    assert_eq!(config.recursion, Some(false));
    assert_eq!(config.allow_query.as_deref(), Some(&["0.0.0.0/0".to_string()][..]));

    let labelled: Bind9Instance = serde_json::from_value(seed("06-bind9instance-secondary-dns-labelled.yaml")).expect("instance");
    assert_eq!(labelled.resolved_role(), InstanceRole::Secondary, "role: secondary");
    assert_eq!(labelled.resolved_cluster(), Some("production"));
    assert_eq!(labelled.spec.replicas, 2);

    let no_transfer = merged(&seed("01-bind9instance-secondary-dns.yaml"), &seed("02-bind9instance-fragment-spec-config.yaml"));
    let no_transfer: Bind9Instance = serde_json::from_value(no_transfer).expect("instance");
    let config = no_transfer.spec.config.expect("config");
    assert_eq!(config.allow_transfer, Some(vec![]), "allowTransfer: [] is kept apart from absent");
    assert_eq!(config.recursion, Some(false), "the fragment adds to the instance's config");
}

#[test]
fn seed_zones_read_as_written() {
    let secondary: DNSZone = serde_json::from_value(seed("04-dnszone-example-com-secondary.yaml")).expect("zone");
    assert_eq!(secondary.spec.zone_name, "example.com");
    assert_eq!(secondary.spec.zone_type, ZoneType::Secondary);
    let selector = secondary.spec.instance_selector.expect("instanceSelector");
    assert_eq!(selector.match_labels.expect("matchLabels").get("dns-role").map(String::as_str), Some("secondary"));
    assert_eq!(secondary.spec.secondary_config.expect("secondaryConfig").primary_servers, ["10.0.1.10", "10.0.1.11"]);

    let primary: DNSZone = serde_json::from_value(seed("07-dnszone-example-com.yaml")).expect("zone");
    assert_eq!(primary.spec.zone_type, ZoneType::Primary, "type defaults to primary");
    assert_eq!(primary.spec.cluster_ref.as_deref(), Some("production"));
    assert!(primary.spec.soa_record.is_none(), "a primary zone without SOA is accepted");
}

#[test]
fn every_bindy_example_is_accepted_and_every_kind_is_covered() {
    let mut kinds = std::collections::BTreeSet::new();
    for path in yaml_files("deploy/examples/bindy") {
        for (i, doc) in documents(&path).iter().enumerate() {
            kinds.insert(check_document(&format!("bindy/{} #{i}", name(&path)), doc));
        }
    }
    let all: std::collections::BTreeSet<String> = ironbind_crds::generate::crds().into_iter().map(|c| c.spec.names.kind).collect();
    assert_eq!(kinds, all, "the bindy examples use every kind");
}

#[test]
fn bindy_v1alpha1_shapes_read_as_written() {
    let path = support::repo_root().join("deploy/examples/bindy/04-dns-records.yaml");
    let docs = documents(&path);
    let a: ARecord = serde_json::from_value(docs[0].clone()).expect("ARecord");
    assert_eq!(a.spec.common.zone_ref.as_deref(), Some("example-com"));
    assert_eq!(a.spec.addresses().collect::<Vec<_>>(), ["192.0.2.1"]);
    let srv: SRVRecord = serde_json::from_value(docs[6].clone()).expect("SRVRecord");
    assert_eq!((srv.spec.priority, srv.spec.weight, srv.spec.port), (10, 60, 389));
    let by_zone: ARecord = serde_json::from_value(docs[8].clone()).expect("ARecord");
    assert_eq!(by_zone.spec.common.zone.as_deref(), Some("example.com"));
    assert_eq!(by_zone.spec.common.ttl, None);

    let path = support::repo_root().join("deploy/examples/bindy/05-label-selection.yaml");
    let docs = documents(&path);
    let zone: DNSZone = serde_json::from_value(docs[0].clone()).expect("DNSZone");
    assert_eq!(zone.spec.bind9_instances_from.as_ref().map(Vec::len), Some(1));
    assert_eq!(zone.spec.name_servers.as_ref().map(Vec::len), Some(2));
    let rr: ARecord = serde_json::from_value(docs[1].clone()).expect("ARecord");
    assert_eq!(rr.spec.addresses().count(), 3);

    let path = support::repo_root().join("deploy/examples/bindy/02-bind9-instances.yaml");
    let docs = documents(&path);
    let primary: Bind9Instance = serde_json::from_value(docs[0].clone()).expect("instance");
    assert_eq!((primary.spec.role, primary.resolved_cluster()), (Some(InstanceRole::Primary), Some("production-dns")));
    let standalone: Bind9Instance = serde_json::from_value(docs[2].clone()).expect("instance");
    assert_eq!(standalone.resolved_cluster(), None, "clusterRef: \"\" is standalone");
}

#[test]
fn every_invalid_example_is_rejected_at_its_field() {
    for path in yaml_files("deploy/examples/invalid") {
        let what = format!("invalid/{}", name(&path));
        let text = std::fs::read_to_string(&path).expect("readable");
        let field = text
            .lines()
            .find_map(|l| l.strip_prefix("# expect-rejection: "))
            .unwrap_or_else(|| panic!("{what}: no `# expect-rejection: <field>` line"))
            .trim()
            .to_string();
        let docs = documents(&path);
        assert_eq!(docs.len(), 1, "{what}: one document");
        let kind = docs[0]["kind"].as_str().expect("a kind");
        let errors = validate_object(kind, &docs[0]);
        // `spec.ipv4Addresses` also matches the item (`spec.ipv4Addresses[1]`), which newer API servers name.
        let at_field = |e: &&String| e.strip_prefix(field.as_str()).is_some_and(|rest| rest.starts_with(':') || rest.starts_with('['));
        assert!(errors.iter().any(|e| at_field(&e)), "{what}: expected a rejection at {field}, got {errors:#?}");
    }
}
