//! The zone-transfer parts of the configuration: remotes (primaries and
//! NOTIFY targets), TSIG keys, the data directory and the `[transfer]` knobs.
//!
//! Owns: parsing `ADDR[:PORT][@KEY]` remotes (strings or `{ address, key }`
//! tables), `[[tsig_key]]` sections (secret inline or in a file, never shown
//! in `Debug`), and turning them into the catalog's types
//! ([`RemoteSpec::to_remote`], [`Config::key_ring`](super::Config::key_ring)).
//! Must not: open sockets or read anything but a key's `secret_file`.

#![forbid(unsafe_code)]

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::limits;
use crate::catalog::Remote;
use crate::tsig::{Algorithm, Key, TsigError};

/// Port used when a remote names none (RFC 1035 §4.2).
pub const DNS_PORT: u16 = 53;

/// `type = "primary" | "secondary"` of a `[[zone]]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneKind {
    /// Served from its master file; we are the source of the zone.
    #[default]
    Primary,
    /// Transferred from `primaries` (RFC 5936, RFC 1995), refreshed on the SOA timers.
    Secondary,
}

/// A remote server: a primary to transfer from or a NOTIFY target, with the
/// TSIG key to sign with. Written `ADDR[:PORT][@KEY]` (`192.0.2.1`,
/// `192.0.2.1:5300@xfr-key`, `[2001:db8::1]:53`, `2001:db8::1`) or as a
/// table `{ address = "192.0.2.1:53", key = "xfr-key" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    /// Address and port (53 when not given).
    pub addr: SocketAddr,
    /// Name of a configured TSIG key.
    pub key: Option<String>,
    /// Local address to send from (table form only: `source = "192.0.2.53"`).
    pub source: Option<IpAddr>,
}

/// Why a remote string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server address {0:?}: expected ADDR[:PORT][@KEY], e.g. 192.0.2.1, 192.0.2.1:5300@xfr-key or [2001:db8::1]:53")]
pub struct RemoteError(pub String);

impl RemoteSpec {
    /// Parses `addr` alone (no key): `ADDR` or `ADDR:PORT` (`[V6]:PORT`).
    pub fn parse_addr(s: &str) -> Result<SocketAddr, RemoteError> {
        let s = s.trim();
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Ok(a);
        }
        let bare = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
        bare.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, DNS_PORT)).map_err(|_| RemoteError(s.to_string()))
    }

    /// The catalog's form of this remote.
    pub fn to_remote(&self) -> Remote {
        Remote { addr: self.addr, key: self.key.clone(), source: self.source }
    }
}

impl FromStr for RemoteSpec {
    type Err = RemoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, key) = match s.rsplit_once('@') {
            Some((a, k)) if !k.trim().is_empty() => (a, Some(k.trim().to_string())),
            Some(_) => return Err(RemoteError(s.to_string())),
            None => (s, None),
        };
        Ok(RemoteSpec { addr: Self::parse_addr(addr).map_err(|_| RemoteError(s.to_string()))?, key, source: None })
    }
}

impl fmt::Display for RemoteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.addr)?;
        if let Some(k) = &self.key {
            write!(f, "@{k}")?;
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for RemoteSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RemoteSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"ADDR[:PORT][@KEY]\" or { address = \"ADDR[:PORT]\", key = \"NAME\", source = \"LOCAL-ADDR\" }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RemoteSpec, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<RemoteSpec, M::Error> {
                let (mut addr, mut key, mut source) = (None, None, None);
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "address" => {
                            let s: String = m.next_value()?;
                            addr = Some(RemoteSpec::parse_addr(&s).map_err(de::Error::custom)?);
                        }
                        "key" => key = Some(m.next_value::<String>()?),
                        "source" => {
                            let s: String = m.next_value()?;
                            source = Some(
                                s.trim()
                                    .parse::<IpAddr>()
                                    .map_err(|_| de::Error::custom(format!("invalid source address {s:?}: expected an IP address")))?,
                            );
                        }
                        other => return Err(de::Error::unknown_field(other, &["address", "key", "source"])),
                    }
                }
                let addr = addr.ok_or_else(|| de::Error::missing_field("address"))?;
                Ok(RemoteSpec { addr, key, source })
            }
        }
        d.deserialize_any(V)
    }
}

/// `[[tsig_key]]`: a TSIG key (RFC 8945) shared with primaries, secondaries
/// or NOTIFY targets. The secret is base64, inline or in `secret_file`
/// (one line; a relative path is relative to the config file).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsigKeyConfig {
    /// Key name, e.g. `xfr-key` (compared ignoring case).
    pub name: String,
    /// `hmac-sha256` (default), `hmac-sha1`, `hmac-sha224`, `hmac-sha384` or
    /// `hmac-sha512`. HMAC-MD5 is refused (RFC 8945 §6). A bit count after
    /// the name (`hmac-sha256-128`, as BIND writes it) lets requests signed
    /// with this key carry MACs truncated to that length; without one, only
    /// full-length MACs are accepted.
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// The secret, base64.
    #[serde(default)]
    pub secret: Option<String>,
    /// A file holding the base64 secret; read when the configuration loads.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

