//! ironbind-test-support: the processes a test talks to, started and stopped.
//!
//! Owns: finding (or building) the `ironbind` binary ([`binary`], [`launch!`]),
//! loopback ports ([`free_port`], [`local`]), temporary directories
//! ([`tempdir`], [`TempDir`]), child processes with their output captured line
//! by line and stopped by PID ([`Proc`]: SIGTERM, then SIGKILL with the log
//! printed), `ironbind` itself ([`Launch`] → [`Ironbind`]: flags or a config
//! file, waiting until it listens or answers), BIND9 `named` and Knot `knotd`
//! peers ([`Named`], [`Knot`]) and DNS servers scripted by a test on a
//! loopback port ([`LoopbackServer`]), the workspace's other binaries
//! ([`workspace_bin`]), and the local Kubernetes cluster of
//! `deploy/local/cluster.sh` ([`Cluster`], with the node agent and the
//! operator through [`ClusterBuilder`]).
//!
//! Must not: link the server or know DNS beyond the one SOA query a readiness
//! probe sends. What a test does with a server (queries, zone texts, log lines
//! it waits for) stays with the test's own harness.
//!
//! Used by the server's integration tests (`server/tests/*_common`, a
//! dev-dependency) and by the black-box `ironbind-tests` crate (`tests/`).

mod bin;
mod fake;
mod kube;
mod net;
mod peers;
mod proc;
mod server;
mod tmp;

pub use bin::{binary, binary_or, workspace_bin, workspace_root};
pub use fake::LoopbackServer;
pub use kube::{pods_can_run, Cluster, ClusterBuilder};
pub use net::{free_port, free_port_on, local};
pub use peers::{require, Knot, Named};
pub use proc::{wait_until, wait_until_every, Proc};
pub use server::{write_config, Ironbind, Launch, Ready};
pub use tmp::{tempdir, TempDir};

/// A [`Launch`] of the `ironbind` binary for this test: `$IRONBIND_BIN` when
/// set, else the binary cargo built for the calling integration test (the
/// `server` package's own, `CARGO_BIN_EXE_ironbind` at compile time), else
/// [`binary`] (built once per test process).
///
/// A macro so that `option_env!` is read while the *calling* test compiles.
#[macro_export]
macro_rules! launch {
    ($tag:expr) => {
        $crate::Launch::new($tag).bin($crate::binary_or(option_env!("CARGO_BIN_EXE_ironbind")))
    };
}
