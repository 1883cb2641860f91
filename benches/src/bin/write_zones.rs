//! Writes the benchmark zones and dnsperf query files for `benches/peers.sh`,
//! from the same generator the criterion benches use.
//!
//! Usage: `write-zones DIR`. Creates in DIR:
//! - `small.zone`, `large.zone` (apex `example.com.`; large = small + 1M hosts,
//!   or `IRONBIND_BENCH_HOSTS`);
//! - `queries-small.txt`: the six query kinds of the criterion benches, equally mixed;
//! - `queries-large.txt`: the same six kinds over names spread across the large
//!   zone (random hosts, aliases, delegations and wildcards), so a server's
//!   caches see the whole zone; deterministic.

use std::fmt::Write as _;
use std::path::PathBuf;

use ironbind_benches::cases::Kind;
use ironbind_benches::zones::{large_hosts, large_zone_text, Xorshift, LARGE_EXTRAS, SMALL_ZONE};

/// Lines in `queries-large.txt` (dnsperf loops over the file).
const LARGE_QUERIES: usize = 600_000;

fn qtype_name(t: u16) -> &'static str {
    if t == 28 {
        "AAAA"
    } else {
        "A"
    }
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir)?;
    let hosts = large_hosts();
    std::fs::write(dir.join("small.zone"), SMALL_ZONE)?;
    std::fs::write(dir.join("large.zone"), large_zone_text(hosts))?;

    let mut small = String::new();
    for k in Kind::ALL {
        let _ = writeln!(small, "{}. {}", k.qname(), qtype_name(k.qtype()));
    }
    std::fs::write(dir.join("queries-small.txt"), small)?;

    let mut rng = Xorshift::new();
    let mut large = String::with_capacity(LARGE_QUERIES * 32);
    for i in 0..LARGE_QUERIES {
        let _ = match Kind::ALL[i % Kind::ALL.len()] {
            Kind::Exact => writeln!(large, "host{}.example.com. A", rng.below(hosts)),
            Kind::NxDomain => writeln!(large, "nohost{}.example.com. A", rng.below(hosts)),
            Kind::NoData => writeln!(large, "host{}.example.com. AAAA", rng.below(hosts)),
            Kind::Wildcard => writeln!(large, "q{}.wild{}.example.com. A", rng.below(hosts), rng.below(LARGE_EXTRAS)),
            Kind::Cname => writeln!(large, "alias{}.example.com. A", rng.below(LARGE_EXTRAS)),
            Kind::Referral => writeln!(large, "www.sub{}.example.com. A", rng.below(LARGE_EXTRAS)),
        };
    }
    std::fs::write(dir.join("queries-large.txt"), large)?;
    eprintln!("wrote small.zone, large.zone ({hosts} hosts), queries-small.txt, queries-large.txt to {}", dir.display());
    Ok(())
}
