//! Zone loading and reloading, black-box: broken zone files are refused with
//! `file:line` on stderr while the good zones serve (Q9, D4, RFC 1035 §5.2),
//! SIGHUP picks up changes and keeps the old version when the new file is
//! broken, serials compare with RFC 1982 arithmetic (Q22), SIGTERM exits, and
//! zones can come from a TOML config file.

use std::time::{Duration, Instant};

use ironbind_tests::rr::types;
use ironbind_tests::server::scenarios_dir;
use ironbind_tests::wire::rcode;
use ironbind_tests::{answer_lines, ask, QuerySpec, ServerConfig};

/// A broken zone file under `tests/scenarios/zones/bad/` with what its header
/// comments promise: `; origin: NAME` and `; error-line: N [M]` (or `any`).
struct BadZone {
    file: String,
    origin: String,
    lines: Option<Vec<u32>>,
    text: String,
}

fn bad_zones() -> Vec<BadZone> {
    let dir = scenarios_dir().join("zones").join("bad");
    let mut v = Vec::new();
    for e in std::fs::read_dir(&dir).expect("read zones/bad") {
        let path = e.expect("dir entry").path();
        if path.extension().is_none_or(|x| x != "zone") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read bad zone");
        let header = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("; {key}:")).map(|v| v.trim().to_string()))
                .unwrap_or_else(|| panic!("{} lacks a `; {key}:` header", path.display()))
        };
        let origin = header("origin");
        let lines = header("error-line");
        let lines = (lines != "any").then(|| lines.split_whitespace().map(|n| n.parse().expect("line number")).collect());
        v.push(BadZone { file: path.file_name().unwrap().to_string_lossy().into_owned(), origin, lines, text });
    }
    v.sort_by(|a, b| a.file.cmp(&b.file));
    assert!(v.len() >= 8, "expected the broken zone files in {}", dir.display());
    v
}

fn a_query(name: &str) -> QuerySpec {
    QuerySpec::new(name, types::A).noedns()
}

/// Polls `f` every 50 ms until it returns true or `timeout` passes.
fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

#[test]
fn broken_zones_are_refused_and_good_zones_served() {
    let bad = bad_zones();
    let mut cfg = ServerConfig::default().zone_file("example.com.", "example.com.zone").zone_file("ttl.test.", "ttl.test.zone");
    for b in &bad {
        cfg = cfg.zone(&b.origin, &b.file, &b.text);
    }
    let mut server = cfg.start().expect("a server with some broken zones still starts and serves the good ones");
    let mut problems = Vec::new();

    // The good zones answer.
    let m = ask(server.addr(), &a_query("www.example.com."));
    if m.rcode() != rcode::NOERROR || answer_lines(&m) != ["www.example.com. 3600 IN A 192.0.2.1"] {
        problems.push(format!("good zone example.com not served correctly:\n{}", m.render()));
    }
    let m = ask(server.addr(), &a_query("mixed.ttl.test."));
    if m.rcode() != rcode::NOERROR || m.answer.len() != 2 {
        problems.push(format!("good zone ttl.test (mixed TTLs, duplicates) not served:\n{}", m.render()));
    }

    // Each broken zone is refused, with file:line on stderr.
    let stderr = server.stderr();
    for b in &bad {
        let m = ask(server.addr(), &QuerySpec::new(&b.origin, types::SOA).noedns());
        if m.rcode() != rcode::REFUSED {
            problems.push(format!("{}: zone {} should not be served, got:\n{}", b.file, b.origin, m.render()));
        }
        let found = match &b.lines {
            Some(lines) => lines.iter().any(|l| stderr.contains(&format!("{}:{l}", b.file))),
            None => stderr.contains(&b.file),
        };
        if !found {
            let want = match &b.lines {
                Some(l) => l.iter().map(|l| format!("{}:{l}", b.file)).collect::<Vec<_>>().join(" or "),
                None => b.file.clone(),
            };
            problems.push(format!("{}: stderr does not name {want}", b.file));
        }
    }
    assert!(server.is_running(), "server died");
    assert!(problems.is_empty(), "{}\n--- server stderr ---\n{stderr}", problems.join("\n"));
}

const SOA: &str = "@ 3600 IN SOA ns.reload.test. hostmaster.reload.test.";

fn reload_zone(serial: u32, www: &str, extra: &str) -> String {
    format!(
        "$ORIGIN reload.test.\n{SOA} {serial} 7200 3600 1209600 300\n@ 3600 IN NS ns.reload.test.\nns 3600 IN A 192.0.2.53\nwww 300 IN A {www}\n{extra}"
    )
}

fn www(server: &ironbind_tests::Server) -> Vec<String> {
    answer_lines(&ask(server.addr(), &a_query("www.reload.test.")))
}

