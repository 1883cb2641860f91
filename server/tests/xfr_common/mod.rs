//! Helpers shared by the `xfr_*` integration tests: running the real
//! `ironbind` binary, BIND9 `named` and Knot `knotd` on loopback high ports
//! with configs in throwaway directories, and looking at them with `dig`.
//!
//! Every process is started by the test and stopped by its PID (SIGTERM,
//! then SIGKILL) when its handle drops; logs are captured line by line so
//! tests can wait for the lines an operator would grep for.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A TSIG secret shared by the tests (base64 of 32 octets).
pub const SECRET: &str = "aXJvbmJpbmQtdGVzdC1zZWNyZXQtMzItb2N0ZXRzISE=";
/// The key name used with [`SECRET`].
pub const KEY: &str = "xfr-key";

/// A fresh directory under the system temp dir.
pub fn tempdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("ironbind-xfr-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A loopback port free for both UDP and TCP right now.
pub fn free_port() -> u16 {
    loop {
        let u = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// `127.0.0.1:port`.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Polls `f` every 50 ms until it is true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Text of `example.com` (or `origin`): SOA with the given timers, NS,
/// and `hosts` A records `hN` plus the `extra` lines.
pub fn zone_text(origin: &str, serial: u32, timers: (u32, u32, u32), hosts: usize, extra: &str) -> String {
    let (refresh, retry, expire) = timers;
    let mut z = format!("$ORIGIN {origin}.\n$TTL 300\n@ SOA ns1 hostmaster {serial} {refresh} {retry} {expire} 300\n@ NS ns1\nns1 A 192.0.2.1\n");
    for i in 0..hosts {
        z.push_str(&format!("h{i} A 10.{}.{}.{}\n", (i >> 16) & 255, (i >> 8) & 255, i & 255));
    }
    z.push_str(extra);
    z
}

/// A child process with its stdout and stderr collected line by line.
pub struct Proc {
    child: Option<Child>,
    lines: Arc<Mutex<Vec<String>>>,
    tag: String,
}

impl Proc {
    /// Starts `cmd`, echoing its output to the test's stderr prefixed with `tag`.
    pub fn spawn(tag: &str, mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {tag} ({cmd:?}): {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        for r in [Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>, Box::new(child.stderr.take().unwrap())] {
            let (l, tag) = (lines.clone(), tag.to_string());
            std::thread::spawn(move || {
                for line in BufReader::new(r).lines().map_while(Result::ok) {
                    eprintln!("[{tag}] {line}");
                    l.lock().unwrap().push(line);
                }
            });
        }
        Proc { child: Some(child), lines, tag: tag.into() }
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Number of log lines so far.
    pub fn log_len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Lines at index ≥ `from` containing every string of `all`.
    pub fn lines_with(&self, from: usize, all: &[&str]) -> Vec<String> {
        self.lines.lock().unwrap().iter().skip(from).filter(|l| all.iter().all(|s| l.contains(s))).cloned().collect()
    }

    /// Waits for a line at index ≥ `from` containing every string of `all`.
    pub fn wait_for(&self, from: usize, all: &[&str], timeout: Duration) -> Option<String> {
        let mut found = None;
        wait_until(timeout, || {
            found = self.lines_with(from, all).into_iter().next();
            found.is_some()
        });
        found
    }

    /// Like [`wait_for`](Self::wait_for), panicking with the log when nothing comes.
    pub fn expect(&self, from: usize, all: &[&str], timeout: Duration) -> String {
        self.wait_for(from, all, timeout).unwrap_or_else(|| panic!("{}: no line with {all:?} within {timeout:?}; log:\n{}", self.tag, self.log()))
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Sends `sig` to the process.
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) with the PID of our own child and a valid signal.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "kill({}, {sig}) failed", self.pid());
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, wait up to 10 s, then SIGKILL.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: kill(2) with the PID of our own child.
            unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if c.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running `ironbind`.
pub struct Ironbind {
    /// The process.
    pub proc: Proc,
    /// Its listen address.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    args: Vec<String>,
}

impl Ironbind {
    /// Starts `ironbind --listen 127.0.0.1:PORT --data-dir DIR ARGS…` and
    /// waits until it listens.
    pub fn start(tag: &str, port: u16, data_dir: &Path, args: &[&str]) -> Ironbind {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let proc = Self::spawn(tag, port, data_dir, &args);
        Ironbind { proc, addr: local(port), data_dir: data_dir.into(), args }
    }

    fn spawn(tag: &str, port: u16, data_dir: &Path, args: &[String]) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ironbind"));
        cmd.args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .args(["--udp-workers", "1", "--log-format", "text", "--log-level", "info"])
            .args(args);
        let p = Proc::spawn(tag, cmd);
        p.expect(0, &["listening", "proto=\"tcp\""], Duration::from_secs(30));
        p
    }

    /// Kills the process (SIGKILL) and starts it again with the same
    /// arguments, port and data directory.
    pub fn restart_after_kill(&mut self) {
        self.proc.kill9();
        self.proc = Self::spawn(&self.proc.tag.clone(), self.addr.port(), &self.data_dir.clone(), &self.args.clone());
    }

    /// Stops it gracefully and starts it again.
    pub fn restart(&mut self) {
        self.proc.stop();
        self.proc = Self::spawn(&self.proc.tag.clone(), self.addr.port(), &self.data_dir.clone(), &self.args.clone());
    }

    /// SIGHUP: reload.
    pub fn reload(&self) {
        self.proc.signal(libc::SIGHUP);
    }
}

/// A running BIND9 `named` in the foreground.
pub struct Named {
    /// The process.
    pub proc: Proc,
    /// Its address.
    pub addr: SocketAddr,
    /// Its directory (config, zone files, pid file).
    pub dir: PathBuf,
}

impl Named {
    /// Writes `named.conf` with `options` lines and `rest` (zones, keys)
    /// into a new directory and starts `named -g` on `port`.
    pub fn start(port: u16, options: &str, rest: &str, files: &[(&str, &str)]) -> Named {
        let dir = tempdir("named");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let d = dir.display();
        let conf = format!(
            "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  session-keyfile \"{d}/session.key\";\n  \
             managed-keys-directory \"{d}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  \
             recursion no;\n  dnssec-validation no;\n  notify-delay 0;\n{options}\n}};\ncontrols {{ }};\n{rest}\n"
        );
        std::fs::write(dir.join("named.conf"), conf).unwrap();
        let mut cmd = Command::new("named");
        cmd.args(["-g", "-c"]).arg(dir.join("named.conf"));
        let proc = Proc::spawn("named", cmd);
        proc.expect(0, &["running"], Duration::from_secs(30));
        Named { proc, addr: local(port), dir }
    }

    /// Replaces a file in its directory.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    /// SIGHUP: reload the zone files.
    pub fn reload(&self) {
        self.proc.signal(libc::SIGHUP);
    }
}

/// A running Knot `knotd` in the foreground.
pub struct Knot {
    /// The process.
    pub proc: Proc,
    /// Its address.
    pub addr: SocketAddr,
    /// Its directory.
    pub dir: PathBuf,
}

impl Knot {
    /// Writes `knot.conf` (server, database, control, log sections plus
    /// `rest`, where `%DIR%` stands for the new directory) into a new
    /// directory and starts `knotd` on `port`.
    pub fn start(port: u16, rest: &str, files: &[(&str, &str)]) -> Knot {
        let dir = tempdir("knot");
        std::fs::create_dir_all(dir.join("db")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let d = dir.display();
        let conf = format!(
            "server:\n  rundir: \"{d}\"\n  listen: 127.0.0.1@{port}\n\ndatabase:\n  storage: \"{d}/db\"\n\n\
             control:\n  listen: \"{d}/knot.sock\"\n\nlog:\n  - target: stderr\n    any: info\n\n{}\n",
            rest.replace("%DIR%", &d.to_string())
        );
        std::fs::write(dir.join("knot.conf"), conf).unwrap();
        let mut cmd = Command::new("knotd");
        cmd.arg("-c").arg(dir.join("knot.conf"));
        let proc = Proc::spawn("knotd", cmd);
        proc.expect(0, &["server started"], Duration::from_secs(30));
        Knot { proc, addr: local(port), dir }
    }

    /// Replaces a file in its directory.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    /// `knotc zone-reload ZONE`.
    pub fn zone_reload(&self, zone: &str) {
        let out = Command::new("knotc").arg("-s").arg(self.dir.join("knot.sock")).args(["zone-reload", zone]).output().unwrap();
        assert!(out.status.success(), "knotc zone-reload: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Runs `dig @addr -p port ARGS` and returns its stdout.
pub fn dig(addr: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", addr.ip()))
        .args(["-p", &addr.port().to_string(), "+time=2", "+tries=1"])
        .args(args)
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The SOA serial `addr` serves for `zone`, if it answers with one.
pub fn serial(addr: SocketAddr, zone: &str) -> Option<u32> {
    let out = dig(addr, &[zone, "SOA", "+short"]);
    out.split_whitespace().nth(2)?.parse().ok()
}

/// The RCODE (`NOERROR`, `SERVFAIL`, `REFUSED`, …) of `name TYPE` at `addr`.
pub fn status(addr: SocketAddr, name: &str, qtype: &str) -> String {
    let out = dig(addr, &[name, qtype, "+noall", "+comments"]);
    out.split("status: ").nth(1).and_then(|s| s.split(',').next()).unwrap_or("no answer").to_string()
}

/// The zone as `addr` transfers it (AXFR, TSIG with [`KEY`] when `tsig`):
/// one normalised line per record, sorted, the closing SOA dropped.
pub fn axfr(addr: SocketAddr, zone: &str, tsig: bool) -> Vec<String> {
    let key = format!("hmac-sha256:{KEY}:{SECRET}");
    let mut args = vec![zone, "AXFR", "+noall", "+answer", "+nottlid"];
    if tsig {
        args.extend(["-y", &key]);
    }
    let out = dig(addr, &args);
    let mut lines: Vec<String> = out
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase())
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// The first A record of `name` at `addr`.
pub fn a(addr: SocketAddr, name: &str) -> Option<String> {
    dig(addr, &[name, "A", "+short"]).lines().next().map(str::to_string)
}

/// Fails the test (rather than skipping it) when a tool is missing.
pub fn require(tools: &[&str]) {
    for t in tools {
        let ok = Command::new("sh").args(["-c", &format!("command -v {t}")]).output().is_ok_and(|o| o.status.success());
        assert!(ok, "{t} is not installed: apt-get install -y bind9 knot knot-dnsutils dnsutils");
    }
}

/// Writes an ironbind config file (`version = 1` plus `body`) into `dir`.
pub fn ironbind_config(dir: &Path, body: &str) -> String {
    let p = dir.join("ironbind.toml");
    std::fs::write(&p, format!("version = 1\n{body}")).unwrap();
    p.display().to_string()
}

/// A secondary `[[zone]]` section for `zone` with these primaries, allowing
/// transfers from loopback (so tests can compare contents by AXFR).
pub fn secondary_zone(zone: &str, primaries: &[String]) -> String {
    let list = primaries.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", ");
    format!("[[zone]]\nname = \"{zone}\"\ntype = \"secondary\"\nprimaries = [{list}]\nallow_transfer = [\"127.0.0.0/8\"]\n")
}

/// Starts an ironbind secondary of `zone` on `port`, following the primary
/// (BIND or Knot) on 127.0.0.1:`primary_port`, signing with the test key when
/// `tsig`; waits for its first transfer, which must be an AXFR of serial 1.
pub fn secondary_of(zone: &str, primary_port: u16, port: u16, tsig: bool) -> Ironbind {
    let sdir = tempdir("s");
    let primary = if tsig { format!("127.0.0.1:{primary_port}@{KEY}") } else { format!("127.0.0.1:{primary_port}") };
    let cfg = ironbind_config(&sdir, &secondary_zone(zone, &[primary]));
    let key_arg = format!("{KEY}=hmac-sha256:{SECRET}");
    let s = Ironbind::start("secondary", port, &sdir.join("data"), &["--config", &cfg, "--tsig-key", &key_arg]);
    let from = format!("transfer of '{zone}/IN' from 127.0.0.1#{primary_port}: Transfer completed:");
    let line = s.proc.expect(0, &[&from, "(serial 1)"], Duration::from_secs(30));
    assert!(line.contains("op=\"axfr\""), "{line}");
    s
}

/// After a change on the primary from log position `from`: its NOTIFY arrives
/// and an IXFR brings serial 2. Returns the `Transfer completed` line.
pub fn expect_notified_ixfr(s: &Ironbind, from: usize) -> String {
    s.proc.expect(from, &["notify received; refreshing now"], Duration::from_secs(30));
    let line = s.proc.expect(from, &["Transfer completed:", "(serial 2)"], Duration::from_secs(30));
    assert!(line.contains("op=\"ixfr\""), "{line}");
    line
}

/// `(messages, records)` from a `Transfer completed` line.
pub fn completed_counts(line: &str) -> (usize, usize) {
    let tail = line.split("Transfer completed: ").nth(1).expect("a Transfer completed line");
    let mut n = tail.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse::<usize>().unwrap());
    (n.next().unwrap(), n.next().unwrap())
}

/// A NOTIFY for `zone` (RFC 1996 §3.7) with message ID `id`.
pub fn notify_msg(id: u16, zone: &str) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x24, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // opcode NOTIFY, AA; QDCOUNT 1
    for l in zone.trim_end_matches('.').split('.') {
        m.push(l.len() as u8);
        m.extend_from_slice(l.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 6, 0, 1]); // root, SOA, IN
    m
}

/// Sends a NOTIFY from `from` (an address on loopback) to `to`; returns the
/// answer's RCODE, or `None` without an answer in 3 s.
pub fn send_notify(from: &str, to: SocketAddr, zone: &str) -> Option<u8> {
    let s = UdpSocket::bind(from).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.send_to(&notify_msg(0x4242, zone), to).unwrap();
    let mut b = [0u8; 512];
    let (n, _) = s.recv_from(&mut b).ok()?;
    (n >= 12 && b[..2] == [0x42, 0x42]).then_some(b[3] & 0x0f)
}
