//! The IXFR journal of one zone: the recent history of diffs (RFC 1995 §5).
//!
//! Owns: a bounded, chained list of [`Diff`]s ending at the zone's current
//! version, finding the history from a client's serial ([`Journal::since`])
//! and condensing it into one diff ([`Journal::condensed`]).
//! Must not: render messages or touch disk (`store::journal_file` persists
//! it); it never holds a gap — a diff that does not start where the last one
//! ended clears the history first.
//!
//! ```text
//!   push(d): d.from == last.to ? append : clear, append      (chain, never a gap)
//!            then drop oldest while  entries > max_entries
//!                                 or bytes   > max_bytes
//!   record(d, zone): push(d), then drop oldest while bytes > zone size   (I6)
//!   since(s):  [d_i, …, d_last] where d_i.from == s            (None: no history)
//! ```

use std::collections::VecDeque;

use super::diff::{condense, zone_size, Diff};
use super::serial::serial_gt;
use crate::zone::Zone;

/// Bounds of a journal. Whatever the bounds, history older than what fits is
/// dropped and clients that need it get a full zone (RFC 1995 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalLimits {
    /// Most diffs kept. Default 1000: enough for a secondary that was down for
    /// a day against a zone updated every two minutes; at least 1.
    pub max_entries: usize,
    /// Most octets of diffs kept (uncompressed wire size). Default 32 MiB,
    /// which bounds memory and the size of the journal file per zone; at
    /// least 4 KiB.
    pub max_bytes: usize,
}

impl JournalLimits {
    /// Default [`max_entries`](Self::max_entries).
    pub const DEFAULT_MAX_ENTRIES: usize = 1000;
    /// Default [`max_bytes`](Self::max_bytes).
    pub const DEFAULT_MAX_BYTES: usize = 32 << 20;
    /// Smallest [`max_bytes`](Self::max_bytes): one small diff must fit.
    pub const MIN_MAX_BYTES: usize = 4096;

    /// The limits, raised to their minimums.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self { max_entries: max_entries.max(1), max_bytes: max_bytes.max(Self::MIN_MAX_BYTES) }
    }
}

impl Default for JournalLimits {
    fn default() -> Self {
        Self { max_entries: Self::DEFAULT_MAX_ENTRIES, max_bytes: Self::DEFAULT_MAX_BYTES }
    }
}

/// What [`Journal::push`] did with a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Appended after the previous diff.
    Appended,
    /// The diff did not start at the journal's last serial: the history was
    /// cleared and the diff starts a new one.
    Reset,
    /// The diff does not move the serial forward (RFC 1982): not kept, and the
    /// history was cleared, since it can no longer lead to the zone's version.
    Rejected,
}

/// The history of one zone.
#[derive(Debug, Clone)]
pub struct Journal {
    origin: Box<[u8]>,
    diffs: VecDeque<Diff>,
    bytes: usize,
    limits: JournalLimits,
    /// While [`Journal::record_undoable`] runs: every diff dropped, in the
    /// order dropped (oldest first), so [`Journal::undo`] can put them back.
    capture: Option<VecDeque<Diff>>,
}

/// What [`Journal::record_undoable`] changed, to put it back with
/// [`Journal::undo`] when the change could not be made durable.
#[derive(Debug, Default)]
pub struct JournalUndo {
    /// Diffs held before.
    before: usize,
    /// Diffs of the batch that were appended.
    added: usize,
    /// Diffs dropped by purges or resets, in the order dropped.
    dropped: VecDeque<Diff>,
}

impl Journal {
    /// An empty journal for the zone at `origin` (lowercase wire).
    pub fn new(origin: &[u8], limits: JournalLimits) -> Self {
        Self { origin: origin.into(), diffs: VecDeque::new(), bytes: 0, limits, capture: None }
    }

    /// The zone's apex.
    pub fn origin(&self) -> &[u8] {
        &self.origin
    }

    /// The bounds.
    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    /// Number of diffs held.
    pub fn len(&self) -> usize {
        self.diffs.len()
    }

