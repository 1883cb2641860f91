//! Interop with Knot DNS (`knotd` from the Debian package): ironbind as the
//! secondary of a Knot primary (Knot's `notify: remote` to our port, then
//! IXFR), and Knot as the secondary of an ironbind primary, with and
//! without TSIG.

mod xfr_common;

use std::time::Duration;

use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

fn v(serial: u32, extra: &str) -> String {
    zone_text(ZONE, serial, SLOW, 60, extra)
}

fn knot_key(tsig: bool) -> String {
    if tsig {
        format!("key:\n  - id: {KEY}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n\n")
    } else {
        String::new()
    }
}

fn key_line(tsig: bool) -> String {
    if tsig {
        format!("    key: {KEY}\n")
    } else {
        String::new()
    }
}

/// ironbind follows a Knot primary; `tsig` signs transfers and NOTIFY.
fn ironbind_secondary_of_knot(tsig: bool) {
    require(&["knotd", "knotc", "dig"]);
    let (kp, sp) = (free_port(), free_port());
    let k = key_line(tsig);
    let knot = Knot::start(
        kp,
        &format!(
            "{}remote:\n  - id: ironbind\n    address: 127.0.0.1@{sp}\n{k}\nacl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n{k}\n\
             zone:\n  - domain: example.com.\n    file: \"%DIR%/example.com.zone\"\n    notify: ironbind\n    acl: xfr\n    \
             zonefile-load: difference\n    journal-content: changes\n    zonefile-sync: -1\n",
            knot_key(tsig)
        ),
        &[("example.com.zone", &v(1, ""))],
    );
    let s = secondary_of(ZONE, kp, sp, tsig);
    assert_eq!(axfr(s.addr, ZONE, false), axfr(knot.addr, ZONE, tsig));

    // Change the zone file and reload it in Knot: Knot NOTIFYs us, we take an IXFR.
    let sl = s.proc.log_len();
    knot.write("example.com.zone", &v(2, "new TXT \"from knot\"\n").replace("h6 A 10.0.0.6\n", ""));
    knot.zone_reload(ZONE);
    let line = expect_notified_ixfr(&s, sl);
    assert_eq!(completed_counts(&line), (1, 6), "an IXFR of exactly the change: {line}");
    assert_eq!(axfr(s.addr, ZONE, false), axfr(knot.addr, ZONE, tsig));
    assert_eq!(status(s.addr, "h6.example.com", "A"), "NXDOMAIN");
}

#[test]
fn ironbind_secondary_of_knot_primary() {
    ironbind_secondary_of_knot(false);
}

#[test]
fn ironbind_secondary_of_knot_primary_with_tsig() {
    ironbind_secondary_of_knot(true);
}

/// Knot follows an ironbind primary: AXFR, then an IXFR after a change that
/// ironbind NOTIFYs; `tsig` signs transfers and NOTIFY (Knot's notify ACL
/// then demands the key).
fn knot_secondary_of_ironbind(tsig: bool) {
    require(&["knotd", "knotc", "dig"]);
    let (pp, kp) = (free_port(), free_port());
    let pdir = tempdir("p");
    let file = pdir.join("example.com.zone");
    std::fs::write(&file, v(1, "")).unwrap();
    let zone_arg = format!("{ZONE}={}", file.display());
    let key_arg = format!("{KEY}=hmac-sha256:{SECRET}");
    let notify = if tsig { format!("127.0.0.1:{kp}@{KEY}") } else { format!("127.0.0.1:{kp}") };
    let mut args = vec!["--zone", &zone_arg, "--also-notify", &notify];
    if tsig {
        args.extend(["--tsig-key", &key_arg, "--allow-transfer-key", KEY]);
    } else {
        args.extend(["--allow-transfer", "127.0.0.1"]);
    }
    let p = start_ironbind("primary", pp, &pdir.join("data"), &args);

    let k = key_line(tsig);
    let knot = Knot::start(
        kp,
        &format!(
            "{}remote:\n  - id: ironbind\n    address: 127.0.0.1@{pp}\n{k}\nacl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\n{k}\
             \n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n\n\
             zone:\n  - domain: example.com.\n    file: \"%DIR%/example.com.zone\"\n    master: ironbind\n    acl: [notify, xfr]\n    zonefile-sync: -1\n",
            knot_key(tsig)
        ),
        &[],
    );
    assert!(wait_until(30 * S, || serial(knot.addr, ZONE) == Some(1)), "knotd did not load the zone:\n{}", knot.proc.log());
    assert_eq!(axfr(knot.addr, ZONE, false), axfr(p.addr, ZONE, tsig));

    let kl = knot.proc.log_len();
    std::fs::write(&file, v(2, "new A 192.0.2.78\n").replace("h8 A 10.0.0.8\n", "")).unwrap();
    p.reload();
    knot.proc.expect(kl, &["notify, incoming, remote 127.0.0.1@", "serial 2"], 30 * S);
    assert!(wait_until(30 * S, || serial(knot.addr, ZONE) == Some(2)), "knotd did not follow:\n{}", knot.proc.log());
    knot.proc.expect(kl, &["IXFR, incoming", "finished"], 5 * S);
    assert!(knot.proc.lines_with(kl, &["fallback to AXFR"]).is_empty(), "{}", knot.proc.log());
    assert_eq!(axfr(knot.addr, ZONE, false), axfr(p.addr, ZONE, tsig));
    assert_eq!(a(knot.addr, "new.example.com").as_deref(), Some("192.0.2.78"));
    p.proc.expect(0, &["IXFR started (serial 1 -> 2, incremental)"], 5 * S);
    // With `tsig`, Knot's notify ACL names the key: an unsigned NOTIFY would be denied.
    assert!(knot.proc.lines_with(0, &["denied"]).is_empty(), "{}", knot.proc.log());
}

#[test]
fn knot_secondary_of_ironbind_primary() {
    knot_secondary_of_ironbind(false);
}

#[test]
fn knot_secondary_of_ironbind_primary_with_tsig() {
    knot_secondary_of_ironbind(true);
}
