//! Records with structured data: `MXRecord` (mx), `TXTRecord` (txt),
//! `SRVRecord` (srv) and `CAARecord` (caa).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{RecordCommon, RecordStatus};

/// A mail exchanger.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "MXRecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "mx",
    doc = "MXRecord: a mail exchanger for a name in a zone.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Priority", type_ = "integer", json_path = ".spec.priority"),
    printcolumn(name = "Mail Server", type_ = "string", json_path = ".spec.mailServer"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct MXRecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// Preference; lower is tried first.
    pub priority: u16,
    /// Mail server host name.
    pub mail_server: String,
}

/// Text data.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "TXTRecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "txt",
    doc = "TXTRecord: text data (SPF, DKIM, verification tokens, …) of a name in a zone.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
pub struct TXTRecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// The character-strings of one TXT record (each up to 255 bytes on the wire).
    pub text: Vec<String>,
}

/// A service location.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "SRVRecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "srv",
    doc = "SRVRecord: where a service runs (`_service._proto` name in a zone).",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Target", type_ = "string", json_path = ".spec.target"),
    printcolumn(name = "Port", type_ = "integer", json_path = ".spec.port"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
pub struct SRVRecordSpec {
    /// Zone, name (`_ldap._tcp`) and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// Priority; lower is tried first.
    pub priority: u16,
    /// Relative weight among equal priorities.
    pub weight: u16,
    /// TCP or UDP port.
    pub port: u16,
    /// Host name providing the service.
    pub target: String,
}

/// A certification authority authorization.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "bindy.firestoned.io",
    version = "v1alpha1",
    kind = "CAARecord",
    namespaced,
    status = "RecordStatus",
    derive = "PartialEq",
    shortname = "caa",
    doc = "CAARecord: which certification authorities may issue for a name in a zone.",
    printcolumn(name = "Zone", type_ = "string", json_path = ".status.zone"),
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Tag", type_ = "string", json_path = ".spec.tag"),
    printcolumn(name = "Value", type_ = "string", json_path = ".spec.value"),
    printcolumn(name = "TTL", type_ = "integer", json_path = ".spec.ttl"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status")
)]
pub struct CAARecordSpec {
    /// Zone, name and TTL.
    #[serde(flatten)]
    pub common: RecordCommon,
    /// Flags; 128 marks the property critical.
    pub flags: u8,
    /// Property tag (`issue`, `issuewild`, `iodef`).
    pub tag: String,
    /// Property value (e.g. `letsencrypt.org`).
    pub value: String,
}
