//! Metrics in the Prometheus text format (version 0.0.4), for `/metrics`.
//!
//! Owns: the request counters ([`counters`]: per UDP worker, merged on
//! scrape), the transfer and NOTIFY counters ([`events`]), the process
//! figures ([`process`]) and [`render`], which also reads the zones' serials
//! and states from the runtime. Must not: serve HTTP (the control server
//! calls [`render`]), log, or cost anything measurable per query: the
//! transports count from the response header they already hold, with no
//! lock, no allocation and, on UDP, no locked instruction.
//!
//! Counters are per process (like the `process_*` figures): two servers
//! started in one process, as some tests do, share them.
//!
//! ```text
//!  net::udp worker ─► counters::UdpCounters ─┐
//!  net::tcp ────────► counters / events ─────┤
//!  lifecycle::inbound, lifecycle::notify ─► events ┤
//!  scrape ─► render(zone states) ◄── catalog::health: zone table + catalog (serials, states)
//! ```
//!
//! Depends on `wire` (header and question parsing) and `catalog::health`'s
//! types; the zone states are handed to [`render`], nothing in `metrics`
//! reads the runtime or calls back.

#![forbid(unsafe_code)]

pub mod counters;
pub mod events;
pub mod process;
pub mod rrl;
#[cfg(test)]
mod tests;

use std::fmt::Write;

use crate::catalog::health::{ZoneHealth, ZoneState};
use crate::wire::rcode;
use counters::{Totals, NQ, OPCODES, QTYPES, RCODES};
use events::{NotifyResult, XfrKind, XfrResult};

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders every metric in the Prometheus text format (version 0.0.4);
/// `zones` is the zone states at the time of the scrape
/// ([`crate::catalog::health::zone_states`]).
pub fn render(zone_states: &[ZoneHealth]) -> String {
    let mut out = Text(String::with_capacity(8192));
    let (udp, tcp) = counters::totals();
    requests(&mut out, &[("udp", &udp), ("tcp", &tcp)]);
    transfers(&mut out);
    rrl::render(&mut out);
    zones(&mut out, zone_states);
    processes(&mut out);
    out.0
}

fn requests(out: &mut Text, by_proto: &[(&str, &Totals)]) {
    out.head("ironbind_queries_total", "counter", "Queries (opcode QUERY) answered, by transport, QTYPE and RCODE.");
    for (proto, t) in by_proto {
        for (q, row) in t.queries.iter().enumerate() {
            for (rc, &n) in row.iter().enumerate().filter(|(_, &n)| n > 0) {
                out.sample("ironbind_queries_total", &[("proto", proto), ("qtype", qtype_label(q)), ("rcode", &rcode_label(rc))], n);
            }
        }
    }
    out.head("ironbind_requests_total", "counter", "Requests with another opcode (NOTIFY, UPDATE, ...) answered, by transport, opcode and RCODE.");
    for (proto, t) in by_proto {
        for (op, row) in t.opcodes.iter().enumerate() {
            for (rc, &n) in row.iter().enumerate().filter(|(_, &n)| n > 0) {
                out.sample("ironbind_requests_total", &[("proto", proto), ("opcode", opcode_label(op)), ("rcode", &rcode_label(rc))], n);
            }
        }
    }
    out.head("ironbind_notify_received_total", "counter", "NOTIFY messages received, by the RCODE answered (NOERROR: accepted).");
    for rc in 0..RCODES {
        let n: u64 = by_proto.iter().map(|(_, t)| t.opcodes[crate::wire::opcode::NOTIFY as usize][rc]).sum();
        if n > 0 || rc == 0 {
            out.sample("ironbind_notify_received_total", &[("rcode", &rcode_label(rc))], n);
        }
    }
    out.head("ironbind_responses_truncated_total", "counter", "Responses sent with TC set, by transport.");
    for (proto, t) in by_proto {
        out.sample("ironbind_responses_truncated_total", &[("proto", proto)], t.truncated);
    }
    out.head("ironbind_requests_dropped_total", "counter", "Requests that got no response (malformed, or a response), by transport.");
    for (proto, t) in by_proto {
        out.sample("ironbind_requests_dropped_total", &[("proto", proto)], t.dropped);
    }
}

