//! Reading scenario files (the format is described in [`super`]).

use std::collections::HashMap;

use crate::rr::{self, Rr};
use crate::wire::{self, flag, EdnsSpec, OptOddity, QuerySpec};

/// A scenario file: the zones and flags of one server, and the cases to ask it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File name (for reports).
    pub file: String,
    /// Zones: origin and file name under `tests/scenarios/zones/`.
    pub zones: Vec<(String, String)>,
    /// Extra server arguments.
    pub args: Vec<String>,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// One query and what its response must look like.
#[derive(Debug, Clone)]
pub struct Case {
    /// Case name (unique in the file).
    pub name: String,
    /// Line of the `case` directive.
    pub line: usize,
    /// Rows of docs/RFC-ROWS.md this case covers (`Q7`, `E8`, …).
    pub covers: Vec<String>,
    /// The query.
    pub query: QuerySpec,
    /// The query line as written.
    pub query_text: String,
    /// The expectations.
    pub expect: Expect,
}

/// Expectations of a case. Anything not stated is held to the invariants of
/// [`super::check`] (empty sections, TC clear, …).
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// No reply at all (e.g. QR=1 queries).
    pub noreply: bool,
    /// Acceptable RCODEs (extended RCODE included); empty means "not checked".
    pub rcodes: Vec<u16>,
    /// Header bits that must be set (true) or clear (false).
    pub flags: Vec<(u16, bool)>,
    /// OPT checks.
    pub edns: Vec<EdnsCheck>,
    /// Expected sections: answer, authority, additional.
    pub sections: [Section; 3],
    /// Extra checks.
    pub checks: Vec<Check>,
}

/// What a section must hold.
#[derive(Debug, Clone, Default)]
pub enum Section {
    /// Not mentioned: must be empty.
    #[default]
    Empty,
    /// `ignore`: not checked.
    Ignore,
    /// These records (the `bool` is "optional": written with a leading `?`),
    /// and nothing else.
    Records(Vec<(Rr, bool)>),
}

/// A check on the response OPT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdnsCheck {
    /// OPT present (`present`) or absent (`absent`).
    Present(bool),
    /// `any`: presence not checked (queries with broken OPT).
    AnyPresence,
    /// `version=N`.
    Version(u8),
    /// `do` / `!do`.
    DnssecOk(bool),
    /// `option=N` / `!option=N`.
    Option(u16, bool),
    /// `payload>=N`.
    PayloadAtLeast(u16),
}

/// An extra check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `whole-rrsets`: every RRset in the answer and authority sections is
    /// complete, judged against the same query over TCP (RFC 2181 §9).
    WholeRrsets,
    /// `uncompressed TYPE`: RDATA of records of this type holds no
    /// compression pointer (RFC 3597 §4).
    Uncompressed(u16),
    /// `size<=N`: the response is at most N octets.
    SizeAtMost(usize),
    /// `nonempty SECTION`: the section (0 answer, 1 authority, 2 additional)
    /// holds at least one record.
    NonEmpty(usize),
}

fn err(file: &str, line: usize, msg: impl std::fmt::Display) -> String {
    format!("{file}:{line}: {msg}")
}

const SECTION_NAMES: [&str; 3] = ["answer", "authority", "additional"];

fn edns(q: &mut QuerySpec) -> &mut EdnsSpec {
    q.edns.get_or_insert_with(EdnsSpec::default)
}

