//! Filling a pod's volume directories: ConfigMap and Secret keys written as
//! files (again on every call, so a changed object reaches a running pod as
//! the kubelet's periodic sync does), emptyDir and claim directories made,
//! and their owner set for the pod's fsGroup or runAsUser.
//!
//! Owns: the files under the pod's and the claims' directories. Must not:
//! mount, or remove a claim's directory (claims outlive pods).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{ConfigMap, KeyToPath, Pod, Secret};
use kube::{Api, Client};

use super::layout::{relative, volume_dir, PodDirs, VolumeKind};
use super::VolumeError;

/// The default mode of a ConfigMap or Secret file (0644, as the API's default).
const DEFAULT_MODE: u32 = 0o644;

/// Makes every volume of `pod` ready under `state`: returns nothing, the
/// mount plan says where each one goes.
#[tracing::instrument(skip_all, fields(pod = %dirs.root().display()))]
pub async fn materialise(client: &Client, state: &Path, dirs: &PodDirs, pod: &Pod) -> Result<(), VolumeError> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let spec = pod.spec.as_ref();
    let owner = owner_ids(pod);
    for v in spec.and_then(|s| s.volumes.as_ref()).into_iter().flatten() {
        // A volume no container mounts is still set up, as the kubelet does.
        let (kind, dir) = volume_dir(state, dirs, ns, v)?;
        mkdir(&dir)?;
        match kind {
            VolumeKind::ConfigMap => {
                let src = v.config_map.as_ref().expect("kind says configMap");
                let Some(cm) = read::<ConfigMap>(client, ns, &src.name, &v.name, "ConfigMap", src.optional.unwrap_or(false)).await? else {
                    continue;
                };
                let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
                for (k, s) in cm.data.unwrap_or_default() {
                    files.insert(k, s.into_bytes());
                }
                for (k, b) in cm.binary_data.unwrap_or_default() {
                    files.insert(k, b.0);
                }
                write_keys(&dir, &v.name, &src.name, files, src.items.as_deref(), src.default_mode)?;
            }
            VolumeKind::Secret => {
                let src = v.secret.as_ref().expect("kind says secret");
                let name = src.secret_name.clone().unwrap_or_default();
                let Some(s) = read::<Secret>(client, ns, &name, &v.name, "Secret", src.optional.unwrap_or(false)).await? else {
                    continue;
                };
                let mut files: BTreeMap<String, Vec<u8>> = s.data.unwrap_or_default().into_iter().map(|(k, b)| (k, b.0)).collect();
                for (k, v) in s.string_data.unwrap_or_default() {
                    files.insert(k, v.into_bytes());
                }
                write_keys(&dir, &v.name, &name, files, src.items.as_deref(), src.default_mode)?;
            }
            VolumeKind::EmptyDir | VolumeKind::Claim => chown_writable(&dir, owner)?,
        }
    }
    Ok(())
}

/// Removes the pod's own directory (its emptyDirs, ConfigMap and Secret
/// copies and logs). Claims are elsewhere and stay.
pub fn remove_pod_dirs(dirs: &PodDirs) {
    if let Err(e) = std::fs::remove_dir_all(dirs.root()) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dirs.root().display(), error = %e, "cannot remove the pod's directory");
        }
    }
}

/// The uid and gid that must be able to write the pod's volumes: fsGroup
/// (group-writable), else runAsUser/runAsGroup of the pod.
fn owner_ids(pod: &Pod) -> (Option<u32>, Option<u32>) {
    let sc = pod.spec.as_ref().and_then(|s| s.security_context.as_ref());
    let as_u32 = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
    let user = as_u32(sc.and_then(|s| s.run_as_user));
    let group = as_u32(sc.and_then(|s| s.fs_group)).or(as_u32(sc.and_then(|s| s.run_as_group)));
    (user, group)
}

