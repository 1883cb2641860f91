//! UDP transport: replies leave from the address the query was sent to
//! (RFC 2181 §4, checklist Q19), batched receive, and the binary's example zone.

mod net_common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use ironbind::net::{self, udp};
use ironbind::query::{Handler, QueryConfig};
use ironbind::zone::set::ZoneSet;
use net_common::*;
use tokio_util::sync::CancellationToken;

/// Starts one UDP worker on `bind` with no zones (every query gets REFUSED,
/// which is all these tests need: a reply).
fn start(bind: &str) -> Option<(SocketAddr, CancellationToken, Vec<std::thread::JoinHandle<()>>)> {
    let handler = net::shared(Handler::new(Arc::new(ZoneSet::new()), QueryConfig::default()));
    let socks = udp::bind(bind.parse().unwrap(), 1).ok()?;
    let addr = socks[0].local_addr().unwrap().as_socket().unwrap();
    let token = CancellationToken::new();
    let t = udp::spawn_workers(socks, handler, udp::UdpOptions::default(), token.clone()).unwrap();
    Some((addr, token, t))
}

fn stop(token: CancellationToken, threads: Vec<std::thread::JoinHandle<()>>) {
    token.cancel();
    for t in threads {
        t.join().unwrap();
    }
}

/// Asks `to` from a client bound to `from`; returns the reply's source address.
fn reply_source(from: &str, to: SocketAddr) -> SocketAddr {
    let c = UdpSocket::bind(from).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    c.send_to(&query(7, "example.com", A), to).unwrap();
    let mut b = [0u8; 1500];
    let (n, src) = c.recv_from(&mut b).expect("a reply");
    assert_eq!(id(&b[..n]), 7);
    assert_eq!(rcode(&b[..n]), 5, "no zones: REFUSED");
    src
}

#[test]
fn wildcard_ipv4_bind_replies_from_the_queried_address() {
    let (addr, token, threads) = start("0.0.0.0:0").unwrap();
    for dst in ["127.0.0.2", "127.0.0.1", "127.0.0.3"] {
        let to: SocketAddr = format!("{dst}:{}", addr.port()).parse().unwrap();
        // The client sits on 127.0.0.1, so routing alone would answer from
        // 127.0.0.1; only IP_PKTINFO gets 127.0.0.2 and 127.0.0.3 right.
        assert_eq!(reply_source("127.0.0.1:0", to), to, "reply to a query sent to {to}");
    }
    stop(token, threads);
}

#[test]
fn wildcard_ipv6_bind_replies_from_the_queried_address() {
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback; skipped");
        return;
    }
    let (addr, token, threads) = start("[::]:0").unwrap();
    let to: SocketAddr = format!("[::1]:{}", addr.port()).parse().unwrap();
    assert_eq!(reply_source("[::1]:0", to), to);
    // IPV6_V6ONLY: the IPv6 wildcard socket does not take IPv4.
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    c.send_to(&query(1, "example.com", A), format!("127.0.0.1:{}", addr.port())).unwrap();
    assert!(c.recv_from(&mut [0u8; 512]).is_err(), "v6-only socket answered IPv4");
    stop(token, threads);
}

#[test]
fn a_burst_is_answered_in_batches() {
    let (addr, token, threads) = start("127.0.0.1:0").unwrap();
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut seen = [false; 200];
    for i in 0..200u16 {
        c.send_to(&query(i, "example.com", A), addr).unwrap();
    }
    let mut b = [0u8; 1500];
    for _ in 0..200 {
        let (n, _) = c.recv_from(&mut b).expect("every query answered");
        seen[id(&b[..n]) as usize] = true;
    }
    assert!(seen.iter().all(|&s| s));
    stop(token, threads);
}

#[test]
fn workers_stop_on_cancel() {
    let (_, token, threads) = start("127.0.0.1:0").unwrap();
    let t0 = std::time::Instant::now();
    stop(token, threads);
    assert!(t0.elapsed() < Duration::from_secs(2), "workers took {:?} to stop", t0.elapsed());
}

#[test]
fn binary_serves_the_example_zone_over_udp() {
    let p = ironbind(&["--example", "--listen", "127.0.0.1:0", "--udp-workers", "1"]);
    let r = udp_query(p.addr, &query(1, "www.example.com", A));
    assert_eq!((rcode(&r), aa(&r)), (0, true));
    assert_eq!(first_a(&r), Some("192.0.2.10".parse().unwrap()));
    let r = udp_query(p.addr, &query(2, "anything.wild.example.com", A));
    assert_eq!(first_a(&r), Some("192.0.2.80".parse().unwrap()));
    let r = udp_query(p.addr, &query(3, "host.sub.example.com", A));
    assert_eq!((rcode(&r), aa(&r), ancount(&r)), (0, false, 0), "referral");
    assert!(nscount(&r) >= 2);
    let r = udp_query(p.addr, &query(4, "nope.example.com", A));
    assert_eq!(rcode(&r), 3);
    assert!(p.log().contains("zone loaded") && p.log().contains("serial=2024010101"), "{}", p.log());
}
