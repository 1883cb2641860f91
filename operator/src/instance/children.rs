//! The objects a `Bind9Instance` owns, built as pure functions of it:
//! ConfigMap (the server's config document), Secret (the control-API token),
//! Deployment and Service, each named after the instance and owned by it.
//!
//! Owns: names, labels, the pod template (args, probes, volumes, security
//! context, readiness gate) and the Service's ports. Must not: talk to the
//! API server (the controller applies what these return) or generate secrets
//! (the token is handed in: made once, then kept).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, ObjectFieldSelector,
    PersistentVolumeClaimVolumeSource, PodReadinessGate, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, Secret, SecretVolumeSource,
    SecurityContext, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

use super::render::{self, Unsupported, CONFIG_DIR, CONFIG_FILE, CONTROL_PORT, DATA_DIR, DNS_PORT, TOKEN_DIR, TOKEN_KEY};
use ironbind_crds::v1alpha1::deployment::StorageType;
use ironbind_crds::v1alpha1::Bind9Instance;

/// The image when the instance names none.
pub const DEFAULT_IMAGE: &str = "ironbind:latest";
/// The pod condition the operator sets once the pod serves every zone assigned to it.
pub const ZONES_LOADED_GATE: &str = "bindy.firestoned.io/zones-loaded";
/// The user the server runs as (non-root).
pub const RUN_AS_USER: i64 = 65532;

/// What the children are built from: the instance and its identity.
pub struct Parent<'a> {
    /// The instance.
    pub instance: &'a Bind9Instance,
    /// Its name.
    pub name: &'a str,
    /// Its namespace.
    pub namespace: &'a str,
    /// Its UID (for owner references).
    pub uid: &'a str,
}

impl Parent<'_> {
    fn owner(&self) -> OwnerReference {
        OwnerReference {
            api_version: "bindy.firestoned.io/v1alpha1".into(),
            kind: "Bind9Instance".into(),
            name: self.name.to_string(),
            uid: self.uid.to_string(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }

    fn meta(&self, name: String) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: Some(self.namespace.to_string()),
            labels: Some(self.labels()),
            owner_references: Some(vec![self.owner()]),
            ..Default::default()
        }
    }

    /// The pods' labels: `instance: <name>` (the seed's `kubectl logs -l instance=…`),
    /// the app.kubernetes.io set, and the role and cluster the instance resolves to.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut l = self.selector();
        l.insert("app.kubernetes.io/name".into(), "ironbind".into());
        l.insert("app.kubernetes.io/component".into(), "dns-server".into());
        l.insert("app.kubernetes.io/managed-by".into(), "ironbind-operator".into());
        l.insert("app.kubernetes.io/part-of".into(), "ironbind".into());
        l.insert("bindy.firestoned.io/role".into(), self.instance.resolved_role().as_str().into());
        if let Some(c) = self.instance.resolved_cluster() {
            l.insert("bindy.firestoned.io/cluster".into(), c.to_string());
        }
        l
    }

    /// The labels that select this instance's pods.
    pub fn selector(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("instance".to_string(), self.name.to_string()), ("app.kubernetes.io/instance".to_string(), self.name.to_string())])
    }
}

/// The ConfigMap with the server's config document.
pub fn config_map(p: &Parent<'_>) -> Result<ConfigMap, Unsupported> {
    let doc = render::config_toml(&p.instance.spec)?;
    Ok(ConfigMap {
        metadata: p.meta(format!("{}-config", p.name)),
        data: Some(BTreeMap::from([(CONFIG_FILE.to_string(), doc)])),
        ..Default::default()
    })
}

/// The Secret with the control-API token (`token`: made once by the caller, then kept).
pub fn token_secret(p: &Parent<'_>, token: &str) -> Secret {
    Secret {
        metadata: p.meta(format!("{}-control", p.name)),
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([(TOKEN_KEY.to_string(), ByteString(token.as_bytes().to_vec()))])),
        ..Default::default()
    }
}

