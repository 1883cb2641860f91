//! Shared fixtures for ironbind's benchmarks.
//!
//! Owns: the benchmark zones ([`zones`]: `data/small.zone` and the generated
//! 1,000,000-name zone), the six query kinds and their wire queries
//! ([`cases`]), the answer checks that make sure every engine is measured on
//! a correct answer ([`check`]), and the two engines measured side by side:
//! ironbind's [`query::Handler`](ironbind::query::Handler) ([`engine::IronbindEngine`])
//! and hickory-server's `Catalog` over its in-memory zone handler
//! ([`engine::HickoryEngine`]). [`alloc`] counts heap allocations.
//!
//! Must not: depend on anything a test would not have. The criterion targets in
//! `benches/benches/` and the helper binaries in `src/bin/` (`ratios`,
//! `write-zones`, `udp-echo`) are thin drivers over this crate; the tests may
//! use the same fixtures.
//!
//! ```text
//!  zones::zone_text(size) ──┬─► IronbindEngine::load ─ read_zone_str → build_zone → ZoneSet → Handler
//!                           └─► HickoryEngine::load  ─ txt::Parser → InMemoryZoneHandler → Catalog
//!  cases::Kind::query() ──► engine.answer(&[u8]) ──► response bytes ──► check::check(kind, bytes)
//! ```

#![deny(unsafe_code)]

pub mod alloc;
pub mod cases;
pub mod check;
pub mod engine;
pub mod report;
pub mod zones;
