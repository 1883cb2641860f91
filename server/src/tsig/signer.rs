//! Signing the response(s) to a verified request (RFC 8945 §4.3, §5.3).
//!
//! Owns: the MAC chain of a response stream. The first message's MAC covers
//! the request MAC, the message and the full TSIG variables (§4.3.1, §4.3.3);
//! each later one covers the prior MAC, every message skipped since it, the
//! message and only the timers (§4.3.4, §5.3.1; checklist S4, A7).
//! Must not: write anything but the TSIG record, or allocate per message.

use std::sync::Arc;

use super::key::Key;
use super::mac::{u48, MacCtx, MacValue, Vars};
use super::record::Fields;
use super::Verified;
use super::{error, TsigError, FUDGE, MAX_UNSIGNED};
use crate::wire::WireError;

/// Signs the messages of one response, in order.
///
/// Call [`sign`](Self::sign) for every message; an AXFR may instead
/// [`skip`](Self::skip) up to 99 messages in a row, but not the first, and must
/// sign the last. Reserve [`tsig_len`](Self::tsig_len) octets when building a
/// message so the TSIG record fits (checklist S5).
#[derive(Clone)]
pub struct ResponseSigner {
    key: Arc<Key>,
    /// The request MAC until the first message is signed, then the last MAC sent.
    prior: MacValue,
    first: bool,
    /// Running MAC over the prior MAC and the messages skipped since.
    pending: Option<MacCtx>,
    unsigned_run: usize,
    now: u64,
    /// TSIG error of the first message (an error response), with its Time
    /// Signed and Other Data (BADTIME: the request's time and our clock).
    error: u16,
    time_signed: Option<u64>,
    other: Option<[u8; 6]>,
}

impl std::fmt::Debug for ResponseSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseSigner")
            .field("key", &self.key)
            .field("first", &self.first)
            .field("unsigned_run", &self.unsigned_run)
            .field("now", &self.now)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl ResponseSigner {
    /// A signer for the response to the request `v`, with `now` as Time Signed.
    pub fn new(v: &Verified, now: u64) -> Self {
        Self {
            key: Arc::clone(&v.key),
            prior: MacValue::from_slice(&v.request_mac),
            first: true,
            pending: None,
            unsigned_run: 0,
            now,
            error: error::NOERROR,
            time_signed: None,
            other: None,
        }
    }

    /// A signer for a signed error response (BADTIME, BADTRUNC; RFC 8945 §5.3.2).
    pub(super) fn for_error(v: &Verified, now: u64, error: u16) -> Self {
        let mut s = Self::new(v, now);
        s.error = error;
        if error == error::BADTIME {
            s.time_signed = Some(v.time_signed);
            s.other = Some(u48(now));
        }
        s
    }

    /// Updates the clock used as Time Signed for the next messages (long transfers).
    pub fn set_time(&mut self, now: u64) {
        self.now = now;
    }

    /// The key signing this response.
    pub fn key(&self) -> &Arc<Key> {
        &self.key
    }

    /// Octets the next [`sign`](Self::sign) appends.
    pub fn tsig_len(&self) -> usize {
        self.fields(&[0; 64][..self.key.algorithm.mac_len()], 0).len()
    }

    /// The MAC of the last signed message (the request MAC before the first).
    pub fn last_mac(&self) -> &[u8] {
        self.prior.as_slice()
    }

    fn fields<'a>(&'a self, mac: &'a [u8], id: u16) -> Fields<'a> {
        let first = self.first;
        Fields {
            key_name: &self.key.name,
            algorithm: self.key.algorithm.wire_name(),
            time_signed: if first { self.time_signed.unwrap_or(self.now) } else { self.now },
            fudge: FUDGE,
            mac,
            original_id: id,
            error: if first { self.error } else { error::NOERROR },
            other: match (&self.other, first) {
                (Some(o), true) => o,
                _ => &[],
            },
        }
    }

    /// Signs the message in `buf[..len]`: appends the TSIG record after it,
    /// bumps ARCOUNT, and returns the new length. On error (no space) nothing
    /// is written and the chain is unchanged.
    pub fn sign(&mut self, buf: &mut [u8], len: usize) -> Result<usize, WireError> {
        if len < 12 || len > buf.len() {
            return Err(WireError::Truncated);
        }
        if len + self.tsig_len() > buf.len().min(65535) {
            return Err(WireError::NoSpace);
        }
        let mut ctx = match &self.pending {
            Some(p) => p.clone(),
            None => self.start(),
        };
        ctx.update(&buf[..len]);
        let f = self.fields(&[], 0);
        if self.first {
            let vars = Vars { time_signed: f.time_signed, fudge: f.fudge, error: f.error, other: f.other };
            ctx.variables(&self.key.name, self.key.algorithm.wire_name(), &vars);
        } else {
            ctx.timers(f.time_signed, f.fudge);
        }
        let mac = ctx.finish();
        let id = u16::from_be_bytes([buf[0], buf[1]]);
        let new_len = self.fields(mac.as_slice(), id).append(buf, len)?;
        self.prior = mac;
        self.first = false;
        self.pending = None;
        self.unsigned_run = 0;
        Ok(new_len)
    }

    /// Sends `msg` unsigned: it is folded into the next signed message's MAC
    /// (RFC 8945 §5.3.1). The first message must be signed, and at most 99 in
    /// a row may be skipped.
    pub fn skip(&mut self, msg: &[u8]) -> Result<(), TsigError> {
        if self.first {
            return Err(TsigError::Unsigned);
        }
        if self.unsigned_run >= MAX_UNSIGNED {
            return Err(TsigError::TooManyUnsigned);
        }
        let mut ctx = self.pending.take().unwrap_or_else(|| self.start());
        ctx.update(msg);
        self.pending = Some(ctx);
        self.unsigned_run += 1;
        Ok(())
    }

    fn start(&self) -> MacCtx {
        let mut ctx = MacCtx::new(&self.key);
        ctx.prior_mac(self.prior.as_slice());
        ctx
    }
}
