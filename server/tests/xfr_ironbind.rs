//! ironbind as the secondary of an ironbind primary, both real processes on
//! loopback: AXFR, then a changed primary file + SIGHUP → NOTIFY → IXFR of
//! exactly the change; restarts serving the saved serial and journal at once;
//! SOA timers to expiry (SERVFAIL) and back; failover between primaries,
//! NOTIFY coalescing and its ACL; TSIG; kill -9 in the middle of a transfer.

mod xfr_common;

use std::time::{Duration, Instant};

use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";

/// The zone with 60 hosts (so a small change's diff stays below the zone's
/// size and is journalled, RFC 1995 §5) and the given SOA timers.
fn v(serial: u32, timers: (u32, u32, u32), extra: &str) -> String {
    zone_text(ZONE, serial, timers, 60, extra)
}

const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

/// A primary serving `text` from a file, allowing loopback transfers and
/// NOTIFYing `notify` ports.
fn primary(dir: &std::path::Path, port: u16, text: &str, notify: &[u16], extra: &[&str]) -> (Ironbind, std::path::PathBuf) {
    let file = dir.join("example.com.zone");
    std::fs::write(&file, text).unwrap();
    let zone_arg = format!("{ZONE}={}", file.display());
    let notify: Vec<String> = notify.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut args = vec!["--zone", &zone_arg];
    if !extra.contains(&"--allow-transfer-key") {
        args.extend(["--allow-transfer", "127.0.0.0/8"]);
    }
    for n in &notify {
        args.extend(["--also-notify", n.as_str()]);
    }
    args.extend(extra);
    (start_ironbind("primary", port, &dir.join("data"), &args), file)
}

/// A secondary from a config file (so it allows AXFR for comparisons).
fn secondary(dir: &std::path::Path, port: u16, primaries: &[String], extra: &[&str]) -> Ironbind {
    let cfg = ironbind_config(dir, &secondary_zone(ZONE, primaries));
    let mut args = vec!["--config", cfg.as_str()];
    args.extend(extra);
    start_ironbind("secondary", port, &dir.join("data"), &args)
}

