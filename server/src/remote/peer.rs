//! Talking to other servers: TSIG signing for the transfer client, and the
//! BIND-style wording of peers and failures in log lines.
//!
//! Owns: [`TsigAuth`] (the [`Auth`] hook of [`crate::remote`] over a
//! [`ClientSession`]), [`auth_for`] (the key a remote names, looked up in the
//! catalog's key ring), [`Peer`] (`ip#port`) and [`failure`] (the text
//! after `transfer of 'zone/IN' from ip#port: `).
//! Must not: open sockets itself or decide whom to talk to.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use crate::catalog::Remote;
use crate::remote::{Auth, AuthError, XfrError};
use crate::tsig::{ClientSession, Key, KeyRing};

/// Signs one request with a TSIG key and verifies its response stream
/// (RFC 8945 §5.1, §5.3.1).
pub struct TsigAuth {
    key: Arc<Key>,
    session: Option<ClientSession>,
}

impl TsigAuth {
    /// A signer for one exchange with `key`.
    pub fn new(key: Arc<Key>) -> Self {
        Self { key, session: None }
    }
}

impl Auth for TsigAuth {
    fn sign(&mut self, msg: &mut Vec<u8>) {
        // Fails only on a message shorter than a header, which the client never builds.
        self.session = ClientSession::sign_request(&self.key, msg, crate::clock::unix_now()).ok();
    }

    fn verify(&mut self, msg: &[u8]) -> Result<(), AuthError> {
        match self.session.as_mut() {
            Some(s) => Ok(s.verify_response(msg, crate::clock::unix_now())?),
            None => Err(AuthError::Unsigned),
        }
    }

    fn finish(&mut self) -> Result<(), AuthError> {
        match self.session.as_ref() {
            Some(s) => Ok(s.finish()?),
            None => Err(AuthError::Unsigned),
        }
    }
}

/// A remote names a TSIG key the ring does not hold (removed by a reload).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TSIG key {0:?} is not configured")]
pub struct UnknownKey(pub String);

/// The TSIG signer for `remote`, or `None` when it names no key. A key that
/// is not in the ring (removed by a reload) is an error, never a silent
/// unsigned request.
pub fn auth_for(remote: &Remote, keys: &KeyRing) -> Result<Option<Box<dyn Auth>>, UnknownKey> {
    match &remote.key {
        None => Ok(None),
        Some(name) => match keys.get(name) {
            Some(k) => Ok(Some(Box::new(TsigAuth::new(k.clone())))),
            None => Err(UnknownKey(name.clone())),
        },
    }
}

/// `ip#port`, as BIND writes peers in its logs.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.0.ip(), self.0.port())
    }
}

/// How a transfer failed, in BIND's words: `failed to connect: connection
/// refused`, `failed while receiving responses: REFUSED`, …
pub fn failure(e: &XfrError) -> String {
    use std::io::ErrorKind::*;
    match e {
        // Errors only `connect` returns.
        XfrError::Io(io) if matches!(io.kind(), ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable) => {
            format!("failed to connect: {}", io_text(io))
        }
        XfrError::Io(io) => format!("failed while receiving responses: {}", io_text(io)),
        XfrError::Timeout => "failed while receiving responses: timed out".into(),
        XfrError::Rcode(r) => format!("failed while receiving responses: {r}"),
        XfrError::Wire(w) => format!("failed while receiving responses: malformed answer: {w}"),
        XfrError::Protocol(p) => format!("failed while receiving responses: {p}"),
        XfrError::Tsig(t) => format!("failed while receiving responses: TSIG: {t}"),
        XfrError::Limit(l) => format!("failed while receiving responses: {l}; transfer aborted"),
    }
}

/// An I/O error as BIND words it (`connection refused`), without the
/// `(os error N)` suffix.
pub fn io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".into(),
        ConnectionReset => "connection reset".into(),
        HostUnreachable => "host unreachable".into(),
        NetworkUnreachable => "network unreachable".into(),
        UnexpectedEof => "end of file".into(),
        TimedOut => "timed out".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_ascii_lowercase(),
                None => s,
            }
        }
    }
}

/// The text of an SOA query or NOTIFY failure (`connection refused`, `timed out`, `REFUSED`).
pub fn short(e: &XfrError) -> String {
    match e {
        XfrError::Io(io) => io_text(io),
        XfrError::Timeout => "timed out".into(),
        XfrError::Rcode(r) => (*r).into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_like_bind() {
        let refused = XfrError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(failure(&refused), "failed to connect: connection refused");
        assert_eq!(failure(&XfrError::Rcode("REFUSED")), "failed while receiving responses: REFUSED");
        assert_eq!(Peer("192.0.2.1:53".parse().unwrap()).to_string(), "192.0.2.1#53");
        assert_eq!(short(&XfrError::Timeout), "timed out");
        let unsigned = XfrError::Tsig(AuthError::Unsigned);
        assert_eq!(failure(&unsigned), "failed while receiving responses: TSIG: the request could not be signed");
        let tsig = XfrError::from(AuthError::from(crate::tsig::TsigError::Unsigned));
        assert_eq!(short(&tsig), "TSIG: response is not signed");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let r = Remote { addr: "192.0.2.1:53".parse().unwrap(), key: Some("nope".into()), source: None };
        assert_eq!(auth_for(&r, &KeyRing::new()).err().unwrap().to_string(), "TSIG key \"nope\" is not configured");
        let r = Remote { key: None, ..r };
        assert!(auth_for(&r, &KeyRing::new()).unwrap().is_none());
    }
}
