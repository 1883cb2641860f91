//! TSIG: secret key transaction authentication ([RFC 8945]).
//!
//! Owns: TSIG keys and the key ring ([`key`]), the MAC computation over a
//! message ([`mac`], RFC 8945 §4.3), reading and writing the TSIG record
//! ([`record`], §4.2), verifying signed requests and signing the responses to
//! them ([`server`], [`signer`]), and signing requests / verifying the
//! (multi-message) responses for transfers in and NOTIFY out ([`client`]).
//!
//! Must not: do I/O, log, keep clocks (every call takes `now`, unix seconds),
//! or print a secret (`Key`'s `Debug` redacts it, and no error carries one).
//! It decides nothing about access control: the request layer maps a
//! [`Failure`] to NOTAUTH and consults its ACLs with [`Verified::key`].
//!
//! ```text
//!  server side                                   client side
//!  ───────────                                   ───────────
//!  wire::request::parse ─► tsig_at              ClientSession::sign_request(key, &mut query)
//!  verify_request(msg, tsig_at, ring, now)        │ send, then for every message received:
//!    ├─ Ok(Verified) ──► ResponseSigner::new      ▼
//!    │                     sign(msg 1)  ─────────► verify_response(msg 1)   request MAC ‖ msg ‖ variables
//!    │                     sign(msg 2)  ─────────► verify_response(msg 2)   prior MAC ‖ msg ‖ timers
//!    │                     skip(msg 3)  ─────────► verify_response(msg 3)   unsigned, ≤ 99 in a row
//!    │                     sign(msg 4)  ─────────► verify_response(msg 4)   prior MAC ‖ msg 3 ‖ msg 4 ‖ timers
//!    └─ Err(Failure) ──► write_error_response     finish(): the last message was signed
//!         BADKEY / BADSIG: unsigned TSIG (MAC size 0)
//!         BADTIME / BADTRUNC: signed, BADTIME carries the server time in Other Data
//! ```
//!
//! Public API (re-exported here):
//! - [`Algorithm`] — hmac-sha1 (MUST implement), hmac-sha224, hmac-sha256
//!   (MUST, RECOMMENDED), hmac-sha384, hmac-sha512; HMAC-MD5 is refused (§6).
//! - [`Key`] — `Key::new(name, alg, secret)`, `Key::from_spec("name=alg:base64")`
//!   or `"name=base64"` (hmac-sha256).
//! - [`KeyRing`] — case-insensitive lookup by key name (§4.2, checklist S6).
//! - [`verify_request`] → [`Verified`] or [`Failure`] (§5.2, checklist S3).
//! - [`ResponseSigner`] — signs the response message(s), chaining MACs (§5.3,
//!   §5.3.1, checklist S4 and A7).
//! - [`write_error_response`] / [`Failure::append_tsig`] — the NOTAUTH answer (§5.3.2).
//! - [`ClientSession`] — signs a request and verifies the response stream,
//!   accepting up to 99 unsigned intermediate messages (§5.3.1).
//!
//! Checks on a request, in the order of §5.2, sizes first: key (BADKEY); MAC
//! size — longer than the hash or shorter than max(10, hash/2) is FORMERR
//! (§5.2.2.1), shorter than the key's local policy (full length unless the
//! key says `hmac-sha256-128` and the like) is BADTRUNC, unsigned and never
//! verified (§5.2.4); the MAC (BADSIG); time (BADTIME, against the request's
//! fudge capped at [`MAX_FUDGE`]). No reply depends on whether a truncated
//! MAC was a right prefix: a prefix oracle would forge a MAC an octet at a
//! time.
//!
//! [`ReplayGuard`] remembers the signed requests that change state (UPDATE)
//! for the fudge window and refuses the same key, time and MAC again (the
//! §5.2.3 SHOULD, made exact); a copy that arrives while the first is still
//! being handled is a retransmission and is dropped.
//!
//! [RFC 8945]: https://www.rfc-editor.org/rfc/rfc8945

pub mod client;
pub mod key;
mod mac;
pub mod record;
pub mod replay;
pub mod server;
pub mod signer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_interop;

pub use client::ClientSession;
pub use key::{Algorithm, AlgorithmSpec, Key, KeyRing};
pub use replay::{ReplayGuard, Seen};
pub use server::{verify_request, write_error_response, Failure};
pub use signer::ResponseSigner;

use std::sync::Arc;

use crate::wire::WireError;

/// Fudge we put in the TSIG records we write, in seconds (RFC 8945 §10: 300 recommended).
pub const FUDGE: u16 = 300;

/// Largest fudge honoured in a request, in seconds: a request claiming a
/// wider window is checked against this one (RFC 8945 §5.2.3 lets the
/// receiver apply local policy; BIND and Knot use 300).
pub const MAX_FUDGE: u16 = 300;

/// Most consecutive unsigned messages in a multi-message response (RFC 8945 §5.3.1).
pub const MAX_UNSIGNED: usize = 99;

