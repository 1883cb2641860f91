//! Leader election and the operator's HTTP endpoint, with the real
//! `ironbind-operator` binary: of two replicas exactly one leads (the Lease
//! names it, `/metrics` says so) and only it reconciles; SIGTERM hands the
//! Lease over at once (released), SIGKILL after it expires; a leader that
//! cannot reach the API server stops itself; `/healthz`, `/readyz`, 404, 405
//! and hostile requests (oversized head, slow client, too many connections)
//! are answered without stopping the server.
//!
//! Leases last 3 s here (renewed every second, standbys retry every second).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use ironbind_test_support::{free_port, wait_until_every, workspace_root, Cluster, Proc, TempDir};

const LEASE_NS: &str = "ironbind-system";
const LEASE: &str = "ironbind-operator";
const DURATION: Duration = Duration::from_secs(3);
/// SIGTERM (Linux), for [`Proc::signal`].
const SIGTERM: i32 = 15;

/// One replica: its process, identity and HTTP port.
struct Replica {
    proc: Proc,
    id: String,
    port: u16,
}

/// Starts a replica named `id` against `kubeconfig`, leases of 3 s, JSON logs.
fn replica(kubeconfig: &std::path::Path, id: &str, extra: &[&str]) -> Replica {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ironbind-operator"));
    cmd.env("KUBECONFIG", kubeconfig)
        .env_remove("POD_NAME")
        .env_remove("POD_NAMESPACE")
        .args(["--log-format", "json", "--identity", id, "--lease-namespace", LEASE_NS, "--lease-duration", "3"])
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .args(extra);
    let proc = Proc::spawn(id, cmd);
    proc.expect(0, &["serving /metrics and /healthz", &format!("127.0.0.1:{port}")], Duration::from_secs(30));
    Replica { proc, id: id.into(), port }
}

