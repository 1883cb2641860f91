//! Fuzz target `query`: arbitrary bytes as a request to the UDP entry
//! (`Handler::handle`) and the TCP entry (`Handler::handle_tcp`, every
//! message of a stream drained), over the fixture's zones with transfers,
//! NOTIFY, TSIG keys and CHAOS enabled.
//!
//! Owns: the property every reply must hold: a response with the request's
//! ID that an independent parser reads, within 512 octets over UDP without
//! EDNS, the negotiated size (at most the configured 1232) with it, and
//! 65535 over TCP.
//! Must not: judge the answer's content (the scenario tests do).

#![no_main]

use ironbind::query::{TcpResponse, Transport, MAX_MESSAGE};
use ironbind::wire::request::{self, Parsed};
use ironbind_fuzz::{check_reply, ctx, handler, UDP_MAX};
use libfuzzer_sys::fuzz_target;

/// A transfer of the fixture's zones is a few messages; a stream longer
/// than this is a bug (it would never end).
const MAX_STREAM: usize = 1000;

/// The largest UDP reply to `req`: 512 without EDNS (RFC 1035 §4.2.1), else
/// the client's size within 512..=the configured maximum (RFC 6891 §6.2.5).
fn udp_limit(req: &[u8]) -> usize {
    let edns = match request::parse(req) {
        Parsed::Ok(r) | Parsed::FormErr(r, _) => r.edns,
        Parsed::Drop => None,
    };
    match edns {
        None => 512,
        Some(e) => e.udp_size.clamp(512, UDP_MAX) as usize,
    }
}

fuzz_target!(|data: &[u8]| {
    let h = handler();
    let mut out = vec![0u8; MAX_MESSAGE];
    if let Some(n) = h.handle(data, &ctx(Transport::Udp), &mut out) {
        check_reply(data, &out[..n], udp_limit(data));
    }
    match h.handle_tcp(data, &ctx(Transport::Tcp), &mut out) {
        TcpResponse::Drop => {}
        TcpResponse::Single(n) => check_reply(data, &out[..n], MAX_MESSAGE),
        TcpResponse::Stream(mut s) => {
            let mut count = 0;
            while let Some(n) = s.next_ready(&mut out).or_else(|| s.next_message(&mut out)) {
                check_reply(data, &out[..n], MAX_MESSAGE);
                count += 1;
                assert!(count <= MAX_STREAM, "a stream of more than {MAX_STREAM} messages");
            }
            assert!(count > 0, "an empty stream");
        }
    }
});
