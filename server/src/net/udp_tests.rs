//! Tests of the UDP worker's batch prefetch, and a hot loop for profilers.

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

/// Not a test: [`Batch::answer`] over full batches of spread exact queries,
/// for profilers (`cargo test --release -p ironbind-server --lib hot_batch --
/// --ignored --nocapture` under `valgrind --tool=callgrind`). `HOT_NAMES`
/// names in the zone (the prefetch passes run from
/// [`crate::zone::set::PREFETCH_MIN_NODES`] on), `HOT_BATCHES` batches.
mod hot {
    use super::super::*;
    use crate::query::QueryConfig;
    use crate::wire::name::from_dotted;
    use crate::zone::build::hosts_zone;
    use crate::zone::set::ZoneSet;

    fn env(key: &str, default: usize) -> usize {
        std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    #[test]
    #[ignore]
    fn hot_batch() {
        let names = env("HOT_NAMES", 1000);
        let batches = env("HOT_BATCHES", 20_000);
        let zone = hosts_zone("example.com", "host", names);
        let set = Arc::new(ZoneSet::new());
        set.insert(Arc::new(zone));
        let h = Arc::new(Handler::new(set.clone(), QueryConfig::default()));
        let mut b = Batch::new();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let start = Instant::now();
        let mut answered = 0;
        for _ in 0..batches {
            for i in 0..BATCH {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
                q.extend_from_slice(&from_dotted(&format!("host{}.example.com", x as usize % names)).unwrap());
                q.extend_from_slice(&[0, 1, 0, 1, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
                b.rx[i * RX_SLOT..i * RX_SLOT + q.len()].copy_from_slice(&q);
                b.rx_hdr[i].msg_len = q.len() as _;
                b.rx_hdr[i].msg_hdr.msg_flags = 0;
                b.rx_hdr[i].msg_hdr.msg_controllen = 0;
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as _,
                    sin_port: 5000u16.to_be(),
                    sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
                    sin_zero: [0; 8],
                };
                // SAFETY: a sockaddr_storage holds any socket address, aligned for all.
                unsafe { (&mut b.names[i] as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>().write(sin) };
                b.rx_hdr[i].msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_in>() as _;
            }
            let zones = set.load();
            answered += hot_answer(&mut b, &h, &zones);
        }
        assert_eq!(answered, batches * BATCH);
        println!("{:.1} ns/query (with the batch set-up)", start.elapsed().as_nanos() as f64 / (batches * BATCH) as f64);
    }

    /// The measured part (a function of its own for `--toggle-collect`).
    #[inline(never)]
    fn hot_answer(b: &mut Batch, h: &Arc<Handler>, zones: &ZoneTable) -> usize {
        b.answer(BATCH, h, zones, UdpOptions::default(), None)
    }
}
