//! Query bytes → response bytes: ironbind's `query::Handler` beside
//! hickory-server's `Catalog`, for each query kind on the small zone and on the
//! 1,000,000-name zone, in one run.
//!
//! Every group is `lookup/<zone>/<kind>` with the functions `ironbind` and
//! `hickory`, so criterion's report puts them side by side. One more group,
//! `lookup/1m/exact_spread`, cycles exact queries over 65,536 hosts spread
//! across the large zone, so the lookups miss the CPU caches, and
//! `lookup/1m/exact_spread_1k` the same over 1,000 of those hosts, which stay
//! in the caches: like for like, their ratio is what a zone's size costs a
//! lookup. `lookup/1m/exact_spread_batch` and `exact_spread_1k_batch` answer
//! the same queries in batches of 32 as a UDP worker does (prefetch passes,
//! then the answers; [`IronbindEngine::answer_batch`]), ironbind only, and
//! report the time per query. Before timing,
//! each engine's answer is checked ([`ironbind_benches::check`]) and the
//! verdict written to `target/criterion/ironbind-lookup-checks.json`; then
//! `cargo run --release -p ironbind-benches --bin ratios` prints the table.
//!
//! `IRONBIND_BENCH_ZONES=small` (or `1m`) limits the zones loaded;
//! `IRONBIND_BENCH_HOSTS=N` shrinks the large zone for a quick try.

// `criterion_group!` generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{Map, Value};

use ironbind_benches::cases::{
    spread_queries, Kind, SPREAD_BATCH_LABEL, SPREAD_LABEL, SPREAD_QUERIES, SPREAD_SMALL, SPREAD_SMALL_BATCH_LABEL, SPREAD_SMALL_LABEL,
};
use ironbind_benches::check::{check, check_host, describe};
use ironbind_benches::engine::{HickoryEngine, IronbindEngine};
use ironbind_benches::report::{self, group_name};
use ironbind_benches::zones::{large_hosts, ZoneSize, ORIGIN};

const QUERY_ID: u16 = 0x4242;

fn wanted(size: ZoneSize) -> bool {
    match std::env::var("IRONBIND_BENCH_ZONES") {
        Ok(v) => v.split(',').any(|s| s.trim() == size.label()),
        Err(_) => true,
    }
}

fn verdict(kind: Kind, resp: &[u8]) -> (bool, String) {
    if resp.is_empty() {
        return (false, "no response".into());
    }
    match check(kind, QUERY_ID, resp) {
        Ok(line) => (true, format!("ok: {line}")),
        Err(why) => (false, format!("WRONG: {why}")),
    }
}

fn lookup(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let mut checks = Map::new();
    for size in ZoneSize::ALL.into_iter().filter(|&s| wanted(s)) {
        let text = size.text();
        let t = Instant::now();
        let mut iron = match IronbindEngine::load(&text, size.label(), ORIGIN) {
            Ok(e) => {
                eprintln!("ironbind: {} zone loaded in {:.2?}", size.label(), t.elapsed());
                Some(e)
            }
            Err(e) => {
                eprintln!("ironbind: cannot load the {} zone, measuring hickory only: {e}", size.label());
                None
            }
        };
        let t = Instant::now();
        let hickory = HickoryEngine::load(&text, ORIGIN).expect("hickory loads the zone");
        eprintln!("hickory:  {} zone loaded in {:.2?}", size.label(), t.elapsed());
        drop(text);

        for kind in Kind::ALL {
            let group = group_name(size.label(), kind.label());
            let query = kind.query(QUERY_ID);
            let mut entry = Map::new();

            // Time an engine whenever it answers; a wrong answer is timed too but
            // flagged in the checks file and in the `ratios` table.
            let iron_answers = iron.as_mut().is_some_and(|e| {
                let resp = e.answer(&query);
                let answers = !resp.is_empty();
                let (_, line) = verdict(kind, resp);
                eprintln!("check {group} ironbind: {line}");
                entry.insert("ironbind".into(), Value::String(line));
                answers
            });
            let hickory_resp = rt.block_on(async {
                hickory.answer(&query).await;
                hickory.last_response()
            });
            let (_, line) = verdict(kind, &hickory_resp);
            eprintln!("check {group} hickory:  {line}");
            entry.insert("hickory".into(), Value::String(line));
            checks.insert(group.clone(), Value::Object(entry));

            let mut g = c.benchmark_group(&group);
            g.throughput(Throughput::Elements(1));
            if let Some(e) = iron.as_mut().filter(|_| iron_answers) {
                g.bench_function("ironbind", |b| b.iter(|| black_box(e.answer(black_box(&query)).len())));
            }
            g.bench_function("hickory", |b| b.to_async(&rt).iter(|| async { black_box(hickory.answer(black_box(&query)).await) }));
            g.finish();
        }
        if size == ZoneSize::Large {
            spread(c, &rt, iron.as_mut(), &hickory, &mut checks);
        }
    }
    if let Err(e) = report::merge_map(report::CHECKS_FILE, checks) {
        eprintln!("cannot write {}: {e}", report::CHECKS_FILE);
    }
}

