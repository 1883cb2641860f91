//! `[[zone]]`: one zone, primary (from a master file) or secondary (by
//! transfer), with its transfer and NOTIFY policy.
//!
//! Owns: the zone section, its cross-field rules (a primary has a `file`, a
//! secondary has `primaries` and no `file`; every key named exists) and its
//! translation into the catalog's [`ZonePolicy`].
//! Must not: read the zone file or resolve names.

#![forbid(unsafe_code)]

use std::path::PathBuf;

use serde::Deserialize;

use super::transfer::{yes, RemoteSpec, ZoneKind};
use super::{invalid, prefixes, ConfigError};
use crate::acl::{Acl, Prefix};
use crate::catalog::{Role, ZonePolicy};
use crate::tsig::KeyRing;

/// A rule between a zone's type and its policy fields, broken. The config
/// file and the control API check the same rules ([`ZoneConfig::broken_rule`]);
/// the API builds a [`ZoneConfig`] from its definition to do so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRule {
    /// A primary's records come from its file or the API, not a transfer.
    #[error("only a secondary zone has primaries")]
    PrimariesOnPrimary,
    /// A secondary transfers from somewhere.
    #[error("a secondary zone needs at least one primary")]
    NoPrimaries,
    /// As BIND: updates go to the primary (no update forwarding).
    #[error("a secondary zone takes no dynamic updates; send them to its primary")]
    UpdatesOnSecondary,
}

impl PolicyRule {
    /// The first rule a zone of `kind` breaks, given whether it names
    /// primaries and keys allowed to update: the rules look only at that.
    pub fn first_broken(kind: ZoneKind, has_primaries: bool, has_updaters: bool) -> Option<PolicyRule> {
        match kind {
            ZoneKind::Primary if has_primaries => Some(PolicyRule::PrimariesOnPrimary),
            ZoneKind::Secondary if !has_primaries => Some(PolicyRule::NoPrimaries),
            ZoneKind::Secondary if has_updaters => Some(PolicyRule::UpdatesOnSecondary),
            _ => None,
        }
    }

    /// The field at fault, as the config file (`camel` false) or the API spells it.
    pub fn field(self, camel: bool) -> &'static str {
        match (self, camel) {
            (PolicyRule::PrimariesOnPrimary | PolicyRule::NoPrimaries, _) => "primaries",
            (PolicyRule::UpdatesOnSecondary, false) => "allow_update",
            (PolicyRule::UpdatesOnSecondary, true) => "allowUpdate",
        }
    }
}

/// `[[zone]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Apex, e.g. `example.com`.
    pub name: String,
    /// `primary` (default) or `secondary`.
    #[serde(default, rename = "type")]
    pub kind: ZoneKind,
    /// Master file of a primary zone. Relative paths are relative to the
    /// config file's directory. Secondaries keep theirs in `data_dir/zones/`.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Primaries of a secondary zone, tried in order: `ADDR[:PORT][@KEY]`.
    #[serde(default)]
    pub primaries: Vec<RemoteSpec>,
    /// Clients allowed to AXFR/IXFR by address (`ADDR/LEN`). Empty: nobody by address.
    #[serde(default, deserialize_with = "de_allow_transfer")]
    pub allow_transfer: Vec<Prefix>,
    /// TSIG keys whose holders may transfer from any address.
    #[serde(default)]
    pub allow_transfer_keys: Vec<String>,
    /// Addresses besides the primaries allowed to NOTIFY a secondary zone.
    #[serde(default, deserialize_with = "de_allow_notify")]
    pub allow_notify: Vec<Prefix>,
    /// Servers to NOTIFY on every serial change: `ADDR[:PORT][@KEY]`.
    #[serde(default)]
    pub also_notify: Vec<RemoteSpec>,
    /// TSIG key for NOTIFY messages to targets that name none.
    #[serde(default)]
    pub notify_key: Option<String>,
    /// NOTIFY the zone's NS as well (RFC 1996 §3.3; default true), at the
    /// addresses the zone itself holds for them, except our own.
    #[serde(default = "yes")]
    pub notify_ns: bool,
    /// TSIG keys whose holders may send dynamic updates (RFC 2136); primary
    /// zones only. Empty (the default): every UPDATE is refused.
    #[serde(default)]
    pub allow_update: Vec<String>,
    /// Records this zone may hold; `[transfer] max_records` when unset.
    /// Bounds: [`super::limits::MAX_RECORDS`].
    #[serde(default)]
    pub max_records: Option<u64>,
    /// Uncompressed wire octets this zone may hold; `[transfer]
    /// max_zone_bytes` when unset. Bounds: [`super::limits::MAX_ZONE_BYTES`].
    #[serde(default)]
    pub max_zone_bytes: Option<u64>,
}

fn de_allow_transfer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Prefix>, D::Error> {
    prefixes(d, "allow_transfer")
}

fn de_allow_notify<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Prefix>, D::Error> {
    prefixes(d, "allow_notify")
}

