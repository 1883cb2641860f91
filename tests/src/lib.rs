//! ironbind-tests: black-box tests of the `ironbind` binary.
//!
//! Every test here starts the real server on 127.0.0.1 (see [`server`]) and
//! talks to it over UDP and TCP with raw packets ([`client`], [`wire`]), the
//! way a resolver would. Nothing links against the server crate: the tests
//! only know the command line and the DNS protocol.
//!
//! * [`server`]: start the binary with zone files in a temp dir, wait until it
//!   answers, stop it on drop (the process handling is `ironbind-test-support`'s).
//! * [`wire`]: build queries (also malformed ones) and parse responses strictly.
//! * [`rr`]: records in presentation form, compared in canonical form.
//! * [`scenario`]: the data-driven scenario files under `tests/scenarios/`.
//! * [`coverage`]: the RFC rows every test run must cover, and the checks that
//!   the tests the docs cite exist.
//!
//! The test binaries are in `tests/tests/`: `scenarios` (all scenario files),
//! `zones` (zone loading and SIGHUP reload), `transport` (TCP framing,
//! pipelining, idle timeout, reply source address), `robustness` (random and
//! mutated packets), `dig` (interop with the real dig) and `coverage_names`
//! (cited tests and rows exist).

pub mod client;
pub mod coverage;
pub mod rr;
pub mod scenario;
pub mod server;
pub mod wire;

pub use server::{Server, ServerConfig};
pub use wire::{Message, QuerySpec};

use std::net::SocketAddr;

/// Sends `q` (UDP or TCP as it says) and parses the reply strictly. Panics
/// with a clear message when there is no reply or it does not parse.
pub fn ask(addr: SocketAddr, q: &QuerySpec) -> Message {
    let raw = scenario::check::exchange(addr, q, scenario::check::REPLY_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no reply to {} {}", q.name, rr::type_name(q.qtype)));
    Message::parse(&raw).unwrap_or_else(|e| panic!("malformed reply ({e}): {}", rr::hex(&raw)))
}

/// The answer section of `m` as sorted canonical text lines.
pub fn answer_lines(m: &Message) -> Vec<String> {
    let mut v: Vec<String> = m.answer.iter().map(|r| r.rr.canonical().to_text()).collect();
    v.sort();
    v
}
