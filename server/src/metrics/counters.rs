//! Request counters on the query path: one block of cells per UDP worker,
//! one shared block for TCP, summed when `/metrics` is scraped.
//!
//! Owns: the cells, the QTYPE buckets, and reading a response header
//! (opcode, RCODE, TC, the question's QTYPE) to pick a cell.
//! Must not: allocate or lock per request. A UDP worker's block has a single
//! writer, so an increment is a plain load and store (no locked instruction,
//! no cache line shared with another worker: blocks are 128-octet aligned);
//! TCP requests, spread over tokio's threads, use `fetch_add`.
//!
//! ```text
//!  UDP worker i ── UdpCounters (owns Arc<Cells>) ──┐ registered in LIVE
//!  UDP UPDATE tasks ─ UDP_TASKS: Cells (static) ───┤
//!  TCP tasks ───── TCP: Cells (static) ────────────┤
//!  scrape ─────────────────────────────────────────┴─► Totals (udp, tcp)
//!  worker exits ─► its counts fold into LIVE.retired (totals never go back)
//! ```

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::wire::{self, name, rtype};

/// RCODEs in the header (4 bits; extended RCODEs are not split out).
pub const RCODES: usize = 16;
/// Opcodes in the header (4 bits).
pub const OPCODES: usize = 16;

/// The QTYPEs counted on their own; every other type is `other`. CAA (257)
/// must stay last: it is the only one above 255 (see [`qtype_bucket`]).
pub const QTYPES: &[(u16, &str)] = &[
    (rtype::A, "A"),
    (rtype::NS, "NS"),
    (rtype::CNAME, "CNAME"),
    (rtype::SOA, "SOA"),
    (rtype::PTR, "PTR"),
    (rtype::HINFO, "HINFO"),
    (rtype::MX, "MX"),
    (rtype::TXT, "TXT"),
    (rtype::AAAA, "AAAA"),
    (rtype::SRV, "SRV"),
    (rtype::NAPTR, "NAPTR"),
    (rtype::DNAME, "DNAME"),
    (rtype::DS, "DS"),
    (rtype::SSHFP, "SSHFP"),
    (rtype::RRSIG, "RRSIG"),
    (rtype::NSEC, "NSEC"),
    (rtype::DNSKEY, "DNSKEY"),
    (rtype::NSEC3, "NSEC3"),
    (rtype::TLSA, "TLSA"),
    (rtype::SVCB, "SVCB"),
    (rtype::HTTPS, "HTTPS"),
    (rtype::IXFR, "IXFR"),
    (rtype::AXFR, "AXFR"),
    (rtype::ANY, "ANY"),
    (CAA, "CAA"),
];
const CAA: u16 = 257;
/// QTYPE buckets: [`QTYPES`] then `other`.
pub const NQ: usize = QTYPES.len() + 1;
/// The `other` bucket (also used when the response carries no question).
pub const OTHER: usize = QTYPES.len();

static BUCKET: [u8; 256] = {
    let mut t = [OTHER as u8; 256];
    let mut i = 0;
    while i < QTYPES.len() {
        if QTYPES[i].0 < 256 {
            t[QTYPES[i].0 as usize] = i as u8;
        }
        i += 1;
    }
    t
};

/// The bucket of a QTYPE.
#[inline]
pub fn qtype_bucket(t: u16) -> usize {
    match t {
        0..=255 => BUCKET[t as usize] as usize,
        CAA => QTYPES.len() - 1,
        _ => OTHER,
    }
}

/// Which cell one request lands in, read from its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Opcode QUERY: QTYPE bucket and RCODE.
    Query(usize, usize),
    /// Another opcode (NOTIFY, UPDATE, …) and the RCODE.
    Opcode(usize, usize),
    /// No response was sent.
    Dropped,
}

/// What a response (or its absence) counts as, and whether TC was set.
#[inline]
fn classify(resp: Option<&[u8]>) -> (Slot, bool) {
    let Some(r) = resp.filter(|r| r.len() >= 12) else { return (Slot::Dropped, false) };
    let (opcode, rcode, tc) = (((r[2] >> 3) & 0x0f) as usize, (r[3] & 0x0f) as usize, r[2] & 0x02 != 0);
    if opcode != 0 {
        return (Slot::Opcode(opcode, rcode), tc);
    }
    (Slot::Query(question_bucket(r), rcode), tc)
}

