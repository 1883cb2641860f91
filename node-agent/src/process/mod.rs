//! Processes of containers on this node: starting one in a private mount
//! namespace with the pod's volumes bound at their mount paths and as the
//! pod's user ([`spawn`]), running a command inside a running container's
//! namespace ([`spawn`] with [`Sandbox::Join`]), stopping a process group by
//! PID ([`signal`]), and the per-container log files ([`logs`]).
//!
//! Owns: the system calls (unshare, mount, setns, setgid, setuid, kill).
//! Must not: decide when to start, restart or stop (the container
//! supervisor does), or know the API.

pub mod logs;
pub mod signal;
pub mod spawn;

pub use spawn::{is_root, prepare_targets, spawn, Identity, Sandbox, Spec};
