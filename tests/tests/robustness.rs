//! Robust parsing (Q20, RFC 1035 §4.1, RFC 9619) and never answering
//! responses (Q1): a hand-made corpus of malformed packets with exact
//! expectations, then thousands of seeded random and mutated packets over UDP
//! and TCP. After each test the server must still run and answer correctly.
//!
//! The rule for every packet: a reply, if any, parses strictly and copies the
//! ID; a packet shorter than a header or with QR=1 gets no reply; a packet
//! with a readable header gets a reply, and if the packet is malformed (our
//! strict parser in `wire` says so, or it is a QUERY with QDCOUNT ≠ 1 or a
//! broken OPT) that reply is FORMERR (NOTIMP also allowed for an opcode other
//! than QUERY). Seeds are fixed; set `ROBUSTNESS_SEED` to try another one.

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use ironbind_tests::client::{self, TcpConn};
use ironbind_tests::rr::types;
use ironbind_tests::wire::{flag, rcode, rcode_name, Message, QuerySpec};
use ironbind_tests::{answer_lines, ask, rr, Server, ServerConfig};

const T: Duration = Duration::from_secs(2);

fn server() -> Server {
    ServerConfig::default().zone_file("example.com.", "example.com.zone").start().expect("start")
}

fn seed(default: u64) -> u64 {
    std::env::var("ROBUSTNESS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// The server is alive and answers a normal query correctly.
fn assert_healthy(s: &mut Server) {
    assert!(s.is_running(), "server died\n{}", s.stderr());
    let m = ask(s.addr(), &QuerySpec::new("www.example.com.", types::A));
    assert_eq!(m.rcode(), rcode::NOERROR, "{}", m.render());
    assert_eq!(answer_lines(&m), ["www.example.com. 3600 IN A 192.0.2.1"], "{}", m.render());
    let m = ask(s.addr(), &QuerySpec::new("www.example.com.", types::A).tcp());
    assert_eq!(answer_lines(&m), ["www.example.com. 3600 IN A 192.0.2.1"], "{}", m.render());
}

/// What a packet deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// No reply: shorter than a header, or QR=1.
    Silence,
    /// A reply with FORMERR (or NOTIMP for opcodes other than QUERY).
    FormErr,
    /// Well formed: any reply.
    Any,
}

fn judge(p: &[u8]) -> Verdict {
    if p.len() < 12 || p[2] & 0x80 != 0 {
        return Verdict::Silence;
    }
    match Message::parse(p) {
        Err(_) => Verdict::FormErr,
        Ok(m) => {
            let broken_opt = m.opt_count > 1 || m.opt_misplaced || m.opt.as_ref().is_some_and(|o| !o.owner_is_root);
            if broken_opt || (m.opcode() == 0 && m.counts[0] != 1) {
                Verdict::FormErr
            } else {
                Verdict::Any
            }
        }
    }
}

/// Checks a reply (or its absence) against the verdict for the packet.
fn check(packet: &[u8], reply: Option<&[u8]>) -> Result<(), String> {
    let v = judge(packet);
    let Some(reply) = reply else {
        return match v {
            Verdict::Silence => Ok(()),
            _ => Err("no reply to a packet with a readable header".into()),
        };
    };
    if v == Verdict::Silence {
        return Err("replied to a packet that deserves silence (short, or QR=1)".into());
    }
    let m = Message::parse(reply).map_err(|e| format!("malformed reply ({e}): {}", rr::hex(reply)))?;
    if reply[..2] != packet[..2] {
        return Err("reply ID differs".into());
    }
    if !m.has(flag::QR) {
        return Err("reply has QR=0".into());
    }
    if v == Verdict::FormErr {
        let opcode = (packet[2] >> 3) & 0x0f;
        let ok = m.rcode() == rcode::FORMERR || (opcode != 0 && m.rcode() == rcode::NOTIMP);
        if !ok {
            return Err(format!("malformed packet answered with {} instead of FORMERR", rcode_name(m.rcode())));
        }
    }
    Ok(())
}

/// A short class of what is wrong with a packet (digits removed), for tallies.
fn class(packet: &[u8], why: &str) -> String {
    let what = Message::parse(packet).err().unwrap_or_else(|| "well formed".into());
    let mut out = String::new();
    for c in what.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('N') {
            out.push('N');
        }
    }
    let what = out;
    format!("{why} [{what}]")
}