#[test]
fn secondary_follows_primary_axfr_then_ixfr_and_survives_restarts() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("p"), tempdir("s"));
    let (pp, sp) = (free_port(), free_port());
    let (mut p, file) = primary(&pdir, pp, &v(1, SLOW, ""), &[sp], &[]);
    let mut s = secondary(&sdir, sp, &[format!("127.0.0.1:{pp}")], &[]);

    // First load: a full transfer.
    let line = s.proc.expect(0, &["transfer of 'example.com/IN' from 127.0.0.1#", "Transfer completed:", "(serial 1)"], 20 * S);
    assert!(line.contains("op=\"axfr\"") && line.contains(" INFO "), "{line}");
    assert_eq!(axfr(s.addr, ZONE, false), axfr(p.addr, ZONE, false));
    assert_eq!(axfr(s.addr, ZONE, false).len(), 63);

    // Change the primary's file and SIGHUP: NOTIFY, then an IXFR of exactly the change.
    let (pl, sl) = (p.proc.log_len(), s.proc.log_len());
    let changed = v(2, SLOW, "new TXT \"added\"\n").replace("h3 A 10.0.0.3\n", "h3 A 10.9.9.9\n").replace("h4 A 10.0.0.4\n", "");
    std::fs::write(&file, changed).unwrap();
    p.reload();
    p.proc.expect(pl, &["zone reloaded: serial 1 -> 2"], 20 * S);
    p.proc.expect(pl, &["sending notifies (serial 2)", &format!("127.0.0.1#{sp}")], 10 * S);
    s.proc.expect(sl, &["notify received; refreshing now"], 10 * S);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 2)"], 20 * S);
    assert!(line.contains("op=\"ixfr\""), "{line}");
    // SOA, old SOA, 2 removed, new SOA, 2 added, SOA: nothing else.
    assert_eq!(completed_counts(&line), (1, 8), "{line}");
    p.proc.expect(pl, &["IXFR started", "incremental"], 5 * S);
    assert_eq!(axfr(s.addr, ZONE, false), axfr(p.addr, ZONE, false));
    assert_eq!(a(s.addr, "h3.example.com").as_deref(), Some("10.9.9.9"));
    assert_eq!(status(s.addr, "h4.example.com", "A"), "NXDOMAIN");

    // The secondary answers IXFR from its own journal.
    let ixfr = dig(s.addr, &[ZONE, "IXFR=1", "+noall", "+answer"]);
    assert_eq!(ixfr.lines().filter(|l| !l.is_empty()).count(), 8, "{ixfr}");

    // Restart the secondary with the primary down: the saved serial at once, no transfer.
    p.proc.stop();
    s.restart();
    assert_eq!(serial(s.addr, ZONE), Some(2), "serves the saved copy at once");
    s.proc.expect(0, &["loaded serial 2 from the data directory"], 5 * S);
    assert!(s.proc.lines_with(0, &["Transfer completed"]).is_empty());
    let ixfr = dig(s.addr, &[ZONE, "IXFR=1", "+noall", "+answer"]);
    assert_eq!(ixfr.lines().filter(|l| !l.is_empty()).count(), 8, "journal kept across the restart: {ixfr}");

    // Restart the primary: same serial, IXFR from its journal, and no new transfer needed.
    let sl = s.proc.log_len();
    p.restart();
    assert_eq!(serial(p.addr, ZONE), Some(2));
    let ixfr = dig(p.addr, &[ZONE, "IXFR=1", "+noall", "+answer"]);
    assert_eq!(ixfr.lines().filter(|l| !l.is_empty()).count(), 8, "primary journal kept: {ixfr}");
    // The restarted primary NOTIFYs; the secondary finds itself up to date.
    s.proc.expect(sl, &["notify received"], 10 * S);
    std::thread::sleep(S);
    assert!(s.proc.lines_with(sl, &["Transfer completed"]).is_empty(), "no transfer after restarts:\n{}", s.proc.log());
}

#[test]
fn expires_to_servfail_and_recovers() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("p"), tempdir("s"));
    let (pp, sp) = (free_port(), free_port());
    // REFRESH 1 s, RETRY 1 s, EXPIRE 6 s.
    let (mut p, _) = primary(&pdir, pp, &v(1, (1, 1, 6), ""), &[], &[]);
    let mut s = secondary(&sdir, sp, &[format!("127.0.0.1:{pp}")], &[]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 20 * S);

    p.proc.kill9();
    let down = Instant::now();
    s.proc.expect(0, &["refresh: failure trying primary", &format!("127.0.0.1#{pp}"), "connection refused"], 10 * S);
    assert_eq!(status(s.addr, "h1.example.com", "A"), "NOERROR", "still answering before EXPIRE");
    s.proc.expect(0, &["zone example.com/IN: expired"], 15 * S);
    assert!(down.elapsed() >= 4 * S, "expired too early: {:?}", down.elapsed());
    assert_eq!(status(s.addr, "h1.example.com", "A"), "SERVFAIL");

    // A restart keeps it expired: the timers are on disk.
    s.restart();
    assert_eq!(status(s.addr, "h1.example.com", "A"), "SERVFAIL", "expired across a restart");

    // The primary comes back: the zone answers again.
    p = primary(&pdir, pp, &v(1, (1, 1, 6), ""), &[], &[]).0;
    assert!(wait_until(15 * S, || status(s.addr, "h1.example.com", "A") == "NOERROR"), "{}", s.proc.log());
    s.proc.expect(0, &["answering again"], 5 * S);
    drop(p);
}