/// Sends `raw` and reads the answer to its end: (status, whole response), or
/// `None` when the connection fails or closes without a status line.
fn exchange(port: u16, raw: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(raw).ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some((status, text))
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    exchange(port, format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
}

fn status(port: u16, path: &str) -> u16 {
    get(port, path).map_or(0, |(s, _)| s)
}

/// The value of the sample `series` (name and labels exactly) on `/metrics`.
fn metric(port: u16, series: &str) -> Option<f64> {
    let (code, text) = get(port, "/metrics")?;
    assert_eq!(code, 200, "{text}");
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn leads(r: &Replica) -> Option<bool> {
    metric(r.port, "ironbind_operator_leader").map(|v| v == 1.0)
}

fn lease_field(c: &Cluster, field: &str) -> String {
    c.kubectl_ok(&["-n", LEASE_NS, "get", "lease", LEASE, "-o", &format!("jsonpath={{.spec.{field}}}")])
}

fn transitions(c: &Cluster) -> i64 {
    lease_field(c, "leaseTransitions").parse().unwrap_or(0)
}

fn eventually(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    assert!(wait_until_every(timeout, Duration::from_millis(100), ok), "{what}: not within {timeout:?}");
}

/// Waits until exactly one of `rs` leads (and every one answers); its index.
fn one_leader(rs: &[&Replica]) -> usize {
    let mut leader = None;
    eventually("exactly one leader", Duration::from_secs(30), || {
        let l: Option<Vec<bool>> = rs.iter().map(|r| leads(r)).collect();
        let l = l.unwrap_or_default();
        leader = l.iter().position(|x| *x);
        l.iter().filter(|x| **x).count() == 1
    });
    leader.expect("a leader")
}

#[test]
fn one_replica_leads_and_hands_over_on_sigterm_and_on_kill() {
    let Some(c) = Cluster::start() else { return };
    // cluster.sh installs deploy/rbac, which makes the Lease namespace.
    assert!(c.kubectl(&["get", "namespace", LEASE_NS]).status.success());
    let a = replica(c.kubeconfig(), "replica-a", &[]);
    let b = replica(c.kubeconfig(), "replica-b", &[]);
    let i = one_leader(&[&a, &b]);
    // Still exactly that one a lease duration later (renewals, not takeovers).
    std::thread::sleep(DURATION + Duration::from_secs(1));
    assert_eq!(one_leader(&[&a, &b]), i, "the leader stayed");
    let (mut leader, standby) = if i == 0 { (a, b) } else { (b, a) };
    assert_eq!(lease_field(&c, "holderIdentity"), leader.id, "the Lease names the leader");
    assert_eq!(lease_field(&c, "leaseDurationSeconds"), "3");
    leader.proc.expect(0, &["became leader", &format!("\"holder\":\"{}\"", leader.id)], Duration::from_secs(5));
    standby.proc.expect(0, &["standing by", &format!("\"holder\":\"{}\"", leader.id)], Duration::from_secs(5));
    for r in [&leader, &standby] {
        assert_eq!(status(r.port, "/healthz"), 200, "{}", r.id);
        assert_eq!(status(r.port, "/readyz"), 200, "{}: the API server was reached", r.id);
    }
    let before = transitions(&c);

    // SIGTERM: the leader releases the Lease as it stops; the standby takes it at its next try.
    let from = standby.proc.log_len();
    let term = Instant::now();
    leader.proc.signal(SIGTERM);
    let st = leader.proc.wait_exit(Duration::from_secs(10)).expect("the leader stops on SIGTERM");
    assert!(st.success(), "a clean stop exits 0: {st}");
    let holder = lease_field(&c, "holderIdentity");
    assert_ne!(holder, leader.id, "the Lease is released (or taken) as soon as the old leader is gone");
    leader.proc.expect(0, &["released the Lease"], Duration::from_secs(1));
    standby.proc.expect(from, &["became leader"], DURATION);
    let took = term.elapsed();
    assert!(took < DURATION, "taken over within the lease duration: {took:?}");
    eventually("the new leader's /metrics", Duration::from_secs(5), || leads(&standby) == Some(true));
    assert_eq!(lease_field(&c, "holderIdentity"), standby.id);
    let after_term = transitions(&c);
    assert!(after_term > before, "leaseTransitions grew: {before} → {after_term}");

    // SIGKILL: nothing released; a third replica takes over once the Lease expired, not before.
    let mut new_leader = standby;
    let third = replica(c.kubeconfig(), "replica-c", &[]);
    third.proc.expect(0, &["standing by", &format!("\"holder\":\"{}\"", new_leader.id)], Duration::from_secs(10));
    let from = third.proc.log_len();
    let kill = Instant::now();
    new_leader.proc.kill9();
    third.proc.expect(from, &["became leader"], DURATION * 3);
    let took = kill.elapsed();
    // Renewed at most ~1 s before the kill, so expired at least ~2 s after it.
    assert!(took >= Duration::from_secs(1), "not before the killed leader's Lease expired: {took:?}");
    assert_eq!(lease_field(&c, "holderIdentity"), third.id);
    assert!(transitions(&c) > after_term, "leaseTransitions grew again");
    assert_eq!(leads(&third), Some(true));

    // The API server stops answering: the leader stops itself within a lease duration and exits non-zero.
    let mut third = third;
    let from = third.proc.log_len();
    let pid = std::fs::read_to_string(c.run_dir().join("apiserver.pid")).expect("the API server's PID").trim().to_string();
    let paused = Paused::new(&pid);
    let start = Instant::now();
    let st = third.proc.wait_exit(DURATION * 4).expect("the leader exits when it cannot renew");
    let took = start.elapsed();
    drop(paused);
    assert!(!st.success(), "leadership lost is a failure: {st}");
    assert!(!third.proc.lines_with(from, &["lost leadership"]).is_empty(), "said so:\n{}", third.proc.log());
    assert!(took <= DURATION + Duration::from_secs(2), "stopped about a lease duration after its last renewal: {took:?}");
}

/// The API server stopped (SIGSTOP) until dropped (SIGCONT).
struct Paused(String);

impl Paused {
    fn new(pid: &str) -> Paused {
        assert!(Command::new("kill").args(["-STOP", pid]).status().unwrap().success());
        Paused(pid.to_string())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

#[test]
fn only_the_leader_reconciles() {
    let Some(c) = Cluster::start() else { return };
    // cluster.sh installs deploy/rbac, which makes the Lease namespace.
    assert!(c.kubectl(&["get", "namespace", LEASE_NS]).status.success());
    c.kubectl_ok(&["create", "namespace", "dns-system"]);
    let a = replica(c.kubeconfig(), "replica-a", &[]);
    let b = replica(c.kubeconfig(), "replica-b", &[]);
    let i = one_leader(&[&a, &b]);
    let (leader, standby) = if i == 0 { (&a, &b) } else { (&b, &a) };
    let seed = workspace_root().join("deploy/examples/seed/06-bind9instance-secondary-dns-labelled.yaml");
    c.kubectl_ok(&["apply", "-f", seed.to_str().unwrap()]);
    eventually("the leader's Deployment", Duration::from_secs(60), || {
        c.kubectl(&["-n", "dns-system", "get", "deployment", "secondary-dns"]).status.success()
    });
    let ok = "ironbind_operator_reconciles_total{kind=\"Bind9Instance\",result=\"ok\"}";
    eventually("reconciles counted on the leader's /metrics", Duration::from_secs(30), || metric(leader.port, ok).is_some_and(|n| n > 0.0));
    let count = "ironbind_operator_reconcile_duration_seconds_count{kind=\"Bind9Instance\"}";
    assert!(metric(leader.port, count).is_some_and(|n| n > 0.0), "a duration histogram");
    let (_, text) = get(leader.port, "/metrics").unwrap();
    assert!(text.contains("ironbind_operator_reconcile_duration_seconds_bucket{kind=\"Bind9Instance\",le=\"+Inf\"}"), "{text}");
    let (_, text) = get(standby.port, "/metrics").unwrap();
    assert!(!text.contains("ironbind_operator_reconciles_total{"), "the standby reconciled nothing:\n{text}");
    assert!(!text.contains("ironbind_operator_api_writes_total{"), "the standby wrote nothing:\n{text}");
    assert_eq!(leads(standby), Some(false));
}

/// A kubeconfig naming an API server that is not there.
fn unreachable_kubeconfig(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.path().join("kubeconfig");
    let server = format!("https://127.0.0.1:{}", free_port());
    let doc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: none\n  cluster: {{server: \"{server}\", insecure-skip-tls-verify: true}}\n\
         users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: c\n  context: {{cluster: none, user: u}}\ncurrent-context: c\n"
    );
    std::fs::write(&path, doc).unwrap();
    path
}

#[test]
fn probes_and_hostile_requests_without_an_api_server() {
    let dir = TempDir::new("operator-http").unwrap();
    let kubeconfig = unreachable_kubeconfig(&dir);
    let r = replica(&kubeconfig, "lonely", &[]);
    assert_eq!(status(r.port, "/healthz"), 200, "the election loop runs");
    assert_eq!(status(r.port, "/readyz"), 503, "the API server was never reached");
    assert_eq!(leads(&r), Some(false), "no Lease, no leadership");
    assert_eq!(status(r.port, "/nope"), 404);
    assert_eq!(exchange(r.port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").map(|x| x.0), Some(405));
    assert_eq!(exchange(r.port, b"GARBAGE\r\n\r\n").map(|x| x.0), Some(400));
    let (code, head) = exchange(r.port, b"HEAD /healthz HTTP/1.1\r\n\r\n").unwrap();
    assert!(code == 200 && head.ends_with("\r\n\r\n"), "HEAD: no body: {head:?}");

    // A 20 KiB header: 431 (or the connection closed), and the server keeps serving.
    let mut big = b"GET /metrics HTTP/1.1\r\nX-Big: ".to_vec();
    big.resize(20 * 1024, b'a');
    big.extend_from_slice(b"\r\n\r\n");
    let answer = exchange(r.port, &big);
    assert!(matches!(answer, None | Some((431, _))), "{answer:?}");
    assert_eq!(status(r.port, "/healthz"), 200, "still serving");

    // A client that never finishes its head is cut off (408) after the read timeout.
    let mut slow = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let start = Instant::now();
    let mut out = String::new();
    let _ = slow.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 408"), "{out:?}");
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());

    // Past the connection cap a connection is closed unanswered; freed slots serve again.
    let idle: Vec<TcpStream> = (0..64).map(|_| TcpStream::connect(("127.0.0.1", r.port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(r.port, "/healthz"), None, "the 65th connection is closed");
    drop(idle);
    eventually("a slot free again", Duration::from_secs(5), || status(r.port, "/healthz") == 200);
    drop(r);

    // Without leader election the controllers run at once: the gauge says 1.
    let r = replica(&kubeconfig, "no-election", &["--leader-elect", "false"]);
    assert_eq!(leads(&r), Some(true));
    assert_eq!(status(r.port, "/healthz"), 200);
    assert_eq!(status(r.port, "/readyz"), 503);
    assert!(r.proc.lines_with(0, &["standing by"]).is_empty() && r.proc.lines_with(0, &["became leader"]).is_empty());
}
