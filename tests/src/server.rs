//! Starting the real `ironbind` binary for a test.
//!
//! Owns: finding (or building, once per test process) the binary, temporary
//! directories with zone files (and the server's own `--data-dir`, so no two
//! servers share persisted state), picking a free port on 127.0.0.1, spawning the
//! server with its stderr captured to a file, waiting until it answers, and
//! killing it by PID when the [`Server`] guard drops.
//!
//! Must not: know DNS semantics beyond "send a SOA query and wait for any reply".

use std::fs;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::client;
use crate::wire::QuerySpec;

/// How long a server may take to answer its first query.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `tests/scenarios` in the source tree.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The `ironbind` binary: `$IRONBIND_BIN` if set, otherwise
/// `<target dir>/debug/ironbind` after `cargo build --workspace --bin
/// ironbind` (run once per test process; a no-op when it is up to date). The
/// target dir is `$CARGO_TARGET_DIR` (relative to the workspace root) or
/// `<workspace>/target`. Panics with the build output if the build fails.
///
/// `--workspace` rather than `-p ironbind-server`: cargo unifies dependency
/// features over the packages selected, so `-p` would build a second variant
/// of every shared dependency after `cargo build --workspace` (what
/// `scripts/test.sh` runs first) and relink the binary on every test run.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("IRONBIND_BIN") {
            return PathBuf::from(p);
        }
        let root = workspace_root();
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(t) => root.join(t),
            None => root.join("target"),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "--workspace", "--bin", "ironbind"])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .stdin(Stdio::null())
            .output()
            .expect("run cargo build for the ironbind binary");
        assert!(out.status.success(), "cargo build --workspace --bin ironbind failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let bin = target.join("debug").join("ironbind");
        assert!(bin.exists(), "{} missing after a successful build", bin.display());
        bin
    })
}

/// A temporary directory removed on drop (kept if `IRONBIND_KEEP_TMP` is set).
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory under the system temp dir.
    pub fn new(tag: &str) -> std::io::Result<Self> {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let p = std::env::temp_dir().join(format!("ironbind-{tag}-{}-{}-{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        fs::create_dir_all(&p)?;
        Ok(Self(p))
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("IRONBIND_KEEP_TMP").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
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

/// A running `ironbind`, killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
    dir: Option<TempDir>,
    stderr_path: PathBuf,
    cfg: ServerConfig,
}

/// A port free for both UDP and TCP, never handed out twice in this process:
/// the server binds its UDP sockets with `SO_REUSEPORT`, so two servers
/// started at once on one port would silently share it.
fn free_port(ip: std::net::IpAddr) -> std::io::Result<u16> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    for _ in 0..50 {
        let u = UdpSocket::bind((ip, 0))?;
        let port = u.local_addr()?.port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if !given.contains(&port) && TcpListener::bind((ip, port)).is_ok() {
            given.push(port);
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no free port"))
}

impl Server {
    /// Writes the zone files, spawns the binary on a free port and waits until
    /// it answers a SOA query (any reply counts), up to [`STARTUP_TIMEOUT`].
    /// Retries with another port if the first one was taken in between.
    pub fn start(cfg: ServerConfig) -> Result<Server, String> {
        let bin = binary();
        let dir = TempDir::new("srv").map_err(|e| format!("temp dir: {e}"))?;
        for (_, file, text) in &cfg.zones {
            fs::write(dir.path().join(file), text).map_err(|e| format!("write zone {file}: {e}"))?;
        }
        for (file, text) in &cfg.files {
            fs::write(dir.path().join(file), text).map_err(|e| format!("write {file}: {e}"))?;
        }
        let mut last_err = String::new();
        let mut dir = Some(dir);
        for attempt in 0..3 {
            let d = dir.take().unwrap();
            match Self::spawn(bin, d, &cfg, attempt) {
                Ok(s) => return Ok(s),
                Err((e, d, retry)) => {
                    last_err = e;
                    if !retry {
                        break;
                    }
                    dir = Some(d);
                }
            }
        }
        Err(last_err)
    }

    #[allow(clippy::result_large_err)]
    fn spawn(bin: &Path, dir: TempDir, cfg: &ServerConfig, attempt: u32) -> Result<Server, (String, TempDir, bool)> {
        let bind_ip = cfg.listen_ip.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let port = match free_port(bind_ip) {
            Ok(p) => p,
            Err(e) => return Err((format!("free port: {e}"), dir, false)),
        };
        let listen = SocketAddr::new(bind_ip, port);
        let addr = SocketAddr::new(if bind_ip.is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { bind_ip }, port);
        let stderr_path = dir.path().join(format!("stderr-{attempt}.log"));
        let stderr = match fs::File::create(&stderr_path) {
            Ok(f) => f,
            Err(e) => return Err((format!("stderr file: {e}"), dir, false)),
        };
        let mut cmd = Command::new(bin);
        cmd.arg("--listen").arg(listen.to_string());
        // Each server keeps its persisted zones and journals to itself; the
        // default directory is shared by every process on the machine.
        cmd.arg("--data-dir").arg(dir.path().join("data"));
        for (origin, file, _) in &cfg.zones {
            cmd.arg("--zone").arg(format!("{origin}={}", dir.path().join(file).display()));
        }
        cmd.args(&cfg.args).current_dir(dir.path()).stdin(Stdio::null()).stdout(Stdio::null()).stderr(stderr);
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return Err((format!("spawn {}: {e}", bin.display()), dir, false)),
        };
        let mut s = Server { child, addr, dir: Some(dir), stderr_path, cfg: cfg.clone() };
        match s.wait_ready() {
            Ok(()) => Ok(s),
            Err(e) => {
                let err = s.stderr();
                let in_use = err.contains("in use") || err.contains("AddrInUse");
                let msg = format!("{e}\n--- server stderr ---\n{err}");
                s.kill();
                let dir = s.dir.take().expect("dir is set until drop");
                Err((msg, dir, in_use))
            }
        }
    }

    fn probe_name(&self) -> String {
        if let Some(n) = &self.cfg.probe_name {
            return n.clone();
        }
        match self.cfg.zones.first() {
            Some((o, _, _)) => o.clone(),
            None => "example.com".into(),
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut q = QuerySpec::new(&self.probe_name(), crate::rr::types::SOA);
        q.id = 0xbeef;
        let packet = q.build()?;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("ironbind exited during startup with {status}"));
            }
            if let Ok(Some(_)) = client::udp_exchange(self.addr, &packet, Duration::from_millis(100)) {
                return Ok(());
            }
        }
        Err(format!("ironbind on {} did not answer a SOA query for {} within {:?}", self.addr, self.probe_name(), STARTUP_TIMEOUT))
    }

    /// The address to query (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The temp dir holding zone files.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("dir is set until drop").path()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal by PID.
    pub fn signal(&self, sig: i32) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) with the PID of a child we spawned and still own (not
        // yet reaped, so the PID cannot have been reused).
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
    }

    /// Sends SIGHUP (reload zone files).
    pub fn reload(&self) {
        self.signal(libc::SIGHUP);
    }

    /// Overwrites a file in the server's directory (e.g. a zone file before a reload).
    pub fn write_file(&self, name: &str, text: &str) {
        fs::write(self.dir().join(name), text).expect("write file");
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
