//! The dependency order of the library's modules, checked from the source.
//!
//! `server/src/lib.rs` lists the top-level modules from the highest
//! (`runtime`) to the lowest (`wire`); a module may use only modules below
//! it. This test reads every source file, finds the modules it names
//! (`crate::x`, in code and `use` lines, not in comments or unit tests) and
//! fails on any name of a module at or above its own layer. Within one
//! top-level module it also fails on a cycle between sibling submodules
//! (`a` uses `b` and `b` uses `a`, directly or through others); a module's
//! `mod.rs` is its root and may re-export from its children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Highest first: the order stated in lib.rs and ARCHITECTURE.md.
const ORDER: &[&str] = &[
    "runtime",
    "control",
    "lifecycle",
    "config",
    "remote",
    "net",
    "store",
    "metrics",
    "query",
    "catalog",
    "xfr",
    "zone",
    "tsig",
    "acl",
    "wire",
    "clock",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Unit-test files and modules may reach anything: they are not part of the library.
fn is_test_file(rel: &Path) -> bool {
    let stem = rel.file_stem().unwrap().to_str().unwrap();
    stem == "tests" || stem.ends_with("_tests") || stem.starts_with("tests_")
}

/// The code of a file without comments and without an inline `#[cfg(test)] mod … { … }` tail.
fn code(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if t.starts_with("#[cfg(test)]") && lines.get(i + 1).is_some_and(|n| n.trim_start().starts_with("mod ") && n.trim_end().ends_with('{')) {
            // Skip the test module: to the brace that closes it.
            let mut depth = 0i32;
            i += 1;
            while i < lines.len() {
                depth += lines[i].matches('{').count() as i32 - lines[i].matches('}').count() as i32;
                i += 1;
                if depth <= 0 {
                    break;
                }
            }
            continue;
        }
        if !t.starts_with("//") {
            // A trailing comment cannot name a module as code does; drop it.
            out.push_str(t.split(" //").next().unwrap());
            out.push('\n');
        }
        i += 1;
    }
    out
}

/// Every `crate::a::b…` path in `code`, as its segments (`crate::{a, b::c}` included).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `ironbind_crate::` and the like
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                out.push(segments(item.trim()));
            }
        } else {
            out.push(segments(rest));
        }
    }
    out
}

fn segments(s: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = s;
    loop {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        v.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    v
}

/// Every module path a file names, absolute: `crate::a::b` as is,
/// `super::x` and `self::x` resolved from the file's own module path.
fn named_paths(code: &str, own: &[String]) -> Vec<Vec<String>> {
    let mut out = crate_paths(code);
    for word in ["super::", "self::"] {
        let mut at = 0;
        while let Some(i) = code[at..].find(word).map(|i| at + i) {
            let before = code[..i].chars().last();
            let tail = &code[i..];
            at = i + word.len();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // the second `super::` of `super::super::`, or `x::self`
            }
            let segs = segments(tail);
            let ups = segs.iter().take_while(|s| *s == "super").count();
            let selfs = usize::from(segs.first().is_some_and(|s| s == "self"));
            if ups > own.len() {
                continue;
            }
            let base = own[..own.len() - ups].to_vec();
            // The text after the prefix: `x::y`, or a group `{x, y::z}`.
            let prefix_len = segs.iter().take(ups + selfs).map(|s| s.len() + 2).sum::<usize>();
            let items: Vec<Vec<String>> = match tail[prefix_len..].strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(group.len())].split(',').map(|i| segments(i.trim())).collect(),
                None => vec![segs.into_iter().skip(ups + selfs).collect()],
            };
            for item in items.into_iter().filter(|i| !i.is_empty()) {
                let mut p = base.clone();
                p.extend(item);
                out.push(p);
            }
        }
    }
    out
}

struct Source {
    rel: PathBuf,
    top: String,
    /// The file's module path (`["query", "update"]` for `query/update/mod.rs`).
    module: Vec<String>,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = src();
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    let mut out = Vec::new();
    for p in all {
        let rel = p.strip_prefix(&root).unwrap().to_path_buf();
        if is_test_file(&rel) || rel == Path::new("lib.rs") || rel == Path::new("main.rs") {
            continue;
        }
        let mut module: Vec<String> = rel.iter().map(|c| c.to_str().unwrap().trim_end_matches(".rs").to_string()).collect();
        if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        let text = std::fs::read_to_string(&p).unwrap();
        out.push(Source { rel, top: module[0].clone(), module, code: code(&text) });
    }
    out
}

