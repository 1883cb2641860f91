//! Where the benches leave their results, and reading them back.
//!
//! Criterion writes its estimates to `<criterion dir>/<group>/<function>/new/estimates.json`
//! (the group `lookup/small/exact` becomes the directory `lookup_small_exact`).
//! Beside them the benches write two small JSON files of their own:
//! [`CHECKS_FILE`] (is each engine's answer right, and what it was) and
//! [`ALLOCS_FILE`] (allocations per query). The `ratios` binary reads all three.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// Answer checks written by the `lookup` bench: `{ "small/exact": { "ironbind": "ok: …", … } }`.
pub const CHECKS_FILE: &str = "ironbind-lookup-checks.json";
/// Allocations per query written by the `lookup_allocs` bench: `{ "small/exact": { "ironbind": 0.0, … } }`.
pub const ALLOCS_FILE: &str = "ironbind-lookup-allocs.json";

/// The directory criterion writes to, found the way criterion finds it:
/// `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the workspace's
/// `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(d).join("criterion");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
}

/// The criterion group for a zone size and query kind, e.g. `lookup/small/exact`.
pub fn group_name(size: &str, kind: &str) -> String {
    format!("lookup/{size}/{kind}")
}

/// The directory criterion makes for a group: `/` (and other unsafe characters) become `_`.
pub fn group_dir(group: &str) -> String {
    group.chars().map(|c| if "?\"/\\*<>:|^".contains(c) { '_' } else { c }).collect()
}

/// Criterion's typical time per iteration in ns for `group`/`function`: the
/// slope estimate when present (linear sampling), else the mean.
pub fn estimate_ns(group: &str, function: &str) -> Option<f64> {
    let p = criterion_dir().join(group_dir(group)).join(function).join("new/estimates.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
    let pick = |k: &str| v.get(k)?.get("point_estimate")?.as_f64();
    pick("slope").or_else(|| pick("mean"))
}

/// Reads one of the benches' own JSON maps (empty when absent or unreadable).
pub fn read_map(file: &str) -> Map<String, Value> {
    std::fs::read_to_string(criterion_dir().join(file))
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default()
}

/// Merges `entries` (case → engine → value) into one of the benches' JSON maps,
/// keeping the cases this run did not touch (e.g. when a filter ran only some).
pub fn merge_map(file: &str, entries: Map<String, Value>) -> std::io::Result<()> {
    let mut m = read_map(file);
    for (case, v) in entries {
        match (m.get_mut(&case), v) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (_, v) => {
                m.insert(case, v);
            }
        }
    }
    let dir = criterion_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(file), serde_json::to_string_pretty(&Value::Object(m))?)
}
