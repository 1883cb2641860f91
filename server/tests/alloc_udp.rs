//! Proof of "zero heap allocations per UDP query": a counting global allocator
//! watches every thread while the UDP workers answer 2,000 queries of every
//! kind (exact match, NXDOMAIN, NODATA, wildcard, referral); then 1,000 more
//! with response rate limiting on (so most are slipped: TC=1), each query
//! carrying a client cookie and asking for the NSID (so every answer makes a
//! server cookie and writes three EDNS options).
//!
//! One test in this binary, so nothing else allocates during the window.

mod net_common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ironbind::net::{self, udp};
use ironbind::query::rrl::{RateTable, RrlSettings};
use ironbind::query::{Handler, QueryConfig};
use ironbind::zone::build::build_zone;
use ironbind::zone::file::read_zone_str;
use ironbind::zone::set::ZoneSet;
use net_common::*;
use tokio_util::sync::CancellationToken;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; counting has no effect on
// the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract (see the impl).
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract (see the impl).
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded contract (see the impl).
        unsafe { System.realloc(p, l, n) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract (see the impl).
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ZONE: &str = "\
$ORIGIN alloc.test.
$TTL 300
@        SOA   ns1 hostmaster 1 7200 3600 1209600 300
@        NS    ns1
ns1      A     192.0.2.1
www      A     192.0.2.10
www      AAAA  2001:db8::10
*.wild   A     192.0.2.80
sub      NS    ns1.sub
ns1.sub  A     192.0.2.53
";

/// (name, type, expected rcode, expected answers, expected AA)
const CASES: [(&str, u16, u8, u16, bool); 5] = [
    ("www.alloc.test", A, 0, 1, true),       // exact match
    ("nope.alloc.test", A, 3, 0, true),      // NXDOMAIN
    ("www.alloc.test", TXT, 0, 0, true),     // NODATA
    ("x.wild.alloc.test", A, 0, 1, true),    // wildcard
    ("host.sub.alloc.test", A, 0, 0, false), // referral
];

#[test]
fn udp_query_path_does_not_allocate() {
    let origin = ironbind::wire::name::from_dotted("alloc.test").unwrap();
    let src = read_zone_str(ZONE, "alloc.zone", &origin, None).expect("zone text reads");
    let zone = build_zone(&origin, src).expect("zone builds");
    let zones = Arc::new(ZoneSet::new());
    zones.insert(Arc::new(zone));
    let handler = net::shared(Handler::new(zones.clone(), QueryConfig::default()));
    let swap = handler.clone();
    let socks = udp::bind("127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let addr: SocketAddr = socks[0].local_addr().unwrap().as_socket().unwrap();
    let shutdown = CancellationToken::new();
    let workers = udp::spawn_workers(socks, handler, udp::UdpOptions::default(), shutdown.clone()).unwrap();

    // Several client sockets, so SO_REUSEPORT spreads them over both workers.
    let clients: Vec<UdpSocket> = (0..4)
        .map(|_| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            s
        })
        .collect();
    let queries: Vec<Vec<u8>> = CASES.iter().map(|&(n, t, ..)| query(0, n, t)).collect();
    let mut qbuf = [0u8; 512];
    let mut rbuf = [0u8; 4096];

    let ask = |i: usize, qbuf: &mut [u8; 512], rbuf: &mut [u8; 4096]| -> bool {
        let q = &queries[i % CASES.len()];
        qbuf[..q.len()].copy_from_slice(q);
        qbuf[..2].copy_from_slice(&(i as u16).to_be_bytes());
        let c = &clients[i % clients.len()];
        c.send_to(&qbuf[..q.len()], addr).unwrap();
        let (n, _) = c.recv_from(rbuf).unwrap();
        let (_, _, rc, an, is_aa) = CASES[i % CASES.len()];
        let m = &rbuf[..n];
        id(m) == i as u16 && rcode(m) == rc && ancount(m) == an && aa(m) == is_aa
    };

    // Warm-up: first-use allocations (thread-locals, lazily built state).
    for i in 0..200 {
        assert!(ask(i, &mut qbuf, &mut rbuf), "warm-up answer {i} ({:?}) is wrong", CASES[i % CASES.len()]);
    }

    let before = ALLOCS.load(Ordering::SeqCst);
    let mut wrong = 0u32;
    for i in 0..2000 {
        if !ask(i, &mut qbuf, &mut rbuf) {
            wrong += 1;
        }
    }
    let after = ALLOCS.load(Ordering::SeqCst);

    // Rate limited (1 a second per kind, every limited answer slipped),
    // with cookies and NSID.
    let rrl = RrlSettings {
        responses_per_second: 1,
        nxdomains_per_second: 1,
        errors_per_second: 1,
        slip: 1,
        window: 15,
        ipv4_prefix_length: 24,
        ipv6_prefix_length: 56,
        exempt: Default::default(),
    };
    let cfg = QueryConfig { rrl: Some(rrl), nsid: Some(b"alloc-test".to_vec()), ..QueryConfig::default() };
    swap.store(Arc::new(Handler::new(zones, cfg).with_rrl(Arc::new(RateTable::new(4096)))));
    let cookied: Vec<Vec<u8>> = queries.iter().map(|q| with_cookie_and_nsid(q)).collect();
    let mut slipped = 0u32;
    let mut ask_limited = |i: usize, qbuf: &mut [u8; 512], rbuf: &mut [u8; 4096]| -> bool {
        let q = &cookied[i % CASES.len()];
        qbuf[..q.len()].copy_from_slice(q);
        qbuf[..2].copy_from_slice(&(i as u16).to_be_bytes());
        let c = &clients[i % clients.len()];
        c.send_to(&qbuf[..q.len()], addr).unwrap();
        let (n, _) = c.recv_from(rbuf).unwrap();
        let m = &rbuf[..n];
        let (_, _, rc, an, _) = CASES[i % CASES.len()];
        let tc = m[2] & 0x02 != 0;
        slipped += tc as u32;
        // The OPT with NSID (4 + 10) and COOKIE (4 + 24) ends the message.
        let opt_ok = m.len() > 11 + 14 + 28 && m[m.len() - 28..m.len() - 24] == [0, 10, 0, 24];
        id(m) == i as u16 && rcode(m) == rc && (if tc { ancount(m) == 0 } else { ancount(m) == an }) && opt_ok
    };
    for i in 0..200 {
        assert!(ask_limited(i, &mut qbuf, &mut rbuf), "warm-up limited answer {i} is wrong");
    }
    let before_limited = ALLOCS.load(Ordering::SeqCst);
    let mut wrong_limited = 0u32;
    for i in 0..1000 {
        if !ask_limited(i, &mut qbuf, &mut rbuf) {
            wrong_limited += 1;
        }
    }
    let after_limited = ALLOCS.load(Ordering::SeqCst);

    shutdown.cancel();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(wrong, 0, "{wrong} answers were wrong");
    assert_eq!(after - before, 0, "{} heap allocations during 2,000 UDP queries", after - before);
    assert_eq!(wrong_limited, 0, "{wrong_limited} rate-limited answers were wrong");
    assert!(slipped >= 1000, "most answers slipped: {slipped} of 1,200");
    assert_eq!(
        after_limited - before_limited,
        0,
        "{} heap allocations during 1,000 rate-limited UDP queries with cookies",
        after_limited - before_limited
    );
}

/// `q` (ending with an empty OPT) with a client cookie and an NSID request.
fn with_cookie_and_nsid(q: &[u8]) -> Vec<u8> {
    let mut q = q.to_vec();
    let n = q.len();
    q[n - 2..].copy_from_slice(&16u16.to_be_bytes());
    q.extend_from_slice(&[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 3, 0, 0]);
    q
}