impl ZoneConfig {
    /// A primary zone from `file` with the default policy.
    pub fn primary(name: &str, file: PathBuf) -> Self {
        Self { kind: ZoneKind::Primary, file: Some(file), ..Self::secondary(name, Vec::new()) }
    }

    /// A secondary zone of `primaries` with the default policy.
    pub fn secondary(name: &str, primaries: Vec<RemoteSpec>) -> Self {
        Self {
            name: name.into(),
            kind: ZoneKind::Secondary,
            file: None,
            primaries,
            allow_transfer: Vec::new(),
            allow_transfer_keys: Vec::new(),
            allow_notify: Vec::new(),
            also_notify: Vec::new(),
            notify_key: None,
            notify_ns: true,
            allow_update: Vec::new(),
            max_records: None,
            max_zone_bytes: None,
        }
    }

    /// Checks the section (index `i` in the document); returns the apex in
    /// lowercase wire form.
    pub(super) fn validate(&self, origin: &str, i: usize, keys: &KeyRing) -> Result<Vec<u8>, ConfigError> {
        let field = format!("zone[{i}].name");
        let trimmed = self.name.strip_suffix('.').unwrap_or(&self.name);
        if self.name != "." && (trimmed.is_empty() || trimmed.split('.').any(str::is_empty)) {
            return Err(invalid(origin, &field, format!("{:?} is not a domain name: empty label", self.name)));
        }
        let mut wire =
            crate::wire::name::from_dotted(&self.name).map_err(|e| invalid(origin, &field, format!("{:?} is not a domain name: {e}", self.name)))?;
        crate::wire::name::lowercase_wire(&mut wire);
        let at = |f: &str| format!("zone[{i}].{f}");
        match self.kind {
            ZoneKind::Primary => match &self.file {
                None => return Err(invalid(origin, &at("file"), "a primary zone needs a master file".into())),
                Some(f) if f.as_os_str().is_empty() => return Err(invalid(origin, &at("file"), "empty path".into())),
                Some(_) => {}
            },
            ZoneKind::Secondary if self.file.is_some() && !self.primaries.is_empty() => {
                return Err(invalid(origin, &at("file"), "a secondary zone is kept in data_dir/zones/; remove `file`".into()))
            }
            ZoneKind::Secondary => {}
        }
        if let Some(rule) = self.broken_rule() {
            let hint = if rule == PolicyRule::PrimariesOnPrimary { "; add type = \"secondary\"" } else { "" };
            return Err(invalid(origin, &at(rule.field(false)), format!("{rule}{hint}")));
        }
        let known = |f: String, k: &str| {
            if keys.get(k).is_some() {
                Ok(())
            } else {
                Err(invalid(origin, &f, format!("TSIG key {k:?} is not defined; add a [[tsig_key]] (or --tsig-key) named {k:?}")))
            }
        };
        for (j, p) in self.primaries.iter().enumerate() {
            if let Some(k) = &p.key {
                known(at(&format!("primaries[{j}]")), k)?;
            }
        }
        for (j, p) in self.also_notify.iter().enumerate() {
            if let Some(k) = &p.key {
                known(at(&format!("also_notify[{j}]")), k)?;
            }
        }
        for (j, k) in self.allow_transfer_keys.iter().enumerate() {
            known(at(&format!("allow_transfer_keys[{j}]")), k)?;
        }
        for (j, k) in self.allow_update.iter().enumerate() {
            known(at(&format!("allow_update[{j}]")), k)?;
        }
        if let Some(k) = &self.notify_key {
            known(at("notify_key"), k)?;
        }
        if let Some(n) = self.max_records {
            super::limits::MAX_RECORDS.check(origin, "zone.max_records", n)?;
        }
        if let Some(n) = self.max_zone_bytes {
            super::limits::MAX_ZONE_BYTES.check(origin, "zone.max_zone_bytes", n)?;
        }
        Ok(wire)
    }

    /// The first rule between the type and the policy fields that this zone
    /// breaks, in the order both the config file and the API check them.
    pub fn broken_rule(&self) -> Option<PolicyRule> {
        PolicyRule::first_broken(self.kind, !self.primaries.is_empty(), !self.allow_update.is_empty())
    }

    /// The catalog's policy for this zone. NOTIFY targets without a key get
    /// `notify_key`.
    pub fn policy(&self) -> ZonePolicy {
        let role = match self.kind {
            ZoneKind::Primary => Role::Primary,
            ZoneKind::Secondary => Role::Secondary { primaries: self.primaries.iter().map(RemoteSpec::to_remote).collect() },
        };
        let also_notify = self
            .also_notify
            .iter()
            .map(|r| {
                let mut r = r.to_remote();
                r.key = r.key.or_else(|| self.notify_key.clone());
                r
            })
            .collect();
        ZonePolicy {
            role,
            allow_transfer: Acl(self.allow_transfer.clone()),
            allow_transfer_keys: self.allow_transfer_keys.clone(),
            allow_notify: Acl(self.allow_notify.clone()),
            also_notify,
            notify_ns: self.notify_ns,
            allow_update: self.allow_update.clone(),
            max_records: self.max_records,
            max_zone_bytes: self.max_zone_bytes,
        }
    }
}
