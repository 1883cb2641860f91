//! The ironbind config document of a `Bind9Instance` (`version = 1`, the
//! server's `server/src/config` format): what its ConfigMap holds.
//!
//! Owns: turning `spec.config` into server settings (`allowQuery` as address
//! prefixes, the data dir, the control API's token file) and saying which
//! asked-for settings ironbind does not do ([`Unsupported`]). Must not: talk
//! to the API server or know a pod's address (each pod's args give its
//! listen addresses: `--listen $(POD_IP):5353`).

use std::fmt::Write;
use std::net::IpAddr;

use ironbind_crds::v1alpha1::Bind9InstanceSpec;

/// Where the data dir is mounted in the pod (as BIND's, so the seed's
/// `ls -la /var/lib/bind/zones/` lists the zone files).
pub const DATA_DIR: &str = "/var/lib/bind";
/// Where the ConfigMap is mounted.
pub const CONFIG_DIR: &str = "/etc/ironbind";
/// The config file inside [`CONFIG_DIR`].
pub const CONFIG_FILE: &str = "ironbind.toml";
/// Where the control-API token Secret is mounted: beside [`CONFIG_DIR`], not
/// inside it (its mount point would have to be made inside the read-only
/// ConfigMap volume; the node agent's bind fails there, deploy/local/NOTES.md).
pub const TOKEN_DIR: &str = "/var/run/secrets/ironbind";
/// The token's key in the Secret and file name in [`TOKEN_DIR`].
pub const TOKEN_KEY: &str = "token";
/// DNS inside the pod (UDP and TCP); the Service maps 53 to it.
pub const DNS_PORT: u16 = 5353;
/// The control API inside the pod (zones pushed by the operator, `/readyz`, `/healthz`, `/metrics`).
pub const CONTROL_PORT: u16 = 8053;

/// A setting the instance asks for that ironbind, an authoritative-only
/// server, does not do: the instance is not Ready while it is asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// `config.recursion: true`.
    #[error("spec.config.recursion is true, but ironbind is authoritative-only: it answers for its own zones and never recurses")]
    Recursion,
    /// `config.forwarders`.
    #[error("spec.config.forwarders is set, but ironbind is authoritative-only: it does not forward queries")]
    Forwarders,
    /// An `allowQuery` entry that is neither `any`, `none`, an address nor a prefix.
    #[error("spec.config.allowQuery[{index}] = {value:?} is not an address, a prefix, \"any\" or \"none\" (BIND ACL names are not supported)")]
    AllowQuery {
        /// Position in the list.
        index: usize,
        /// The entry.
        value: String,
    },
}

/// `allowQuery` as address prefixes: `any` is everything, `none` nothing, an
/// address its host prefix. Absent: everything (BIND's default for authoritative data).
pub fn allow_query(spec: &Bind9InstanceSpec) -> Result<Vec<String>, Unsupported> {
    let Some(list) = spec.config.as_ref().and_then(|c| c.allow_query.as_ref()) else { return Ok(vec!["0.0.0.0/0".into(), "::/0".into()]) };
    let mut out = Vec::new();
    for (index, v) in list.iter().enumerate() {
        match v.trim() {
            "any" => out.extend(["0.0.0.0/0".to_string(), "::/0".to_string()]),
            "none" => {}
            p => out.push(prefix(p).ok_or_else(|| Unsupported::AllowQuery { index, value: v.clone() })?),
        }
    }
    Ok(out)
}

/// An address or prefix in the server's `ADDR/LEN` form, or `None`.
pub fn prefix(text: &str) -> Option<String> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u8 = match len {
        Some(l) => l.parse().ok().filter(|&n| n <= max)?,
        None => max,
    };
    Some(format!("{ip}/{len}"))
}

/// What the instance asks for that ironbind does not do, first first.
pub fn unsupported(spec: &Bind9InstanceSpec) -> Vec<Unsupported> {
    let mut out = Vec::new();
    if let Some(c) = &spec.config {
        if c.recursion == Some(true) {
            out.push(Unsupported::Recursion);
        }
        if c.forwarders.as_ref().is_some_and(|f| !f.is_empty()) {
            out.push(Unsupported::Forwarders);
        }
    }
    if let Err(e) = allow_query(spec) {
        out.push(e);
    }
    out
}

