//! The coverage gate's data, and the checks that keep its free text honest.
//!
//! Owns: the acceptance list of RFC rows ([`required_rows`]), the rows proved
//! by dedicated tests rather than (or as well as) scenario cases
//! ([`DEDICATED`]: row, file, test names), reading the row ids that
//! `docs/RFC-ROWS.md` defines ([`defined_rows`]) and the ids the docs' row
//! tables cite ([`table_rows`]), finding the tests the docs cite
//! ([`citations`]: `file.rs::test_name` and the forms below), and checking a
//! citation against the source tree ([`SourceTree::check`]).
//!
//! Citation forms, inside backticks:
//!
//! * `file.rs::name`: a function `fn name` in the file. The file is named by
//!   its last path components (`update.rs`, `xfr/ixfr_tests.rs`,
//!   `server/tests/update.rs`) and looked for under `server/tests`,
//!   `server/src`, `tests/tests`, `tests/src`, `benches` and `test-support`;
//!   when several files match, one of them must have the function.
//! * A `*` in the file name is a wildcard (`xfr_rows_*.rs::name`: any
//!   matching file).
//! * A name ending in `…` or `*` is a prefix (`secondary_follows_…`,
//!   `ironbind_secondary_of_*`); one starting with `*` a suffix
//!   (`*_with_tsig`). Some function must match.
//! * `name.scn` then `case-name`: a `case case-name` line in that scenario
//!   file under `tests/scenarios`.
//! * A bare name continues the list of the last file cited in the same table
//!   cell or line when only a comma (after a closed parenthetical remark, if
//!   any) separates it from the previous citation: `` `a.rs::x`, `y` `` cites
//!   `a.rs::y`. A `;` or a cell boundary ends the list. A name directly after a
//!   file-only citation (`` `core.scn` `any-udp` ``) starts one.
//! * In a table row, a file cited alone (`` `xfr/receive_tests.rs` ``) must
//!   exist.
//!
//! Must not: run any test or start a server.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rows proved by a dedicated test rather than (or as well as) scenario cases.
#[derive(Debug, Clone, Copy)]
pub struct Dedicated {
    /// The row of docs/RFC-ROWS.md.
    pub row: &'static str,
    /// The test file (in `tests/tests`).
    pub file: &'static str,
    /// The test functions in it that prove the row.
    pub tests: &'static [&'static str],
    /// What in them proves it, when not all of it (may be empty).
    pub note: &'static str,
}

impl Dedicated {
    /// `file: test, test (note)`, for the coverage table.
    pub fn describe(&self) -> String {
        let note = if self.note.is_empty() { String::new() } else { format!(" ({})", self.note) };
        format!("{}: {}{note}", self.file, self.tests.join(", "))
    }
}

/// Rows covered by dedicated tests rather than (or as well as) scenarios.
pub const DEDICATED: &[Dedicated] = &[
    Dedicated { row: "Q1", file: "robustness.rs", tests: &["responses_are_dropped"], note: "QR=1 over UDP and TCP" },
    Dedicated { row: "Q9", file: "zones.rs", tests: &["broken_zones_are_refused_and_good_zones_served"], note: "" },
    Dedicated { row: "Q18", file: "zones.rs", tests: &["broken_zones_are_refused_and_good_zones_served"], note: "ttl.test loads" },
    Dedicated { row: "Q19", file: "transport.rs", tests: &["reply_comes_from_the_address_queried"], note: "" },
    Dedicated {
        row: "Q20",
        file: "robustness.rs",
        tests: &["malformed_corpus", "mutated_queries_udp", "mutated_queries_tcp", "random_packets"],
        note: "",
    },
    Dedicated { row: "Q22", file: "zones.rs", tests: &["reload_across_serial_wraparound"], note: "" },
    Dedicated { row: "D4", file: "zones.rs", tests: &["broken_zones_are_refused_and_good_zones_served"], note: "below-dname, cname-and-dname" },
    Dedicated { row: "C2", file: "transport.rs", tests: &["length_and_message_split_across_segments"], note: "" },
    Dedicated { row: "C3", file: "transport.rs", tests: &["pipelined_queries_on_one_connection"], note: "" },
    Dedicated { row: "C4", file: "transport.rs", tests: &["idle_connection_is_closed", "connection_limit_per_client"], note: "" },
    Dedicated { row: "C5", file: "transport.rs", tests: &["keepalive_option_only_over_tcp"], note: "" },
];

