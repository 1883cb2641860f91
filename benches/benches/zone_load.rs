//! How long reading a big zone file takes: `zone::file::read_zone_str` over a
//! generated zone of `ZONE_LOAD_NAMES` names (default 1,000,000 under `cargo
//! bench`, 10,000 under `cargo test --benches`), one `host{i} IN A` each,
//! timed once. Building the zone from the records is not included (the
//! `lookup` bench reports both steps as it loads its zones).
//!
//! ```sh
//! cargo bench -p ironbind-benches --bench zone_load
//! ```
//!
//! Formerly the ignored test `zone::file::tests_reader::load_one_million_names`
//! in the server crate.

use std::fmt::Write as _;
use std::time::Instant;

use ironbind::wire::name::from_dotted;
use ironbind::zone::file::read_zone_str;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a quick pass.
    let default = if std::env::args().any(|a| a == "--bench") { 1_000_000 } else { 10_000 };
    let names: u32 = std::env::var("ZONE_LOAD_NAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let mut text = String::from("$TTL 300\n@ IN SOA ns1 hostmaster 1 2 3 4 5\n@ IN NS ns1\n");
    for i in 0..names {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "host{i} IN A 10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255);
    }
    let origin = from_dotted("example.com").expect("origin");
    let start = Instant::now();
    let src = read_zone_str(&text, "big.zone", &origin, None).expect("the generated zone reads");
    let took = start.elapsed();
    assert_eq!(src.records.len(), names as usize + 2);
    println!("parsed {} records ({} MB) in {took:?}", src.records.len(), text.len() >> 20);
}
