//! The command line of `ironbind-node-agent`, and the image → binary map
//! its `--image-binary` flags make.
//!
//! Owns: flag names, defaults and their parsing. Must not: act on them.

use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};

/// ironbind-node-agent: the scheduler and kubelet of the local test cluster.
///
/// Registers a Node, binds every unscheduled Pod to it, and runs each Pod's
/// containers as local processes: the image mapped to a binary with
/// `--image-binary`, a loopback address 127.0.0.x per pod, the pod's volumes
/// bound into a private mount namespace (as root). Serves the kubelet's
/// HTTPS endpoint so that `kubectl logs` and `kubectl exec` work through the
/// API server.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub struct Args {
    /// kubeconfig of the cluster (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Name of the Node this agent registers and runs pods for
    #[arg(long, default_value = "ironbind-local")]
    pub node_name: String,

    /// Port of the kubelet HTTPS endpoint on 127.0.0.1 (0: any free port)
    #[arg(long, default_value_t = 10250)]
    pub port: u16,

    /// Where pod volumes, claims and container logs are kept
    #[arg(long, value_name = "DIR", default_value = "/tmp/ironbind-node")]
    pub state_dir: PathBuf,

    /// Runs images starting with PREFIX as the binary at PATH; repeatable
    #[arg(long = "image-binary", value_name = "PREFIX=PATH")]
    pub image_binary: Vec<String>,

    /// The /24 of 127.0.0.0/8 pod addresses come from (.2 to .254)
    #[arg(long, value_name = "127.A.B.0/24", default_value = "127.0.0.0/24", value_parser = crate::ipam::parse_subnet)]
    pub pod_subnet: [u8; 3],

    /// Seconds between refreshes of ConfigMap and Secret volumes from the API
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub volume_refresh: u64,

    /// Log format
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds between Node status (Ready heartbeat) and Lease updates
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub heartbeat: u64,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines
    Text,
    /// One JSON object per line
    Json,
}

/// A bad `--image-binary` value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageMapError {
    /// Not `PREFIX=PATH`.
    #[error("--image-binary {0:?}: expected PREFIX=PATH")]
    Syntax(String),
    /// The path is not absolute.
    #[error("--image-binary {0:?}: the binary must be an absolute path")]
    Relative(String),
}

/// Image prefixes and the local binaries they run, longest prefix first.
#[derive(Debug, Clone, Default)]
pub struct ImageMap {
    entries: Vec<(String, PathBuf)>,
}

impl ImageMap {
    /// From `PREFIX=PATH` values.
    pub fn parse(values: &[String]) -> Result<Self, ImageMapError> {
        let mut entries = Vec::new();
        for v in values {
            let (prefix, path) = v.split_once('=').filter(|(p, b)| !p.is_empty() && !b.is_empty()).ok_or_else(|| ImageMapError::Syntax(v.clone()))?;
            if !Path::new(path).is_absolute() {
                return Err(ImageMapError::Relative(v.clone()));
            }
            entries.push((prefix.to_string(), PathBuf::from(path)));
        }
        entries.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Ok(Self { entries })
    }

    /// The binary of `image`: the longest prefix that is the whole image
    /// name or is followed by `:` (tag), `@` (digest) or `/`.
    pub fn binary(&self, image: &str) -> Option<&Path> {
        self.entries
            .iter()
            .find(|(p, _)| image.strip_prefix(p.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '@', '/'])))
            .map(|(_, b)| b.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_at_a_boundary_longest_first() {
        let m = ImageMap::parse(&["ironbind=/a".into(), "ironbind/operator=/b".into(), "ghcr.example/x/ironbind=/c".into()]).unwrap();
        assert_eq!(m.binary("ironbind"), Some(Path::new("/a")));
        assert_eq!(m.binary("ironbind:0.1"), Some(Path::new("/a")));
        assert_eq!(m.binary("ironbind@sha256:00"), Some(Path::new("/a")));
        assert_eq!(m.binary("ironbind/operator:1"), Some(Path::new("/b")));
        assert_eq!(m.binary("ghcr.example/x/ironbind:1"), Some(Path::new("/c")));
        assert_eq!(m.binary("ironbind-operator"), None);
        assert_eq!(m.binary("nginx"), None);
    }

    #[test]
    fn bad_values() {
        assert_eq!(ImageMap::parse(&["ironbind".into()]).unwrap_err(), ImageMapError::Syntax("ironbind".into()));
        assert_eq!(ImageMap::parse(&["=/x".into()]).unwrap_err(), ImageMapError::Syntax("=/x".into()));
        assert_eq!(ImageMap::parse(&["a=bin/x".into()]).unwrap_err(), ImageMapError::Relative("a=bin/x".into()));
    }
}
