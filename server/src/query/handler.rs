//! The request entry point.
use std::sync::Arc;

use super::{QueryConfig, RequestCtx, TcpResponse};
use crate::zone::set::ZoneSet;

/// Answers requests from the served zones. Shared by every worker (`Arc<Handler>`).
#[derive(Debug)]
pub struct Handler {
    zones: Arc<ZoneSet>,
    cfg: QueryConfig,
}

impl Handler {
    /// A handler answering from `zones` with settings `cfg`.
    pub fn new(zones: Arc<ZoneSet>, cfg: QueryConfig) -> Self {
        Self { zones, cfg }
    }

    /// The zones this handler answers from.
    pub fn zones(&self) -> &Arc<ZoneSet> {
        &self.zones
    }

    /// Answers one request with one message written into `out` (at least
    /// [`super::MAX_MESSAGE`] octets). Returns its length, or `None` to send nothing.
    pub fn handle(&self, req: &[u8], ctx: &RequestCtx, out: &mut [u8]) -> Option<usize> {
        let _ = (req, ctx, out, &self.cfg);
        None
    }

    /// Answers one request received over TCP; may produce a stream of messages.
    pub fn handle_tcp(&self, req: &[u8], ctx: &RequestCtx, out: &mut [u8]) -> TcpResponse {
        match self.handle(req, ctx, out) {
            Some(n) => TcpResponse::Single(n),
            None => TcpResponse::Drop,
        }
    }
}
