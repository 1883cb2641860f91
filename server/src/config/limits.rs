//! Bounds of every numeric configuration knob, with the reason for each.
//!
//! Owns: the default/min/max table and the range check. Must not: know where a
//! value came from beyond the `origin` label it is handed for error messages.

use super::ConfigError;

/// Default, smallest and largest value of a knob.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Used when the knob is omitted.
    pub default: u64,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
}

impl Bounds {
    /// Fails with a message naming `origin` and `field` when `v` is out of range.
    pub fn check(&self, origin: &str, field: &'static str, v: u64) -> Result<(), ConfigError> {
        if (self.min..=self.max).contains(&v) {
            Ok(())
        } else {
            Err(ConfigError::OutOfRange { origin: origin.into(), field, value: v, min: self.min, max: self.max })
        }
    }
}

/// UDP worker threads per listen address. At least one; 256 is far beyond the
/// point where more sockets stop helping (the kernel hashes flows over them) and
/// each worker holds a few MiB of buffers. Default: available parallelism.
pub const UDP_WORKERS: Bounds = Bounds { default: 1, min: 1, max: 256 };

/// Largest UDP response. 512 is the RFC 1035 §2.3.4 minimum every resolver
/// accepts; 1232 avoids IP fragmentation on almost every path (DNS Flag Day
/// 2020, RFC 9715); 65535 is the most a DNS message can hold.
pub const UDP_MAX_PAYLOAD: Bounds = Bounds { default: 1232, min: 512, max: 65535 };

/// TCP idle timeout. RFC 7766 §6.2.3 asks servers to close idle connections
/// after seconds, not minutes, to bound the resources clients can hold; below
/// one second, clients on slow links cannot send their next pipelined query.
pub const TCP_IDLE_TIMEOUT_MS: Bounds = Bounds { default: 10_000, min: 1_000, max: 120_000 };

/// Open TCP connections in total (each holds about 130 KiB of buffers). At least
/// one; 65535 is beyond what one process should hold open for DNS.
pub const TCP_MAX_CONNECTIONS: Bounds = Bounds { default: 1024, min: 1, max: 65_535 };

/// Open TCP connections from one client address, so one client cannot take all
/// of [`TCP_MAX_CONNECTIONS`] (RFC 7766 §6.2.2).
pub const TCP_MAX_CONNECTIONS_PER_CLIENT: Bounds = Bounds { default: 64, min: 1, max: 65_535 };

/// Longest one inbound zone transfer may take. A 1M-record zone over a slow
/// link takes minutes; an hour is the point past which a stuck primary should
/// rather be given up and the next one tried (BIND's max-transfer-time-in is
/// two hours; we stop earlier and retry).
pub const XFR_TIMEOUT_SECS: Bounds = Bounds { default: 600, min: 1, max: 3600 };

/// Wait for a primary's answer to an SOA query. Under 100 ms loses answers on
/// ordinary WAN paths; a minute is already far longer than any DNS timeout.
pub const SOA_TIMEOUT_MS: Bounds = Bounds { default: 2000, min: 100, max: 60_000 };

/// Smallest refresh/retry interval honoured, whatever the zone's SOA asks, so
/// a zone with REFRESH 0 cannot make us hammer its primary (Knot's
/// refresh-min-interval defaults to 2 s; BIND uses 300 s).
pub const REFRESH_MIN_SECS: Bounds = Bounds { default: 2, min: 1, max: 86_400 };

/// Largest refresh/retry interval honoured: four weeks, BIND's
/// max-refresh-time; RFC 1912 §2.2 recommends far less.
pub const REFRESH_MAX_SECS: Bounds = Bounds { default: 2_419_200, min: 60, max: 31_536_000 };

/// NOTIFY transmissions per target (RFC 1996 §3.6 asks for a retry limit;
/// BIND sends 5). At least one; a hundred is beyond any useful persistence.
pub const NOTIFY_RETRIES: Bounds = Bounds { default: 5, min: 1, max: 100 };

/// Least time between two NOTIFY-triggered refreshes (SOA queries) of one
/// zone: BIND's serial-query-rate, per zone. NOTIFYs arriving meanwhile are
/// folded into the next refresh, so a spoofed flood costs at most this rate
/// of SOA queries to the primaries; two per second keeps a real change a
/// fraction of a second from the secondaries.
pub const NOTIFY_REFRESH_INTERVAL_MS: Bounds = Bounds { default: 500, min: 10, max: 60_000 };

/// First wait for a NOTIFY answer (doubled per retransmission, capped at
/// 60 s, RFC 1996 §3.6's interval). Under 100 ms retransmits before loopback
/// answers under load; over a minute delays the secondaries needlessly.
pub const NOTIFY_TIMEOUT_MS: Bounds = Bounds { default: 2000, min: 100, max: 60_000 };

/// Open connections to the control API at most (TLS handshakes included);
/// a new one beyond it is closed at once. The operator, probes and Prometheus
/// need a handful; the cap keeps a flood of idle connections from holding
/// file descriptors and memory. 65535 is beyond any sane use of the API.
pub const CONTROL_MAX_CONNECTIONS: Bounds = Bounds { default: 256, min: 1, max: 65_535 };

/// Control API: how long a connection may go without sending a complete
/// request head (after it opened, or after its last answer), and the longest
/// pause inside a request body. Bounds what a slow client (slowloris) holds;
/// under a second, clients on slow links cannot send their request; five
/// minutes is already far longer than any HTTP client waits.
pub const CONTROL_IDLE_TIMEOUT_MS: Bounds = Bounds { default: 30_000, min: 1_000, max: 300_000 };

// ---- zone size limits (`zone::limits`) ----

/// Records one zone may hold: `[transfer] max_records`, per zone
/// `max_records`. BIND's `max-records` is unlimited by default, which lets a
/// hostile primary or a runaway file take the process down
/// (CVE-2016-6170); ten million records is far beyond any zone served
/// outside TLDs. At least 2 (SOA and NS); at most 2³²−1, as a received
/// zone's offsets are 32-bit.
pub const MAX_RECORDS: Bounds = Bounds { default: crate::zone::limits::DEFAULT_MAX_RECORDS, min: 2, max: crate::zone::limits::MAX_LIMIT };

/// Uncompressed wire octets one zone may hold: `[transfer] max_zone_bytes`,
/// per zone `max_zone_bytes`. 1 GiB by default (what ten million records
/// of ~100 octets take); at least 512 (an SOA and an NS), at most 2³²−1.
pub const MAX_ZONE_BYTES: Bounds = Bounds { default: crate::zone::limits::DEFAULT_MAX_ZONE_BYTES, min: 512, max: crate::zone::limits::MAX_LIMIT };

// ---- end of zone size limits ----

/// Serde default for `udp_max_payload`.
pub(super) fn default_udp_max_payload() -> u32 {
    UDP_MAX_PAYLOAD.default as u32
}
