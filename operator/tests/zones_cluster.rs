//! Zones and records end to end in the local cluster (node agent, real
//! `ironbind` pods, the real operator under its ServiceAccount): the seed's
//! `secondary-dns` instance and `example-com` zone (`clusterRef: production`)
//! with a primary instance labelled `cluster: production` and records.
//!
//! - The primary pod gets the zone (generated SOA, the records), the
//!   secondary pods are found automatically, transfer it (TSIG-signed) and
//!   log `transfer of`; `status.secondaryIps` lists them; `dig` at every pod
//!   answers the record with the primary's serial; the SPF TXT comes out as
//!   one string; pods pass their readiness gate only once they serve the zone.
//! - A changed record reaches every pod; an invalid record is refused with a
//!   reason and leaves the rest of the zone served; a deleted record's RRset
//!   goes.
//! - A deleted secondary pod comes back with a new IP, `secondaryIps`
//!   follows, and the new pod serves the zone.
//! - Deleting the zone removes it from every server.
//!
//! Skips where no cluster can be built and when not root (fails under `CI=true`).

use std::process::Command;
use std::time::Duration;

use ironbind_test_support::{free_port, pods_can_run, require, wait_until_every, workspace_root, Cluster, Named, Proc, TempDir};

fn eventually(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    assert!(wait_until_every(timeout, Duration::from_millis(300), ok), "{what}: not within {timeout:?}");
}

