//! `[control]`: the HTTP control API (docs/CONTROL.md).
//!
//! Owns: the section, its address syntax (`ADDR[:PORT]`, port
//! [`DEFAULT_CONTROL_PORT`] when left out) and its rules: off unless
//! `listen` is set; a bearer-token file is required on any address that is
//! not loopback; TLS needs both a certificate and a key file; the connection
//! cap and idle timeout within their [`limits`].
//! Must not: read the token or the certificate (the control server does, at
//! start, so a bad file fails the start with its name).

#![forbid(unsafe_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::{invalid, limits, ConfigError};

/// Port of the control API when an address names none.
pub const DEFAULT_CONTROL_PORT: u16 = 8053;

/// `[control]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
    /// Open connections at most; a new one beyond it is closed at once.
    /// Bounds: [`limits::CONTROL_MAX_CONNECTIONS`].
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// A connection that sends no complete request head for this long (after
    /// it opened or after its last answer) is closed; a request body that
    /// pauses this long gets 408. Bounds: [`limits::CONTROL_IDLE_TIMEOUT_MS`].
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            listen: None,
            token_file: None,
            tls_cert_file: None,
            tls_key_file: None,
            max_connections: default_max_connections(),
            idle_timeout_ms: default_idle_timeout_ms(),
        }
    }
}

fn default_max_connections() -> u32 {
    limits::CONTROL_MAX_CONNECTIONS.default as u32
}

fn default_idle_timeout_ms() -> u64 {
    limits::CONTROL_IDLE_TIMEOUT_MS.default
}

/// An `ADDR[:PORT]` that does not parse; the text as given (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid control address {0:?}: expected ADDR[:PORT], e.g. 127.0.0.1:8053 or [::1]:8053")]
pub struct AddressError(pub String);

/// Parses `ADDR[:PORT]` (`[V6]:PORT` for IPv6 with a port).
pub fn parse_listen(s: &str) -> Result<SocketAddr, AddressError> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let bare = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
    bare.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, DEFAULT_CONTROL_PORT)).map_err(|_| AddressError(s.to_string()))
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
        limits::CONTROL_MAX_CONNECTIONS.check(origin, "control.max_connections", self.max_connections as u64)?;
        limits::CONTROL_IDLE_TIMEOUT_MS.check(origin, "control.idle_timeout_ms", self.idle_timeout_ms)?;
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
        assert_eq!(
            parse_listen(" localhost:80").unwrap_err().to_string(),
            "invalid control address \"localhost:80\": expected ADDR[:PORT], e.g. 127.0.0.1:8053 or [::1]:8053"
        );
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
        assert_eq!((cfg.control.max_connections, cfg.control.idle_timeout_ms), (256, 30_000));
        let caps = "version = 1\n[control]\nlisten = \"127.0.0.1\"\nmax_connections = 8\nidle_timeout_ms = 2000\n";
        let cfg = super::super::Config::from_toml(caps, "t.toml", None).unwrap();
        assert_eq!((cfg.control.max_connections, cfg.control.idle_timeout_ms), (8, 2000));
        for (knob, bad) in [("max_connections", "0"), ("max_connections", "65536"), ("idle_timeout_ms", "999"), ("idle_timeout_ms", "300001")] {
            let err = super::super::Config::from_toml(&format!("version = 1\n[control]\n{knob} = {bad}\n"), "t.toml", None).unwrap_err();
            assert!(err.to_string().contains(&format!("control.{knob}")), "{err}");
        }
        use clap::Parser;
        let cli = super::super::Cli::parse_from(["ironbind", "--control-listen", "127.0.0.1:9053"]);
        let cfg = cli.load().expect("the control API alone is something to serve");
        assert_eq!(cfg.control.listen, Some("127.0.0.1:9053".parse().unwrap()));
        let cli = super::super::Cli::parse_from(["ironbind", "--control-listen", "192.0.2.1"]);
        assert!(cli.load().unwrap_err().to_string().contains("token"));
    }
}
