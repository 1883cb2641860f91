//! Prints the summary of the `lookup` and `lookup_allocs` benches: ns/query for
//! ironbind and hickory-server per case, the ratio hickory/ironbind, how much
//! slower each ironbind case is on the 1M-name zone than on the small one,
//! allocations per query, and whether each engine's answer passed its check.
//!
//! Run after the benches:
//! `cargo bench -p ironbind-benches && cargo run --release -p ironbind-benches --bin ratios`.
//! Reads `target/criterion` (or `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`).

use serde_json::Value;

use ironbind_benches::cases::{Kind, SPREAD_BATCH_LABEL, SPREAD_LABEL, SPREAD_SMALL_BATCH_LABEL, SPREAD_SMALL_LABEL};
use ironbind_benches::report::{self, estimate_ns, group_name};
use ironbind_benches::zones::ZoneSize;

fn fmt_opt(v: Option<f64>, prec: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.prec$}"))
}

fn main() {
    let checks = report::read_map(report::CHECKS_FILE);
    let allocs = report::read_map(report::ALLOCS_FILE);
    let check_of = |group: &str, engine: &str| -> &'static str {
        match checks.get(group).and_then(|e| e.get(engine)).and_then(Value::as_str) {
            Some(s) if s.starts_with("ok") => "ok",
            Some(_) => "WRONG",
            None => "-",
        }
    };
    let alloc_of = |group: &str, engine: &str| allocs.get(group).and_then(|e| e.get(engine)).and_then(Value::as_f64);

    let dir = report::criterion_dir();
    println!("criterion dir: {}", dir.canonicalize().unwrap_or(dir).display());
    println!();
    println!(
        "| {:<24} | {:>11} | {:>10} | {:>16} | {:>17} | {:>17} | {:>16} | {:>11} |",
        "case", "ironbind ns", "hickory ns", "hickory/ironbind", "ironbind 1m/small", "ironbind allocs/q", "hickory allocs/q", "answers i/h"
    );
    println!("|{:-<26}|{:->13}|{:->12}|{:->18}|{:->19}|{:->19}|{:->18}|{:->13}|", ":", ":", ":", ":", ":", ":", ":", ":");
    let mut ratios: Vec<(ZoneSize, f64)> = Vec::new();
    let mut worst_flat: Option<f64> = None;
    let mut spread_flat: Option<f64> = None;
    let mut spread_1k: Option<f64> = None;
    let rows = ZoneSize::ALL.into_iter().flat_map(|size| {
        let kinds = Kind::ALL.map(|k| (k.label(), k.label()));
        // The spread case compares with the small zone's (cache-hot) exact case.
        // The batch rows answer the same queries 32 at a time as a UDP worker
        // does (prefetch passes first); ironbind only.
        let extra = [SPREAD_LABEL, SPREAD_SMALL_LABEL, SPREAD_BATCH_LABEL, SPREAD_SMALL_BATCH_LABEL]
            .map(|l| (l, Kind::Exact.label()))
            .into_iter()
            .filter(move |_| size == ZoneSize::Large);
        kinds.into_iter().chain(extra).map(move |(label, small)| (size, label, small))
    });
    for (size, label, small_label) in rows {
        {
            let group = group_name(size.label(), label);
            let iron = estimate_ns(&group, "ironbind");
            let hick = estimate_ns(&group, "hickory");
            if iron.is_none() && hick.is_none() {
                continue;
            }
            let ratio = iron.zip(hick).map(|(i, h)| h / i);
            ratios.extend(ratio.map(|r| (size, r)));
            let flat = (size == ZoneSize::Large)
                .then(|| iron.zip(estimate_ns(&group_name(ZoneSize::Small.label(), small_label), "ironbind")))
                .flatten()
                .map(|(large, small)| large / small);
            if label == SPREAD_SMALL_LABEL {
                spread_1k = iron;
            }
            match flat {
                Some(f) if label == SPREAD_LABEL => spread_flat = Some(f),
                Some(_) if [SPREAD_SMALL_LABEL, SPREAD_BATCH_LABEL, SPREAD_SMALL_BATCH_LABEL].contains(&label) => {}
                Some(f) => worst_flat = Some(worst_flat.map_or(f, |w: f64| w.max(f))),
                None => {}
            }
            println!(
                "| {:<24} | {:>11} | {:>10} | {:>16} | {:>17} | {:>17} | {:>16} | {:>11} |",
                group.trim_start_matches("lookup/"),
                fmt_opt(iron, 1),
                fmt_opt(hick, 0),
                ratio.map_or_else(|| "-".into(), |r| format!("{r:.1}x")),
                flat.map_or_else(|| "".into(), |f| format!("{f:.2}x")),
                fmt_opt(alloc_of(&group, "ironbind"), 2),
                fmt_opt(alloc_of(&group, "hickory"), 1),
                format!("{}/{}", check_of(&group, "ironbind"), check_of(&group, "hickory")),
            );
        }
    }
    println!();
    if ratios.is_empty() {
        println!("no paired estimates found: run `cargo bench -p ironbind-benches --bench lookup` first");
        return;
    }
    for size in ZoneSize::ALL {
        let mut rs: Vec<f64> = ratios.iter().filter(|(s, _)| *s == size).map(|&(_, r)| r).collect();
        if rs.is_empty() {
            continue;
        }
        rs.sort_by(f64::total_cmp);
        let geo = (rs.iter().map(|r| r.ln()).sum::<f64>() / rs.len() as f64).exp();
        println!(
            "hickory/ironbind on the {} zone: min {:.1}x, median {:.1}x, geometric mean {:.1}x over {} cases (target >= 20x)",
            size.label(),
            rs[0],
            (rs[(rs.len() - 1) / 2] + rs[rs.len() / 2]) / 2.0,
            geo,
            rs.len()
        );
    }
    if let Some(w) = worst_flat {
        println!("ironbind 1m-name zone vs small zone, same queries: worst case {w:.2}x (target: flat, ~1x)");
    }
    if let Some(f) = spread_flat {
        println!("ironbind 1m-name zone, exact queries spread over the zone, vs small zone exact: {f:.2}x");
    }
    let spread = estimate_ns(&group_name(ZoneSize::Large.label(), SPREAD_LABEL), "ironbind");
    if let Some((all, few)) = spread.zip(spread_1k) {
        println!("ironbind 1m-name zone, exact queries spread over 65,536 hosts vs over 1,000 of them (like for like, 1k -> 1M): {:.2}x", all / few);
    }
    let batch = |label| estimate_ns(&group_name(ZoneSize::Large.label(), label), "ironbind");
    if let Some((all, few)) = batch(SPREAD_BATCH_LABEL).zip(batch(SPREAD_SMALL_BATCH_LABEL)) {
        println!("spread 1M vs 1k, batched like the UDP worker: {:.2}x ({all:.1} vs {few:.1} ns/query, batches of 32 with prefetch)", all / few);
    }
    let max_alloc = Kind::ALL
        .iter()
        .flat_map(|k| ZoneSize::ALL.map(|s| group_name(s.label(), k.label())))
        .filter_map(|g| alloc_of(&g, "ironbind"))
        .fold(None, |m: Option<f64>, a| Some(m.map_or(a, |m| m.max(a))));
    match max_alloc {
        Some(a) => println!("ironbind allocations per query: max {a:.2} (target 0)"),
        None => {
            println!("ironbind allocations per query: not measured (run `--bench lookup_allocs`)")
        }
    }
}