fn jsonpath(c: &Cluster, args: &[&str], path: &str) -> String {
    let out = c.kubectl(&[args, &["-n", "dns-system", "-o", &format!("jsonpath={path}")]].concat());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn apply(c: &Cluster, dir: &TempDir, name: &str, yaml: &str) {
    let f = dir.path().join(name);
    std::fs::write(&f, yaml).unwrap();
    c.kubectl_ok(&["apply", "-f", f.to_str().unwrap()]);
}

fn pod_ips(c: &Cluster, instance: &str) -> Vec<String> {
    let mut v: Vec<String> = jsonpath(c, &["get", "pods", "-l", &format!("instance={instance}")], "{.items[*].status.podIP}")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// `dig +short` at `ip`:5353.
fn dig(ip: &str, name: &str, qtype: &str) -> String {
    let out = Command::new("dig")
        .args([&format!("@{ip}"), "-p", "5353", "+norec", "+time=1", "+tries=1", "+short", name, qtype])
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn serial(ip: &str) -> Option<u32> {
    dig(ip, "example.com", "SOA").split_whitespace().nth(2)?.parse().ok()
}

/// The node agent (pods on `subnet`) and the operator under its ServiceAccount, both ready.
fn agent_and_operator(c: &Cluster, state: &TempDir, subnet: &str) -> (Proc, Proc) {
    let agent = c.node_agent("node-1", subnet, state.path());
    let mut op = Command::new(env!("CARGO_BIN_EXE_ironbind-operator"));
    op.env("KUBECONFIG", c.operator_kubeconfig()).args(["--metrics-addr", "127.0.0.1:0", "--lease-duration", "4"]);
    let op = Proc::spawn("operator", op);
    op.expect(0, &["became leader"], Duration::from_secs(30));
    (agent, op)
}

const SETUP: &str = r#"
apiVersion: bindy.firestoned.io/v1alpha1
kind: Bind9Instance
metadata:
  name: primary-dns
  namespace: dns-system
  labels: {role: primary, cluster: production}
spec:
  replicas: 1
---
apiVersion: bindy.firestoned.io/v1alpha1
kind: ARecord
metadata: {name: www, namespace: dns-system}
spec: {zoneRef: example-com, name: www, ipv4Address: 192.0.2.10}
---
apiVersion: bindy.firestoned.io/v1alpha1
kind: TXTRecord
metadata: {name: spf, namespace: dns-system}
spec: {zoneRef: example-com, name: "@", text: ["v=spf1 include:_spf.example.com ~all"]}
"#;

#[test]
fn the_seed_zone_reaches_primaries_and_automatic_secondaries() {
    if !pods_can_run() {
        return;
    }
    let Some(c) = Cluster::start() else { return };
    let state = TempDir::new("zones").expect("a state directory");
    let (agent, op) = agent_and_operator(&c, &state, "127.0.63.0/24");
    c.kubectl_ok(&["create", "namespace", "dns-system"]);
    let seed = workspace_root().join("deploy/examples/seed");
    c.kubectl_ok(&["apply", "-f", seed.join("06-bind9instance-secondary-dns-labelled.yaml").to_str().unwrap()]);
    apply(&c, &state, "setup.yaml", SETUP);
    c.kubectl_ok(&["apply", "-f", seed.join("07-dnszone-example-com.yaml").to_str().unwrap()]);

    eventually("example-com Ready", Duration::from_secs(180), || {
        jsonpath(&c, &["get", "dnszone", "example-com"], "{.status.conditions[?(@.type==\"Ready\")].status}") == "True"
    });
    let primary = pod_ips(&c, "primary-dns");
    let secondaries = pod_ips(&c, "secondary-dns");
    assert_eq!((primary.len(), secondaries.len()), (1, 2));
    // The seed's commands.
    let mut listed: Vec<String> =
        serde_json::from_str(&jsonpath(&c, &["get", "dnszone", "example-com"], "{.status.secondaryIps}")).unwrap_or_default();
    listed.sort();
    assert_eq!(listed, secondaries, "status.secondaryIps");
    let want_serial = serial(&primary[0]).expect("the primary serves the zone");
    for ip in primary.iter().chain(&secondaries) {
        eventually(&format!("{ip} serves www with the primary's serial"), Duration::from_secs(60), || {
            dig(ip, "www.example.com", "A") == "192.0.2.10" && serial(ip) == Some(want_serial)
        });
        assert_eq!(dig(ip, "example.com", "TXT"), "\"v=spf1 include:_spf.example.com ~all\"", "the SPF record as written, one string");
    }
    eventually("transfer of in the secondaries' logs", Duration::from_secs(30), || {
        String::from_utf8_lossy(&c.kubectl(&["logs", "-n", "dns-system", "-l", "instance=secondary-dns"]).stdout).contains("transfer of")
    });
    let ls = c.kubectl_ok(&["exec", "-n", "dns-system", "deployment/secondary-dns", "--", "ls", "-la", "/var/lib/bind/zones/"]);
    assert!(ls.contains("example.com"), "the zone file on the secondary: {ls}");
    eventually("both instances Ready (gates open with the zone served)", Duration::from_secs(60), || {
        ["primary-dns", "secondary-dns"]
            .iter()
            .all(|i| jsonpath(&c, &["get", "bind9instance", i], "{.status.conditions[?(@.type==\"Ready\")].status}") == "True")
    });
    assert_eq!(jsonpath(&c, &["get", "arecord", "www"], "{.status.conditions[?(@.type==\"Ready\")].status}"), "True");

    // A change reaches every pod.
    c.kubectl_ok(&["patch", "arecord", "www", "-n", "dns-system", "--type=merge", "-p", r#"{"spec":{"ipv4Address":"192.0.2.20"}}"#]);
    for ip in primary.iter().chain(&secondaries) {
        eventually(&format!("{ip} serves the new address"), Duration::from_secs(30), || dig(ip, "www.example.com", "A") == "192.0.2.20");
    }
    // A record the zone cannot hold (a CNAME beside www's A) is refused with the
    // reason, and the rest of the zone keeps being served.
    apply(&c, &state, "bad.yaml", "apiVersion: bindy.firestoned.io/v1alpha1\nkind: CNAMERecord\nmetadata: {name: www-alias, namespace: dns-system}\nspec: {zoneRef: example-com, name: www, target: web.example.net.}\n");
    eventually("the CNAME refused", Duration::from_secs(30), || {
        jsonpath(&c, &["get", "cnamerecord", "www-alias"], "{.status.conditions[?(@.type==\"Ready\")].status}") == "False"
    });
    let why = jsonpath(&c, &["get", "cnamerecord", "www-alias"], "{.status.conditions[?(@.type==\"Ready\")].message}");
    assert!(why.contains("CNAME") && why.contains("www"), "the reason says what is wrong: {why}");
    assert_eq!(dig(&primary[0], "www.example.com", "A"), "192.0.2.20");
    // A record for a zone that does not exist says so.
    apply(&c, &state, "orphan.yaml", "apiVersion: bindy.firestoned.io/v1alpha1\nkind: ARecord\nmetadata: {name: orphan, namespace: dns-system}\nspec: {zoneRef: example-net, name: www, ipv4Address: 192.0.2.99}\n");
    eventually("the orphan record ZoneNotFound", Duration::from_secs(30), || {
        jsonpath(&c, &["get", "arecord", "orphan"], "{.status.conditions[?(@.type==\"Ready\")].reason}") == "ZoneNotFound"
    });
    assert!(jsonpath(&c, &["get", "arecord", "orphan"], "{.status.conditions[?(@.type==\"Ready\")].message}").contains("example-net"));

    // A deleted record's RRset goes.
    c.kubectl_ok(&["delete", "txtrecord", "spf", "-n", "dns-system"]);
    for ip in primary.iter().chain(&secondaries) {
        eventually(&format!("{ip} drops the TXT"), Duration::from_secs(30), || dig(ip, "example.com", "TXT").is_empty() && serial(ip).is_some());
    }

    // The primary pod replaced (emptyDir: nothing kept): the new pod comes back with
    // the whole zone at the same serial, and is Ready only once it serves it.
    let before = serial(&secondaries[0]).expect("a serial");
    let pod = jsonpath(&c, &["get", "pods", "-l", "instance=primary-dns"], "{.items[0].metadata.name}");
    c.kubectl_ok(&["delete", "pod", &pod, "-n", "dns-system", "--wait=false"]);
    eventually("a new primary pod serving the zone at the same serial", Duration::from_secs(90), || {
        let now = jsonpath(&c, &["get", "pods", "-l", "instance=primary-dns"], "{.items[*].metadata.name}");
        let ips = pod_ips(&c, "primary-dns");
        !now.contains(&pod) && ips.len() == 1 && serial(&ips[0]) == Some(before) && dig(&ips[0], "www.example.com", "A") == "192.0.2.20"
    });
    eventually("primary-dns Ready again", Duration::from_secs(60), || {
        jsonpath(&c, &["get", "bind9instance", "primary-dns"], "{.status.conditions[?(@.type==\"Ready\")].status}") == "True"
    });
    let primary = pod_ips(&c, "primary-dns");
    for ip in &secondaries {
        assert_eq!(serial(ip), Some(before), "{ip} kept its serial");
    }

    // A secondary pod replaced: new IP in secondaryIps, and it serves the zone.
    let gone = secondaries[0].clone();
    let pod = jsonpath(
        &c,
        &["get", "pods", "-l", "instance=secondary-dns", "--field-selector", &format!("status.podIP={gone}")],
        "{.items[0].metadata.name}",
    );
    c.kubectl_ok(&["delete", "pod", &pod, "-n", "dns-system", "--wait=false"]);
    eventually("secondaryIps follows the new pod", Duration::from_secs(90), || {
        let mut l: Vec<String> =
            serde_json::from_str(&jsonpath(&c, &["get", "dnszone", "example-com"], "{.status.secondaryIps}")).unwrap_or_default();
        l.sort();
        l.len() == 2 && !l.contains(&gone) && l == pod_ips(&c, "secondary-dns")
    });
    for ip in pod_ips(&c, "secondary-dns") {
        eventually(&format!("{ip} serves the zone"), Duration::from_secs(60), || dig(&ip, "www.example.com", "A") == "192.0.2.20");
    }

    // Deleting the zone removes it from every server.
    c.kubectl_ok(&["delete", "dnszone", "example-com", "-n", "dns-system", "--timeout=60s"]);
    for ip in primary.iter().chain(&pod_ips(&c, "secondary-dns")) {
        eventually(&format!("{ip} no longer serves example.com"), Duration::from_secs(30), || serial(ip).is_none());
    }
    drop(op);
    drop(agent);
}

/// The seed's secondary-type zone: instances selected by `dns-role: secondary`
/// transfer the zone from `secondaryConfig.primaryServers`, here a real BIND9.
#[test]
fn a_secondary_zone_transfers_from_a_bind9_primary() {
    if !pods_can_run() {
        return;
    }
    require(&["named"]);
    let Some(c) = Cluster::start() else { return };
    let port = free_port();
    let zone = "$TTL 300\n@ SOA ns1.example.org. hostmaster.example.org. 7 3600 600 604800 300\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.77\n";
    let named = Named::start(
        port,
        "allow-transfer { any; };",
        "zone \"example.org\" { type primary; file \"example.org.zone\"; };",
        &[("example.org.zone", zone)],
    );
    let state = TempDir::new("zones-bind").expect("a state directory");
    let (_agent, _op) = agent_and_operator(&c, &state, "127.0.64.0/24");
    c.kubectl_ok(&["create", "namespace", "dns-system"]);
    let yaml = format!(
        "apiVersion: bindy.firestoned.io/v1alpha1\nkind: Bind9Instance\nmetadata: {{name: edge-dns, namespace: dns-system, labels: {{dns-role: secondary}}}}\nspec: {{replicas: 1}}\n---\n\
         apiVersion: bindy.firestoned.io/v1alpha1\nkind: DNSZone\nmetadata: {{name: example-org-secondary, namespace: dns-system}}\n\
         spec: {{zoneName: example.org, type: secondary, instanceSelector: {{matchLabels: {{dns-role: secondary}}}}, secondaryConfig: {{primaryServers: [\"{}\"]}}}}\n",
        named.addr
    );
    apply(&c, &state, "secondary.yaml", &yaml);
    eventually("the secondary zone Ready", Duration::from_secs(120), || {
        jsonpath(&c, &["get", "dnszone", "example-org-secondary"], "{.status.conditions[?(@.type==\"Ready\")].status}") == "True"
    });
    let ips = pod_ips(&c, "edge-dns");
    assert_eq!(ips.len(), 1);
    let answer = Command::new("dig").args([&format!("@{}", ips[0]), "-p", "5353", "+short", "www.example.org", "A"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&answer.stdout).trim(), "192.0.2.77", "transferred from BIND9");
    let soa = Command::new("dig").args([&format!("@{}", ips[0]), "-p", "5353", "+short", "example.org", "SOA"]).output().unwrap();
    assert!(String::from_utf8_lossy(&soa.stdout).contains(" 7 "), "BIND's serial");
    let logs = c.kubectl_ok(&["logs", "-n", "dns-system", "-l", "instance=edge-dns"]);
    assert!(logs.contains("transfer of") && logs.contains(&named.addr.port().to_string()), "the transfer from BIND9 in the pod's log: {logs}");
    let listed: Vec<String> =
        serde_json::from_str(&jsonpath(&c, &["get", "dnszone", "example-org-secondary"], "{.status.secondaryIps}")).unwrap_or_default();
    assert_eq!(listed, ips);
}
