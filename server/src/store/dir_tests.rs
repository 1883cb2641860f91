//! Tests of the data directory in a throwaway directory under the system temp dir.

use std::fs;
use std::path::PathBuf;

use super::*;
use crate::store::Timers;
use crate::wire::name::from_dotted;
use crate::xfr::diff::fixtures::{origin, same, zone};
use crate::xfr::journal::tests::diff;
use crate::xfr::journal::{Journal, JournalLimits};

/// A fresh directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("ironbind-store-{tag}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn serials(j: &Journal) -> Vec<(u32, u32)> {
    j.iter().map(|d| (d.from_serial(), d.to_serial())).collect()
}

#[test]
fn file_stems_are_safe_and_distinct() {
    let stem = |s: &[u8]| file_stem(s);
    assert_eq!(stem(&from_dotted("example.com").unwrap()), "example.com");
    assert_eq!(stem(b"\x00"), "%root");
    assert_eq!(stem(b"\x03a/b\x07example\x00"), "a%2Fb.example");
    assert_eq!(stem(b"\x01.\x01.\x00"), "%2E.%2E", "no leading dot, no `..`");
    assert_eq!(stem(b"\x02..\x00"), "%2E%2E");
    assert_eq!(stem(b"\x01*\x03_x-\x00"), "%2A._x-");
    assert_ne!(stem(b"\x03a.b\x00"), stem(b"\x01a\x01b\x00"));
    let long: Vec<u8> = [[63u8].as_slice(), &[b'/'; 63], &[63], &[b'x'; 63], &[0]].concat();
    let s = stem(&long);
    assert!(s.len() <= 200 && s.contains('~') && !s.contains('/'), "{s}");
    assert_ne!(s, stem(&[[63u8].as_slice(), &[b'/'; 63], &[63], &[b'y'; 63], &[0]].concat()));
}

#[test]
fn zone_round_trip_and_leftover_tmp() {
    let tmp = TempDir::new("zone");
    let dir = DataDir::open(&tmp.0).unwrap();
    assert!(dir.load_zone(&origin()).unwrap().is_none());
    let z = zone(2024010101, "www IN A 192.0.2.10\nmail IN MX 10 mx.example.net.\ntxt IN TXT \"a b\" \"c\"\nx.y.z IN AAAA 2001:db8::1\n");
    dir.save_zone(&z).unwrap();
    // A crash mid-write of the next version leaves a torn temporary file.
    let leftover = dir.zones_dir().join("example.com.zone.999-0.tmp");
    fs::write(&leftover, "@ IN SOA torn").unwrap();
    let back = dir.load_zone(&origin()).unwrap().expect("saved zone");
    assert!(same(&back, &z));
    assert_eq!(back.serial, 2024010101);
    // Saving again with the leftover present still works; reopening removes it.
    let z2 = zone(2024010102, "www IN A 192.0.2.11\n");
    dir.save_zone(&z2).unwrap();
    assert!(same(&dir.load_zone(&origin()).unwrap().unwrap(), &z2));
    let dir = DataDir::open(&tmp.0).unwrap();
    assert!(!leftover.exists());
    let names: Vec<String> = fs::read_dir(dir.zones_dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["example.com.zone"]);
    // The file is a plain zone file, SOA first.
    let text = fs::read_to_string(dir.zone_path(&origin())).unwrap();
    assert!(text.lines().nth(1).unwrap().starts_with("example.com. 3600 IN SOA "), "{text}");
}

#[test]
fn saved_zone_lists_owners_in_canonical_order() {
    let tmp = TempDir::new("order");
    let dir = DataDir::open(&tmp.0).unwrap();
    // RFC 4034 §6.1's example, below example.com, in a scrambled file order.
    let z = zone(
        7,
        "z IN A 192.0.2.7\n*.z IN TXT w\nzabc.a IN A 192.0.2.4\na IN A 192.0.2.2\n\\200.z IN A 192.0.2.9\n\
        yljkjljk.a IN A 192.0.2.3\nz.a IN A 192.0.2.5\n\\001.z IN A 192.0.2.8\n",
    );
    dir.save_zone(&z).unwrap();
    let text = fs::read_to_string(dir.zone_path(&origin())).unwrap();
    let owners: Vec<&str> = text.lines().skip(1).map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        owners,
        [
            "example.com.", // SOA first
            "example.com.",
            "a.example.com.",
            "yljkjljk.a.example.com.",
            "z.a.example.com.",
            "zabc.a.example.com.",
            "ns1.example.com.",
            "z.example.com.",
            "\\001.z.example.com.",
            "*.z.example.com.",
            "\\200.z.example.com.",
        ],
        "{text}"
    );
    assert!(same(&dir.load_zone(&origin()).unwrap().unwrap(), &z));
}

