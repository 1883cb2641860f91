//! BIND's RNDC control-key settings (`rndcSecretRef`, `rndcSecretRefs`,
//! `rndcKey`). ironbind has no RNDC channel: the schema accepts these so
//! bindy manifests apply, and the operator names them as ignored.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// HMAC algorithm of an RNDC key: `hmac-md5`, `hmac-sha1`, `hmac-sha224`,
/// `hmac-sha256` (default), `hmac-sha384`, `hmac-sha512` (v1alpha1 still had `hmac-md5`).
#[allow(missing_docs)] // variants are named above: a documented variant would turn the schema enum into oneOf/const
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RndcAlgorithm {
    HmacMd5,
    HmacSha1,
    HmacSha224,
    #[default]
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

/// A Secret holding an RNDC key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RndcSecretRef {
    /// Secret name.
    pub name: String,
    /// Key algorithm.
    #[serde(default)]
    pub algorithm: RndcAlgorithm,
    /// Secret data key holding the key name.
    #[serde(default = "default_key_name_key")]
    pub key_name_key: String,
    /// Secret data key holding the key material.
    #[serde(default = "default_secret_key")]
    pub secret_key: String,
}

fn default_key_name_key() -> String {
    "key-name".into()
}

fn default_secret_key() -> String {
    "secret".into()
}

/// RNDC key lifecycle (bindy's later `rndcKey`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RndcKeyConfig {
    /// Rotate operator-managed keys.
    #[serde(default)]
    pub auto_rotate: bool,
    /// Rotation period (`720h`, `30d`).
    #[serde(default = "default_rotate_after")]
    pub rotate_after: String,
    /// Use this existing Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<RndcSecretRef>,
    /// Create this Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretSpec>,
    /// Algorithm of generated keys.
    #[serde(default)]
    pub algorithm: RndcAlgorithm,
}

fn default_rotate_after() -> String {
    "720h".into()
}

/// An inline Secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretSpec {
    /// Its metadata.
    pub metadata: SecretMetadata,
    /// Secret type.
    #[serde(default = "default_secret_type", rename = "type")]
    pub type_: String,
    /// String data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_data: Option<BTreeMap<String, String>>,
    /// Base64 data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, String>>,
}

fn default_secret_type() -> String {
    "Opaque".into()
}

/// Name, labels and annotations of an inline Secret.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecretMetadata {
    /// Secret name.
    pub name: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}
