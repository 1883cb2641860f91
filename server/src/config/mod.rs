//! Server configuration: the versioned TOML document and the command line.
//!
//! Owns: the typed configuration ([`Config`] and its sections), its defaults,
//! the bounds of every numeric knob ([`limits`]) checked at load, reading the
//! file ([`Config::from_file`]) and merging command-line flags over it ([`cli`]).
//! Must not: open sockets, read zone files or start anything; the runtime
//! ([`crate::runtime`]) does that with the validated result.
//!
//! The document is strict (`deny_unknown_fields`) and versioned (`version = 1`),
//! because the operator renders it for pods that may run an older or newer
//! server during a rollout: an unknown field or version must fail loudly
//! rather than be half-understood.

#![forbid(unsafe_code)]

pub mod cli;
pub mod control;
pub mod limits;
pub mod metrics;
pub mod reflection;
pub mod transfer;
pub mod zone;

pub use cli::Cli;
pub use control::ControlConfig;
pub use transfer::{RemoteSpec, TransferConfig, TsigKeyConfig, ZoneKind};
pub use zone::ZoneConfig;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use crate::query::{Acl, Prefix, QueryConfig};

/// The only document version this server understands.
pub const CONFIG_VERSION: u32 = 1;

/// Address served when neither the file nor the command line names one.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5353";

/// Where zones, journals and refresh timers are kept when `data_dir` is not set.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/bind";

/// Why a configuration cannot be used. Every message names where the bad value
/// came from (the file, or "command line") and the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema; the message names
    /// the field and the line.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message (names the key, line and column).
        message: String,
    },
    /// `version` is missing or not one we understand.
    #[error("{origin}: version = {found} is not supported; this server reads version = {CONFIG_VERSION}")]
    Version {
        /// Where the document came from.
        origin: String,
        /// The version found.
        found: u32,
    },
    /// A numeric knob outside its bounds.
    #[error("{origin}: {field} = {value} is out of range {min}..={max}")]
    OutOfRange {
        /// Where the value came from.
        origin: String,
        /// The field (`tcp.idle_timeout_ms`) or flag.
        field: &'static str,
        /// The value given.
        value: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// Any other invalid value.
    #[error("{origin}: {field}: {reason}")]
    Invalid {
        /// Where the value came from.
        origin: String,
        /// The field or flag.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing to serve.
    #[error("no zones to serve: give --zone NAME=FILE, --secondary NAME=PRIMARY, a config file with [[zone]] sections (--config FILE), --example to serve the built-in example.com zone, or --control-listen ADDR:PORT to add zones through the control API")]
    NoZones,
}

/// The whole configuration (TOML document, version 1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Document version; must be [`CONFIG_VERSION`].
    pub version: u32,
    /// Addresses to serve DNS on, UDP and TCP on each. Empty means [`DEFAULT_LISTEN`].
    #[serde(default)]
    pub listen: Vec<SocketAddr>,
    /// UDP worker threads per listen address, each with its own `SO_REUSEPORT`
    /// socket. `None` means one per available CPU. Bounds: [`limits::UDP_WORKERS`].
    #[serde(default)]
    pub udp_workers: Option<u32>,
    /// Largest UDP response sent, whatever the client offers. Bounds:
    /// [`limits::UDP_MAX_PAYLOAD`].
    #[serde(default = "limits::default_udp_max_payload")]
    pub udp_max_payload: u32,
    /// Clients allowed to query (`ADDR/LEN`); others get REFUSED. Empty means everyone.
    #[serde(default, deserialize_with = "de_prefixes")]
    pub allow_query: Vec<Prefix>,
    /// CHAOS-class identity answers.
    #[serde(default)]
    pub chaos: ChaosConfig,
    /// TCP transport settings (RFC 7766).
    #[serde(default)]
    pub tcp: TcpConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Directory holding every zone's copy (`zones/`), IXFR journal and
    /// refresh timers, so a restart serves the same serial at once. Relative
    /// paths are relative to the config file's directory.
    #[serde(default = "transfer::default_data_dir")]
    pub data_dir: PathBuf,
    /// TSIG keys (RFC 8945) for transfers and NOTIFY.
    #[serde(default, rename = "tsig_key")]
    pub tsig_keys: Vec<TsigKeyConfig>,
    /// Transfer, refresh and NOTIFY timing.
    #[serde(default)]
    pub transfer: TransferConfig,
    /// Zones served: primaries from files, secondaries by transfer.
    #[serde(default, rename = "zone")]
    pub zones: Vec<ZoneConfig>,
    /// The HTTP control API (off unless `listen` is set).
    #[serde(default)]
    pub control: ControlConfig,
    // -- reflection and amplification (config/reflection.rs, config/metrics.rs) --
    /// NSID (RFC 5001) for clients that ask: a string, or `0x` and hex.
    #[serde(default)]
    pub nsid: Option<String>,
    /// Response rate limiting over UDP.
    #[serde(default)]
    pub rrl: reflection::RrlConfig,
    /// DNS cookies (RFC 7873, RFC 9018).
    #[serde(default)]
    pub cookies: reflection::CookieConfig,
    /// A `/metrics`-only listener.
    #[serde(default)]
    pub metrics: metrics::MetricsConfig,
    /// Serve the built-in `example.com` zone (command line `--example` only).
    #[serde(skip)]
    pub example_zone: bool,
}

