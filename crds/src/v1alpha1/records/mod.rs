//! The record kinds (`ARecord` … `PTRRecord`): one RRset each, in a zone
//! named by `zoneRef` (a DNSZone's `metadata.name`, bindy v0.2) or `zone` (the
//! apex, bindy v0.1), or picked by a zone's `recordsFrom` selector. The fields
//! every kind has are [`RecordCommon`], flattened into each spec; the status is
//! [`RecordStatus`] for all of them.

mod address;
mod data;
mod target;

pub use address::{AAAARecord, AAAARecordSpec, ARecord, ARecordSpec};
pub use data::{CAARecord, CAARecordSpec, MXRecord, MXRecordSpec, SRVRecord, SRVRecordSpec, TXTRecord, TXTRecordSpec};
pub use target::{CNAMERecord, CNAMERecordSpec, NSRecord, NSRecordSpec, PTRRecord, PTRRecordSpec};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, ZoneReference};

/// Fields of every record kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordCommon {
    /// The DNSZone (its `metadata.name`, same namespace) the record belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_ref: Option<String>,
    /// The zone apex (`example.com`) the record belongs to, when not named by `zoneRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Owner name relative to the zone; `@` (or empty) is the apex.
    pub name: String,
    /// TTL in seconds (default: the zone's `ttl`, else 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 2147483647))]
    pub ttl: Option<u32>,
}

/// What the operator observed of a record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordStatus {
    /// `Ready` (published in its zone, or why not).
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Apex of the zone the record landed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The DNSZone the record landed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_ref: Option<ZoneReference>,
    /// A/AAAA: the addresses published, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<String>,
    /// When the record was last published (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

/// Access to the common part of any record kind's spec.
pub trait RecordSpec {
    /// The fields every record kind has.
    fn common(&self) -> &RecordCommon;
}

macro_rules! impl_record_spec {
    ($($spec:ty),* $(,)?) => {
        $(impl RecordSpec for $spec {
            fn common(&self) -> &RecordCommon {
                &self.common
            }
        })*
    };
}

impl_record_spec!(
    ARecordSpec,
    AAAARecordSpec,
    CNAMERecordSpec,
    MXRecordSpec,
    TXTRecordSpec,
    NSRecordSpec,
    SRVRecordSpec,
    CAARecordSpec,
    PTRRecordSpec
);
