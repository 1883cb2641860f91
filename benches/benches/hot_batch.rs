//! A hot loop for profilers: UDP worker batches of [`BATCH`] exact queries
//! spread over a zone of `HOT_NAMES` hosts, answered the way a worker answers
//! a `recvmmsg` batch (zones loaded once per batch, the prefetch passes, then
//! each answer: [`IronbindEngine::answer_batch`]), timed per query.
//!
//! Not a criterion target: a fixed, deterministic amount of work for
//! `valgrind --tool=callgrind` or `perf record`. The prefetch passes run from
//! 32,768 names in the zone on (`zone::set::PREFETCH_MIN_NODES`), so
//! `HOT_NAMES` below and above that compares the two paths.
//!
//! ```sh
//! cargo bench -p ironbind-benches --bench hot_batch
//! HOT_NAMES=100000 HOT_BATCHES=2000 valgrind --tool=callgrind target/release/deps/hot_batch-<hash> --bench
//! ```
//!
//! `HOT_NAMES` names in the zone (default 1,000), `HOT_BATCHES` batches
//! (default 20,000 under `cargo bench`, 20 under `cargo test --benches`).
//!
//! Formerly the ignored test `net::udp::tests::hot::hot_batch` in the server
//! crate, which called the worker's private `Batch::answer` and so also
//! timed writing the `sendmmsg` headers; this drives the same answer path
//! through the library's public API.

use std::hint::black_box;
use std::time::Instant;

use ironbind::net::udp::BATCH;
use ironbind::wire::name::from_dotted;
use ironbind_benches::engine::IronbindEngine;

fn env(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `example.com` with the apex SOA and NS and `n` names `host{i}`, one A each.
fn hosts_zone(n: usize) -> String {
    let mut text = String::from("$ORIGIN example.com.\n@ 60 IN SOA ns hm 1 7200 3600 1209600 300\n@ 60 IN NS ns\n");
    for i in 0..n {
        text.push_str(&format!("host{i} 60 IN A 192.0.2.1\n"));
    }
    text
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a quick pass.
    let bench = std::env::args().any(|a| a == "--bench");
    let names = env("HOT_NAMES", 1000);
    let batches = env("HOT_BATCHES", if bench { 20_000 } else { 20 });
    let mut engine = IronbindEngine::load(&hosts_zone(names), "hosts.zone", "example.com").expect("the hosts zone loads");
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut queries: Vec<Vec<u8>> = vec![Vec::new(); BATCH];
    let mut answered = 0usize;
    let start = Instant::now();
    for _ in 0..batches {
        for q in queries.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            q.clear();
            q.extend_from_slice(&[0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
            q.extend_from_slice(&from_dotted(&format!("host{}.example.com", x as usize % names)).expect("name"));
            q.extend_from_slice(&[0, 1, 0, 1, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
        }
        let batch: Vec<&[u8]> = queries.iter().map(Vec::as_slice).collect();
        engine.answer_batch(black_box(&batch), |r| {
            if r.len() > 12 && r[3] & 0x0f == 0 && r[6..8] == [0, 1] {
                answered += 1;
            }
        });
    }
    assert_eq!(answered, batches * BATCH, "every query answered with its A record");
    println!("{:.1} ns/query (with the batch set-up)", start.elapsed().as_nanos() as f64 / (batches * BATCH) as f64);
}
