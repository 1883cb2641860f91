//! The operator's own counters, rendered in the Prometheus text format on
//! `/metrics`: reconciles and their durations by kind and result, API writes
//! by kind and verb (the idle check: none when nothing changed), and whether
//! this process holds the leader Lease.
//!
//! Owns: the process-wide registry and its text rendering. Must not: serve
//! HTTP (`http` does) or decide anything from the numbers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds (seconds) of the reconcile duration histogram.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The registry.
#[derive(Default)]
pub struct Metrics {
    reconciles: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    durations: Mutex<BTreeMap<&'static str, Histogram>>,
    writes: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    leader: AtomicBool,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The process's registry.
pub fn global() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::default)
}

impl Metrics {
    /// One reconcile of `kind` finished in `took`, successfully or not.
    pub fn reconciled(&self, kind: &'static str, took: Duration, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        *lock(&self.reconciles).entry((kind, result)).or_default() += 1;
        let secs = took.as_secs_f64();
        let mut d = lock(&self.durations);
        let h = d.entry(kind).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// One write (`verb`: apply, create, delete, status, event …) to the API server for `kind`.
    pub fn api_write(&self, kind: &'static str, verb: &'static str) {
        *lock(&self.writes).entry((kind, verb)).or_default() += 1;
    }

    /// Whether this process leads (runs the controllers).
    pub fn set_leader(&self, leader: bool) {
        self.leader.store(leader, Ordering::Relaxed);
    }

    /// The total of API writes so far (all kinds and verbs).
    pub fn api_writes_total(&self) -> u64 {
        lock(&self.writes).values().sum()
    }

    /// The registry in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        out.push_str("# HELP ironbind_operator_reconciles_total Reconciles finished, by kind and result.\n");
        out.push_str("# TYPE ironbind_operator_reconciles_total counter\n");
        for ((kind, result), n) in lock(&self.reconciles).iter() {
            let _ = writeln!(out, "ironbind_operator_reconciles_total{{kind=\"{kind}\",result=\"{result}\"}} {n}");
        }
        out.push_str("# HELP ironbind_operator_reconcile_errors_total Reconciles that failed, by kind.\n");
        out.push_str("# TYPE ironbind_operator_reconcile_errors_total counter\n");
        for ((kind, result), n) in lock(&self.reconciles).iter() {
            if *result == "error" {
                let _ = writeln!(out, "ironbind_operator_reconcile_errors_total{{kind=\"{kind}\"}} {n}");
            }
        }
        out.push_str("# HELP ironbind_operator_reconcile_duration_seconds Time one reconcile took, by kind.\n");
        out.push_str("# TYPE ironbind_operator_reconcile_duration_seconds histogram\n");
        for (kind, h) in lock(&self.durations).iter() {
            for (b, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "ironbind_operator_reconcile_duration_seconds_bucket{{kind=\"{kind}\",le=\"{b}\"}} {n}");
            }
            let _ = writeln!(out, "ironbind_operator_reconcile_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "ironbind_operator_reconcile_duration_seconds_sum{{kind=\"{kind}\"}} {}", h.sum);
            let _ = writeln!(out, "ironbind_operator_reconcile_duration_seconds_count{{kind=\"{kind}\"}} {}", h.count);
        }
        out.push_str("# HELP ironbind_operator_api_writes_total Writes to the API server, by kind and verb.\n");
        out.push_str("# TYPE ironbind_operator_api_writes_total counter\n");
        for ((kind, verb), n) in lock(&self.writes).iter() {
            let _ = writeln!(out, "ironbind_operator_api_writes_total{{kind=\"{kind}\",verb=\"{verb}\"}} {n}");
        }
        out.push_str("# HELP ironbind_operator_leader Whether this process holds the leader Lease.\n");
        out.push_str("# TYPE ironbind_operator_leader gauge\n");
        let _ = writeln!(out, "ironbind_operator_leader {}", u8::from(self.leader.load(Ordering::Relaxed)));
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histogram() {
        let m = Metrics::default();
        m.reconciled("Bind9Instance", Duration::from_millis(20), true);
        m.reconciled("Bind9Instance", Duration::from_secs(3), false);
        m.api_write("Deployment", "apply");
        m.set_leader(true);
        let t = m.render();
        assert!(t.contains("ironbind_operator_reconciles_total{kind=\"Bind9Instance\",result=\"ok\"} 1\n"), "{t}");
        assert!(t.contains("ironbind_operator_reconcile_errors_total{kind=\"Bind9Instance\"} 1\n"), "{t}");
        assert!(t.contains("_bucket{kind=\"Bind9Instance\",le=\"0.025\"} 1\n"), "{t}");
        assert!(t.contains("_bucket{kind=\"Bind9Instance\",le=\"10\"} 2\n"), "{t}");
        assert!(t.contains("_count{kind=\"Bind9Instance\"} 2\n"), "{t}");
        assert!(t.contains("ironbind_operator_api_writes_total{kind=\"Deployment\",verb=\"apply\"} 1\n"), "{t}");
        assert!(t.contains("ironbind_operator_leader 1\n"), "{t}");
        assert_eq!(m.api_writes_total(), 1);
    }
}
