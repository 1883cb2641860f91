//! The RFC 1035 master-file ("zone file") reader and writer.
//!
//! Owns: turning zone-file text into [`Record`](crate::zone::Record)s — the
//! directives `$ORIGIN`, `$TTL` and `$INCLUDE`, relative names and `@`, blank
//! owners, optional TTL and class in either order, parentheses and comments,
//! escapes, RFC 3597 `TYPEnnn`/`CLASSnnn`/`\#` — the RDATA presentation
//! parsers of every type we serve, and the inverse: RDATA and whole records
//! back to text that re-reads to the same wire data. What does not parse is
//! an [`RdataError`] (a [`TextError`] for a bad name or string), worded in
//! `error.rs`; the reader reports it as [`ZoneFileError`]'s reason.
//! Must not: group records into RRsets or judge the zone as a whole (that is
//! [`build`](crate::zone::build)), or touch the network. Reading is one
//! `std::fs::read` per file and no per-token allocation.
//!
//! ```text
//!  bytes ─► lexer (tokens = byte ranges, per logical line)
//!            └─► reader (directives, owner/TTL/class/type, $INCLUDE recursion)
//!                  └─► rdata::parse ─┬─ simple types (rdata.rs)
//!                                    ├─ DNSSEC family (rdata_dnssec.rs)
//!                                    ├─ SVCB/HTTPS (svcb.rs), LOC (loc.rs)
//!                                    └─ \# len hex (any type, RFC 3597 §5)
//!  wire RDATA ─► present::format_known ─► text  (or \# when it cannot)
//! ```

mod codec;
mod error;
mod lexer;
mod loc;
mod present;
mod put;
mod rdata;
mod rdata_dnssec;
mod reader;
mod svcb;
mod text;

#[cfg(test)]
mod tests_rdata;
#[cfg(test)]
mod tests_reader;

use crate::zone::limits::{Limit, ZoneLimits};
use crate::zone::RecordSource;
use std::path::Path;

pub use error::{RdataError, SvcParamError, TextError};
pub use reader::MAX_INCLUDE_DEPTH;

/// A zone file that cannot be read, with the file and line at fault.
/// Displays as `{file}:{line}: {reason}`; line 0 means the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct ZoneFileError {
    /// The file, as named to the reader (included files: joined to their directory).
    pub file: String,
    /// 1-based line number (0 when the file could not be read at all).
    pub line: u32,
    /// What is wrong, for a human.
    pub reason: String,
    /// The size limit the zone crossed, when that is what is wrong.
    pub limit: Option<Limit>,
}

/// Reads the zone file at `path`; `origin` is the zone apex in lowercase
/// wire form (the initial `$ORIGIN`). `$INCLUDE` paths are relative to the
/// including file's directory unless absolute. The default
/// [`ZoneLimits`] apply.
pub fn read_zone_file(path: &Path, origin: &[u8]) -> Result<RecordSource, ZoneFileError> {
    read_zone_file_limited(path, origin, ZoneLimits::default())
}

