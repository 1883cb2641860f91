//! The TSIG record on the wire (RFC 8945 §4.2).
//!
//! Owns: reading a TSIG record at a known offset into a borrowed view, and
//! appending one to a message in a caller-owned buffer (bumping ARCOUNT).
//! Must not: compute or check MACs, or allocate.
//!
//! ```text
//!  NAME key name · TYPE 250 · CLASS ANY · TTL 0 · RDLENGTH
//!  RDATA: Algorithm Name · Time Signed (u48) · Fudge (u16) · MAC Size (u16) · MAC
//!         Original ID (u16) · Error (u16) · Other Len (u16) · Other Data
//! ```

use super::mac::u48;
use crate::wire::name::{read_name, NameBuf};
use crate::wire::{class, get_u16, get_u32, rtype, WireError};

/// A TSIG record read from a message, borrowing its MAC and Other Data.
#[derive(Debug, Clone, Copy)]
pub struct TsigRr<'a> {
    /// Owner: the key name, decompressed, case as received.
    pub key_name: NameBuf,
    /// CLASS (must be ANY).
    pub class: u16,
    /// TTL (must be 0).
    pub ttl: u32,
    /// Algorithm name, decompressed, case as received.
    pub algorithm: NameBuf,
    /// Time Signed, seconds since the epoch (48 bits).
    pub time_signed: u64,
    /// Fudge, seconds.
    pub fudge: u16,
    /// The MAC (possibly truncated, possibly empty).
    pub mac: &'a [u8],
    /// Original ID.
    pub original_id: u16,
    /// TSIG error.
    pub error: u16,
    /// Other Data.
    pub other: &'a [u8],
}

impl<'a> TsigRr<'a> {
    /// Reads the TSIG record starting at `at`; it must end exactly at the end
    /// of `msg` (it is the last record, RFC 8945 §5.1) and its RDATA must be
    /// exactly as long as its fields.
    pub fn parse(msg: &'a [u8], at: usize) -> Result<Self, WireError> {
        let mut key_name = NameBuf::root();
        let p = read_name(msg, at, &mut key_name)?;
        if get_u16(msg, p)? != rtype::TSIG {
            return Err(WireError::Malformed);
        }
        let class = get_u16(msg, p + 2)?;
        let ttl = get_u32(msg, p + 4)?;
        let rdlen = get_u16(msg, p + 8)? as usize;
        let rdata = p + 10;
        let end = rdata + rdlen;
        if end != msg.len() {
            return Err(if end > msg.len() { WireError::Truncated } else { WireError::Malformed });
        }
        let mut algorithm = NameBuf::root();
        let mut q = read_name(msg, rdata, &mut algorithm)?;
        let time_signed = ((get_u16(msg, q)? as u64) << 32) | get_u32(msg, q + 2)? as u64;
        let fudge = get_u16(msg, q + 6)?;
        let mac_len = get_u16(msg, q + 8)? as usize;
        q += 10;
        let mac = msg.get(q..q + mac_len).ok_or(WireError::Truncated)?;
        q += mac_len;
        let original_id = get_u16(msg, q)?;
        let error = get_u16(msg, q + 2)?;
        let other_len = get_u16(msg, q + 4)? as usize;
        q += 6;
        let other = msg.get(q..q + other_len).ok_or(WireError::Truncated)?;
        if q + other_len != end {
            return Err(WireError::Malformed);
        }
        Ok(Self { key_name, class, ttl, algorithm, time_signed, fudge, mac, original_id, error, other })
    }
}

/// The fields of a TSIG record to write. Names are uncompressed wire form.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields<'a> {
    pub key_name: &'a [u8],
    pub algorithm: &'a [u8],
    pub time_signed: u64,
    pub fudge: u16,
    pub mac: &'a [u8],
    pub original_id: u16,
    pub error: u16,
    pub other: &'a [u8],
}

impl Fields<'_> {
    /// Octets the whole record takes.
    pub(super) fn len(&self) -> usize {
        self.key_name.len() + 10 + self.rdata_len()
    }

    fn rdata_len(&self) -> usize {
        self.algorithm.len() + 6 + 2 + 2 + self.mac.len() + 2 + 2 + 2 + self.other.len()
    }

    /// Writes the record at `buf[len..]`, uncompressed (BIND does the same for
    /// the key name), and adds one to ARCOUNT. Returns the new message length.
    pub(super) fn append(&self, buf: &mut [u8], len: usize) -> Result<usize, WireError> {
        if len < 12 || len > buf.len() {
            return Err(WireError::Truncated);
        }
        let total = len + self.len();
        if total > buf.len() || total > 65535 {
            return Err(WireError::NoSpace);
        }
        let ar = u16::from_be_bytes([buf[10], buf[11]]).checked_add(1).ok_or(WireError::Malformed)?;
        let mut w = Cursor { buf, pos: len };
        w.put(self.key_name);
        w.put(&rtype::TSIG.to_be_bytes());
        w.put(&class::ANY.to_be_bytes());
        w.put(&0u32.to_be_bytes());
        w.put(&(self.rdata_len() as u16).to_be_bytes());
        w.put(self.algorithm);
        w.put(&u48(self.time_signed));
        w.put(&self.fudge.to_be_bytes());
        w.put(&(self.mac.len() as u16).to_be_bytes());
        w.put(self.mac);
        w.put(&self.original_id.to_be_bytes());
        w.put(&self.error.to_be_bytes());
        w.put(&(self.other.len() as u16).to_be_bytes());
        w.put(self.other);
        debug_assert_eq!(w.pos, total);
        buf[10..12].copy_from_slice(&ar.to_be_bytes());
        Ok(total)
    }
}

struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
}
