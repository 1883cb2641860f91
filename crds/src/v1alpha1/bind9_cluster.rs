//! `Bind9Cluster` (b9c): a named set of primary and secondary instances with
//! shared settings. The operator creates `<cluster>-primary-<i>` /
//! `<cluster>-secondary-<i>` `Bind9Instance`s from `primary.replicas` /
//! `secondary.replicas`, labelled so zones can select them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Condition;
use super::config::Bind9Config;
use super::deployment::{ConfigMapRefs, ImageConfig, ServiceConfig};
use super::rndc::{RndcKeyConfig, RndcSecretRef};

/// A group of DNS server instances managed together.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "Bind9Cluster",
    namespaced,
    status = "Bind9ClusterStatus",
    derive = "PartialEq",
    shortname = "b9c",
    shortname = "b9cs",
    doc = "Bind9Cluster: a group of primary and secondary DNS server instances with shared settings.",
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.version"),
    printcolumn(name = "Primary", type_ = "integer", json_path = ".spec.primary.replicas"),
    printcolumn(name = "Secondary", type_ = "integer", json_path = ".spec.secondary.replicas"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct Bind9ClusterSpec {
    /// BIND version the instances would run (`9.18`). BIND only: ironbind runs its own image; reported as ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Primary instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<RoleConfig>,
    /// Secondary instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<RoleConfig>,
    /// Image of every instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageConfig>,
    /// BIND only: named.conf ConfigMaps. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_refs: Option<ConfigMapRefs>,
    /// Server settings of every instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<Bind9Config>,
    /// BIND only: TSIG/RNDC key Secrets. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rndc_secret_refs: Option<Vec<RndcSecretRef>>,
    /// BIND only: named ACLs (name to address list). Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acls: Option<BTreeMap<String, Vec<String>>>,
    /// Extra volumes of every instance's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::volumes")]
    pub volumes: Option<Vec<core::Volume>>,
    /// Mounts of those volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::volume_mounts")]
    pub volume_mounts: Option<Vec<core::VolumeMount>>,
}

/// Settings of the primary or the secondary instances of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleConfig {
    /// Number of instances of this role (each its own Deployment); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: Option<i32>,
    /// Labels added to these instances (for zones' `bind9InstancesFrom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Their DNS Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceConfig>,
    /// Clients allowed to transfer zones from these instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_transfer: Option<Vec<String>>,
    /// BIND only: RNDC key Secret. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rndc_secret_ref: Option<RndcSecretRef>,
    /// BIND only: RNDC key lifecycle. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rndc_key: Option<RndcKeyConfig>,
}

/// What the operator observed of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bind9ClusterStatus {
    /// `Ready` and one condition per child instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Number of instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<i32>,
    /// Number of ready instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_instances: Option<i32>,
    /// Names of the instances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
}
