//! Operations endpoints through the real binary: `/metrics` counters move by
//! exactly the queries sent (UDP and TCP, by QTYPE and RCODE, one truncated,
//! a transfer out, a NOTIFY in), the zone serial gauge matches the zone,
//! `/readyz` is 200 with every zone loaded and 503 while a secondary has
//! never transferred (its primary is unreachable), `/healthz` answers without
//! a token; `--log-queries` logs each query, which is off by default; and
//! `--log-format json` writes one JSON object per line.

mod net_common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use net_common::*;

const MX: u16 = 15;
const AXFR: u16 = 252;
const SERIAL: u32 = 2024010107;

/// `m.test` at `serial`. Its only NS is the SOA MNAME, so nobody is
/// NOTIFYed but `--also-notify` targets (nothing leaves the machine).
fn zone_text(serial: u32) -> String {
    let mut z =
        format!("$ORIGIN m.test.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n");
    // 12 × 200 octets: far above the 1232 the queries offer, so UDP truncates.
    for i in 0..12 {
        z.push_str(&format!("big TXT \"{i:02}{}\"\n", "x".repeat(198)));
    }
    z
}

/// `GET path` over HTTP/1.0 (the server closes when done): status and body.
fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no header end: {text:?}")))?;
    let status =
        head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other(format!("bad status line: {head:?}")))?;
    Ok((status, body.to_string()))
}

