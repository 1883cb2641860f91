//! How an instance's pods are built: image, Service, storage, and the
//! BIND-only pieces bindy carries (`configMapRefs`, the bindcar sidecar).
//! Shared by `Bind9Cluster` and `Bind9Instance`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Container image settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageConfig {
    /// Image reference. A BIND image (bindy's default) is replaced by ironbind's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `Always`, `IfNotPresent` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Names of image pull Secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<String>>,
}

/// BIND only: ConfigMaps replacing generated named.conf files. Accepted and ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapRefs {
    /// ConfigMap with `named.conf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_conf: Option<String>,
    /// ConfigMap with `named.conf.options`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_conf_options: Option<String>,
    /// ConfigMap with `named.conf.zones`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_conf_zones: Option<String>,
}

/// The DNS Service in front of an instance's pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceConfig {
    /// Annotations on the Service (load balancer settings, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Service spec fields to merge (`type`, `loadBalancerIP`, `externalTrafficPolicy`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::service_spec")]
    pub spec: Option<core::ServiceSpec>,
}

/// Where zone data lives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageConfig {
    /// `emptyDir` (default) or `persistentVolumeClaim`.
    #[serde(default)]
    pub storage_type: StorageType,
    /// Settings of the emptyDir volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::empty_dir")]
    pub empty_dir: Option<core::EmptyDirVolumeSource>,
    /// Settings of the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<PersistentVolumeClaimConfig>,
}

/// Kind of zone-data volume: `emptyDir` or `persistentVolumeClaim`.
#[allow(missing_docs)] // variants are named above: a documented variant would turn the schema enum into oneOf/const
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum StorageType {
    #[default]
    EmptyDir,
    PersistentVolumeClaim,
}

/// A claim for zone data: an existing one by name, or one to create.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersistentVolumeClaimConfig {
    /// Existing claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_name: Option<String>,
    /// Storage class of a new claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    /// Size of a new claim (e.g. `1Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Access modes (`ReadWriteOnce`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_modes: Option<Vec<String>>,
}

/// BIND only: the bindcar RNDC HTTP sidecar. Accepted and ignored (ironbind has no sidecar).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindcarConfig {
    /// Sidecar image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Sidecar image pull policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Sidecar resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::resources")]
    pub resources: Option<core::ResourceRequirements>,
    /// Sidecar API port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Sidecar log level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// Extra sidecar environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::env_vars")]
    pub env_vars: Option<Vec<core::EnvVar>>,
    /// Service spec for the sidecar API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::service_spec")]
    pub service_spec: Option<core::ServiceSpec>,
    /// Sidecar volumes (v1alpha1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::volumes")]
    pub volumes: Option<Vec<core::Volume>>,
    /// Sidecar volume mounts (v1alpha1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::volume_mounts")]
    pub volume_mounts: Option<Vec<core::VolumeMount>>,
}