#[test]
fn reload_picks_up_changes_and_keeps_old_zone_on_error() {
    let mut server = ServerConfig::default().zone("reload.test.", "reload.zone", &reload_zone(1, "192.0.2.1", "")).start().expect("start");
    assert_eq!(www(&server), ["www.reload.test. 300 IN A 192.0.2.1"]);

    // A good change is picked up on SIGHUP.
    server.write_file("reload.zone", &reload_zone(2, "192.0.2.2", "new 300 IN A 192.0.2.22\n"));
    server.reload();
    assert!(
        eventually(Duration::from_secs(10), || www(&server) == ["www.reload.test. 300 IN A 192.0.2.2"]),
        "SIGHUP did not load the new zone file; still {:?}\n{}",
        www(&server),
        server.stderr()
    );
    assert_eq!(answer_lines(&ask(server.addr(), &a_query("new.reload.test."))), ["new.reload.test. 300 IN A 192.0.2.22"]);

    // A broken file (line 6) keeps the old version and says where the error is.
    server.write_file("reload.zone", &reload_zone(3, "192.0.2.3", "bad 300 IN A 192.0.2.256\n"));
    server.reload();
    assert!(
        eventually(Duration::from_secs(10), || server.stderr().contains("reload.zone:6")),
        "no `reload.zone:6` on stderr after reloading a broken file:\n{}",
        server.stderr()
    );
    assert!(server.is_running(), "server died on a broken reload");
    assert_eq!(www(&server), ["www.reload.test. 300 IN A 192.0.2.2"], "the old zone must keep serving");
    assert_eq!(answer_lines(&ask(server.addr(), &a_query("new.reload.test."))), ["new.reload.test. 300 IN A 192.0.2.22"]);

    // Fixing the file and reloading again recovers.
    server.write_file("reload.zone", &reload_zone(4, "192.0.2.4", ""));
    server.reload();
    assert!(
        eventually(Duration::from_secs(10), || www(&server) == ["www.reload.test. 300 IN A 192.0.2.4"]),
        "reload after fixing the file did not take; still {:?}\n{}",
        www(&server),
        server.stderr()
    );
    let m = ask(server.addr(), &a_query("new.reload.test."));
    assert_eq!(m.rcode(), rcode::NXDOMAIN, "a removed name must be gone:\n{}", m.render());
}

#[test]
fn zone_refused_at_startup_is_served_after_fix_and_reload() {
    let broken = reload_zone(1, "192.0.2.1", "bad 300 IN CNAME www.reload.test.\nbad 300 IN A 192.0.2.9\n");
    let mut server = ServerConfig::default()
        .zone_file("example.com.", "example.com.zone")
        .zone("reload.test.", "reload.zone", &broken)
        .start()
        .expect("start with one broken zone");
    let m = ask(server.addr(), &a_query("www.reload.test."));
    assert_eq!(m.rcode(), rcode::REFUSED, "broken zone must not be served:\n{}", m.render());
    server.write_file("reload.zone", &reload_zone(2, "192.0.2.2", ""));
    server.reload();
    assert!(
        eventually(Duration::from_secs(10), || {
            let m = ask(server.addr(), &a_query("www.reload.test."));
            m.rcode() == rcode::NOERROR && answer_lines(&m) == ["www.reload.test. 300 IN A 192.0.2.2"]
        }),
        "fixed zone not served after SIGHUP:\n{}",
        server.stderr()
    );
    assert!(server.is_running());
}

/// RFC 1982: serial 1 follows 4294967295. A reload across the wrap must be
/// taken as a newer version (this matters to anything comparing serials:
/// reload, NOTIFY, IXFR, secondaries).
#[test]
fn reload_across_serial_wraparound() {
    let server = ServerConfig::default().zone("reload.test.", "reload.zone", &reload_zone(4_294_967_295, "192.0.2.1", "")).start().expect("start");
    let soa = |s: &ironbind_tests::Server| answer_lines(&ask(s.addr(), &QuerySpec::new("reload.test.", types::SOA).noedns()));
    assert_eq!(soa(&server), ["reload.test. 3600 IN SOA ns.reload.test. hostmaster.reload.test. 4294967295 7200 3600 1209600 300"]);
    server.write_file("reload.zone", &reload_zone(1, "192.0.2.2", ""));
    server.reload();
    assert!(
        eventually(Duration::from_secs(10), || www(&server) == ["www.reload.test. 300 IN A 192.0.2.2"]),
        "serial 4294967295 -> 1 is an increase (RFC 1982) but the reload was not applied:\n{}",
        server.stderr()
    );
    assert_eq!(soa(&server), ["reload.test. 3600 IN SOA ns.reload.test. hostmaster.reload.test. 1 7200 3600 1209600 300"]);
}

#[test]
fn sigterm_exits_cleanly() {
    let mut server = ServerConfig::default().zone_file("example.com.", "example.com.zone").start().expect("start");
    let status = server.terminate(Duration::from_secs(10)).expect("ironbind did not exit within 10 s of SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status}\n{}", server.stderr());
}

#[test]
fn zones_from_a_config_file() {
    let zone = std::fs::read_to_string(scenarios_dir().join("zones/example.com.zone")).unwrap();
    let mut cfg = ServerConfig::default();
    cfg.files.push(("example.com.zone".into(), zone));
    cfg.files.push((
        "ironbind.toml".into(),
        "version = 1\n\n[chaos]\nversion = \"from-config\"\n\n[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n".into(),
    ));
    cfg.probe_name = Some("example.com.".into());
    let server = cfg.args(["--config", "ironbind.toml"]).start().expect("start from a config file");
    let m = ask(server.addr(), &a_query("www.example.com."));
    assert_eq!(answer_lines(&m), ["www.example.com. 3600 IN A 192.0.2.1"], "{}", m.render());
    let mut q = QuerySpec::new("version.bind.", types::TXT).noedns();
    q.qclass = ironbind_tests::rr::classes::CH;
    let m = ask(server.addr(), &q);
    assert_eq!(answer_lines(&m).len(), 1, "{}", m.render());
    assert!(answer_lines(&m)[0].ends_with("CH TXT \"from-config\""), "{}", m.render());
}

#[test]
fn config_file_with_unknown_field_is_rejected() {
    let mut cfg = ServerConfig::default().zone_file("example.com.", "example.com.zone");
    cfg.files.push(("bad.toml".into(), "version = 1\nlisten_on = [\"127.0.0.1:53\"]\n".into()));
    let err = cfg.args(["--config", "bad.toml"]).start().expect_err("a config with an unknown field must not start");
    assert!(err.contains("listen_on"), "the error should name the unknown field:\n{err}");
}
