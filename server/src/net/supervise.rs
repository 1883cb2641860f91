//! Supervision of the network workers: a panic in a UDP worker (a bug
//! reached by some input) must neither kill that worker silently nor leave
//! its socket unanswered.
//!
//! Owns: running a worker body again after it panicked, with the panic
//! logged (message and location) and counted (`ironbind_worker_panics_total`),
//! and giving up by aborting the process when panics come faster than
//! [`MAX_PANICS`] per [`PANIC_WINDOW`], so that a supervisor (systemd, the
//! kubelet) restarts it rather than a worker spinning on a poisoned state.
//! Must not: catch anything on the per-query path (the body is the whole
//! worker loop: a panic costs the batch in hand, nothing else).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// Panics tolerated within [`PANIC_WINDOW`] before the process aborts.
pub const MAX_PANICS: usize = 10;

/// The window [`MAX_PANICS`] counts over.
pub const PANIC_WINDOW: Duration = Duration::from_secs(60);

/// What a supervised body did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The body returned (shutdown): stop.
    Done,
    /// It panicked too often: the caller aborts the process.
    GiveUp,
}

/// Runs `body` until it returns, restarting it after each panic. `count`
/// is called once per panic (the metric). Returns [`Verdict::GiveUp`] after
/// more than [`MAX_PANICS`] panics within [`PANIC_WINDOW`].
pub fn supervise(name: &str, mut count: impl FnMut(), mut body: impl FnMut()) -> Verdict {
    let mut recent: Vec<Instant> = Vec::new();
    loop {
        match catch_unwind(AssertUnwindSafe(&mut body)) {
            Ok(()) => return Verdict::Done,
            Err(payload) => {
                count();
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".into());
                let now = Instant::now();
                recent.retain(|t| now.duration_since(*t) < PANIC_WINDOW);
                recent.push(now);
                if recent.len() > MAX_PANICS {
                    tracing::error!(worker = name, panic = %msg, "worker panicked {} times within {} s; aborting so the process is restarted", recent.len(), PANIC_WINDOW.as_secs());
                    return Verdict::GiveUp;
                }
                tracing::error!(worker = name, panic = %msg, restarts = recent.len(), "worker panicked; restarting it");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_after_a_panic_and_stops_when_done() {
        let (mut runs, mut panics) = (0, 0);
        let v = supervise(
            "test",
            || panics += 1,
            || {
                runs += 1;
                if runs <= 3 {
                    panic!("boom {runs}");
                }
            },
        );
        assert_eq!(v, Verdict::Done);
        assert_eq!((runs, panics), (4, 3));
    }

    #[test]
    fn gives_up_when_panics_come_too_fast() {
        let mut panics = 0;
        let v = supervise("test", || panics += 1, || panic!("always"));
        assert_eq!(v, Verdict::GiveUp);
        assert_eq!(panics, MAX_PANICS + 1);
    }
}
