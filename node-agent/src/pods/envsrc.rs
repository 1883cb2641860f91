//! The ConfigMaps and Secrets a pod's environment refers to
//! (`env[].valueFrom.configMapKeyRef` / `secretKeyRef`, `envFrom`), read
//! once before its containers start.
//!
//! Owns: finding the references and reading them. Must not: decide what a
//! missing one means (launch does: an error unless the reference is optional).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret};
use kube::{Api, Client};

/// The objects read, by name: their keys and values (Secrets decoded).
#[derive(Debug, Clone, Default)]
pub struct EnvObjects {
    /// ConfigMaps (data and binaryData as lossy UTF-8).
    pub config_maps: HashMap<String, BTreeMap<String, String>>,
    /// Secrets.
    pub secrets: HashMap<String, BTreeMap<String, String>>,
}

/// The ConfigMap and Secret names the containers' environments refer to.
pub fn references(containers: &[Container]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut cms, mut secrets) = (BTreeSet::new(), BTreeSet::new());
    for c in containers {
        for e in c.env.iter().flatten().filter_map(|e| e.value_from.as_ref()) {
            if let Some(r) = &e.config_map_key_ref {
                cms.insert(r.name.clone());
            }
            if let Some(r) = &e.secret_key_ref {
                secrets.insert(r.name.clone());
            }
        }
        for f in c.env_from.iter().flatten() {
            if let Some(r) = &f.config_map_ref {
                cms.insert(r.name.clone());
            }
            if let Some(r) = &f.secret_ref {
                secrets.insert(r.name.clone());
            }
        }
    }
    (cms, secrets)
}

/// Reads every object the pod's containers refer to; one that is missing
/// or unreadable is left out (launch says so, unless it is optional).
pub async fn fetch(client: &Client, ns: &str, pod: &Pod) -> EnvObjects {
    let spec = pod.spec.as_ref();
    let all: Vec<Container> = spec.map(|s| s.init_containers.iter().flatten().chain(&s.containers).cloned().collect()).unwrap_or_default();
    let (cms, secrets) = references(&all);
    let mut out = EnvObjects::default();
    let cm_api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for name in cms {
        match cm_api.get_opt(&name).await {
            Ok(Some(cm)) => {
                let mut kv: BTreeMap<String, String> = cm.data.unwrap_or_default();
                for (k, b) in cm.binary_data.unwrap_or_default() {
                    kv.insert(k, String::from_utf8_lossy(&b.0).into_owned());
                }
                out.config_maps.insert(name, kv);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(configmap = %name, error = %e, "cannot read"),
        }
    }
    let secret_api: Api<Secret> = Api::namespaced(client.clone(), ns);
    for name in secrets {
        match secret_api.get_opt(&name).await {
            Ok(Some(s)) => {
                let kv = s.data.unwrap_or_default().into_iter().map(|(k, b)| (k, String::from_utf8_lossy(&b.0).into_owned())).collect();
                out.secrets.insert(name, kv);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(secret = %name, error = %e, "cannot read"),
        }
    }
    out
}
