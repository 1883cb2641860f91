//! A child process with its output captured line by line, stopped by PID.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long [`Proc::stop`] waits after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Polls `f` every 20 ms until it is true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, f: impl FnMut() -> bool) -> bool {
    wait_until_every(timeout, Duration::from_millis(20), f)
}

/// [`wait_until`] polling every `interval` (for checks that cost a process
/// or an API request each, such as `kubectl get`).
pub fn wait_until_every(timeout: Duration, interval: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(interval);
    }
}

/// A child process with its stdout and stderr collected line by line (and
/// echoed to the test's stderr prefixed with its tag, which the test harness
/// shows only for a failing test). Dropping it stops it ([`Proc::stop`]).
pub struct Proc {
    child: Option<Child>,
    status: Option<ExitStatus>,
    lines: Arc<Mutex<Vec<String>>>,
    /// The threads reading stdout and stderr, done at end of file.
    readers: Vec<std::thread::JoinHandle<()>>,
    tag: String,
}

impl Proc {
    /// Starts `cmd` (stdin closed), panicking when it cannot be started.
    pub fn spawn(tag: &str, cmd: Command) -> Proc {
        let what = format!("{cmd:?}");
        Self::try_spawn(tag, cmd).unwrap_or_else(|e| panic!("cannot start {tag} ({what}): {e}"))
    }

    /// Starts `cmd` (stdin closed).
    pub fn try_spawn(tag: &str, mut cmd: Command) -> std::io::Result<Proc> {
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out: [Box<dyn Read + Send>; 2] = [Box::new(child.stdout.take().expect("piped")), Box::new(child.stderr.take().expect("piped"))];
        let readers = out
            .into_iter()
            .map(|r| {
                let (l, tag) = (lines.clone(), tag.to_string());
                std::thread::spawn(move || {
                    for line in BufReader::new(r).lines().map_while(Result::ok) {
                        eprintln!("[{tag}] {line}");
                        l.lock().unwrap_or_else(|p| p.into_inner()).push(line);
                    }
                })
            })
            .collect();
        Ok(Proc { child: Some(child), status: None, lines, readers, tag: tag.into() })
    }

    /// The tag it was started with.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything logged so far, one line each.
    pub fn log(&self) -> String {
        self.locked().join("\n")
    }

    /// The lines logged so far.
    pub fn lines(&self) -> Vec<String> {
        self.locked().clone()
    }

    /// Number of log lines so far (to wait only for newer ones).
    pub fn log_len(&self) -> usize {
        self.locked().len()
    }

    /// Lines at index ≥ `from` containing every string of `all`.
    pub fn lines_with(&self, from: usize, all: &[&str]) -> Vec<String> {
        self.locked().iter().skip(from).filter(|l| all.iter().all(|s| l.contains(s))).cloned().collect()
    }

    /// Waits for a line at index ≥ `from` matching `pred`.
    pub fn wait_line(&self, from: usize, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        let mut found = None;
        wait_until(timeout, || {
            found = self.locked().iter().skip(from).find(|l| pred(l)).cloned();
            found.is_some()
        });
        found
    }

    /// Waits for a line at index ≥ `from` containing every string of `all`.
    pub fn wait_for(&self, from: usize, all: &[&str], timeout: Duration) -> Option<String> {
        self.wait_line(from, |l| all.iter().all(|s| l.contains(s)), timeout)
    }

    /// Like [`wait_for`](Self::wait_for), panicking with the log when nothing comes.
    pub fn expect(&self, from: usize, all: &[&str], timeout: Duration) -> String {
        self.wait_for(from, all, timeout).unwrap_or_else(|| panic!("{}: no line with {all:?} within {timeout:?}; log:\n{}", self.tag, self.log()))
    }

    /// The process ID (0 once it has been killed with [`kill9`](Self::kill9) or stopped).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The exit status, if it has exited (reaps it). Once it has, the log
    /// holds everything it wrote (up to 2 s are given to read the last of it).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if self.status.is_some() {
                wait_until(Duration::from_secs(2), || self.readers.iter().all(|r| r.is_finished()));
            }
        }
        self.status
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        self.child.is_some() && self.exit_status().is_none()
    }

    /// Sends `sig` by PID. Panics (with the log) if the process has already
    /// exited: its PID may belong to another process by now.
    pub fn signal(&self, sig: libc::c_int) {
        let child = self.child.as_ref().unwrap_or_else(|| panic!("{}: signal {sig} after it was stopped", self.tag));
        if let Some(st) = self.status {
            panic!("{}: signal {sig} after it exited ({st}); log:\n{}", self.tag, self.log());
        }
        assert!(Self::kill(child, sig), "{}: kill({}, {sig}) failed", self.tag, child.id());
    }

    /// kill(2) of `child`, not yet reaped; true when sent.
    fn kill(child: &Child, sig: libc::c_int) -> bool {
        let Ok(pid) = libc::pid_t::try_from(child.id()) else { return false };
        // SAFETY: kill(2) with the PID of a child we spawned and have not
        // reaped (callers check the exit status first), so the PID is still ours.
        unsafe { libc::kill(pid, sig) == 0 }
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, || self.exit_status().is_some());
        self.status
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, wait up to 10 s, then SIGKILL (saying so, with the log), and reap.
    pub fn stop(&mut self) {
        let terminated = self.exit_status().is_none() && self.child.as_ref().is_some_and(|c| Self::kill(c, libc::SIGTERM));
        if terminated && self.wait_exit(STOP_GRACE).is_none() {
            eprintln!("[{}] still running {STOP_GRACE:?} after SIGTERM; killing it. Log:\n{}", self.tag, self.log());
        }
        self.kill9();
    }
}

impl std::fmt::Debug for Proc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proc").field("tag", &self.tag).field("pid", &self.pid()).field("status", &self.status).finish_non_exhaustive()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}
