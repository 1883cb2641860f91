//! Replay protection for signed requests that change state (RFC 8945 §5.2.3).
//!
//! Owns: the set of (key, Time Signed, MAC) triples of the verified requests
//! seen within the fudge window, whether each is still being handled, and the
//! answer to "was this one seen?". A copy that arrives while the first is
//! still being handled is a client's retransmission (nsupdate resends after
//! 3 s over UDP): the caller drops it and the first one's reply answers both.
//! A copy that arrives later is refused.
//! A request is only accepted while |now − Time Signed| ≤ [`MAX_FUDGE`], so a
//! triple is forgotten once its Time Signed is older than that: an exact
//! replay is refused for as long as it could otherwise be accepted.
//! Must not: hold anything but verified requests (only a key holder can add
//! an entry, so the set cannot be filled by an attacker without the key), or
//! grow past its cap (the oldest entries go first).

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::Verified;
use super::MAX_FUDGE;

/// Most remembered requests; past it the oldest are forgotten.
pub const DEFAULT_CAPACITY: usize = 65_536;

type Entry = (u64, Box<[u8]>, Box<[u8]>);

/// What [`ReplayGuard::begin`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not seen: go on, then call [`ReplayGuard::finish`].
    Fresh,
    /// The same request is being handled: a retransmission, drop it.
    InFlight,
    /// The same request was handled already: a replay, refuse it.
    Done,
}

/// Remembers verified requests for the fudge window.
#[derive(Debug)]
pub struct ReplayGuard {
    /// (Time Signed, key, MAC) → done.
    seen: Mutex<BTreeMap<Entry, bool>>,
    capacity: usize,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl ReplayGuard {
    /// A guard that remembers at most `capacity` requests.
    pub fn new(capacity: usize) -> Self {
        Self { seen: Mutex::new(BTreeMap::new()), capacity: capacity.max(1) }
    }

    /// Records the verified request `v` at `now` (unix seconds) as being
    /// handled, unless the same key, Time Signed and MAC were seen already.
    pub fn begin(&self, v: &Verified, now: u64) -> Seen {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // Forget what could no longer pass the time check.
        let horizon = now.saturating_sub(u64::from(MAX_FUDGE));
        while seen.first_key_value().is_some_and(|((t, _, _), _)| *t < horizon) {
            seen.pop_first();
        }
        match seen.get(&entry(v)) {
            Some(true) => return Seen::Done,
            Some(false) => return Seen::InFlight,
            None => {}
        }
        seen.insert(entry(v), false);
        while seen.len() > self.capacity {
            seen.pop_first();
        }
        Seen::Fresh
    }

    /// Marks `v` (admitted by [`begin`](Self::begin)) as handled: a later
    /// copy is a replay.
    pub fn finish(&self, v: &Verified) {
        if let Some(done) = self.seen.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&entry(v)) {
            *done = true;
        }
    }

    /// Requests remembered now.
    pub fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn entry(v: &Verified) -> Entry {
    (v.time_signed, v.key.name.clone(), v.request_mac.clone().into_boxed_slice())
}
