//! The `Bind9Instance` controller in the local cluster, as the real
//! `ironbind-operator` binary: the seed's instance gets its Deployment,
//! Service, ConfigMap and Secret; a deleted child comes back (the token kept);
//! the status says how many replicas are ready and which BIND-only settings
//! are ignored; deleting the instance removes everything it owned.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ironbind_test_support::{workspace_root, Cluster};

/// The operator process, stopped by PID (SIGTERM, then SIGKILL) when dropped;
/// its output is printed when the test failed.
struct Operator(Child, std::path::PathBuf);

impl Drop for Operator {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for f in ["operator.log", "operator.err"] {
                eprintln!("--- {f} ---\n{}", std::fs::read_to_string(self.1.join(f)).unwrap_or_default());
            }
        }
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn eventually(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{what}: not within {timeout:?}");
}

#[test]
fn the_seed_instance_gets_its_children_and_its_status() {
    let Some(c) = Cluster::start() else { return };
    let log = c.run_dir().join("operator.log");
    let op = Operator(
        Command::new(env!("CARGO_BIN_EXE_ironbind-operator"))
            .env("KUBECONFIG", c.kubeconfig())
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(c.run_dir().join("operator.err")).unwrap()))
            .spawn()
            .expect("the operator binary"),
        c.run_dir().to_path_buf(),
    );
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
