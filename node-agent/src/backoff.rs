//! The kubelet's restart back-off for a crashing container: the first
//! restart at once, then 10 s, doubling up to 5 min; a run longer than
//! 10 min starts the sequence over.
//!
//! Owns: the delay before the next start. Must not: sleep or start anything
//! (the container supervisor does both).

use std::time::Duration;

/// The first delay after a crash that follows a restart.
pub const INITIAL: Duration = Duration::from_secs(10);
/// The longest delay.
pub const MAX: Duration = Duration::from_secs(300);
/// A run at least this long forgets earlier crashes.
pub const RESET_AFTER: Duration = Duration::from_secs(600);

/// The back-off of one container.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    /// The delay the next crash gets (`None`: no recent crash, restart at once).
    next: Option<Duration>,
}

impl Backoff {
    /// A back-off with no crash behind it.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process exited after running `ran`: how long to wait before
    /// starting it again. As the kubelet: at once the first time, then
    /// 10 s, 20 s, 40 s … 5 min; after a run of 10 min or more, at once again.
    pub fn after_exit(&mut self, ran: Duration) -> Duration {
        if ran >= RESET_AFTER {
            self.next = None;
        }
        match self.next {
            None => {
                self.next = Some(INITIAL);
                Duration::ZERO
            }
            Some(d) => {
                self.next = Some((d * 2).min(MAX));
                d
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn doubles_from_ten_seconds_to_five_minutes() {
        let mut b = Backoff::new();
        let delays: Vec<u64> = (0..9).map(|_| b.after_exit(secs(1)).as_secs()).collect();
        assert_eq!(delays, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn a_long_run_resets_it() {
        let mut b = Backoff::new();
        for _ in 0..5 {
            b.after_exit(secs(1));
        }
        assert_eq!(b.after_exit(secs(599)), secs(160), "under 10 min keeps doubling");
        assert_eq!(b.after_exit(secs(600)), Duration::ZERO, "10 min running forgets the crashes");
        assert_eq!(b.after_exit(secs(1)), secs(10));
    }
}
