//! Fuzz target `zone_file`: arbitrary text as an RFC 1035 master file for
//! `example.com.` (`zone::file::read_zone_str`), then the zone built from
//! what it read (`zone::build::build_zone`).
//!
//! Owns: two properties: reading and building never panic, and the writer is
//! the reader's inverse: every record read, written back as text
//! (`zone::file::write_records`), reads back to the same owner, type, TTL and
//! RDATA.
//! Must not: touch the file system (`$INCLUDE` has no directory here, so it
//! is an error).

#![no_main]

use ironbind::zone::build::build_zone;
use ironbind::zone::file::{read_zone_str, write_records};
use ironbind_fuzz::{wire, ORIGIN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The reader works on bytes; its public entry takes text.
    let text = String::from_utf8_lossy(data);
    let origin = wire(ORIGIN);
    let Ok(src) = read_zone_str(&text, "fuzz.zone", &origin, None) else { return };

    let mut written = String::new();
    write_records(src.records.iter().map(|r| (&*r.owner, r.rtype, r.ttl, &*r.rdata)), &mut written);
    let again = match read_zone_str(&written, "written.zone", &origin, None) {
        Ok(s) => s,
        Err(e) => panic!("written records do not read back: {e}\n{written}"),
    };
    assert_eq!(src.records.len(), again.records.len(), "record count changed through text:\n{written}");
    for (a, b) in src.records.iter().zip(&again.records) {
        assert_eq!((&a.owner, a.rtype, a.ttl, &a.rdata), (&b.owner, b.rtype, b.ttl, &b.rdata), "record changed through text:\n{written}");
    }

    let _ = build_zone(&origin, src);
});