/// The acceptance list: every row of docs/RFC-ROWS.md sections Q, W, D, E, C
/// and U must have a scenario case or a dedicated test.
pub fn required_rows() -> Vec<String> {
    let mut v = Vec::new();
    for (p, n) in [("Q", 22), ("W", 5), ("D", 5), ("E", 10), ("C", 6), ("U", 3)] {
        v.extend((1..=n).map(|i| format!("{p}{i}")));
    }
    v
}

/// Whether `s` looks like a row id: one or two capitals, then a number (`Q7`, `E10`).
pub fn is_row_id(s: &str) -> bool {
    let letters = s.chars().take_while(char::is_ascii_uppercase).count();
    let digits = &s[letters..];
    (1..=2).contains(&letters) && (1..=2).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

/// The cells of a Markdown table line (`| a | b |`), trimmed; `None` for any other line.
fn cells(line: &str) -> Option<Vec<&str>> {
    let l = line.trim();
    let inner = l.strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// The row ids docs/RFC-ROWS.md defines: the first cell of its table rows.
pub fn defined_rows(rows_doc: &str) -> BTreeSet<String> {
    rows_doc.lines().filter_map(cells).filter_map(|c| c.first().filter(|id| is_row_id(id)).map(|id| id.to_string())).collect()
}

/// The row ids cited in the first column of the tables of `doc` whose header
/// starts with `Row`, with their line numbers (1-based). Cells that are not
/// ids (`RRL`, `–`) are skipped.
pub fn table_rows(doc: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_row_table = false;
    for (i, line) in doc.lines().enumerate() {
        match cells(line) {
            None => in_row_table = false,
            Some(c) if c.first() == Some(&"Row") => in_row_table = true,
            Some(c) if in_row_table => {
                if let Some(id) = c.first().filter(|id| is_row_id(id)) {
                    out.push((i + 1, id.to_string()));
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// A test, scenario case or file a document cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// 1-based line in the document.
    pub line: usize,
    /// The file as cited (`xfr_rows_*.rs`, `tsig/tests.rs`, `core.scn`).
    pub file: String,
    /// The function or scenario case, as cited (`secondary_follows_…`); `None`
    /// for a file cited alone in a table row.
    pub name: Option<String>,
}

/// Whether `s` is a cited file: a path ending in `.rs` or `.scn`.
fn is_file(s: &str) -> bool {
    (s.ends_with(".rs") || s.ends_with(".scn")) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./*".contains(c))
}

/// Whether `s` is a function name as cited (with `…` or `*` for prefixes and suffixes).
fn is_fn_name(s: &str) -> bool {
    let core = s.trim_start_matches('*').trim_end_matches(['…', '*']);
    !core.is_empty() && core.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && core.chars().any(|c| c.is_ascii_lowercase())
}

/// Whether `s` is a scenario case name (`any-udp`).
fn is_case_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && s.chars().any(|c| c.is_ascii_lowercase())
}

/// Whether the text between two citations makes the second one continue a
/// list: only a comma and spaces, after a closed parenthetical remark if any.
fn continues(gap: &str) -> bool {
    let g = gap.trim_end();
    g.ends_with(',') && !g.contains(';') && g.matches('(').count() == g.matches(')').count() && (g == "," || g.trim_start().starts_with('('))
}

/// What the previous backtick span on the line was.
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    Nothing,
    /// A citation with a name, or a continuation.
    Named,
    /// A file cited alone.
    FileOnly,
}

/// The citations in Markdown `text` (fenced code blocks skipped).
pub fn citations(text: &str) -> Vec<Citation> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let table = line.trim_start().starts_with('|');
        let (mut file, mut prev, mut gap) = (None::<String>, Prev::Nothing, String::new());
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                // Outside backticks: a cell boundary or `;` ends a list.
                if part.contains('|') || part.contains(';') {
                    (file, prev) = (None, Prev::Nothing);
                }
                gap = part.to_string();
                continue;
            }
            let cite = |file: &str, name: Option<&str>| Citation { line: i + 1, file: file.to_string(), name: name.map(str::to_string) };
            if let Some((f, n)) = part.split_once("::").filter(|(f, n)| is_file(f) && is_fn_name(n)) {
                out.push(cite(f, Some(n)));
                (file, prev) = (Some(f.to_string()), Prev::Named);
            } else if is_file(part) {
                if table {
                    out.push(cite(part, None));
                }
                (file, prev) = (Some(part.to_string()), Prev::FileOnly);
            } else if let Some(f) = file.as_deref() {
                let name_ok = if f.ends_with(".scn") { is_case_name(part) } else { is_fn_name(part) };
                let follows = match prev {
                    Prev::Named => continues(&gap),
                    Prev::FileOnly => continues(&gap) || (!gap.is_empty() && gap.trim().is_empty()),
                    Prev::Nothing => false,
                };
                if name_ok && follows {
                    out.push(cite(f, Some(part)));
                    prev = Prev::Named;
                } else {
                    prev = Prev::Nothing;
                }
            } else {
                prev = Prev::Nothing;
            }
        }
    }
    out
}

/// Whether `name` matches the cited `pattern` (`…`/`*` at the end: prefix;
/// `*` at the start: suffix).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let (head, tail) = (pattern.starts_with('*'), pattern.ends_with(['…', '*']));
    let core = pattern.trim_start_matches('*').trim_end_matches(['…', '*']);
    match (head, tail) {
        (true, true) => name.contains(core),
        (true, false) => name.ends_with(core),
        (false, true) => name.starts_with(core),
        (false, false) => name == core,
    }
}

/// Whether `glob` (with `*` for any run of characters) matches `s`.
fn glob(glob: &str, s: &str) -> bool {
    match glob.split_once('*') {
        None => glob == s,
        Some((head, rest)) => {
            let Some(s) = s.strip_prefix(head) else { return false };
            (0..=s.len()).filter(|&i| s.is_char_boundary(i)).any(|i| self::glob(rest, &s[i..]))
        }
    }
}

/// The names of the functions defined in Rust source `text` (`fn name`).
pub fn fn_names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("fn ") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + 3..];
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            let end = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
            if end > 0 {
                out.push(&after[..end]);
            }
        }
        rest = after;
    }
    out
}

/// The case names of scenario file `text` (`case name` lines).
pub fn case_names(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.trim().strip_prefix("case ")).map(str::trim).collect()
}

/// The files a citation may name: Rust sources and scenario files of the workspace.
pub struct SourceTree {
    root: PathBuf,
    /// Paths relative to `root`, `/`-separated.
    files: Vec<String>,
}

/// Where cited files are looked for, relative to the workspace root.
pub const SEARCHED: &[&str] = &["server/tests", "server/src", "tests/tests", "tests/src", "tests/scenarios", "benches", "test-support"];

impl SourceTree {
    /// Lists the `.rs` and `.scn` files under [`SEARCHED`] in the workspace at `root`.
    pub fn scan(root: &Path) -> SourceTree {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else if p.extension().is_some_and(|x| x == "rs" || x == "scn") {
                    let rel = p.strip_prefix(root).expect("under the root");
                    out.push(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
                }
            }
        }
        let mut files = Vec::new();
        for d in SEARCHED {
            walk(root, &root.join(d), &mut files);
        }
        files.sort();
        SourceTree { root: root.to_path_buf(), files }
    }

    /// The files whose last path components are `cited`'s (a `*` in them a wildcard).
    pub fn resolve(&self, cited: &str) -> Vec<&str> {
        let want: Vec<&str> = cited.split('/').collect();
        self.files
            .iter()
            .filter(|f| {
                let have: Vec<&str> = f.split('/').collect();
                have.len() >= want.len() && have[have.len() - want.len()..].iter().zip(&want).all(|(h, w)| glob(w, h))
            })
            .map(String::as_str)
            .collect()
    }

    /// Checks one citation: the file exists, and so does the function or case it names.
    pub fn check(&self, c: &Citation) -> Result<(), String> {
        let files = self.resolve(&c.file);
        if files.is_empty() {
            return Err(format!("no file {} under {}", c.file, SEARCHED.join(", ")));
        }
        let Some(name) = &c.name else { return Ok(()) };
        let found = files.iter().any(|f| {
            let text = std::fs::read_to_string(self.root.join(f)).unwrap_or_default();
            if f.ends_with(".scn") {
                case_names(&text).iter().any(|n| name_matches(name, n))
            } else {
                fn_names(&text).iter().any(|n| name_matches(name, n))
            }
        });
        if found {
            Ok(())
        } else {
            let what = if c.file.ends_with(".scn") { "case" } else { "fn" };
            Err(format!("no {what} {name} in {}", files.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cited(text: &str) -> Vec<(String, Option<String>)> {
        citations(text).into_iter().map(|c| (c.file, c.name)).collect()
    }

    fn c(file: &str, name: &str) -> (String, Option<String>) {
        (file.to_string(), Some(name.to_string()))
    }

    #[test]
    fn lists_continue_after_commas_only() {
        let row = "| A7 | x | `tsig/tests.rs::one`, `two` (why), `three`; `tsig/b.rs` (`drain` helper), `nope` and `after four` |";
        assert_eq!(cited(row), [c("tsig/tests.rs", "one"), c("tsig/tests.rs", "two"), c("tsig/tests.rs", "three"), ("tsig/b.rs".into(), None)]);
        let prose = "the limit (`xfr.rs::big_one`, after `notify_retries`, `max`) and `x.rs::a_…`, `*_tail`";
        assert_eq!(cited(prose), [c("xfr.rs", "big_one"), c("x.rs", "a_…"), c("x.rs", "*_tail")]);
        let scn = "| Q16 | ANY | `c.rs::any` (dig); scenarios `core.scn` `any-udp`, `any-tcp` |";
        assert_eq!(cited(scn), [c("c.rs", "any"), ("core.scn".into(), None), c("core.scn", "any-udp"), c("core.scn", "any-tcp")]);
        assert!(cited("```\n`a.rs::in_a_fence`\n```\n").is_empty());
        assert!(cited("`server/tests/FILE::test` and `ClientSession`, `dig -y`").is_empty());
    }

    #[test]
    fn patterns_and_globs() {
        assert!(name_matches("secondary_follows_…", "secondary_follows_primary"));
        assert!(name_matches("ironbind_secondary_of_*", "ironbind_secondary_of_knot_primary"));
        assert!(name_matches("*_with_tsig", "bind_secondary_of_ironbind_primary_with_tsig"));
        assert!(!name_matches("exact", "exact_not"));
        assert!(glob("xfr_rows_*.rs", "xfr_rows_in.rs") && !glob("xfr_rows_*.rs", "xfr_ironbind.rs"));
        assert_eq!(fn_names("fn a() {}\n#[test]\nfn b_c() {}\nfn_like(); async fn d()"), ["a", "b_c", "d"]);
        assert!(is_row_id("Q22") && is_row_id("E10") && is_row_id("CZ1") && !is_row_id("RRL") && !is_row_id("Q") && !is_row_id("–"));
    }

    #[test]
    fn row_tables() {
        let doc = "| Row | Requirement |\n|---|---|\n| A1 | x |\n| RRL | y |\n\n| Other | t |\n|---|---|\n| B2 | z |\n";
        assert_eq!(table_rows(doc), [(3, "A1".to_string())]);
        assert_eq!(defined_rows(doc), ["A1", "B2"].into_iter().map(String::from).collect());
    }
}
