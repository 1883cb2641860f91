//! The command line: flags for the simple case, merged over an optional file.
//!
//! Owns: the `clap` definition of the `ironbind` flags and how they override the
//! file ([`Cli::load`]). Must not: start anything. [`Cli::load`] is called again
//! on SIGHUP, so it must read the file afresh and apply the same flags.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use super::transfer::RemoteError;
use super::{limits, Config, ConfigError, LogFormat, RemoteSpec, TsigKeyConfig, ZoneConfig};
use crate::query::Prefix;

const ORIGIN: &str = "command line";

/// ironbind: an authoritative DNS server.
///
/// Serve zone files with `--zone NAME=FILE`, a config file with `--config FILE`,
/// or try it with `--example` (the built-in example.com zone on 127.0.0.1:5353):
///
///     ironbind --example &
///     dig @127.0.0.1 -p 5353 www.example.com
///
/// Serve a secondary copy of a zone from its primary (or several, tried in order):
///
///     ironbind --data-dir /tmp/ib --secondary example.com=192.0.2.1:53,192.0.2.2
///
/// SIGHUP reloads every zone file (and the config file); a zone that fails to
/// load keeps serving its previous version, and a changed primary zone is
/// journalled and NOTIFYed to its secondaries. SIGTERM/SIGINT shut down gracefully.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "ironbind", version, verbatim_doc_comment)]
pub struct Cli {
    /// TOML config file (version = 1). Flags below override its values.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to serve UDP and TCP on; repeatable; replaces the config's `listen`.
    /// Default 127.0.0.1:5353.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
    /// Serve a zone from an RFC 1035 master file; repeatable.
    #[arg(long, value_name = "NAME=FILE", value_parser = parse_zone)]
    pub zone: Vec<(String, PathBuf)>,
    /// Serve a secondary zone transferred from its primaries (tried in order;
    /// port 53 unless given; `@KEY` signs with that TSIG key); repeatable.
    #[arg(long, value_name = "NAME=ADDR[:PORT][@KEY],...", value_parser = parse_secondary)]
    pub secondary: Vec<(String, Vec<RemoteSpec>)>,
    /// Client prefix allowed to AXFR/IXFR every primary zone given on the
    /// command line; repeatable.
    #[arg(long, value_name = "PREFIX")]
    pub allow_transfer: Vec<Prefix>,
    /// TSIG key whose holders may AXFR/IXFR every primary zone given on the
    /// command line, from any address; repeatable.
    #[arg(long, value_name = "KEY")]
    pub allow_transfer_key: Vec<String>,
    /// TSIG key whose holders may send dynamic updates (RFC 2136) to every
    /// primary zone given on the command line; repeatable.
    #[arg(long, value_name = "KEY")]
    pub allow_update_key: Vec<String>,
    /// NOTIFY this server (`ADDR[:PORT][@KEY]`) when a primary zone given on
    /// the command line changes; repeatable.
    #[arg(long, value_name = "ADDR:PORT")]
    pub also_notify: Vec<RemoteSpec>,
    /// Where every zone's copy, IXFR journal and refresh timers are kept
    /// (default /var/lib/bind).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TSIG key `NAME=ALGORITHM:BASE64` (hmac-sha256 when the algorithm is
    /// left out); repeatable; added to the config's keys.
    #[arg(long, value_name = "NAME=ALG:BASE64", value_parser = TsigKeyConfig::from_spec)]
    pub tsig_key: Vec<TsigKeyConfig>,
    /// Serve the built-in example.com zone.
    #[arg(long)]
    pub example: bool,
    /// UDP worker threads per listen address (1..=256; default: one per CPU).
    #[arg(long, value_name = "N")]
    pub udp_workers: Option<u32>,
    /// Largest UDP response in octets (512..=65535; default 1232).
    #[arg(long, value_name = "N")]
    pub udp_max_payload: Option<u32>,
    /// Client prefix allowed to query (ADDR/LEN); repeatable; replaces the
    /// config's `allow_query`. Default: everyone.
    #[arg(long, value_name = "PREFIX")]
    pub allow_query: Vec<Prefix>,
    /// Log format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log level or filter directives (e.g. `info`, `debug`, `info,ironbind::net=debug`).
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Log every query (client, name, type, RCODE; debug level, target
    /// `ironbind::query_log`). Also `--log-queries`.
    #[arg(long, alias = "log-queries")]
    pub query_log: bool,
    /// Answer `version.bind` CH TXT with this string (default: refuse).
    #[arg(long, value_name = "STR")]
    pub chaos_version: Option<String>,
    /// Answer `id.server`/`hostname.bind` CH TXT with this string (default: refuse).
    #[arg(long, value_name = "STR")]
    pub chaos_id: Option<String>,
    /// Serve the HTTP control API here (port 8053 unless given); off by default.
    #[arg(long, value_name = "ADDR:PORT", value_parser = super::control::parse_listen)]
    pub control_listen: Option<SocketAddr>,
    /// Bearer token file for the control API (required off loopback).
    #[arg(long, value_name = "FILE")]
    pub control_token_file: Option<PathBuf>,
    /// PEM certificate chain: serve the control API over HTTPS.
    #[arg(long, value_name = "FILE", requires = "control_tls_key")]
    pub control_tls_cert: Option<PathBuf>,
    /// PEM private key for --control-tls-cert.
    #[arg(long, value_name = "FILE", requires = "control_tls_cert")]
    pub control_tls_key: Option<PathBuf>,

    // ---- zone size limits ----
    /// Records a zone may hold unless it sets its own (`[transfer]
    /// max_records`; 2..=4294967295; default 10000000). A transfer, zone
    /// file or PUT over it is refused while it is read.
    #[arg(long, value_name = "N")]
    pub max_records: Option<u64>,
    /// Uncompressed wire octets a zone may hold unless it sets its own
    /// (`[transfer] max_zone_bytes`; 512..=4294967295; default 1073741824).
    #[arg(long, value_name = "N")]
    pub max_zone_bytes: Option<u64>,
    /// Rate limiting, cookies, NSID (config/reflection.rs).
    #[command(flatten)]
    pub reflection: super::reflection::ReflectionArgs,
    /// The `/metrics`-only listener (config/metrics.rs).
    #[command(flatten)]
    pub metrics: super::metrics::MetricsArgs,
}

/// A `--zone` or `--secondary` value that does not parse (clap prints it
/// after the flag's name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// `--zone` without `NAME=FILE`; the value as given.
    #[error("expected NAME=FILE, e.g. example.com=/etc/ironbind/example.com.zone, got {0:?}")]
    Zone(String),
    /// `--secondary` without `NAME=` and a list; the value as given.
    #[error("expected NAME=ADDR[:PORT][@KEY][,ADDR...], e.g. example.com=192.0.2.1:53,192.0.2.2, got {0:?}")]
    Secondary(String),
    /// A primary in the `--secondary` list that is not `ADDR[:PORT][@KEY]`.
    #[error(transparent)]
    Primary(#[from] RemoteError),
}

fn parse_zone(s: &str) -> Result<(String, PathBuf), FlagError> {
    match s.split_once('=') {
        Some((n, f)) if !n.trim().is_empty() && !f.trim().is_empty() => Ok((n.trim().to_string(), PathBuf::from(f.trim()))),
        _ => Err(FlagError::Zone(s.to_string())),
    }
}

fn parse_secondary(s: &str) -> Result<(String, Vec<RemoteSpec>), FlagError> {
    let Some((n, list)) = s.split_once('=').filter(|(n, l)| !n.trim().is_empty() && !l.trim().is_empty()) else {
        return Err(FlagError::Secondary(s.to_string()));
    };
    let primaries = list.split(',').map(str::parse::<RemoteSpec>).collect::<Result<Vec<_>, _>>()?;
    Ok((n.trim().to_string(), primaries))
}

fn same_zone(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

impl Cli {
    /// Reads the config file (if any), applies the flags over it and validates
    /// the result. Fails when nothing would be served.
    pub fn load(&self) -> Result<Config, ConfigError> {
        // The file is validated together with the flags: a zone in the file
        // may name a TSIG key given with --tsig-key.
        let (mut cfg, origin) = match &self.config {
            Some(path) => (Config::read_file(path)?, path.display().to_string()),
            None => (Config::default(), ORIGIN.to_string()),
        };
        self.apply(&mut cfg)?;
        cfg.validate(&origin)?;
        if !cfg.has_zones() && cfg.control.listen.is_none() {
            return Err(ConfigError::NoZones);
        }
        Ok(cfg)
    }

    fn apply(&self, cfg: &mut Config) -> Result<(), ConfigError> {
        if !self.listen.is_empty() {
            cfg.listen = self.listen.clone();
        }
        for (name, file) in &self.zone {
            cfg.zones.retain(|z| !same_zone(&z.name, name));
            let mut z = ZoneConfig::primary(name, file.clone());
            z.allow_transfer = self.allow_transfer.clone();
            z.allow_transfer_keys = self.allow_transfer_key.clone();
            z.allow_update = self.allow_update_key.clone();
            z.also_notify = self.also_notify.clone();
            cfg.zones.push(z);
        }
        for (name, primaries) in &self.secondary {
            cfg.zones.retain(|z| !same_zone(&z.name, name));
            cfg.zones.push(ZoneConfig::secondary(name, primaries.clone()));
        }
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
        for k in &self.tsig_key {
            cfg.tsig_keys.retain(|c| !same_zone(&c.name, &k.name));
            cfg.tsig_keys.push(k.clone());
        }

        cfg.example_zone |= self.example;
        if let Some(n) = self.udp_workers {
            limits::UDP_WORKERS.check(ORIGIN, "--udp-workers", n as u64)?;
            cfg.udp_workers = Some(n);
        }
        if let Some(n) = self.udp_max_payload {
            limits::UDP_MAX_PAYLOAD.check(ORIGIN, "--udp-max-payload", n as u64)?;
            cfg.udp_max_payload = n;
        }
        if !self.allow_query.is_empty() {
            cfg.allow_query = self.allow_query.clone();
        }
        if let Some(f) = self.log_format {
            cfg.log.format = f;
        }
        if let Some(l) = &self.log_level {
            cfg.log.level = l.clone();
        }
        cfg.log.query_log |= self.query_log;
        if let Some(v) = &self.chaos_version {
            cfg.chaos.version = Some(v.clone());
        }
        if let Some(v) = &self.chaos_id {
            cfg.chaos.id = Some(v.clone());
        }
        if let Some(n) = self.max_records {
            limits::MAX_RECORDS.check(ORIGIN, "--max-records", n)?;
            cfg.transfer.max_records = n;
        }
        if let Some(n) = self.max_zone_bytes {
            limits::MAX_ZONE_BYTES.check(ORIGIN, "--max-zone-bytes", n)?;
            cfg.transfer.max_zone_bytes = n;
        }
        let c = &mut cfg.control;
        c.listen = self.control_listen.or(c.listen);
        c.token_file = self.control_token_file.clone().or(c.token_file.take());
        c.tls_cert_file = self.control_tls_cert.clone().or(c.tls_cert_file.take());
        c.tls_key_file = self.control_tls_key.clone().or(c.tls_key_file.take());
        self.reflection.apply(&mut cfg.rrl, &mut cfg.cookies, &mut cfg.nsid);
        cfg.metrics.listen = self.metrics.metrics_listen.or(cfg.metrics.listen);
        Ok(())
    }
}