/// Parses a query line's arguments: `NAME [CLASS] TYPE [+option …]`.
pub fn parse_query(args: &[&str]) -> Result<QuerySpec, String> {
    let name = args.first().ok_or("query needs a name")?;
    let mut i = 1;
    let mut qclass = rr::classes::IN;
    if let Some(c) = args.get(i).and_then(|a| rr::parse_class(a)) {
        if args.get(i + 1).is_some_and(|a| !a.starts_with('+')) {
            qclass = c;
            i += 1;
        }
    }
    let qtype = args.get(i).and_then(|t| rr::parse_type(t)).ok_or_else(|| format!("bad or missing type in query {args:?}"))?;
    let mut q = QuerySpec::new(name, qtype);
    q.qclass = qclass;
    for opt in &args[i + 1..] {
        let (key, val) = match opt.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (*opt, None),
        };
        let num = |v: Option<&str>| -> Result<u32, String> {
            let v = v.ok_or_else(|| format!("{key} needs a value"))?;
            match v.strip_prefix("0x") {
                Some(h) => u32::from_str_radix(h, 16),
                None => v.parse(),
            }
            .map_err(|_| format!("bad value in {opt}"))
        };
        match key {
            "+tcp" | "+vc" => q.tcp = true,
            "+notcp" => q.tcp = false,
            "+noedns" => q.edns = None,
            "+edns" => edns(&mut q).version = val.map(|_| num(val)).transpose()?.unwrap_or(0) as u8,
            "+bufsize" => edns(&mut q).payload = num(val)? as u16,
            "+dnssec" => edns(&mut q).dnssec_ok = true,
            "+ednsflags" => edns(&mut q).extra_flags = num(val)? as u16,
            "+ednsopt" => {
                let v = val.ok_or("+ednsopt needs CODE[:HEX]")?;
                let (code, data) = v.split_once(':').unwrap_or((v, ""));
                let code: u16 = code.parse().map_err(|_| format!("bad option code in {opt}"))?;
                let data = (0..data.len())
                    .step_by(2)
                    .map(|k| u8::from_str_radix(data.get(k..k + 2).unwrap_or("x"), 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| format!("bad hex in {opt}"))?;
                edns(&mut q).options.push((code, data));
            }
            "+cd" | "+cdflag" => q.flags |= flag::CD,
            "+ad" | "+adflag" => q.flags |= flag::AD,
            "+noad" => q.flags &= !flag::AD,
            "+rec" | "+rd" => q.flags |= flag::RD,
            "+norec" | "+nord" => q.flags &= !flag::RD,
            "+zflag" => q.flags |= flag::Z,
            "+aaflag" => q.flags |= flag::AA,
            "+tcflag" => q.flags |= flag::TC,
            "+raflag" => q.flags |= flag::RA,
            "+qr" => q.flags |= flag::QR,
            "+opcode" => q.opcode = num(val)? as u8,
            "+id" => q.id = num(val)? as u16,
            "+qdcount" => q.qdcount = num(val)? as u16,
            "+header-only" => q.qdcount = 0,
            "+dupopt" => q.opt_oddity = OptOddity::Duplicate,
            "+optinanswer" => q.opt_oddity = OptOddity::InAnswer,
            "+optowner" => q.opt_oddity = OptOddity::NonRootOwner,
            _ => return Err(format!("unknown query option {opt}")),
        }
    }
    Ok(q)
}

fn parse_flags(args: &[&str]) -> Result<Vec<(u16, bool)>, String> {
    args.iter()
        .map(|a| {
            let (want, n) = match a.strip_prefix('!').or_else(|| a.strip_prefix('-')) {
                Some(n) => (false, n),
                None => (true, *a),
            };
            let bit = match n.to_ascii_lowercase().as_str() {
                "qr" => flag::QR,
                "aa" => flag::AA,
                "tc" => flag::TC,
                "rd" => flag::RD,
                "ra" => flag::RA,
                "z" => flag::Z,
                "ad" => flag::AD,
                "cd" => flag::CD,
                _ => return Err(format!("unknown flag {a}")),
            };
            Ok((bit, want))
        })
        .collect()
}

