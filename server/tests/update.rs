//! Dynamic update (RFC 2136) through the real binary with `nsupdate` from
//! bind9-dnsutils: add and delete over UDP and TCP, a failed prerequisite
//! changes nothing, unsigned / wrongly keyed / badly signed updates are
//! refused, a secondary refuses updates and receives each change by IXFR
//! after NOTIFY, and the updates survive a restart and a SIGHUP.

mod xfr_common;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
/// The key allowed to update (the shared test secret).
const UPD: &str = "upd-key";
/// A key the server knows but the zone does not list in `allow_update`.
const OTHER: &str = "other-key";
const OTHER_SECRET: &str = "b3RoZXIta2V5LXNlY3JldC1mb3ItdGhlLXRlc3RzISE=";

/// How `nsupdate` signs.
#[derive(Clone, Copy)]
enum Sign {
    None,
    Key(&'static str, &'static str),
}

/// Runs `nsupdate` against `addr` (TCP with `-v`) with `body` between the
/// `server`/`zone` lines and `send`. Returns (success, stdout + stderr).
fn nsupdate(addr: SocketAddr, sign: Sign, tcp: bool, body: &str) -> (bool, String) {
    nsupdate_zone(addr, ZONE, sign, tcp, body)
}

/// [`nsupdate`] for another zone.
fn nsupdate_zone(addr: SocketAddr, zone: &str, sign: Sign, tcp: bool, body: &str) -> (bool, String) {
    let mut cmd = Command::new("nsupdate");
    cmd.args(["-t", "30", "-u", "2"]);
    if tcp {
        cmd.arg("-v");
    }
    if let Sign::Key(name, secret) = sign {
        cmd.args(["-y", &format!("hmac-sha256:{name}:{secret}")]);
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run nsupdate");
    let script = format!("server {} {}\nzone {zone}\n{body}\nsend\n", addr.ip(), addr.port());
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs Knot's `knsupdate` with the update key; (success, output).
fn knsupdate(addr: SocketAddr, body: &str) -> (bool, String) {
    let mut c = Command::new("knsupdate")
        .args(["-t", "10", "-y", &format!("hmac-sha256:{UPD}:{SECRET}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run knsupdate");
    let script = format!("server {} {}\nzone {ZONE}.\n{body}\nsend\n", addr.ip(), addr.port());
    c.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// Asserts the update fails with `rcode` as nsupdate reports it.
fn fails_with(r: (bool, String), rcode: &str) {
    assert!(!r.0 && r.1.contains(rcode), "expected {rcode}, got: {}", r.1);
}

fn ok(r: (bool, String)) {
    assert!(r.0, "nsupdate failed: {}", r.1);
}

fn answers(addr: SocketAddr, name: &str, qtype: &str) -> Vec<String> {
    let mut v: Vec<String> = dig(addr, &[name, qtype, "+short"]).lines().map(str::to_string).collect();
    v.sort();
    v
}

/// A primary for `example.com` (60 hosts, so a small change is journalled)
/// allowing updates with [`UPD`], NOTIFYing `notify` (a port on loopback).
fn primary(dir: &std::path::Path, port: u16, notify: u16) -> Ironbind {
    let file = dir.join("example.com.zone");
    std::fs::write(&file, zone_text(ZONE, 1, (3600, 600, 86_400), 60, "www A 192.0.2.80\n")).unwrap();
    let cfg = ironbind_config(
        dir,
        &format!(
            "[[tsig_key]]\nname = \"{UPD}\"\nsecret = \"{SECRET}\"\n[[tsig_key]]\nname = \"{OTHER}\"\nsecret = \"{OTHER_SECRET}\"\n\
             [[zone]]\nname = \"{ZONE}\"\nfile = \"{}\"\nallow_transfer = [\"127.0.0.0/8\"]\nalso_notify = [\"127.0.0.1:{notify}\"]\n\
             notify_ns = false\nallow_update = [\"{UPD}\"]\n",
            file.display()
        ),
    );
    start_ironbind("primary", port, &dir.join("data"), &["--config", &cfg])
}

#[test]
fn nsupdate_adds_deletes_and_secondaries_follow() {
    require(&["dig", "nsupdate", "knsupdate"]);
    let (pdir, sdir) = (tempdir("upd-p"), tempdir("upd-s"));
    let (pp, sp) = (free_port(), free_port());
    let mut p = primary(&pdir, pp, sp);
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{pp}")]));
    let key_arg = format!("{UPD}=hmac-sha256:{SECRET}");
    let s = start_ironbind("secondary", sp, &sdir.join("data"), &["--config", &cfg, "--tsig-key", &key_arg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 30 * S);
    let key = Sign::Key(UPD, SECRET);

    // Add over UDP: serial 1 -> 2, the secondary gets exactly that by IXFR.
    let (pl, sl) = (p.proc.log_len(), s.proc.log_len());
    ok(nsupdate(p.addr, key, false, "update add new.example.com 300 A 192.0.2.77\nupdate add new.example.com 300 TXT \"hello\""));
    assert_eq!(serial(p.addr, ZONE), Some(2));
    assert_eq!(answers(p.addr, "new.example.com", "A"), ["192.0.2.77"]);
    p.proc.expect(pl, &["client 127.0.0.1#", "/key upd-key: updating zone 'example.com/IN': 2 operations applied, serial 1 -> 2"], 5 * S);
    let line = expect_notified_ixfr(&s, sl);
    // SOA, old SOA, new SOA, 2 added, SOA.
    assert_eq!(completed_counts(&line), (1, 6), "{line}");
    assert_eq!(answers(s.addr, "new.example.com", "TXT"), ["\"hello\""]);

    // Delete over TCP (nsupdate -v): an RRset, and a name.
    ok(nsupdate(p.addr, key, true, "update delete www.example.com A\nupdate delete h7.example.com"));
    assert_eq!(serial(p.addr, ZONE), Some(3));
    assert_eq!(status(p.addr, "www.example.com", "A"), "NXDOMAIN");
    assert_eq!(status(p.addr, "h7.example.com", "A"), "NXDOMAIN");
    assert!(wait_until(20 * S, || serial(s.addr, ZONE) == Some(3)), "secondary did not follow to serial 3");
    assert_eq!(axfr(s.addr, ZONE, false), axfr(p.addr, ZONE, false));

    // A prerequisite that fails: YXDOMAIN, nothing applied, serial unchanged.
    fails_with(nsupdate(p.addr, key, false, "prereq nxdomain new.example.com\nupdate add guarded.example.com 300 A 192.0.2.9"), "YXDOMAIN");
    fails_with(nsupdate(p.addr, key, true, "prereq yxrrset new.example.com AAAA\nupdate add guarded.example.com 300 A 192.0.2.9"), "NXRRSET");
    assert_eq!(status(p.addr, "guarded.example.com", "A"), "NXDOMAIN");
    assert_eq!(serial(p.addr, ZONE), Some(3));
    // A prerequisite that holds, with a value-dependent one.
    ok(nsupdate(
        p.addr,
        key,
        false,
        "prereq yxrrset new.example.com A 192.0.2.77\nprereq nxdomain guarded.example.com\nupdate add guarded.example.com 300 A 192.0.2.9",
    ));
    assert_eq!(answers(p.addr, "guarded.example.com", "A"), ["192.0.2.9"]);
    assert_eq!(serial(p.addr, ZONE), Some(4));
    // A result the zone rules forbid (data below a DNAME): REFUSED, nothing changed.
    fails_with(
        nsupdate(p.addr, key, false, "update add deep.dn.example.com 300 A 192.0.2.1\nupdate add dn.example.com 300 DNAME example.net."),
        "REFUSED",
    );
    assert_eq!(status(p.addr, "deep.dn.example.com", "A"), "NXDOMAIN");
    assert_eq!(serial(p.addr, ZONE), Some(4));
    // Nothing to change: NOERROR, same serial.
    ok(nsupdate(p.addr, key, false, "update delete absent.example.com A"));
    assert_eq!(serial(p.addr, ZONE), Some(4));
    // Knot's knsupdate: a failed prerequisite, then a change it undoes at once.
    let (okay, out) = knsupdate(p.addr, "prereq nxdomain guarded.example.com.\nupdate add k.example.com. 300 A 192.0.2.10");
    assert!(!okay && out.contains("YXDOMAIN"), "{out}");
    let (okay, out) = knsupdate(p.addr, "update add k.example.com. 300 A 192.0.2.10\nupdate delete k.example.com. A");
    assert!(okay, "{out}");
    assert_eq!(serial(p.addr, ZONE), Some(4));

    // Not allowed: unsigned, a key not listed, a bad signature, a zone not
    // served, a secondary. Nothing changes anywhere.
    let before = axfr(p.addr, ZONE, false);
    let evil = "update add evil.example.com 300 A 192.0.2.66";
    fails_with(nsupdate(p.addr, Sign::None, false, evil), "REFUSED");
    fails_with(nsupdate(p.addr, Sign::Key(OTHER, OTHER_SECRET), false, evil), "REFUSED");
    p.proc.expect(0, &["client 127.0.0.1#", "/key other-key: update 'example.com/IN' denied"], 5 * S);
    fails_with(nsupdate(p.addr, Sign::Key(UPD, OTHER_SECRET), true, evil), "NOTAUTH");
    fails_with(nsupdate_zone(p.addr, "example.org", key, false, "update add x.example.org 300 A 192.0.2.1"), "NOTAUTH");
    let sl = s.proc.log_len();
    fails_with(nsupdate(s.addr, key, false, evil), "REFUSED");
    s.proc.expect(sl, &["update forwarding 'example.com/IN' denied"], 5 * S);
    assert_eq!(axfr(p.addr, ZONE, false), before);
    assert_eq!(serial(p.addr, ZONE), Some(4));
    assert_eq!(status(s.addr, "evil.example.com", "A"), "NXDOMAIN");

    // The updates survive a restart (data directory and journal) and a SIGHUP
    // with the file unchanged; secondaries still get IXFR from the journal.
    let served = axfr(p.addr, ZONE, false);
    // kill -9: an answered update is on disk already.
    p.restart_after_kill();
    assert_eq!(serial(p.addr, ZONE), Some(4));
    assert_eq!(axfr(p.addr, ZONE, false), served);
    let pl = p.proc.log_len();
    p.reload();
    p.proc.expect(pl, &["reload done"], 10 * S);
    assert_eq!(axfr(p.addr, ZONE, false), served);
    let ixfr = dig(p.addr, &[ZONE, "IXFR=3", "+noall", "+answer"]);
    assert!(ixfr.contains("guarded.example.com.") && !ixfr.contains("h10.example.com."), "IXFR from 3 is incremental:\n{ixfr}");
}

/// An UPDATE waiting for its commit does not hold up queries on the same
/// UDP worker (there is one): they are answered meanwhile.
#[test]
fn queries_are_answered_while_an_update_commits() {
    require(&["dig", "nsupdate"]);
    let dir = tempdir("upd-slow");
    let port = free_port();
    let file = dir.join("example.com.zone");
    // Big enough that building and saving a version takes a while.
    std::fs::write(&file, zone_text(ZONE, 1, (3600, 600, 86_400), 200_000, "")).unwrap();
    let cfg = ironbind_config(
        &dir,
        &format!("[[tsig_key]]\nname = \"{UPD}\"\nsecret = \"{SECRET}\"\n[[zone]]\nname = \"{ZONE}\"\nfile = \"{}\"\nnotify_ns = false\nallow_update = [\"{UPD}\"]\n", file.display()),
    );
    let p = start_ironbind("primary", port, &dir.join("data"), &["--config", &cfg]);
    assert!(wait_until(60 * S, || serial(p.addr, ZONE) == Some(1)));
    let addr = p.addr;
    let started = Instant::now();
    let update = std::thread::spawn(move || nsupdate(addr, Sign::Key(UPD, SECRET), false, "update add slow.example.com 300 A 192.0.2.5"));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(2 * S)).unwrap();
    let query = dns_query(0x0101, "h5.example.com");
    let mut worst = Duration::ZERO;
    let mut answered = 0;
    while !update.is_finished() {
        let t = Instant::now();
        sock.send_to(&query, addr).unwrap();
        let mut b = [0u8; 512];
        let n = sock.recv(&mut b).expect("a query is answered while the update commits");
        assert!(n > 12 && b[..2] == [0x01, 0x01] && b[3] & 0x0f == 0);
        worst = worst.max(t.elapsed());
        answered += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = started.elapsed();
    ok(update.join().unwrap());
    assert_eq!(serial(p.addr, ZONE), Some(2));
    // The commit must take long enough to mean something.
    assert!(took > 4 * worst && answered >= 5, "update took {took:?}; {answered} queries, slowest {worst:?}");
}

/// A plain A query for `name` with ID `id`.
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for l in name.split('.') {
        m.push(l.len() as u8);
        m.extend_from_slice(l.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}