    /// True when no history is held.
    pub fn is_empty(&self) -> bool {
        self.diffs.is_empty()
    }

    /// Octets of diffs held (uncompressed wire size).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The oldest serial a client may hold and still get an incremental transfer.
    pub fn first_serial(&self) -> Option<u32> {
        self.diffs.front().map(Diff::from_serial)
    }

    /// The serial the history leads to.
    pub fn last_serial(&self) -> Option<u32> {
        self.diffs.back().map(Diff::to_serial)
    }

    /// True when the history ends at `zone`'s version, so it can answer IXFR
    /// for it. False after a crash between writing the journal and the zone.
    pub fn leads_to(&self, zone: &Zone) -> bool {
        self.last_serial() == Some(zone.serial)
    }

    /// The diffs, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Diff> {
        self.diffs.iter()
    }

    /// Drops the whole history.
    pub fn clear(&mut self) {
        match &mut self.capture {
            Some(c) => c.extend(self.diffs.drain(..)),
            None => self.diffs.clear(),
        }
        self.bytes = 0;
    }

    /// Appends `diff`, keeping the chain unbroken and the bounds respected.
    pub fn push(&mut self, diff: Diff) -> Pushed {
        let (from, to) = (diff.from_serial(), diff.to_serial());
        if !serial_gt(to, from) {
            self.clear();
            return Pushed::Rejected;
        }
        let outcome = match self.last_serial() {
            Some(last) if last != from => {
                self.clear();
                Pushed::Reset
            }
            _ => Pushed::Appended,
        };
        self.bytes += diff.wire_size();
        self.diffs.push_back(diff);
        while self.diffs.len() > self.limits.max_entries {
            self.pop_oldest();
        }
        self.trim_to(self.limits.max_bytes);
        outcome
    }

    /// Appends the diff that led to `zone` and purges history until the
    /// journal is no bigger than the zone itself (RFC 1995 §5, I6): beyond
    /// that, a full transfer is cheaper than the increments.
    pub fn record(&mut self, diff: Diff, zone: &Zone) -> Pushed {
        let outcome = self.push(diff);
        self.trim_to(zone_size(zone));
        outcome
    }

    /// Drops the oldest diffs until at most `max_bytes` are held; returns how
    /// many were dropped.
    pub fn trim_to(&mut self, max_bytes: usize) -> usize {
        let mut n = 0;
        while self.bytes > max_bytes && !self.diffs.is_empty() {
            self.pop_oldest();
            n += 1;
        }
        n
    }

    fn pop_oldest(&mut self) {
        if let Some(d) = self.diffs.pop_front() {
            self.bytes -= d.wire_size();
            if let Some(c) = &mut self.capture {
                c.push_back(d);
            }
        }
    }

    /// [`record`](Self::record)s each of `diffs` and says whether they were
    /// all simply appended (nothing purged or reset), with what it takes to
    /// [`undo`](Self::undo) the lot. Nothing is cloned: dropped diffs are
    /// moved aside.
    pub fn record_undoable(&mut self, diffs: Vec<Diff>, zone: &Zone) -> (bool, JournalUndo) {
        let before = self.diffs.len();
        self.capture = Some(VecDeque::new());
        let (mut only_appended, mut added) = (true, 0);
        for d in diffs {
            let len = self.diffs.len();
            let pushed = self.record(d, zone);
            added += usize::from(pushed != Pushed::Rejected);
            only_appended &= pushed == Pushed::Appended && self.diffs.len() == len + 1;
        }
        let dropped = self.capture.take().unwrap_or_default();
        (only_appended, JournalUndo { before, added, dropped })
    }

    /// Clears the history, keeping what it takes to [`undo`](Self::undo) it.
    pub fn clear_undoable(&mut self) -> JournalUndo {
        let before = self.diffs.len();
        self.bytes = 0;
        JournalUndo { before, added: 0, dropped: std::mem::take(&mut self.diffs) }
    }

    /// Puts the history back as it was before the batch `u` describes.
    /// Diffs leave from the front, so every old diff was dropped before any
    /// of the batch: the batch's survivors are the newest, and the batch's
    /// dropped ones the last of `u.dropped`.
    pub fn undo(&mut self, mut u: JournalUndo) {
        let new_dropped = u.dropped.len().saturating_sub(u.before);
        for _ in 0..u.added.saturating_sub(new_dropped) {
            if let Some(d) = self.diffs.pop_back() {
                self.bytes -= d.wire_size();
            }
        }
        u.dropped.truncate(u.before.min(u.dropped.len()));
        while let Some(d) = u.dropped.pop_back() {
            self.bytes += d.wire_size();
            self.diffs.push_front(d);
        }
    }

    /// The diffs from version `serial` to the newest, oldest first: empty when
    /// `serial` is the newest; `None` when the history does not reach back to
    /// `serial`. Serials match exactly; the newest diff starting at `serial`
    /// wins should the serial have wrapped all the way round.
    pub fn since(&self, serial: u32) -> Option<impl Iterator<Item = &Diff>> {
        if self.last_serial()? == serial {
            return Some(self.diffs.range(self.diffs.len()..));
        }
        let i = self.diffs.iter().rposition(|d| d.from_serial() == serial)?;
        Some(self.diffs.range(i..))
    }

    /// The history from `serial` condensed into one diff (RFC 1995 §5);
    /// `None` when there is no history from `serial` or nothing to send.
    pub fn condensed(&self, serial: u32) -> Option<Diff> {
        condense(self.since(serial)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::xfr::diff::Rr;

    /// SOA RDATA with root names and `serial`.
    pub fn soa(serial: u32) -> Rr {
        let mut rdata = vec![0u8, 0];
        for v in [serial, 7200, 3600, 1_209_600, 300] {
            rdata.extend_from_slice(&v.to_be_bytes());
        }
        Rr::new(b"\x07example\x03com\x00", 6, 3600, &rdata)
    }

    /// A diff `from → to` adding one A record per entry of `hosts`.
    pub fn diff(from: u32, to: u32, hosts: &[u8]) -> Diff {
        let added = hosts.iter().map(|&h| Rr::new(&[[1, b'h'].as_slice(), b"\x07example\x03com\x00"].concat(), 1, 60, &[192, 0, 2, h])).collect();
        Diff { from_soa: soa(from), to_soa: soa(to), removed: Vec::new(), added }
    }

    fn serials<'a>(it: impl Iterator<Item = &'a Diff>) -> Vec<(u32, u32)> {
        it.map(|d| (d.from_serial(), d.to_serial())).collect()
    }

    #[test]
    fn chains_and_resets() {
        let mut j = Journal::new(b"\x07example\x03com\x00", JournalLimits::default());
        assert_eq!(j.push(diff(1, 2, &[1])), Pushed::Appended);
        assert_eq!(j.push(diff(2, 3, &[2])), Pushed::Appended);
        assert_eq!(serials(j.iter()), [(1, 2), (2, 3)]);
        // a gap: the old history can no longer lead anywhere
        assert_eq!(j.push(diff(7, 8, &[3])), Pushed::Reset);
        assert_eq!(serials(j.iter()), [(7, 8)]);
        assert!(j.since(1).is_none());
        // a serial that does not move forward
        assert_eq!(j.push(diff(8, 8, &[4])), Pushed::Rejected);
        assert!(j.is_empty() && j.bytes() == 0);
    }

    #[test]
    fn since_across_the_serial_wrap() {
        let mut j = Journal::new(b"\x07example\x03com\x00", JournalLimits::default());
        for (a, b) in [(u32::MAX - 1, u32::MAX), (u32::MAX, 1), (1, 2)] {
            assert_eq!(j.push(diff(a, b, &[a as u8])), Pushed::Appended);
        }
        assert_eq!(serials(j.since(u32::MAX).unwrap()), [(u32::MAX, 1), (1, 2)]);
        assert_eq!(serials(j.since(u32::MAX - 1).unwrap()), [(u32::MAX - 1, u32::MAX), (u32::MAX, 1), (1, 2)]);
        assert_eq!(j.since(2).unwrap().count(), 0, "current: nothing to send");
        assert!(j.since(0).is_none() && j.since(3).is_none());
        let c = j.condensed(u32::MAX).unwrap();
        assert_eq!((c.from_serial(), c.to_serial(), c.added.len()), (u32::MAX, 2, 2));
        assert!(j.condensed(2).is_none());
    }

    #[test]
    fn purges_oldest_by_count_and_size() {
        let mut j = Journal::new(b"\x07example\x03com\x00", JournalLimits::new(3, 0));
        for s in 1..=5 {
            j.push(diff(s, s + 1, &[s as u8]));
        }
        assert_eq!(serials(j.iter()), [(3, 4), (4, 5), (5, 6)]);
        assert_eq!(j.bytes(), j.iter().map(Diff::wire_size).sum::<usize>());
        // a small zone: the journal may not outgrow it (I6)
        let zone = crate::xfr::diff::fixtures::zone(7, "");
        let big = diff(6, 7, &(0..=255).collect::<Vec<u8>>());
        assert!(big.wire_size() > zone_size(&zone));
        assert_eq!(j.record(big, &zone), Pushed::Appended);
        assert!(j.is_empty(), "a diff bigger than the zone is not worth keeping");
        assert_eq!(j.record(diff(7, 8, &[1]), &crate::xfr::diff::fixtures::zone(8, "h IN A 192.0.2.1\n")), Pushed::Appended);
        assert_eq!(j.len(), 1);
        assert!(j.bytes() <= j.limits().max_bytes);
    }

    #[test]
    fn undo_puts_back_appends_purges_resets_and_clears() {
        let text: String = (0..50).map(|i| format!("h{i} IN A 192.0.2.1\n")).collect();
        let zone = crate::xfr::diff::fixtures::zone(100, &text);
        let check = |j: &Journal, want: &[(u32, u32)]| {
            assert_eq!(serials(j.iter()), want);
            assert_eq!(j.bytes(), j.iter().map(Diff::wire_size).sum::<usize>());
        };
        let mut j = Journal::new(b"\x07example\x03com\x00", JournalLimits::new(3, 1 << 20));
        for s in 1..=3 {
            j.push(diff(s, s + 1, &[s as u8]));
        }
        // A plain append.
        let (only, u) = j.record_undoable(vec![diff(4, 5, &[4])], &zone);
        assert!(!only, "the count limit purged the oldest");
        check(&j, &[(2, 3), (3, 4), (4, 5)]);
        j.undo(u);
        check(&j, &[(1, 2), (2, 3), (3, 4)]);
        // Several, some of which are purged again by the count limit.
        let (_, u) = j.record_undoable(vec![diff(4, 5, &[4]), diff(5, 6, &[5]), diff(6, 7, &[6]), diff(7, 8, &[7])], &zone);
        check(&j, &[(5, 6), (6, 7), (7, 8)]);
        j.undo(u);
        check(&j, &[(1, 2), (2, 3), (3, 4)]);
        // A reset (a gap), and one more after it.
        let (_, u) = j.record_undoable(vec![diff(9, 10, &[9]), diff(10, 11, &[10])], &zone);
        check(&j, &[(9, 10), (10, 11)]);
        j.undo(u);
        check(&j, &[(1, 2), (2, 3), (3, 4)]);
        // A clear (a full transfer).
        let u = j.clear_undoable();
        assert!(j.is_empty() && j.bytes() == 0);
        j.undo(u);
        check(&j, &[(1, 2), (2, 3), (3, 4)]);
        // A rejected diff (serial not moving forward) clears the history.
        let (only, u) = j.record_undoable(vec![diff(4, 4, &[1])], &zone);
        assert!(!only && j.is_empty());
        j.undo(u);
        check(&j, &[(1, 2), (2, 3), (3, 4)]);
    }
}
