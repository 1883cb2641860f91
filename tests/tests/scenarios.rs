//! Runs every scenario file under `tests/scenarios/` (format: see
//! `ironbind_tests::scenario`) against a freshly started server per file, and
//! checks that every row of docs/RFC-ROWS.md in our acceptance list
//! (`ironbind_tests::coverage::required_rows`) has a scenario case or a
//! dedicated test (`coverage::DEDICATED`). That the named tests and rows
//! exist is `coverage_names.rs`'s.
//!
//! `SCENARIO=wildcard` runs only files whose name contains `wildcard`;
//! `SCENARIO=wildcard:ent` also filters cases by name.

use std::path::PathBuf;
use std::sync::Mutex;

use ironbind_tests::coverage::{required_rows, DEDICATED};
use ironbind_tests::scenario::{self, FileReport, Scenario};
use ironbind_tests::server::scenarios_dir;

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
        by.extend(DEDICATED.iter().filter(|d| d.row == row).map(|d| d.describe()));
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
