//! ironbind: an authoritative DNS server.
//!
//! ```text
//!  query path                                        transfer path (issue 2)
//!  ──────────                                        ─────────────
//!  UDP worker (SO_REUSEPORT, recvmmsg) ─┐             primary ──AXFR/IXFR──► xfr::inbound
//!  TCP task per connection (tokio) ─────┤                                        │ builds
//!                                       ▼                                        ▼
//!                       query::Handler::handle(&[u8]) ──► zone::set (ArcSwap) ◄─ new Zone snapshot
//!                          │ wire::request (borrowed view)       │
//!                          │ zone::lookup (RFC 1034 §4.3.2) ◄────┘
//!                          ▼
//!                       wire::writer (reused buffer, compression, truncation)
//! ```
//!
//! Modules depend one way: `net → query → zone → wire`. `wire` does no I/O and
//! does not allocate on the query path; `zone` snapshots are immutable and
//! swapped atomically; `net` only frames bytes.

pub mod acl;
pub mod config;
pub mod net;
pub mod query;
pub mod server;
pub mod store;
pub mod tsig;
pub mod wire;
pub mod xfr;
pub mod zone;
