//! Tests of committing versions and reading them back.

use super::*;
use crate::xfr::diff::diff_zones;
use crate::xfr::diff::fixtures::{origin, zone};

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ironbind-persist-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// An IXFR-made version is served once its diff is journaled; a restart
/// that finds an older zone copy applies the journal past it.
#[tokio::test]
async fn incremental_commit_serves_after_the_journal_and_a_restart_rolls_forward() {
    let dir = temp_dir("roll");
    let (v1, v2, v3) = (zone(1, "www IN A 192.0.2.1\n"), zone(2, "www IN A 192.0.2.2\n"), zone(3, "www IN A 192.0.2.3\nnew IN A 192.0.2.4\n"));
    let (d12, d23) = (diff_zones(&v1, &v2), diff_zones(&v2, &v3));
    {
        let store = Store::open(&dir);
        store.release();
        let zones = Arc::new(ZoneSet::new());
        let ctl = crate::catalog::Catalog::new().upsert(&origin(), Default::default());
        store.commit(&zones, &ctl, zone(1, "www IN A 192.0.2.1\n"), None, None).await.unwrap();
        store.commit(&zones, &ctl, zone(2, "www IN A 192.0.2.2\n"), Some(vec![d12.clone()]), None).await.unwrap();
        assert_eq!(zones.load().get(&origin()).unwrap().zone.serial, 2);
        store.settled(&origin()).await;
        // The coalesced save caught up: the copy is at serial 2.
        assert_eq!(store.load(&origin()).zone.unwrap().serial, 2);
    }
    // A crash after the journal got 2 → 3 but before the zone file did.
    let raw = crate::store::DataDir::open(&dir).unwrap();
    raw.append_journal(&origin(), &d23).unwrap();
    let store = Store::open(&dir);
    let saved = store.load(&origin());
    assert_eq!(saved.zone.as_ref().unwrap().serial, 2);
    let saved = roll_forward("example.com", saved).await;
    assert!(saved.rolled_forward);
    let z = saved.zone.unwrap();
    assert_eq!(z.serial, 3);
    assert!(z.node(&crate::wire::name::from_dotted("new.example.com").unwrap()).is_some());
    assert!(saved.journal.unwrap().leads_to(&z));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A journal that does not apply leaves the copy as it is.
#[tokio::test]
async fn a_journal_that_does_not_apply_is_ignored() {
    let dir = temp_dir("bad");
    let raw = crate::store::DataDir::open(&dir).unwrap();
    let (v1, v2) = (zone(1, "www IN A 192.0.2.1\n"), zone(2, "www IN A 192.0.2.2\n"));
    raw.save_zone(&v1).unwrap();
    let mut d = diff_zones(&v1, &v2);
    d.removed.push(crate::xfr::diff::Rr::new(&crate::wire::name::from_dotted("nope.example.com").unwrap(), 1, 60, &[1, 2, 3, 4]));
    raw.append_journal(&origin(), &d).unwrap();
    let saved = roll_forward("example.com", Store::open(&dir).load(&origin())).await;
    assert!(!saved.rolled_forward);
    assert_eq!(saved.zone.unwrap().serial, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A primary's copy waits for [`COPY_DELAY`] (the journal does not); a
/// shutdown's drain writes whatever is still due.
#[tokio::test]
async fn a_primary_copy_is_delayed_and_written_at_drain() {
    let dir = temp_dir("delay");
    let store = Store::open(&dir);
    store.release();
    let zones = Arc::new(ZoneSet::new());
    let ctl = crate::catalog::Catalog::new().upsert(&origin(), Default::default());
    // Enough names that one change stays within the journal's bound (the zone's size).
    let body: String = (0..50).map(|i| format!("h{i} IN A 192.0.2.{i}\n")).collect();
    let (v1, v2) = (zone(1, &format!("{body}www IN A 192.0.2.1\n")), zone(2, &format!("{body}www IN A 192.0.2.2\n")));
    let d = diff_zones(&v1, &v2);
    store.publish(&zones, &ctl, v1, None, SavedCopy::Stale);
    store.publish(&zones, &ctl, v2, Some(vec![d]), SavedCopy::Stale);
    store.settled(&origin()).await;
    let raw = crate::store::DataDir::open(&dir).unwrap();
    assert!(raw.load_zone(&origin()).unwrap().is_none(), "no copy before the delay");
    assert_eq!(raw.load_journal(&origin(), Default::default()).unwrap().last_serial(), Some(2), "the journal is written at once");
    assert!(store.drain(Duration::from_secs(10)).await);
    assert_eq!(raw.load_zone(&origin()).unwrap().unwrap().serial, 2);
    let _ = std::fs::remove_dir_all(&dir);
}