fn rank(m: &str) -> Option<usize> {
    ORDER.iter().position(|x| *x == m)
}

#[test]
fn lib_rs_declares_the_modules_in_this_order() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let declared: Vec<&str> = lib.lines().filter_map(|l| l.strip_prefix("pub mod ")).map(|l| l.trim_end_matches(';')).collect();
    assert_eq!(declared, ORDER, "lib.rs and this test must state the same order");
    let on_disk: BTreeSet<String> = std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.file_name().is_some_and(|n| n != "lib.rs" && n != "main.rs"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(on_disk, ORDER.iter().map(|s| s.to_string()).collect(), "every top-level module has a place in the order");
}

#[test]
fn no_module_uses_one_above_it() {
    let mut wrong = Vec::new();
    for s in sources() {
        let own = rank(&s.top).unwrap_or_else(|| panic!("{}: module {} is not in ORDER", s.rel.display(), s.top));
        let used: BTreeSet<String> = crate_paths(&s.code).into_iter().filter_map(|p| p.into_iter().next()).collect();
        for m in used.iter().filter(|m| **m != s.top) {
            match rank(m) {
                Some(r) if r > own => {}
                Some(_) => wrong.push(format!("{}: {} uses {m}, which is above it", s.rel.display(), s.top)),
                None => wrong.push(format!("{}: crate::{m} is not a module in ORDER", s.rel.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies against the order {ORDER:?}:\n{}", wrong.join("\n"));
}

#[test]
fn no_cycle_between_sibling_modules() {
    let all = sources();
    let modules: BTreeSet<Vec<String>> = all.iter().flat_map(|s| (1..=s.module.len()).map(|n| s.module[..n].to_vec())).collect();
    // (parent, child) → siblings that child uses, at every level of nesting.
    let mut edges: BTreeMap<(Vec<String>, String), BTreeSet<String>> = BTreeMap::new();
    for s in &all {
        for target in named_paths(&s.code, &s.module) {
            let common = s.module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            let (Some(from), Some(to)) = (s.module.get(common), target.get(common)) else { continue };
            if modules.contains(&target[..=common]) {
                edges.entry((s.module[..common].to_vec(), from.clone())).or_default().insert(to.clone());
            }
        }
    }
    let mut cycles = Vec::new();
    for ((parent, from), tos) in &edges {
        for to in tos {
            if from < to && reaches(&edges, parent, to, from, &mut BTreeSet::new()) {
                cycles.push(format!("{}: {from} ↔ {to}", if parent.is_empty() { "crate".to_string() } else { parent.join("::") }));
            }
        }
    }
    assert!(cycles.is_empty(), "sibling modules that depend on each other:\n{}", cycles.join("\n"));
}

fn reaches(
    edges: &BTreeMap<(Vec<String>, String), BTreeSet<String>>,
    parent: &[String],
    from: &str,
    goal: &str,
    seen: &mut BTreeSet<String>,
) -> bool {
    if from == goal {
        return true;
    }
    if !seen.insert(from.to_string()) {
        return false;
    }
    edges.get(&(parent.to_vec(), from.to_string())).is_some_and(|next| next.iter().any(|n| reaches(edges, parent, n, goal, seen)))
}
#[test]
fn the_checks_see_what_they_check() {
    // A check that reads nothing passes everything: make sure it reads.
    assert!(sources().len() > 80);
    let paths = crate_paths("use crate::{wire::name, zone};\nlet x = crate::xfr::diff::f();");
    assert_eq!(paths, vec![vec!["wire", "name"], vec!["zone"], vec!["xfr", "diff", "f"]]);
    let own = vec!["query".to_string(), "update".to_string(), "apply".to_string()];
    let named = named_paths("use super::X; super::super::handler::f(); use super::{a, b::c}; self::y::Z", &own);
    let want: Vec<Vec<&str>> = vec![
        vec!["query", "update", "X"],
        vec!["query", "handler", "f"],
        vec!["query", "update", "a"],
        vec!["query", "update", "b", "c"],
        vec!["query", "update", "apply", "y", "Z"],
    ];
    assert_eq!(named, want);
    let c = code("fn a() {}\n#[cfg(test)]\nmod tests {\n use crate::runtime;\n}\nfn b() { crate::zone::f() }");
    assert!(!c.contains("runtime") && c.contains("crate::zone"), "{c}");
}
