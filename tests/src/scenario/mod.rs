//! Data-driven DNS scenarios: zone files plus query → expected response.
//!
//! A scenario file (`tests/scenarios/*.scn`) starts one server and asks it a
//! list of cases. Blank lines and lines starting with `#` are ignored.
//!
//! ```text
//! # File header: the server to start.
//! zone   example.com.  example.com.zone      # origin and file under scenarios/zones/
//! args   --chaos-version "ironbind test"     # extra flags (optional)
//! origin example.com.                        # for relative names below (optional)
//!
//! define apex-ns                             # a reusable list of records
//!   ? example.com. 3600 IN NS ns1.example.com.
//! end
//!
//! case cname-chain                           # one query, one expected response
//!   covers Q8                                # rows of docs/RFC-ROWS.md
//!   query  a.chain.example.com. A +noedns    # NAME [CLASS] TYPE [+options]
//!   rcode  NOERROR                           # or NOERROR|SERVFAIL, BADVERS, …
//!   flags  aa !tc                            # bits that must be set / clear
//!   edns   absent                            # OPT checks
//!   check  whole-rrsets                      # extra checks
//!   answer                                   # the records, in any order
//!     a.chain.example.com. 300 IN CNAME b.chain.example.com.
//!     b.chain.example.com. 300 IN CNAME c.chain.example.com.
//!     c.chain.example.com. 300 IN A 192.0.2.3
//!   authority
//!     @apex-ns                               # records from a define
//!   additional ignore                        # not checked
//! ```
//!
//! Records are zone-file lines with all five fields, `owner ttl class type
//! rdata`; `*` as the TTL matches any TTL; a leading `?` makes a record
//! optional (it may appear, it need not). A section that is not mentioned
//! must be empty; `ignore` skips it. Records are compared semantically in
//! canonical form (owner and embedded names lowercase, names uncompressed,
//! RDATA as octets, so `A \# 4 0A000001` equals `A 10.0.0.1`), in any order.
//!
//! Query options (after the type), named after dig's where dig has one:
//! `+tcp`, `+noedns`, `+bufsize=N`, `+dnssec`, `+edns=V`, `+ednsflags=0xN`,
//! `+ednsopt=CODE[:HEX]`, `+cd`, `+ad`, `+norec`, `+zflag`, `+aaflag`,
//! `+tcflag`, `+raflag`, `+qr`, `+opcode=N`, `+id=N`, `+qdcount=N`,
//! `+header-only`, and for broken OPT records `+dupopt`, `+optinanswer`,
//! `+optowner`. By default a query is like dig's: RD=1 with EDNS version 0
//! offering 1232 octets, over UDP.
//!
//! Checks: `flags` takes `qr aa tc rd ra z ad cd`, `!` for clear; TC must be
//! clear unless the case says `flags tc`. `edns` takes `present`, `absent`,
//! `any` (do not check presence), `version=N`, `do`, `!do`, `option=N`,
//! `!option=N`, `payload>=N`. `check` takes `whole-rrsets`, `uncompressed
//! TYPE`, `size<=N`, `nonempty SECTION`. `noreply` expects silence.
//!
//! On top of what a case states, every response is held to the invariants in
//! [`check`].

pub mod check;
pub mod parse;

use std::path::Path;

pub use check::{run_case, Outcome};
pub use parse::{parse, Case, Scenario};

use crate::server::{scenarios_dir, ServerConfig};

/// The result of one scenario file.
#[derive(Debug)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Cases run.
    pub total: usize,
    /// Cases failed (all of them when the server did not start).
    pub failed: usize,
    /// Failure reports, one per failing case (or one for a server that did not start).
    pub failures: Vec<String>,
}

/// Reads and parses a scenario file under `tests/scenarios/`.
pub fn load(path: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.strip_prefix(scenarios_dir()).unwrap_or(path).display().to_string();
    parse(&name, &text)
}

/// The UDP maximum the server was started with (`--udp-max-payload`, default 1232).
fn udp_max(args: &[String]) -> u16 {
    args.iter().position(|a| a == "--udp-max-payload").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(1232)
}

/// Starts the scenario's server and runs every case (or only those whose name
/// contains `filter`).
pub fn run(sc: &Scenario, filter: Option<&str>) -> FileReport {
    let mut rep = FileReport { file: sc.file.clone(), total: 0, failed: 0, failures: Vec::new() };
    let cases: Vec<&Case> = sc.cases.iter().filter(|c| filter.is_none_or(|f| c.name.contains(f))).collect();
    if cases.is_empty() {
        return rep;
    }
    let mut cfg = ServerConfig::default().args(sc.args.iter().cloned());
    for (origin, file) in &sc.zones {
        cfg = cfg.zone_file(origin, file);
    }
    rep.total = cases.len();
    let server = match cfg.start() {
        Ok(s) => s,
        Err(e) => {
            rep.failures.push(format!("FAIL {}: server did not start; all {} cases fail\n  {e}", sc.file, cases.len()));
            rep.failed = cases.len();
            return rep;
        }
    };
    let max = udp_max(&sc.args);
    for c in cases {
        let out = run_case(server.addr(), max, c);
        if !out.problems.is_empty() {
            let mut s = format!("FAIL {}:{} [{}] query {}\n", sc.file, c.line, c.name, c.query_text);
            for pr in &out.problems {
                s.push_str(&format!("  - {pr}\n"));
            }
            match out.response {
                Some(r) => {
                    s.push_str("  response:\n");
                    for l in r.lines() {
                        s.push_str(&format!("    {l}\n"));
                    }
                }
                None => s.push_str("  (no parsable response)\n"),
            }
            rep.failures.push(s);
            rep.failed += 1;
        }
    }
    rep
}
