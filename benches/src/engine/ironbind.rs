//! ironbind's query path: zone text → `Zone` → `ZoneSet` → `Handler`.
use std::sync::Arc;

use ironbind::query::{Handler, QueryConfig, RequestCtx, Transport, MAX_MESSAGE};
use ironbind::wire::name::from_dotted;
use ironbind::zone::build::build_zone;
use ironbind::zone::file::read_zone_str;
use ironbind::zone::set::ZoneSet;

use super::PEER;

/// ironbind answering from one zone, with the output buffer a UDP worker reuses.
pub struct IronbindEngine {
    handler: Handler,
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
        Ok(Self {
            handler: Handler::new(Arc::new(set), QueryConfig::default()),
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
        match self.handler.handle(query, &self.ctx, &mut self.out) {
            Some(n) => &self.out[..n],
            None => &[],
        }
    }
}