#[test]
fn fails_over_coalesces_notify_bursts_and_refuses_strangers() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("p"), tempdir("s"));
    let (pp, sp) = (free_port(), free_port());
    let (_p, _) = primary(&pdir, pp, &v(1, SLOW, ""), &[], &[]);
    // The first primary never answers: every refresh waits out its SOA timeout.
    let blackhole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let bh = blackhole.local_addr().unwrap().port();
    let secondary_arg = format!("{ZONE}=127.0.0.1:{bh},127.0.0.1:{pp}");
    let s = start_ironbind("secondary", sp, &sdir.join("data"), &["--secondary", &secondary_arg]);
    s.proc.expect(0, &["refresh: failure trying primary", &format!("127.0.0.1#{bh}"), "timed out"], 20 * S);
    s.proc.expect(0, &["transfer of 'example.com/IN' from", &format!("127.0.0.1#{pp}"), "(serial 1)"], 20 * S);
    assert_eq!(a(s.addr, "h7.example.com").as_deref(), Some("10.0.0.7"));

    // 50 NOTIFYs at once: one refresh, plus at most one queued behind it.
    let sl = s.proc.log_len();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..50u16 {
        sock.send_to(&notify_msg(i, ZONE), s.addr).unwrap();
    }
    std::thread::sleep(8 * S);
    let refreshes = s.proc.lines_with(sl, &["notify received; refreshing now"]).len();
    assert!((1..=2).contains(&refreshes), "{refreshes} refreshes for a burst of 50 NOTIFYs");

    // NOTIFY from an address that is not a primary: REFUSED, no refresh.
    let sl = s.proc.log_len();
    assert_eq!(send_notify("127.0.0.2:0", s.addr, ZONE), Some(5), "REFUSED");
    std::thread::sleep(S);
    assert!(s.proc.lines_with(sl, &["notify received; refreshing now"]).is_empty());
    // From a primary's address: answered NOERROR.
    assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
    drop(blackhole);
}

#[test]
fn tsig_signed_transfers_and_notify() {
    require(&["dig"]);
    let (pdir, sdir, udir) = (tempdir("p"), tempdir("s"), tempdir("u"));
    let (pp, sp, up) = (free_port(), free_port(), free_port());
    let key = format!("{KEY}=hmac-sha256:{SECRET}");
    let notify = format!("127.0.0.1:{sp}@{KEY}");
    let (p, file) = primary(&pdir, pp, &v(1, SLOW, ""), &[], &["--tsig-key", &key, "--allow-transfer-key", KEY, "--also-notify", &notify]);
    let s = secondary(&sdir, sp, &[format!("127.0.0.1:{pp}@{KEY}")], &["--tsig-key", &key]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 20 * S);

    // Without the key: refused, in BIND's words.
    let u = start_ironbind("unsigned", up, &udir.join("data"), &["--secondary", &format!("{ZONE}=127.0.0.1:{pp}")]);
    u.proc.expect(0, &[&format!("transfer of 'example.com/IN' from 127.0.0.1#{pp}: failed while receiving responses: REFUSED")], 20 * S);
    assert_eq!(status(u.addr, "h1.example.com", "A"), "REFUSED", "never loaded: not served");

    // A change reaches the signed secondary through a signed NOTIFY and IXFR.
    let sl = s.proc.log_len();
    std::fs::write(&file, v(2, SLOW, "new A 192.0.2.99\n")).unwrap();
    p.reload();
    s.proc.expect(sl, &["notify received"], 10 * S);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 2)"], 20 * S);
    assert!(line.contains("op=\"ixfr\""), "{line}");
    assert_eq!(a(s.addr, "new.example.com").as_deref(), Some("192.0.2.99"));
    assert_eq!(axfr(p.addr, ZONE, true), axfr(s.addr, ZONE, false));
    assert!(axfr(p.addr, ZONE, false).is_empty(), "the primary refuses unsigned AXFR");
}

