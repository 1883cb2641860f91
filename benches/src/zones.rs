//! The benchmark zones, as master-file text.
//!
//! Both zones have the apex `example.com.` and contain the names every
//! [`crate::cases::Kind`] asks for, so the same queries run against both and
//! any difference between them is the cost of zone size alone. The large zone
//! is the small one plus generated bulk: `host{i} A 10.x.y.z` for
//! `i < hosts`, CNAMEs, delegations with glue and more wildcards. Generation is
//! deterministic: the same text on every run and machine.

use std::fmt::Write as _;

/// The apex of both benchmark zones.
pub const ORIGIN: &str = "example.com";

/// The small zone, `benches/data/small.zone`.
pub const SMALL_ZONE: &str = include_str!("../data/small.zone");

/// Host names in the large zone by default: with the extras, about 1,003,000 names.
pub const LARGE_HOSTS: usize = 1_000_000;

/// CNAMEs (`alias{i}` → `host{i}`), delegations (`sub{i}` with two glued NS) and
/// wildcards (`*.wild{i}`) added to the large zone, each this many.
pub const LARGE_EXTRAS: usize = 1_000;

/// Which benchmark zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSize {
    /// `data/small.zone`: a dozen names.
    Small,
    /// The small zone plus [`large_hosts`] generated hosts.
    Large,
}

impl ZoneSize {
    /// Both sizes, small first.
    pub const ALL: [ZoneSize; 2] = [ZoneSize::Small, ZoneSize::Large];

    /// Short label used in benchmark ids and file names.
    pub fn label(self) -> &'static str {
        match self {
            ZoneSize::Small => "small",
            ZoneSize::Large => "1m",
        }
    }

    /// The zone's master-file text.
    pub fn text(self) -> String {
        match self {
            ZoneSize::Small => SMALL_ZONE.to_owned(),
            ZoneSize::Large => large_zone_text(large_hosts()),
        }
    }
}

/// Hosts in the large zone: [`LARGE_HOSTS`], or `IRONBIND_BENCH_HOSTS` from the
/// environment (to try the benches quickly on a smaller zone).
pub fn large_hosts() -> usize {
    std::env::var("IRONBIND_BENCH_HOSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(LARGE_HOSTS)
}

/// The address of `host{i}`: `10.x.y.z` with `i` in the low 24 bits.
pub fn host_addr(i: usize) -> [u8; 4] {
    [10, (i >> 16) as u8, (i >> 8) as u8, i as u8]
}

/// The small zone followed by `hosts` generated hosts and [`LARGE_EXTRAS`] of
/// each other kind of generated name.
pub fn large_zone_text(hosts: usize) -> String {
    let mut s = String::with_capacity(SMALL_ZONE.len() + hosts * 32 + LARGE_EXTRAS * 200);
    s.push_str(SMALL_ZONE);
    s.push_str("\n; ---- generated bulk (ironbind_benches::zones::large_zone_text) ----\n");
    for i in 0..hosts {
        let [a, b, c, d] = host_addr(i);
        // Writing to a String cannot fail.
        let _ = writeln!(s, "host{i} 3600 IN A {a}.{b}.{c}.{d}");
    }
    for i in 0..LARGE_EXTRAS {
        let _ = writeln!(s, "alias{i} 3600 IN CNAME host{i}.example.com.");
        let _ = writeln!(s, "sub{i} 3600 IN NS ns1.sub{i}.example.com.");
        let _ = writeln!(s, "sub{i} 3600 IN NS ns2.sub{i}.example.com.");
        let _ = writeln!(s, "ns1.sub{i} 3600 IN A 198.51.{}.{}", (i >> 8) as u8, i as u8);
        let _ = writeln!(s, "ns2.sub{i} 3600 IN A 203.0.{}.{}", (i >> 8) as u8, i as u8);
        let _ = writeln!(s, "*.wild{i} 3600 IN A 192.0.2.{}", i % 250 + 1);
    }
    s
}

/// A deterministic pseudo-random sequence (xorshift64*), so generated query
/// sets are the same on every run and machine without a dependency.
#[derive(Debug, Clone)]
pub struct Xorshift(u64);

impl Xorshift {
    /// A sequence from a fixed, non-zero seed.
    pub fn new() -> Self {
        Self(0x9E37_79B9_7F4A_7C15)
    }

    /// The next number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

impl Default for Xorshift {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_zone_is_deterministic_and_contains_the_small_zone() {
        let a = large_zone_text(1000);
        assert_eq!(a, large_zone_text(1000));
        assert!(a.starts_with(SMALL_ZONE));
        assert!(a.contains("host999 3600 IN A 10.0.3.231\n"));
        assert!(a.contains("*.wild7 3600 IN A 192.0.2.8\n"));
    }
}
