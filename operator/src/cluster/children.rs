//! The `Bind9Instance`s a `Bind9Cluster` owns, as pure functions of it:
//! `<cluster>-primary-<i>` for i < `primary.replicas` and
//! `<cluster>-secondary-<i>` for i < `secondary.replicas`, one pod each,
//! labelled with their role and cluster (the labels zones select on, the
//! seed's `role` and `cluster` among them), their spec taken from the
//! cluster's shared settings.
//!
//! Owns: names, labels and the instance spec derived from the cluster. Must
//! not: talk to the API server.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use ironbind_crds::v1alpha1::bind9_cluster::RoleConfig;
use ironbind_crds::v1alpha1::bind9_instance::InstanceRole;
use ironbind_crds::v1alpha1::{Bind9Cluster, Bind9Instance, Bind9InstanceSpec};

/// Label saying which controller made an instance.
pub const MANAGED_BY: &str = "bindy.firestoned.io/managed-by";
/// Annotation with an instance's index within its role.
pub const INDEX_ANNOTATION: &str = "bindy.firestoned.io/instance-index";

/// The labels that select a cluster's instances.
pub fn selector(cluster: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(MANAGED_BY.to_string(), "Bind9Cluster".to_string()), ("bindy.firestoned.io/cluster".to_string(), cluster.to_string())])
}

/// The instance name of `role` number `i` of `cluster`.
pub fn instance_name(cluster: &str, role: InstanceRole, i: i32) -> String {
    format!("{cluster}-{}-{i}", role.as_str())
}

/// Every instance `c` asks for, in order (primaries first).
pub fn instances(c: &Bind9Cluster, name: &str, namespace: &str, uid: &str) -> Vec<Bind9Instance> {
    let mut out = Vec::new();
    for (role, rc) in [(InstanceRole::Primary, &c.spec.primary), (InstanceRole::Secondary, &c.spec.secondary)] {
        let count = rc.as_ref().and_then(|r| r.replicas).unwrap_or(0).max(0);
        for i in 0..count {
            out.push(instance(c, name, namespace, uid, role, rc.as_ref(), i));
        }
    }
    out
}

fn instance(c: &Bind9Cluster, name: &str, namespace: &str, uid: &str, role: InstanceRole, rc: Option<&RoleConfig>, i: i32) -> Bind9Instance {
    let mut labels = selector(name);
    labels.insert("bindy.firestoned.io/role".into(), role.as_str().into());
    labels.insert("role".into(), role.as_str().into());
    labels.insert("cluster".into(), name.into());
    labels.insert("app.kubernetes.io/part-of".into(), "ironbind".into());
    if let Some(extra) = rc.and_then(|r| r.labels.as_ref()) {
        for (k, v) in extra {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    // Role-level allowTransfer overrides the cluster's global one.
    let mut config = c.spec.global.clone();
    if let Some(at) = rc.and_then(|r| r.allow_transfer.clone()) {
        config.get_or_insert_with(Default::default).allow_transfer = Some(at);
    }
    let spec = Bind9InstanceSpec {
        cluster_ref: Some(name.to_string()),
        role: Some(role),
        replicas: 1,
        version: c.spec.version.clone(),
        image: c.spec.image.clone(),
        config_map_refs: c.spec.config_map_refs.clone(),
        config,
        service: rc.and_then(|r| r.service.clone()),
        volumes: c.spec.volumes.clone(),
        volume_mounts: c.spec.volume_mounts.clone(),
        ..Bind9InstanceSpec::default()
    };
    let mut inst = Bind9Instance::new(&instance_name(name, role, i), spec);
    inst.metadata = ObjectMeta {
        name: Some(instance_name(name, role, i)),
        namespace: Some(namespace.to_string()),
        labels: Some(labels),
        annotations: Some(BTreeMap::from([(INDEX_ANNOTATION.to_string(), i.to_string())])),
        owner_references: Some(vec![OwnerReference {
            api_version: "bindy.firestoned.io/v1alpha1".into(),
            kind: "Bind9Cluster".into(),
            name: name.to_string(),
            uid: uid.to_string(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }]),
        ..Default::default()
    };
    inst
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbind_crds::v1alpha1::Bind9ClusterSpec;

    fn cluster(yaml: &str) -> Bind9Cluster {
        Bind9Cluster::new("production", serde_norway::from_str::<Bind9ClusterSpec>(yaml).unwrap())
    }

    #[test]
    fn one_primary_two_secondaries() {
        let c = cluster("primary: {replicas: 1, labels: {tier: a}}\nsecondary: {replicas: 2, allowTransfer: [10.0.0.0/8]}\nglobal: {allowQuery: [any], allowTransfer: [none]}\n");
        let got = instances(&c, "production", "dns-system", "u1");
        let names: Vec<_> = got.iter().map(|i| i.metadata.name.clone().unwrap()).collect();
        assert_eq!(names, ["production-primary-0", "production-secondary-0", "production-secondary-1"]);
        let p = &got[0];
        assert_eq!(p.resolved_role(), InstanceRole::Primary);
        assert_eq!(p.resolved_cluster(), Some("production"));
        let l = p.metadata.labels.as_ref().unwrap();
        assert_eq!(l["role"], "primary");
        assert_eq!(l["cluster"], "production");
        assert_eq!(l["tier"], "a");
        assert_eq!(l[MANAGED_BY], "Bind9Cluster");
        assert_eq!(p.spec.replicas, 1);
        assert_eq!(p.spec.config.as_ref().unwrap().allow_transfer.as_deref(), Some(&["none".to_string()][..]));
        let s = &got[2];
        assert_eq!(s.resolved_role(), InstanceRole::Secondary);
        assert_eq!(s.spec.config.as_ref().unwrap().allow_transfer.as_deref(), Some(&["10.0.0.0/8".to_string()][..]), "role overrides global");
        assert_eq!(s.metadata.annotations.as_ref().unwrap()[INDEX_ANNOTATION], "1");
        let o = &s.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!((o.kind.as_str(), o.uid.as_str(), o.controller), ("Bind9Cluster", "u1", Some(true)));
    }

    #[test]
    fn no_replicas_no_instances() {
        assert!(instances(&cluster("version: '9.18'\n"), "c", "ns", "u").is_empty());
        assert!(instances(&cluster("primary: {replicas: 0}\n"), "c", "ns", "u").is_empty());
    }
}
