//! Tracing setup for the binary: text or JSON lines on stderr.
//!
//! Owns: turning `[log]` into a global subscriber. Must not: be called by the
//! library on its own (tests install their own subscribers).
//!
//! Field names are fixed across the codebase: `zone`, `serial`, `remote`,
//! `proto`, `op`, `rcode`. Nothing is logged per query at info; the query log
//! (`query_log = true`) logs each query at debug under the
//! [`QUERY_LOG_TARGET`] target, which is switched on for it.

#![forbid(unsafe_code)]

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};
use crate::net::QUERY_LOG_TARGET;

/// Installs the global subscriber described by `log`.
pub fn init_tracing(log: &LogConfig) -> anyhow::Result<()> {
    let mut directives = log.level.clone();
    if log.query_log {
        directives.push_str(&format!(",{QUERY_LOG_TARGET}=debug"));
    }
    let filter = EnvFilter::try_new(&directives).map_err(|e| anyhow::anyhow!("log level {:?}: {e}", log.level))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let res = match log.format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    res.map_err(|e| anyhow::anyhow!("cannot install log subscriber: {e}"))
}
