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

impl LabelSelector {
    /// Whether `labels` satisfy every `matchLabels` pair and every
    /// `matchExpressions` requirement (an unknown operator never matches).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let pairs = self.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
        let exprs = self.match_expressions.iter().flatten().all(|r| {
            let values = r.values.as_deref().unwrap_or_default();
            let got = labels.get(&r.key);
            match r.operator.as_str() {
                "In" => got.is_some_and(|g| values.contains(g)),
                "NotIn" => got.is_none_or(|g| !values.contains(g)),
                "Exists" => got.is_some(),
                "DoesNotExist" => got.is_none(),
                _ => false,
            }
        });
        pairs && exprs
    }
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

#[cfg(test)]
mod selector_tests {
    use super::*;

    #[test]
    fn label_selectors_match_as_kubernetes_does() {
        let labels: BTreeMap<String, String> =
            [("role".to_string(), "secondary".to_string()), ("cluster".to_string(), "production".to_string())].into();
        let sel = |y: &str| serde_norway::from_str::<LabelSelector>(y).unwrap();
        assert!(sel("{}").matches(&labels), "empty selects everything");
        assert!(sel("matchLabels: {role: secondary}").matches(&labels));
        assert!(!sel("matchLabels: {role: primary}").matches(&labels));
        assert!(sel("matchExpressions: [{key: cluster, operator: In, values: [production, staging]}]").matches(&labels));
        assert!(!sel("matchExpressions: [{key: cluster, operator: NotIn, values: [production]}]").matches(&labels));
        assert!(sel("matchExpressions: [{key: region, operator: DoesNotExist}]").matches(&labels));
        assert!(!sel("matchExpressions: [{key: region, operator: Exists}]").matches(&labels));
        assert!(!sel("matchExpressions: [{key: role, operator: Gt, values: ['1']}]").matches(&labels), "unknown operators never match");
    }
}
