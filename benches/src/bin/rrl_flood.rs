//! The reflection flood for `benches/rrl.sh`: queries sent at a fixed rate
//! from one source address (the "victim" a spoofing attacker would name),
//! spread over several source ports, and everything that comes back to
//! that address counted: full answers, truncated (slipped) ones, octets.
//!
//! Usage: `rrl-flood SERVER SOURCE QNAME QTYPE RATE SECS [SOCKETS]`, e.g.
//! `rrl-flood 127.0.0.1:5399 127.0.0.66 big.example.com TXT 10000 5 8`.
//! Queries carry EDNS(0) with a 4096-octet payload and the DO bit clear,
//! as an amplification attack's do. Prints one `key=value` line.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn qtype(s: &str) -> u16 {
    match s.to_ascii_uppercase().as_str() {
        "A" => 1,
        "NS" => 2,
        "SOA" => 6,
        "MX" => 15,
        "TXT" => 16,
        "AAAA" => 28,
        "DNSKEY" => 48,
        "ANY" => 255,
        other => other.trim_start_matches("TYPE").parse().expect("a type name or TYPEn"),
    }
}

fn query(name: &str, t: u16) -> Vec<u8> {
    let mut m = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    for l in name.trim_end_matches('.').split('.') {
        m.push(l.len() as u8);
        m.extend_from_slice(l.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&t.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&[0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
    m
}

/// Replies counted per kind: [packets, octets].
#[derive(Default)]
struct Counts {
    full: [AtomicU64; 2],
    truncated: [AtomicU64; 2],
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 6 {
        eprintln!("usage: rrl-flood SERVER SOURCE QNAME QTYPE RATE SECS [SOCKETS]");
        std::process::exit(2);
    }
    let server: SocketAddr = a[0].parse().expect("SERVER as ADDR:PORT");
    let source: std::net::IpAddr = a[1].parse().expect("SOURCE as an address");
    let q = query(&a[2], qtype(&a[3]));
    let rate: u64 = a[4].parse().expect("RATE per second");
    let secs: f64 = a[5].parse().expect("SECS");
    let nsock: usize = a.get(6).map_or(8, |s| s.parse().expect("SOCKETS"));

    let socks: Vec<Arc<UdpSocket>> = (0..nsock).map(|_| Arc::new(UdpSocket::bind((source, 0)).expect("bind the source address"))).collect();
    let counts = Arc::new(Counts::default());
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = socks
        .iter()
        .map(|s| {
            let (s, counts, done) = (s.clone(), counts.clone(), done.clone());
            s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            std::thread::spawn(move || {
                let mut buf = [0u8; 65535];
                loop {
                    match s.recv(&mut buf) {
                        Ok(n) if n >= 12 => {
                            let c = if buf[2] & 0x02 != 0 { &counts.truncated } else { &counts.full };
                            c[0].fetch_add(1, Relaxed);
                            c[1].fetch_add(n as u64, Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) if done.load(Relaxed) => return,
                        Err(_) => {}
                    }
                }
            })
        })
        .collect();

    // Paced in 1 ms steps: the queries due so far, then sleep.
    let total = (rate as f64 * secs) as u64;
    let start = Instant::now();
    let mut sent = 0u64;
    let mut q = q;
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        while sent < due {
            q[0..2].copy_from_slice(&(sent as u16).to_be_bytes());
            let _ = socks[sent as usize % nsock].send_to(&q, server);
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let took = start.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(500));
    done.store(true, Relaxed);
    for r in readers {
        let _ = r.join();
    }
    let (fp, fb) = (counts.full[0].load(Relaxed), counts.full[1].load(Relaxed));
    let (tp, tb) = (counts.truncated[0].load(Relaxed), counts.truncated[1].load(Relaxed));
    let sent_bytes = sent * q.len() as u64;
    println!(
        "sent_pkts={sent} sent_bytes={sent_bytes} full_pkts={fp} full_bytes={fb} tc_pkts={tp} tc_bytes={tb} \
         answered_pkts={} answered_bytes={} bytes_ratio={:.3} pkts_ratio={:.4} secs={took:.2} answered_pps={:.1}",
        fp + tp,
        fb + tb,
        (fb + tb) as f64 / sent_bytes.max(1) as f64,
        (fp + tp) as f64 / sent.max(1) as f64,
        fp as f64 / took,
    );
}
