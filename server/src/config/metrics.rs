//! `[metrics]`: a listener of its own for `GET /metrics` (docs/OPERATIONS.md).
//!
//! Owns: the section and its flag ([`MetricsArgs`]). The listener serves
//! `/metrics` alone, read-only and without a token, so Prometheus can
//! scrape a server whose control API is off or kept private.
//! Must not: bind anything (the control module serves it).

#![forbid(unsafe_code)]

use std::net::SocketAddr;

use serde::{Deserialize, Deserializer};

use super::control::AddressError;

/// Port of the metrics listener when an address names none (the
/// Prometheus exporter range; BIND's statistics channel has no default).
pub const DEFAULT_METRICS_PORT: u16 = 9153;

/// `[metrics]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `GET /metrics` here (`ADDR[:PORT]`, port 9153 by default),
    /// nothing else. Unset: `/metrics` only on the control API.
    #[serde(default, deserialize_with = "de_listen")]
    pub listen: Option<SocketAddr>,
}

/// Parses `ADDR[:PORT]`.
pub fn parse_listen(s: &str) -> Result<SocketAddr, AddressError> {
    super::control::parse_listen(s).map(|a| {
        let bare = !s.trim().contains("]:") && s.trim().parse::<SocketAddr>().is_err();
        if bare {
            SocketAddr::new(a.ip(), DEFAULT_METRICS_PORT)
        } else {
            a
        }
    })
}

fn de_listen<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| parse_listen(&s).map_err(serde::de::Error::custom)).transpose()
}

/// The flag for `[metrics]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MetricsArgs {
    /// Serve GET /metrics alone, without a token, here (port 9153 unless
    /// given); off by default.
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_listen)]
    pub metrics_listen: Option<SocketAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_listen("127.0.0.1").unwrap(), "127.0.0.1:9153".parse().unwrap());
        assert_eq!(parse_listen("[::1]").unwrap(), "[::1]:9153".parse().unwrap());
        assert_eq!(parse_listen("0.0.0.0:9100").unwrap(), "0.0.0.0:9100".parse().unwrap());
        let cfg = super::super::Config::from_toml("version = 1\n[metrics]\nlisten = \"127.0.0.1:0\"\n", "t", None).unwrap();
        assert_eq!(cfg.metrics.listen, Some("127.0.0.1:0".parse().unwrap()));
        assert!(super::super::Config::from_toml("version = 1\n[metrics]\nport = 1\n", "t", None).is_err());
    }
}
