//! The operator with pods that really run: the local cluster, the node agent
//! (pods as real `ironbind` processes on 127.0.x.y) and the real
//! `ironbind-operator` binary.
//!
//! - The seed's `secondary-dns` instance: both pods run, pass their
//!   readiness gate (opened by the operator after asking each pod's control
//!   API), the instance becomes Ready, every pod answers `dig`,
//!   `kubectl logs -l instance=secondary-dns` and
//!   `kubectl exec deployment/secondary-dns -- ls -la /var/lib/bind/` work as
//!   the seed runs them; scaling up and down follows; a killed server
//!   process is restarted and serves again; deleting the instance stops its
//!   servers.
//! - A `Bind9Cluster` of 1 primary and 2 secondaries yields three Ready
//!   instances; scaling down removes the highest index; the operator killed
//!   mid-change and started again converges with nothing lost or doubled;
//!   deleting the cluster removes its instances.
//!
//! Skips where no cluster can be built and when not root (fails under
//! `CI=true`). Every process started is stopped by PID.

use std::process::Command;
use std::time::Duration;

use ironbind_test_support::{pods_can_run, wait_until_every, workspace_root, Cluster, Proc, TempDir};

fn eventually(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    assert!(wait_until_every(timeout, Duration::from_millis(300), ok), "{what}: not within {timeout:?}");
}

fn operator(c: &Cluster) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ironbind-operator"));
    // Under its own ServiceAccount: the least-privilege RBAC of deploy/rbac is what it gets.
    cmd.env("KUBECONFIG", c.operator_kubeconfig()).args(["--metrics-addr", "127.0.0.1:0", "--lease-duration", "4", "--log-format", "json"]);
    let p = Proc::spawn("operator", cmd);
    p.expect(0, &["became leader"], Duration::from_secs(30));
    p
}

