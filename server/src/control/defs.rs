//! What the control API was asked to serve, kept in the data directory so a
//! restart serves it again: `<data_dir>/control/zones.json` (each zone's
//! type and policy; its records are the zone's copy in `zones/`) and
//! `<data_dir>/control/keys.json` (TSIG keys, mode 0600).
//!
//! Owns: the definition types (their policy fields, declared once by
//! `with_zone_policy!`, are also the `PUT` body's), their translation into
//! the catalog's [`ZonePolicy`] and [`Key`], and reading/writing both files
//! atomically (temporary file, fsync, rename, as [`crate::store`] does).
//! Must not: serve or build zones.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ControlError;
use crate::acl::Prefix;
use crate::catalog::ZonePolicy;
use crate::config::zone::PolicyRule;
use crate::config::{RemoteSpec, ZoneConfig, ZoneKind};
use crate::tsig::Key;

/// Version of both files' format.
const VERSION: u32 = 1;

/// Primary (records given through the API) or secondary (transferred).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Records come from `PUT` (and RFC 2136 UPDATE).
    Primary,
    /// Records come from `primaries`.
    Secondary,
}

impl Kind {
    /// `primary` or `secondary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Primary => "primary",
            Kind::Secondary => "secondary",
        }
    }
}

/// Declares a struct with the given fields followed by a zone's policy
/// fields, spelled as the API spells them (camelCase JSON): the `PUT` body
/// ([`super::body::ZoneBody`]) and the saved [`ZoneDef`] carry the same
/// policy, so its fields and their defaults are written once, here.
/// (`#[serde(flatten)]` would share a struct instead, but it loses
/// `deny_unknown_fields`' list of expected fields and the path that names
/// the bad field in a 400.)
macro_rules! with_zone_policy {
    ($(#[$attr:meta])* pub struct $name:ident { $($(#[$fattr:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$attr])*
        pub struct $name {
            $($(#[$fattr])* pub $field: $ty,)*
            /// Secondary: `ADDR[:PORT][@KEY]`, tried in order.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub primaries: Vec<String>,
            /// Prefixes allowed to AXFR/IXFR.
            #[serde(default)]
            pub allow_transfer: Vec<String>,
            /// TSIG keys whose holders may AXFR/IXFR from anywhere.
            #[serde(default)]
            pub allow_transfer_keys: Vec<String>,
            /// Secondary: extra prefixes allowed to NOTIFY.
            #[serde(default)]
            pub allow_notify: Vec<String>,
            /// `ADDR[:PORT][@KEY]` to NOTIFY on every change.
            #[serde(default)]
            pub also_notify: Vec<String>,
            /// Primary: TSIG keys allowed to send RFC 2136 UPDATE.
            #[serde(default)]
            pub allow_update: Vec<String>,
            /// Also NOTIFY the zone's own NS (RFC 1996 §3.3; default true).
            #[serde(default = "crate::control::defs::yes")]
            pub notify_ns: bool,
            /// TSIG key for NOTIFY targets that name none.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub notify_key: Option<String>,
            /// Records the zone may hold (the server's `[transfer]
            /// max_records` when unset); 2..=4294967295.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub max_records: Option<u64>,
            /// Uncompressed wire octets the zone may hold (the server's
            /// `[transfer] max_zone_bytes` when unset); 512..=4294967295.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub max_zone_bytes: Option<u64>,
        }
    };
}
pub(super) use with_zone_policy;

with_zone_policy! {
    /// One zone defined through the API: its type and policy. The strings are
    /// checked when the definition is accepted ([`ZoneDef::policy`]).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ZoneDef {
        /// Apex with a trailing dot.
        pub name: String,
        /// Primary or secondary.
        #[serde(rename = "type")]
        pub kind: Kind,
    }
}

pub(super) fn yes() -> bool {
    true
}

/// A problem in a definition: the field and why.
pub type FieldError = (String, String);

impl ZoneDef {
    /// The catalog policy, or the first bad field.
    pub fn policy(&self) -> Result<ZonePolicy, FieldError> {
        Ok(self.config()?.policy())
    }

    /// The definition as the config file would give it, checked by the same
    /// rules ([`ZoneConfig::broken_rule`]), or the first bad field.
    pub fn config(&self) -> Result<ZoneConfig, FieldError> {
        let remotes = |field: &str, list: &[String]| {
            list.iter()
                .enumerate()
                .map(|(i, s)| s.parse::<RemoteSpec>().map_err(|e| (format!("{field}[{i}]"), e.to_string())))
                .collect::<Result<Vec<_>, _>>()
        };
        let prefixes = |field: &str, list: &[String]| {
            list.iter()
                .enumerate()
                .map(|(i, s)| s.parse::<Prefix>().map_err(|e| (format!("{field}[{i}]"), e.to_string())))
                .collect::<Result<Vec<_>, _>>()
        };
        let kind = match self.kind {
            Kind::Primary => ZoneKind::Primary,
            Kind::Secondary => ZoneKind::Secondary,
        };
        // The rules look only at which lists are empty: checked before their entries are parsed.
        if let Some(rule) = PolicyRule::first_broken(kind, !self.primaries.is_empty(), !self.allow_update.is_empty()) {
            return Err((rule.field(true).into(), rule.to_string()));
        }
        let bounded = |field: &str, v: Option<u64>, b: crate::config::limits::Bounds| match v {
            Some(n) if !(b.min..=b.max).contains(&n) => Err((field.to_string(), format!("{n} is out of range {}..={}", b.min, b.max))),
            _ => Ok(v),
        };
        Ok(ZoneConfig {
            primaries: remotes("primaries", &self.primaries)?,
            also_notify: remotes("alsoNotify", &self.also_notify)?,
            allow_transfer: prefixes("allowTransfer", &self.allow_transfer)?,
            allow_transfer_keys: self.allow_transfer_keys.clone(),
            allow_notify: prefixes("allowNotify", &self.allow_notify)?,
            notify_key: self.notify_key.clone(),
            notify_ns: self.notify_ns,
            max_records: bounded("maxRecords", self.max_records, crate::config::limits::MAX_RECORDS)?,
            max_zone_bytes: bounded("maxZoneBytes", self.max_zone_bytes, crate::config::limits::MAX_ZONE_BYTES)?,
            kind,
            allow_update: self.allow_update.clone(),
            ..ZoneConfig::secondary(&self.name, Vec::new())
        })
    }

    /// Every TSIG key the definition names, with the field naming it.
    pub fn key_names(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |field: String, k: &str| out.push((field, k.to_string()));
        for (field, list) in [("primaries", &self.primaries), ("alsoNotify", &self.also_notify)] {
            for (i, s) in list.iter().enumerate() {
                if let Some(k) = s.parse::<RemoteSpec>().ok().and_then(|r| r.key) {
                    push(format!("{field}[{i}]"), &k);
                }
            }
        }
        for (field, list) in [("allowTransferKeys", &self.allow_transfer_keys), ("allowUpdate", &self.allow_update)] {
            for (i, k) in list.iter().enumerate() {
                push(format!("{field}[{i}]"), k);
            }
        }
        if let Some(k) = &self.notify_key {
            push("notifyKey".into(), k);
        }
        out
    }
}

/// A TSIG key added through the API.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDef {
    /// Key name.
    pub name: String,
    /// `hmac-sha256`, …, or with a truncation policy, `hmac-sha256-128`.
    pub algorithm: String,
    /// Base64 secret (never shown: not in `Debug`, not in any response).
    pub secret: String,
}

impl std::fmt::Debug for KeyDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDef").field("name", &self.name).field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

impl KeyDef {
    /// The usable key, or why not.
    pub fn key(&self) -> Result<Key, crate::tsig::TsigError> {
        Key::from_parts(&self.name, &self.algorithm, &self.secret)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZonesFile {
    version: u32,
    zones: Vec<ZoneDef>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    version: u32,
    keys: Vec<KeyDef>,
}

/// The two files under `<data_dir>/control/`.
#[derive(Debug, Clone)]
pub struct DefsDir {
    dir: PathBuf,
}

impl DefsDir {
    /// The directory `<data_dir>/control` (created on the first write).
    pub fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("control") }
    }

    /// The zones file.
    pub fn zones_path(&self) -> PathBuf {
        self.dir.join("zones.json")
    }

    /// The keys file.
    pub fn keys_path(&self) -> PathBuf {
        self.dir.join("keys.json")
    }

    /// Reads the zone definitions (none when the file does not exist).
    pub fn load_zones(&self) -> Result<Vec<ZoneDef>, ControlError> {
        let p = self.zones_path();
        Ok(read::<ZonesFile>(&p)?.map(|f| f.zones).unwrap_or_default())
    }

    /// Reads the keys (none when the file does not exist).
    pub fn load_keys(&self) -> Result<Vec<KeyDef>, ControlError> {
        let p = self.keys_path();
        Ok(read::<KeysFile>(&p)?.map(|f| f.keys).unwrap_or_default())
    }

    /// Replaces the zones file.
    pub fn save_zones(&self, zones: &BTreeMap<Box<[u8]>, ZoneDef>) -> Result<(), ControlError> {
        let f = ZonesFile { version: VERSION, zones: zones.values().cloned().collect() };
        self.write(&self.zones_path(), &f)
    }

    /// Replaces the keys file (mode 0600: it holds secrets).
    pub fn save_keys(&self, keys: &BTreeMap<Box<[u8]>, KeyDef>) -> Result<(), ControlError> {
        let f = KeysFile { version: VERSION, keys: keys.values().cloned().collect() };
        self.write(&self.keys_path(), &f)
    }

    fn write<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), ControlError> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let err = |e: String| ControlError::Store(format!("{}: {e}", path.display()));
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir).map_err(|e| err(e.to_string()))?;
        let mut text = serde_json::to_string_pretty(value).map_err(|e| err(e.to_string()))?;
        text.push('\n');
        crate::store::write_atomic_with(path, |w| {
            w.get_ref().set_permissions(std::fs::Permissions::from_mode(0o600))?;
            w.write_all(text.as_bytes())
        })
        .map_err(|e| ControlError::Store(e.to_string()))
    }
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, ControlError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ControlError::Store(format!("{}: cannot read: {e}", path.display()))),
    };
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let bad = |e: serde_json::Error| ControlError::Store(format!("{}: {e}", path.display()));
    let v: Version = serde_json::from_str(&text).map_err(bad)?;
    if v.version != VERSION {
        return Err(ControlError::Store(format!("{}: version {} is not supported; this server reads version {VERSION}", path.display(), v.version)));
    }
    serde_json::from_str(&text).map(Some).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Role;

    fn def(kind: Kind) -> ZoneDef {
        ZoneDef {
            name: "example.org.".into(),
            kind,
            primaries: Vec::new(),
            allow_transfer: vec!["127.0.0.0/8".into()],
            allow_transfer_keys: vec!["k1".into()],
            allow_notify: Vec::new(),
            also_notify: vec!["127.0.0.1:5300@k2".into()],
            allow_update: Vec::new(),
            notify_ns: false,
            notify_key: None,
            max_records: None,
            max_zone_bytes: None,
        }
    }

    #[test]
    fn policy_and_keys_named() {
        let p = def(Kind::Primary).policy().unwrap();
        assert_eq!(p.role, Role::Primary);
        assert_eq!(p.also_notify[0].key.as_deref(), Some("k2"));
        let keys: Vec<String> = def(Kind::Primary).key_names().into_iter().map(|(f, k)| format!("{f}={k}")).collect();
        assert_eq!(keys, ["alsoNotify[0]=k2", "allowTransferKeys[0]=k1"]);
        assert_eq!(def(Kind::Secondary).policy().unwrap_err().0, "primaries");
        let mut bad = def(Kind::Primary);
        bad.allow_transfer.push("300.1.1.1".into());
        assert_eq!(bad.policy().unwrap_err().0, "allowTransfer[1]");
    }

    #[test]
    fn files_round_trip_and_keys_are_private() {
        let root = std::env::temp_dir().join(format!("ironbind-defs-{}", std::process::id()));
        let d = DefsDir::new(&root);
        assert!(d.load_zones().unwrap().is_empty());
        let mut zones = BTreeMap::new();
        zones.insert(Box::<[u8]>::from(&b"\x07example\x03org\x00"[..]), def(Kind::Primary));
        d.save_zones(&zones).unwrap();
        assert_eq!(d.load_zones().unwrap(), vec![def(Kind::Primary)]);
        let mut keys = BTreeMap::new();
        keys.insert(Box::<[u8]>::from(&b"\x01k\x00"[..]), KeyDef { name: "k".into(), algorithm: "hmac-sha256".into(), secret: "c2VjcmV0".into() });
        d.save_keys(&keys).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(d.keys_path()).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!format!("{:?}", keys.values().next().unwrap()).contains("c2VjcmV0"));
        std::fs::write(d.zones_path(), "{\"version\":2,\"zones\":[]}").unwrap();
        assert!(d.load_zones().unwrap_err().to_string().contains("version 2"));
        let _ = std::fs::remove_dir_all(root);
    }
}
