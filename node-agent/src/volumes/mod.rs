//! A pod's volumes on this node: where each one lives under the state
//! directory ([`layout`]) and filling ConfigMap and Secret volumes from the
//! API ([`materialise`]).
//!
//! Owns: the per-pod and per-claim directories and the files in them. Must
//! not: mount anything (the process module binds these directories into a
//! pod's mount namespace) or start processes.

pub mod layout;
pub mod materialise;

pub use layout::{claim_dir, mount_plan, Mount, PodDirs, VolumeKind};
pub use materialise::{materialise, remove_pod_dirs};

/// Why a pod's volumes cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// A volume mount names no volume of the pod.
    #[error("container {container}: volumeMount {mount} names no volume of the pod")]
    NoSuchVolume {
        /// The container.
        container: String,
        /// The mount's volume name.
        mount: String,
    },
    /// A volume of a type this node does not provide.
    #[error("volume {0}: only configMap, secret, emptyDir and persistentVolumeClaim volumes are supported")]
    Unsupported(String),
    /// A subPath or key path that would leave the volume.
    #[error("volume {volume}: path {path:?} must be relative and must not contain '..'")]
    BadPath {
        /// The volume.
        volume: String,
        /// The offending path.
        path: String,
    },
    /// A ConfigMap or Secret that is not there (and not optional).
    #[error("{kind} {namespace}/{name} not found (volume {volume})")]
    Missing {
        /// ConfigMap or Secret.
        kind: &'static str,
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The volume.
        volume: String,
    },
    /// A key the volume's items name is not in the object.
    #[error("volume {volume}: key {key} not in {name}")]
    MissingKey {
        /// The volume.
        volume: String,
        /// The ConfigMap or Secret.
        name: String,
        /// The key.
        key: String,
    },
    /// The API refused or failed a read.
    #[error("reading {what}: {source}")]
    Api {
        /// What was read.
        what: String,
        /// The client's error.
        source: kube::Error,
    },
    /// Writing the volume's files failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}
