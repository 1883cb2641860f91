//! Size limits of one zone, whatever its source: a transfer in, a zone
//! file, or a control API `PUT` (the CVE-2016-6170 class: a primary or a
//! file that never ends must not take the process down).
//!
//! Owns: [`ZoneLimits`] (records and octets a zone may hold, with their
//! defaults) and [`Tally`], the running count checked as records arrive, so
//! a source over a limit is refused while it is read, not after.
//! Must not: read, log or count metrics; callers do that with the
//! [`LimitExceeded`] they get back.
//!
//! The size of a record is its uncompressed wire size (owner + 10 octets of
//! type, class, TTL and RDLENGTH + RDATA), the measure `Zone::wire_size`
//! and the journal use: the same zone counts the same from every source.

#![forbid(unsafe_code)]

/// Default of `max_records`: ten million records is far beyond the largest
/// zones served authoritatively outside TLDs, and with ironbind's ~100 octets
/// per record in memory still bounded (about 1 GiB).
pub const DEFAULT_MAX_RECORDS: u64 = 10_000_000;

/// Default of `max_zone_bytes`: 1 GiB of uncompressed wire data.
pub const DEFAULT_MAX_ZONE_BYTES: u64 = 1 << 30;

/// Largest value either limit accepts: offsets into a received zone are
/// 32-bit (see `xfr::receive`), so a zone is at most 4 GiB on the wire.
pub const MAX_LIMIT: u64 = u32::MAX as u64;

/// Octets of zone-file text allowed per octet of `max_zone_bytes`
/// (comments, long names written out, generous spacing).
pub const TEXT_PER_WIRE_OCTET: u64 = 4;

/// How much one zone may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneLimits {
    /// Records at most (BIND's `max-records`, which is unlimited by default).
    pub max_records: u64,
    /// Uncompressed wire octets at most.
    pub max_zone_bytes: u64,
}

impl Default for ZoneLimits {
    fn default() -> Self {
        Self { max_records: DEFAULT_MAX_RECORDS, max_zone_bytes: DEFAULT_MAX_ZONE_BYTES }
    }
}

impl ZoneLimits {
    /// These limits with the given per-zone overrides applied.
    pub fn with(self, max_records: Option<u64>, max_zone_bytes: Option<u64>) -> Self {
        Self { max_records: max_records.unwrap_or(self.max_records), max_zone_bytes: max_zone_bytes.unwrap_or(self.max_zone_bytes) }
    }
}

/// Which limit was crossed; the label is the metric's and the config key's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `max_records`.
    Records,
    /// `max_zone_bytes`.
    Bytes,
}

impl Limit {
    /// Both limits, in label order.
    pub const ALL: [Limit; 2] = [Limit::Records, Limit::Bytes];

    /// The config key, also the metric label.
    pub fn label(self) -> &'static str {
        match self {
            Limit::Records => "max_records",
            Limit::Bytes => "max_zone_bytes",
        }
    }
}

/// A zone grew past one of its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("zone exceeds {} = {limit} ({what} so far)", .which.label())]
pub struct LimitExceeded {
    /// The limit crossed.
    pub which: Limit,
    /// Its value.
    pub limit: u64,
    /// The count that crossed it: records, or octets.
    pub what: Count,
}

/// Records or octets, shown with their unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// A number of records.
    Records(u64),
    /// A number of octets.
    Bytes(u64),
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Records(n) => write!(f, "{n} records"),
            Count::Bytes(n) => write!(f, "{n} octets"),
        }
    }
}

/// The running size of a zone being read.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    limits: ZoneLimits,
    records: u64,
    bytes: u64,
}

impl Tally {
    /// An empty tally against `limits`.
    pub fn new(limits: ZoneLimits) -> Self {
        Self { limits, records: 0, bytes: 0 }
    }

    /// Counts one record of `wire_size` octets; fails as soon as the zone
    /// holds more than a limit allows.
    pub fn add(&mut self, wire_size: usize) -> Result<(), LimitExceeded> {
        self.records += 1;
        self.bytes += wire_size as u64;
        if self.records > self.limits.max_records {
            return Err(LimitExceeded { which: Limit::Records, limit: self.limits.max_records, what: Count::Records(self.records) });
        }
        if self.bytes > self.limits.max_zone_bytes {
            return Err(LimitExceeded { which: Limit::Bytes, limit: self.limits.max_zone_bytes, what: Count::Bytes(self.bytes) });
        }
        Ok(())
    }

    /// The largest zone-file text read for these limits:
    /// [`TEXT_PER_WIRE_OCTET`] octets of text per octet of `max_zone_bytes`,
    /// so a file is refused before it is read into memory when it cannot
    /// fit (a record's text is usually shorter than its uncompressed wire
    /// form: `www IN A 192.0.2.1` is 18 octets, 34 in wire form).
    pub fn max_text(&self) -> u64 {
        self.limits.max_zone_bytes.saturating_mul(TEXT_PER_WIRE_OCTET)
    }

    /// Records counted so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Octets counted so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Checks a whole zone of `records` records and `bytes` octets at once
    /// (a version built from a diff, say).
    pub fn check(limits: ZoneLimits, records: u64, bytes: u64) -> Result<(), LimitExceeded> {
        if records > limits.max_records {
            return Err(LimitExceeded { which: Limit::Records, limit: limits.max_records, what: Count::Records(records) });
        }
        if bytes > limits.max_zone_bytes {
            return Err(LimitExceeded { which: Limit::Bytes, limit: limits.max_zone_bytes, what: Count::Bytes(bytes) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_fails_at_the_first_record_over_either_limit() {
        let mut t = Tally::new(ZoneLimits { max_records: 3, max_zone_bytes: 100 });
        for _ in 0..3 {
            t.add(10).unwrap();
        }
        let e = t.add(10).unwrap_err();
        assert_eq!((e.which, e.what), (Limit::Records, Count::Records(4)));
        assert_eq!(e.to_string(), "zone exceeds max_records = 3 (4 records so far)");
        let mut t = Tally::new(ZoneLimits { max_records: 100, max_zone_bytes: 25 });
        t.add(20).unwrap();
        let e = t.add(6).unwrap_err();
        assert_eq!((e.which, e.limit, e.what), (Limit::Bytes, 25, Count::Bytes(26)));
        assert!(Tally::check(ZoneLimits { max_records: 5, max_zone_bytes: 5 }, 5, 5).is_ok());
        assert_eq!(Tally::check(ZoneLimits { max_records: 5, max_zone_bytes: 5 }, 5, 6).unwrap_err().which, Limit::Bytes);
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let l = ZoneLimits::default().with(Some(7), None);
        assert_eq!((l.max_records, l.max_zone_bytes), (7, DEFAULT_MAX_ZONE_BYTES));
    }
}
