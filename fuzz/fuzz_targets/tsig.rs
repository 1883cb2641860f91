//! Fuzz target `tsig`: arbitrary bytes as a TCP stream of messages (2-octet
//! length before each), checked both ways RFC 8945 is spoken here:
//! - server side: each message as a request to `tsig::verify_request` with
//!   the fixture's key ring, at the seeds' time and 400 s later (BADTIME);
//!   a verified request's response is signed (`ResponseSigner`), a rejected
//!   one gets the error response (`write_error_response`), and either must
//!   parse;
//! - client side: the messages as the answer stream to a query signed with
//!   `key.example.` (`ClientSession::verify_response`, then `finish`).
//!
//! Owns: the order of those calls, as the handler and `remote::transfer` make them.
//! Must not: judge which verdict is right (the unit and interop tests do).

#![no_main]

use std::sync::LazyLock;

use ironbind::query::MAX_MESSAGE;
use ironbind::tsig::{verify_request, write_error_response, ClientSession, Key, KeyRing};
use ironbind::wire::request::{self, Parsed};
use ironbind_fuzz::{check_reply, frames, key_ring, keys, session_query, NOW};
use libfuzzer_sys::fuzz_target;

static RING: LazyLock<KeyRing> = LazyLock::new(key_ring);
static SESSION_KEY: LazyLock<Key> = LazyLock::new(|| keys().remove(0));

fn server_side(msg: &[u8], out: &mut [u8]) {
    let Parsed::Ok(r) = request::parse(msg) else { return };
    let Some(at) = r.tsig_at else { return };
    for now in [NOW, NOW + 400] {
        match verify_request(msg, at, &RING, now) {
            Ok(v) => {
                // The response: the request without its TSIG record, QR set.
                let len = at;
                out[..len].copy_from_slice(&msg[..len]);
                out[2] |= 0x80;
                let ar = u16::from_be_bytes([out[10], out[11]]) - 1;
                out[10..12].copy_from_slice(&ar.to_be_bytes());
                let n = v.signer(now).sign(out, len).expect("a response with room signs");
                check_reply(msg, &out[..n], MAX_MESSAGE);
            }
            Err(f) => {
                if let Ok(n) = write_error_response(&r, &f, 1232, out) {
                    check_reply(msg, &out[..n], MAX_MESSAGE);
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let msgs = frames(data, 200);
    let mut out = vec![0u8; MAX_MESSAGE];
    for m in &msgs {
        server_side(m, &mut out);
    }
    let mut q = session_query();
    let mut session = ClientSession::sign_request(&SESSION_KEY, &mut q, NOW).expect("signs");
    for m in &msgs {
        if session.verify_response(m, NOW).is_err() {
            assert!(session.verify_response(m, NOW).is_err(), "a failed session accepts more");
            return;
        }
    }
    let _ = session.finish();
});
