//! Server side: verifying a signed request (RFC 8945 §5.2) and the TSIG of
//! the error response when it fails (§5.3.2).
//!
//! Owns: the checks of §5.2 in order — key (§5.2.1), MAC (§5.2.2), time
//! (§5.2.3), truncation (§5.2.4, checked with the sizes before any MAC is
//! computed) — and what each failure answers: BADKEY, BADSIG and BADTRUNC with
//! an unsigned TSIG (MAC size 0) echoing the request's key and algorithm names
//! and Time Signed, BADTIME signed with the request's key (the request's Time
//! Signed and our clock in Other Data, as BIND and Knot do), a malformed TSIG
//! record or a MAC size outside §5.2.2.1 with a plain FORMERR.
//! Must not: decide access (that is the request layer's, with [`Verified::key`])
//! or sign successful responses (that is [`ResponseSigner`]).

use std::sync::Arc;

use super::key::{Algorithm, KeyRing};
use super::mac::{MacCtx, Vars};
use super::record::{Fields, TsigRr};
use super::signer::ResponseSigner;
use super::{error, Verified, FUDGE, MAX_FUDGE};
use crate::wire::request::Request;
use crate::wire::writer::MsgWriter;
use crate::wire::{class, flags, rcode, WireError};

/// How the error response carries TSIG.
#[derive(Debug, Clone)]
enum Reply {
    /// No TSIG record (FORMERR: the TSIG record itself was unusable).
    None,
    /// Unsigned TSIG echoing the request's key and algorithm names and its
    /// Time Signed (BADKEY, BADSIG, BADTRUNC), as Knot does: the reply is a
    /// function of the request's fields alone.
    Unsigned { key_name: Box<[u8]>, algorithm: Box<[u8]>, time_signed: u64 },
    /// Signed with the request's key (BADTIME, a replayed request).
    Signed { verified: Verified, now: u64 },
}

/// Why a signed request was rejected, and how to say so.
#[derive(Debug, Clone, thiserror::Error)]
#[error("TSIG check failed: {reason} (TSIG error {})", error::name(self.error))]
pub struct Failure {
    /// Header RCODE of the response: NOTAUTH (9), or FORMERR (1) for a malformed TSIG record.
    pub rcode: u16,
    /// TSIG error for the response's TSIG record: BADSIG 16, BADKEY 17,
    /// BADTIME 18, BADTRUNC 22 (0 with FORMERR).
    pub error: u16,
    /// A short reason for logs.
    pub reason: &'static str,
    reply: Reply,
}

impl Failure {
    fn formerr(reason: &'static str) -> Self {
        Self { rcode: rcode::FORMERR, error: error::NOERROR, reason, reply: Reply::None }
    }

    fn unsigned(error: u16, reason: &'static str, rr: &TsigRr<'_>) -> Self {
        let reply = Reply::Unsigned { key_name: rr.key_name.as_wire().into(), algorithm: rr.algorithm.as_wire().into(), time_signed: rr.time_signed };
        Self { rcode: rcode::NOTAUTH, error, reason, reply }
    }

    fn signed(error: u16, reason: &'static str, verified: Verified, now: u64) -> Self {
        Self { rcode: rcode::NOTAUTH, error, reason, reply: Reply::Signed { verified, now } }
    }

    /// A verified request already seen within the fudge window (same key,
    /// Time Signed and MAC): BADTIME, signed, as §5.2.3 answers a Time
    /// Signed older than one already accepted.
    pub fn replayed(verified: Verified, now: u64) -> Self {
        Self::signed(error::BADTIME, "replayed TSIG request (same key, time and MAC)", verified, now)
    }

    /// The key name the request used (wire form, case as received), when the
    /// TSIG record could be read.
    pub fn key_name(&self) -> Option<&[u8]> {
        match &self.reply {
            Reply::None => None,
            Reply::Unsigned { key_name, .. } => Some(key_name),
            Reply::Signed { verified, .. } => Some(&verified.key.name),
        }
    }

    /// Octets [`append_tsig`](Self::append_tsig) adds.
    pub fn tsig_len(&self) -> usize {
        match &self.reply {
            Reply::None => 0,
            Reply::Unsigned { key_name, algorithm, time_signed } => unsigned_fields(key_name, algorithm, *time_signed, 0, self.error).len(),
            Reply::Signed { verified, now } => ResponseSigner::for_error(verified, *now, self.error).tsig_len(),
        }
    }

    /// Appends the error response's TSIG record to the message in `buf[..len]`
    /// (header and question already written, RCODE set) and bumps ARCOUNT.
    /// Returns the new length; with a FORMERR failure, `len` unchanged.
    pub fn append_tsig(&self, buf: &mut [u8], len: usize) -> Result<usize, WireError> {
        if len < 12 || len > buf.len() {
            return Err(WireError::Truncated);
        }
        let id = u16::from_be_bytes([buf[0], buf[1]]);
        match &self.reply {
            Reply::None => Ok(len),
            Reply::Unsigned { key_name, algorithm, time_signed } => {
                unsigned_fields(key_name, algorithm, *time_signed, id, self.error).append(buf, len)
            }
            Reply::Signed { verified, now } => ResponseSigner::for_error(verified, *now, self.error).sign(buf, len),
        }
    }
}

