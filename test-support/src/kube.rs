//! The local Kubernetes cluster for tests: `deploy/local/cluster.sh` started
//! on free ports in a temporary run directory, `kubectl` against it, and
//! everything stopped by PID when the [`Cluster`] is dropped.
//!
//! Owns: starting and stopping one cluster per caller, and running `kubectl`
//! with its kubeconfig. Must not: know what a test applies. When the API
//! server cannot be built or started (not Debian, no root for apt), [`Cluster::start`]
//! returns `None` and the test skips, except under `CI=true`, where it fails:
//! a CI run must never pass by skipping the cluster tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::{free_port, workspace_root, TempDir};

/// A running local cluster (API server, etcd, controller manager, CRDs).
pub struct Cluster {
    run: TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    /// Starts a cluster of its own on free ports; `None` (after saying why)
    /// when this machine cannot run one and `CI` is not `true`.
    pub fn start() -> Option<Cluster> {
        let run = TempDir::new("cluster").expect("a temporary run directory");
        let script = workspace_root().join("deploy/local/cluster.sh");
        let out = Command::new(&script)
            .arg("up")
            .env("K8S_RUN", run.path())
            .env("K8S_PORT", free_port().to_string())
            .env("K8S_ETCD_PORT", free_etcd_port().to_string())
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

    /// The kubeconfig of the cluster's admin.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
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