fn default_algorithm() -> String {
    Algorithm::HmacSha256.name().into()
}

impl fmt::Debug for TsigKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKeyConfig")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

/// Why a `[[tsig_key]]` or `--tsig-key` does not give a key. Never shows the secret.
#[derive(Debug, thiserror::Error)]
pub enum KeyConfigError {
    /// `--tsig-key` without `NAME=` and a secret.
    #[error("expected NAME=ALGORITHM:BASE64SECRET, e.g. xfr-key=hmac-sha256:c2VjcmV0")]
    Spec,
    /// Both `secret` and `secret_file`, or neither.
    #[error("give exactly one of `secret` and `secret_file`")]
    SecretSource,
    /// `secret_file` could not be read.
    #[error("cannot read secret_file {}: {source}", .path.display())]
    ReadSecret {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The name, algorithm or secret is not valid.
    #[error(transparent)]
    Key(#[from] TsigError),
}

impl TsigKeyConfig {
    /// Parses the command-line form `NAME=ALG:BASE64` (or `NAME=BASE64` for hmac-sha256).
    pub fn from_spec(spec: &str) -> Result<Self, KeyConfigError> {
        let (name, rest) = spec.split_once('=').ok_or(KeyConfigError::Spec)?;
        let (alg, secret) = match rest.split_once(':') {
            Some((a, s)) => (a.trim().to_string(), s.trim().to_string()),
            None => (default_algorithm(), rest.trim().to_string()),
        };
        if name.trim().is_empty() || secret.is_empty() {
            return Err(KeyConfigError::Spec);
        }
        let k = TsigKeyConfig { name: name.trim().into(), algorithm: alg, secret: Some(secret), secret_file: None };
        k.to_key()?;
        Ok(k)
    }

    /// The key; reads `secret_file` when the secret is not inline.
    pub fn to_key(&self) -> Result<Key, KeyConfigError> {
        let text = match (&self.secret, &self.secret_file) {
            (Some(s), None) => s.clone(),
            (None, Some(p)) => std::fs::read_to_string(p).map_err(|source| KeyConfigError::ReadSecret { path: p.clone(), source })?,
            _ => return Err(KeyConfigError::SecretSource),
        };
        Ok(Key::from_parts(&self.name, &self.algorithm, &text)?)
    }
}

/// `[transfer]`: timing of zone transfers, refreshes and NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransferConfig {
    /// Longest one inbound transfer may take, in seconds. Bounds:
    /// [`limits::XFR_TIMEOUT_SECS`].
    pub timeout_secs: u64,
    /// How long to wait for a primary's answer to an SOA query, in
    /// milliseconds. Bounds: [`limits::SOA_TIMEOUT_MS`].
    pub soa_timeout_ms: u64,
    /// Smallest refresh and retry interval honoured, whatever the SOA says.
    /// Bounds: [`limits::REFRESH_MIN_SECS`].
    pub refresh_min_secs: u64,
    /// Largest refresh and retry interval honoured. Bounds:
    /// [`limits::REFRESH_MAX_SECS`].
    pub refresh_max_secs: u64,
    /// NOTIFY transmissions per target before giving up (RFC 1996 §3.6).
    /// Bounds: [`limits::NOTIFY_RETRIES`].
    pub notify_retries: u32,
    /// Wait for a NOTIFY answer before the first retransmission, in
    /// milliseconds; doubled after each one, up to 60 s. Bounds:
    /// [`limits::NOTIFY_TIMEOUT_MS`].
    pub notify_timeout_ms: u64,
    /// Least time between two NOTIFY-triggered refreshes of one zone, in
    /// milliseconds (BIND's serial-query-rate, per zone). Bounds:
    /// [`limits::NOTIFY_REFRESH_INTERVAL_MS`].
    pub notify_refresh_interval_ms: u64,
    /// Records a zone may hold, unless its `[[zone]]` says otherwise; checked
    /// while a transfer is received, a zone file read or a `PUT` parsed.
    /// Bounds: [`limits::MAX_RECORDS`].
    pub max_records: u64,
    /// Uncompressed wire octets a zone may hold, unless its `[[zone]]` says
    /// otherwise; checked as `max_records` is. Bounds: [`limits::MAX_ZONE_BYTES`].
    pub max_zone_bytes: u64,
}

impl Default for TransferConfig {
    fn default() -> Self {
        Self {
            timeout_secs: limits::XFR_TIMEOUT_SECS.default,
            soa_timeout_ms: limits::SOA_TIMEOUT_MS.default,
            refresh_min_secs: limits::REFRESH_MIN_SECS.default,
            refresh_max_secs: limits::REFRESH_MAX_SECS.default,
            notify_retries: limits::NOTIFY_RETRIES.default as u32,
            notify_timeout_ms: limits::NOTIFY_TIMEOUT_MS.default,
            notify_refresh_interval_ms: limits::NOTIFY_REFRESH_INTERVAL_MS.default,
            max_records: limits::MAX_RECORDS.default,
            max_zone_bytes: limits::MAX_ZONE_BYTES.default,
        }
    }
}

impl TransferConfig {
    /// Checks every bound.
    pub fn validate(&self, origin: &str) -> Result<(), super::ConfigError> {
        limits::XFR_TIMEOUT_SECS.check(origin, "transfer.timeout_secs", self.timeout_secs)?;
        limits::SOA_TIMEOUT_MS.check(origin, "transfer.soa_timeout_ms", self.soa_timeout_ms)?;
        limits::REFRESH_MIN_SECS.check(origin, "transfer.refresh_min_secs", self.refresh_min_secs)?;
        limits::REFRESH_MAX_SECS.check(origin, "transfer.refresh_max_secs", self.refresh_max_secs)?;
        limits::NOTIFY_RETRIES.check(origin, "transfer.notify_retries", self.notify_retries as u64)?;
        limits::NOTIFY_TIMEOUT_MS.check(origin, "transfer.notify_timeout_ms", self.notify_timeout_ms)?;
        limits::NOTIFY_REFRESH_INTERVAL_MS.check(origin, "transfer.notify_refresh_interval_ms", self.notify_refresh_interval_ms)?;
        limits::MAX_RECORDS.check(origin, "transfer.max_records", self.max_records)?;
        limits::MAX_ZONE_BYTES.check(origin, "transfer.max_zone_bytes", self.max_zone_bytes)?;
        if self.refresh_min_secs > self.refresh_max_secs {
            return Err(super::invalid(
                origin,
                "transfer.refresh_min_secs",
                format!("{} is above transfer.refresh_max_secs = {}", self.refresh_min_secs, self.refresh_max_secs),
            ));
        }
        Ok(())
    }
}

impl TransferConfig {
    /// The size limits of a zone that sets none of its own.
    pub fn zone_limits(&self) -> crate::zone::limits::ZoneLimits {
        crate::zone::limits::ZoneLimits { max_records: self.max_records, max_zone_bytes: self.max_zone_bytes }
    }
}

/// Serde default for `data_dir`.
pub(super) fn default_data_dir() -> PathBuf {
    PathBuf::from(super::DEFAULT_DATA_DIR)
}

/// Serde default for `notify_ns`.
pub(super) fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_parse() {
        let r: RemoteSpec = "192.0.2.1".parse().unwrap();
        assert_eq!((r.addr, r.key), ("192.0.2.1:53".parse().unwrap(), None));
        let r: RemoteSpec = "192.0.2.1:5300@xfr-key".parse().unwrap();
        assert_eq!((r.addr.port(), r.key.as_deref()), (5300, Some("xfr-key")));
        let r: RemoteSpec = "2001:db8::1".parse().unwrap();
        assert_eq!(r.addr, "[2001:db8::1]:53".parse().unwrap());
        let r: RemoteSpec = "[2001:db8::1]:5353@k".parse().unwrap();
        assert_eq!((r.addr, r.to_string()), ("[2001:db8::1]:5353".parse().unwrap(), "[2001:db8::1]:5353@k".into()));
        assert!("192.0.2.1@".parse::<RemoteSpec>().is_err());
        assert!("ns1.example.com".parse::<RemoteSpec>().is_err());
        assert!("192.0.2.1:99999".parse::<RemoteSpec>().is_err());
    }

