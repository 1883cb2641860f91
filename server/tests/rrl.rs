//! Response rate limiting against the real binary (two UDP workers, so a
//! flood from one address is shared between them as in production):
//! a burst from one client prefix gets at most the rate, with every other
//! held-back response slipped as TC=1; another prefix is still answered;
//! the prefix length is configurable; NXDOMAIN and errors have their own
//! budgets; TCP and valid cookie holders are never limited; `/metrics`
//! counts what was held back, on a listener of its own.
//!
//! No timing is asserted: the upper bounds allow `rate` for every second
//! the burst took, plus one.

mod reflection_common;
mod xfr_common;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use reflection_common::*;
use xfr_common::{free_port, launch, local, tempdir, zone_text, Ironbind, Ready};

const A: u16 = 1;

/// A running ironbind with `example.com`, two UDP workers and a
/// `/metrics`-only listener.
struct Server {
    ib: Ironbind,
    addr: SocketAddr,
    metrics: SocketAddr,
    _dir: PathBuf,
}

fn start(args: &[&str]) -> Server {
    let dir = tempdir("rrl");
    std::fs::write(dir.join("example.com.zone"), zone_text("example.com", 1, (3600, 600, 86400), 10, "")).unwrap();
    let (port, mport) = (free_port(), free_port());
    let ib = launch!("ironbind")
        .listen(local(port))
        .data_dir(&dir.join("data"))
        .args(["--udp-workers", "2", "--log-level", "info"])
        .arg("--zone")
        .arg(format!("example.com={}", dir.join("example.com.zone").display()))
        .args(["--metrics-listen", &format!("127.0.0.1:{mport}")])
        .args(args.iter().copied())
        .ready(Ready::Log(vec!["metrics listening".into()]))
        .start();
    Server { ib, addr: local(port), metrics: local(mport), _dir: dir }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// At least the rate (a fresh budget), at most the rate for every second
/// the burst took plus one.
fn assert_rate(b: &Burst, rate: usize, what: &str) {
    let most = rate * (b.secs.ceil() as usize + 1);
    assert!(b.answered >= rate && b.answered <= most, "{what}: {b:?}: expected {rate}..={most} answered");
}

fn rrl_sample(s: &Server, kind: &str, action: &str) -> u64 {
    let (status, page) = http(s.metrics, "GET", "/metrics");
    assert_eq!(status, 200);
    sample(&page, &format!("ironbind_rrl_responses_total{{kind=\"{kind}\",action=\"{action}\"}}"))
}

#[test]
fn a_burst_from_one_prefix_is_limited_with_slips_while_another_prefix_is_answered() {
    let s = start(&["--rrl-responses-per-second", "10", "--rrl-slip", "2"]);
    let q = query(1, "h1.example.com", A, Some(&[]));
    let b = burst(ip("127.0.0.2"), s.addr, &q, 300, 4);
    assert_rate(&b, 10, "127.0.0.2");
    // Every held-back response is dropped or slipped, the first of each pair slipped.
    let held = b.sent - b.answered;
    assert!(b.truncated == held.div_ceil(2) || b.truncated == held / 2, "{b:?}: slip 2 truncates half of {held}");
    assert_eq!(rrl_sample(&s, "responses", "slipped"), b.truncated as u64, "{b:?}");
    assert_eq!(rrl_sample(&s, "responses", "dropped"), b.unanswered() as u64, "{b:?}");
    // A truncated answer is TC=1 with the question and no records.
    let slip = (0..20).find_map(|_| udp_from(ip("127.0.0.2"), s.addr, &q).filter(|r| r.tc)).expect("a slip among 20 limited answers");
    assert_eq!((slip.rcode, slip.ancount), (0, 0));
    // The same /24 shares the budget; another /24 has its own.
    let neighbour = burst(ip("127.0.0.77"), s.addr, &q, 10, 1);
    assert_eq!(neighbour.answered, 0, "127.0.0.77 is in 127.0.0.0/24: {neighbour:?}");
    for i in 0..5 {
        let r = udp_from(ip("127.0.1.2"), s.addr, &query(i, "h1.example.com", A, Some(&[]))).expect("127.0.1.2 answered");
        assert!(!r.tc && r.ancount == 1 && r.rcode == 0, "{r:?}");
    }
    drop(s.ib);
}

#[test]
fn prefix_length_32_keeps_neighbours_apart() {
    let s = start(&["--rrl-responses-per-second", "5", "--rrl-ipv4-prefix-length", "32", "--rrl-slip", "1"]);
    let q = query(1, "h2.example.com", A, None);
    let b = burst(ip("127.0.0.2"), s.addr, &q, 100, 2);
    assert_rate(&b, 5, "127.0.0.2");
    assert_eq!(b.truncated, b.sent - b.answered, "slip 1: every held-back response is truncated: {b:?}");
    let other = burst(ip("127.0.0.3"), s.addr, &q, 5, 1);
    assert_eq!(other.answered, 5, "127.0.0.3 is its own /32: {other:?}");
}

#[test]
fn nxdomain_and_errors_have_their_own_budgets() {
    let s = start(&["--rrl-responses-per-second", "1000", "--rrl-nxdomains-per-second", "3", "--rrl-errors-per-second", "2", "--rrl-slip", "0"]);
    let nx = burst(ip("127.0.2.1"), s.addr, &query(1, "nope.example.com", A, None), 60, 2);
    assert_rate(&nx, 3, "NXDOMAIN");
    assert_eq!(nx.truncated, 0, "slip 0 drops");
    let refused = burst(ip("127.0.2.1"), s.addr, &query(1, "other.org", A, None), 60, 2);
    assert_rate(&refused, 2, "REFUSED");
    let ok = burst(ip("127.0.2.1"), s.addr, &query(1, "h3.example.com", A, None), 20, 2);
    assert_eq!(ok.answered, 20, "answers keep their own budget: {ok:?}");
    assert_eq!(rrl_sample(&s, "nxdomains", "dropped"), nx.unanswered() as u64);
    assert_eq!(rrl_sample(&s, "errors", "dropped"), refused.unanswered() as u64);
    assert_eq!(rrl_sample(&s, "responses", "dropped"), 0);
}

#[test]
fn tcp_is_never_limited() {
    let s = start(&["--rrl-responses-per-second", "2", "--rrl-slip", "0"]);
    let q = query(7, "h4.example.com", A, None);
    for _ in 0..20 {
        let r = tcp(s.addr, &q);
        assert!(!r.tc && r.ancount == 1, "{r:?}");
    }
    // The same client over UDP is limited (so the limit was on).
    let b = burst(ip("127.0.0.1"), s.addr, &q, 40, 2);
    assert_rate(&b, 2, "UDP");
}

#[test]
fn valid_cookie_holders_are_exempt() {
    let s = start(&["--rrl-responses-per-second", "3", "--rrl-slip", "0"]);
    let client = [0x11u8; 8];
    let first = udp_from(ip("127.0.3.1"), s.addr, &query(1, "h5.example.com", A, Some(&[(COOKIE, &client)]))).unwrap();
    let cookie = first.option(COOKIE).expect("a server cookie").to_vec();
    assert_eq!((cookie.len(), &cookie[..8]), (24, &client[..]));
    let with = burst(ip("127.0.3.1"), s.addr, &query(1, "h5.example.com", A, Some(&[(COOKIE, &cookie)])), 100, 2);
    assert_eq!(with.answered, 100, "a valid server cookie proves the address: {with:?}");
    let mut wrong = cookie.clone();
    wrong[23] ^= 1;
    let forged = burst(ip("127.0.3.1"), s.addr, &query(1, "h5.example.com", A, Some(&[(COOKIE, &wrong)])), 60, 2);
    assert_rate(&forged, 3, "a forged server cookie");
    // The cookie is bound to the address: another address with it is limited too.
    let other = burst(ip("127.0.4.1"), s.addr, &query(1, "h5.example.com", A, Some(&[(COOKIE, &cookie)])), 60, 2);
    assert_rate(&other, 3, "another address with a copied cookie");
}

#[test]
fn metrics_listener_serves_get_metrics_only_and_needs_no_token() {
    let dir = tempdir("rrl-token");
    let token = dir.join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let cport = free_port();
    let s = start(&["--control-listen", &format!("127.0.0.1:{cport}"), "--control-token-file", token.to_str().unwrap()]);
    let (status, page) = http(s.metrics, "GET", "/metrics");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("# TYPE ironbind_queries_total counter") && page.contains("ironbind_rrl_responses_total"), "{page}");
    for (method, path, want) in [
        ("POST", "/metrics", 405),
        ("PUT", "/metrics", 405),
        ("DELETE", "/metrics", 405),
        ("GET", "/healthz", 404),
        ("GET", "/readyz", 404),
        ("GET", "/v1/zones", 404),
        ("PUT", "/v1/zones/example.com", 404),
        ("DELETE", "/v1/keys/k", 404),
    ] {
        assert_eq!(http(s.metrics, method, path).0, want, "{method} {path}");
    }
    // The control API on its own port still wants its token.
    assert_eq!(http(local(cport), "GET", "/v1/zones").0, 401);
}

