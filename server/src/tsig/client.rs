//! Client side: signing a request and verifying its (multi-message) response
//! (RFC 8945 §5.1, §5.3.1, §5.4), for zone transfers in and NOTIFY out.
//!
//! Owns: the MAC chain as seen by the receiver. The first message must be
//! signed; up to 99 messages in a row may come unsigned and are folded into the
//! next signed message's MAC (§5.3.1; checklist A7); the last message must be
//! signed ([`ClientSession::finish`]).
//! Must not: do I/O, or accept a response after a failure (the session dies).

use std::sync::Arc;

use super::key::{Algorithm, Key};
use super::mac::{MacCtx, MacValue, Vars};
use super::record::{Fields, TsigRr};
use super::{error, TsigError, FUDGE, MAX_UNSIGNED};
use crate::wire::request::{parse, Parsed};
use crate::wire::WireError;

/// One signed request and the verification state of its response stream.
#[derive(Clone)]
pub struct ClientSession {
    key: Arc<Key>,
    /// The request MAC until the first response verifies, then the last MAC verified.
    prior: MacValue,
    /// Running MAC over the prior MAC and the unsigned messages since.
    pending: Option<MacCtx>,
    received: usize,
    unsigned_run: usize,
    last_signed: bool,
    failed: bool,
}

impl std::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSession")
            .field("key", &self.key)
            .field("received", &self.received)
            .field("unsigned_run", &self.unsigned_run)
            .field("last_signed", &self.last_signed)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// Signs the complete request in `msg` with `key` (Time Signed `now`,
    /// fudge [`FUDGE`]), appending the TSIG record, and returns the session
    /// that verifies the response. Fails when `msg` is shorter than a header.
    pub fn sign_request(key: &Key, msg: &mut Vec<u8>, now: u64) -> Result<Self, TsigError> {
        if msg.len() < 12 {
            return Err(TsigError::Malformed(WireError::Truncated));
        }
        let mut ctx = MacCtx::new(key);
        ctx.update(msg);
        let vars = Vars { time_signed: now, fudge: FUDGE, error: error::NOERROR, other: &[] };
        ctx.variables(&key.name, key.algorithm.wire_name(), &vars);
        let mac = ctx.finish();
        let fields = Fields {
            key_name: &key.name,
            algorithm: key.algorithm.wire_name(),
            time_signed: now,
            fudge: FUDGE,
            mac: mac.as_slice(),
            original_id: u16::from_be_bytes([msg[0], msg[1]]),
            error: error::NOERROR,
            other: &[],
        };
        let len = msg.len();
        msg.resize(len + fields.len(), 0);
        if let Err(e) = fields.append(msg, len) {
            msg.truncate(len);
            return Err(e.into());
        }
        Ok(Self { key: Arc::new(key.clone()), prior: mac, pending: None, received: 0, unsigned_run: 0, last_signed: false, failed: false })
    }

    /// The key of this session.
    pub fn key(&self) -> &Arc<Key> {
        &self.key
    }

    /// Number of response messages accepted so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Verifies the next response message (`now` in unix seconds). Unsigned
    /// messages are accepted after a signed first one, up to 99 in a row.
    /// After any error the session is dead: later calls fail with
    /// [`TsigError::SessionFailed`].
    pub fn verify_response(&mut self, msg: &[u8], now: u64) -> Result<(), TsigError> {
        if self.failed {
            return Err(TsigError::SessionFailed);
        }
        let r = self.verify_inner(msg, now);
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// Succeeds when at least one message was received and the last one was
    /// signed and verified (RFC 8945 §5.3.1).
    pub fn finish(&self) -> Result<(), TsigError> {
        if self.failed {
            return Err(TsigError::SessionFailed);
        }
        if self.received == 0 || !self.last_signed {
            return Err(TsigError::Incomplete);
        }
        Ok(())
    }

    fn verify_inner(&mut self, msg: &[u8], now: u64) -> Result<(), TsigError> {
        let tsig_at = match parse(msg) {
            Parsed::Ok(r) => r.tsig_at,
            Parsed::FormErr(_, e) => return Err(TsigError::Malformed(e)),
            Parsed::Drop => return Err(TsigError::Malformed(WireError::Truncated)),
        };
        let Some(at) = tsig_at else {
            return self.unsigned(msg);
        };
        let rr = TsigRr::parse(msg, at)?;
        let alg = self.key.algorithm;
        if !rr.key_name.as_wire().eq_ignore_ascii_case(&self.key.name) || Algorithm::from_wire(rr.algorithm.as_wire()) != Some(alg) {
            return Err(TsigError::KeyMismatch);
        }
        if rr.mac.is_empty() {
            return Err(match rr.error {
                error::NOERROR => TsigError::BadSig,
                e => TsigError::PeerError { error: e, authenticated: false },
            });
        }
        if rr.mac.len() > alg.mac_len() || rr.mac.len() < self.key.min_mac_len() {
            return Err(TsigError::BadTrunc(rr.mac.len()));
        }
        let mut ctx = self.pending.take().unwrap_or_else(|| self.start());
        ctx.message_without_tsig(msg, at, rr.original_id);
        if self.received == 0 {
            let vars = Vars { time_signed: rr.time_signed, fudge: rr.fudge, error: rr.error, other: rr.other };
            ctx.variables(&self.key.name, alg.wire_name(), &vars);
        } else {
            ctx.timers(rr.time_signed, rr.fudge);
        }
        if !ctx.verify(rr.mac) {
            return Err(TsigError::BadSig);
        }
        if rr.error != error::NOERROR {
            return Err(TsigError::PeerError { error: rr.error, authenticated: true });
        }
        if now.abs_diff(rr.time_signed) > u64::from(rr.fudge) {
            return Err(TsigError::BadTime { time_signed: rr.time_signed, fudge: rr.fudge, now });
        }
        self.prior = MacValue::from_slice(rr.mac);
        self.received += 1;
        self.unsigned_run = 0;
        self.last_signed = true;
        Ok(())
    }

    fn unsigned(&mut self, msg: &[u8]) -> Result<(), TsigError> {
        if self.received == 0 {
            return Err(TsigError::Unsigned);
        }
        if self.unsigned_run >= MAX_UNSIGNED {
            return Err(TsigError::TooManyUnsigned);
        }
        let mut ctx = self.pending.take().unwrap_or_else(|| self.start());
        ctx.update(msg);
        self.pending = Some(ctx);
        self.unsigned_run += 1;
        self.received += 1;
        self.last_signed = false;
        Ok(())
    }

    fn start(&self) -> MacCtx {
        let mut ctx = MacCtx::new(&self.key);
        ctx.prior_mac(self.prior.as_slice());
        ctx
    }
}
