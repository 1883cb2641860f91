//! A transfer stream whose messages are TSIG-signed, MACs chained
//! (RFC 8945 §5.3.1): each message signed as it is produced.
//!
//! Owns: the wrapper. Must not: decide whether a transfer is signed (the
//! handler does, from the request's TSIG).

use crate::clock::unix_now;
use crate::tsig::ResponseSigner;
use crate::wire::MessageStream;

/// A transfer stream whose messages are TSIG-signed, MACs chained (RFC 8945 §5.3.1).
pub(super) struct SignedStream {
    inner: Box<dyn MessageStream>,
    signer: ResponseSigner,
}

impl SignedStream {
    /// Signs every message of `inner` with `signer`.
    pub(super) fn new(inner: Box<dyn MessageStream>, signer: ResponseSigner) -> Self {
        SignedStream { inner, signer }
    }
}

impl MessageStream for SignedStream {
    fn next_message(&mut self, out: &mut [u8]) -> Option<usize> {
        let n = self.inner.next_message(out)?;
        self.signer.set_time(unix_now());
        self.signer.sign(out, n).ok()
    }

    fn next_ready(&mut self, out: &mut [u8]) -> Option<usize> {
        let n = self.inner.next_ready(out)?;
        self.signer.set_time(unix_now());
        self.signer.sign(out, n).ok()
    }
}