#[test]
fn journal_round_trip_save_and_append() {
    let tmp = TempDir::new("journal");
    let dir = DataDir::open(&tmp.0).unwrap();
    let limits = JournalLimits::default();
    assert!(dir.load_journal(&origin(), limits).unwrap().is_empty());
    let mut j = Journal::new(&origin(), limits);
    for s in [u32::MAX - 1, u32::MAX, 0] {
        j.push(diff(s, s.wrapping_add(1), &[1, 2, s as u8]));
    }
    dir.save_journal(&j).unwrap();
    let back = dir.load_journal(&origin(), limits).unwrap();
    assert_eq!(back.iter().collect::<Vec<_>>(), j.iter().collect::<Vec<_>>());
    assert_eq!(serials(&back), [(u32::MAX - 1, u32::MAX), (u32::MAX, 0), (0, 1)]);
    // Appending continues the file.
    dir.append_journal(&origin(), &diff(1, 2, &[9])).unwrap();
    assert_eq!(dir.load_journal(&origin(), limits).unwrap().last_serial(), Some(2));
    // Appending to a zone without a file creates it.
    let other = from_dotted("other.example").unwrap();
    let mut d = diff(5, 6, &[]);
    d.to_soa.owner = other.clone().into();
    dir.append_journal(&other, &d).unwrap();
    assert_eq!(serials(&dir.load_journal(&other, limits).unwrap()), [(5, 6)]);
    // A journal for another zone is refused, not misread.
    fs::copy(dir.journal_path(&other), dir.journal_path(&origin())).unwrap();
    assert!(matches!(dir.load_journal(&origin(), limits), Err(StoreError::Corrupt { .. })));
}

#[test]
fn torn_or_damaged_tail_is_dropped() {
    let tmp = TempDir::new("torn");
    let dir = DataDir::open(&tmp.0).unwrap();
    let limits = JournalLimits::default();
    for s in 1..=3 {
        dir.append_journal(&origin(), &diff(s, s + 1, &[s as u8, 7])).unwrap();
    }
    let path = dir.journal_path(&origin());
    let full = fs::read(&path).unwrap();
    // Cut inside the last entry: a crash during the append.
    for cut in [1, 5, 9, 20] {
        fs::write(&path, &full[..full.len() - cut]).unwrap();
        let j = dir.load_journal(&origin(), limits).unwrap();
        assert_eq!(serials(&j), [(1, 2), (2, 3)], "cut {cut}");
    }
    // The file was cut back to the good entries, so an append after the load is read.
    let good_len = fs::metadata(&path).unwrap().len() as usize;
    assert!(good_len < full.len());
    dir.append_journal(&origin(), &diff(3, 4, &[3, 8])).unwrap();
    assert_eq!(serials(&dir.load_journal(&origin(), limits).unwrap()), [(1, 2), (2, 3), (3, 4)]);
    // A flipped bit inside the second entry: it and everything after are dropped.
    let mut data = fs::read(&path).unwrap();
    let header = 8 + 1 + origin().len() + 4;
    let first_len = u32::from_be_bytes(data[header..header + 4].try_into().unwrap()) as usize;
    data[header + 8 + first_len + 8 + 20] ^= 0x10;
    fs::write(&path, &data).unwrap();
    assert_eq!(serials(&dir.load_journal(&origin(), limits).unwrap()), [(1, 2)]);
    // A file torn while its header was written reads as empty.
    fs::write(&path, &data[..5]).unwrap();
    assert!(dir.load_journal(&origin(), limits).unwrap().is_empty());
    fs::write(&path, b"garbage!garbage").unwrap();
    assert!(matches!(dir.load_journal(&origin(), limits), Err(StoreError::Corrupt { .. })));
}

#[test]
fn timers_round_trip_and_remove_zone() {
    let tmp = TempDir::new("timers");
    let dir = DataDir::open(&tmp.0).unwrap();
    assert_eq!(dir.load_timers(&origin()).unwrap(), None);
    let t = Timers { last_refresh_unix: 1_700_000_000, next_refresh_unix: 1_700_007_200, expire_at_unix: Some(1_701_209_600), last_serial: 42 };
    dir.save_timers(&origin(), &t).unwrap();
    assert_eq!(dir.load_timers(&origin()).unwrap(), Some(t));
    assert!(!t.is_expired(1_701_209_599) && t.is_expired(1_701_209_600));
    assert_eq!(t.refresh_in(1_700_000_000), 7200);
    let text = fs::read_to_string(dir.timers_path(&origin())).unwrap();
    assert!(text.contains("\"zone\": \"example.com.\""), "{text}");
    // Unknown fields and other zones are refused.
    fs::write(dir.timers_path(&origin()), text.replace("\"last_serial\"", "\"bogus\": 1, \"last_serial\"")).unwrap();
    assert!(matches!(dir.load_timers(&origin()), Err(StoreError::Corrupt { .. })));
    fs::write(dir.timers_path(&origin()), text.replace("example.com.", "example.org.")).unwrap();
    let err = dir.load_timers(&origin()).unwrap_err().to_string();
    assert!(err.contains("example.org.") && err.contains("example.com.timers"), "{err}");

    dir.save_zone(&zone(1, "")).unwrap();
    dir.append_journal(&origin(), &diff(1, 2, &[1])).unwrap();
    dir.remove_zone(&origin()).unwrap();
    assert_eq!(fs::read_dir(dir.zones_dir()).unwrap().count(), 0);
    dir.remove_zone(&origin()).unwrap();
}
