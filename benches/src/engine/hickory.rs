//! hickory-server 0.26's query path: `Catalog` over `InMemoryZoneHandler`,
//! zone text parsed by hickory-proto's master-file `Parser`.
use std::sync::{Arc, Mutex, PoisonError};

use hickory_proto::rr::{LowerName, Name, Record};
use hickory_proto::serialize::binary::BinEncoder;
use hickory_proto::serialize::txt::Parser;
use hickory_server::net::runtime::{TokioRuntimeProvider, TokioTime};
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponse, ZoneType};

use super::PEER;

/// hickory-server answering from one zone.
pub struct HickoryEngine {
    catalog: Catalog,
    sink: Sink,
}

impl HickoryEngine {
    /// Parses the zone at `origin` (dotted) from master-file `text` and serves
    /// it as a primary zone from a `Catalog`.
    pub fn load(text: &str, origin: &str) -> Result<Self, String> {
        let origin = Name::from_ascii(origin).map_err(|e| format!("origin {origin}: {e}"))?;
        let (origin, records) = Parser::new(text, None, Some(origin)).parse().map_err(|e| format!("hickory parser: {e}"))?;
        let zone = InMemoryZoneHandler::<TokioRuntimeProvider>::new(origin.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)?;
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);
        Ok(Self { catalog, sink: Sink::default() })
    }

    /// Answers `query`: decodes it, runs the catalog, encodes the response
    /// into the engine's buffer. Returns the response length (0 when nothing
    /// was sent). Must run inside a tokio runtime.
    pub async fn answer(&self, query: &[u8]) -> usize {
        let Ok(request) = Request::from_bytes(query.to_vec(), PEER, Protocol::Udp) else {
            return 0;
        };
        self.catalog.handle_request::<_, TokioTime>(&request, self.sink.clone()).await;
        self.sink.len()
    }

    /// A copy of the last response.
    pub fn last_response(&self) -> Vec<u8> {
        self.sink.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Encodes the response into a shared, reused buffer: what hickory's
/// `ResponseHandle` does for UDP (`MessageResponse::encode`: payload limit from
/// the request's EDNS, else 512), without handing the bytes to a socket.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[async_trait::async_trait]
impl ResponseHandler for Sink {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        let max = response.edns().map_or(512, |e| e.max_payload());
        let mut buf = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        buf.clear();
        let mut encoder = BinEncoder::new(&mut buf);
        encoder.set_max_size(max);
        Ok(response.destructive_emit(&mut encoder)?)
    }
}