fn transfers(out: &mut Text) {
    out.head("ironbind_transfers_in_total", "counter", "Zone transfers in (one attempt from one primary), by kind and result.");
    for k in XfrKind::ALL {
        for r in [XfrResult::Success, XfrResult::Failure] {
            out.sample("ironbind_transfers_in_total", &[("kind", k.label()), ("result", r.label())], events::transfers_in(k, r));
        }
    }
    out.head("ironbind_transfers_out_total", "counter", "Zone transfers out over TCP, by kind and result (refused: answered with an error instead).");
    for k in XfrKind::ALL {
        for r in XfrResult::ALL {
            out.sample("ironbind_transfers_out_total", &[("kind", k.label()), ("result", r.label())], events::transfers_out(k, r));
        }
    }
    out.head("ironbind_notify_sent_total", "counter", "NOTIFY exchanges with one target, by result (rejected: answered with an error RCODE).");
    for r in NotifyResult::ALL {
        out.sample("ironbind_notify_sent_total", &[("result", r.label())], events::notifies_sent(r));
    }
    out.head(
        "ironbind_notify_refresh_deferred_total",
        "counter",
        "NOTIFY-triggered refreshes held back by transfer.notify_refresh_interval_ms (a NOTIFY flood shows here).",
    );
    out.sample("ironbind_notify_refresh_deferred_total", &[], events::notify_refreshes_deferred());
    out.head(
        "ironbind_commit_failures_total",
        "counter",
        "New zone versions (transfer, UPDATE, API) not served because the journal or zone file could not be written.",
    );
    out.sample("ironbind_commit_failures_total", &[], events::commits_failed());
    out.head(
        "ironbind_worker_panics_total",
        "counter",
        "UDP worker panics; each worker is restarted on its socket (more than 10 a minute abort the process).",
    );
    out.sample("ironbind_worker_panics_total", &[("proto", "udp")], events::worker_panics());
    zone_limits(out);
}

/// Zones refused for their size (`zone::limits`), by source and limit.
fn zone_limits(out: &mut Text) {
    const NAME: &str = "ironbind_zone_limit_exceeded_total";
    out.head(NAME, "counter", "Zones refused for exceeding max_records or max_zone_bytes (transfer: aborted while receiving; file: refused while reading; api: PUT answered 413; update: edit refused), by source and limit.");
    for src in events::LimitSource::ALL {
        for l in crate::zone::limits::Limit::ALL {
            out.sample(NAME, &[("source", src.label()), ("limit", l.label())], events::zone_limits_exceeded(src, l));
        }
    }
}

fn zones(out: &mut Text, zones: &[ZoneHealth]) {
    out.head("ironbind_zone_serial", "gauge", "SOA serial served, by zone.");
    for z in zones {
        if let Some(serial) = z.serial {
            out.sample("ironbind_zone_serial", &[("zone", &z.name)], serial as u64);
        }
    }
    out.head("ironbind_zones", "gauge", "Configured zones by state (loaded, expired, pending: no transfer yet, failed: did not load).");
    for s in ZoneState::ALL {
        let n = zones.iter().filter(|z| z.state == s).count() as u64;
        out.sample("ironbind_zones", &[("state", s.label())], n);
    }
}

fn processes(out: &mut Text) {
    out.head("ironbind_build_info", "gauge", "Always 1; the version running.");
    out.sample("ironbind_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
    let p = process::read();
    if let Some(v) = p.cpu_seconds {
        out.head("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        out.sample_f64("process_cpu_seconds_total", v);
    }
    let gauges = [
        ("process_resident_memory_bytes", "Resident memory size in bytes.", p.resident_bytes),
        ("process_virtual_memory_bytes", "Virtual memory size in bytes.", p.virtual_bytes),
        ("process_open_fds", "Number of open file descriptors.", p.open_fds),
        ("process_threads", "Number of OS threads in the process.", p.threads),
    ];
    for (name, help, v) in gauges {
        if let Some(v) = v {
            out.head(name, "gauge", help);
            out.sample(name, &[], v);
        }
    }
    if let Some(v) = p.start_time_seconds {
        out.head("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        out.sample_f64("process_start_time_seconds", v);
    }
}

fn qtype_label(bucket: usize) -> &'static str {
    QTYPES.get(bucket).map_or("other", |(_, n)| n)
}

fn rcode_label(rc: usize) -> String {
    rcode::name(rc as u16).map_or_else(|| format!("RCODE{rc}"), str::to_string)
}

fn opcode_label(op: usize) -> &'static str {
    const NAMES: [&str; OPCODES] = [
        "QUERY", "IQUERY", "STATUS", "OPCODE3", "NOTIFY", "UPDATE", "DSO", "OPCODE7", "OPCODE8", "OPCODE9", "OPCODE10", "OPCODE11", "OPCODE12",
        "OPCODE13", "OPCODE14", "OPCODE15",
    ];
    NAMES[op % OPCODES]
}

const _: () = assert!(NQ == QTYPES.len() + 1);

/// The text being rendered.
struct Text(String);

impl Text {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: u64) {
        self.labels(name, labels);
        let _ = writeln!(self.0, " {v}");
    }

    fn sample_f64(&mut self, name: &str, v: f64) {
        let _ = writeln!(self.0, "{name} {v}");
    }

    fn labels(&mut self, name: &str, labels: &[(&str, &str)]) {
        self.0.push_str(name);
        if labels.is_empty() {
            return;
        }
        self.0.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            self.0.push_str(k);
            self.0.push_str("=\"");
            escape_label(&mut self.0, v);
            self.0.push('"');
        }
        self.0.push('}');
    }
}

/// Label values escape `\`, `"` and newline (exposition format 0.0.4).
fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}