/// `lookup/1m/exact_spread`: exact A queries cycling through
/// [`SPREAD_QUERIES`] hosts spread over the large zone. The six fixed queries
/// above hit the same cache lines every time; this is what a million-name
/// zone costs when traffic is spread over it.
fn spread(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    iron: Option<&mut IronbindEngine>,
    hickory: &HickoryEngine,
    checks: &mut Map<String, Value>,
) {
    let queries = spread_queries(large_hosts(), QUERY_ID);
    let cases = [(SPREAD_LABEL, SPREAD_QUERIES), (SPREAD_SMALL_LABEL, SPREAD_SMALL)];
    let mut iron = iron;
    for (label, hosts) in cases {
        let name = group_name(ZoneSize::Large.label(), label);
        let mut entry = Map::new();
        let mut verdict_of = |engine: &str, resps: &mut dyn FnMut(&[u8]) -> Vec<u8>| {
            // Check a sample of the set, not just one query.
            let bad = queries[..hosts].iter().step_by((hosts / 64).max(1)).find_map(|(i, q)| check_host(*i, QUERY_ID, &resps(q)).err());
            let line = match bad {
                None => format!("ok: {}", describe(&resps(&queries[0].1))),
                Some(why) => format!("WRONG: {why}"),
            };
            eprintln!("check {name} {engine}: {line}");
            entry.insert(engine.into(), Value::String(line));
        };
        if let Some(e) = iron.as_mut() {
            verdict_of("ironbind", &mut |q| e.answer(q).to_vec());
        }
        verdict_of("hickory", &mut |q| {
            rt.block_on(async {
                hickory.answer(q).await;
                hickory.last_response()
            })
        });
        checks.insert(name, Value::Object(entry));
    }

    // Both engines read the query messages from one packed buffer, as a
    // receive buffer holds them: a heap allocation per message, scattered by
    // the zone loads, would add cache misses of the bench's own.
    for (label, hosts) in cases {
        let msgs = Packed::new(&queries, hosts);
        let mut g = c.benchmark_group(group_name(ZoneSize::Large.label(), label));
        g.throughput(Throughput::Elements(1));
        if let Some(e) = iron.as_mut() {
            let mut k = 0usize;
            g.bench_function("ironbind", |b| {
                b.iter(|| {
                    k = k.wrapping_add(1);
                    black_box(e.answer(black_box(msgs.get(k))).len())
                })
            });
        }
        let k = std::cell::Cell::new(0usize);
        g.bench_function("hickory", |b| {
            b.to_async(rt).iter(|| {
                k.set(k.get().wrapping_add(1));
                let q = msgs.get(k.get());
                async move { black_box(hickory.answer(black_box(q)).await) }
            })
        });
        g.finish();
    }
    if let Some(e) = iron {
        spread_batch(c, e, &queries, checks);
    }
}

/// Queries per batch, as a UDP worker's `recvmmsg` takes them.
const BATCH: usize = ironbind::net::udp::BATCH;

