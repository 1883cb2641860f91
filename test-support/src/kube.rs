//! The local Kubernetes cluster for tests: `deploy/local/cluster.sh` started
//! on free ports in a temporary run directory, `kubectl` against it, and
//! everything stopped by PID when the [`Cluster`] is dropped.
//!
//! Owns: starting and stopping one cluster per caller (by default without the
//! node agent and the operator, which most tests start themselves from their
//! own builds; with them through [`ClusterBuilder`]), and running `kubectl`
//! with its kubeconfig. Must not: know what a test applies. When the API
//! server cannot be built or started (not Debian, no root for apt), [`Cluster::start`]
//! returns `None` and the test skips, except under `CI=true`, where it fails:
//! a CI run must never pass by skipping the cluster tests.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::{free_port, workspace_root, TempDir};

/// A running local cluster (API server, etcd, controller manager, CRDs, the
/// operator's RBAC; the node agent and the operator when asked for).
pub struct Cluster {
    run: TempDir,
    kubeconfig: PathBuf,
}

/// What `cluster.sh up` starts besides the API server: by default neither
/// the node agent nor the operator (`WITH_NODE_AGENT=0 WITH_OPERATOR=0`).
#[derive(Debug, Default)]
pub struct ClusterBuilder {
    env: Vec<(&'static str, OsString)>,
}

impl ClusterBuilder {
    /// Also the node agent (`agent`), running the image `ironbind` as the
    /// binary `ironbind`, pods on addresses of `pod_subnet` (`127.A.B.0/24`:
    /// pick one no other test uses). The agent needs root.
    pub fn node_agent(mut self, agent: &Path, ironbind: &Path, pod_subnet: &str) -> Self {
        self.env.push(("WITH_NODE_AGENT", "1".into()));
        self.env.push(("NODE_AGENT_BIN", agent.into()));
        self.env.push(("IRONBIND_BIN", ironbind.into()));
        self.env.push(("POD_SUBNET", pod_subnet.into()));
        self
    }

    /// Also the operator (`operator`), as the `ironbind-operator` ServiceAccount
    /// (`operator.kubeconfig`), its metrics on a free port.
    pub fn operator(mut self, operator: &Path) -> Self {
        self.env.push(("WITH_OPERATOR", "1".into()));
        self.env.push(("OPERATOR_BIN", operator.into()));
        self.env.push(("OPERATOR_METRICS_PORT", free_port().to_string().into()));
        self
    }

    /// Starts the cluster on free ports; `None` (after saying why) when this
    /// machine cannot run one and `CI` is not `true` (under `CI=true`: panics).
    pub fn start(self) -> Option<Cluster> {
        let run = TempDir::new("cluster").expect("a temporary run directory");
        let script = workspace_root().join("deploy/local/cluster.sh");
        let out = Command::new(&script)
            .arg("up")
            .env("K8S_RUN", run.path())
            .env("K8S_PORT", free_port().to_string())
            .env("K8S_ETCD_PORT", free_etcd_port().to_string())
            .env("WITH_NODE_AGENT", "0")
            .env("WITH_OPERATOR", "0")
            .envs(self.env)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let kubeconfig = run.path().join("kubeconfig");
        if !out.status.success() || !kubeconfig.exists() {
            let why = format!(
                "deploy/local/cluster.sh up failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = Command::new(&script).arg("down").env("K8S_RUN", run.path()).output();
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("skipping: no local cluster on this machine: {why}");
            return None;
        }
        Some(Cluster { run, kubeconfig })
    }
}

impl Cluster {
    /// Starts a cluster of its own on free ports, without the node agent and
    /// the operator; `None` (after saying why) when this machine cannot run
    /// one and `CI` is not `true`.
    pub fn start() -> Option<Cluster> {
        Self::builder().start()
    }

    /// A cluster with more than the API server ([`ClusterBuilder`]).
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// The kubeconfig of the cluster's admin.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The kubeconfig of the operator's ServiceAccount
    /// (`system:serviceaccount:ironbind-system:ironbind-operator`, bound by
    /// the RBAC of `deploy/rbac`).
    pub fn operator_kubeconfig(&self) -> PathBuf {
        self.run.path().join("operator.kubeconfig")
    }

    /// The processes `cluster.sh up` started, from the run directory's
    /// `<name>.pid` files: (name, PID), sorted by name.
    pub fn pids(&self) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = std::fs::read_dir(self.run.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.strip_suffix(".pid")?.to_string();
                let pid = std::fs::read_to_string(e.path()).ok()?.trim().parse().ok()?;
                Some((name, pid))
            })
            .collect();
        out.sort();
        out
    }

    /// `cluster.sh down` (also done on drop), which must succeed.
    pub fn down(&self) {
        let out = Command::new(workspace_root().join("deploy/local/cluster.sh"))
            .arg("down")
            .env("K8S_RUN", self.run.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run cluster.sh down: {e}"));
        assert!(out.status.success(), "cluster.sh down failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    }

    /// The run directory (logs of etcd, the API server, the controller manager).
    pub fn run_dir(&self) -> &Path {
        self.run.path()
    }

    /// `kubectl ARGS` against this cluster.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"))
    }

    /// `kubectl ARGS` with `input` on its stdin (`-f -`).
    pub fn kubectl_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
        let mut stdin = child.stdin.take().expect("piped");
        let input = input.to_vec();
        // Written from a thread: kubectl may answer before it has read everything.
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("kubectl: {e}"));
        let _ = writer.join();
        out
    }

    /// `kubectl ARGS`, which must succeed; its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.status.success(), "kubectl {args:?} failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = workspace_root().join("deploy/local/cluster.sh");
        let out = Command::new(&script).arg("down").env("K8S_RUN", self.run.path()).output();
        if let Ok(o) = out {
            if !o.status.success() {
                eprintln!("cluster.sh down: {}", String::from_utf8_lossy(&o.stderr));
            }
        }
    }
}

/// An etcd client port whose successor (the peer port) is free too.
fn free_etcd_port() -> u16 {
    for _ in 0..50 {
        let p = free_port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two consecutive free ports for etcd");
}

/// Whether pods can run here: the node agent needs root for its mount
/// namespaces. Says why when not; under `CI=true` (which runs as root) a
/// missing root fails instead, so CI never passes by skipping pod tests.
pub fn pods_can_run() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI runs as root: tests that run pods must not skip there");
        eprintln!("skipping: the node agent needs root for mount namespaces");
    }
    root
}

impl Cluster {
    /// Starts the workspace's node agent for this cluster, registered as
    /// `node`, giving pods addresses of `subnet` (`127.A.B.0/24`: one per
    /// test, as tests run side by side), its state under `state`, the image
    /// `ironbind` run as the workspace's `ironbind`; returns once it is ready.
    pub fn node_agent(&self, node: &str, subnet: &str, state: &Path) -> crate::Proc {
        let mut cmd = Command::new(crate::workspace_bin("ironbind-node-agent"));
        cmd.arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(["--node-name", node, "--pod-subnet", subnet, "--port", "0", "--heartbeat", "2", "--volume-refresh", "1"])
            .arg("--state-dir")
            .arg(state)
            .arg("--image-binary")
            .arg(format!("ironbind={}", crate::binary().display()));
        let p = crate::Proc::spawn(node, cmd);
        p.expect(0, &["node agent ready"], std::time::Duration::from_secs(60));
        p
    }
}
