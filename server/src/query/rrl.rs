//! Response rate limiting (RRL) for UDP, as BIND and Knot do it.
//!
//! Owns: the settings ([`RrlSettings`]: BIND's `responses-per-second`,
//! `nxdomains-per-second`, `errors-per-second`, `slip`, `window`, the IPv4
//! and IPv6 prefix lengths, `exempt-clients`), the fixed-size table of
//! client buckets ([`RateTable`]) and the decision for one response
//! ([`Verdict`]: send it, drop it, or slip a truncated one instead).
//! Must not: allocate, lock or block on the query path (a check is a few
//! loads and one compare-and-swap on one cache line of a table made at
//! start), apply to TCP (the handler calls it for UDP only: a TCP client
//! proved its address), or write messages (the handler writes the slip).
//!
//! A bucket is keyed by the client's prefix (/24 and /56 by default) and
//! the kind of response: answers and referrals, NXDOMAIN, errors. Each kind
//! has its own rate. Unlike BIND, which also splits answers by name and
//! type, the whole prefix shares one budget per kind (as Knot 3.4's `rrl`
//! does per address): a reflection victim gets at most the rate whatever
//! names the flood asks for.
//!
//! Each bucket is a token balance (BIND's `debit_rrl_entry`): it earns
//! `rate` credits a second up to `rate`, each response costs one, and a
//! response is sent while the balance stays at or above zero. Below zero
//! the balance may sink to `-window × rate`, so a client that keeps
//! flooding stays limited until it has been quiet for about `window`
//! seconds. A limited response is dropped, except every `slip`-th (the
//! first of each `slip`, 0 never), which goes out truncated (TC=1, no
//! records) so a real client behind the spoofed address retries over TCP.
//!
//! ```text
//!   bucket word (64 bits): tag (20) | slip count (4) | second (16) | balance (24, signed)
//!   table: buckets of 4 words (32 octets): the tag matches, or the least recently used is taken
//! ```
//!
//! Clients whose request carried a valid server cookie (RFC 7873) are not
//! limited: the cookie proves the address (BIND does the same).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use crate::acl::Acl;

/// Words per bucket: the tags compared for one key (one half cache line).
const WAYS: usize = 4;
/// Largest |balance| a word holds (24-bit signed).
const BALANCE_MAX: i64 = (1 << 23) - 1;

/// What kind of response is being limited; each kind has its own budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// NOERROR: answers, NODATA and referrals (`responses-per-second`).
    Response = 0,
    /// NXDOMAIN (`nxdomains-per-second`).
    NxDomain = 1,
    /// Any other RCODE: REFUSED, FORMERR, SERVFAIL, … (`errors-per-second`).
    Error = 2,
}

impl Kind {
    /// Every kind, in metric order.
    pub const ALL: [Kind; 3] = [Kind::Response, Kind::NxDomain, Kind::Error];

    /// The kind of a response with this 4-bit header RCODE.
    #[inline]
    pub fn of_rcode(rcode: u8) -> Kind {
        match rcode {
            0 => Kind::Response,
            3 => Kind::NxDomain,
            _ => Kind::Error,
        }
    }

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Response => "responses",
            Kind::NxDomain => "nxdomains",
            Kind::Error => "errors",
        }
    }
}

/// What to do with one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the rate: send it.
    Send,
    /// Over the rate: send nothing.
    Drop,
    /// Over the rate: send a truncated (TC=1) response instead.
    Slip,
}

/// Rate limiting settings (`[rrl]`). Rates are responses per second per
/// client prefix; 0 means no limit for that kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RrlSettings {
    /// Answers, NODATA and referrals (BIND `responses-per-second`).
    pub responses_per_second: u32,
    /// NXDOMAIN (BIND `nxdomains-per-second`).
    pub nxdomains_per_second: u32,
    /// Errors (BIND `errors-per-second`).
    pub errors_per_second: u32,
    /// Every `slip`-th limited response goes out truncated; 0 drops all.
    pub slip: u32,
    /// Seconds of debt a flooding client accumulates at most (BIND `window`).
    pub window: u32,
    /// IPv4 clients are grouped by this prefix length.
    pub ipv4_prefix_length: u8,
    /// IPv6 clients are grouped by this prefix length.
    pub ipv6_prefix_length: u8,
    /// Clients never limited.
    pub exempt: Acl,
}

impl RrlSettings {
    /// True when some kind is limited.
    pub fn enabled(&self) -> bool {
        self.responses_per_second > 0 || self.nxdomains_per_second > 0 || self.errors_per_second > 0
    }

    fn rate(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Response => self.responses_per_second,
            Kind::NxDomain => self.nxdomains_per_second,
            Kind::Error => self.errors_per_second,
        }
    }
}

/// The buckets, shared by every UDP worker (and kept across reloads), made
/// once with a fixed size.
#[derive(Debug)]
pub struct RateTable {
    words: Box<[AtomicU64]>,
    /// Buckets - 1 (a power of two less one).
    mask: usize,
    /// Keys the hash, so nobody can aim a flood at one bucket.
    seed: [u64; 2],
    epoch: Instant,
}