/// The QTYPE bucket of a message's first question (`other` when it has none).
#[inline]
pub fn question_bucket(msg: &[u8]) -> usize {
    if wire::get_u16(msg, 4).unwrap_or(0) == 0 {
        return OTHER;
    }
    match name::skip_name(msg, 12).and_then(|end| wire::get_u16(msg, end)) {
        Ok(t) => qtype_bucket(t),
        Err(_) => OTHER,
    }
}

/// One transport's cells.
#[repr(align(128))]
#[derive(Debug)]
pub struct Cells {
    queries: [[AtomicU64; RCODES]; NQ],
    opcodes: [[AtomicU64; RCODES]; OPCODES],
    truncated: AtomicU64,
    dropped: AtomicU64,
}

impl Cells {
    const fn new() -> Self {
        Self {
            queries: [const { [const { AtomicU64::new(0) }; RCODES] }; NQ],
            opcodes: [const { [const { AtomicU64::new(0) }; RCODES] }; OPCODES],
            truncated: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    #[inline]
    fn cell(&self, slot: Slot) -> &AtomicU64 {
        match slot {
            Slot::Query(q, r) => &self.queries[q][r],
            Slot::Opcode(o, r) => &self.opcodes[o][r],
            Slot::Dropped => &self.dropped,
        }
    }

    /// Counts with `fetch_add` (any number of writers).
    #[inline]
    fn record_shared(&self, resp: Option<&[u8]>) {
        let (slot, tc) = classify(resp);
        self.cell(slot).fetch_add(1, Relaxed);
        if tc {
            self.truncated.fetch_add(1, Relaxed);
        }
    }
}

/// Plain load + store: correct only while one thread writes the cell.
#[inline]
fn bump(c: &AtomicU64) {
    c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
}

/// Summed counts of one transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Opcode QUERY, by QTYPE bucket ([`QTYPES`], then `other`) and RCODE.
    pub queries: [[u64; RCODES]; NQ],
    /// Other opcodes, by opcode and RCODE (row 0 stays empty).
    pub opcodes: [[u64; RCODES]; OPCODES],
    /// Responses with TC set.
    pub truncated: u64,
    /// Requests that got no response.
    pub dropped: u64,
}

impl Totals {
    const ZERO: Totals = Totals { queries: [[0; RCODES]; NQ], opcodes: [[0; RCODES]; OPCODES], truncated: 0, dropped: 0 };

    fn add(&mut self, c: &Cells) {
        for (t, c) in self.queries.iter_mut().flatten().zip(c.queries.iter().flatten()) {
            *t += c.load(Relaxed);
        }
        for (t, c) in self.opcodes.iter_mut().flatten().zip(c.opcodes.iter().flatten()) {
            *t += c.load(Relaxed);
        }
        self.truncated += c.truncated.load(Relaxed);
        self.dropped += c.dropped.load(Relaxed);
    }
}

impl Default for Totals {
    fn default() -> Self {
        Self::ZERO
    }
}

/// The UDP workers' blocks, and what exited workers had counted.
struct Live {
    workers: Vec<Arc<Cells>>,
    retired: Totals,
}

static UDP: Mutex<Live> = Mutex::new(Live { workers: Vec::new(), retired: Totals::ZERO });
/// UDP requests answered off the workers (UPDATE, see `net::handoff`).
static UDP_TASKS: Cells = Cells::new();
static TCP: Cells = Cells::new();

/// One UDP worker's counters. Not `Clone`, and [`record`](Self::record)
/// takes `&mut self`: the worker is the only writer of its cells.
#[derive(Debug)]
pub struct UdpCounters {
    cells: Arc<Cells>,
}

impl UdpCounters {
    /// Registers a new block (allocates once, when the worker starts).
    pub fn register() -> Self {
        let cells = Arc::new(Cells::new());
        UDP.lock().unwrap_or_else(|p| p.into_inner()).workers.push(cells.clone());
        Self { cells }
    }

