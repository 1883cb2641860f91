//! Tests of the UDP worker's batch prefetch (the hot loop for profilers is
//! `benches/benches/hot_batch.rs`).

mod prefetch {
    use super::super::*;
    use crate::query::QueryConfig;
    use crate::wire::name::from_dotted;
    use crate::zone::build::hosts_zone;
    use crate::zone::set::{ZoneSet, PREFETCH_MIN_NODES};

    fn query(name: &str, flags: [u8; 2], qdcount: u8) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, flags[0], flags[1], 0, qdcount, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&from_dotted(name).unwrap());
        m.extend_from_slice(&[0, 1, 0, 1]);
        m
    }

    /// The first pass reads a QUERY's header and question name only, and
    /// its hint fetches the node the answer reads; anything else gets none.
    #[test]
    fn prefetch_hints_queries_into_a_large_zone_only() {
        let o = from_dotted("big.example").unwrap();
        let zone = hosts_zone("big.example", "h", PREFETCH_MIN_NODES);
        let set = Arc::new(ZoneSet::new());
        set.insert(Arc::new(zone));
        let h = Handler::new(set.clone(), QueryConfig::default());
        let table = set.load();
        let node = |n: &str| table.get(&o).and_then(|z| z.nodes.get(&from_dotted(n).unwrap()).map(|n| n.memory_order()));
        let hinted = |q: &[u8]| h.prefetch(&table, q).and_then(|p| p.prefetch_node());
        assert!(node("h42.big.example").is_some());
        assert_eq!(hinted(&query("h42.big.example", [0, 0], 1)), node("h42.big.example"));
        assert_eq!(hinted(&query("H42.Big.EXAMPLE", [1, 0], 1)), node("h42.big.example"), "lowercased, RD ignored");
        assert!(h.prefetch(&table, &query("nope.big.example", [0, 0], 1)).is_some_and(|p| p.prefetch_node().is_none()));
        let q = query("h42.big.example", [0, 0], 1);
        for (why, bad) in [
            ("a response", query("h42.big.example", [0x80, 0], 1)),
            ("NOTIFY", query("h42.big.example", [0x20, 0], 1)),
            ("two questions", query("h42.big.example", [0, 0], 2)),
            ("no question", query("h42.big.example", [0, 0], 0)),
            ("cut in the name", q[..16].to_vec()),
            ("shorter than a header", q[..11].to_vec()),
            ("another zone", query("h42.small.example", [0, 0], 1)),
        ] {
            assert!(h.prefetch(&table, &bad).is_none(), "{why}");
        }
    }
}