impl RateTable {
    /// A table of at least `entries` words (rounded up to a power of two,
    /// at least one bucket).
    pub fn new(entries: usize) -> Self {
        let buckets = (entries / WAYS).max(1).next_power_of_two();
        let words = (0..buckets * WAYS).map(|_| AtomicU64::new(0)).collect();
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0x52_524c);
            let a = h.finish();
            h.write_u64(a);
            [a, h.finish()]
        };
        Self { words, mask: buckets - 1, seed, epoch: Instant::now() }
    }

    /// Words in the table.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Never empty (at least one bucket).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Seconds since the table was made (the clock of the buckets).
    #[inline]
    pub fn now(&self) -> u32 {
        self.epoch.elapsed().as_secs() as u32
    }

    /// Debits one response of `kind` to `ip`'s prefix at second `now`.
    #[inline]
    pub fn check(&self, s: &RrlSettings, ip: IpAddr, kind: Kind, now: u32) -> Verdict {
        let rate = s.rate(kind);
        if rate == 0 {
            return Verdict::Send;
        }
        let h = self.key(s, ip, kind);
        let verdict = self.debit(h, rate as i64, s.window.max(1) as i64, s.slip, now as u16);
        if verdict != Verdict::Send && s.exempt.matches(ip) {
            return Verdict::Send;
        }
        verdict
    }

    /// The keyed hash of (prefix, kind).
    #[inline]
    fn key(&self, s: &RrlSettings, ip: IpAddr, kind: Kind) -> u64 {
        let (hi, lo) = match ip {
            IpAddr::V4(a) => {
                let bits = s.ipv4_prefix_length.min(32) as u32;
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                ((u32::from(a) & mask) as u64 | (1 << 40), 0)
            }
            IpAddr::V6(a) => {
                let bits = s.ipv6_prefix_length.min(128) as u32;
                let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
                let v = u128::from(a) & mask;
                ((v >> 64) as u64, v as u64 | 2)
            }
        };
        let a = (hi ^ self.seed[0] ^ ((kind as u64) << 48)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let b = (lo ^ self.seed[1]).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        let h = (a ^ b.rotate_left(31)).wrapping_mul(0x1656_67B1_9E37_79F9);
        h ^ (h >> 32)
    }

    /// The token-balance step for the bucket of hash `h` (see the module doc).
    #[inline]
    fn debit(&self, h: u64, rate: i64, window: i64, slip: u32, now: u16) -> Verdict {
        let base = (h as usize & self.mask) * WAYS;
        let bucket = &self.words[base..base + WAYS];
        let tag = ((h >> 44) as u32) | 1;
        let mut verdict = Verdict::Send;
        for _ in 0..4 {
            let (i, old, (mut balance, mut slips, t)) = find(bucket, tag, now, rate);
            let age = now.wrapping_sub(t) as i64;
            if age > window {
                (balance, slips) = (rate, 0);
            } else if age > 0 {
                balance += rate * age;
                if balance > rate {
                    (balance, slips) = (rate, 0);
                }
            }
            balance -= 1;
            verdict = if balance >= 0 {
                Verdict::Send
            } else {
                balance = balance.max(-(window * rate).min(BALANCE_MAX));
                let slipped = slip > 0 && slips == 0;
                slips = if slip > 0 { (slips + 1) % slip.min(15) } else { 0 };
                if slipped {
                    Verdict::Slip
                } else {
                    Verdict::Drop
                }
            };
            let new = encode(tag, slips, now, balance);
            if bucket[i].compare_exchange_weak(old, new, Relaxed, Relaxed).is_ok() {
                return verdict;
            }
        }
        // Lost the race four times (a flood on this bucket from several
        // workers): decide without recording.
        verdict
    }
}

/// The word of `tag` in `bucket` (index, word, decoded), or a fresh entry
/// in the least recently used word (balance `rate`, dated `now`).
#[inline]
fn find(bucket: &[AtomicU64], tag: u32, now: u16, rate: i64) -> (usize, u64, (i64, u32, u16)) {
    let (mut victim, mut victim_age, mut victim_word) = (0, -1i64, 0);
    for (i, slot) in bucket.iter().enumerate() {
        let w = slot.load(Relaxed);
        if (w >> 44) as u32 == tag {
            return (i, w, decode(w));
        }
        let age = if w == 0 { i64::MAX } else { now.wrapping_sub((w >> 24) as u16) as i64 };
        if age > victim_age {
            (victim, victim_age, victim_word) = (i, age, w);
        }
    }
    (victim, victim_word, (rate, 0, now))
}

#[inline]
fn encode(tag: u32, slips: u32, now: u16, balance: i64) -> u64 {
    ((tag as u64) << 44) | (((slips & 0xF) as u64) << 40) | ((now as u64) << 24) | ((balance as u64) & 0xFF_FFFF)
}