/// BIND-only fields the instance sets, each accepted and ignored (named in its
/// Ready condition's message).
pub fn ignored_fields(spec: &Bind9InstanceSpec) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut note = |set: bool, name: &'static str| {
        if set {
            out.push(name);
        }
    };
    note(spec.version.is_some(), "spec.version");
    note(spec.config_map_refs.is_some(), "spec.configMapRefs");
    note(spec.rndc_secret_ref.is_some(), "spec.rndcSecretRef");
    note(spec.rndc_key.is_some(), "spec.rndcKey");
    note(spec.bindcar_config.is_some(), "spec.bindcarConfig");
    if let Some(c) = &spec.config {
        note(c.listen_on.is_some(), "spec.config.listenOn");
        note(c.listen_on_v6.is_some(), "spec.config.listenOnV6");
        note(c.dnssec.is_some(), "spec.config.dnssec");
        note(c.rndc_secret_ref.is_some(), "spec.config.rndcSecretRef");
        note(c.bindcar_config.is_some(), "spec.config.bindcarConfig");
    }
    out
}

/// The config document. Listen addresses come from each pod's args.
pub fn config_toml(spec: &Bind9InstanceSpec) -> Result<String, Unsupported> {
    let allow = allow_query(spec)?;
    let mut s = String::new();
    let _ = writeln!(s, "# Written by ironbind-operator for a Bind9Instance; edits are overwritten.");
    let _ = writeln!(s, "version = 1");
    let _ = writeln!(s, "data_dir = {}", quote(DATA_DIR));
    let _ = writeln!(s, "allow_query = [{}]", allow.iter().map(|p| quote(p)).collect::<Vec<_>>().join(", "));
    let _ = writeln!(s);
    let _ = writeln!(s, "[log]");
    let _ = writeln!(s, "format = \"json\"");
    let _ = writeln!(s);
    let _ = writeln!(s, "[control]");
    let _ = writeln!(s, "token_file = {}", quote(&format!("{TOKEN_DIR}/{TOKEN_KEY}")));
    Ok(s)
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbind_crds::v1alpha1::config::Bind9Config;

    fn spec(config: Option<Bind9Config>) -> Bind9InstanceSpec {
        Bind9InstanceSpec { replicas: 1, config, ..Default::default() }
    }

    #[test]
    fn allow_query_becomes_prefixes() {
        let c = Bind9Config { allow_query: Some(vec!["any".into()]), ..Default::default() };
        assert_eq!(allow_query(&spec(Some(c))).unwrap(), ["0.0.0.0/0", "::/0"]);
        let c = Bind9Config {
            allow_query: Some(vec!["10.0.0.0/8".into(), "192.0.2.1".into(), "2001:db8::/32".into(), "none".into()]),
            ..Default::default()
        };
        assert_eq!(allow_query(&spec(Some(c))).unwrap(), ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32"]);
        assert_eq!(allow_query(&spec(None)).unwrap(), ["0.0.0.0/0", "::/0"]);
        let c = Bind9Config { allow_query: Some(vec!["10.0.0.0/8".into(), "trusted".into()]), ..Default::default() };
        assert_eq!(allow_query(&spec(Some(c))), Err(Unsupported::AllowQuery { index: 1, value: "trusted".into() }));
        assert_eq!(prefix("10.0.0.0/33"), None);
    }

    #[test]
    fn recursion_and_forwarders_are_named() {
        let c = Bind9Config { recursion: Some(true), forwarders: Some(vec!["8.8.8.8".into()]), ..Default::default() };
        let u = unsupported(&spec(Some(c)));
        assert_eq!(u, [Unsupported::Recursion, Unsupported::Forwarders]);
        assert!(u[0].to_string().contains("authoritative-only"));
        let c = Bind9Config { recursion: Some(false), ..Default::default() };
        assert!(unsupported(&spec(Some(c))).is_empty());
    }

    #[test]
    fn bind_only_fields_are_listed() {
        let mut s = spec(Some(Bind9Config { listen_on: Some(vec!["any".into()]), ..Default::default() }));
        s.version = Some("9.18".into());
        assert_eq!(ignored_fields(&s), ["spec.version", "spec.config.listenOn"]);
    }

    #[test]
    fn the_document_is_the_server_format() {
        let c = Bind9Config { allow_query: Some(vec!["10.0.0.0/8".into()]), ..Default::default() };
        let t = config_toml(&spec(Some(c))).unwrap();
        assert!(t.contains("version = 1\n"), "{t}");
        assert!(t.contains("data_dir = \"/var/lib/bind\"\n"), "{t}");
        assert!(t.contains("allow_query = [\"10.0.0.0/8\"]\n"), "{t}");
        assert!(t.contains("[control]\ntoken_file = \"/var/run/secrets/ironbind/token\"\n"), "{t}");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
