//! The local cluster itself (`deploy/local/cluster.sh`): the real API server
//! answers, server-side dry runs work, and the controller manager turns a
//! Deployment into a ReplicaSet and Pods and garbage-collects them with it.
//! Skips where no cluster can be built, fails under `CI=true`.

use std::time::Duration;

use ironbind_test_support::{wait_until_every, Cluster};

fn eventually(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    assert!(wait_until_every(timeout, Duration::from_millis(250), ok), "{what}: not within {timeout:?}");
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: probe, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: probe}}
  template:
    metadata: {labels: {app: probe}}
    spec:
      containers: [{name: c, image: none}]
"#;

#[test]
fn the_cluster_runs_the_api_and_the_controllers() {
    let Some(c) = Cluster::start() else { return };
    assert_eq!(c.kubectl_ok(&["get", "--raw", "/readyz"]).trim(), "ok");
    let version = c.kubectl_ok(&["version", "-o", "json"]);
    assert!(version.contains("\"minor\": \"20\""), "the 1.20 API server: {version}");

    // A server-side dry run is checked by the API server and stores nothing.
    let dir = ironbind_test_support::tempdir("kube-probe");
    let file = dir.join("deployment.yaml");
    std::fs::write(&file, DEPLOYMENT).unwrap();
    let f = file.to_str().unwrap();
    c.kubectl_ok(&["apply", "--dry-run=server", "-f", f]);
    assert!(!c.kubectl(&["get", "deployment", "probe"]).status.success(), "a dry run stores nothing");

    // The deployment and replicaset controllers make Pods (no node: they stay Pending).
    c.kubectl_ok(&["apply", "-f", f]);
    eventually("two pods of the deployment", Duration::from_secs(60), || {
        c.kubectl_ok(&["get", "pods", "-l", "app=probe", "-o", "name"]).lines().count() == 2
    });
    // The garbage collector removes them with their owner.
    c.kubectl_ok(&["delete", "deployment", "probe"]);
    eventually("pods gone with their deployment", Duration::from_secs(60), || {
        c.kubectl_ok(&["get", "pods", "-l", "app=probe", "-o", "name"]).trim().is_empty()
    });
    let _ = std::fs::remove_dir_all(dir);
}
