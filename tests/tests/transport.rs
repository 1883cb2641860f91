//! Transport behaviour that scenario files cannot express: TCP framing split
//! across segments (C2), pipelining (C3), idle timeout and connection limits
//! (C4), edns-tcp-keepalive (C5), and replies coming from the address the
//! query was sent to when listening on 0.0.0.0 (Q19, RFC 2181 §4).

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ironbind_tests::client::TcpConn;
use ironbind_tests::rr::types;
use ironbind_tests::wire::rcode;
use ironbind_tests::{answer_lines, Message, QuerySpec, Server, ServerConfig};

const WWW: &str = "www.example.com. 3600 IN A 192.0.2.1";
const T: Duration = Duration::from_secs(3);

fn server() -> Server {
    ServerConfig::default().zone_file("example.com.", "example.com.zone").start().expect("start")
}

fn server_with_config(toml: &str) -> Server {
    let mut cfg = ServerConfig::default().zone_file("example.com.", "example.com.zone");
    cfg.files.push(("ironbind.toml".into(), format!("version = 1\n{toml}")));
    cfg.args(["--config", "ironbind.toml"]).start().expect("start with config")
}

fn www_query(id: u16) -> Vec<u8> {
    let mut q = QuerySpec::new("www.example.com.", types::A);
    q.id = id;
    q.build().unwrap()
}

fn expect_www(raw: Option<Vec<u8>>, id: u16) {
    let raw = raw.unwrap_or_else(|| panic!("no TCP answer for id {id}"));
    let m = Message::parse(&raw).expect("well-formed answer");
    assert_eq!(m.id, id);
    assert_eq!(m.rcode(), rcode::NOERROR, "{}", m.render());
    assert_eq!(answer_lines(&m), [WWW], "{}", m.render());
}

