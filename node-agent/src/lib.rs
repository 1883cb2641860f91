//! ironbind-node-agent: the scheduler and kubelet of the local test
//! cluster (`deploy/local/cluster.sh`, which has neither). It registers a
//! Node, binds unscheduled Pods to it, and runs their containers as local
//! processes, one loopback address per pod, volumes bound into a private
//! mount namespace; it serves the kubelet endpoint for `kubectl logs` and
//! `kubectl exec`.
//!
//! Modules by layer: pure rules first (cli, ipam, backoff, probe,
//! volumes::layout, process::logs, pods::status, pods::launch), then what
//! touches the system (process, volumes::materialise, exec), the API
//! (node, sched, pods) and the endpoint (kubelet); `run` wires them.
//!
//! Must not: be used outside tests and demos. It isolates nothing but
//! mounts: pods share the host's network, PID space and root filesystem.

pub mod cli;
pub mod ipam;
pub mod backoff;
pub mod probe;
pub mod volumes;
pub mod process;
pub mod exec;
pub mod events;
pub mod node;
pub mod sched;
pub mod pods;
pub mod kubelet;
pub mod run;
