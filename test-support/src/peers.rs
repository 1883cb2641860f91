//! BIND9 `named` and Knot `knotd` from the Debian packages, run in the
//! foreground on a loopback port with their config in a fresh directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::net::local;
use crate::proc::Proc;
use crate::tmp::tempdir;

/// Fails the test (rather than skipping it) when a tool is missing.
pub fn require(tools: &[&str]) {
    for t in tools {
        let ok = Command::new("sh").args(["-c", &format!("command -v {t}")]).output().is_ok_and(|o| o.status.success());
        assert!(ok, "{t} is not installed: apt-get install -y bind9 knot knot-dnsutils dnsutils");
    }
}

/// A running BIND9 `named -g`, stopped when dropped.
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
    /// into a new directory with `files` (name, text) and starts `named -g`
    /// on 127.0.0.1:`port`; waits until it logs `running`.
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
        // Its last start-up line is `<time> running`; `running on Linux …` and
        // `running as: …` come first, before the zones are loaded.
        let ready = proc.wait_line(0, |l| l.trim_end().ends_with(" running"), Duration::from_secs(30));
        assert!(ready.is_some(), "named did not start:\n{}", proc.log());
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

/// A running Knot `knotd`, stopped when dropped.
pub struct Knot {
    /// The process.
    pub proc: Proc,
    /// Its address.
    pub addr: SocketAddr,
    /// Its directory.
    pub dir: PathBuf,
}

impl Knot {
    /// Writes `knot.conf` (server, database, control and log sections plus
    /// `rest`, where `%DIR%` stands for the new directory) into a new
    /// directory with `files` (name, text) and starts `knotd` on
    /// 127.0.0.1:`port`; waits until it logs `server started`.
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
