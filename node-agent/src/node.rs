//! This node in the API: the Node object (addresses `InternalIP 127.0.0.1`
//! only, the kubelet endpoint's port, capacity, Ready), its status renewed
//! every heartbeat, and its Lease in `kube-node-lease`.
//!
//! Owns: the Node and Lease objects of this agent. Must not: touch other
//! nodes or any pod.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// The field manager of this agent's writes.
pub const MANAGER: &str = "ironbind-node-agent";
/// Pods this node takes (one loopback address each).
const MAX_PODS: u32 = 253;

/// Why the Node could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The API refused or failed.
    #[error("{what}: {source}")]
    Api {
        /// What was being done.
        what: &'static str,
        /// The client's error.
        source: kube::Error,
    },
}

/// What the Node says about this machine.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// The node's name.
    pub name: String,
    /// The kubelet endpoint's port.
    pub port: u16,
    /// CPUs.
    pub cpus: usize,
    /// Memory in bytes.
    pub memory: u64,
}

impl NodeInfo {
    /// This machine's CPUs and memory.
    pub fn local(name: &str, port: u16) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| m.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
            .map_or(1 << 30, |kib| kib * 1024);
        NodeInfo { name: name.into(), port, cpus, memory }
    }
}

fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The Node object to create.
pub fn node_object(info: &NodeInfo) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": info.name,
            "labels": {
                "kubernetes.io/hostname": info.name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": std::env::consts::ARCH,
                "node.ironbind.dev/agent": "true",
            },
        },
        "spec": {},
    })
}

/// The Node's status: `ready` and the heartbeat at `now`; the conditions'
/// transition time too when `transition` (registration, shutdown), else
/// left as it is (a strategic merge keeps it).
pub fn node_status(info: &NodeInfo, ready: bool, now: &str, transition: bool) -> Value {
    let resources = json!({
        "cpu": info.cpus.to_string(),
        "memory": format!("{}Ki", info.memory / 1024),
        "pods": MAX_PODS.to_string(),
        "ephemeral-storage": "10Gi",
    });
    let cond = |kind: &str, status: &str, reason: &str, message: &str| {
        let mut c = json!({"type": kind, "status": status, "reason": reason, "message": message, "lastHeartbeatTime": now});
        if transition {
            c["lastTransitionTime"] = json!(now);
        }
        c
    };
    let (rs, rr, rm) = if ready {
        ("True", "KubeletReady", "ironbind-node-agent is posting ready status")
    } else {
        ("False", "KubeletNotReady", "ironbind-node-agent stopped")
    };
    json!({
        "status": {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": info.port}},
            "capacity": resources,
            "allocatable": resources,
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "no memory pressure"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "no PID pressure"),
                cond("Ready", rs, rr, rm),
            ],
            "nodeInfo": {
                "machineID": "", "systemUUID": "", "bootID": "",
                "kernelVersion": "", "osImage": "ironbind local node",
                "containerRuntimeVersion": "ironbind-node://0.1.0",
                "kubeletVersion": "v1.20.2-ironbind", "kubeProxyVersion": "v0.0.0",
                "operatingSystem": "linux", "architecture": std::env::consts::ARCH,
            },
        }
    })
}

/// Creates the Node (or takes over an existing one) and sends its status.
#[tracing::instrument(skip_all, fields(node = %info.name))]
pub async fn register(client: &Client, info: &NodeInfo) -> Result<(), NodeError> {
    let api: Api<Node> = Api::all(client.clone());
    let node: Node = serde_json::from_value(node_object(info)).expect("a valid Node");
    match api.create(&PostParams::default(), &node).await {
        Ok(_) => tracing::info!("node registered"),
        Err(kube::Error::Api(s)) if s.code == 409 => tracing::info!("node exists; taking it over"),
        Err(source) => return Err(NodeError::Api { what: "creating the Node", source }),
    }
    heartbeat(client, info, true).await
}

/// Sends the Node's status (Ready; a new transition when `first`) and renews the Lease.
pub async fn heartbeat(client: &Client, info: &NodeInfo, first: bool) -> Result<(), NodeError> {
    let api: Api<Node> = Api::all(client.clone());
    let status = node_status(info, true, &now(), first);
    api.patch_status(&info.name, &PatchParams::default(), &Patch::Strategic(&status))
        .await
        .map_err(|source| NodeError::Api { what: "updating the Node's status", source })?;
    renew_lease(client, &info.name).await
}

async fn renew_lease(client: &Client, node: &str) -> Result<(), NodeError> {
    let api: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    let micro = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let body = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": node, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": micro},
    });
    let pp = PatchParams::apply(MANAGER).force();
    api.patch(node, &pp, &Patch::Apply(&body)).await.map(drop).map_err(|source| NodeError::Api { what: "renewing the Lease", source })
}

/// Renews the Node's status and Lease every `every` until `shutdown`, then
/// says NotReady once.
pub async fn keep_alive(client: Client, info: NodeInfo, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {
                if let Err(e) = heartbeat(&client, &info, false).await {
                    tracing::warn!(error = %e, "heartbeat");
                }
            }
        }
    }
    let api: Api<Node> = Api::all(client.clone());
    let status = node_status(&info, false, &now(), true);
    if let Err(e) = api.patch_status(&info.name, &PatchParams::default(), &Patch::Strategic(&status)).await {
        tracing::warn!(error = %e, "cannot mark the node NotReady");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_has_only_the_internal_ip_and_the_port() {
        let info = NodeInfo { name: "n".into(), port: 12345, cpus: 2, memory: 4 << 30 };
        let s = node_status(&info, true, "t", false);
        assert_eq!(s["status"]["addresses"], json!([{"type": "InternalIP", "address": "127.0.0.1"}]));
        assert_eq!(s["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"], 12345);
        assert_eq!(s["status"]["capacity"]["memory"], "4194304Ki");
        assert_eq!(s["status"]["allocatable"]["pods"], "253");
        let ready = s["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone();
        assert_eq!((ready["status"].as_str(), ready["lastHeartbeatTime"].as_str()), (Some("True"), Some("t")));
        assert!(ready.get("lastTransitionTime").is_none(), "a heartbeat keeps the transition time");
        assert_eq!(node_status(&info, false, "t2", true)["status"]["conditions"][3]["lastTransitionTime"], "t2");
        let n: Node = serde_json::from_value(node_object(&info)).unwrap();
        assert_eq!(n.metadata.name.as_deref(), Some("n"));
    }
}