    /// Counts one request: `resp` is the response sent, `None` when none was.
    #[inline]
    pub fn record(&mut self, resp: Option<&[u8]>) {
        let (slot, tc) = classify(resp);
        bump(self.cells.cell(slot));
        if tc {
            bump(&self.cells.truncated);
        }
    }
}

impl Drop for UdpCounters {
    fn drop(&mut self) {
        let mut live = UDP.lock().unwrap_or_else(|p| p.into_inner());
        live.retired.add(&self.cells);
        live.workers.retain(|c| !Arc::ptr_eq(c, &self.cells));
    }
}

/// Counts one TCP request (`resp` as for [`UdpCounters::record`]).
#[inline]
pub fn record_tcp(resp: Option<&[u8]>) {
    TCP.record_shared(resp);
}

/// Counts one UDP request answered on a task rather than by its worker
/// (`resp` as for [`UdpCounters::record`]).
#[inline]
pub fn record_udp_task(resp: Option<&[u8]>) {
    UDP_TASKS.record_shared(resp);
}

/// The current totals: (UDP, TCP).
pub fn totals() -> (Totals, Totals) {
    let mut udp = Totals::ZERO;
    {
        let live = UDP.lock().unwrap_or_else(|p| p.into_inner());
        udp.add_totals(&live.retired);
        for c in &live.workers {
            udp.add(c);
        }
    }
    udp.add(&UDP_TASKS);
    let mut tcp = Totals::ZERO;
    tcp.add(&TCP);
    (udp, tcp)
}

impl Totals {
    fn add_totals(&mut self, o: &Totals) {
        for (t, v) in self.queries.iter_mut().flatten().zip(o.queries.iter().flatten()) {
            *t += v;
        }
        for (t, v) in self.opcodes.iter_mut().flatten().zip(o.opcodes.iter().flatten()) {
            *t += v;
        }
        self.truncated += o.truncated;
        self.dropped += o.dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(opcode: u8, rcode: u8, tc: bool, qtype: Option<u16>) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x80 | (opcode << 3) | if tc { 2 } else { 0 }, rcode, 0, 0, 0, 0, 0, 0, 0, 0];
        if let Some(t) = qtype {
            m[5] = 1;
            m.extend_from_slice(b"\x03www\x07example\x03com\x00");
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&1u16.to_be_bytes());
        }
        m
    }

    #[test]
    fn buckets_cover_the_listed_types_and_nothing_else() {
        for (i, &(t, n)) in QTYPES.iter().enumerate() {
            assert_eq!(qtype_bucket(t), i, "{n}");
            assert_eq!(rtype::TypeName(t).to_string(), n);
        }
        for t in [0u16, 3, 99, 256, 258, 65535] {
            assert_eq!(qtype_bucket(t), OTHER, "{t}");
        }
    }

    #[test]
    fn responses_are_classified_from_their_header_and_question() {
        assert_eq!(classify(Some(&response(0, 3, false, Some(rtype::AAAA)))), (Slot::Query(qtype_bucket(rtype::AAAA), 3), false));
        assert_eq!(classify(Some(&response(0, 0, true, Some(rtype::TXT)))), (Slot::Query(qtype_bucket(rtype::TXT), 0), true));
        assert_eq!(classify(Some(&response(0, 1, false, None))), (Slot::Query(OTHER, 1), false));
        assert_eq!(classify(Some(&response(4, 0, false, Some(rtype::SOA)))), (Slot::Opcode(4, 0), false));
        assert_eq!(classify(None), (Slot::Dropped, false));
        assert_eq!(classify(Some(&[0u8; 5])), (Slot::Dropped, false));
        // A question cut short counts as `other`, never panics.
        let mut cut = response(0, 0, false, Some(rtype::A));
        cut.truncate(20);
        assert_eq!(classify(Some(&cut)), (Slot::Query(OTHER, 0), false));
    }

    #[test]
    fn worker_counts_survive_the_worker() {
        // Other tests in this process may count too: compare differences.
        let before = totals().0;
        let mut w = UdpCounters::register();
        for _ in 0..3 {
            w.record(Some(&response(0, 0, true, Some(rtype::MX))));
        }
        w.record(None);
        let during = totals().0;
        drop(w);
        let after = totals().0;
        let mx = qtype_bucket(rtype::MX);
        for t in [&during, &after] {
            assert_eq!(t.queries[mx][0] - before.queries[mx][0], 3);
            assert_eq!(t.truncated - before.truncated, 3);
            assert_eq!(t.dropped - before.dropped, 1);
        }
    }
}