/// `[rrl]` from the config file, changed on SIGHUP: the new limit applies
/// without a restart.
#[test]
fn limits_change_on_sighup() {
    let dir = tempdir("rrl-hup");
    std::fs::write(dir.join("example.com.zone"), zone_text("example.com", 1, (3600, 600, 86400), 2, "")).unwrap();
    let config = |rate: u32| {
        format!(
            "version = 1\nlisten = [\"127.0.0.1:{{PORT}}\"]\nudp_workers = 1\ndata_dir = \"data\"\n[rrl]\nresponses_per_second = {rate}\nslip = 0\n[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n"
        )
    };
    let port = free_port();
    let write = |rate| std::fs::write(dir.join("ironbind.toml"), config(rate).replace("{PORT}", &port.to_string())).unwrap();
    write(0);
    let proc = launch!("ironbind").config(&dir.join("ironbind.toml")).start();
    let addr = local(port);
    let q = query(1, "h1.example.com", A, None);
    let off = burst(ip("127.0.5.1"), addr, &q, 50, 2);
    assert_eq!(off.answered, 50, "RRL off: {off:?}");
    write(4);
    let from = proc.log_len();
    proc.signal(libc::SIGHUP);
    proc.expect(from, &["query settings updated"], Duration::from_secs(30));
    let on = burst(ip("127.0.5.1"), addr, &q, 50, 2);
    assert_rate(&on, 4, "after SIGHUP");
}
