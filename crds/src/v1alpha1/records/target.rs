//! Records whose data is one domain name: `CNAMERecord` (cname), `NSRecord`
//! (ns, a delegation) and `PTRRecord` (ptr, in reverse zones).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{RecordCommon, RecordStatus};

/// An alias.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "CNAMERecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "cname",
    doc = "CNAMERecord: an alias from a name in a zone to its canonical name.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Target", type_ = "string", json_path = ".spec.target"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
pub struct CNAMERecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// Canonical name (absolute with a trailing dot, else relative to the zone).
    pub target: String,
}

/// A delegation.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "NSRecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "ns",
    doc = "NSRecord: a name server for a name in a zone (a delegation below the apex).",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Nameserver", type_ = "string", json_path = ".spec.nameserver"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
pub struct NSRecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// Name server host name.
    pub nameserver: String,
}

/// A reverse mapping.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "PTRRecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "ptr",
    doc = "PTRRecord: the name an address maps back to, in a reverse zone.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Target", type_ = "string", json_path = ".spec.target"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
pub struct PTRRecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// Host name the address maps to.
    pub target: String,
}
