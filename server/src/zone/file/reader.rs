//! The record reader: turns the entries produced by the lexer into
//! [`Record`]s (RFC 1035 §5.1, RFC 2308 §4 for `$TTL`).
//!
//! Owns: the reading state that carries from one entry to the next — current
//! `$ORIGIN`, previous owner (a blank owner field repeats it), `$TTL` and
//! previous TTL — the owner/TTL/class/type prefix of each entry, the
//! directives `$ORIGIN`, `$TTL` and `$INCLUDE` (with a nesting limit), and
//! the file index and line recorded for every record.
//! Must not: build RRsets or check zone semantics (CNAME clashes, apex SOA…);
//! that is `zone::build`. Only class IN is accepted.

use super::lexer::{Lexer, Tok};
use super::text::{parse_class, parse_name, parse_ttl, parse_type, show, unescape_into, Fields};
use super::{rdata, ZoneFileError};
use crate::wire::rtype::{self, TypeName};
use crate::zone::limits::{Limit, Tally, ZoneLimits};
use crate::zone::{Record, RecordSource, SourcePos};
use std::path::Path;

/// Deepest `$INCLUDE` nesting accepted; deeper is almost surely a file including itself.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// The bytes of token `t`.
fn slice<'a>(text: &'a [u8], t: &Tok) -> &'a [u8] {
    &text[t.start..t.end]
}

/// A failure inside one file: line and reason (the file is added by the caller).
type Fail = (u32, String);

/// Reading state for one zone (the main file and everything it includes).
pub(super) struct Reader {
    /// Records and file labels read so far.
    pub src: RecordSource,
    /// Current origin, wire form (case as written in `$ORIGIN`).
    origin: Vec<u8>,
    /// Previous owner, lowercase wire; meaningful when `has_owner`.
    owner: Vec<u8>,
    has_owner: bool,
    /// Value of the last `$TTL`.
    default_ttl: Option<u32>,
    /// TTL of the previous record.
    last_ttl: Option<u32>,
    /// Scratch for the RDATA of the record being read.
    rdata: Vec<u8>,
    /// The zone's size so far, against its limits.
    tally: Tally,
    /// The limit the zone crossed, once it has.
    over: Option<Limit>,
}

impl Reader {
    /// A reader whose main file is called `label`, starting at `origin`,
    /// refusing a zone over `limits` at the record that crosses one.
    pub fn new(label: String, origin: &[u8], limits: ZoneLimits) -> Self {
        Self {
            src: RecordSource { files: vec![label], records: Vec::new() },
            origin: origin.to_vec(),
            owner: Vec::with_capacity(256),
            has_owner: false,
            default_ttl: None,
            last_ttl: None,
            rdata: Vec::with_capacity(512),
            tally: Tally::new(limits),
            over: None,
        }
    }

    fn error(&self, file: u16, (line, reason): Fail) -> ZoneFileError {
        ZoneFileError { file: self.src.files[file as usize].clone(), line, reason, limit: self.over }
    }

