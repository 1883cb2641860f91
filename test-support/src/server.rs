//! Starting `ironbind`: what to run ([`Launch`]), when it counts as up
//! ([`Ready`]), and the running server ([`Ironbind`]).

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::proc::Proc;

/// When a freshly started server counts as up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// It logged `listening … proto="tcp"` (text log format).
    Listening,
    /// It logged a line containing every one of these strings.
    Log(Vec<String>),
    /// It sent any reply to a SOA query for this name over UDP.
    Answers(String),
}

/// What to start: the binary, its flags, environment and directory, and when
/// it is up. Build it with [`launch!`](crate::launch) (or [`Launch::new`]),
/// then [`start`](Self::start) it.
#[derive(Debug, Clone)]
pub struct Launch {
    tag: String,
    bin: Option<PathBuf>,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    ready: Ready,
    timeout: Duration,
}

impl Launch {
    /// A launch of [`binary`](crate::binary) with no flags, up when it logs
    /// that it listens on TCP, within 30 s. `tag` prefixes its log lines.
    pub fn new(tag: &str) -> Launch {
        Launch {
            tag: tag.into(),
            bin: None,
            listen: None,
            data_dir: None,
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            ready: Ready::Listening,
            timeout: Duration::from_secs(30),
        }
    }

    /// Runs this binary instead.
    pub fn bin(mut self, bin: impl Into<PathBuf>) -> Launch {
        self.bin = Some(bin.into());
        self
    }

    /// `--listen ADDR`. The server's address is this one (127.0.0.1 for an
    /// unspecified IP); without it, or with port 0, it is read from the
    /// server's `listening … proto="tcp"` log line.
    pub fn listen(mut self, addr: SocketAddr) -> Launch {
        self.listen = Some(addr);
        self
    }

    /// `--data-dir DIR`.
    pub fn data_dir(mut self, dir: &Path) -> Launch {
        self.data_dir = Some(dir.into());
        self
    }

    /// One more argument.
    pub fn arg(mut self, a: impl Into<String>) -> Launch {
        self.args.push(a.into());
        self
    }

    /// More arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Launch {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    /// `--config PATH`.
    pub fn config(self, path: &Path) -> Launch {
        self.arg("--config").arg(path.display().to_string())
    }

    /// An environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Launch {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The working directory (relative paths in flags are relative to it).
    pub fn cwd(mut self, dir: &Path) -> Launch {
        self.cwd = Some(dir.into());
        self
    }

    /// When it counts as up.
    pub fn ready(mut self, ready: Ready) -> Launch {
        self.ready = ready;
        self
    }

    /// How long it may take to be up.
    pub fn timeout(mut self, timeout: Duration) -> Launch {
        self.timeout = timeout;
        self
    }

    /// The command line, for a test that runs it itself (to check its exit
    /// status, say).
    pub fn command(&self) -> Command {
        let bin = self.bin.clone().unwrap_or_else(|| crate::binary().to_path_buf());
        let mut cmd = Command::new(bin);
        if let Some(l) = self.listen {
            cmd.arg("--listen").arg(l.to_string());
        }
        if let Some(d) = &self.data_dir {
            cmd.arg("--data-dir").arg(d);
        }
        cmd.args(&self.args).envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        cmd
    }

    /// Starts it and waits until it is up; panics with its log otherwise.
    pub fn start(self) -> Ironbind {
        let tag = self.tag.clone();
        self.try_start().unwrap_or_else(|e| panic!("{tag}: {e}"))
    }

    /// Starts it and waits until it is up. The error says why not, followed
    /// by everything it logged; the process is stopped.
    pub fn try_start(self) -> Result<Ironbind, String> {
        let mut proc = Proc::try_spawn(&self.tag, self.command()).map_err(|e| format!("cannot start {:?}: {e}", self.command()))?;
        match self.wait_up(&mut proc) {
            Ok(addr) => Ok(Ironbind { proc, addr, data_dir: self.data_dir.clone().unwrap_or_default(), launch: self }),
            Err(why) => {
                proc.stop();
                Err(format!("{why}\n--- log ---\n{}", proc.log()))
            }
        }
    }

