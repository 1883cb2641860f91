//! Runs every scenario file under `tests/scenarios/` (format: see
//! `ironbind_tests::scenario`) against a freshly started server per file, and
//! checks that every checklist row in our acceptance list is covered.
//!
//! `SCENARIO=wildcard` runs only files whose name contains `wildcard`;
//! `SCENARIO=wildcard:ent` also filters cases by name.

use std::path::PathBuf;
use std::sync::Mutex;

use ironbind_tests::scenario::{self, FileReport, Scenario};
use ironbind_tests::server::scenarios_dir;

/// Rows of RFC-CHECKLIST.md sections 4.1, 4.2, 4.3, 4.9, 4.10 and 4.11.
fn required_rows() -> Vec<String> {
    let mut v = Vec::new();
    for (p, n) in [("Q", 22), ("W", 5), ("D", 5), ("E", 10), ("C", 6), ("U", 3)] {
        v.extend((1..=n).map(|i| format!("{p}{i}")));
    }
    v
}

/// Rows covered by dedicated tests rather than (or as well as) scenarios.
const DEDICATED: &[(&str, &str)] = &[
    ("Q1", "robustness.rs: responses_are_dropped (QR=1 over UDP and TCP)"),
    ("Q9", "zones.rs: broken_zones_are_refused_and_good_zones_served"),
    ("Q18", "zones.rs: broken_zones_are_refused_and_good_zones_served (ttl.test loads)"),
    ("Q19", "transport.rs: reply_comes_from_the_address_queried"),
    ("Q20", "robustness.rs: malformed_corpus, mutated_queries_udp, mutated_queries_tcp, random_packets"),
    ("Q22", "zones.rs: reload_across_serial_wraparound"),
    ("D4", "zones.rs: broken_zones_are_refused_and_good_zones_served (below-dname, cname-and-dname)"),
    ("C2", "transport.rs: length_and_message_split_across_segments"),
    ("C3", "transport.rs: pipelined_queries_on_one_connection"),
    ("C4", "transport.rs: idle_connection_is_closed, connection_limit_per_client"),
    ("C5", "transport.rs: keepalive_option_only_over_tcp"),
];

fn scenario_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("read tests/scenarios")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    v.sort();
    v
}

fn load_all() -> Vec<Scenario> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for f in scenario_files() {
        match scenario::load(&f) {
            Ok(s) => out.push(s),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "scenario files do not parse:\n{}", errors.join("\n"));
    out
}

#[test]
fn scenario_files_parse() {
    let all = load_all();
    assert!(all.len() >= 10, "expected the scenario files, found {}", all.len());
    for s in &all {
        assert!(!s.cases.is_empty(), "{} has no cases", s.file);
        for c in &s.cases {
            assert!(!c.covers.is_empty(), "{} case {} names no checklist row (covers …)", s.file, c.name);
        }
    }
}

#[test]
fn checklist_rows_are_covered() {
    let all = load_all();
    let mut missing = Vec::new();
    let mut table = String::new();
    for row in required_rows() {
        let mut by: Vec<String> = all
            .iter()
            .filter_map(|s| {
                let n = s.cases.iter().filter(|c| c.covers.contains(&row)).count();
                (n > 0).then(|| format!("{} ({n})", s.file))
            })
            .collect();
        by.extend(DEDICATED.iter().filter(|(r, _)| *r == row).map(|(_, t)| (*t).to_string()));
        if by.is_empty() {
            missing.push(row.clone());
        }
        table.push_str(&format!("{row:>4}: {}\n", by.join(", ")));
    }
    println!("{table}");
    assert!(missing.is_empty(), "checklist rows without a test: {missing:?}\n{table}");
}

#[test]
fn scenarios() {
    let filter = std::env::var("SCENARIO").ok();
    let (file_filter, case_filter) = match filter.as_deref() {
        Some(f) => match f.split_once(':') {
            Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
            None => (Some(f.to_string()), None),
        },
        None => (None, None),
    };
    let all: Vec<Scenario> = load_all().into_iter().filter(|s| file_filter.as_deref().is_none_or(|f| s.file.contains(f))).collect();
    assert!(!all.is_empty(), "no scenario file matches SCENARIO={filter:?}");

    // Files run in parallel, a few at a time (each starts its own server).
    let reports: Mutex<Vec<FileReport>> = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(sc) = all.get(i) else { break };
                let r = scenario::run(sc, case_filter.as_deref());
                reports.lock().unwrap().push(r);
            });
        }
    });
    let mut reports = reports.into_inner().unwrap();
    reports.sort_by(|a, b| a.file.cmp(&b.file));
    let total: usize = reports.iter().map(|r| r.total).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    let mut out = String::new();
    for r in &reports {
        for f in &r.failures {
            out.push_str(f);
            out.push('\n');
        }
    }
    for r in &reports {
        out.push_str(&format!("  {:<24} {} cases, {} failed\n", r.file, r.total, r.failed));
    }
    eprintln!("{out}");
    eprintln!("scenario cases: {} passed, {} failed", total - failed, failed);
    assert!(failed == 0, "{failed} of {total} scenario cases failed (details above)");
}
