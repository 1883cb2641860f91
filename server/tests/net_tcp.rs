//! DNS over TCP against the real binary (RFC 7766): pipelining, split frames,
//! idle timeout, connection caps; and the runtime around it: SIGHUP with a
//! broken zone keeps the old data, config reload, SIGTERM exits 0.

mod net_common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use net_common::*;

const SECOND: Duration = Duration::from_secs(1);

fn zone_text(origin: &str, serial: u32, www: &str) -> String {
    format!("$ORIGIN {origin}.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A {www}\n")
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn config(dir: &Path, body: &str) -> String {
    let p = dir.join("ironbind.toml");
    write(&p, &format!("version = 1\nlisten = [\"127.0.0.1:0\"]\nudp_workers = 1\n{body}"));
    p.display().to_string()
}

/// True when the server closed the connection (EOF or reset) within `wait`.
fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    match s.read(&mut [0u8; 16]) {
        Ok(0) => true,
        Ok(_) => panic!("unexpected data"),
        Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}

fn connect_from(local: &str, to: SocketAddr) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&local.parse::<SocketAddr>().unwrap().into()).unwrap();
    s.connect(&to.into()).unwrap();
    s.into()
}

#[test]
fn pipelined_queries_in_one_write_get_all_answers() {
    let p = ironbind(&["--example", "--listen", "127.0.0.1:0", "--udp-workers", "1"]);
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.set_read_timeout(Some(5 * SECOND)).unwrap();
    let mut buf = Vec::new();
    for (id, name) in [(1u16, "www.example.com"), (2, "nope.example.com"), (3, "mail.example.com")] {
        let q = query(id, name, A);
        buf.extend_from_slice(&(q.len() as u16).to_be_bytes());
        buf.extend_from_slice(&q);
    }
    s.write_all(&buf).unwrap();
    let answers: Vec<Vec<u8>> = (0..3).map(|_| tcp_recv(&mut s).unwrap()).collect();
    let mut ids: Vec<u16> = answers.iter().map(|m| id(m)).collect();
    ids.sort();
    assert_eq!(ids, [1, 2, 3]);
    for m in &answers {
        match id(m) {
            1 => assert_eq!(first_a(m), Some("192.0.2.10".parse().unwrap())),
            2 => assert_eq!(rcode(m), 3),
            _ => assert_eq!(first_a(m), Some("192.0.2.25".parse().unwrap())),
        }
    }
    // The connection stays open for more.
    tcp_send(&mut s, &query(4, "www.example.com", AAAA));
    assert_eq!(id(&tcp_recv(&mut s).unwrap()), 4);
}

#[test]
fn a_query_split_into_one_byte_writes_is_answered() {
    let p = ironbind(&["--example", "--listen", "127.0.0.1:0", "--udp-workers", "1"]);
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(5 * SECOND)).unwrap();
    let q = query(9, "www.example.com", A);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    for b in &framed {
        s.write_all(std::slice::from_ref(b)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let m = tcp_recv(&mut s).unwrap();
    assert_eq!((id(&m), rcode(&m)), (9, 0));
    assert_eq!(first_a(&m), Some("192.0.2.10".parse().unwrap()));
}

#[test]
fn idle_connections_are_closed_after_the_timeout() {
    let dir = tempdir("idle");
    let cfg = config(&dir, "[tcp]\nidle_timeout_ms = 1000\n");
    let p = ironbind(&["--config", &cfg, "--example"]);
    let mut s = TcpStream::connect(p.addr).unwrap();
    // Active: a query resets nothing but is answered.
    tcp_send(&mut s, &query(1, "www.example.com", A));
    s.set_read_timeout(Some(5 * SECOND)).unwrap();
    assert_eq!(id(&tcp_recv(&mut s).unwrap()), 1);
    let t0 = Instant::now();
    assert!(closed_within(&mut s, 5 * SECOND), "idle connection was not closed");
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < 3 * SECOND, "closed after {waited:?}");
    // A half-sent request is not a way around it (slow-loris).
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.write_all(&[0, 40, 0]).unwrap();
    assert!(closed_within(&mut s, 5 * SECOND));
}

#[test]
fn connection_caps_close_extra_connections_at_once() {
    let dir = tempdir("cap");
    let cfg = config(&dir, "[tcp]\nmax_connections = 3\nmax_connections_per_client = 2\n");
    let p = ironbind(&["--config", &cfg, "--example"]);
    let open = |s: &mut TcpStream| !closed_within(s, Duration::from_millis(300));
    let mut a1 = connect_from("127.0.0.1:0", p.addr);
    let mut a2 = connect_from("127.0.0.1:0", p.addr);
    assert!(open(&mut a1) && open(&mut a2));
    let mut a3 = connect_from("127.0.0.1:0", p.addr);
    assert!(closed_within(&mut a3, SECOND), "third connection from one client must be closed");
    let mut b1 = connect_from("127.0.0.2:0", p.addr);
    assert!(open(&mut b1), "another client still gets in");
    let mut c1 = connect_from("127.0.0.3:0", p.addr);
    assert!(closed_within(&mut c1, SECOND), "fourth connection overall must be closed");
    // The open ones work, and a freed slot is reusable.
    tcp_send(&mut a1, &query(5, "www.example.com", A));
    a1.set_read_timeout(Some(5 * SECOND)).unwrap();
    assert_eq!(id(&tcp_recv(&mut a1).unwrap()), 5);
    drop(a2);
    std::thread::sleep(Duration::from_millis(300));
    let mut a4 = connect_from("127.0.0.1:0", p.addr);
    tcp_send(&mut a4, &query(6, "www.example.com", A));
    a4.set_read_timeout(Some(5 * SECOND)).unwrap();
    assert_eq!(id(&tcp_recv(&mut a4).unwrap()), 6);
}

