//! The children of the seed's `secondary-dns` instance, field by field.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::children::{self, Parent, ZONES_LOADED_GATE};
use ironbind_crds::v1alpha1::Bind9Instance;

/// `deploy/examples/seed/06-bind9instance-secondary-dns-labelled.yaml`, as the seed writes it.
const SEED: &str = include_str!("../../../deploy/examples/seed/06-bind9instance-secondary-dns-labelled.yaml");

fn seed() -> Bind9Instance {
    serde_norway::from_str(SEED).expect("the seed's instance")
}

fn parent(i: &Bind9Instance) -> Parent<'_> {
    Parent { instance: i, name: "secondary-dns", namespace: "dns-system", uid: "u-1" }
}

#[test]
fn every_child_is_named_after_the_instance_and_owned_by_it() {
    let i = seed();
    let p = parent(&i);
    let cm = children::config_map(&p).unwrap();
    let secret = children::token_secret(&p, "t0k3n");
    let d = children::deployment(&p);
    let svc = children::service(&p);
    let names = [&cm.metadata, &secret.metadata, &d.metadata, &svc.metadata].map(|m| m.name.clone().unwrap());
    assert_eq!(names, ["secondary-dns-config", "secondary-dns-control", "secondary-dns", "secondary-dns"]);
    for m in [&cm.metadata, &secret.metadata, &d.metadata, &svc.metadata] {
        assert_eq!(m.namespace.as_deref(), Some("dns-system"));
        let o = &m.owner_references.as_ref().unwrap()[0];
        assert_eq!((o.kind.as_str(), o.name.as_str(), o.uid.as_str(), o.controller), ("Bind9Instance", "secondary-dns", "u-1", Some(true)));
    }
    assert_eq!(secret.data.unwrap()["token"].0, b"t0k3n");
}

#[test]
fn the_seed_labels_give_role_and_cluster() {
    let i = seed();
    let labels = parent(&i).labels();
    assert_eq!(labels["instance"], "secondary-dns");
    assert_eq!(labels["bindy.firestoned.io/role"], "secondary", "from the seed's `role: secondary` label");
    assert_eq!(labels["bindy.firestoned.io/cluster"], "production");
    assert_eq!(labels["app.kubernetes.io/name"], "ironbind");
}

#[test]
fn the_pod_is_locked_down_probed_and_gated() {
    let i = seed();
    let d = children::deployment(&parent(&i));
    let spec = d.spec;
    assert_eq!(spec.replicas, Some(i.spec.replicas));
    let selector = spec.selector.match_labels.unwrap();
    let template_labels = spec.template.metadata.unwrap().labels.unwrap();
    assert!(selector.iter().all(|(k, v)| template_labels.get(k) == Some(v)), "the selector selects the template");
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.readiness_gates.unwrap()[0].condition_type, ZONES_LOADED_GATE);
    let c = &pod.containers[0];
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!((sc.run_as_non_root, sc.read_only_root_filesystem, sc.allow_privilege_escalation), (Some(true), Some(true), Some(false)));
    assert_eq!(sc.capabilities.as_ref().unwrap().drop.as_deref(), Some(&["ALL".to_string()][..]));
    let probe_path = |p: &Option<k8s_openapi::api::core::v1::Probe>| p.as_ref().unwrap().http_get.as_ref().unwrap().path.clone().unwrap();
    assert_eq!(probe_path(&c.readiness_probe), "/readyz");
    assert_eq!(probe_path(&c.liveness_probe), "/healthz");
    let args = c.args.clone().unwrap().join(" ");
    assert_eq!(args, "--config /etc/ironbind/ironbind.toml --listen $(POD_IP):5353 --control-listen $(POD_IP):8053");
    assert_eq!(c.env.as_ref().unwrap()[0].value_from.as_ref().unwrap().field_ref.as_ref().unwrap().field_path, "status.podIP");
    let mounts: BTreeMap<String, String> = c.volume_mounts.clone().unwrap().into_iter().map(|m| (m.name, m.mount_path)).collect();
    assert_eq!(mounts["data"], "/var/lib/bind");
    assert_eq!(mounts["config"], "/etc/ironbind");
    let volumes = pod.volumes.unwrap();
    let data = volumes.iter().find(|v| v.name == "data").unwrap();
    assert!(data.empty_dir.is_some(), "no storage asked: an emptyDir");
}

#[test]
fn a_claim_is_used_when_storage_asks_for_one() {
    let mut i = seed();
    i.spec.storage = Some(
        serde_json::from_value(serde_json::json!({"storageType": "persistentVolumeClaim", "persistentVolumeClaim": {"claimName": "zones"}})).unwrap(),
    );
    let pod = children::deployment(&parent(&i)).spec.template.spec.unwrap();
    let data = pod.volumes.unwrap().into_iter().find(|v| v.name == "data").unwrap();
    assert_eq!(data.persistent_volume_claim.unwrap().claim_name, "zones");
}

#[test]
fn the_service_maps_53_to_the_pods() {
    let i = seed();
    let svc = children::service(&parent(&i)).spec.unwrap();
    let ports: Vec<(String, i32, IntOrString, String)> =
        svc.ports.unwrap().into_iter().map(|p| (p.name.unwrap(), p.port, p.target_port.unwrap(), p.protocol.unwrap())).collect();
    assert_eq!(
        ports,
        [
            ("dns-udp".into(), 53, IntOrString::Int(5353), "UDP".into()),
            ("dns-tcp".into(), 53, IntOrString::Int(5353), "TCP".into()),
            ("control".into(), 8053, IntOrString::Int(8053), "TCP".into()),
        ]
    );
    assert_eq!(svc.selector.unwrap()["instance"], "secondary-dns");
}

#[test]
fn an_acl_name_keeps_the_config_map_from_being_written() {
    let mut i = seed();
    i.spec.config.get_or_insert_with(Default::default).allow_query = Some(vec!["internal-nets".into()]);
    assert!(children::config_map(&parent(&i)).is_err(), "an ACL name ironbind cannot resolve is refused, not dropped");
}