/// [`read_zone_file`] refusing a zone over `limits` at the record that
/// crosses one (`file:line: zone exceeds max_records = …`), and a file
/// too long to hold a zone within them before it is read.
pub fn read_zone_file_limited(path: &Path, origin: &[u8], limits: ZoneLimits) -> Result<RecordSource, ZoneFileError> {
    let label = path.display().to_string();
    let max_text = crate::zone::limits::Tally::new(limits).max_text();
    let data = read_bounded(path, max_text).map_err(|(reason, limit)| ZoneFileError {
        file: label.clone(),
        line: 0,
        limit,
        reason: format!("cannot read zone file: {reason}"),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    read_bytes(&data, label, origin, Some(dir), limits)
}

/// Reads a whole file of at most `max` octets; the reason otherwise (with
/// [`Limit::Bytes`] when the file is too long).
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, (String, Option<Limit>)> {
    use std::io::Read;
    let io = |e: std::io::Error| (io_reason(&e), None);
    let f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let too_long = |n: u64| {
        (format!("file of {n} octets or more is longer than a zone within max_zone_bytes can be ({max} octets of text)"), Some(Limit::Bytes))
    };
    if len > max {
        return Err(too_long(len));
    }
    let mut data = Vec::with_capacity(len as usize);
    // `take`: a file that grows while it is read stops at the bound too.
    f.take(max + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 > max {
        return Err(too_long(data.len() as u64));
    }
    Ok(data)
}

/// Reads zone-file text; `file_label` names it in errors. `$INCLUDE` paths
/// are relative to `include_dir`; with `None`, `$INCLUDE` is an error.
pub fn read_zone_str(text: &str, file_label: &str, origin: &[u8], include_dir: Option<&Path>) -> Result<RecordSource, ZoneFileError> {
    read_bytes(text.as_bytes(), file_label.to_string(), origin, include_dir, ZoneLimits::default())
}

fn read_bytes(data: &[u8], label: String, origin: &[u8], dir: Option<&Path>, limits: ZoneLimits) -> Result<RecordSource, ZoneFileError> {
    if put::Wire::new(origin).name().is_none_or(|n| n.len() != origin.len()) {
        return Err(ZoneFileError { file: label, line: 0, reason: "origin is not a valid wire-format name".into(), limit: None });
    }
    let mut r = reader::Reader::new(label, origin, limits);
    // One record per line is the common shape; reserving avoids regrowing a
    // large Vec (never beyond the records the zone may hold).
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    r.src.records.reserve(lines.min(limits.max_records.saturating_add(1)) as usize);
    r.read(data, 0, dir, 0)?;
    r.src.records.shrink_to_fit();
    Ok(r.src)
}

/// Parses the RDATA of one record in presentation form (e.g. `10 mail` for
/// MX), relative names completed with `origin`; returns wire RDATA. The text
/// may span lines inside parentheses and carry `;` comments. The error
/// says which field is wrong and how (`bad preference "x"`).
pub fn parse_rdata(rtype: u16, text: &str, origin: &[u8]) -> Result<Vec<u8>, RdataError> {
    let mut lx = lexer::Lexer::new(text.as_bytes());
    let mut toks = Vec::new();
    loop {
        match lx.next().map_err(|e| RdataError::Syntax(e.reason))? {
            Some(t) => toks.push(t),
            None if lx.at_eof() => break,
            None => {}
        }
    }
    let mut f = text::Fields::new(text.as_bytes(), &toks, origin);
    let mut out = Vec::new();
    rdata::parse(rtype, &mut f, &mut out)?;
    Ok(out)
}

/// Presentation form of one RDATA: the inverse of [`parse_rdata`], names
/// absolute with a trailing dot. Types without a formatter, and RDATA that
/// does not decode as its type, come out in RFC 3597 form `\# len hex`.
pub fn format_rdata(rtype: u16, rdata: &[u8]) -> String {
    present::format_rdata(rtype, rdata)
}

/// Appends records as zone-file lines `owner ttl IN TYPE rdata`, absolute
/// names throughout, so that [`read_zone_str`] reads back the same records.
/// Items are `(owner wire, type, ttl, rdata)`.
pub fn write_records<'a>(records: impl Iterator<Item = (&'a [u8], u16, u32, &'a [u8])>, out: &mut String) {
    present::write_records(records, out)
}

/// [`write_records`] streaming to `out` (a `BufWriter` around a file, say):
/// one line is formatted at a time, so memory stays flat whatever the number
/// of records.
pub fn write_records_to<'a, W: std::io::Write>(records: impl Iterator<Item = (&'a [u8], u16, u32, &'a [u8])>, out: &mut W) -> std::io::Result<()> {
    let (mut rd, mut line) = (String::new(), String::new());
    for (owner, t, ttl, rdata) in records {
        line.clear();
        present::push_record(owner, t, ttl, rdata, &mut rd, &mut line);
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// An I/O error's message without the `(os error N)` suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
