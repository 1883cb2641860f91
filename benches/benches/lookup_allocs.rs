//! Heap allocations per query, for ironbind (target: 0) and, for contrast,
//! hickory-server, on every query kind and zone of the `lookup` bench.
//!
//! Not a criterion target: it installs a counting global allocator
//! ([`ironbind_benches::alloc::CountingAlloc`]), which the timing bench must not
//! pay for. Each engine answers each query a few times to warm up, then up to
//! [`MAX_QUERIES`] times (fewer when one query is slow, so the run stays within
//! about a second per cell) while the counter runs. Results go to stdout and
//! to `target/criterion/ironbind-lookup-allocs.json` for the `ratios` table.
//!
//! Run: `cargo bench -p ironbind-benches --bench lookup_allocs`.
//! `IRONBIND_BENCH_ZONES` and `IRONBIND_BENCH_HOSTS` work as for `lookup`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use ironbind_benches::alloc::{allocated_bytes, allocations, CountingAlloc};
use ironbind_benches::cases::Kind;
use ironbind_benches::check::check;
use ironbind_benches::engine::{HickoryEngine, IronbindEngine};
use ironbind_benches::report::{self, group_name};
use ironbind_benches::zones::{ZoneSize, ORIGIN};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const QUERY_ID: u16 = 0x4242;
/// Most queries counted per engine and case.
const MAX_QUERIES: u64 = 10_000;
/// Time budget per engine and case.
const BUDGET: Duration = Duration::from_secs(1);
const WARM_UP: u64 = 3;

fn wanted(size: ZoneSize) -> bool {
    match std::env::var("IRONBIND_BENCH_ZONES") {
        Ok(v) => v.split(',').any(|s| s.trim() == size.label()),
        Err(_) => true,
    }
}

/// One engine's numbers for one case.
struct Count {
    allocs: f64,
    bytes: f64,
    ns: f64,
}

/// How many queries to count, given how long the warm-up took.
fn budgeted(max: u64, warm_up: Duration) -> u64 {
    let per = warm_up.as_nanos().max(1) / u128::from(WARM_UP);
    (BUDGET.as_nanos() / per).clamp(1, u128::from(max)) as u64
}

/// Counts allocations over `n` calls of `f`.
fn count(n: u64, mut f: impl FnMut()) -> Count {
    let t = Instant::now();
    let (a0, b0) = (allocations(), allocated_bytes());
    for _ in 0..n {
        f();
    }
    let (a, b) = (allocations() - a0, allocated_bytes() - b0);
    Count { allocs: a as f64 / n as f64, bytes: b as f64 / n as f64, ns: t.elapsed().as_nanos() as f64 / n as f64 }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a quick pass.
    let max = if std::env::args().any(|a| a == "--bench") { MAX_QUERIES } else { 10 };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let mut out = Map::new();
    println!(
        "{:<22} {:>17} {:>16} {:>15} {:>12} {:>12}",
        "case", "ironbind allocs/q", "hickory allocs/q", "hickory bytes/q", "ironbind ns*", "hickory ns*"
    );
    for size in ZoneSize::ALL.into_iter().filter(|&s| wanted(s)) {
        let text = size.text();
        let mut iron =
            IronbindEngine::load(&text, size.label(), ORIGIN).map_err(|e| eprintln!("ironbind: cannot load the {} zone: {e}", size.label())).ok();
        let hickory = HickoryEngine::load(&text, ORIGIN).expect("hickory loads the zone");
        drop(text);
        for kind in Kind::ALL {
            let group = group_name(size.label(), kind.label());
            let query = kind.query(QUERY_ID);
            let mut entry = Map::new();

            let mut iron_cell = ("n/a".to_string(), f64::NAN);
            let iron_answers = iron.as_mut().is_some_and(|e| !e.answer(&query).is_empty());
            if let Some(e) = iron.as_mut().filter(|_| iron_answers) {
                let ok = check(kind, QUERY_ID, e.answer(&query)).is_ok();
                let t = Instant::now();
                for _ in 0..WARM_UP {
                    black_box(e.answer(black_box(&query)));
                }
                let c = count(budgeted(max, t.elapsed()), || {
                    black_box(e.answer(black_box(&query)).len());
                });
                entry.insert("ironbind".into(), c.allocs.into());
                entry.insert("ironbind_bytes".into(), c.bytes.into());
                iron_cell = (format!("{:.2}{}", c.allocs, if ok { "" } else { " (WRONG)" }), c.ns);
            }

            let h = rt.block_on(async {
                let t = Instant::now();
                for _ in 0..WARM_UP {
                    black_box(hickory.answer(black_box(&query)).await);
                }
                let n = budgeted(max, t.elapsed());
                let t = Instant::now();
                let (a0, b0) = (allocations(), allocated_bytes());
                for _ in 0..n {
                    black_box(hickory.answer(black_box(&query)).await);
                }
                let (a, b) = (allocations() - a0, allocated_bytes() - b0);
                Count { allocs: a as f64 / n as f64, bytes: b as f64 / n as f64, ns: t.elapsed().as_nanos() as f64 / n as f64 }
            });
            entry.insert("hickory".into(), h.allocs.into());
            entry.insert("hickory_bytes".into(), h.bytes.into());
            println!("{group:<22} {:>17} {:>16.1} {:>15.0} {:>12.0} {:>12.0}", iron_cell.0, h.allocs, h.bytes, iron_cell.1, h.ns);
            out.insert(group, Value::Object(entry));
        }
    }
    println!("* wall-clock ns/query under the counting allocator: a sanity check, not the benchmark (see `--bench lookup`)");
    if let Err(e) = report::merge_map(report::ALLOCS_FILE, out) {
        eprintln!("cannot write {}: {e}", report::ALLOCS_FILE);
    }
}