    /// Reads every entry of `text`, which is file number `file`; `$INCLUDE`
    /// paths resolve against `include_dir` (refused when `None`).
    pub fn read(&mut self, text: &[u8], file: u16, include_dir: Option<&Path>, depth: usize) -> Result<(), ZoneFileError> {
        let mut lexer = Lexer::new(text);
        let mut toks = Vec::with_capacity(16);
        loop {
            let indented = match lexer.entry(&mut toks) {
                Ok(Some(indented)) => indented,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.error(file, (e.line, e.reason.into()))),
            };
            let first = toks[0];
            if !indented && !first.quoted && text[first.start..first.end].starts_with(b"$") {
                self.directive(text, &toks, file, include_dir, depth)?;
            } else {
                self.record(text, &toks, indented, file).map_err(|f| self.error(file, f))?;
            }
        }
    }

    /// One resource record entry.
    fn record(&mut self, text: &[u8], toks: &[Tok], indented: bool, file: u16) -> Result<(), Fail> {
        let line = toks[0].line;
        let mut i = 0;
        if !indented {
            let b = slice(text, &toks[0]);
            self.owner.clear();
            parse_name(b, &self.origin, &mut self.owner).map_err(|e| (line, format!("bad owner name \"{}\": {e}", show(b))))?;
            // Length octets (≤ 63) and the root (0) are never `A`-`Z` (65-90):
            // lowercasing the whole buffer is `lowercase_wire`, in one pass.
            self.owner.make_ascii_lowercase();
            self.has_owner = true;
            i = 1;
        } else if !self.has_owner {
            return Err((line, "no owner name: the first record starts with whitespace".into()));
        }
        let (mut ttl, mut class) = (None, None);
        let t = loop {
            let tok = toks.get(i).ok_or((line, "missing record type".to_string()))?;
            let b = slice(text, tok);
            i += 1;
            if b.first().is_some_and(u8::is_ascii_digit) {
                let v = parse_ttl(b).ok_or_else(|| (tok.line, format!("bad TTL \"{}\"", show(b))))?;
                if ttl.replace(v).is_some() {
                    return Err((tok.line, format!("second TTL \"{}\"", show(b))));
                }
            } else if let Some(c) = parse_class(b) {
                if c != 1 {
                    return Err((tok.line, format!("class {} is not supported: only IN zones are served", show(b))));
                }
                if class.replace(c).is_some() {
                    return Err((tok.line, format!("second class \"{}\"", show(b))));
                }
            } else if let Some(t) = parse_type(b) {
                break t;
            } else {
                return Err((tok.line, format!("unknown type \"{}\"", show(b))));
            }
        };
        if rtype::is_meta(t) {
            return Err((line, format!("type {} cannot appear in zone data", TypeName(t))));
        }
        let rd_toks = &toks[i..];
        self.rdata.clear();
        let mut fields = Fields::new(text, rd_toks, &self.origin);
        if let Err(e) = rdata::parse(t, &mut fields, &mut self.rdata) {
            let at = fields.consumed().min(rd_toks.len());
            let l = if at == 0 { toks[i - 1].line } else { rd_toks[at - 1].line };
            return Err((l, e.to_string()));
        }
        let ttl = match ttl.or(self.default_ttl).or(self.last_ttl) {
            Some(v) => v,
            // RFC 1035 §3.3.13 era files: the SOA MINIMUM was the default TTL.
            None if t == rtype::SOA => {
                let m = &self.rdata[self.rdata.len() - 4..];
                u32::from_be_bytes([m[0], m[1], m[2], m[3]])
            }
            None => return Err((line, "no TTL specified (no $TTL and no earlier TTL)".into())),
        };
        self.last_ttl = Some(ttl);
        if let Err(e) = self.tally.add(self.owner.len() + 10 + self.rdata.len()) {
            self.over = Some(e.which);
            return Err((line, format!("{e}; zone file refused")));
        }
        self.src.records.push(Record {
            owner: self.owner.as_slice().into(),
            rtype: t,
            class: 1,
            ttl,
            rdata: self.rdata.as_slice().into(),
            src: SourcePos { file, line },
        });
        Ok(())
    }

    /// `$ORIGIN`, `$TTL` or `$INCLUDE`.
    fn directive(&mut self, text: &[u8], toks: &[Tok], file: u16, dir: Option<&Path>, depth: usize) -> Result<(), ZoneFileError> {
        let line = toks[0].line;
        let fail = |reason: String| self.error(file, (line, reason));
        let name = slice(text, &toks[0]);
        let args = &toks[1..];
        let arity = |min: usize, max: usize| {
            if args.len() < min || args.len() > max {
                Err(fail(format!("{} takes {}", show(name), if min == max { "one argument".into() } else { format!("{min} to {max} arguments") })))
            } else {
                Ok(())
            }
        };
        if name.eq_ignore_ascii_case(b"$ORIGIN") {
            arity(1, 1)?;
            let mut o = Vec::new();
            parse_name(slice(text, &args[0]), &self.origin, &mut o)
                .map_err(|e| fail(format!("bad $ORIGIN \"{}\": {e}", show(slice(text, &args[0])))))?;
            self.origin = o;
        } else if name.eq_ignore_ascii_case(b"$TTL") {
            arity(1, 1)?;
            let b = slice(text, &args[0]);
            self.default_ttl = Some(parse_ttl(b).ok_or_else(|| fail(format!("bad TTL \"{}\"", show(b))))?);
        } else if name.eq_ignore_ascii_case(b"$INCLUDE") {
            arity(1, 2)?;
            let mut path = Vec::new();
            unescape_into(slice(text, &args[0]), &mut path).map_err(|e| fail(e.to_string()))?;
            let path = String::from_utf8(path).map_err(|_| fail("$INCLUDE file name is not UTF-8".into()))?;
            let origin = match args.get(1) {
                None => self.origin.clone(),
                Some(t) => {
                    let mut o = Vec::new();
                    parse_name(slice(text, t), &self.origin, &mut o)
                        .map_err(|e| fail(format!("bad $INCLUDE origin \"{}\": {e}", show(slice(text, t)))))?;
                    o
                }
            };
            self.include(&path, origin, file, line, dir, depth)?;
        } else {
            return Err(fail(format!("unknown directive \"{}\"", show(name))));
        }
        Ok(())
    }

    /// Reads an included file; origin and previous owner revert afterwards
    /// (RFC 1035 §5.1: the included origin does not affect the parent).
    fn include(&mut self, path: &str, origin: Vec<u8>, file: u16, line: u32, dir: Option<&Path>, depth: usize) -> Result<(), ZoneFileError> {
        let fail = |reason: String| self.error(file, (line, reason));
        let Some(dir) = dir else {
            return Err(fail("$INCLUDE is not allowed here (no directory to resolve it against)".into()));
        };
        if depth + 1 > MAX_INCLUDE_DEPTH {
            return Err(fail(format!("$INCLUDE nested too deep (limit {MAX_INCLUDE_DEPTH})")));
        }
        let full = dir.join(path);
        let data = super::read_bounded(&full, self.tally.max_text()).map_err(|(e, limit)| {
            let mut err = fail(format!("cannot read included file {path}: {e}"));
            err.limit = err.limit.or(limit);
            err
        })?;
        let idx = u16::try_from(self.src.files.len()).map_err(|_| fail("too many included files".into()))?;
        self.src.files.push(full.display().to_string());
        let saved_origin = std::mem::replace(&mut self.origin, origin);
        let saved_owner = (self.owner.clone(), self.has_owner);
        let inc_dir = full.parent().unwrap_or(dir).to_path_buf();
        let r = self.read(&data, idx, Some(&inc_dir), depth + 1);
        self.origin = saved_origin;
        (self.owner, self.has_owner) = saved_owner;
        r
    }
}
