//! `DNSZone` (dz): a zone, the instances that serve it, and how its records
//! are found.
//!
//! Instances come from `clusterRef` (every instance of the cluster),
//! `instanceSelector` (the seed's single selector) and `bind9InstancesFrom`
//! (bindy's later list), united. Records name the zone (`zoneRef` / `zone`) or
//! are picked by `recordsFrom`. A primary zone without `soaRecord` gets a
//! generated SOA (`ns1.<zone>.`, `hostmaster.<zone>.`, serial kept by the
//! server); a secondary zone transfers from `secondaryConfig.primaryServers`,
//! else from the primaries of its cluster.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, LabelSelector, SelectorSource};
use crate::patterns;

/// A DNS zone.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "DNSZone",
    namespaced,
    status = "DNSZoneStatus",
    derive = "PartialEq",
    shortname = "zone",
    shortname = "zones",
    shortname = "dz",
    shortname = "dzs",
    doc = "DNSZone: an authoritative zone, the instances serving it and the records it holds.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".spec.zoneName"),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "Serial", type_ = "integer", json_path = ".status.serial"),
    printcolumn(name = "Records", type_ = "integer", json_path = ".status.recordCount"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct DNSZoneSpec {
    /// Zone apex, without trailing dot (`example.com`).
    #[schemars(regex(pattern = patterns::ZONE_NAME))]
    pub zone_name: String,
    /// `primary` (data from this object and its records) or `secondary` (transferred from primaries).
    #[serde(default, rename = "type")]
    pub zone_type: ZoneType,
    /// Cluster whose instances serve the zone (matched against `clusterRef` or the `cluster` label of instances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<String>,
    /// bindy v0.2's cluster-scoped cluster reference (`Bind9GlobalCluster`); treated as `clusterRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_cluster_ref: Option<String>,
    /// Instances whose labels match serve the zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_selector: Option<LabelSelector>,
    /// Instances matching any of these selectors serve the zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind9_instances_from: Option<Vec<SelectorSource>>,
    /// SOA of a primary zone; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soa_record: Option<SoaRecord>,
    /// Default TTL of the zone's records, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 2147483647))]
    pub ttl: Option<u32>,
    /// Apex NS records, with glue addresses for in-zone names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_servers: Option<Vec<NameServer>>,
    /// Older form of glue: name server host name to IPv4 address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_server_ips: Option<BTreeMap<String, String>>,
    /// Settings of a secondary zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_config: Option<SecondaryConfig>,
    /// Records (of any record kind, this namespace) whose labels match any selector belong to the zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_from: Option<Vec<SelectorSource>>,
    /// Extra clients allowed to transfer the zone (secondaries serving it are always allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_transfer: Option<Vec<String>>,
    /// Extra NOTIFY targets (`ip` or `ip:port`) besides the secondaries serving the zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub also_notify: Option<Vec<String>>,
    /// DNSSEC policy of the zone. BIND-style signing: reported as ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DNSSEC_POLICY))]
    pub dnssec_policy: Option<String>,
}

/// Zone type: `primary` (default) or `secondary`.
#[allow(missing_docs)] // variants are named above: a documented variant would turn the schema enum into oneOf/const
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ZoneType {
    #[default]
    Primary,
    Secondary,
}

/// The zone's SOA record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SoaRecord {
    /// Primary name server, absolute (`ns1.example.com.`).
    #[schemars(regex(pattern = patterns::FQDN))]
    pub primary_ns: String,
    /// Administrator mailbox with `@` written as `.` (`admin.example.com.`).
    #[schemars(regex(pattern = patterns::FQDN))]
    pub admin_email: String,
    /// Initial serial (YYYYMMDDNN); the server increments it on every change.
    #[schemars(range(max = 4294967295u32))]
    pub serial: u32,
    /// Secondaries' refresh interval, seconds.
    #[schemars(range(min = 1, max = 2147483647))]
    pub refresh: u32,
    /// Retry interval after a failed refresh, seconds.
    #[schemars(range(min = 1, max = 2147483647))]
    pub retry: u32,
    /// Secondaries stop answering after this long without a refresh, seconds.
    #[schemars(range(min = 1, max = 2147483647))]
    pub expire: u32,
    /// Negative caching TTL, seconds.
    #[schemars(range(max = 2147483647))]
    pub negative_ttl: u32,
}

/// An apex name server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NameServer {
    /// Host name, absolute (`ns2.example.com.`).
    #[schemars(regex(pattern = patterns::FQDN))]
    pub hostname: String,
    /// IPv4 glue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::IPV4))]
    pub ipv4_address: Option<String>,
    /// IPv6 glue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::IPV6))]
    pub ipv6_address: Option<String>,
}

/// Settings of a secondary zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecondaryConfig {
    /// Primaries to transfer from (`ip` or `ip:port`); the cluster's primaries when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_servers: Vec<String>,
}

/// What the operator observed of a zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DNSZoneStatus {
    /// `Ready`, `Progressing`, `Degraded`.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// SOA serial the primaries serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// Pod IPs of the secondaries configured for transfers and NOTIFY.
    #[serde(default)]
    pub secondary_ips: Vec<String>,
    /// Number of records in the zone (besides SOA and apex NS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_count: Option<i32>,
    /// State of the zone on each instance serving it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bind9_instances: Vec<InstanceZoneState>,
    /// Number of instances serving the zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind9_instances_count: Option<i32>,
}

/// The zone on one instance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceZoneState {
    /// `bindy.firestoned.io/v1alpha1`.
    pub api_version: String,
    /// `Bind9Instance`.
    pub kind: String,
    /// Instance name.
    pub name: String,
    /// Instance namespace.
    pub namespace: String,
    /// Role of the instance for this zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::optional_enum)]
    pub role: Option<super::bind9_instance::InstanceRole>,
    /// Where the zone stands on it.
    pub status: InstanceZoneStatus,
    /// Serial the instance serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// Details, e.g. the last transfer error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When this entry was last reconciled (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reconciled_at: Option<String>,
}

/// Zone state on an instance: `Claimed` (selected, not yet configured),
/// `Configured`, `Failed`, `Unclaimed` (no longer selected).
#[allow(missing_docs)] // variants are named above: a documented variant would turn the schema enum into oneOf/const
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum InstanceZoneStatus {
    #[default]
    Claimed,
    Configured,
    Failed,
    Unclaimed,
}
