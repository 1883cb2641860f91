//! Where things live under the state directory, and which directory each
//! volume mount of a container binds where.
//!
//! ```text
//! STATE/pods/UID/volumes/VOLUME/   configMap, secret, emptyDir (removed with the pod)
//! STATE/pods/UID/logs/CONTAINER/   current.log, previous.log
//! STATE/claims/NAMESPACE/CLAIM/    persistentVolumeClaim (kept across pods)
//! ```
//!
//! Owns: these paths and the mount plan. Must not: create, write or mount
//! anything (pure, so that it is unit-tested as it is).

use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, Volume};

use super::VolumeError;

/// The directories of one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodDirs {
    root: PathBuf,
}

impl PodDirs {
    /// The directories of the pod with this UID under `state`.
    pub fn new(state: &Path, uid: &str) -> Self {
        Self { root: state.join("pods").join(uid) }
    }

    /// The pod's own directory (removed with the pod).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a pod-scoped volume (configMap, secret, emptyDir).
    pub fn volume(&self, name: &str) -> PathBuf {
        self.root.join("volumes").join(name)
    }

    /// The log directory of a container.
    pub fn log_dir(&self, container: &str) -> PathBuf {
        self.root.join("logs").join(container)
    }

    /// The log of the container's current (or last) run.
    pub fn current_log(&self, container: &str) -> PathBuf {
        self.log_dir(container).join("current.log")
    }

    /// The log of the run before it (`kubectl logs --previous`).
    pub fn previous_log(&self, container: &str) -> PathBuf {
        self.log_dir(container).join("previous.log")
    }
}

/// The directory of a PersistentVolumeClaim: kept by claim name across pods.
pub fn claim_dir(state: &Path, namespace: &str, claim: &str) -> PathBuf {
    state.join("claims").join(namespace).join(claim)
}

/// What backs a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeKind {
    /// A ConfigMap's keys as files.
    ConfigMap,
    /// A Secret's keys as files.
    Secret,
    /// An empty directory, gone with the pod.
    EmptyDir,
    /// A claim's directory, kept.
    Claim,
}

/// The kind and directory of a volume, or why it is not supported.
pub fn volume_dir(state: &Path, dirs: &PodDirs, namespace: &str, v: &Volume) -> Result<(VolumeKind, PathBuf), VolumeError> {
    if v.config_map.is_some() {
        Ok((VolumeKind::ConfigMap, dirs.volume(&v.name)))
    } else if v.secret.is_some() {
        Ok((VolumeKind::Secret, dirs.volume(&v.name)))
    } else if v.empty_dir.is_some() {
        Ok((VolumeKind::EmptyDir, dirs.volume(&v.name)))
    } else if let Some(pvc) = &v.persistent_volume_claim {
        Ok((VolumeKind::Claim, claim_dir(state, namespace, &pvc.claim_name)))
    } else {
        Err(VolumeError::Unsupported(v.name.clone()))
    }
}

/// One bind mount of a container: `source` (a directory, or a file with a
/// subPath) at `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The volume's directory (or the subPath within it).
    pub source: PathBuf,
    /// The container's mountPath.
    pub target: PathBuf,
    /// Remounted read-only. ConfigMap and Secret volumes always are.
    pub read_only: bool,
}

/// The bind mounts of `container`, in the order of its volumeMounts.
pub fn mount_plan(state: &Path, dirs: &PodDirs, namespace: &str, volumes: &[Volume], container: &Container) -> Result<Vec<Mount>, VolumeError> {
    let mut plan = Vec::new();
    for m in container.volume_mounts.iter().flatten() {
        let v = volumes
            .iter()
            .find(|v| v.name == m.name)
            .ok_or_else(|| VolumeError::NoSuchVolume { container: container.name.clone(), mount: m.name.clone() })?;
        let (kind, mut source) = volume_dir(state, dirs, namespace, v)?;
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            source = source.join(relative(&v.name, sub)?);
        }
        let read_only = m.read_only.unwrap_or(false) || matches!(kind, VolumeKind::ConfigMap | VolumeKind::Secret);
        plan.push(Mount { source, target: PathBuf::from(&m.mount_path), read_only });
    }
    Ok(plan)
}

