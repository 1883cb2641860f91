//! Counters of zone events off the query path: transfers in and out, NOTIFY
//! sent, zones refused for their size. (NOTIFY received is counted with the
//! requests, by opcode.)
//!
//! Owns: the process-wide counters and the one-line hooks the transfer and
//! NOTIFY code calls. Must not: log or block; each hook is one `fetch_add`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::counters::{self, qtype_bucket};
use crate::wire::rtype;
use crate::zone::limits::Limit;

/// AXFR or IXFR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XfrKind {
    /// Full transfer (RFC 5936).
    Axfr,
    /// Incremental transfer (RFC 1995), including an AXFR-style answer to it.
    Ixfr,
}

impl XfrKind {
    /// Both kinds, in label order.
    pub const ALL: [XfrKind; 2] = [XfrKind::Axfr, XfrKind::Ixfr];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            XfrKind::Axfr => "axfr",
            XfrKind::Ixfr => "ixfr",
        }
    }
}

/// How a transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XfrResult {
    /// Every message was received (in) or written (out).
    Success,
    /// Timed out, broke off, or the data did not apply.
    Failure,
    /// Out only: answered with an error RCODE instead of a stream (not
    /// allowed, zone not served, expired, bad TSIG).
    Refused,
}

impl XfrResult {
    /// Every result, in label order.
    pub const ALL: [XfrResult; 3] = [XfrResult::Success, XfrResult::Failure, XfrResult::Refused];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            XfrResult::Success => "success",
            XfrResult::Failure => "failure",
            XfrResult::Refused => "refused",
        }
    }
}

/// How one NOTIFY to one target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyResult {
    /// Answered with NOERROR.
    Success,
    /// Answered with another RCODE (NOTAUTH, REFUSED, NOTIMP, …).
    Rejected,
    /// Never answered, or could not be sent (e.g. its TSIG key is missing).
    Failure,
}

impl NotifyResult {
    /// Every result, in label order.
    pub const ALL: [NotifyResult; 3] = [NotifyResult::Success, NotifyResult::Rejected, NotifyResult::Failure];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            NotifyResult::Success => "success",
            NotifyResult::Rejected => "rejected",
            NotifyResult::Failure => "failure",
        }
    }
}

static XFR_IN: [[AtomicU64; 3]; 2] = [const { [const { AtomicU64::new(0) }; 3] }; 2];
static XFR_OUT: [[AtomicU64; 3]; 2] = [const { [const { AtomicU64::new(0) }; 3] }; 2];
static NOTIFY_SENT: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

// ---- zone size limits (`zone::limits`) ----

/// Where a zone over a size limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// A transfer in (AXFR or IXFR), aborted while receiving.
    Transfer,
    /// A zone file, refused while reading.
    File,
    /// A control API `PUT`, answered 413.
    Api,
    /// An edit of a served zone (RFC 2136 UPDATE), refused.
    Update,
}

impl LimitSource {
    /// Every source, in label order.
    pub const ALL: [LimitSource; 4] = [LimitSource::Transfer, LimitSource::File, LimitSource::Api, LimitSource::Update];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            LimitSource::Transfer => "transfer",
            LimitSource::File => "file",
            LimitSource::Api => "api",
            LimitSource::Update => "update",
        }
    }
}

static LIMIT_EXCEEDED: [[AtomicU64; 2]; 4] = [const { [const { AtomicU64::new(0) }; 2] }; 4];

/// Counts one zone refused (a transfer aborted, a file or body rejected)
/// because it grew past `limit`.
pub fn zone_limit_exceeded(source: LimitSource, limit: Limit) {
    LIMIT_EXCEEDED[source as usize][limit as usize].fetch_add(1, Relaxed);
}

/// Zones refused for their size so far.
pub fn zone_limits_exceeded(source: LimitSource, limit: Limit) -> u64 {
    LIMIT_EXCEEDED[source as usize][limit as usize].load(Relaxed)
}

// ---- end of zone size limits ----

/// Counts one transfer in (one attempt from one primary).
pub fn transfer_in(kind: XfrKind, result: XfrResult) {
    XFR_IN[kind as usize][result as usize].fetch_add(1, Relaxed);
}