/// `lookup/1m/exact_spread_batch` (and `_1k_batch`): the spread queries
/// answered [`BATCH`] at a time as the UDP worker does. Each batch's answers
/// are first checked to be the very bytes of answering the queries one by
/// one; the time reported is per query (a batch's time over [`BATCH`]).
fn spread_batch(c: &mut Criterion, e: &mut IronbindEngine, queries: &[(usize, Vec<u8>)], checks: &mut Map<String, Value>) {
    let cases = [(SPREAD_BATCH_LABEL, SPREAD_QUERIES), (SPREAD_SMALL_BATCH_LABEL, SPREAD_SMALL)];
    for (label, hosts) in cases {
        let name = group_name(ZoneSize::Large.label(), label);
        let msgs = Packed::new(queries, hosts);
        let batch_at = |k: usize| -> [&[u8]; BATCH] { std::array::from_fn(|j| msgs.get(k.wrapping_mul(BATCH).wrapping_add(j))) };
        // Byte-identical to the one-by-one answers, over a few batches.
        let mut bad = None;
        for k in 0..64 {
            let batch = batch_at(k);
            let single: Vec<Vec<u8>> = batch.iter().map(|q| e.answer(q).to_vec()).collect();
            let mut j = 0;
            e.answer_batch(&batch, |r| {
                if bad.is_none() && r != single[j] {
                    bad = Some(format!("batch {k} answer {j} differs from the single answer"));
                }
                if bad.is_none() && r.is_empty() {
                    bad = Some(format!("batch {k} answer {j}: no response"));
                }
                j += 1;
            });
        }
        let line = match bad {
            None => format!("ok: {} batches of {BATCH} byte-identical to single answers", 64),
            Some(why) => format!("WRONG: {why}"),
        };
        eprintln!("check {name} ironbind: {line}");
        let mut entry = Map::new();
        entry.insert("ironbind".into(), Value::String(line));
        checks.insert(name.clone(), Value::Object(entry));

        let mut g = c.benchmark_group(&name);
        g.throughput(Throughput::Elements(1));
        let mut k = 0usize;
        g.bench_function("ironbind", |b| {
            // One criterion iteration is one query: whole batches are run
            // and their time scaled to the iterations asked for.
            b.iter_custom(|iters| {
                let batches = iters.div_ceil(BATCH as u64).max(1);
                let start = Instant::now();
                for _ in 0..batches {
                    k = k.wrapping_add(1);
                    let batch = batch_at(k);
                    let mut sum = 0usize;
                    e.answer_batch(black_box(&batch), |r| sum += r.len());
                    black_box(sum);
                }
                start.elapsed().mul_f64(iters as f64 / (batches * BATCH as u64) as f64)
            })
        });
        g.finish();
    }
}

/// [`SPREAD_QUERIES`] query messages one after another in one buffer, each
/// in a slot of the longest one's size, cycling through the first `hosts`
/// queries of the spread set.
struct Packed {
    buf: Vec<u8>,
    stride: usize,
    lens: Vec<usize>,
}

impl Packed {
    fn new(queries: &[(usize, Vec<u8>)], hosts: usize) -> Self {
        let stride = queries.iter().map(|(_, q)| q.len()).max().unwrap_or(0);
        let mut buf = vec![0u8; SPREAD_QUERIES * stride];
        let mut lens = Vec::with_capacity(SPREAD_QUERIES);
        for (k, slot) in buf.chunks_mut(stride.max(1)).enumerate().take(SPREAD_QUERIES) {
            let q = &queries[k % hosts].1;
            slot[..q.len()].copy_from_slice(q);
            lens.push(q.len());
        }
        Packed { buf, stride, lens }
    }

    /// Message `k` (modulo the set).
    #[inline]
    fn get(&self, k: usize) -> &[u8] {
        let i = k & (SPREAD_QUERIES - 1);
        &self.buf[i * self.stride..][..self.lens[i]]
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = lookup
}
criterion_main!(benches);