fn unsigned_fields<'a>(key_name: &'a [u8], algorithm: &'a [u8], time_signed: u64, id: u16, error: u16) -> Fields<'a> {
    Fields { key_name, algorithm, time_signed, fudge: FUDGE, mac: &[], original_id: id, error, other: &[] }
}

/// Verifies the TSIG record at `tsig_at` of the request `msg` (as found by
/// [`crate::wire::request::parse`], which already checked it is last and
/// unique, RFC 8945 §5.1) against `keys`. `now` is unix seconds.
///
/// The order is that of RFC 8945 §5.2, with every size rule applied before
/// any MAC is computed, so that no reply depends on whether a truncated MAC
/// was a correct prefix (a prefix oracle forges a MAC an octet at a time):
/// 1. record shape (class ANY, TTL 0) — FORMERR;
/// 2. key and algorithm (§5.2.1) — BADKEY, unsigned;
/// 3. MAC size (§5.2.2.1): empty — BADSIG, unsigned; longer than the hash or
///    shorter than max(10, hash/2) — FORMERR; shorter than the key's local
///    policy (the full hash unless configured, as BIND and Knot) — BADTRUNC,
///    unsigned and never verified (§5.2.4);
/// 4. the MAC (§5.2.2) — BADSIG, unsigned;
/// 5. time (§5.2.3) against the smaller of the request's fudge and
///    [`MAX_FUDGE`] — BADTIME, signed.
pub fn verify_request(msg: &[u8], tsig_at: usize, keys: &KeyRing, now: u64) -> Result<Verified, Failure> {
    if msg.len() < 12 || tsig_at < 12 {
        return Err(Failure::formerr("TSIG record out of place"));
    }
    let rr = TsigRr::parse(msg, tsig_at).map_err(|_| Failure::formerr("malformed TSIG record"))?;
    if rr.class != class::ANY || rr.ttl != 0 {
        return Err(Failure::formerr("TSIG record class is not ANY or TTL is not 0"));
    }
    // §5.2.1 key check: unknown algorithm or key.
    let Some(alg) = Algorithm::from_wire(rr.algorithm.as_wire()) else {
        return Err(Failure::unsigned(error::BADKEY, "unsupported TSIG algorithm", &rr));
    };
    let Some(key) = keys.get_wire(rr.key_name.as_wire()).filter(|k| k.algorithm == alg) else {
        return Err(Failure::unsigned(error::BADKEY, "unknown TSIG key", &rr));
    };
    // §5.2.2.1 size rules, then §5.2.4 local policy: all before any MAC.
    if rr.mac.is_empty() {
        return Err(Failure::unsigned(error::BADSIG, "empty TSIG MAC", &rr));
    }
    if rr.mac.len() > alg.mac_len() {
        return Err(Failure::formerr("TSIG MAC longer than the hash"));
    }
    if rr.mac.len() < alg.min_mac_len() {
        return Err(Failure::formerr("TSIG MAC shorter than max(10, hash/2) octets"));
    }
    if rr.mac.len() < key.min_mac_len() {
        return Err(Failure::unsigned(error::BADTRUNC, "TSIG MAC truncated below local policy", &rr));
    }
    // §5.2.2 MAC check.
    let mut ctx = MacCtx::new(key);
    ctx.message_without_tsig(msg, tsig_at, rr.original_id);
    let vars = Vars { time_signed: rr.time_signed, fudge: rr.fudge, error: rr.error, other: rr.other };
    ctx.variables(&key.name, alg.wire_name(), &vars);
    if !ctx.verify(rr.mac) {
        return Err(Failure::unsigned(error::BADSIG, "TSIG MAC does not verify", &rr));
    }
    let verified =
        Verified { key: Arc::clone(key), request_mac: rr.mac.to_vec(), time_signed: rr.time_signed, fudge: rr.fudge, original_id: rr.original_id };
    // §5.2.3 time check, against the request's fudge capped locally.
    if now.abs_diff(rr.time_signed) > u64::from(rr.fudge.min(MAX_FUDGE)) {
        return Err(Failure::signed(error::BADTIME, "TSIG time outside the fudge window", verified, now));
    }
    Ok(verified)
}

/// Writes the whole error response for a rejected request into `buf`: header
/// (ID, opcode, RD and CD copied; QR; RCODE from `failure`), the question, an
/// OPT advertising `udp_payload` when the request had one (RFC 6891 §7), then
/// the TSIG record of [`Failure::append_tsig`]. Returns the message length.
pub fn write_error_response(req: &Request<'_>, failure: &Failure, udp_payload: u16, buf: &mut [u8]) -> Result<usize, WireError> {
    let mut w = MsgWriter::new(buf, usize::MAX);
    w.header(req.id, flags::QR | (req.flags & (0x7800 | flags::RD | flags::CD)));
    w.set_rcode(failure.rcode);
    if let Some(q) = &req.question {
        w.question(q.name, q.qtype, q.qclass)?;
    }
    if let Some(e) = req.edns {
        w.opt(udp_payload, failure.rcode, e.dnssec_ok);
    }
    let len = w.finish();
    failure.append_tsig(buf, len)
}
