//! ironbind's query path: zone text → `Zone` → `ZoneSet` → `Handler`.
//!
//! Queries are answered the way a UDP worker answers them: the served zones
//! are loaded once per batch of [`BATCH`] queries and the batch is answered
//! with [`Handler::handle_in`], so the bench pays for a load per batch, as
//! the server does, not per query.
use std::sync::Arc;

use ironbind::net::udp::BATCH;
use ironbind::query::{Handler, QueryConfig, RequestCtx, Transport, MAX_MESSAGE};
use ironbind::wire::name::from_dotted;
use ironbind::zone::build::build_zone;
use ironbind::zone::file::read_zone_str;
use ironbind::zone::set::{ZoneSet, ZoneTable};

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
            ctx: RequestCtx {
                peer: PEER,
                transport: Transport::Udp,
            },
            out: vec![0u8; MAX_MESSAGE],
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
}