#[test]
fn kill_9_mid_transfer_serves_the_last_complete_version() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("p"), tempdir("s"));
    let (pp, sp) = (free_port(), free_port());
    let small = v(1, SLOW, "");
    let (mut p, file) = primary(&pdir, pp, &small, &[sp], &[]);
    let mut s = secondary(&sdir, sp, &[format!("127.0.0.1:{pp}")], &[]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 20 * S);
    let v1 = axfr(s.addr, ZONE, false);

    // A big new version; kill the secondary while it transfers it.
    std::fs::write(&file, zone_text(ZONE, 2, SLOW, 150_000, "")).unwrap();
    let (sl, pl) = (s.proc.log_len(), p.proc.log_len());
    p.reload();
    s.proc.expect(sl, &["has serial 2, ours 1: transferring"], 120 * S);
    // The primary has started streaming the 150k records (about 2 s in a debug build).
    p.proc.expect(pl, &["IXFR started (serial 1 -> 2"], 60 * S);
    std::thread::sleep(Duration::from_millis(300));
    let done_before_kill = !s.proc.lines_with(sl, &["Transfer completed:", "(serial 2)"]).is_empty();
    s.proc.kill9();
    p.proc.stop();

    // Restarted with the primary down: a complete version, never torn or empty.
    s.restart_after_kill();
    let got = serial(s.addr, ZONE);
    if done_before_kill {
        assert!(matches!(got, Some(1 | 2)), "{got:?}");
    } else {
        assert_eq!(got, Some(1), "the last complete version");
        assert_eq!(axfr(s.addr, ZONE, false), v1);
    }
    let leftovers: Vec<_> =
        std::fs::read_dir(sdir.join("data/zones")).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "temporary files are cleaned at startup: {leftovers:?}");

    // The primary comes back: the secondary completes the transfer.
    p.restart();
    assert!(wait_until(120 * S, || serial(s.addr, ZONE) == Some(2)), "{}", s.proc.log());
    assert_eq!(a(s.addr, "h149999.example.com").as_deref(), Some("10.2.73.239"));
    drop(p);
}

#[test]
fn sighup_adds_and_removes_secondary_zones() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("p"), tempdir("s"));
    let (pp, sp) = (free_port(), free_port());
    let net = pdir.join("example.net.zone");
    std::fs::write(&net, zone_text("example.net", 7, SLOW, 5, "")).unwrap();
    let net_arg = format!("example.net={}", net.display());
    let (_p, _) = primary(&pdir, pp, &v(1, SLOW, ""), &[], &["--zone", &net_arg]);
    let primaries = [format!("127.0.0.1:{pp}")];
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &primaries));
    let s = start_ironbind("secondary", sp, &sdir.join("data"), &["--config", &cfg]);
    s.proc.expect(0, &["transfer of 'example.com/IN'", "(serial 1)"], 20 * S);
    assert!(wait_until(5 * S, || sdir.join("data/zones/example.com.zone").exists()));

    // The config now names example.net instead: SIGHUP picks it up.
    ironbind_config(&sdir, &secondary_zone("example.net", &primaries));
    let sl = s.proc.log_len();
    s.reload();
    s.proc.expect(sl, &["transfer of 'example.net/IN'", "(serial 7)"], 20 * S);
    assert_eq!(serial(s.addr, "example.net"), Some(7));
    assert_eq!(status(s.addr, "h1.example.com", "A"), "REFUSED", "example.com is no longer served");
    assert!(!sdir.join("data/zones/example.com.zone").exists(), "its files are removed");
    assert!(sdir.join("data/zones/example.net.zone").exists());
}

#[test]
fn primary_journals_a_file_changed_while_it_was_down() {
    require(&["dig"]);
    let pdir = tempdir("p");
    let pp = free_port();
    let (mut p, file) = primary(&pdir, pp, &v(1, SLOW, ""), &[], &[]);
    assert_eq!(serial(p.addr, ZONE), Some(1));
    p.proc.stop();
    std::fs::write(&file, v(2, SLOW, "").replace("h2 A 10.0.0.2\n", "h2 A 10.7.7.7\n")).unwrap();
    p.restart();
    assert_eq!(serial(p.addr, ZONE), Some(2));
    // SOA 2, SOA 1, old h2, SOA 2, new h2, SOA 2.
    let ixfr = dig(p.addr, &[ZONE, "IXFR=1", "+noall", "+answer"]);
    assert_eq!(ixfr.lines().filter(|l| !l.is_empty()).count(), 6, "{ixfr}");
    assert!(ixfr.contains("10.7.7.7") && ixfr.contains("10.0.0.2"), "{ixfr}");
}