fn parse_edns(args: &[&str]) -> Result<Vec<EdnsCheck>, String> {
    args.iter()
        .map(|a| {
            Ok(match *a {
                "present" => EdnsCheck::Present(true),
                "absent" => EdnsCheck::Present(false),
                "any" => EdnsCheck::AnyPresence,
                "do" => EdnsCheck::DnssecOk(true),
                "!do" => EdnsCheck::DnssecOk(false),
                _ => {
                    if let Some(v) = a.strip_prefix("version=") {
                        EdnsCheck::Version(v.parse().map_err(|_| format!("bad {a}"))?)
                    } else if let Some(v) = a.strip_prefix("!option=") {
                        EdnsCheck::Option(v.parse().map_err(|_| format!("bad {a}"))?, false)
                    } else if let Some(v) = a.strip_prefix("option=") {
                        EdnsCheck::Option(v.parse().map_err(|_| format!("bad {a}"))?, true)
                    } else if let Some(v) = a.strip_prefix("payload>=") {
                        EdnsCheck::PayloadAtLeast(v.parse().map_err(|_| format!("bad {a}"))?)
                    } else {
                        return Err(format!("unknown edns check {a}"));
                    }
                }
            })
        })
        .collect()
}

fn parse_check(args: &[&str]) -> Result<Check, String> {
    match args {
        ["whole-rrsets"] => Ok(Check::WholeRrsets),
        ["uncompressed", t] => Ok(Check::Uncompressed(rr::parse_type(t).ok_or_else(|| format!("bad type {t}"))?)),
        ["nonempty", s] => Ok(Check::NonEmpty(SECTION_NAMES.iter().position(|n| n == s).ok_or_else(|| format!("bad section {s}"))?)),
        [s] if s.starts_with("size<=") => Ok(Check::SizeAtMost(s["size<=".len()..].parse().map_err(|_| format!("bad {s}"))?)),
        _ => Err(format!("unknown check {args:?}")),
    }
}

/// Splits a directive line into words; double quotes group words (used by `args`).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

const KEYWORDS: &[&str] = &[
    "zone",
    "args",
    "origin",
    "define",
    "end",
    "case",
    "covers",
    "query",
    "noreply",
    "rcode",
    "flags",
    "edns",
    "check",
    "answer",
    "authority",
    "additional",
];