/// Counts of failure classes, most frequent first.
fn tally(classes: &[String]) -> String {
    let mut t: HashMap<&str, usize> = HashMap::new();
    for c in classes {
        *t.entry(c.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = t.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    v.iter().map(|(c, n)| format!("  {n:>5} x {c}")).collect::<Vec<_>>().join("\n")
}

fn failure(what: &str, packet: &[u8], reply: Option<&[u8]>, why: &str) -> String {
    let why_malformed = Message::parse(packet).err().unwrap_or_else(|| "well formed".into());
    format!(
        "{what}: {why}\n  packet ({why_malformed}): {}\n  reply: {}",
        rr::hex(packet),
        reply.map_or_else(|| "none".into(), |r| Message::parse(r).map_or_else(|_| rr::hex(r), |m| m.render()))
    )
}

/// Sends packets over UDP in batches and returns (packet, reply) pairs. Each
/// packet of two or more octets gets a unique ID so replies can be matched.
/// Packets left unanswered are retried once on their own before being
/// reported as unanswered, so a lost datagram is not a failure.
fn udp_run(addr: SocketAddr, packets: &mut [Vec<u8>]) -> Vec<Option<Vec<u8>>> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut replies: Vec<Option<Vec<u8>>> = vec![None; packets.len()];
    for (i, p) in packets.iter_mut().enumerate() {
        if p.len() >= 2 {
            p[..2].copy_from_slice(&(i as u16).to_be_bytes());
        }
    }
    let index: HashMap<u16, usize> = (0..packets.len()).filter(|&i| packets[i].len() >= 2).map(|i| (i as u16, i)).collect();
    let mut buf = vec![0u8; 65535];
    for chunk in (0..packets.len()).collect::<Vec<_>>().chunks(50) {
        for &i in chunk {
            sock.send_to(&packets[i], addr).unwrap();
        }
        let deadline = Instant::now() + Duration::from_millis(300);
        let mut pending = chunk.iter().filter(|&&i| judge(&packets[i]) != Verdict::Silence).count();
        while Instant::now() < deadline && pending > 0 {
            if let Ok((n, from)) = sock.recv_from(&mut buf) {
                if from != addr || n < 2 {
                    continue;
                }
                if let Some(&i) = index.get(&u16::from_be_bytes([buf[0], buf[1]])) {
                    if replies[i].is_none() && judge(&packets[i]) != Verdict::Silence {
                        pending -= 1;
                    }
                    replies[i] = Some(buf[..n].to_vec());
                }
            }
        }
        // Stray late replies to silent packets are caught here too.
        while let Ok((n, _)) = sock.recv_from(&mut buf) {
            if let Some(&i) = index.get(&u16::from_be_bytes([buf[0], buf[1]])) {
                replies[i] = Some(buf[..n].to_vec());
            }
        }
    }
    for i in 0..packets.len() {
        if replies[i].is_none() && judge(&packets[i]) != Verdict::Silence {
            replies[i] = client::udp_exchange(addr, &packets[i], T).unwrap();
        }
    }
    replies
}

/// Sends one packet over its own TCP connection; `None` if the server closed
/// the connection or said nothing.
fn tcp_one(addr: SocketAddr, p: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let mut c = TcpConn::connect(addr, T).ok()?;
    c.send(p).ok()?;
    c.recv(wait).ok().flatten()
}

fn base_queries() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for (name, t) in [
        ("www.example.com.", types::A),
        ("WwW.ExAmPlE.cOm.", types::AAAA),
        ("nope.example.com.", types::A),
        ("a.chain.example.com.", types::A),
        ("txt.big.example.com.", types::TXT),
        ("example.com.", types::ANY),
        ("www.example.org.", types::A),
    ] {
        let q = QuerySpec::new(name, t);
        v.push(q.clone().noedns().build().unwrap());
        v.push(q.build().unwrap());
        let mut e = q.clone();
        e.edns.as_mut().unwrap().options = vec![(100, vec![1, 2, 3]), (10, vec![7; 8])];
        e.edns.as_mut().unwrap().dnssec_ok = true;
        v.push(e.build().unwrap());
    }
    v
}

