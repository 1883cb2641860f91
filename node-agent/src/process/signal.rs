//! Signals to a container's process group, by the PID the agent started.
//!
//! Owns: kill(2) of process groups this agent created. Must not: signal
//! anything it did not start (every caller passes the PID of its own child,
//! which leads its own session and process group).

use std::time::Duration;

/// Sends `sig` to the process group led by `pid` (the container's process
/// and whatever it started). False when there is no such group any more.
pub fn group(pid: u32, sig: libc::c_int) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 1 {
        return false;
    }
    // SAFETY: kill(2) of the process group of a child this agent spawned with
    // setsid(); pid > 1 so it is never "every process" (-1) or our own group (0).
    unsafe { libc::kill(-pid, sig) == 0 }
}

/// SIGTERM to the group, then SIGKILL once `grace` has passed without
/// `exited` resolving; returns what `exited` returned.
pub async fn terminate<T>(pid: u32, grace: Duration, exited: impl std::future::Future<Output = T>) -> T {
    group(pid, libc::SIGTERM);
    tokio::pin!(exited);
    match tokio::time::timeout(grace, &mut exited).await {
        Ok(v) => v,
        Err(_) => {
            tracing::info!(pid, ?grace, "still running after the grace period; SIGKILL");
            group(pid, libc::SIGKILL);
            exited.await
        }
    }
}