fn chown_writable(dir: &Path, (user, group): (Option<u32>, Option<u32>)) -> Result<(), VolumeError> {
    if user.is_none() && group.is_none() {
        return Ok(());
    }
    std::os::unix::fs::chown(dir, user, group).map_err(|source| VolumeError::Io { path: dir.into(), source })?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o2775)).map_err(|source| VolumeError::Io { path: dir.into(), source })
}

async fn read<K>(client: &Client, ns: &str, name: &str, volume: &str, kind: &'static str, optional: bool) -> Result<Option<K>, VolumeError>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    match api.get_opt(name).await {
        Ok(Some(o)) => Ok(Some(o)),
        Ok(None) if optional => Ok(None),
        Ok(None) => Err(VolumeError::Missing { kind, namespace: ns.into(), name: name.into(), volume: volume.into() }),
        Err(source) => Err(VolumeError::Api { what: format!("{kind} {ns}/{name}"), source }),
    }
}

/// Writes the keys (all, or the volume's `items` at their paths) into `dir`,
/// each through a temporary file and a rename, so that a reader sees the old
/// file or the new one.
fn write_keys(
    dir: &Path,
    volume: &str,
    object: &str,
    files: BTreeMap<String, Vec<u8>>,
    items: Option<&[KeyToPath]>,
    default_mode: Option<i32>,
) -> Result<(), VolumeError> {
    let mode = |m: Option<i32>| m.or(default_mode).and_then(|m| u32::try_from(m).ok()).unwrap_or(DEFAULT_MODE);
    let mut wanted: Vec<(PathBuf, &[u8], u32)> = Vec::new();
    match items {
        Some(items) => {
            for it in items {
                let data =
                    files.get(&it.key).ok_or_else(|| VolumeError::MissingKey { volume: volume.into(), name: object.into(), key: it.key.clone() })?;
                wanted.push((dir.join(relative(volume, &it.path)?), data, mode(it.mode)));
            }
        }
        None => {
            for (k, data) in &files {
                wanted.push((dir.join(relative(volume, k)?), data, mode(None)));
            }
        }
    }
    for (path, data, mode) in wanted {
        if let Some(parent) = path.parent() {
            mkdir(parent)?;
        }
        if std::fs::read(&path).is_ok_and(|old| old == data) {
            continue;
        }
        let tmp = path.with_extension("ironbind-tmp");
        let io = |source| VolumeError::Io { path: path.clone(), source };
        std::fs::write(&tmp, data).map_err(io)?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
    }
    Ok(())
}

fn mkdir(dir: &Path) -> Result<(), VolumeError> {
    std::fs::create_dir_all(dir).map_err(|source| VolumeError::Io { path: dir.into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_files_with_their_modes() {
        let dir = std::env::temp_dir().join(format!("ironbind-node-keys-{}", std::process::id()));
        let files: BTreeMap<String, Vec<u8>> = [("a.conf".to_string(), b"A".to_vec()), ("b".to_string(), b"B".to_vec())].into();
        write_keys(&dir, "v", "cm", files.clone(), None, Some(0o600)).unwrap();
        assert_eq!(std::fs::read(dir.join("a.conf")).unwrap(), b"A");
        assert_eq!(std::fs::metadata(dir.join("b")).unwrap().permissions().mode() & 0o777, 0o600);

        let items = [KeyToPath { key: "b".into(), path: "sub/bee".into(), mode: Some(0o640), ..Default::default() }];
        write_keys(&dir, "v", "cm", files.clone(), Some(&items), None).unwrap();
        assert_eq!(std::fs::read(dir.join("sub/bee")).unwrap(), b"B");
        assert_eq!(std::fs::metadata(dir.join("sub/bee")).unwrap().permissions().mode() & 0o777, 0o640);

        let missing = [KeyToPath { key: "zz".into(), path: "z".into(), mode: None, ..Default::default() }];
        assert!(write_keys(&dir, "v", "cm", files, Some(&missing), None).unwrap_err().to_string().contains("key zz"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