#[test]
fn sighup_with_a_broken_zone_keeps_serving_the_old_version() {
    let dir = tempdir("hup");
    let file = dir.join("hup.test.zone");
    write(&file, &zone_text("hup.test", 1, "192.0.2.1"));
    let zone_arg = format!("hup.test={}", file.display());
    let mut p = ironbind(&["--zone", &zone_arg, "--listen", "127.0.0.1:0", "--udp-workers", "1"]);
    let serial = |p: &Ironbind| soa_serial(&tcp_query(p.addr, &query(1, "hup.test", SOA)));
    assert_eq!(serial(&p), Some(1));

    // Broken on line 6; the error names file:line and the old version stays.
    write(&file, &zone_text("hup.test", 2, "192.0.2.999"));
    let from = p.log_len();
    p.signal(libc::SIGHUP);
    let at = format!("{}:6:", file.display());
    let line = p
        .wait_line(from, |l| l.contains("ERROR") && l.contains(&at), 10 * SECOND)
        .unwrap_or_else(|| panic!("no error naming {at}; log:\n{}", p.log()));
    assert!(line.contains("keeping the version already served"), "{line}");
    assert_eq!(serial(&p), Some(1));
    assert_eq!(first_a(&udp_query(p.addr, &query(2, "www.hup.test", A))), Some("192.0.2.1".parse().unwrap()));

    // Fixed: the new version is swapped in.
    write(&file, &zone_text("hup.test", 2, "192.0.2.2"));
    let from = p.log_len();
    p.signal(libc::SIGHUP);
    p.wait_line(from, |l| l.contains("reload done"), 10 * SECOND).expect("reload finished");
    assert!(p.log().contains("serial 1 -> 2"), "{}", p.log());
    assert_eq!(serial(&p), Some(2));
    assert_eq!(first_a(&udp_query(p.addr, &query(3, "www.hup.test", A))), Some("192.0.2.2".parse().unwrap()));

    p.signal(libc::SIGTERM);
    let status = p.wait_exit(10 * SECOND).expect("exits after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn sighup_rereads_the_config_adding_and_removing_zones() {
    let dir = tempdir("cfg");
    write(&dir.join("a.zone"), &zone_text("a.test", 1, "192.0.2.1"));
    write(&dir.join("b.zone"), &zone_text("b.test", 7, "192.0.2.7"));
    let cfg = config(&dir, "[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\n");
    let p = ironbind(&["--config", &cfg]);
    let soa = |name: &str| tcp_query(p.addr, &query(1, name, SOA));
    assert_eq!(soa_serial(&soa("a.test")), Some(1));
    assert_eq!(rcode(&soa("b.test")), 5, "b.test not served yet: REFUSED");

    // A broken config changes nothing.
    write(Path::new(&cfg), "version = 1\nbogus = true\n");
    let from = p.log_len();
    p.signal(libc::SIGHUP);
    let line = p.wait_line(from, |l| l.contains("config is invalid"), 10 * SECOND).expect("logged");
    assert!(line.contains("ironbind.toml") && line.contains("bogus"), "{line}");
    assert_eq!(soa_serial(&soa("a.test")), Some(1));

    config(&dir, "[[zone]]\nname = \"b.test\"\nfile = \"b.zone\"\n");
    let from = p.log_len();
    p.signal(libc::SIGHUP);
    p.wait_line(from, |l| l.contains("reload done"), 10 * SECOND).expect("reload finished");
    assert_eq!(soa_serial(&soa("b.test")), Some(7));
    assert_eq!(rcode(&soa("a.test")), 5, "a.test removed: REFUSED");

    // Query settings take effect without a restart: an ACL that excludes us.
    config(&dir, "allow_query = [\"10.0.0.0/8\"]\n[[zone]]\nname = \"b.test\"\nfile = \"b.zone\"\n");
    let from = p.log_len();
    p.signal(libc::SIGHUP);
    p.wait_line(from, |l| l.contains("reload done"), 10 * SECOND).expect("reload finished");
    assert_eq!(rcode(&soa("b.test")), 5, "not in allow_query: REFUSED");
}

#[test]
fn shutdown_lets_a_request_in_flight_finish() {
    let mut p = ironbind(&["--example", "--listen", "127.0.0.1:0", "--udp-workers", "1"]);
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.set_read_timeout(Some(5 * SECOND)).unwrap();
    let q = query(11, "www.example.com", A);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    s.write_all(&framed[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    p.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&framed[10..]).unwrap();
    let m = tcp_recv(&mut s).expect("the request in flight is answered");
    assert_eq!(id(&m), 11);
    assert!(closed_within(&mut s, 2 * SECOND), "then the connection closes");
    let status = p.wait_exit(10 * SECOND).expect("exits");
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn sigterm_exits_zero_and_closes_idle_connections() {
    let mut p = ironbind(&["--example", "--listen", "127.0.0.1:0", "--udp-workers", "1"]);
    let mut idle = TcpStream::connect(p.addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    p.signal(libc::SIGTERM);
    let status = p.wait_exit(10 * SECOND).expect("exits after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(t0.elapsed() < 3 * SECOND, "shutdown took {:?}", t0.elapsed());
    assert!(closed_within(&mut idle, SECOND));
    assert!(TcpStream::connect(p.addr).is_err(), "still accepting after shutdown");
}

#[test]
fn bad_command_lines_fail_with_a_clear_message() {
    let out = launch!("no-args").command().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--example"));
    let dir = tempdir("badcfg");
    let cfg = config(&dir, "[tcp]\nidle_timeout_ms = 5\n");
    let out = launch!("badcfg").args(["--config", &cfg]).command().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ironbind.toml") && err.contains("tcp.idle_timeout_ms = 5"), "{err}");
}
