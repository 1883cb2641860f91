//! Address records: `ARecord` (a) and `AAAARecord` (aaaa). Each takes bindy
//! v0.1's single address (`ipv4Address` / `ipv6Address`), the later list
//! (`ipv4Addresses` / `ipv6Addresses`), or both; the RRset is their union.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{RecordCommon, RecordStatus};
use crate::patterns;

/// IPv4 addresses of a name.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "ARecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "a",
    doc = "ARecord: the IPv4 addresses (A RRset) of a name in a zone.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Addresses", type_ = "string", json_path = ".status.addresses"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct ARecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// One IPv4 address (bindy v0.1 form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::IPV4))]
    pub ipv4_address: Option<String>,
    /// IPv4 addresses (round robin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(regex(pattern = patterns::IPV4)))]
    pub ipv4_addresses: Option<Vec<String>>,
}

impl ARecordSpec {
    /// `ipv4Address` then `ipv4Addresses`, as written.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.ipv4_address.iter().chain(self.ipv4_addresses.iter().flatten()).map(String::as_str)
    }
}

/// IPv6 addresses of a name.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "AAAARecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "aaaa",
    doc = "AAAARecord: the IPv6 addresses (AAAA RRset) of a name in a zone.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Addresses", type_ = "string", json_path = ".status.addresses"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct AAAARecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// One IPv6 address (bindy v0.1 form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    /// IPv6 addresses (round robin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub ipv6_addresses: Option<Vec<String>>,
}

impl AAAARecordSpec {
    /// `ipv6Address` then `ipv6Addresses`, as written.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.ipv6_address.iter().chain(self.ipv6_addresses.iter().flatten()).map(String::as_str)
    }
}