#[test]
fn length_and_message_split_across_segments() {
    let s = server();
    let q = www_query(0x0c02);
    // Length octets in two segments, then the message one octet at a time.
    let mut c = TcpConn::connect(s.addr(), T).unwrap();
    let len = (q.len() as u16).to_be_bytes();
    c.stream.write_all(&len[..1]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    c.stream.write_all(&len[1..]).unwrap();
    for b in &q {
        std::thread::sleep(Duration::from_millis(3));
        c.stream.write_all(std::slice::from_ref(b)).unwrap();
    }
    expect_www(c.recv(T).unwrap(), 0x0c02);

    // Two messages in one segment, and a message ending mid-way through the
    // next one's length.
    let mut c = TcpConn::connect(s.addr(), T).unwrap();
    let mut buf = Vec::new();
    for id in [1u16, 2, 3] {
        let q = www_query(id);
        buf.extend_from_slice(&(q.len() as u16).to_be_bytes());
        buf.extend_from_slice(&q);
    }
    let cut = 2 + q.len() + 2 + q.len() + 1;
    c.stream.write_all(&buf[..cut]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    c.stream.write_all(&buf[cut..]).unwrap();
    let mut got: Vec<u16> = Vec::new();
    for _ in 0..3 {
        let raw = c.recv(T).unwrap().expect("an answer per pipelined query");
        let m = Message::parse(&raw).unwrap();
        assert_eq!(answer_lines(&m), [WWW]);
        got.push(m.id);
    }
    got.sort();
    assert_eq!(got, [1, 2, 3]);
}

#[test]
fn pipelined_queries_on_one_connection() {
    let s = server();
    let mut c = TcpConn::connect(s.addr(), T).unwrap();
    let names = ["www.example.com.", "nope.example.com.", "a.chain.example.com.", "txt.big.example.com."];
    let mut want: HashMap<u16, (u16, usize)> = HashMap::new();
    let mut all = Vec::new();
    for i in 0..40u16 {
        let name = names[i as usize % names.len()];
        let mut q = QuerySpec::new(name, if name.starts_with("txt") { types::TXT } else { types::A });
        q.id = 1000 + i;
        let p = q.build().unwrap();
        all.extend_from_slice(&(p.len() as u16).to_be_bytes());
        all.extend_from_slice(&p);
        let expect = match i as usize % names.len() {
            0 => (rcode::NOERROR, 1),
            1 => (rcode::NXDOMAIN, 0),
            2 => (rcode::NOERROR, 3),
            _ => (rcode::NOERROR, 8),
        };
        want.insert(q.id, expect);
    }
    c.stream.write_all(&all).unwrap();
    // Answers may come in any order (RFC 7766 §6.2.1.1); match them by ID.
    for _ in 0..40 {
        let raw = c.recv(T).unwrap().expect("the connection stays open until every query is answered");
        let m = Message::parse(&raw).unwrap();
        let (rc, n) = want.remove(&m.id).unwrap_or_else(|| panic!("unexpected or repeated ID {}", m.id));
        assert_eq!((m.rcode(), m.answer.len()), (rc, n), "{}", m.render());
        assert!(!m.has(ironbind_tests::wire::flag::TC), "TC over TCP");
    }
    assert!(want.is_empty());
    // Still open for more.
    c.send(&www_query(7)).unwrap();
    expect_www(c.recv(T).unwrap(), 7);
}

#[test]
fn idle_connection_is_closed() {
    let s = server_with_config("[tcp]\nidle_timeout_ms = 1000\n");
    // Never sends anything.
    let mut quiet = TcpConn::connect(s.addr(), T).unwrap();
    // Sends one query, then goes idle.
    let mut once = TcpConn::connect(s.addr(), T).unwrap();
    once.send(&www_query(5)).unwrap();
    expect_www(once.recv(T).unwrap(), 5);
    // Sends half a length prefix and stalls (slowloris).
    let mut stall = TcpConn::connect(s.addr(), T).unwrap();
    stall.stream.write_all(&[0]).unwrap();
    let start = Instant::now();
    for (name, c) in [("silent", &mut quiet), ("after one answer", &mut once), ("stalled mid-length", &mut stall)] {
        let left = Duration::from_secs(6).saturating_sub(start.elapsed());
        assert!(c.closed_within(left).unwrap(), "{name} connection still open 6 s into a 1 s idle timeout");
    }
}

#[test]
fn connection_limit_per_client() {
    let s = server_with_config("[tcp]\nmax_connections_per_client = 4\n");
    let mut held: Vec<TcpConn> = (0..4).map(|_| TcpConn::connect(s.addr(), T).unwrap()).collect();
    // Each held connection works.
    for (i, c) in held.iter_mut().enumerate() {
        c.send(&www_query(i as u16)).unwrap();
        expect_www(c.recv(T).unwrap(), i as u16);
    }
    // The fifth is closed without an answer (the kernel accepts it; the server drops it).
    let mut fifth = TcpConn::connect(s.addr(), T).unwrap();
    let _ = fifth.send(&www_query(99));
    match fifth.recv(T) {
        Ok(None) | Err(_) => {}
        Ok(Some(raw)) => panic!(
            "fifth connection from one client was served despite max_connections_per_client = 4: {}",
            Message::parse(&raw).map(|m| m.render()).unwrap_or_default()
        ),
    }
    // UDP is unaffected, and closing one frees a slot.
    let raw = ironbind_tests::client::udp_exchange(s.addr(), &www_query(42), T).unwrap();
    expect_www(raw, 42);
    drop(held.pop());
    std::thread::sleep(Duration::from_millis(200));
    let mut again = TcpConn::connect(s.addr(), T).unwrap();
    again.send(&www_query(43)).unwrap();
    expect_www(again.recv(T).unwrap(), 43);
}

#[test]
fn stalled_connections_do_not_block_others() {
    let s = server();
    let mut stalled = Vec::new();
    for _ in 0..30 {
        let mut c = TcpConn::connect(s.addr(), T).unwrap();
        c.stream.write_all(&[0, 40, 0x12]).unwrap(); // promises 40 octets, sends 1
        stalled.push(c);
    }
    let start = Instant::now();
    let mut c = TcpConn::connect(s.addr(), T).unwrap();
    c.send(&www_query(77)).unwrap();
    expect_www(c.recv(T).unwrap(), 77);
    assert!(start.elapsed() < Duration::from_secs(2), "answer took {:?} behind stalled connections", start.elapsed());
}

/// RFC 7828: the option is answered only over TCP, with a 2-octet timeout;
/// never sent over UDP (also checked for every scenario).
#[test]
fn keepalive_option_only_over_tcp() {
    let s = server();
    let mut q = QuerySpec::new("www.example.com.", types::A);
    q.edns.as_mut().unwrap().options.push((11, Vec::new()));
    let udp = ironbind_tests::ask(s.addr(), &q);
    assert!(udp.opt.as_ref().unwrap().options.iter().all(|(c, _)| *c != 11), "keepalive over UDP: {}", udp.render());
    assert_eq!(answer_lines(&udp), [WWW]);
    let tcp = ironbind_tests::ask(s.addr(), &q.clone().tcp());
    assert_eq!(answer_lines(&tcp), [WWW]);
    for (c, d) in &tcp.opt.as_ref().expect("OPT in the TCP answer").options {
        if *c == 11 {
            assert_eq!(d.len(), 2, "edns-tcp-keepalive in a response carries a 2-octet TIMEOUT");
        }
    }
}

/// RFC 2181 §4: a reply comes from the address the query was sent to, also
/// when the server listens on 0.0.0.0 (needs IP_PKTINFO).
#[test]
fn reply_comes_from_the_address_queried() {
    let mut cfg = ServerConfig::default().zone_file("example.com.", "example.com.zone");
    cfg.listen_ip = Some([0, 0, 0, 0].into());
    let s = cfg.start().expect("start on 0.0.0.0");
    let port = s.addr().port();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (i, dst) in ["127.0.0.1", "127.0.0.2", "127.0.0.3"].iter().enumerate() {
        let dst: SocketAddr = format!("{dst}:{port}").parse().unwrap();
        let id = 500 + i as u16;
        sock.send_to(&www_query(id), dst).unwrap();
        sock.set_read_timeout(Some(T)).unwrap();
        let mut buf = [0u8; 1500];
        let (n, from) = sock.recv_from(&mut buf).unwrap_or_else(|e| panic!("no reply to a query sent to {dst}: {e}"));
        assert_eq!(from, dst, "query sent to {dst} answered from {from}");
        expect_www(Some(buf[..n].to_vec()), id);
    }
    // TCP on another loopback address works too.
    let mut c = TcpConn::connect(format!("127.0.0.2:{port}").parse().unwrap(), T).unwrap();
    c.send(&www_query(9)).unwrap();
    expect_www(c.recv(T).unwrap(), 9);
}