/// Parses the text of a scenario file.
pub fn parse(file: &str, text: &str) -> Result<Scenario, String> {
    let mut sc = Scenario { file: file.to_string(), zones: Vec::new(), args: Vec::new(), cases: Vec::new() };
    let mut origin: Option<Vec<u8>> = None;
    let mut defines: HashMap<String, Vec<(Rr, bool)>> = HashMap::new();
    let mut defining: Option<(String, Vec<(Rr, bool)>)> = None;
    let mut case: Option<(Case, bool)> = None; // (case, has query)
    let mut section: Option<usize> = None;

    let finish = |case: Option<(Case, bool)>, sc: &mut Scenario| -> Result<(), String> {
        if let Some((c, has_query)) = case {
            if !has_query {
                return Err(err(file, c.line, format!("case {} has no query", c.name)));
            }
            if sc.cases.iter().any(|o| o.name == c.name) {
                return Err(err(file, c.line, format!("duplicate case name {}", c.name)));
            }
            if !c.expect.noreply && c.expect.rcodes.is_empty() {
                return Err(err(file, c.line, format!("case {} states no rcode (or noreply)", c.name)));
            }
            sc.cases.push(c);
        }
        Ok(())
    };

    for (idx, raw) in text.lines().enumerate() {
        let ln = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap();
        let is_keyword = KEYWORDS.contains(&first);
        if !is_keyword {
            // A record line (or a macro use) inside a section or a define.
            let (optional, body) = match line.strip_prefix('?') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let recs: Vec<(Rr, bool)> = if let Some(m) = body.strip_prefix('@') {
                let m = m.trim();
                let d = defines.get(m).ok_or_else(|| err(file, ln, format!("unknown define @{m}")))?;
                d.iter().map(|(r, o)| (r.clone(), *o || optional)).collect()
            } else {
                vec![(Rr::parse(body, origin.as_deref()).map_err(|e| err(file, ln, e))?, optional)]
            };
            if let Some((_, list)) = &mut defining {
                list.extend(recs);
                continue;
            }
            let (Some((c, _)), Some(s)) = (&mut case, section) else {
                return Err(err(file, ln, format!("unexpected line {line:?} (not a directive, not in a section)")));
            };
            match &mut c.expect.sections[s] {
                Section::Records(list) => list.extend(recs),
                _ => return Err(err(file, ln, "records after `ignore`")),
            }
            continue;
        }
        let w = words(line);
        let args: Vec<&str> = w[1..].iter().map(String::as_str).collect();
        section = None;
        if defining.is_some() && first != "end" {
            return Err(err(file, ln, "directive inside a define (missing `end`?)"));
        }
        match first {
            "zone" => match args.as_slice() {
                [o, f] if case.is_none() => sc.zones.push(((*o).to_string(), (*f).to_string())),
                _ => return Err(err(file, ln, "`zone ORIGIN FILE` belongs before the first case")),
            },
            "args" if case.is_none() => sc.args.extend(w[1..].iter().cloned()),
            "origin" => {
                let o = args.first().ok_or_else(|| err(file, ln, "origin needs a name"))?;
                origin = Some(rr::parse_name(o, None).map_err(|e| err(file, ln, e))?);
            }
            "define" => {
                let n = args.first().ok_or_else(|| err(file, ln, "define needs a name"))?;
                defining = Some(((*n).to_string(), Vec::new()));
            }
            "end" => {
                let (n, list) = defining.take().ok_or_else(|| err(file, ln, "`end` without `define`"))?;
                defines.insert(n, list);
            }
            "case" => {
                finish(case.take(), &mut sc)?;
                let name = args.first().ok_or_else(|| err(file, ln, "case needs a name"))?;
                case = Some((
                    Case {
                        name: (*name).to_string(),
                        line: ln,
                        covers: Vec::new(),
                        query: QuerySpec::new(".", 1),
                        query_text: String::new(),
                        expect: Expect::default(),
                    },
                    false,
                ));
            }
            _ => {
                let Some((c, has_query)) = &mut case else {
                    return Err(err(file, ln, format!("`{first}` outside a case")));
                };
                let e = &mut c.expect;
                match first {
                    "covers" => c.covers.extend(args.iter().map(|s| s.to_string())),
                    "query" => {
                        c.query = parse_query(&args).map_err(|m| err(file, ln, m))?;
                        c.query_text = args.join(" ");
                        *has_query = true;
                    }
                    "noreply" => e.noreply = true,
                    "rcode" => {
                        let spec = args.join("");
                        e.rcodes = spec
                            .split('|')
                            .map(|r| wire::parse_rcode(r).ok_or_else(|| err(file, ln, format!("bad rcode {r}"))))
                            .collect::<Result<_, _>>()?;
                    }
                    "flags" => e.flags.extend(parse_flags(&args).map_err(|m| err(file, ln, m))?),
                    "edns" => e.edns.extend(parse_edns(&args).map_err(|m| err(file, ln, m))?),
                    "check" => e.checks.push(parse_check(&args).map_err(|m| err(file, ln, m))?),
                    s => {
                        let i =
                            SECTION_NAMES.iter().position(|n| *n == s).ok_or_else(|| err(file, ln, format!("`{s}` is not allowed inside a case")))?;
                        e.sections[i] = match args.as_slice() {
                            [] => {
                                section = Some(i);
                                Section::Records(Vec::new())
                            }
                            ["ignore"] => Section::Ignore,
                            _ => return Err(err(file, ln, format!("`{s}` takes nothing or `ignore`"))),
                        };
                    }
                }
            }
        }
    }
    if defining.is_some() {
        return Err(err(file, text.lines().count(), "define without `end`"));
    }
    finish(case.take(), &mut sc)?;
    if sc.zones.is_empty() {
        return Err(format!("{file}: no `zone` line"));
    }
    Ok(sc)
}