/// Counts one transfer out.
pub fn transfer_out(kind: XfrKind, result: XfrResult) {
    XFR_OUT[kind as usize][result as usize].fetch_add(1, Relaxed);
}

/// Counts one NOTIFY exchange with one target (retransmissions included).
pub fn notify_sent(result: NotifyResult) {
    NOTIFY_SENT[result as usize].fetch_add(1, Relaxed);
}

static NOTIFY_DEFERRED: AtomicU64 = AtomicU64::new(0);
static COMMIT_FAILED: AtomicU64 = AtomicU64::new(0);
static WORKER_PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts a UDP worker panic (the worker is restarted).
pub fn worker_panicked() {
    WORKER_PANICS.fetch_add(1, Relaxed);
}

/// UDP worker panics so far.
pub fn worker_panics() -> u64 {
    WORKER_PANICS.load(Relaxed)
}

/// Counts a new version not served because it could not be saved.
pub fn commit_failed() {
    COMMIT_FAILED.fetch_add(1, Relaxed);
}

/// New versions refused for want of disk so far.
pub fn commits_failed() -> u64 {
    COMMIT_FAILED.load(Relaxed)
}

/// Counts a NOTIFY-triggered refresh held back by the per-zone interval.
pub fn notify_refresh_deferred() {
    NOTIFY_DEFERRED.fetch_add(1, Relaxed);
}

/// NOTIFY-triggered refreshes held back so far.
pub fn notify_refreshes_deferred() -> u64 {
    NOTIFY_DEFERRED.load(Relaxed)
}

/// Transfers in so far.
pub fn transfers_in(kind: XfrKind, result: XfrResult) -> u64 {
    XFR_IN[kind as usize][result as usize].load(Relaxed)
}

/// Transfers out so far.
pub fn transfers_out(kind: XfrKind, result: XfrResult) -> u64 {
    XFR_OUT[kind as usize][result as usize].load(Relaxed)
}

/// NOTIFY exchanges so far.
pub fn notifies_sent(result: NotifyResult) -> u64 {
    NOTIFY_SENT[result as usize].load(Relaxed)
}

/// The transfer kind a message's question asks for, if any.
fn xfr_kind(msg: &[u8]) -> Option<XfrKind> {
    let b = counters::question_bucket(msg);
    if b == qtype_bucket(rtype::AXFR) {
        Some(XfrKind::Axfr)
    } else if b == qtype_bucket(rtype::IXFR) {
        Some(XfrKind::Ixfr)
    } else {
        None
    }
}

/// Counts a single-message TCP answer: the request, and a refused transfer
/// when it asked for one (an allowed transfer is always a stream).
pub fn tcp_single(resp: &[u8]) {
    counters::record_tcp(Some(resp));
    if resp.get(2).is_some_and(|b| (b >> 3) & 0x0f == 0) {
        if let Some(kind) = xfr_kind(resp) {
            transfer_out(kind, XfrResult::Refused);
        }
    }
}

/// Counts a streamed TCP answer (a transfer out): the request, with the
/// first message's RCODE, and the transfer's result. Dropped before
/// [`complete`](Self::complete) means the stream broke off (a failure).
#[derive(Debug, Default)]
pub struct TcpStreamCount {
    kind: Option<XfrKind>,
    first: bool,
    refused: bool,
    done: bool,
}

impl TcpStreamCount {
    /// One message about to be written.
    pub fn message(&mut self, msg: &[u8]) {
        if self.first {
            return;
        }
        self.first = true;
        counters::record_tcp(Some(msg));
        self.kind = xfr_kind(msg);
        self.refused = msg.get(3).is_some_and(|b| b & 0x0f != 0);
    }

    /// Every message was written.
    pub fn complete(mut self) {
        self.done = true;
    }
}

impl Drop for TcpStreamCount {
    fn drop(&mut self) {
        if !self.first {
            counters::record_tcp(None);
        }
        let Some(kind) = self.kind else { return };
        let result = match (self.refused, self.done) {
            (true, _) => XfrResult::Refused,
            (false, true) => XfrResult::Success,
            (false, false) => XfrResult::Failure,
        };
        transfer_out(kind, result);
    }
}
