//! Fuzz target `update`: arbitrary bytes as an RFC 2136 UPDATE, through the
//! pure functions the server runs without any I/O: request parsing
//! (`wire::request::parse`), the update's sections
//! (`query::update::message::parse`), prerequisites and operations against
//! the fixture's `example.com` (`query::update::apply::apply`), and the
//! next version built from the result (`zone::build::build_zone`, as
//! `lifecycle::edit` does before it commits).
//!
//! Owns: feeding those steps in the server's order.
//! Must not: commit, journal or publish anything (no `ZoneEditor`).

#![no_main]

use ironbind::query::update::{apply::apply, message};
use ironbind::wire::request::{self, Parsed};
use ironbind::zone::build::build_zone;
use ironbind_fuzz::example_zone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Parsed::Ok(r) = request::parse(data) else { return };
    let Ok(u) = message::parse(&r) else { return };
    let zone = example_zone();
    if *u.zone != *zone.origin {
        return; // NOTAUTH: not a zone we serve
    }
    let Ok(applied) = apply(zone, &u) else { return };
    if applied.changed {
        let _ = build_zone(&zone.origin, applied.records);
    }
});