/// The operator's /metrics (its address from its log line `serving /metrics and /healthz`).
fn scrape(op: &Proc) -> String {
    use std::io::{Read, Write};
    let line = op.expect(0, &["serving /metrics and /healthz"], Duration::from_secs(10));
    let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    let addr = v["fields"]["addr"].as_str().expect("addr in the log line").to_string();
    let mut s = std::net::TcpStream::connect(&addr).expect("connect to /metrics");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The sum of a metric's samples (all label sets) whose line starts with `prefix`.
fn total(metrics: &str, prefix: &str) -> f64 {
    metrics.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

fn jsonpath(c: &Cluster, args: &[&str], path: &str) -> String {
    let out = c.kubectl(&[args, &["-o", &format!("jsonpath={path}")]].concat());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn ns_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [args, &["-n", "dns-system"][..]].concat()
}

/// `dig` at `ip`:5353 gets a DNS reply (any status: no zone is assigned yet, so REFUSED is the right answer).
fn answers(ip: &str) -> bool {
    let out =
        Command::new("dig").args([&format!("@{ip}"), "-p", "5353", "+norec", "+time=1", "+tries=1", "example.com", "SOA"]).output().expect("run dig");
    String::from_utf8_lossy(&out.stdout).contains("->>HEADER<<-")
}

fn pod_ips(c: &Cluster, selector: &str) -> Vec<String> {
    jsonpath(c, &ns_args(&["get", "pods", "-l", selector]), "{.items[*].status.podIP}").split_whitespace().map(str::to_string).collect()
}

fn ready_reason(c: &Cluster, kind: &str, name: &str) -> String {
    jsonpath(c, &ns_args(&["get", kind, name]), "{.status.conditions[?(@.type==\"Ready\")].reason}")
}

#[test]
fn the_seed_instance_runs_serves_scales_and_heals() {
    if !pods_can_run() {
        return;
    }
    let Some(c) = Cluster::start() else { return };
    let state = TempDir::new("pods-seed").expect("a state directory");
    let _agent = c.node_agent("node-1", "127.0.61.0/24", state.path());
    let op = operator(&c);
    c.kubectl_ok(&["create", "namespace", "dns-system"]);
    let seed = workspace_root().join("deploy/examples/seed/06-bind9instance-secondary-dns-labelled.yaml");
    c.kubectl_ok(&["apply", "-f", seed.to_str().unwrap()]);

    // Both pods run, their gate opens, the instance is Ready.
    eventually("secondary-dns Ready", Duration::from_secs(120), || ready_reason(&c, "bind9instance", "secondary-dns") == "AllReplicasReady");
    let gates = jsonpath(
        &c,
        &ns_args(&["get", "pods", "-l", "instance=secondary-dns"]),
        "{.items[*].status.conditions[?(@.type==\"bindy.firestoned.io/zones-loaded\")].status}",
    );
    assert_eq!(gates, "True True", "the operator opened both pods' readiness gates");
    let ips = pod_ips(&c, "instance=secondary-dns");
    assert_eq!(ips.len(), 2, "{ips:?}");
    for ip in &ips {
        assert!(ip.starts_with("127.0.61."), "{ip}");
        assert!(answers(ip), "the pod at {ip} answers dig");
    }
    let mut status_ips: Vec<String> =
        jsonpath(&c, &ns_args(&["get", "bind9instance", "secondary-dns"]), "{.status.podIps[*]}").split_whitespace().map(str::to_string).collect();
    status_ips.sort();
    let mut sorted = ips.clone();
    sorted.sort();
    assert_eq!(status_ips, sorted, "status.podIps lists the pods");

    // Nothing changed, nothing written: reconciles (woken by annotating the
    // instance, which changes no field the operator reads) make no API write.
    let before = scrape(&op);
    let writes = total(&before, "ironbind_operator_api_writes_total{");
    let reconciles = total(&before, "ironbind_operator_reconciles_total{kind=\"Bind9Instance\"");
    assert!(writes > 0.0 && reconciles > 0.0, "{before}");
    for i in 0..3 {
        c.kubectl_ok(&ns_args(&["annotate", "bind9instance", "secondary-dns", &format!("example.com/poke={i}"), "--overwrite"]));
        std::thread::sleep(Duration::from_millis(700));
    }
    eventually("three more reconciles", Duration::from_secs(30), || {
        total(&scrape(&op), "ironbind_operator_reconciles_total{kind=\"Bind9Instance\"") >= reconciles + 3.0
    });
    std::thread::sleep(Duration::from_secs(3));
    let after = scrape(&op);
    assert_eq!(total(&after, "ironbind_operator_api_writes_total{"), writes, "no API write while nothing changed:\n{before}\n{after}");

    // The seed's own commands.
    let logs = c.kubectl_ok(&ns_args(&["logs", "-l", "instance=secondary-dns"]));
    assert!(logs.contains("listening"), "the pods' logs: {logs}");
    let ls = c.kubectl_ok(&["exec", "-n", "dns-system", "deployment/secondary-dns", "--", "ls", "-la", "/var/lib/bind/"]);
    assert!(ls.starts_with("total"), "ls -la of the data directory: {ls}");

    // Scale up, then down.
    c.kubectl_ok(&ns_args(&["patch", "bind9instance", "secondary-dns", "--type=merge", "-p", r#"{"spec":{"replicas":3}}"#]));
    eventually("three ready pods", Duration::from_secs(120), || {
        jsonpath(&c, &ns_args(&["get", "bind9instance", "secondary-dns"]), "{.status.readyReplicas}") == "3"
            && ready_reason(&c, "bind9instance", "secondary-dns") == "AllReplicasReady"
    });
    assert_eq!(pod_ips(&c, "instance=secondary-dns").len(), 3);
    c.kubectl_ok(&ns_args(&["patch", "bind9instance", "secondary-dns", "--type=merge", "-p", r#"{"spec":{"replicas":1}}"#]));
    eventually("one pod left", Duration::from_secs(120), || {
        pod_ips(&c, "instance=secondary-dns").len() == 1
            && jsonpath(&c, &ns_args(&["get", "bind9instance", "secondary-dns"]), "{.status.podIps[*]}").split_whitespace().count() == 1
    });

    // A killed server is restarted and serves again.
    let ip = pod_ips(&c, "instance=secondary-dns").remove(0);
    let pid = pid_listening_on(&format!("{ip}:5353")).expect("the pod's ironbind process");
    // SAFETY: kill(2) on a PID we just found running the pod's server.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    eventually("restartCount 1", Duration::from_secs(60), || {
        jsonpath(&c, &ns_args(&["get", "pods", "-l", "instance=secondary-dns"]), "{.items[0].status.containerStatuses[0].restartCount}") == "1"
    });
    eventually("the restarted server answers", Duration::from_secs(60), || answers(&ip));
    eventually("Ready again", Duration::from_secs(60), || ready_reason(&c, "bind9instance", "secondary-dns") == "AllReplicasReady");

    // A deleted child comes back.
    c.kubectl_ok(&ns_args(&["delete", "service", "secondary-dns"]));
    eventually("the Service back", Duration::from_secs(30), || c.kubectl(&ns_args(&["get", "service", "secondary-dns"])).status.success());

    // Deleting the instance stops its servers (the finalizer waits for the Deployment).
    c.kubectl_ok(&ns_args(&["delete", "bind9instance", "secondary-dns", "--timeout=90s"]));
    assert!(!c.kubectl(&ns_args(&["get", "deployment", "secondary-dns"])).status.success(), "the Deployment went before the instance");
    eventually("the server stopped", Duration::from_secs(60), || !answers(&ip));
    let events = c.kubectl_ok(&ns_args(&["get", "events", "--field-selector", "involvedObject.name=secondary-dns"]));
    for reason in ["Created", "ZonesLoaded", "Ready", "Deleting"] {
        assert!(events.contains(reason), "an event {reason}: {events}");
    }
}

/// The PID of the process listening on UDP `addr` (from /proc/net/udp and the fds of /proc/*).
fn pid_listening_on(addr: &str) -> Option<i32> {
    let (ip, port) = addr.rsplit_once(':')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let port: u16 = port.parse().ok()?;
    let want = format!("{:08X}:{:04X}", u32::from_le_bytes(ip.octets()), port);
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let inode = table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(1) == Some(&want.as_str())).then(|| f.get(9).map(|s| s.to_string())).flatten()
    })?;
    let socket = format!("socket:[{inode}]");
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == socket) {
                return Some(pid);
            }
        }
    }
    None
}

