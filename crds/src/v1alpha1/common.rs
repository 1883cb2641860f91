//! Types shared by several v1alpha1 kinds: status conditions, label selectors
//! and the references one object's status keeps to another.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The condition type `kubectl get` shows in its `Ready` column.
pub const READY: &str = "Ready";

/// Whether a condition holds: `True`, `False` or `Unknown`.
#[allow(missing_docs)] // variants are named above: a documented variant would turn the schema enum into oneOf/const
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConditionStatus {
    True,
    False,
    #[default]
    Unknown,
}

/// One observation about an object (`Ready`, `Progressing`, `Degraded`, …),
/// in the shape of bindy's condition plus metav1's optional
/// `observedGeneration`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type, e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// One CamelCase word saying why the condition last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable details (e.g. which fields were ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the status last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// The `metadata.generation` this condition was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// A label selector: the AND of `matchLabels` and `matchExpressions`; an empty
/// selector matches everything. bindy's copy of metav1.LabelSelector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must all be present with these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
    /// Requirements that must all hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    /// The label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist` (free text in the schema, as in bindy; others never match).
    pub operator: String,
    /// Values for `In` / `NotIn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// One entry of `recordsFrom` / `bind9InstancesFrom`: the objects whose labels match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SelectorSource {
    /// Label selector over the selected kind, in the zone's namespace.
    pub selector: LabelSelector,
}

/// Where a record landed, or which zones an instance serves: a reference to a
/// `DNSZone` with its apex.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZoneReference {
    /// `bindy.firestoned.io/v1alpha1`.
    pub api_version: String,
    /// `DNSZone`.
    pub kind: String,
    /// The DNSZone's `metadata.name`.
    pub name: String,
    /// The DNSZone's namespace.
    pub namespace: String,
    /// The zone apex (`spec.zoneName`).
    pub zone_name: String,
    /// When this link was last reconciled (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reconciled_at: Option<String>,
}
