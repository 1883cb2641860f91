//! Zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995) out and in, NOTIFY (RFC 1996).
//!
//! Owns: turning one zone snapshot into the message sequence of a transfer
//! (SOA first and last, as many messages as needed, never TC). The snapshot is
//! an `Arc<Zone>` taken when the transfer starts, so the transfer is consistent
//! even while new versions are published (RFC 5936 §6).
//! Must not: touch sockets or decide access; the request layer does that.

pub mod axfr;
pub mod client;

/// RFC 1982 serial arithmetic: true when `a` is greater than `b`.
#[inline]
pub fn serial_gt(a: u32, b: u32) -> bool {
    a != b && (a.wrapping_sub(b) as i32) > 0
}

#[cfg(test)]
mod serial_tests {
    #[test]
    fn serial_arithmetic_wraps() {
        assert!(super::serial_gt(1, 4294967295));
        assert!(super::serial_gt(2, 1));
        assert!(!super::serial_gt(1, 1));
        assert!(!super::serial_gt(4294967295, 1));
    }
}
