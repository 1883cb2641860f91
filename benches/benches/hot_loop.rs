//! A hot loop for profilers: [`Handler::handle`] answering the same query
//! over and over, for each of five query kinds on a small test zone, timed.
//! Instruction counts per query come from running it twice under callgrind
//! with two `HOT_N` and dividing the difference (docs/BENCHMARKS.md).
//!
//! Not a criterion target: a fixed, deterministic amount of work with nothing
//! else in the process, for `perf record` or `valgrind --tool=callgrind`.
//!
//! ```sh
//! cargo bench -p ironbind-benches --bench hot_loop
//! HOT_N=20000 HOT_ONLY=www valgrind --tool=callgrind target/release/deps/hot_loop-<hash> --bench
//! ```
//!
//! `HOT_N` queries per name (default 2,000,000 under `cargo bench`, 1,000
//! under `cargo test --benches`), `HOT_ONLY` a name prefix, `HOT_ZONE` an
//! `example.com` zone file to use instead of [`ZONE`] (`benches/data/small.zone`
//! answers the same names as the other benches).
//!
//! Formerly the ignored test `query::tests::hot_loop` in the server crate.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ironbind::query::{Handler, QueryConfig, RequestCtx, Transport};
use ironbind::wire::name::from_dotted;
use ironbind::zone::{build::build_zone, file::read_zone_str, set::ZoneSet};

/// The zone of the server's query unit tests (one file for both).
const ZONE: &str = include_str!("../../server/src/query/tests.zone");

/// A handler serving `text` as `example.com`.
fn handler_for(text: &str) -> Handler {
    let origin = from_dotted("example.com").expect("origin");
    let src = read_zone_str(text, "hot.zone", &origin, None).expect("zone text");
    let zone = build_zone(&origin, src).expect("zone");
    let set = ZoneSet::new();
    set.insert(Arc::new(zone));
    Handler::new(Arc::new(set), QueryConfig::default())
}

/// A query for `name`/`qtype` (RD set) with an OPT offering `edns` octets.
fn query(name: &str, qtype: u16, edns: u16) -> Vec<u8> {
    let mut m = vec![0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
    m.extend_from_slice(&from_dotted(name).expect("name"));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&[0, 0, 41]);
    m.extend_from_slice(&edns.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    m
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a quick pass.
    let default_n = if std::env::args().any(|a| a == "--bench") { 2_000_000 } else { 1_000 };
    let h = match std::env::var("HOT_ZONE") {
        Ok(path) => handler_for(&std::fs::read_to_string(path).expect("HOT_ZONE readable")),
        Err(_) => handler_for(ZONE),
    };
    let ctx = RequestCtx { peer: SocketAddr::from(([127, 0, 0, 1], 5000)), transport: Transport::Udp };
    let mut out = vec![0u8; 65535];
    let n: u32 = std::env::var("HOT_N").ok().and_then(|v| v.parse().ok()).unwrap_or(default_n);
    for (name, t) in
        [("www.example.com", 1u16), ("nope.example.com", 1), ("host.sub.example.com", 1), ("q.wild.example.com", 1), ("alias.example.com", 1)]
    {
        if std::env::var("HOT_ONLY").is_ok_and(|o| !name.starts_with(&o)) {
            continue;
        }
        let q = query(name, t, 1232);
        assert!(h.handle(&q, &ctx, &mut out).is_some(), "{name}: no answer");
        let start = Instant::now();
        for _ in 0..n {
            black_box(h.handle(black_box(&q), &ctx, &mut out));
        }
        println!("{name}: {:.1} ns/query", start.elapsed().as_nanos() as f64 / f64::from(n));
    }
}