/// The Deployment: `spec.replicas` pods of the server, each listening on its own
/// pod IP, not Ready before the operator has pushed its zones (the readiness gate).
pub fn deployment(p: &Parent<'_>) -> Deployment {
    let spec = &p.instance.spec;
    let image = spec.image.as_ref().and_then(|i| i.image.clone()).unwrap_or_else(|| DEFAULT_IMAGE.to_string());
    let probe = |path: &str, period: i32, failures: i32| Probe {
        http_get: Some(HTTPGetAction { path: Some(path.into()), port: IntOrString::Int(CONTROL_PORT.into()), ..Default::default() }),
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        ..Default::default()
    };
    let data_volume = match spec.storage.as_ref().map(|s| (s.storage_type, s)) {
        Some((StorageType::PersistentVolumeClaim, s)) => Volume {
            name: "data".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: s.persistent_volume_claim.as_ref().and_then(|c| c.claim_name.clone()).unwrap_or_else(|| format!("{}-data", p.name)),
                read_only: Some(false),
            }),
            ..Default::default()
        },
        Some((_, s)) => Volume { name: "data".into(), empty_dir: Some(s.empty_dir.clone().unwrap_or_default()), ..Default::default() },
        None => Volume { name: "data".into(), empty_dir: Some(Default::default()), ..Default::default() },
    };
    let container = Container {
        name: "ironbind".into(),
        image: Some(image),
        image_pull_policy: spec.image.as_ref().and_then(|i| i.image_pull_policy.clone()),
        args: Some(vec![
            "--config".into(),
            format!("{CONFIG_DIR}/{CONFIG_FILE}"),
            "--listen".into(),
            format!("$(POD_IP):{DNS_PORT}"),
            "--control-listen".into(),
            format!("$(POD_IP):{CONTROL_PORT}"),
        ]),
        env: Some(vec![EnvVar {
            name: "POD_IP".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector { field_path: "status.podIP".into(), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ports: Some(vec![
            ContainerPort { name: Some("dns-udp".into()), container_port: DNS_PORT.into(), protocol: Some("UDP".into()), ..Default::default() },
            ContainerPort { name: Some("dns-tcp".into()), container_port: DNS_PORT.into(), protocol: Some("TCP".into()), ..Default::default() },
            ContainerPort { name: Some("control".into()), container_port: CONTROL_PORT.into(), protocol: Some("TCP".into()), ..Default::default() },
        ]),
        readiness_probe: Some(probe("/readyz", 2, 3)),
        liveness_probe: Some(probe("/healthz", 10, 3)),
        resources: spec.resources.clone(),
        security_context: Some(SecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(RUN_AS_USER),
            run_as_group: Some(RUN_AS_USER),
            read_only_root_filesystem: Some(true),
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
            ..Default::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount { name: "config".into(), mount_path: CONFIG_DIR.into(), read_only: Some(true), ..Default::default() },
            VolumeMount { name: "token".into(), mount_path: TOKEN_DIR.into(), read_only: Some(true), ..Default::default() },
            VolumeMount { name: "data".into(), mount_path: DATA_DIR.into(), ..Default::default() },
        ]),
        ..Default::default()
    };
    let pod = PodSpec {
        containers: vec![container],
        volumes: Some(vec![
            Volume {
                name: "config".into(),
                config_map: Some(ConfigMapVolumeSource { name: format!("{}-config", p.name), ..Default::default() }),
                ..Default::default()
            },
            Volume {
                name: "token".into(),
                secret: Some(SecretVolumeSource { secret_name: Some(format!("{}-control", p.name)), ..Default::default() }),
                ..Default::default()
            },
            data_volume,
        ]),
        readiness_gates: Some(vec![PodReadinessGate { condition_type: ZONES_LOADED_GATE.into() }]),
        security_context: Some(PodSecurityContext { run_as_non_root: Some(true), fs_group: Some(RUN_AS_USER), ..Default::default() }),
        automount_service_account_token: Some(false),
        ..Default::default()
    };
    Deployment {
        metadata: p.meta(p.name.to_string()),
        spec: DeploymentSpec {
            replicas: Some(spec.replicas),
            selector: LabelSelector { match_labels: Some(p.selector()), ..Default::default() },
            strategy: Some(DeploymentStrategy { type_: Some("RollingUpdate".into()), ..Default::default() }),
            template: PodTemplateSpec { metadata: Some(ObjectMeta { labels: Some(p.labels()), ..Default::default() }), spec: Some(pod) },
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The Service: DNS on 53 (UDP and TCP) to the pods' 5353, and the control port.
pub fn service(p: &Parent<'_>) -> Service {
    let port = |name: &str, port: u16, target: u16, proto: &str| ServicePort {
        name: Some(name.into()),
        port: port.into(),
        target_port: Some(IntOrString::Int(target.into())),
        protocol: Some(proto.into()),
        ..Default::default()
    };
    let custom = p.instance.spec.service.as_ref();
    let mut meta = p.meta(p.name.to_string());
    if let Some(a) = custom.and_then(|s| s.annotations.clone()) {
        meta.annotations = Some(a);
    }
    Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            type_: custom.and_then(|s| s.spec.as_ref()).and_then(|s| s.type_.clone()).or(Some("ClusterIP".into())),
            selector: Some(p.selector()),
            ports: Some(vec![
                port("dns-udp", 53, DNS_PORT, "UDP"),
                port("dns-tcp", 53, DNS_PORT, "TCP"),
                port("control", CONTROL_PORT, CONTROL_PORT, "TCP"),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}
