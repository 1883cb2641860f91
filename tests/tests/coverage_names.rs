//! The coverage gate's free text, checked: every test the docs cite
//! (`file.rs::test_name` and the abbreviations of `ironbind_tests::coverage`)
//! and every test `DEDICATED` names exists in the file named, and every RFC
//! row cited (scenario `covers` lines, `DEDICATED`, the acceptance list, the
//! `Row` columns of the docs' tables) is defined in `docs/RFC-ROWS.md`. A
//! renamed test or row fails here instead of leaving the gate green.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ironbind_tests::coverage::{citations, defined_rows, required_rows, table_rows, Citation, SourceTree, DEDICATED};
use ironbind_tests::scenario;
use ironbind_tests::server::{scenarios_dir, workspace_root};

/// The Markdown files whose citations are checked: README.md and every `.md`
/// under docs/, benches/ and deploy/.
fn docs(root: &Path) -> Vec<PathBuf> {
    let mut v = vec![root.join("README.md")];
    for d in ["docs", "benches", "deploy"] {
        let entries = std::fs::read_dir(root.join(d)).unwrap_or_else(|e| panic!("read {d}/: {e}"));
        v.extend(entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")));
    }
    v.sort();
    v
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

#[test]
fn cited_tests_exist() {
    let root = workspace_root();
    let tree = SourceTree::scan(&root);
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in docs(&root) {
        let text = std::fs::read_to_string(&doc).unwrap_or_else(|e| panic!("read {}: {e}", doc.display()));
        for c in citations(&text) {
            checked += 1;
            if let Err(e) = tree.check(&c) {
                let name = c.name.as_deref().map(|n| format!("::{n}")).unwrap_or_default();
                problems.push(format!("{}:{}: `{}{name}`: {e}", rel(&root, &doc), c.line, c.file));
            }
        }
    }
    for d in DEDICATED {
        for t in d.tests {
            checked += 1;
            let c = Citation { line: 0, file: d.file.to_string(), name: Some(t.to_string()) };
            if let Err(e) = tree.check(&c) {
                problems.push(format!("tests/src/coverage.rs: DEDICATED {}: `{}::{t}`: {e}", d.row, d.file));
            }
        }
    }
    // The docs cite well over a hundred tests: finding few means the parser broke.
    assert!(checked > 150, "only {checked} citations found");
    assert!(problems.is_empty(), "cited tests that do not exist ({} of {checked}):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn cited_rows_exist() {
    let root = workspace_root();
    let rows_doc = root.join("docs/RFC-ROWS.md");
    let defined = defined_rows(&std::fs::read_to_string(&rows_doc).expect("read docs/RFC-ROWS.md"));
    assert!(defined.len() > 80, "docs/RFC-ROWS.md defines only {} rows", defined.len());
    let mut problems = BTreeSet::new();
    let mut need = |row: &str, whence: String| {
        if !defined.contains(row) {
            problems.insert(format!("{whence}: row {row} is not in docs/RFC-ROWS.md"));
        }
    };
    for row in required_rows() {
        need(&row, "the acceptance list (coverage::required_rows)".into());
    }
    for d in DEDICATED {
        need(d.row, format!("DEDICATED {}", d.describe()));
    }
    let mut scenario_files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("read tests/scenarios")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    scenario_files.sort();
    assert!(!scenario_files.is_empty());
    for f in scenario_files {
        let s = scenario::load(&f).unwrap_or_else(|e| panic!("{e}"));
        for c in &s.cases {
            for row in &c.covers {
                need(row, format!("{} case {} covers", s.file, c.name));
            }
        }
    }
    for doc in docs(&root).into_iter().filter(|d| *d != rows_doc) {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (line, row) in table_rows(&text) {
            need(&row, format!("{}:{line}", rel(&root, &doc)));
        }
    }
    assert!(problems.is_empty(), "rows cited but not defined:\n{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}
