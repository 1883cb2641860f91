//! The MAC computation (RFC 8945 §4.3).
//!
//! Owns: a running HMAC for any [`Algorithm`], and feeding it the digest
//! components in the order of §4.3: the prior MAC (request MAC for a first
//! response, previous MAC for a later message, §4.3.1, §4.3.4), the message
//! with the TSIG record removed, ARCOUNT decremented and the Original ID put
//! back (§4.3.2), then either the full TSIG variables (§4.3.3) or, for later
//! messages of a stream, only the timers (§4.3.4).
//! Must not: compare MACs other than in constant time (`hmac`'s verify).

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};

use super::key::{Algorithm, Key};
use crate::wire::class;

/// The longest MAC (HMAC-SHA512).
pub(super) const MAX_MAC_LEN: usize = 64;

/// A MAC being computed.
#[derive(Clone)]
pub(super) enum MacCtx {
    Sha1(Hmac<Sha1>),
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            MacCtx::Sha1($m) => $e,
            MacCtx::Sha224($m) => $e,
            MacCtx::Sha256($m) => $e,
            MacCtx::Sha384($m) => $e,
            MacCtx::Sha512($m) => $e,
        }
    };
}

/// A MAC value in a fixed buffer.
#[derive(Clone, Copy)]
pub(super) struct MacValue {
    buf: [u8; MAX_MAC_LEN],
    len: usize,
}

impl MacValue {
    /// Copies a MAC (at most [`MAX_MAC_LEN`] octets; callers check sizes first).
    pub(super) fn from_slice(mac: &[u8]) -> Self {
        let len = mac.len().min(MAX_MAC_LEN);
        let mut buf = [0; MAX_MAC_LEN];
        buf[..len].copy_from_slice(&mac[..len]);
        Self { buf, len }
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl MacCtx {
    /// Starts a MAC keyed with `key`.
    pub(super) fn new(key: &Key) -> Self {
        const ANY_LEN: &str = "HMAC accepts keys of any length";
        let s = key.secret();
        match key.algorithm {
            Algorithm::HmacSha1 => Self::Sha1(Hmac::new_from_slice(s).expect(ANY_LEN)),
            Algorithm::HmacSha224 => Self::Sha224(Hmac::new_from_slice(s).expect(ANY_LEN)),
            Algorithm::HmacSha256 => Self::Sha256(Hmac::new_from_slice(s).expect(ANY_LEN)),
            Algorithm::HmacSha384 => Self::Sha384(Hmac::new_from_slice(s).expect(ANY_LEN)),
            Algorithm::HmacSha512 => Self::Sha512(Hmac::new_from_slice(s).expect(ANY_LEN)),
        }
    }

    /// Adds data.
    pub(super) fn update(&mut self, data: &[u8]) {
        each!(self, m => m.update(data))
    }

    /// The full MAC.
    pub(super) fn finish(self) -> MacValue {
        let mut v = MacValue { buf: [0; MAX_MAC_LEN], len: 0 };
        each!(self, m => {
            let out = m.finalize().into_bytes();
            v.len = out.len();
            v.buf[..out.len()].copy_from_slice(&out);
        });
        v
    }

    /// True when `mac` equals the MAC or its leading octets (a truncated MAC,
    /// RFC 8945 §5.2.2.1). Constant time. The caller enforces the size policy.
    pub(super) fn verify(self, mac: &[u8]) -> bool {
        each!(self, m => m.verify_truncated_left(mac).is_ok())
    }

    /// Adds a prior MAC, preceded by its length (RFC 8945 §4.3.1, §4.3.4).
    pub(super) fn prior_mac(&mut self, mac: &[u8]) {
        self.update(&(mac.len() as u16).to_be_bytes());
        self.update(mac);
    }

    /// Adds `msg[..tsig_at]` as it was before the TSIG record was added: the
    /// header with `original_id` and ARCOUNT minus one (RFC 8945 §4.3.2).
    /// `msg` is at least a header long and holds a TSIG record at `tsig_at`.
    pub(super) fn message_without_tsig(&mut self, msg: &[u8], tsig_at: usize, original_id: u16) {
        let mut header = [0u8; 12];
        header.copy_from_slice(&msg[..12]);
        header[0..2].copy_from_slice(&original_id.to_be_bytes());
        let ar = u16::from_be_bytes([header[10], header[11]]).wrapping_sub(1);
        header[10..12].copy_from_slice(&ar.to_be_bytes());
        self.update(&header);
        self.update(&msg[12..tsig_at]);
    }

    /// Adds the TSIG variables (RFC 8945 §4.3.3). `key_name` and `algorithm`
    /// must already be canonical (lowercase, uncompressed wire form).
    pub(super) fn variables(&mut self, key_name: &[u8], algorithm: &[u8], v: &Vars<'_>) {
        self.update(key_name);
        self.update(&class::ANY.to_be_bytes());
        self.update(&0u32.to_be_bytes());
        self.update(algorithm);
        self.timers(v.time_signed, v.fudge);
        self.update(&v.error.to_be_bytes());
        self.update(&(v.other.len() as u16).to_be_bytes());
        self.update(v.other);
    }

    /// Adds only Time Signed and Fudge (RFC 8945 §4.3.4, later messages of a stream).
    pub(super) fn timers(&mut self, time_signed: u64, fudge: u16) {
        self.update(&u48(time_signed));
        self.update(&fudge.to_be_bytes());
    }
}

/// The TSIG RDATA fields covered by the MAC besides the names (RFC 8945 §4.3.3).
#[derive(Debug, Clone, Copy)]
pub(super) struct Vars<'a> {
    pub time_signed: u64,
    pub fudge: u16,
    pub error: u16,
    pub other: &'a [u8],
}

/// A time as the 48-bit big-endian integer of the TSIG record.
pub(super) fn u48(t: u64) -> [u8; 6] {
    let b = t.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}
