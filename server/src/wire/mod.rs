//! The DNS wire format: zero-copy parsing of requests and writing of responses.
//!
//! Owns: names ([`name`]), record type numbers ([`rtype`]), the parsed view of a
//! request ([`request`]) and the response writer ([`writer`]).
//! Must not: do I/O, log, or allocate on the query path. Everything here works
//! on caller-owned buffers.

#[allow(unsafe_code)]
pub mod name;
pub mod request;
pub mod rr;
pub mod rtype;
pub mod soa;
pub mod writer;

/// Why a message (or a part of it) could not be parsed. Small and `Copy`: it is
/// produced on the query path and maps straight to FORMERR or a silent drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The message ended inside a field.
    #[error("message truncated")]
    Truncated,
    /// A label longer than 63 octets or with reserved high bits.
    #[error("bad label")]
    BadLabel,
    /// A name longer than 255 octets.
    #[error("name too long")]
    NameTooLong,
    /// A compression pointer that does not point strictly backwards, or too many of them.
    #[error("bad compression pointer")]
    BadPointer,
    /// Section counts disagree with the message length, or a record is malformed.
    #[error("malformed record")]
    Malformed,
    /// An OPT record in the wrong place, twice, or not owned by the root (RFC 6891 §6.1.1).
    #[error("bad OPT record")]
    BadOpt,
    /// A TSIG record that is not the last record of the additional section (RFC 8945 §5.1).
    #[error("bad TSIG placement")]
    BadTsig,
    /// The response buffer is full.
    #[error("no space left in message")]
    NoSpace,
}

/// DNS header flag bits (RFC 1035 §4.1.1), in the 16-bit flags word.
pub mod flags {
    /// Query/response.
    pub const QR: u16 = 0x8000;
    /// Authoritative answer.
    pub const AA: u16 = 0x0400;
    /// Truncated.
    pub const TC: u16 = 0x0200;
    /// Recursion desired.
    pub const RD: u16 = 0x0100;
    /// Recursion available.
    pub const RA: u16 = 0x0080;
    /// Reserved Z bit.
    pub const Z: u16 = 0x0040;
    /// Authentic data (RFC 4035).
    pub const AD: u16 = 0x0020;
    /// Checking disabled (RFC 4035).
    pub const CD: u16 = 0x0010;
}

/// Opcodes (RFC 1035, 1996, 2136).
pub mod opcode {
    /// Standard query.
    pub const QUERY: u8 = 0;
    /// NOTIFY (RFC 1996).
    pub const NOTIFY: u8 = 4;
    /// UPDATE (RFC 2136).
    pub const UPDATE: u8 = 5;
}

/// Response codes, including extended ones carried in OPT (RFC 6891) and TSIG (RFC 8945).
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// Format error.
    pub const FORMERR: u16 = 1;
    /// Server failure.
    pub const SERVFAIL: u16 = 2;
    /// Name does not exist.
    pub const NXDOMAIN: u16 = 3;
    /// Not implemented.
    pub const NOTIMP: u16 = 4;
    /// Refused.
    pub const REFUSED: u16 = 5;
    /// Name exists when it should not (also DNAME overflow, RFC 6672).
    pub const YXDOMAIN: u16 = 6;
    /// RRset exists when it should not.
    pub const YXRRSET: u16 = 7;
    /// RRset does not exist.
    pub const NXRRSET: u16 = 8;
    /// Not authoritative / not authorized.
    pub const NOTAUTH: u16 = 9;
    /// Name not in zone.
    pub const NOTZONE: u16 = 10;
    /// Bad OPT version (extended).
    pub const BADVERS: u16 = 16;
    /// Bad cookie (extended).
    pub const BADCOOKIE: u16 = 23;

    /// The mnemonic of an RCODE, for log lines.
    pub fn name(rcode: u16) -> Option<&'static str> {
        Some(match rcode {
            NOERROR => "NOERROR",
            FORMERR => "FORMERR",
            SERVFAIL => "SERVFAIL",
            NXDOMAIN => "NXDOMAIN",
            NOTIMP => "NOTIMP",
            REFUSED => "REFUSED",
            YXDOMAIN => "YXDOMAIN",
            YXRRSET => "YXRRSET",
            NXRRSET => "NXRRSET",
            NOTAUTH => "NOTAUTH",
            NOTZONE => "NOTZONE",
            BADVERS => "BADVERS",
            BADCOOKIE => "BADCOOKIE",
            _ => return None,
        })
    }
}

/// Classes.
pub mod class {
    /// Internet.
    pub const IN: u16 = 1;
    /// CHAOS.
    pub const CH: u16 = 3;
    /// NONE (RFC 2136).
    pub const NONE: u16 = 254;
    /// ANY.
    pub const ANY: u16 = 255;
}

/// A source of response messages produced on demand (zone transfers: RFC 5936
/// §2.2, RFC 1995 §4). Implementations write into the caller's buffer.
pub trait MessageStream: Send {
    /// Writes the next message into `out` (at least 65535 octets) and returns
    /// its length, or `None` when done.
    fn next_message(&mut self, out: &mut [u8]) -> Option<usize>;

    /// Like [`next_message`](Self::next_message), but only when the next
    /// message is ready now (`None` otherwise, or when done): lets the
    /// writer send several messages with one write.
    fn next_ready(&mut self, _out: &mut [u8]) -> Option<usize> {
        None
    }
}

/// Reads a big-endian u16 at `pos`.
#[inline]
pub fn get_u16(b: &[u8], pos: usize) -> Result<u16, WireError> {
    match b.get(pos..pos + 2) {
        Some(s) => Ok(u16::from_be_bytes([s[0], s[1]])),
        None => Err(WireError::Truncated),
    }
}

/// Reads a big-endian u32 at `pos`.
#[inline]
pub fn get_u32(b: &[u8], pos: usize) -> Result<u32, WireError> {
    match b.get(pos..pos + 4) {
        Some(s) => Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]])),
        None => Err(WireError::Truncated),
    }
}