/// `path` checked to stay inside a volume: relative, no `..`.
pub fn relative<'a>(volume: &str, path: &'a str) -> Result<&'a Path, VolumeError> {
    let p = Path::new(path);
    if p.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) && !path.is_empty() {
        Ok(p)
    } else {
        Err(VolumeError::BadPath { volume: volume.into(), path: path.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ConfigMapVolumeSource, EmptyDirVolumeSource, HostPathVolumeSource, PersistentVolumeClaimVolumeSource, VolumeMount,
    };

    fn volumes() -> Vec<Volume> {
        vec![
            Volume {
                name: "config".into(),
                config_map: Some(ConfigMapVolumeSource { name: "cm".into(), ..Default::default() }),
                ..Default::default()
            },
            Volume { name: "scratch".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() },
            Volume {
                name: "data".into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource { claim_name: "data-ns1-0".into(), ..Default::default() }),
                ..Default::default()
            },
            Volume { name: "host".into(), host_path: Some(HostPathVolumeSource { path: "/".into(), ..Default::default() }), ..Default::default() },
        ]
    }

    fn mount(name: &str, path: &str, sub: Option<&str>) -> VolumeMount {
        VolumeMount { name: name.into(), mount_path: path.into(), sub_path: sub.map(Into::into), ..Default::default() }
    }

    fn container(mounts: Vec<VolumeMount>) -> Container {
        Container { name: "dns".into(), volume_mounts: Some(mounts), ..Default::default() }
    }

    #[test]
    fn pod_dirs_and_claims() {
        let d = PodDirs::new(Path::new("/s"), "u-1");
        assert_eq!(d.volume("config"), Path::new("/s/pods/u-1/volumes/config"));
        assert_eq!(d.current_log("dns"), Path::new("/s/pods/u-1/logs/dns/current.log"));
        assert_eq!(d.previous_log("dns"), Path::new("/s/pods/u-1/logs/dns/previous.log"));
        assert_eq!(claim_dir(Path::new("/s"), "ns", "data"), Path::new("/s/claims/ns/data"));
    }

    #[test]
    fn plan_binds_each_volume_at_its_mount_path() {
        let state = Path::new("/s");
        let d = PodDirs::new(state, "u-1");
        let c =
            container(vec![mount("config", "/etc/ironbind", None), mount("data", "/var/lib/bind", None), mount("scratch", "/tmp/x", Some("a/b"))]);
        let plan = mount_plan(state, &d, "ns", &volumes(), &c).unwrap();
        assert_eq!(
            plan,
            [
                Mount { source: "/s/pods/u-1/volumes/config".into(), target: "/etc/ironbind".into(), read_only: true },
                Mount { source: "/s/claims/ns/data-ns1-0".into(), target: "/var/lib/bind".into(), read_only: false },
                Mount { source: "/s/pods/u-1/volumes/scratch/a/b".into(), target: "/tmp/x".into(), read_only: false },
            ]
        );
    }

    #[test]
    fn plan_refuses_unknown_unsupported_and_escaping() {
        let state = Path::new("/s");
        let d = PodDirs::new(state, "u-1");
        let err = |c| mount_plan(state, &d, "ns", &volumes(), &c).unwrap_err().to_string();
        assert!(err(container(vec![mount("nope", "/x", None)])).contains("names no volume"));
        assert!(err(container(vec![mount("host", "/x", None)])).contains("only configMap"));
        assert!(err(container(vec![mount("scratch", "/x", Some("../../etc"))])).contains("must not contain"));
        assert!(err(container(vec![mount("scratch", "/x", Some("/etc"))])).contains("must be relative"));
    }
}
