//! Response rate limiting counters: responses dropped and slipped.
//!
//! Owns: rendering the cells [`crate::query::rrl`] counts (one per kind
//! and action, bumped when a response is held back). Must not: count
//! responses sent (those are in [`super::counters`]).

use crate::query::rrl::{count, Kind};

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