    /// Waits until `proc` is up; returns the address to query.
    fn wait_up(&self, proc: &mut Proc) -> Result<SocketAddr, String> {
        let listening = ["listening", "proto=\"tcp\""];
        let mut addr = self.listen.filter(|a| a.port() != 0).map(|a| if a.ip().is_unspecified() { loopback_like(a) } else { a });
        let end = Instant::now() + self.timeout;
        loop {
            if let Some(st) = proc.exit_status() {
                return Err(format!("ironbind exited during startup with {st}"));
            }
            if addr.is_none() {
                addr = proc.lines_with(0, &listening).first().and_then(|l| l.split("listen=").nth(1)?.split_whitespace().next()?.parse().ok());
            }
            let up = match (&self.ready, addr) {
                (_, None) => false,
                (Ready::Listening, Some(_)) => !proc.lines_with(0, &listening).is_empty(),
                (Ready::Log(all), Some(_)) => !proc.lines_with(0, &all.iter().map(String::as_str).collect::<Vec<_>>()).is_empty(),
                (Ready::Answers(name), Some(a)) => answers(a, name),
            };
            if up {
                return Ok(addr.expect("checked above"));
            }
            if Instant::now() > end {
                return Err(match (&self.ready, addr) {
                    (Ready::Answers(name), Some(a)) => {
                        format!("ironbind on {a} did not answer a SOA query for {name} within {:?}", self.timeout)
                    }
                    (ready, _) => format!("ironbind not up ({ready:?}) within {:?}", self.timeout),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The loopback address of the same family and port as the unspecified `a`.
fn loopback_like(a: SocketAddr) -> SocketAddr {
    let ip = if a.is_ipv4() { IpAddr::from([127, 0, 0, 1]) } else { IpAddr::from(std::net::Ipv6Addr::LOCALHOST) };
    SocketAddr::new(ip, a.port())
}

/// Whether `addr` replies within 100 ms to a SOA query for `name` over UDP.
fn answers(addr: SocketAddr, name: &str) -> bool {
    let mut q = vec![0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 6, 0, 1]);
    let Ok(s) = UdpSocket::bind(if addr.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" }) else { return false };
    let mut b = [0u8; 512];
    s.set_read_timeout(Some(Duration::from_millis(100))).is_ok() && s.send_to(&q, addr).is_ok() && s.recv(&mut b).is_ok()
}

/// A running `ironbind`, stopped (SIGTERM, then SIGKILL) when dropped. Derefs
/// to its [`Proc`]: `log`, `expect`, `signal`, `wait_exit`, …
#[derive(Debug)]
pub struct Ironbind {
    /// The process.
    pub proc: Proc,
    /// The address to query (UDP and TCP).
    pub addr: SocketAddr,
    /// Its `--data-dir` (empty when none was given).
    pub data_dir: PathBuf,
    launch: Launch,
}

impl Ironbind {
    /// How it was started.
    pub fn launch(&self) -> &Launch {
        &self.launch
    }

    /// SIGHUP: reload zone files and settings.
    pub fn reload(&self) {
        self.proc.signal(libc::SIGHUP);
    }

    /// Stops it gracefully and starts it again, same flags and directories.
    pub fn restart(&mut self) {
        self.proc.stop();
        self.respawn();
    }

    /// Kills it (SIGKILL) and starts it again, same flags and directories.
    pub fn restart_after_kill(&mut self) {
        self.proc.kill9();
        self.respawn();
    }

    fn respawn(&mut self) {
        let again = self.launch.clone().start();
        self.proc = again.proc;
        self.addr = again.addr;
    }
}

impl Deref for Ironbind {
    type Target = Proc;
    fn deref(&self) -> &Proc {
        &self.proc
    }
}

impl DerefMut for Ironbind {
    fn deref_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }
}

/// Writes an ironbind config file, `version = 1` followed by `body`, to
/// `dir/ironbind.toml`; returns its path.
pub fn write_config(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("ironbind.toml");
    std::fs::write(&p, format!("version = 1\n{body}")).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}
