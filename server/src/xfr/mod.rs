//! Zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995) out and in, NOTIFY (RFC 1996).
//!
//! Owns: turning one zone snapshot into the message sequence of a transfer
//! (SOA first and last, as many messages as needed, never TC). The snapshot is
//! an `Arc<Zone>` taken when the transfer starts, so the transfer is consistent
//! even while new versions are published (RFC 5936 §6).
//! Must not: touch sockets or decide access; the request layer does that.

pub mod axfr;
pub mod diff;
pub mod ixfr;
pub mod journal;
pub mod next;
pub mod receive;
pub mod serial;

pub use serial::serial_gt;