/// `[chaos]`: answers to `CH TXT` identity queries (RFC 4892). Omitted values are
/// hidden: the query is REFUSED, which is what operators usually want.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosConfig {
    /// `version.bind` / `version.server`.
    pub version: Option<String>,
    /// `id.server` / `hostname.bind`.
    pub id: Option<String>,
}

/// `[tcp]`: DNS over TCP (RFC 7766).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TcpConfig {
    /// Close a connection with no complete request for this long. Bounds:
    /// [`limits::TCP_IDLE_TIMEOUT_MS`].
    pub idle_timeout_ms: u64,
    /// Open connections at most; new ones beyond it are closed at once. Bounds:
    /// [`limits::TCP_MAX_CONNECTIONS`].
    pub max_connections: u32,
    /// Open connections at most from one client address. Bounds:
    /// [`limits::TCP_MAX_CONNECTIONS_PER_CLIENT`].
    pub max_connections_per_client: u32,
}

impl Default for TcpConfig {
    fn default() -> Self {
        Self {
            idle_timeout_ms: limits::TCP_IDLE_TIMEOUT_MS.default,
            max_connections: limits::TCP_MAX_CONNECTIONS.default as u32,
            max_connections_per_client: limits::TCP_MAX_CONNECTIONS_PER_CLIENT.default as u32,
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// A level (`info`) or `tracing` filter directives (`info,ironbind::net=debug`).
    pub level: String,
    /// Log every query (client, name, type, RCODE) at debug level under the
    /// `ironbind::query_log` target, which this switches on whatever `level`
    /// says. Off by default; also spelled `log_queries`.
    #[serde(alias = "log_queries")]
    pub query_log: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into(), query_log: false }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn prefixes<'de, D: Deserializer<'de>>(d: D, field: &str) -> Result<Vec<Prefix>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter().map(|s| s.parse::<Prefix>().map_err(|e| serde::de::Error::custom(format!("{field}: {e}")))).collect()
}

fn de_prefixes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Prefix>, D::Error> {
    prefixes(d, "allow_query")
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            listen: Vec::new(),
            udp_workers: None,
            udp_max_payload: limits::UDP_MAX_PAYLOAD.default as u32,
            allow_query: Vec::new(),
            chaos: ChaosConfig::default(),
            tcp: TcpConfig::default(),
            log: LogConfig::default(),
            data_dir: transfer::default_data_dir(),
            tsig_keys: Vec::new(),
            transfer: TransferConfig::default(),
            zones: Vec::new(),
            control: ControlConfig::default(),
            nsid: None,
            rrl: reflection::RrlConfig::default(),
            cookies: reflection::CookieConfig::default(),
            metrics: metrics::MetricsConfig::default(),
            example_zone: false,
        }
    }
}

impl Config {
    /// Parses and validates a document; `origin` names it in errors. Relative
    /// zone paths are resolved against `base_dir` when given.
    pub fn from_toml(text: &str, origin: &str, base_dir: Option<&Path>) -> Result<Self, ConfigError> {
        let cfg = Self::parse(text, origin, base_dir)?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    /// Parses a document without the cross-field checks of [`validate`](Self::validate)
    /// (the command line may still add the keys it names).
    fn parse(text: &str, origin: &str, base_dir: Option<&Path>) -> Result<Self, ConfigError> {
        // Check the version first, so a newer document fails with a version
        // message rather than "unknown field".
        #[derive(Deserialize)]
        struct VersionOnly {
            version: Option<toml::Value>,
        }
        let parse_err = |e: toml::de::Error| parse_error(origin, text, &e);
        let v: VersionOnly = toml::from_str(text).map_err(parse_err)?;
        match v.version {
            Some(toml::Value::Integer(n)) if n == CONFIG_VERSION as i64 => {}
            Some(toml::Value::Integer(n)) => return Err(ConfigError::Version { origin: origin.into(), found: n.clamp(0, u32::MAX as i64) as u32 }),
            Some(_) => return Err(invalid(origin, "version", format!("must be the integer {CONFIG_VERSION}"))),
            None => return Err(invalid(origin, "version", format!("missing; add `version = {CONFIG_VERSION}` at the top"))),
        }
        let mut cfg: Config = toml::from_str(text).map_err(parse_err)?;
        if let Some(dir) = base_dir {
            let rebase = |p: &mut PathBuf| {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            };
            cfg.zones.iter_mut().filter_map(|z| z.file.as_mut()).for_each(rebase);
            cfg.tsig_keys.iter_mut().filter_map(|k| k.secret_file.as_mut()).for_each(rebase);
            rebase(&mut cfg.data_dir);
            cfg.control.rebase(dir);
        }
        Ok(cfg)
    }

    /// Reads and validates the file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let cfg = Self::read_file(path)?;
        cfg.validate(&path.display().to_string())?;
        Ok(cfg)
    }

