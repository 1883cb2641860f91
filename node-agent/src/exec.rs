//! Running a command inside a running container: its mount namespace
//! (setns into the container process's), its user, environment and working
//! directory. Used by exec probes and by the kubelet's `/exec` endpoint.
//!
//! Owns: what an exec'd command inherits from its container. Must not:
//! speak any wire protocol (the kubelet endpoint does).

use std::path::PathBuf;
use std::process::Stdio;

use crate::process::{spawn, Identity, Sandbox, Spec};

/// What a command run in a container inherits, recorded when the
/// container starts.
#[derive(Debug, Clone, Default)]
pub struct ExecContext {
    /// The container's environment.
    pub env: Vec<(String, String)>,
    /// Its user and groups.
    pub identity: Identity,
    /// Its working directory.
    pub cwd: Option<PathBuf>,
    /// True when it runs in a mount namespace of its own (joined by setns).
    pub sandboxed: bool,
}

/// Why a command could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// No command was given.
    #[error("no command given")]
    Empty,
    /// The container has no running process.
    #[error("container is not running")]
    NotRunning,
    /// The command could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The process spec of `argv` inside the container whose process is `pid`.
pub fn spec(pid: u32, ctx: &ExecContext, argv: &[String]) -> Result<Spec, ExecError> {
    let (program, args) = argv.split_first().ok_or(ExecError::Empty)?;
    Ok(Spec {
        program: program.into(),
        args: args.to_vec(),
        env: ctx.env.clone(),
        cwd: ctx.cwd.clone(),
        sandbox: if ctx.sandboxed { Sandbox::Join(pid) } else { Sandbox::Host },
        identity: ctx.identity.clone(),
    })
}

/// Starts `argv` in the container with the given stdio.
pub fn start(
    pid: Option<u32>,
    ctx: &ExecContext,
    argv: &[String],
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> Result<tokio::process::Child, ExecError> {
    let pid = pid.ok_or(ExecError::NotRunning)?;
    let s = spec(pid, ctx, argv)?;
    spawn(&s, stdin, stdout, stderr).map_err(|source| ExecError::Spawn { program: argv[0].clone(), source })
}

/// An exec probe: passes when the command exits 0.
pub async fn probe(pid: u32, ctx: &ExecContext, argv: &[String]) -> Result<(), String> {
    let mut child = start(Some(pid), ctx, argv, Stdio::null(), Stdio::null(), Stdio::null()).map_err(|e| e.to_string())?;
    let st = child.wait().await.map_err(|e| e.to_string())?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("command {argv:?} exited with {st}"))
    }
}
