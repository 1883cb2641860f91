//! Starting a process as a container: a session of its own, a private
//! mount namespace (as root) with each volume bound at its mount path, the
//! pod's user and group, the container's environment and working directory.
//!
//! Owns: the child side between fork and exec (everything in `pre_exec`
//! is a plain system call on values prepared before the fork). Must not:
//! allocate or lock in the child, or decide what to run.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::volumes::Mount;

/// The PATH a container starts with unless its env sets one.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Who the process runs as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// setuid to this (runAsUser).
    pub user: Option<u32>,
    /// setgid to this (runAsGroup).
    pub group: Option<u32>,
    /// setgroups to these (fsGroup and supplementalGroups).
    pub groups: Vec<u32>,
}

/// Which mount namespace the process gets.
#[derive(Debug, Clone)]
pub enum Sandbox {
    /// The agent's own (not root: no mounts possible).
    Host,
    /// A new private one with these bind mounts.
    Private(Vec<Mount>),
    /// The one of this running process (exec into a container).
    Join(u32),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The program (a path, or a name looked up in PATH).
    pub program: PathBuf,
    /// Its arguments (argv[1..]).
    pub args: Vec<String>,
    /// The whole environment.
    pub env: Vec<(String, String)>,
    /// The working directory, inside the namespace (default /).
    pub cwd: Option<PathBuf>,
    /// The mount namespace.
    pub sandbox: Sandbox,
    /// The user and groups.
    pub identity: Identity,
}

/// True when the agent runs as root (and so can make mount namespaces).
pub fn is_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Creates the mount points that are missing on the host (the namespace
/// shares the host's root, so a mount point must exist there: an empty
/// directory, or an empty file for a file bound through a subPath) and the
/// missing subPath sources within volumes.
///
/// A mount point inside an earlier mount (`/etc/ironbind/token` under a
/// ConfigMap at `/etc/ironbind`) is made inside that earlier volume's
/// directory too, since that is what the container sees there, as a
/// container runtime makes it in the volume.
pub fn prepare_targets(mounts: &[Mount]) -> io::Result<()> {
    for (i, m) in mounts.iter().enumerate() {
        if !m.source.exists() {
            std::fs::create_dir_all(&m.source)?;
        }
        for outer in &mounts[..i] {
            if let Ok(rel) = m.target.strip_prefix(&outer.target) {
                let inside = outer.source.join(rel);
                if rel.as_os_str().is_empty() || inside.exists() || !outer.source.is_dir() {
                    continue;
                }
                if m.source.is_dir() {
                    std::fs::create_dir_all(&inside)?;
                } else {
                    if let Some(p) = inside.parent() {
                        std::fs::create_dir_all(p)?;
                    }
                    std::fs::File::create(&inside)?;
                }
            }
        }
        if m.target.exists() {
            continue;
        }
        if m.source.is_dir() {
            std::fs::create_dir_all(&m.target)?;
        } else {
            if let Some(p) = m.target.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::File::create(&m.target)?;
        }
    }
    Ok(())
}

fn cstr(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("NUL in {}", p.display())))
}

/// Values the child needs, made before the fork.
struct Prepared {
    mounts: Vec<(CString, CString, bool)>,
    join: Option<OwnedFd>,
    private: bool,
    cwd: CString,
    identity: Identity,
}

/// Starts `spec` with stdin, stdout and stderr as given. The child leads a
/// new session (so its whole group can be signalled) and dies with the
/// agent (PR_SET_PDEATHSIG).
pub fn spawn(spec: &Spec, stdin: Stdio, stdout: Stdio, stderr: Stdio) -> io::Result<tokio::process::Child> {
    let mut prep = Prepared {
        mounts: Vec::new(),
        join: None,
        private: false,
        cwd: cstr(spec.cwd.as_deref().unwrap_or(Path::new("/")))?,
        identity: spec.identity.clone(),
    };
    match &spec.sandbox {
        Sandbox::Host => {}
        Sandbox::Private(mounts) => {
            prep.private = true;
            for m in mounts {
                prep.mounts.push((cstr(&m.source)?, cstr(&m.target)?, m.read_only));
            }
        }
        Sandbox::Join(pid) => {
            let f = std::fs::File::open(format!("/proc/{pid}/ns/mnt"))?;
            prep.join = Some(f.into());
        }
    }
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args).env_clear().envs(spec.env.iter().map(|(k, v)| (k, v))).stdin(stdin).stdout(stdout).stderr(stderr).kill_on_drop(false);
    // SAFETY: the closure makes only async-signal-safe system calls on
    // memory prepared before the fork (no allocation, no locks).
    unsafe {
        cmd.pre_exec(move || in_child(&prep));
    }
    cmd.spawn()
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Runs in the child between fork and exec.
fn in_child(p: &Prepared) -> io::Result<()> {
    // SAFETY: each call is a plain system call on pointers to C strings and
    // a file descriptor owned by `p`, alive for the whole call.
    unsafe {
        check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0))?;
        if libc::setsid() < 0 {
            return Err(io::Error::last_os_error());
        }
        if let Some(fd) = &p.join {
            check(libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNS))?;
        }
        if p.private {
            check(libc::unshare(libc::CLONE_NEWNS))?;
            // Nothing mounted here propagates back to the host.
            check(libc::mount(std::ptr::null(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()))?;
            for (src, dst, ro) in &p.mounts {
                check(libc::mount(src.as_ptr(), dst.as_ptr(), std::ptr::null(), libc::MS_BIND | libc::MS_REC, std::ptr::null()))?;
                if *ro {
                    let flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
                    check(libc::mount(std::ptr::null(), dst.as_ptr(), std::ptr::null(), flags, std::ptr::null()))?;
                }
            }
        }
        check(libc::chdir(p.cwd.as_ptr()))?;
        let id = &p.identity;
        if id.group.is_some() || id.user.is_some() || !id.groups.is_empty() {
            check(libc::setgroups(id.groups.len(), id.groups.as_ptr()))?;
        }
        if let Some(g) = id.group {
            check(libc::setgid(g))?;
        }
        if let Some(u) = id.user {
            check(libc::setuid(u))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mount_point_inside_an_earlier_volume_is_made_in_that_volume() {
        let base = std::env::temp_dir().join(format!("ironbind-node-targets-{}", std::process::id()));
        let (config, token, root) = (base.join("vol/config"), base.join("vol/token"), base.join("root"));
        std::fs::create_dir_all(&config).unwrap();
        std::fs::create_dir_all(&token).unwrap();
        let mounts = [
            Mount { source: config.clone(), target: root.join("etc/ironbind"), read_only: true },
            Mount { source: token, target: root.join("etc/ironbind/token"), read_only: true },
        ];
        prepare_targets(&mounts).unwrap();
        assert!(root.join("etc/ironbind").is_dir());
        assert!(config.join("token").is_dir(), "the nested mount point exists inside the ConfigMap's directory");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