/// Waits until the control server answers `/healthz`.
fn wait_control(ctl: SocketAddr) {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        match http_get(ctl, "/healthz") {
            Ok((200, _)) => return,
            r if Instant::now() > end => panic!("control server on {ctl} never answered /healthz: {r:?}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// `/metrics` as `name{labels}` → value.
fn scrape(ctl: SocketAddr) -> HashMap<String, f64> {
    let (status, body) = http_get(ctl, "/metrics").unwrap();
    assert_eq!(status, 200, "{body}");
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad sample line {l:?}"));
            (k.to_string(), v.parse().unwrap_or_else(|_| panic!("bad value in {l:?}")))
        })
        .collect()
}

/// A series' value, 0 when absent (counters are only listed once non-zero).
fn val(m: &HashMap<String, f64>, series: &str) -> f64 {
    m.get(series).copied().unwrap_or(0.0)
}

fn q(proto: &str, qtype: &str, rcode: &str) -> String {
    format!("ironbind_queries_total{{proto=\"{proto}\",qtype=\"{qtype}\",rcode=\"{rcode}\"}}")
}

/// Starts ironbind on `listen` (DNS) and `ctl` (control server, with a
/// token file the open endpoints must not need). With `primary` it serves
/// `m.test` from `dir/m.test.zone` and lets 127.0.0.1 transfer it.
fn start(dir: &Path, listen: &str, ctl: SocketAddr, primary: bool, extra: &[&str]) -> Ironbind {
    let zone = dir.join("m.test.zone");
    let token = dir.join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let data = dir.join("data");
    let ctl = ctl.to_string();
    let zone_arg = format!("m.test={}", zone.display());
    let mut args = vec!["--listen", listen, "--udp-workers", "2", "--data-dir", data.to_str().unwrap()];
    args.extend(["--control-listen", &ctl, "--control-token-file", token.to_str().unwrap()]);
    if primary {
        std::fs::write(&zone, zone_text(SERIAL)).unwrap();
        args.extend(["--zone", &zone_arg, "--allow-transfer", "127.0.0.1/32"]);
    }
    args.extend(extra);
    ironbind(&args)
}

/// Writes `dir/m.test.zone` at [`SERIAL`]; returns the `--data-dir` and
/// `--zone` arguments that serve it (no control API).
fn m_test_in(dir: &Path) -> (String, String) {
    let zone = dir.join("m.test.zone");
    std::fs::write(&zone, zone_text(SERIAL)).unwrap();
    (dir.join("data").to_str().unwrap().to_string(), format!("m.test={}", zone.display()))
}

fn ctl_addr() -> SocketAddr {
    format!("127.0.0.1:{}", free_port()).parse().unwrap()
}

fn udp(addr: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.send_to(msg, addr).unwrap();
    let mut b = vec![0u8; 65535];
    let n = s.recv(&mut b).expect("udp answer");
    b.truncate(n);
    b
}

#[test]
fn counters_move_by_exactly_the_queries_sent() {
    let dir = tempdir("metrics");
    let ctl = ctl_addr();
    let ib = start(&dir, "127.0.0.1:0", ctl, true, &[]);
    wait_control(ctl);
    let (status, body) = http_get(ctl, "/readyz").unwrap();
    assert_eq!(status, 200, "every zone is loaded: {body}");
    let before = scrape(ctl);
    let mut id = 0;
    let mut ask = |proto: &str, name: &str, qtype: u16| {
        id += 1;
        let m = query(id, name, qtype);
        if proto == "udp" {
            udp(ib.addr, &m)
        } else {
            tcp_query(ib.addr, &m)
        }
    };
    for _ in 0..7 {
        assert_eq!(rcode(&ask("udp", "www.m.test", A)), 0);
    }
    for _ in 0..5 {
        assert_eq!(rcode(&ask("udp", "nope.m.test", AAAA)), 3);
    }
    for _ in 0..3 {
        assert_eq!(rcode(&ask("udp", "www.elsewhere.invalid", MX)), 5);
    }
    let big = ask("udp", "big.m.test", TXT);
    assert!(big[2] & 0x02 != 0 && rcode(&big) == 0, "the big TXT RRset is truncated over UDP");
    for _ in 0..4 {
        assert_eq!(rcode(&ask("tcp", "www.m.test", A)), 0);
    }
    let big = ask("tcp", "big.m.test", TXT);
    assert!(big[2] & 0x02 == 0 && ancount(&big) == 12, "whole over TCP");
    let axfr = ask("tcp", "m.test", AXFR);
    assert_eq!((rcode(&axfr), soa_serial(&axfr)), (0, Some(SERIAL)));
    // A NOTIFY for a zone we are primary for: answered REFUSED.
    let mut notify = query(999, "m.test", SOA);
    notify[2] = 4 << 3;
    let resp = udp(ib.addr, &notify);
    assert_eq!(((resp[2] >> 3) & 0x0f, rcode(&resp)), (4, 5));

    // The AXFR is counted once its last message is written, which may be
    // just after the client has read it.
    let axfr_ok = "ironbind_transfers_out_total{kind=\"axfr\",result=\"success\"}";
    let mut after = scrape(ctl);
    let end = Instant::now() + Duration::from_secs(5);
    while val(&after, axfr_ok) == val(&before, axfr_ok) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        after = scrape(ctl);
    }
    let moved = |series: &str| val(&after, series) - val(&before, series);
    let want = [
        (q("udp", "A", "NOERROR"), 7.0),
        (q("udp", "AAAA", "NXDOMAIN"), 5.0),
        (q("udp", "MX", "REFUSED"), 3.0),
        (q("udp", "TXT", "NOERROR"), 1.0),
        (q("tcp", "A", "NOERROR"), 4.0),
        (q("tcp", "TXT", "NOERROR"), 1.0),
        (q("tcp", "AXFR", "NOERROR"), 1.0),
        ("ironbind_responses_truncated_total{proto=\"udp\"}".into(), 1.0),
        ("ironbind_responses_truncated_total{proto=\"tcp\"}".into(), 0.0),
        ("ironbind_requests_dropped_total{proto=\"udp\"}".into(), 0.0),
        (axfr_ok.into(), 1.0),
        ("ironbind_transfers_out_total{kind=\"axfr\",result=\"refused\"}".into(), 0.0),
        ("ironbind_notify_received_total{rcode=\"REFUSED\"}".into(), 1.0),
        ("ironbind_requests_total{proto=\"udp\",opcode=\"NOTIFY\",rcode=\"REFUSED\"}".into(), 1.0),
    ];
    for (series, n) in &want {
        assert_eq!(moved(series), *n, "{series}");
    }
    // Nothing else was counted as a query: 22 sent, 22 counted.
    let total: f64 = after.keys().filter(|k| k.starts_with("ironbind_queries_total{")).map(|k| moved(k)).sum();
    assert_eq!(total, 22.0);
    assert_eq!(val(&after, "ironbind_zone_serial{zone=\"m.test\"}"), SERIAL as f64);
    assert_eq!(val(&after, "ironbind_zones{state=\"loaded\"}"), 1.0);
    assert_eq!(val(&after, "ironbind_zones{state=\"pending\"}"), 0.0);
    assert!(!ib.log().contains("ironbind::query_log"), "no query log unless asked for");
    drop(ib);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn readyz_waits_for_a_secondary_that_never_transferred() {
    let dir = tempdir("metrics-ready");
    let ctl = ctl_addr();
    // Nobody listens on the primary's port: every refresh fails.
    let unreachable = format!("s.test=127.0.0.1:{}", free_port());
    let ib = start(&dir, "127.0.0.1:0", ctl, true, &["--secondary", &unreachable]);
    wait_control(ctl);
    assert!(ib.wait_line(0, |l| l.contains("s.test") && l.contains("refresh failed"), Duration::from_secs(20)).is_some(), "{}", ib.log());
    let (status, body) = http_get(ctl, "/readyz").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("s.test") && !body.contains("m.test"), "names the zone that is not ready: {body}");
    assert_eq!(http_get(ctl, "/healthz").unwrap().0, 200, "alive all the same");
    let m = scrape(ctl);
    assert_eq!(val(&m, "ironbind_zones{state=\"pending\"}"), 1.0);
    assert_eq!(val(&m, "ironbind_zones{state=\"loaded\"}"), 1.0);
    assert!(m.contains_key("ironbind_zone_serial{zone=\"m.test\"}") && !m.keys().any(|k| k.contains("s.test")));
    drop(ib);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn log_queries_logs_each_query() {
    let dir = tempdir("metrics-log");
    let (data, zone_arg) = m_test_in(&dir);
    let ib = ironbind(&["--listen", "127.0.0.1:0", "--data-dir", &data, "--zone", &zone_arg, "--log-queries"]);
    assert_eq!(rcode(&udp(ib.addr, &query(7, "nope.m.test", AAAA))), 3);
    let line = ib.wait_line(0, |l| l.contains("ironbind::query_log") && l.contains("nope.m.test"), Duration::from_secs(5));
    let line = line.unwrap_or_else(|| panic!("no query log line; log:\n{}", ib.log()));
    assert!(line.contains("qtype=AAAA") && line.contains("rcode=3") && line.contains("remote=127.0.0.1:"), "{line}");
    drop(ib);
    let _ = std::fs::remove_dir_all(dir);
}

/// `--log-format json`: every line on stderr is one JSON object, with the
/// event's fields (fixed names: `zone`, `serial`, `remote`, …) at the top;
/// the per-query line too.
#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempdir("metrics-json");
    let (data, zone_arg) = m_test_in(&dir);
    let listen = format!("127.0.0.1:{}", free_port());
    let mut p = launch!("ironbind-json")
        .listen(listen.parse().unwrap())
        .args(["--data-dir", &data, "--zone", &zone_arg, "--log-format", "json", "--log-queries"])
        .ready(Ready::Log(vec!["listening".into(), "tcp".into()]))
        .start();
    assert_eq!(rcode(&udp(p.addr, &query(7, "nope.m.test", AAAA))), 3);
    p.wait_line(0, |l| l.contains("query_log") && l.contains("nope.m.test"), Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no query log line; log:\n{}", p.log()));
    let lines = p.lines();
    p.stop();
    let objects: Vec<serde_json::Value> =
        lines.iter().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l}"))).collect();
    assert!(objects.iter().all(|o| o["level"].is_string() && o["message"].is_string()), "{lines:?}");
    let loaded = objects.iter().find(|o| o["message"] == "zone loaded").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!((loaded["zone"].as_str(), loaded["serial"].as_u64()), (Some("m.test"), Some(SERIAL as u64)), "{loaded}");
    let q = objects.iter().find(|o| o["target"] == "ironbind::query_log").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!((q["level"].as_str(), q["qtype"].as_str(), q["rcode"].as_u64()), (Some("DEBUG"), Some("AAAA"), Some(3)), "{q}");
    assert!(q["remote"].as_str().is_some_and(|r| r.starts_with("127.0.0.1:")), "{q}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Polls `/metrics` until `ok` holds for it, or panics after 20 s.
fn scrape_until(ctl: SocketAddr, what: &str, ok: impl Fn(&HashMap<String, f64>) -> bool) -> HashMap<String, f64> {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let m = scrape(ctl);
        if ok(&m) {
            return m;
        }
        assert!(Instant::now() < end, "{what}: not reached within 20 s; last scrape: {m:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn transfers_and_notifies_are_counted_on_both_sides() {
    let (pdir, sdir) = (tempdir("metrics-p"), tempdir("metrics-s"));
    let (pport, sport) = (free_port(), free_port());
    let (pctl, sctl) = (ctl_addr(), ctl_addr());
    // The secondary first: its primary is not up yet, so it is not ready.
    let primary = format!("m.test=127.0.0.1:{pport}");
    let sec = start(&sdir, &format!("127.0.0.1:{sport}"), sctl, false, &["--secondary", &primary]);
    wait_control(sctl);
    assert_eq!(http_get(sctl, "/readyz").unwrap().0, 503);
    let also = format!("127.0.0.1:{sport}");
    let pri = start(&pdir, &format!("127.0.0.1:{pport}"), pctl, true, &["--also-notify", &also]);
    wait_control(pctl);

    // Startup: the primary NOTIFYs, the secondary AXFRs (no data yet).
    let serial_gauge = "ironbind_zone_serial{zone=\"m.test\"}";
    let notified = "ironbind_notify_sent_total{result=\"success\"}";
    let s0 = scrape_until(sctl, "first transfer", |m| val(m, serial_gauge) == SERIAL as f64);
    assert_eq!(http_get(sctl, "/readyz").unwrap().0, 200, "transferred: ready");
    assert_eq!(val(&s0, "ironbind_transfers_in_total{kind=\"axfr\",result=\"success\"}"), 1.0);
    assert_eq!(val(&s0, "ironbind_transfers_in_total{kind=\"ixfr\",result=\"success\"}"), 0.0);
    let p0 = scrape_until(pctl, "startup NOTIFY answered", |m| val(m, notified) >= 1.0);

    // A change on the primary: one NOTIFY, one IXFR, counted once each side.
    let extra = "new A 192.0.2.99\n";
    std::fs::write(pdir.join("m.test.zone"), zone_text(SERIAL + 1) + extra).unwrap();
    pri.signal(libc::SIGHUP);
    let s1 = scrape_until(sctl, "IXFR of the change", |m| val(m, serial_gauge) == (SERIAL + 1) as f64);
    let ixfr_out = "ironbind_transfers_out_total{kind=\"ixfr\",result=\"success\"}";
    let p1 = scrape_until(pctl, "IXFR out counted", |m| val(m, ixfr_out) > val(&p0, ixfr_out) && val(m, notified) > val(&p0, notified));
    let moved = |a: &HashMap<String, f64>, b: &HashMap<String, f64>, k: &str| val(b, k) - val(a, k);
    for (series, n) in [
        ("ironbind_transfers_in_total{kind=\"ixfr\",result=\"success\"}", 1.0),
        ("ironbind_transfers_in_total{kind=\"ixfr\",result=\"failure\"}", 0.0),
        ("ironbind_transfers_in_total{kind=\"axfr\",result=\"success\"}", 0.0),
        ("ironbind_notify_received_total{rcode=\"NOERROR\"}", 1.0),
    ] {
        assert_eq!(moved(&s0, &s1, series), n, "secondary: {series}");
    }
    for (series, n) in [
        (ixfr_out, 1.0),
        ("ironbind_transfers_out_total{kind=\"axfr\",result=\"success\"}", 0.0),
        (notified, 1.0),
        ("ironbind_notify_sent_total{result=\"failure\"}", 0.0),
        ("ironbind_zone_serial{zone=\"m.test\"}", 1.0),
    ] {
        assert_eq!(moved(&p0, &p1, series), n, "primary: {series}");
    }
    assert_eq!(rcode(&udp(sec.addr, &query(5, "new.m.test", A))), 0, "the secondary serves the change");
    drop((sec, pri));
    let _ = std::fs::remove_dir_all(pdir);
    let _ = std::fs::remove_dir_all(sdir);
}

/// A panic on a UDP worker (a bug some input reaches; provoked here through
/// the debug build's `IRONBIND_DEBUG_PANIC_ON`) costs that batch only: the
/// worker is restarted on its socket, logs why, and counts it.
#[test]
fn a_worker_panic_is_survived_logged_and_counted() {
    let dir = tempdir("panic");
    let ctl = ctl_addr();
    let zone = dir.join("m.test.zone");
    std::fs::write(&zone, zone_text(SERIAL)).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let (zone_arg, ctl_arg, data) = (format!("m.test={}", zone.display()), ctl.to_string(), dir.join("data"));
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--udp-workers",
        "1",
        "--data-dir",
        data.to_str().unwrap(),
        "--zone",
        &zone_arg,
        "--control-listen",
        &ctl_arg,
        "--control-token-file",
        token.to_str().unwrap(),
    ];
    let p = ironbind_with_env(&args, &[("IRONBIND_DEBUG_PANIC_ON", "crashme")]);
    wait_control(ctl);
    let www = query(0x0101, "www.m.test", 1);
    assert_eq!(udp(p.addr, &www)[3] & 0x0f, 0);
    // The poisoned query gets no answer; the one worker panics.
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    s.send_to(&query(0x0202, "crashme.m.test", 1), p.addr).unwrap();
    let mut b = [0u8; 512];
    assert!(s.recv(&mut b).is_err(), "no answer to the query that panicked");
    p.wait_line(0, |l| l.contains("worker panicked; restarting it") && l.contains("ironbind-udp-0"), Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no restart logged:\n{}", p.log()));
    // The same (only) worker answers again.
    for id in 0..5u16 {
        assert_eq!(udp(p.addr, &query(0x0300 + id, "www.m.test", 1))[..2], (0x0300 + id).to_be_bytes());
    }
    let m = scrape(ctl);
    assert_eq!(val(&m, "ironbind_worker_panics_total{proto=\"udp\"}"), 1.0);
}
