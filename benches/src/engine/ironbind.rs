//! ironbind's query path: zone text → `Zone` → `ZoneSet` → `Handler`.
//!
//! Queries are answered the way a UDP worker answers them: the served zones
//! are loaded once per batch of [`BATCH`] queries and the batch is answered
//! with [`Handler::handle_in`], so the bench pays for a load per batch, as
//! the server does, not per query. [`IronbindEngine::answer_batch`] answers
//! a whole batch the way the worker does it, prefetch passes first
//! ([`Handler::prefetch`], [`PrefetchHint::prefetch_node`]);
//! `IRONBIND_BENCH_PREFETCH=0` leaves the passes out, for a comparison.
use std::sync::Arc;

use ironbind::net::udp::BATCH;
use ironbind::query::{Handler, QueryConfig, RequestCtx, Transport, MAX_MESSAGE};
use ironbind::wire::name::from_dotted;
use ironbind::zone::build::build_zone;
use ironbind::zone::file::read_zone_str;
use ironbind::zone::set::{PrefetchHint, ZoneSet, ZoneTable};

use super::PEER;

/// ironbind answering from one zone, with the output buffer a UDP worker reuses.
pub struct IronbindEngine {
    handler: Handler,
    /// The served zones as loaded for the current batch.
    zones: Arc<ZoneTable>,
    /// Queries left in the current batch.
    left: usize,
    ctx: RequestCtx,
    out: Vec<u8>,
    /// Whether [`IronbindEngine::answer_batch`] runs the prefetch passes.
    prefetch: bool,
}

impl IronbindEngine {
    /// Reads and builds the zone at `origin` (dotted) from master-file `text`.
    /// `label` names the text in error messages.
    pub fn load(text: &str, label: &str, origin: &str) -> Result<Self, String> {
        let origin_wire = from_dotted(origin).map_err(|e| format!("origin {origin}: {e:?}"))?;
        let src = read_zone_str(text, label, &origin_wire, None).map_err(|e| e.to_string())?;
        let zone = build_zone(&origin_wire, src).map_err(|e| e.to_string())?;
        let set = ZoneSet::new();
        set.insert(Arc::new(zone));
        let handler = Handler::new(Arc::new(set), QueryConfig::default());
        Ok(Self {
            zones: handler.zones().snapshot(),
            left: BATCH,
            handler,
            ctx: RequestCtx { peer: PEER, transport: Transport::Udp },
            out: vec![0u8; MAX_MESSAGE],
            prefetch: std::env::var("IRONBIND_BENCH_PREFETCH").map_or(true, |v| v != "0"),
        })
    }

    /// Answers `query`; returns the response, or an empty slice when the
    /// handler sends nothing.
    #[inline]
    pub fn answer(&mut self, query: &[u8]) -> &[u8] {
        if self.left == 0 {
            // A new batch, as a worker's next `recvmmsg`: load the zones again.
            self.zones = self.handler.zones().snapshot();
            self.left = BATCH;
        }
        self.left -= 1;
        match self.handler.handle_in(&self.zones, query, &self.ctx, &mut self.out) {
            Some(n) => &self.out[..n],
            None => &[],
        }
    }

    /// Answers up to [`BATCH`] queries as one UDP worker batch: the zones
    /// loaded once, every query's slot line prefetched, then every node,
    /// then each query answered in turn; `each` sees every response (empty
    /// when the handler sends nothing).
    #[inline]
    pub fn answer_batch(&mut self, batch: &[&[u8]], mut each: impl FnMut(&[u8])) {
        self.zones = self.handler.zones().snapshot();
        self.left = BATCH;
        let zones: &ZoneTable = &self.zones;
        let mut hints: [Option<PrefetchHint<'_>>; BATCH] = [None; BATCH];
        for (hint, q) in hints.iter_mut().zip(batch).filter(|_| self.prefetch) {
            *hint = self.handler.prefetch(zones, q);
        }
        for hint in hints.iter().flatten() {
            hint.prefetch_node();
        }
        for q in batch {
            match self.handler.handle_in(zones, q, &self.ctx, &mut self.out) {
                Some(n) => each(&self.out[..n]),
                None => each(&[]),
            }
        }
    }
}