/// One random mutation of a valid query.
fn mutate(rng: &mut StdRng, base: &[u8]) -> Vec<u8> {
    let mut p = base.to_vec();
    let rounds = rng.random_range(1..=3);
    for _ in 0..rounds {
        if p.is_empty() {
            p.push(rng.random());
        }
        let n = p.len();
        match rng.random_range(0..10) {
            0 => {
                let i = rng.random_range(0..n);
                p[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..n);
                p[i] = rng.random();
            }
            2 => p.truncate(rng.random_range(0..n)),
            3 => {
                let extra: Vec<u8> = (0..rng.random_range(1..40)).map(|_| rng.random()).collect();
                p.extend(extra);
            }
            4 if n >= 12 => {
                // A random count (QD, AN, NS or AR).
                let i = 4 + 2 * rng.random_range(0..4);
                let v: u16 = if rng.random_bool(0.5) { rng.random_range(0..4) } else { rng.random() };
                p[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            5 if n >= 14 => {
                // A compression pointer somewhere after the header: loops,
                // forward pointers, pointers into the header.
                let i = rng.random_range(12..n - 1);
                let target: u16 = rng.random_range(0..(n as u16 + 8));
                p[i] = 0xc0 | (target >> 8) as u8;
                p[i + 1] = target as u8;
            }
            6 if n > 12 => {
                // An oversized or reserved label length.
                let i = rng.random_range(12..n);
                p[i] = rng.random_range(64..=255);
            }
            7 if n > 12 => {
                // A huge label: 63-octet labels until the name passes 255 octets.
                let i = 12;
                let mut long = Vec::new();
                for _ in 0..rng.random_range(3..6) {
                    long.push(63);
                    long.extend(std::iter::repeat_n(b'x', 63));
                }
                p.splice(i..i, long);
            }
            8 => {
                // Flip header bits: QR, opcode, TC, Z, AD, CD.
                if n >= 4 {
                    p[2] ^= rng.random::<u8>();
                    p[3] ^= rng.random::<u8>() & 0x70;
                }
            }
            _ => {
                // Duplicate a slice.
                let a = rng.random_range(0..n);
                let b = rng.random_range(a..=n);
                let s = p[a..b].to_vec();
                let at = rng.random_range(0..=p.len());
                p.splice(at..at, s);
            }
        }
    }
    p
}

/// Hand-made malformed packets, each with a reason.
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let valid = QuerySpec::new("www.example.com.", types::A).noedns().build().unwrap();
    let header = |qd: u16, an: u16, ns: u16, ar: u16| {
        let mut h = vec![0x12, 0x34, 0x01, 0x00];
        for c in [qd, an, ns, ar] {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    };
    let with = |h: Vec<u8>, body: &[u8]| {
        let mut p = h;
        p.extend_from_slice(body);
        p
    };
    let edns = QuerySpec::new("www.example.com.", types::A).build().unwrap();
    let opt_at = edns.len() - 11;
    let mut long_name = Vec::new();
    for _ in 0..5 {
        long_name.push(63);
        long_name.extend(std::iter::repeat_n(b'a', 63));
    }
    long_name.extend_from_slice(&[0, 0, 1, 0, 1]);
    vec![
        ("QDCOUNT 1 but no question", header(1, 0, 0, 0)),
        ("question name cut short", with(header(1, 0, 0, 0), &[3, b'w', b'w'])),
        ("QTYPE/QCLASS missing", with(header(1, 0, 0, 0), &[3, b'w', b'w', b'w', 0, 0])),
        ("pointer to itself", with(header(1, 0, 0, 0), &[0xc0, 12, 0, 1, 0, 1])),
        ("two pointers in a loop", with(header(1, 0, 0, 0), &[1, b'a', 0xc0, 16, 0xc0, 12, 0, 1, 0, 1])),
        ("forward pointer", with(header(1, 0, 0, 0), &[0xc0, 18, 0, 1, 0, 1, 0, 0])),
        ("pointer past the end", with(header(1, 0, 0, 0), &[0xc3, 0xff, 0, 1, 0, 1])),
        ("label length 64", with(header(1, 0, 0, 0), &[64, b'a', 0, 0, 1, 0, 1])),
        ("extended label type 0x40", with(header(1, 0, 0, 0), &[0x41, 0, 0, 1, 0, 1])),
        ("label type 0x80", with(header(1, 0, 0, 0), &[0x80, 0, 0, 1, 0, 1])),
        ("name longer than 255 octets", with(header(1, 0, 0, 0), &long_name)),
        ("ANCOUNT 1 with no answer", {
            let mut p = valid.clone();
            p[7] = 1;
            p
        }),
        ("ARCOUNT 65535 with nothing", {
            let mut p = valid.clone();
            p[10] = 0xff;
            p[11] = 0xff;
            p
        }),
        ("NSCOUNT 3 with one half record", {
            let mut p = valid.clone();
            p[9] = 3;
            p.extend_from_slice(&[0, 0, 1]);
            p
        }),
        ("trailing garbage after the question", with(valid.clone(), &[0xde, 0xad, 0xbe, 0xef])),
        ("OPT RDLENGTH past the end", {
            let mut p = edns.clone();
            p[opt_at + 9] = 0;
            p[opt_at + 10] = 40;
            p
        }),
        ("EDNS option longer than the OPT RDATA", {
            let mut p = edns.clone();
            p[opt_at + 10] = 4;
            p.extend_from_slice(&[0, 100, 0, 50]);
            p
        }),
        ("EDNS option header cut short", {
            let mut p = edns.clone();
            p[opt_at + 10] = 3;
            p.extend_from_slice(&[0, 100, 0]);
            p
        }),
        ("QDCOUNT 0, ARCOUNT 0 (no cookie)", header(0, 0, 0, 0)),
        ("QDCOUNT 3", {
            let mut p = valid.clone();
            p[5] = 3;
            let q = valid[12..].to_vec();
            p.extend_from_slice(&q);
            p.extend_from_slice(&q);
            p
        }),
    ]
}

#[test]
fn malformed_corpus() {
    let mut s = server();
    let mut problems = Vec::new();
    for (what, p) in corpus() {
        assert_eq!(judge(&p), Verdict::FormErr, "corpus entry `{what}` is not malformed by our own rules");
        let udp = client::udp_exchange(s.addr(), &p, T).unwrap();
        if let Err(e) = check(&p, udp.as_deref()) {
            problems.push(failure(&format!("UDP {what}"), &p, udp.as_deref(), &e));
        }
        let tcp = tcp_one(s.addr(), &p, T);
        if let Err(e) = check(&p, tcp.as_deref()) {
            problems.push(failure(&format!("TCP {what}"), &p, tcp.as_deref(), &e));
        }
    }
    // Shorter than a header: silence.
    for p in [vec![], vec![0x12], vec![0x12, 0x34, 0x01, 0x00, 0x00]] {
        if let Some(r) = client::udp_exchange(s.addr(), &p, Duration::from_millis(500)).unwrap() {
            problems.push(failure("UDP short packet", &p, Some(&r), "reply to a packet without a full header"));
        }
    }
    assert_healthy(&mut s);
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// Q1: a response (QR=1) is never answered, not even our own reply played back.
#[test]
fn responses_are_dropped() {
    let mut s = server();
    let q = QuerySpec::new("www.example.com.", types::A).build().unwrap();
    let reply = client::udp_exchange(s.addr(), &q, T).unwrap().expect("a normal reply");
    for p in [reply.clone(), {
        let mut p = q.clone();
        p[2] |= 0x80;
        p
    }] {
        assert!(client::udp_exchange(s.addr(), &p, Duration::from_millis(700)).unwrap().is_none(), "UDP packet with QR=1 was answered");
        assert!(tcp_one(s.addr(), &p, Duration::from_millis(700)).is_none(), "TCP packet with QR=1 was answered");
    }
    assert_healthy(&mut s);
}

fn run_udp(label: &str, s: &mut Server, mut packets: Vec<Vec<u8>>, seed: u64) {
    let replies = udp_run(s.addr(), &mut packets);
    let mut problems = Vec::new();
    let mut classes = Vec::new();
    let mut tally_rc: HashMap<String, usize> = HashMap::new();
    for (p, r) in packets.iter().zip(&replies) {
        let key = match r.as_deref().map(Message::parse) {
            Some(Ok(m)) => rcode_name(m.rcode()),
            Some(Err(_)) => "malformed".into(),
            None => "no reply".into(),
        };
        *tally_rc.entry(key).or_default() += 1;
        if let Err(e) = check(p, r.as_deref()) {
            problems.push(failure(label, p, r.as_deref(), &e));
            classes.push(class(p, &e));
        }
    }
    eprintln!("{label} (seed {seed}): {} packets, replies {tally_rc:?}", packets.len());
    assert_healthy(s);
    // One example of each class, then more of the first ones.
    let mut shown: Vec<&String> = Vec::new();
    let mut seen_class = std::collections::HashSet::new();
    for (p, c) in problems.iter().zip(&classes) {
        if seen_class.insert(c) {
            shown.push(p);
        }
    }
    assert!(
        problems.is_empty(),
        "{label} (seed {seed}): {} of {} packets mishandled:\n{}\nexamples:\n{}",
        problems.len(),
        packets.len(),
        tally(&classes),
        shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn mutated_queries_udp() {
    let seed = seed(0x1b1d_0001);
    let mut rng = StdRng::seed_from_u64(seed);
    let bases = base_queries();
    let packets: Vec<Vec<u8>> = (0..4000).map(|i| mutate(&mut rng, &bases[i % bases.len()])).collect();
    let mut s = server();
    run_udp("mutated UDP", &mut s, packets, seed);
}

#[test]
fn random_packets() {
    let seed = seed(0x1b1d_0002);
    let mut rng = StdRng::seed_from_u64(seed);
    let packets: Vec<Vec<u8>> = (0..2000)
        .map(|_| {
            let n = rng.random_range(0..600);
            let mut p: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            if n >= 12 && rng.random_bool(0.7) {
                // Mostly plausible headers so the body gets parsed.
                p[2] &= 0x79; // QR=0
                p[4] = 0;
                p[5] = rng.random_range(0..3);
                for b in &mut p[6..12] {
                    *b = if rng.random_bool(0.8) { 0 } else { rng.random_range(0..3) };
                }
            }
            p
        })
        .collect();
    let mut s = server();
    run_udp("random UDP", &mut s, packets, seed);
}

#[test]
fn mutated_queries_tcp() {
    let seed = seed(0x1b1d_0003);
    let mut rng = StdRng::seed_from_u64(seed);
    let bases = base_queries();
    let mut s = server();
    let mut problems = Vec::new();
    let mut classes = Vec::new();
    for i in 0..400usize {
        let mut p = mutate(&mut rng, &bases[i % bases.len()]);
        if p.len() >= 2 {
            p[..2].copy_from_slice(&(i as u16).to_be_bytes());
        }
        let wait = if judge(&p) == Verdict::Silence { Duration::from_millis(100) } else { T };
        let r = tcp_one(s.addr(), &p, wait);
        if let Err(e) = check(&p, r.as_deref()) {
            problems.push(failure("mutated TCP", &p, r.as_deref(), &e));
            classes.push(class(&p, &e));
        }
    }
    assert_healthy(&mut s);
    assert!(
        problems.is_empty(),
        "mutated TCP (seed {seed}): {} of 400 packets mishandled:\n{}\nfirst ones:\n{}",
        problems.len(),
        tally(&classes),
        problems.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Broken TCP framing: absurd lengths, zero length, garbage streams, early
/// closes. The server must survive all of it.
#[test]
fn tcp_framing_garbage() {
    let mut s = server();
    let mut rng = StdRng::seed_from_u64(seed(0x1b1d_0004));
    let addr = s.addr();
    let streams: Vec<Vec<u8>> = vec![
        vec![0xff, 0xff],
        vec![0xff, 0xff, 1, 2, 3],
        vec![0, 0],
        vec![0, 0, 0, 0, 0, 0],
        vec![0, 5, 1, 2, 3, 4, 5],
        vec![0, 12, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        (0..3000).map(|_| rng.random()).collect(),
        (0..70000).map(|_| rng.random()).collect(),
    ];
    for st in &streams {
        if let Ok(mut c) = TcpConn::connect(addr, T) {
            let _ = c.stream.write_all(st);
            let _ = c.stream.shutdown(std::net::Shutdown::Write);
            let _ = c.recv(Duration::from_millis(300));
        }
    }
    // A zero-length message must not stop the connection from serving later
    // queries, or else the server closes it; both are fine, a hang is not.
    assert_healthy(&mut s);
}
