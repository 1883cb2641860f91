//! ironbind: an authoritative DNS server.
//!
//! Query path (every UDP/TCP request):
//!
//! ```text
//!  net::udp worker (SO_REUSEPORT, recvmmsg) ─┐
//!  net::tcp task per connection (tokio) ──────┤ bytes
//!                                             ▼
//!            query::Handler::handle ── wire::request (borrowed view, no copy of the message)
//!                 │  ACL, EDNS, TSIG ── tsig
//!                 ▼
//!            zone::set (ArcSwap, lock-free) ─► zone::lookup (RFC 1034 §4.3.2)
//!                 ▼
//!            query::answer ─► wire::writer (reused buffer, compression, whole-RRset TC)
//! ```
//!
//! Transfer path (primaries and secondaries):
//!
//! ```text
//!  AXFR/IXFR request ─► query::transfer (allowTransfer, TSIG) ─► xfr::axfr / xfr::ixfr stream
//!                                                                  from an Arc<Zone> + xfr::journal
//!  NOTIFY in ─► query::transfer ─► xfr::registry (wake) ─► server::secondary refresh task
//!        server::secondary ─► xfr::client (SOA, AXFR/IXFR in) ─► server::inbound (apply, build)
//!                         ─► store (zone file, journal, timers; atomic) ─► zone::set::insert
//!  reload / new version ─► xfr::diff ─► xfr::journal + store ─► server::notify (NOTIFY out)
//!  UPDATE ─► net (UDP: net::handoff task; TCP: awaited) ─► query::update (TSIG, allowUpdate)
//!        ─► server::update ─► server::edit (per-zone lock, prerequisites + operations, serial,
//!           journal, swap, NOTIFY)
//! ```
//!
//! Modules depend one way: `net → query → (xfr, tsig) → zone → wire`; the
//! runtime in `server` wires them together. `wire` does no I/O and does not
//! allocate on the query path; `zone` snapshots are immutable and swapped
//! atomically; `net` only frames bytes.

pub mod acl;
pub mod config;
pub mod control;
pub mod metrics;
pub mod net;
pub mod query;
pub mod server;
pub mod store;
pub mod tsig;
pub mod wire;
pub mod xfr;
pub mod zone;
