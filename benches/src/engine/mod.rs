//! The engines measured: each loads zone text once, then turns query bytes into
//! response bytes.
//!
//! [`IronbindEngine`] calls [`ironbind::query::Handler::handle_in`] with a
//! reused 64 KiB output buffer and the zones loaded once per batch of
//! [`ironbind::net::udp::BATCH`] queries, exactly as a UDP worker does. [`HickoryEngine`] runs
//! hickory-server's `Catalog::handle_request` over its in-memory zone handler:
//! the request is decoded from the same bytes (`Request::from_bytes`, as
//! hickory's own UDP path does) and the response is encoded into a reused
//! `Vec` by a [`ResponseHandler`](hickory_server::server::ResponseHandler)
//! that mirrors hickory's `ResponseHandle` minus the socket send.

mod hickory;
mod ironbind;

pub use self::hickory::HickoryEngine;
pub use self::ironbind::IronbindEngine;

use std::net::{Ipv4Addr, SocketAddr};

/// The client address both engines see.
pub const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(192, 0, 2, 53)), 53053);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{spread_queries, Kind};
    use crate::check::{check, check_host};
    use crate::zones::{large_zone_text, ZoneSize, ORIGIN};

    /// The fixtures load in both engines and ironbind answers every kind
    /// correctly: what the benches rely on before they time anything.
    #[test]
    fn both_engines_load_the_fixtures_and_ironbind_answers_every_kind() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        for text in [ZoneSize::Small.text(), large_zone_text(2_000)] {
            let mut iron = IronbindEngine::load(&text, "fixture", ORIGIN).unwrap();
            let hickory = HickoryEngine::load(&text, ORIGIN).unwrap();
            for kind in Kind::ALL {
                let q = kind.query(7);
                if let Err(e) = check(kind, 7, iron.answer(&q)) {
                    panic!("ironbind: {e}");
                }
            }
            let q = Kind::Exact.query(7);
            rt.block_on(hickory.answer(&q));
            check(Kind::Exact, 7, &hickory.last_response()).unwrap();
        }
    }

    #[test]
    fn spread_queries_hit_generated_hosts() {
        let text = large_zone_text(5_000);
        let mut iron = IronbindEngine::load(&text, "fixture", ORIGIN).unwrap();
        for (i, q) in spread_queries(5_000, 9).iter().take(50) {
            check_host(*i, 9, iron.answer(q)).unwrap();
        }
    }
}