    #[test]
    fn key_specs() {
        let k = TsigKeyConfig::from_spec("xfr=hmac-sha1:c2VjcmV0").unwrap();
        assert_eq!(k.to_key().unwrap().algorithm, Algorithm::HmacSha1);
        assert!(!format!("{k:?}").contains("c2VjcmV0"), "secret redacted");
        assert_eq!(TsigKeyConfig::from_spec("xfr=c2VjcmV0").unwrap().algorithm, "hmac-sha256");
        assert!(TsigKeyConfig::from_spec("xfr=hmac-md5:c2VjcmV0").unwrap_err().to_string().contains("MD5"));
        assert!(TsigKeyConfig::from_spec("xfr=hmac-sha256:!!").unwrap_err().to_string().contains("base64"));
        assert_eq!(
            TsigKeyConfig::from_spec("nokey").unwrap_err().to_string(),
            "expected NAME=ALGORITHM:BASE64SECRET, e.g. xfr-key=hmac-sha256:c2VjcmV0"
        );
        let mut k = TsigKeyConfig { secret: None, ..k };
        assert_eq!(k.to_key().unwrap_err().to_string(), "give exactly one of `secret` and `secret_file`");
        k.secret_file = Some("/nonexistent/ironbind.key".into());
        let e = k.to_key().unwrap_err().to_string();
        assert!(e.starts_with("cannot read secret_file /nonexistent/ironbind.key: "), "{e}");
    }
}
