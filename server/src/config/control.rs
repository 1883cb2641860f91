//! `[control]`: the HTTP control API (docs/CONTROL.md).
//!
//! Owns: the section, its address syntax (`ADDR[:PORT]`, port
//! [`DEFAULT_CONTROL_PORT`] when left out) and its rules: off unless
//! `listen` is set; a bearer-token file is required on any address that is
//! not loopback; TLS needs both a certificate and a key file.
//! Must not: read the token or the certificate (the control server does, at
//! start, so a bad file fails the start with its name).

#![forbid(unsafe_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::{invalid, ConfigError};

/// Port of the control API when an address names none.
pub const DEFAULT_CONTROL_PORT: u16 = 8053;

/// `[control]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlConfig {
    /// Address of the HTTP control API (`ADDR[:PORT]`, port 8053 by
    /// default). Unset: no control API.
    #[serde(default, deserialize_with = "de_listen")]
    pub listen: Option<SocketAddr>,
    /// File holding the bearer token (whitespace trimmed), read at every
    /// request so a rotated secret takes effect at once. Required unless
    /// `listen` is a loopback address.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with `tls_key_file`).
    #[serde(default)]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    #[serde(default)]
    pub tls_key_file: Option<PathBuf>,
}

/// Parses `ADDR[:PORT]` (`[V6]:PORT` for IPv6 with a port).
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let bare = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, DEFAULT_CONTROL_PORT))
        .map_err(|_| format!("invalid control address {s:?}: expected ADDR[:PORT], e.g. 127.0.0.1:8053 or [::1]:8053"))
}

fn de_listen<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| parse_listen(&s).map_err(serde::de::Error::custom)).transpose()
}

impl ControlConfig {
    /// Resolves relative paths against `dir` (the config file's directory).
    pub(super) fn rebase(&mut self, dir: &Path) {
        for p in [&mut self.token_file, &mut self.tls_cert_file, &mut self.tls_key_file].into_iter().flatten() {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }

    /// Checks the cross-field rules.
    pub(super) fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        for (f, p) in
            [("control.token_file", &self.token_file), ("control.tls_cert_file", &self.tls_cert_file), ("control.tls_key_file", &self.tls_key_file)]
        {
            if p.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(invalid(origin, f, "empty path".into()));
            }
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(invalid(origin, "control.tls_key_file", "TLS needs both tls_cert_file and tls_key_file".into()));
        }
        if let Some(a) = self.listen {
            if !a.ip().is_loopback() && self.token_file.is_none() {
                return Err(invalid(
                    origin,
                    "control.token_file",
                    format!("the control API listens on {a}, which is not a loopback address: give a bearer token file (--control-token-file)"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_rules() {
        assert_eq!(parse_listen("127.0.0.1").unwrap(), "127.0.0.1:8053".parse().unwrap());
        assert_eq!(parse_listen("[::1]").unwrap(), "[::1]:8053".parse().unwrap());
        assert_eq!(parse_listen("0.0.0.0:9000").unwrap(), "0.0.0.0:9000".parse().unwrap());
        assert!(parse_listen("localhost:80").is_err());
        let mut c = ControlConfig { listen: Some("0.0.0.0:8053".parse().unwrap()), ..Default::default() };
        assert!(c.validate("t").unwrap_err().to_string().contains("token"));
        c.token_file = Some("/run/secrets/token".into());
        c.validate("t").unwrap();
        c.tls_cert_file = Some("cert.pem".into());
        assert!(c.validate("t").unwrap_err().to_string().contains("tls_key_file"));
        let local = ControlConfig { listen: Some("127.0.0.1:8053".parse().unwrap()), ..Default::default() };
        local.validate("t").unwrap();
    }

    #[test]
    fn section_and_flags() {
        let text = "version = 1\n[control]\nlisten = \"0.0.0.0\"\ntoken_file = \"tok\"\n";
        let cfg = super::super::Config::from_toml(text, "t.toml", Some(Path::new("/etc/ib"))).unwrap();
        assert_eq!(cfg.control.listen, Some("0.0.0.0:8053".parse().unwrap()));
        assert_eq!(cfg.control.token_file.as_deref(), Some(Path::new("/etc/ib/tok")));
        let err = super::super::Config::from_toml("version = 1\n[control]\nlisten = \"0.0.0.0\"\n", "t.toml", None).unwrap_err();
        assert!(err.to_string().contains("control.token_file"), "{err}");
        assert!(super::super::Config::from_toml("version = 1\n[control]\nport = 1\n", "t.toml", None).is_err());
        use clap::Parser;
        let cli = super::super::Cli::parse_from(["ironbind", "--control-listen", "127.0.0.1:9053"]);
        let cfg = cli.load().expect("the control API alone is something to serve");
        assert_eq!(cfg.control.listen, Some("127.0.0.1:9053".parse().unwrap()));
        let cli = super::super::Cli::parse_from(["ironbind", "--control-listen", "192.0.2.1"]);
        assert!(cli.load().unwrap_err().to_string().contains("token"));
    }
}
