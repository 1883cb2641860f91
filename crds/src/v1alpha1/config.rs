//! The server settings block: `Bind9Instance.spec.config` and
//! `Bind9Cluster.spec.global` (bindy's `Bind9Config`), with its DNSSEC part.
//!
//! The ACL fields (`allowQuery`, `allowTransfer`, `allowUpdate`) and
//! `listenOn`/`listenOnV6`/`notify` map onto ironbind's server config;
//! `recursion: true` and `forwarders` are settings ironbind does not do and the
//! operator reports them with `Ready=False`; `rndcSecretRef`, `bindcarConfig`
//! and DNSSEC signing are BIND-only and reported as ignored.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::deployment::BindcarConfig;
use super::rndc::RndcSecretRef;
use crate::patterns;

/// Server settings (named.conf `options` in bindy's terms).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bind9Config {
    /// Recursive service. ironbind is authoritative only: `true` is refused with `Ready=False`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursion: Option<bool>,
    /// Clients allowed to query (addresses, CIDRs, `any`, `none`, `localhost`, `localnets`, `!` negation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_query: Option<Vec<String>>,
    /// Clients allowed to transfer zones (AXFR/IXFR); `[]` allows none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_transfer: Option<Vec<String>>,
    /// Clients allowed to send dynamic updates (RFC 2136); secondaries refuse updates regardless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_update: Option<Vec<String>>,
    /// IPv4 addresses to listen on (default any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_on: Option<Vec<String>>,
    /// IPv6 addresses to listen on (default any).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "listenOnV6")]
    pub listen_on_v6: Option<Vec<String>>,
    /// Whether primaries send NOTIFY to the zone's name servers and known secondaries (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// Forwarders for recursion. Not done by ironbind: reported with `Ready=False`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarders: Option<Vec<String>>,
    /// DNSSEC validation and signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<DnssecConfig>,
    /// BIND only: RNDC key Secret. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rndc_secret_ref: Option<RndcSecretRef>,
    /// BIND only: bindcar sidecar settings. Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindcar_config: Option<BindcarConfig>,
}

/// DNSSEC settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnssecConfig {
    /// Validation of answers (a resolver feature; irrelevant to an authoritative server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<bool>,
    /// Zone signing policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<DnssecSigningConfig>,
}

/// DNSSEC zone signing (bindy's later `signing` block).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnssecSigningConfig {
    /// Sign zones.
    #[serde(default)]
    pub enabled: bool,
    /// Policy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DNSSEC_POLICY))]
    pub policy: Option<String>,
    /// Algorithm mnemonic (e.g. `ECDSAP256SHA256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DNSSEC_TOKEN))]
    pub algorithm: Option<String>,
    /// Key signing key lifetime (e.g. `365d`, `unlimited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DNSSEC_TOKEN))]
    pub ksk_lifetime: Option<String>,
    /// Zone signing key lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DNSSEC_TOKEN))]
    pub zsk_lifetime: Option<String>,
    /// NSEC3 instead of NSEC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsec3: Option<bool>,
    /// NSEC3 salt (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsec3_salt: Option<String>,
    /// NSEC3 extra iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsec3_iterations: Option<u32>,
    /// Where the keys come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_from: Option<DnssecKeysFrom>,
    /// Generate keys when none are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_generate: Option<bool>,
    /// Copy generated keys into a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to_secret: Option<bool>,
}

/// Source of DNSSEC keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnssecKeysFrom {
    /// A Secret holding the key files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretReference>,
    /// A volume holding the key files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::pvc_spec")]
    pub persistent_volume: Option<k8s_openapi::api::core::v1::PersistentVolumeClaimSpec>,
}

/// A Secret by name, optionally in another namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecretReference {
    /// Secret name.
    pub name: String,
    /// Namespace (default: the object's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
