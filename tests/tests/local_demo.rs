//! The README's "Local cluster" walk-through, run as written: `deploy/local/
//! cluster.sh up` with its defaults (node agent and operator on, the operator
//! as its ServiceAccount under deploy/rbac), `kubectl apply -f
//! deploy/examples/complete/`, the instances' pods Running on their own
//! 127.0.77.x, each answering `dig` for the example zone's record, `kubectl logs -l instance=…` through the
//! API server, then `cluster.sh down` leaving no process of the run behind.
//!
//! The binaries are the workspace's (`$OPERATOR_BIN`, `$NODE_AGENT_BIN`,
//! `$IRONBIND_BIN`, else built into target/debug). Pods run with an IP,
//! answer, pass the zones-loaded readiness gate, and the instances become Ready.
//! Skips where no cluster can be built and when not root (the node agent's
//! mount namespaces need it); fails instead under `CI=true`.

use std::process::Command;
use std::time::{Duration, Instant};

use ironbind_test_support::{binary, pods_can_run, wait_until_every, workspace_bin, workspace_root, Cluster};

/// The pods' addresses: a /24 no other cluster test uses.
const POD_SUBNET: &str = "127.0.77.0/24";
const POD_PREFIX: &str = "127.0.77.";

fn eventually<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `(name, IP)` of the Running pods of `instance` that have an IP.
fn running_pods(c: &Cluster, instance: &str) -> Vec<(String, String)> {
    let out = c.kubectl(&[
        "get",
        "pods",
        "-n",
        "dns-system",
        "-l",
        &format!("instance={instance}"),
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.podIP}{\"\\n\"}{end}",
    ]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [name, "Running", ip] => Some((name.to_string(), ip.to_string())),
            _ => None,
        })
        .collect()
}

/// `dig +short` of `name`/`qtype` at `ip:5353`, when it answers.
fn dig_short(ip: &str, name: &str, qtype: &str) -> Option<String> {
    let out = Command::new("dig").args(["+norec", "+time=1", "+tries=1", "+short", &format!("@{ip}"), "-p", "5353", name, qtype]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// PIDs of processes whose command line or environment mentions any of `needles`.
fn processes_mentioning(needles: &[&str]) -> Vec<(u32, String)> {
    let me = std::process::id();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let read = |f: &str| std::fs::read(e.path().join(f)).map(|b| String::from_utf8_lossy(&b).replace('\0', " ")).unwrap_or_default();
        let (cmdline, environ) = (read("cmdline"), read("environ"));
        if needles.iter().any(|n| cmdline.contains(n) || environ.contains(n)) {
            found.push((pid, cmdline));
        }
    }
    found
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
}

#[test]
fn the_readme_walk_through_serves_dns_from_pods() {
    if !pods_can_run() {
        return;
    }
    let Some(c) = Cluster::builder()
        .node_agent(&workspace_bin("ironbind-node-agent"), binary(), POD_SUBNET)
        .operator(&workspace_bin("ironbind-operator"))
        .start()
    else {
        return;
    };
    let started: Vec<String> = c.pids().into_iter().map(|(n, _)| n).collect();
    assert_eq!(started, ["apiserver", "etcd", "kcm", "node-agent", "operator"], "what cluster.sh up started");
    let run = c.run_dir().to_path_buf();

    // The operator runs as its ServiceAccount: its kubeconfig is not the admin's.
    let op_kc = std::fs::read_to_string(c.operator_kubeconfig()).unwrap();
    assert!(op_kc.contains("name: ironbind-operator"), "{op_kc}");

    let example = workspace_root().join("deploy/examples/complete");
    c.kubectl_ok(&["apply", "-f", &format!("{}/", example.display())]);

    // The operator makes each instance's Deployment, the node agent runs its pods.
    let mut ips = Vec::new();
    for (instance, replicas) in [("primary-dns", 1), ("secondary-dns", 2)] {
        let pods = eventually(&format!("{replicas} Running pods of {instance} with an IP"), Duration::from_secs(180), || {
            Some(running_pods(&c, instance)).filter(|p| p.len() == replicas)
        });
        for (name, ip) in pods {
            assert!(ip.starts_with(POD_PREFIX), "{name}: pod IP {ip} from POD_SUBNET {POD_SUBNET}");
            ips.push((name, ip));
        }
    }

    // Every pod answers the zone's record: the primary from the data the operator
    // pushed, the secondaries from their transfer.
    for (name, ip) in &ips {
        eventually(&format!("www.example.com from {name} at {ip}:5353"), Duration::from_secs(90), || {
            dig_short(ip, "www.example.com", "A").filter(|a| a == "192.0.2.10")
        });
    }

    // The operator asked each pod's control API what it serves, opened the
    // pods' readiness gates, and the instances report Ready.
    for instance in ["primary-dns", "secondary-dns"] {
        eventually(&format!("{instance} Ready"), Duration::from_secs(120), || {
            let out = c.kubectl(&[
                "get",
                "bind9instance",
                instance,
                "-n",
                "dns-system",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
            ]);
            (String::from_utf8_lossy(&out.stdout) == "True").then_some(())
        });
    }

    // The server's log through the API server and the node agent.
    let logs = c.kubectl_ok(&["logs", "-n", "dns-system", "-l", "instance=primary-dns"]);
    assert!(logs.contains("listening") && logs.contains(POD_PREFIX), "the primary's log: {logs}");

    // down stops everything the run started: the cluster's processes and the pods' servers.
    let pids = c.pids();
    c.down();
    assert!(c.pids().is_empty(), "down removes the PID files");
    for (name, pid) in &pids {
        assert!(eventually(&format!("{name} (pid {pid}) gone"), Duration::from_secs(15), || (!alive(*pid)).then_some(true)), "{name} still running");
    }
    let needles = [run.to_str().unwrap(), POD_PREFIX];
    wait_until_every(Duration::from_secs(15), Duration::from_millis(250), || processes_mentioning(&needles).is_empty());
    let left = processes_mentioning(&needles);
    assert!(left.is_empty(), "processes of the run still there after down: {left:?}");
}