const CLUSTER: &str = r#"
apiVersion: bindy.firestoned.io/v1alpha1
kind: Bind9Cluster
metadata: {name: production, namespace: dns-system}
spec:
  version: "9.18"
  primary: {replicas: 1}
  secondary: {replicas: 2}
  global:
    allowQuery: ["0.0.0.0/0"]
"#;

#[test]
fn a_cluster_of_one_primary_and_two_secondaries() {
    if !pods_can_run() {
        return;
    }
    let Some(c) = Cluster::start() else { return };
    let state = TempDir::new("pods-cluster").expect("a state directory");
    let _agent = c.node_agent("node-1", "127.0.62.0/24", state.path());
    let mut op = operator(&c);
    c.kubectl_ok(&["create", "namespace", "dns-system"]);
    let file = state.path().join("cluster.yaml");
    std::fs::write(&file, CLUSTER).unwrap();
    c.kubectl_ok(&["apply", "-f", file.to_str().unwrap()]);

    let names = |c: &Cluster| {
        let mut n: Vec<String> =
            jsonpath(c, &ns_args(&["get", "bind9instances"]), "{.items[*].metadata.name}").split_whitespace().map(str::to_string).collect();
        n.sort();
        n
    };
    eventually("the cluster Ready with 3 instances", Duration::from_secs(180), || {
        ready_reason(&c, "bind9cluster", "production") == "AllReady"
            && jsonpath(&c, &ns_args(&["get", "bind9cluster", "production"]), "{.status.readyInstances}") == "3"
    });
    assert_eq!(names(&c), ["production-primary-0", "production-secondary-0", "production-secondary-1"]);
    for n in names(&c) {
        assert_eq!(ready_reason(&c, "bind9instance", &n), "AllReplicasReady", "{n}");
        let role = if n.contains("primary") { "primary" } else { "secondary" };
        assert_eq!(jsonpath(&c, &ns_args(&["get", "bind9instance", &n]), "{.status.role}"), role, "{n}");
        assert_eq!(jsonpath(&c, &ns_args(&["get", "bind9instance", &n]), "{.metadata.labels.cluster}"), "production", "{n}");
    }
    for ip in pod_ips(&c, "bindy.firestoned.io/role=secondary") {
        assert!(answers(&ip), "{ip}");
    }
    assert_eq!(pod_ips(&c, "bindy.firestoned.io/cluster=production").len(), 3);

    // Scale down: the highest index goes.
    c.kubectl_ok(&ns_args(&["patch", "bind9cluster", "production", "--type=merge", "-p", r#"{"spec":{"secondary":{"replicas":1}}}"#]));
    eventually("production-secondary-1 gone", Duration::from_secs(60), || names(&c) == ["production-primary-0", "production-secondary-0"]);

    // The operator killed mid-change: a new one converges, nothing lost or doubled.
    c.kubectl_ok(&ns_args(&["patch", "bind9cluster", "production", "--type=merge", "-p", r#"{"spec":{"secondary":{"replicas":3}}}"#]));
    op.kill9();
    c.kubectl_ok(&ns_args(&["delete", "deployment", "production-primary-0", "--wait=false"]));
    let _op2 = operator(&c);
    eventually("four Ready instances after the restart", Duration::from_secs(180), || {
        names(&c) == ["production-primary-0", "production-secondary-0", "production-secondary-1", "production-secondary-2"]
            && ready_reason(&c, "bind9cluster", "production") == "AllReady"
            && jsonpath(&c, &ns_args(&["get", "bind9cluster", "production"]), "{.status.readyInstances}") == "4"
    });
    let deployments = jsonpath(&c, &ns_args(&["get", "deployments"]), "{.items[*].metadata.name}");
    assert_eq!(deployments.split_whitespace().count(), 4, "one Deployment per instance: {deployments}");
    eventually("one pod per instance", Duration::from_secs(60), || pod_ips(&c, "bindy.firestoned.io/cluster=production").len() == 4);

    // Deleting the cluster deletes its instances first.
    c.kubectl_ok(&ns_args(&["delete", "bind9cluster", "production", "--timeout=120s"]));
    assert!(names(&c).is_empty(), "instances left: {:?}", names(&c));
    eventually("no Deployment left", Duration::from_secs(60), || {
        jsonpath(&c, &ns_args(&["get", "deployments"]), "{.items[*].metadata.name}").is_empty()
    });
}