    /// Reads and parses the file at `path`, leaving [`validate`](Self::validate) to the caller.
    fn read_file(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { file: file.clone(), source })?;
        Self::parse(&text, &file, path.parent())
    }

    /// Checks every bound and cross-field rule; `origin` names the source in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        if self.version != CONFIG_VERSION {
            return Err(ConfigError::Version { origin: origin.into(), found: self.version });
        }
        if let Some(n) = self.udp_workers {
            limits::UDP_WORKERS.check(origin, "udp_workers", n as u64)?;
        }
        limits::UDP_MAX_PAYLOAD.check(origin, "udp_max_payload", self.udp_max_payload as u64)?;
        limits::TCP_IDLE_TIMEOUT_MS.check(origin, "tcp.idle_timeout_ms", self.tcp.idle_timeout_ms)?;
        limits::TCP_MAX_CONNECTIONS.check(origin, "tcp.max_connections", self.tcp.max_connections as u64)?;
        limits::TCP_MAX_CONNECTIONS_PER_CLIENT.check(origin, "tcp.max_connections_per_client", self.tcp.max_connections_per_client as u64)?;
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(invalid(origin, "log.level", format!("{:?}: {e}", self.log.level)));
        }
        self.transfer.validate(origin)?;
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid(origin, "data_dir", "empty path".into()));
        }
        self.control.validate(origin)?;
        reflection::validate(&self.rrl, &self.cookies, self.nsid.as_deref(), origin)?;
        let ring = self.key_ring_checked(origin)?;
        let mut seen = std::collections::HashSet::new();
        for (i, z) in self.zones.iter().enumerate() {
            let apex = z.validate(origin, i, &ring)?;
            if !seen.insert(apex) {
                return Err(invalid(origin, &format!("zone[{i}].name"), format!("zone {:?} is listed twice", z.name)));
            }
        }
        let mut addrs = std::collections::HashSet::new();
        for a in &self.listen {
            if !addrs.insert(a) {
                return Err(invalid(origin, "listen", format!("{a} is listed twice")));
            }
        }
        Ok(())
    }

    /// The listen addresses, or [`DEFAULT_LISTEN`] when none are configured.
    pub fn listen_addrs(&self) -> Vec<SocketAddr> {
        if self.listen.is_empty() {
            vec![DEFAULT_LISTEN.parse().expect("valid default")]
        } else {
            self.listen.clone()
        }
    }

    /// UDP workers per listen address: the configured number or one per CPU.
    pub fn udp_workers(&self) -> usize {
        match self.udp_workers {
            Some(n) => n as usize,
            None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(limits::UDP_WORKERS.max as usize),
        }
    }

    /// The settings of the request layer.
    pub fn query_config(&self) -> QueryConfig {
        let (rrl, cookies, nsid) = reflection::settings(&self.rrl, &self.cookies, self.nsid.as_deref());
        QueryConfig {
            allow_query: Acl(self.allow_query.clone()),
            udp_max_payload: self.udp_max_payload.clamp(512, 65535) as u16,
            chaos_version: self.chaos.version.clone(),
            chaos_id: self.chaos.id.clone(),
            nsid,
            cookies,
            rrl,
        }
    }

    /// True when there is something to serve.
    pub fn has_zones(&self) -> bool {
        self.example_zone || !self.zones.is_empty()
    }

    /// The TSIG keys. Fails on a bad key or unreadable `secret_file`.
    pub fn key_ring(&self) -> Result<crate::tsig::KeyRing, ConfigError> {
        self.key_ring_checked("config")
    }

    fn key_ring_checked(&self, origin: &str) -> Result<crate::tsig::KeyRing, ConfigError> {
        let mut ring = crate::tsig::KeyRing::new();
        for (i, k) in self.tsig_keys.iter().enumerate() {
            let key = k.to_key().map_err(|e| invalid(origin, &format!("tsig_key[{i}] ({})", k.name), e.to_string()))?;
            if ring.insert(key).is_some() {
                return Err(invalid(origin, &format!("tsig_key[{i}].name"), format!("key {:?} is listed twice", k.name)));
            }
        }
        Ok(ring)
    }
}

/// A one-line parse error, `file:line:column: message` (toml's own Display spans
/// several lines, which does not belong in a log line).
fn parse_error(origin: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().trim().replace('\n', " ");
    let file = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("{origin}:{line}:{col}")
        }
        None => origin.to_string(),
    };
    ConfigError::Parse { file, message: msg }
}

fn invalid(origin: &str, field: &str, reason: String) -> ConfigError {
    ConfigError::Invalid { origin: origin.into(), field: field.into(), reason }
}

#[cfg(test)]
mod tests;
