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
//!  NOTIFY in ─► query::transfer ─► catalog (wake) ─► lifecycle::secondary refresh task
//!        lifecycle::secondary ─► lifecycle::inbound ─► remote::transfer (SOA, AXFR/IXFR in)
//!              ─► xfr::next / zone::build ─► store::Store::commit (journal, files) ─► zone::set
//!  reload / new version ─► xfr::diff ─► store (journal, files) ─► lifecycle::notify ─► remote::notify
//!  UPDATE ─► net (UDP: net::handoff task; TCP: awaited) ─► query::update (TSIG, allowUpdate)
//!        ─► lifecycle::update ─► lifecycle::edit (per-zone lock, prerequisites + operations,
//!           serial, journal, swap, NOTIFY)
//! ```
//!
//! Modules depend one way. Each may use only the modules below it in this
//! list (checked by `server/tests/layers.rs`; ARCHITECTURE.md says why):
//!
//! ```text
//!  runtime    the process: start, SIGHUP, shutdown, listeners, logging
//!  control    the HTTP control API
//!  lifecycle  zone events: primary load/reload, secondary refresh, inbound
//!             transfer, NOTIFY out, edits (API, UPDATE)
//!  config     TOML and flags, checked, into the settings of the modules below
//!  remote     talking to other servers: transfer client, NOTIFY sender
//!  net        listeners: UDP workers and TCP connections frame bytes
//!  store      the data directory: committing versions, files, write queue
//!  metrics    counters and events, rendered from a snapshot
//!  query      one request in, its response out (transfers out, UPDATE's checks)
//!  catalog    the zones' policy, ACLs, TSIG keys, journals, state
//!  xfr        transfer protocol: AXFR/IXFR streams, diffs, journal (no I/O)
//!  zone       zone files, building, immutable snapshots, lookup
//!  tsig       RFC 8945 keys, signing, verification
//!  acl        address prefixes and lists
//!  wire       names, request parsing, response writing (no I/O, no allocation
//!             on the query path)
//!  clock      wall-clock seconds since the epoch
//! ```
//!
//! Unsafe code is denied here and allowed only in the modules that
//! ARCHITECTURE.md lists, each block with a `// SAFETY:` comment.

#![deny(unsafe_code)]

pub mod runtime;
pub mod control;
pub mod lifecycle;
pub mod config;
pub mod remote;
pub mod net;
pub mod store;
pub mod metrics;
pub mod query;
pub mod catalog;
pub mod xfr;
pub mod zone;
pub mod tsig;
pub mod acl;
pub mod wire;
pub mod clock;
