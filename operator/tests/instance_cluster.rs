//! The `Bind9Instance` controller in the local cluster, as the real
//! `ironbind-operator` binary: the seed's instance gets its Deployment,
//! Service, ConfigMap and Secret; a deleted child comes back (the token kept);
//! the status says how many replicas are ready and which BIND-only settings
//! are ignored; deleting the instance removes everything it owned.

use std::process::Command;
use std::time::Duration;

use ironbind_test_support::{wait_until_every, workspace_root, Cluster, Proc};

fn eventually(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    assert!(wait_until_every(timeout, Duration::from_millis(250), ok), "{what}: not within {timeout:?}");
}

#[test]
fn the_seed_instance_gets_its_children_and_its_status() {
    let Some(c) = Cluster::start() else { return };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ironbind-operator"));
    cmd.env("KUBECONFIG", c.kubeconfig()).args(["--metrics-addr", "127.0.0.1:0"]);
    // Its log is shown when the test fails; it is stopped by PID when dropped.
    let op = Proc::spawn("operator", cmd);
    c.kubectl_ok(&["create", "namespace", "dns-system"]);
    let seed = workspace_root().join("deploy/examples/seed/06-bind9instance-secondary-dns-labelled.yaml");
    c.kubectl_ok(&["apply", "-f", seed.to_str().unwrap()]);
    let ns = ["-n", "dns-system"];
    let exists = |kind: &str, name: &str| c.kubectl(&[&["get", kind, name][..], &ns[..]].concat()).status.success();
    eventually("the four children", Duration::from_secs(60), || {
        exists("deployment", "secondary-dns")
            && exists("service", "secondary-dns")
            && exists("configmap", "secondary-dns-config")
            && exists("secret", "secondary-dns-control")
    });
    let get = |args: &[&str]| c.kubectl_ok(&[args, &ns[..]].concat());
    assert_eq!(get(&["get", "deployment", "secondary-dns", "-o", "jsonpath={.spec.replicas}"]), "2");
    assert_eq!(get(&["get", "deployment", "secondary-dns", "-o", "jsonpath={.spec.template.metadata.labels.instance}"]), "secondary-dns");
    let config = get(&["get", "configmap", "secondary-dns-config", "-o", "jsonpath={.data.ironbind\\.toml}"]);
    assert!(config.contains("data_dir = \"/var/lib/bind\""), "{config}");
    let token = get(&["get", "secret", "secondary-dns-control", "-o", "jsonpath={.data.token}"]);
    assert!(token.len() > 20, "a token: {token}");
    // The controller manager makes the pods; with no node they are not ready.
    eventually("two pods labelled instance=secondary-dns", Duration::from_secs(60), || {
        get(&["get", "pods", "-l", "instance=secondary-dns", "-o", "name"]).lines().count() == 2
    });
    eventually("the Ready condition", Duration::from_secs(60), || {
        get(&["get", "bind9instance", "secondary-dns", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}"]) == "ReplicasNotReady"
    });
    let message = get(&["get", "bind9instance", "secondary-dns", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}"]);
    assert!(message.starts_with("0/2 replicas ready"), "{message}");
    assert!(message.contains("spec.version"), "the BIND-only version is named as ignored: {message}");
    assert_eq!(get(&["get", "bind9instance", "secondary-dns", "-o", "jsonpath={.status.role}"]), "secondary");

    // An edited child is put back, and the token (made once) is kept by that reconcile.
    c.kubectl_ok(&[&["scale", "deployment", "secondary-dns", "--replicas=5"][..], &ns[..]].concat());
    eventually("the Deployment's replicas put back", Duration::from_secs(30), || {
        get(&["get", "deployment", "secondary-dns", "-o", "jsonpath={.spec.replicas}"]) == "2"
    });
    assert_eq!(get(&["get", "secret", "secondary-dns-control", "-o", "jsonpath={.data.token}"]), token, "the token is kept");

    // Drift repair: deleted children come back.
    c.kubectl_ok(&[&["delete", "configmap", "secondary-dns-config"][..], &ns[..]].concat());
    c.kubectl_ok(&[&["delete", "secret", "secondary-dns-control"][..], &ns[..]].concat());
    eventually("the ConfigMap back", Duration::from_secs(30), || exists("configmap", "secondary-dns-config"));
    eventually("the Secret back", Duration::from_secs(30), || exists("secret", "secondary-dns-control"));

    // recursion: true is refused with a reason.
    c.kubectl_ok(
        &[&["patch", "bind9instance", "secondary-dns", "--type=merge", "-p", r#"{"spec":{"config":{"recursion":true}}}"#][..], &ns[..]].concat(),
    );
    eventually("Ready=False Unsupported", Duration::from_secs(30), || {
        get(&["get", "bind9instance", "secondary-dns", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}"]) == "Unsupported"
    });

    // Deleting the instance removes what it owned (garbage collector).
    c.kubectl_ok(&[&["delete", "bind9instance", "secondary-dns"][..], &ns[..]].concat());
    eventually("the Deployment gone", Duration::from_secs(120), || !exists("deployment", "secondary-dns"));
    drop(op);
}
