//! Helpers shared by the `xfr_*` integration tests (and the control, cookie,
//! update and disk tests that reuse them): zone texts, the test TSIG key, an
//! `ironbind` started with the flags these tests share, secondaries of a peer,
//! NOTIFY messages, and looking at servers with `dig`.
//!
//! Processes (`ironbind`, BIND9 `named`, Knot `knotd`), ports and temp dirs
//! come from `ironbind-test-support`, re-exported here.
#![allow(dead_code, unused_imports)]

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub use ironbind_test_support::*;

/// A TSIG secret shared by the tests (base64 of 32 octets).
pub const SECRET: &str = "aXJvbmJpbmQtdGVzdC1zZWNyZXQtMzItb2N0ZXRzISE=";
/// The key name used with [`SECRET`].
pub const KEY: &str = "xfr-key";

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

/// Starts `ironbind --listen 127.0.0.1:PORT --data-dir DIR --udp-workers 1
/// --log-format text --log-level info ARGS…` and waits until it listens.
pub fn start_ironbind(tag: &str, port: u16, data_dir: &Path, args: &[&str]) -> Ironbind {
    launch!(tag)
        .listen(local(port))
        .data_dir(data_dir)
        .args(["--udp-workers", "1", "--log-format", "text", "--log-level", "info"])
        .args(args.iter().copied())
        .start()
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

/// Writes an ironbind config file (`version = 1` plus `body`) into `dir`; returns its path.
pub fn ironbind_config(dir: &Path, body: &str) -> String {
    write_config(dir, body).display().to_string()
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
    let s = start_ironbind("secondary", port, &sdir.join("data"), &["--config", &cfg, "--tsig-key", &key_arg]);
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
