//! Response rate limiting counters: responses dropped and slipped.
//!
//! Owns: one cell per (kind, action), counted by [`crate::query::rrl`]'s
//! caller when it holds a response back, and their rendering. Must not:
//! count responses sent (those are in [`super::counters`]). Only limited
//! responses touch these cells, so a client under its rate costs nothing
//! here; under a flood, an increment is one relaxed `fetch_add`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::query::rrl::Kind;

/// [dropped, slipped] per kind, in [`Kind::ALL`] order.
static CELLS: [[AtomicU64; 2]; 3] = [const { [const { AtomicU64::new(0) }; 2] }; 3];

/// Counts one response held back: `slipped` when a truncated one went
/// instead, else dropped.
#[inline]
pub fn record(kind: Kind, slipped: bool) {
    CELLS[kind as usize][slipped as usize].fetch_add(1, Relaxed);
}

/// Responses of `kind` dropped (`slipped` false) or slipped so far.
pub fn count(kind: Kind, slipped: bool) -> u64 {
    CELLS[kind as usize][slipped as usize].load(Relaxed)
}

/// Renders `ironbind_rrl_responses_total`.
pub(super) fn render(out: &mut super::Text) {
    out.head(
        "ironbind_rrl_responses_total",
        "counter",
        "UDP responses held back by response rate limiting, by kind (responses, nxdomains, errors) and action (dropped; slipped: sent truncated instead).",
    );
    for kind in Kind::ALL {
        for (action, slipped) in [("dropped", false), ("slipped", true)] {
            out.sample("ironbind_rrl_responses_total", &[("kind", kind.label()), ("action", action)], count(kind, slipped));
        }
    }
}
