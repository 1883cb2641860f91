//! `Bind9Instance` (b9): one DNS server Deployment (named after the
//! instance, pods labelled `instance: <name>`) and its Service.
//!
//! Its role is `spec.role`, else the first of the labels `role`, `dns-role`,
//! `bindy.firestoned.io/role`, else primary; its cluster is `spec.clusterRef`,
//! else the label `cluster` ([`Bind9Instance::resolved_role`],
//! [`Bind9Instance::resolved_cluster`]).

use k8s_openapi::api::core::v1 as core;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, ZoneReference};
use super::config::Bind9Config;
use super::deployment::{BindcarConfig, ConfigMapRefs, ImageConfig, ServiceConfig, StorageConfig};
use super::rndc::{RndcKeyConfig, RndcSecretRef};

/// Labels that carry an instance's role when `spec.role` is absent, in the order they are read.
pub const ROLE_LABELS: [&str; 3] = ["role", "dns-role", "bindy.firestoned.io/role"];

/// Label that carries an instance's cluster when `spec.clusterRef` is absent.
pub const CLUSTER_LABEL: &str = "cluster";

/// One DNS server deployment.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "Bind9Instance",
    namespaced,
    status = "Bind9InstanceStatus",
    derive = "PartialEq",
    shortname = "b9",
    shortname = "b9s",
    doc = "Bind9Instance: one authoritative DNS server deployment (primary or secondary) and its Service.",
    printcolumn(name = "Cluster", type_ = "string", json_path = ".status.cluster"),
    printcolumn(name = "Role", type_ = "string", json_path = ".status.role"),
    printcolumn(name = "Replicas", type_ = "integer", json_path = ".spec.replicas"),
    printcolumn(name = "Ready Replicas", type_ = "integer", json_path = ".status.readyReplicas"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct Bind9InstanceSpec {
    /// Cluster this instance belongs to (else the label `cluster`); empty for a standalone instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<String>,
    /// `primary` or `secondary` (else from the labels `role` / `dns-role` / `bindy.firestoned.io/role`; default primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::optional_enum)]
    pub role: Option<InstanceRole>,
    /// Pod replicas; each is an independent server with the same zones.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: i32,
    /// BIND version (`9.18`). BIND only: ironbind runs its own image; reported as ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Image settings (a BIND image is replaced by ironbind's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageConfig>,
    /// BIND only: named.conf ConfigMaps. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_refs: Option<ConfigMapRefs>,
    /// Server settings (over the cluster's `global`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Bind9Config>,
    /// Primaries a secondary transfers from (addresses, `ip` or `ip:port`); discovered from the cluster when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_servers: Option<Vec<String>>,
    /// Compute resources of the DNS container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::resources")]
    pub resources: Option<core::ResourceRequirements>,
    /// The DNS Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceConfig>,
    /// Where zone data lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageConfig>,
    /// Extra pod volumes (replace the cluster's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::volumes")]
    pub volumes: Option<Vec<core::Volume>>,
    /// Mounts of those volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::volume_mounts")]
    pub volume_mounts: Option<Vec<core::VolumeMount>>,
    /// BIND only: RNDC key Secret. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rndc_secret_ref: Option<RndcSecretRef>,
    /// BIND only: RNDC key lifecycle. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rndc_key: Option<RndcKeyConfig>,
    /// BIND only: bindcar sidecar. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindcar_config: Option<BindcarConfig>,
}

fn default_replicas() -> i32 {
    1
}

impl Default for Bind9InstanceSpec {
    fn default() -> Self {
        Self {
            cluster_ref: None,
            role: None,
            replicas: default_replicas(),
            version: None,
            image: None,
            config_map_refs: None,
            config: None,
            primary_servers: None,
            resources: None,
            service: None,
            storage: None,
            volumes: None,
            volume_mounts: None,
            rndc_secret_ref: None,
            rndc_key: None,
            bindcar_config: None,
        }
    }
}

/// Role of an instance: `primary` (holds the zones' data) or `secondary` (transfers them).
#[allow(missing_docs)] // variants are named above: a documented variant would turn the schema enum into oneOf/const
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum InstanceRole {
    #[default]
    Primary,
    Secondary,
}

impl InstanceRole {
    /// The role named by a label value (`primary`, `secondary`; `master`/`slave` as BIND's old words).
    pub fn from_label(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "primary" | "master" => Some(Self::Primary),
            "secondary" | "slave" => Some(Self::Secondary),
            _ => None,
        }
    }

    /// `primary` or `secondary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }
}

impl Bind9Instance {
    /// `spec.role`, else the first role label with a known value, else primary.
    pub fn resolved_role(&self) -> InstanceRole {
        if let Some(role) = self.spec.role {
            return role;
        }
        let labels = self.metadata.labels.as_ref();
        ROLE_LABELS.iter().filter_map(|k| labels.and_then(|l| l.get(*k))).find_map(|v| InstanceRole::from_label(v)).unwrap_or_default()
    }

    /// `spec.clusterRef` when non-empty, else the `cluster` label.
    pub fn resolved_cluster(&self) -> Option<&str> {
        match self.spec.cluster_ref.as_deref() {
            Some(c) if !c.is_empty() => Some(c),
            _ => self.metadata.labels.as_ref().and_then(|l| l.get(CLUSTER_LABEL)).map(String::as_str).filter(|c| !c.is_empty()),
        }
    }
}

/// What the operator observed of an instance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bind9InstanceStatus {
    /// `Ready` (pods ready; ignored or refused settings named in its message) and others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The role in effect (from spec or labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::optional_enum)]
    pub role: Option<InstanceRole>,
    /// The cluster in effect (from spec or labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Pods of the Deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Ready pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// IPs of the ready pods (what primaries NOTIFY and allow transfers to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_ips: Vec<String>,
    /// Address of the instance's Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_address: Option<String>,
    /// Zones this instance serves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<ZoneReference>,
}
