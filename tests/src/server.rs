//! Starting the real `ironbind` binary for a black-box test.
//!
//! Owns: what a test asks for (zone files and other files written into a
//! temporary directory that is also the server's `--data-dir` parent and
//! working directory, so no two servers share persisted state; extra flags;
//! the listen address; the name the readiness probe asks for) and the
//! [`Server`] handle tests use. Finding the binary, free ports, temp dirs,
//! spawning, waiting until it answers and stopping it by PID are
//! `ironbind-test-support`'s.
//!
//! Must not: know DNS semantics beyond "send a SOA query and wait for any reply".

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ironbind_test_support::{free_port_on, Ironbind, Launch, Ready, TempDir};

/// How long a server may take to answer its first query.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    ironbind_test_support::workspace_root()
}

/// `tests/scenarios` in the source tree.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The `ironbind` binary (`$IRONBIND_BIN`, or built once per test process):
/// see [`ironbind_test_support::binary`].
pub fn binary() -> &'static Path {
    ironbind_test_support::binary()
}

/// What to start: zones (origin, file name, contents), extra flags, and
/// whether to wait until the server answers.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Zones: origin, file name inside the temp dir, contents.
    pub zones: Vec<(String, String, String)>,
    /// Extra command-line arguments (after `--listen` and the `--zone`s).
    pub args: Vec<String>,
    /// Other files to write into the temp dir (name, contents), e.g. a config.
    pub files: Vec<(String, String)>,
    /// Listen address override; the port is always the free one picked. Use
    /// `0.0.0.0` to test the reply-source rule (RFC 2181 §4).
    pub listen_ip: Option<std::net::IpAddr>,
    /// Name to send the readiness SOA query for (default: the first zone, or
    /// `example.com` with `--example`).
    pub probe_name: Option<String>,
}

impl ServerConfig {
    /// Adds a zone from text.
    pub fn zone(mut self, origin: &str, file: &str, text: &str) -> Self {
        self.zones.push((origin.to_string(), file.to_string(), text.to_string()));
        self
    }

    /// Adds a zone from `tests/scenarios/zones/<file>`.
    pub fn zone_file(self, origin: &str, file: &str) -> Self {
        let path = scenarios_dir().join("zones").join(file);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let name = Path::new(file).file_name().unwrap().to_string_lossy().into_owned();
        self.zone(origin, &name, &text)
    }

    /// Adds command-line arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    /// Starts the server.
    pub fn start(self) -> Result<Server, String> {
        Server::start(self)
    }
}

/// A running `ironbind`, stopped (SIGTERM, then SIGKILL) on drop, then its
/// directory removed.
#[derive(Debug)]
pub struct Server {
    // Declared before `dir`: the process stops before its directory goes.
    ib: Ironbind,
    dir: TempDir,
}

impl Server {
    /// Writes the zone files, spawns the binary on a free port and waits until
    /// it answers a SOA query (any reply counts), up to [`STARTUP_TIMEOUT`].
    /// Retries with another port if the first one was taken in between.
    pub fn start(cfg: ServerConfig) -> Result<Server, String> {
        let dir = TempDir::new("srv").map_err(|e| format!("temp dir: {e}"))?;
        for (_, file, text) in &cfg.zones {
            fs::write(dir.path().join(file), text).map_err(|e| format!("write zone {file}: {e}"))?;
        }
        for (file, text) in &cfg.files {
            fs::write(dir.path().join(file), text).map_err(|e| format!("write {file}: {e}"))?;
        }
        let mut last_err = String::new();
        for _ in 0..3 {
            match Self::launch(dir.path(), &cfg)?.try_start() {
                Ok(ib) => return Ok(Server { ib, dir }),
                Err(e) => {
                    let in_use = e.contains("in use") || e.contains("AddrInUse");
                    last_err = e;
                    if !in_use {
                        break;
                    }
                }
            }
        }
        Err(last_err)
    }

    /// The launch of `cfg` in `dir`, on a fresh port.
    fn launch(dir: &Path, cfg: &ServerConfig) -> Result<Launch, String> {
        let bind_ip = cfg.listen_ip.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let port = free_port_on(bind_ip).map_err(|e| format!("free port: {e}"))?;
        let probe = match (&cfg.probe_name, cfg.zones.first()) {
            (Some(n), _) => n.clone(),
            (None, Some((origin, _, _))) => origin.clone(),
            (None, None) => "example.com".into(),
        };
        let mut l = Launch::new("ironbind")
            .listen(SocketAddr::new(bind_ip, port))
            // Each server keeps its persisted zones and journals to itself; the
            // default directory is shared by every process on the machine.
            .data_dir(&dir.join("data"))
            .cwd(dir)
            .ready(Ready::Answers(probe))
            .timeout(STARTUP_TIMEOUT);
        for (origin, file, _) in &cfg.zones {
            l = l.arg("--zone").arg(format!("{origin}={}", dir.join(file).display()));
        }
        Ok(l.args(cfg.args.iter().cloned()))
    }

    /// The address to query (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.ib.addr
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.ib.pid()
    }

    /// The temp dir holding zone files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the server logged so far.
    pub fn stderr(&self) -> String {
        self.ib.log()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.ib.running()
    }

    /// Sends a signal by PID.
    pub fn signal(&self, sig: i32) {
        self.ib.signal(sig);
    }

    /// Sends SIGHUP (reload zone files).
    pub fn reload(&self) {
        self.ib.reload();
    }

    /// Overwrites a file in the server's directory (e.g. a zone file before a reload).
    pub fn write_file(&self, name: &str, text: &str) {
        fs::write(self.dir().join(name), text).expect("write file");
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        self.signal(libc::SIGTERM);
        self.ib.wait_exit(timeout)
    }
}