#[inline]
fn decode(w: u64) -> (i64, u32, u16) {
    let balance = ((w << 40) as i64) >> 40;
    (balance, ((w >> 40) & 0xF) as u32, (w >> 24) as u16)
}

// The counters of responses held back, rendered by `crate::metrics::rrl`.
// Only limited responses touch these cells, so a client under its rate
// costs nothing here; under a flood, an increment is one relaxed `fetch_add`.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(rate: u32, slip: u32) -> RrlSettings {
        RrlSettings {
            responses_per_second: rate,
            nxdomains_per_second: rate / 2,
            errors_per_second: 0,
            slip,
            window: 5,
            ipv4_prefix_length: 24,
            ipv6_prefix_length: 56,
            exempt: Acl::default(),
        }
    }

    fn run(t: &RateTable, s: &RrlSettings, ip: &str, kind: Kind, n: usize, now: u32) -> [usize; 3] {
        let mut c = [0; 3];
        for _ in 0..n {
            c[t.check(s, ip.parse().unwrap(), kind, now) as usize] += 1;
        }
        c
    }

    #[test]
    fn words_round_trip() {
        for (tag, slips, now, bal) in [(1, 0, 0, 0), (0xFFFFF, 15, 65535, -BALANCE_MAX), (77, 3, 9, BALANCE_MAX), (5, 1, 2, -1)] {
            assert_eq!(decode(encode(tag, slips, now, bal)), (bal, slips, now));
            assert_eq!((encode(tag, slips, now, bal) >> 44) as u32, tag);
        }
    }

    /// `rate` responses a second per prefix and kind; the rest dropped with
    /// every second one slipped (slip 2: the first of each pair, as BIND).
    #[test]
    fn limits_per_prefix_and_kind_with_slip() {
        let t = RateTable::new(1024);
        let s = settings(10, 2);
        assert_eq!(run(&t, &s, "192.0.2.1", Kind::Response, 30, 100), [10, 10, 10]);
        // Same /24: the same budget, now spent.
        assert_eq!(run(&t, &s, "192.0.2.200", Kind::Response, 4, 100), [0, 2, 2]);
        // Another /24, another kind: their own budgets.
        assert_eq!(run(&t, &s, "192.0.3.1", Kind::Response, 12, 100), [10, 1, 1]);
        assert_eq!(run(&t, &s, "192.0.2.1", Kind::NxDomain, 8, 100), [5, 1, 2]);
        assert_eq!(run(&t, &s, "192.0.2.1", Kind::Error, 50, 100), [50, 0, 0], "rate 0: no limit");
        // IPv6 by /56.
        assert_eq!(run(&t, &s, "2001:db8:0:1::1", Kind::Response, 11, 100), [10, 0, 1]);
        assert_eq!(run(&t, &s, "2001:db8:0:ff::1", Kind::Response, 1, 100), [0, 1, 0]);
        assert_eq!(run(&t, &s, "2001:db8:0:100::1", Kind::Response, 1, 100), [1, 0, 0]);
    }

    /// Debt: a client that went on flooding earns credit at `rate` a second
    /// but pays its debt (at most `window` seconds' worth) first.
    #[test]
    fn debt_window_and_recovery() {
        let t = RateTable::new(1024);
        let s = settings(10, 0);
        assert_eq!(run(&t, &s, "198.51.100.7", Kind::Response, 1000, 0), [10, 990, 0]);
        // Balance floored at -window*rate = -50; +10 a second.
        assert_eq!(run(&t, &s, "198.51.100.7", Kind::Response, 1, 1), [0, 1, 0]);
        assert_eq!(run(&t, &s, "198.51.100.7", Kind::Response, 1, 5), [0, 1, 0]);
        assert_eq!(run(&t, &s, "198.51.100.7", Kind::Response, 10, 11), [10, 0, 0], "past the window: a fresh budget");
        // Prefix 32: neighbours are apart.
        let s32 = RrlSettings { ipv4_prefix_length: 32, ..settings(1, 0) };
        assert_eq!(run(&t, &s32, "203.0.113.1", Kind::Response, 2, 0), [1, 1, 0]);
        assert_eq!(run(&t, &s32, "203.0.113.2", Kind::Response, 2, 0), [1, 1, 0]);
        let exempt = RrlSettings { exempt: Acl(vec!["203.0.113.0/24".parse().unwrap()]), ..s32 };
        assert_eq!(run(&t, &exempt, "203.0.113.1", Kind::Response, 5, 0), [5, 0, 0]);
    }

    /// A table smaller than the clients: buckets are reused (least recently
    /// used first) and the tags keep clients apart.
    #[test]
    fn small_table_evicts_and_keeps_clients_apart() {
        let t = RateTable::new(4);
        assert_eq!(t.len(), 4);
        let s = settings(2, 0);
        for i in 0..64u32 {
            let ip = format!("10.{}.{}.1", i / 256, i % 256);
            assert_eq!(run(&t, &s, &ip, Kind::Response, 3, 7), [2, 1, 0], "{ip}");
        }
    }
}