/// TSIG error codes carried in the TSIG record's Error field (RFC 8945 §3).
pub mod error {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// The MAC did not verify.
    pub const BADSIG: u16 = 16;
    /// Unknown key or algorithm.
    pub const BADKEY: u16 = 17;
    /// Time Signed outside the fudge window.
    pub const BADTIME: u16 = 18;
    /// MAC truncated below local policy.
    pub const BADTRUNC: u16 = 22;

    /// The mnemonic of a TSIG error code, for messages.
    pub fn name(code: u16) -> &'static str {
        match code {
            NOERROR => "NOERROR",
            BADSIG => "BADSIG",
            BADKEY => "BADKEY",
            BADTIME => "BADTIME",
            BADTRUNC => "BADTRUNC",
            _ => "unknown TSIG error",
        }
    }
}

/// Errors of key configuration and of the client side (verifying responses).
/// None of them carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsigError {
    /// HMAC-MD5 was asked for (RFC 8945 §6: MUST NOT be used).
    #[error("TSIG algorithm HMAC-MD5 is not allowed (RFC 8945 §6); use hmac-sha256")]
    Md5Refused,
    /// An algorithm name we do not know.
    #[error("unknown TSIG algorithm {0:?}: expected hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512")]
    UnknownAlgorithm(String),
    /// A truncation policy outside what RFC 8945 §5.2.2.1 allows.
    #[error("TSIG algorithm {algorithm}-{bits}: the MAC length must be a multiple of 8 bits between max(80, hash/2) and the hash length")]
    BadTruncation {
        /// The algorithm.
        algorithm: Algorithm,
        /// The bits asked for.
        bits: usize,
    },
    /// A key spec without `=`.
    #[error("bad TSIG key spec: expected NAME=ALGORITHM:BASE64SECRET or NAME=BASE64SECRET")]
    BadSpec,
    /// A key name that is not a valid domain name.
    #[error("bad TSIG key name {name:?}: {error}")]
    BadKeyName {
        /// The name as given.
        name: String,
        /// Why it is invalid.
        error: WireError,
    },
    /// A secret that is empty or not valid base64.
    #[error("bad secret for TSIG key {name:?}: {reason}")]
    BadSecret {
        /// The key name.
        name: String,
        /// Why (never the secret itself).
        reason: &'static str,
    },
    /// A message that could not be parsed or signed.
    #[error("malformed message: {0}")]
    Malformed(WireError),
    /// The first or only message of a response carried no TSIG.
    #[error("response is not signed")]
    Unsigned,
    /// More than [`MAX_UNSIGNED`] unsigned messages in a row (RFC 8945 §5.3.1).
    #[error("more than 99 unsigned messages in a row")]
    TooManyUnsigned,
    /// The stream ended on an unsigned message, or no message was verified.
    #[error("response stream did not end with a signed message")]
    Incomplete,
    /// The response is signed with another key or algorithm than the request.
    #[error("response TSIG key or algorithm does not match the request's")]
    KeyMismatch,
    /// The MAC did not verify.
    #[error("TSIG MAC does not verify (BADSIG)")]
    BadSig,
    /// The MAC is shorter than max(10, hash/2) octets or longer than the hash.
    #[error("TSIG MAC size {0} is not allowed for this algorithm (BADTRUNC)")]
    BadTrunc(usize),
    /// Time Signed is outside the fudge window.
    #[error("TSIG time signed {time_signed} is more than {fudge} s away from now ({now}) (BADTIME)")]
    BadTime {
        /// Time Signed from the record.
        time_signed: u64,
        /// Fudge from the record.
        fudge: u16,
        /// Our clock.
        now: u64,
    },
    /// The peer answered with a TSIG error.
    #[error("peer answered with TSIG error {} ({error}){}", error::name(*error), if *authenticated { "" } else { ", unsigned" })]
    PeerError {
        /// The TSIG error code.
        error: u16,
        /// Whether the error response itself carried a valid MAC.
        authenticated: bool,
    },
    /// A previous message of this session failed; the session is dead.
    #[error("TSIG session already failed")]
    SessionFailed,
}

impl From<WireError> for TsigError {
    fn from(e: WireError) -> Self {
        TsigError::Malformed(e)
    }
}

/// A request whose TSIG verified: what signing the response needs.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The key that signed the request (for ACLs and for signing the response).
    pub key: Arc<Key>,
    /// The request's MAC as transmitted (possibly truncated); it starts the
    /// response's MAC (RFC 8945 §4.3.1).
    pub request_mac: Vec<u8>,
    /// The request's Time Signed.
    pub time_signed: u64,
    /// The request's Fudge.
    pub fudge: u16,
    /// The request's Original ID.
    pub original_id: u16,
}

impl Verified {
    /// A signer for the response(s) to this request.
    pub fn signer(&self, now: u64) -> ResponseSigner {
        ResponseSigner::new(self, now)
    }
}
