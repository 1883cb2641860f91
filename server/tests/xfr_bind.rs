//! Interop with BIND9 (`named` from the Debian package): ironbind as the
//! secondary of a BIND primary (BIND's own NOTIFY to our port, then IXFR),
//! and BIND as the secondary of an ironbind primary, with and without TSIG.

mod xfr_common;

use std::time::Duration;

use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

fn v(serial: u32, extra: &str) -> String {
    zone_text(ZONE, serial, SLOW, 60, extra)
}

fn bind_key() -> String {
    format!("key \"{KEY}\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};")
}

/// ironbind follows a BIND primary: AXFR, then BIND's own NOTIFY and an
/// IXFR of a change; `tsig` signs both.
fn ironbind_secondary_of_bind(tsig: bool) {
    require(&["named", "dig"]);
    let (np, sp) = (free_port(), free_port());
    let (acl, key) = if tsig { (format!("key \"{KEY}\""), format!(" key \"{KEY}\"")) } else { ("any".to_string(), String::new()) };
    let named = Named::start(
        np,
        &format!("  allow-transfer {{ {acl}; }};\n  notify explicit;\n  also-notify {{ 127.0.0.1 port {sp}{key}; }};\n  ixfr-from-differences yes;"),
        &format!("{}\nzone \"example.com\" {{ type primary; file \"example.com.zone\"; }};", if tsig { bind_key() } else { String::new() }),
        &[("example.com.zone", &v(1, ""))],
    );
    let s = secondary_of(ZONE, np, sp, tsig);
    assert_eq!(axfr(s.addr, ZONE, false), axfr(named.addr, ZONE, tsig));

    // Change the zone on BIND: BIND NOTIFYs us, we take an IXFR of the change.
    let sl = s.proc.log_len();
    named.write("example.com.zone", &v(2, "new TXT \"from bind\"\n").replace("h5 A 10.0.0.5\n", ""));
    named.reload();
    let line = expect_notified_ixfr(&s, sl);
    assert!(completed_counts(&line).1 < 10, "an incremental transfer, not the whole zone: {line}");
    named.proc.expect(0, &["IXFR", "serial 2"], 5 * S);
    assert_eq!(axfr(s.addr, ZONE, false), axfr(named.addr, ZONE, tsig));
    assert_eq!(status(s.addr, "h5.example.com", "A"), "NXDOMAIN");
    if tsig {
        assert!(axfr(named.addr, ZONE, false).is_empty(), "BIND refuses unsigned transfers");
    }
}

#[test]
fn ironbind_secondary_of_bind_primary() {
    ironbind_secondary_of_bind(false);
}

#[test]
fn ironbind_secondary_of_bind_primary_with_tsig() {
    ironbind_secondary_of_bind(true);
}

/// BIND follows an ironbind primary: loads the zone, then an IXFR after a
/// change NOTIFYed by ironbind; `tsig` signs transfers and NOTIFY.
fn bind_secondary_of_ironbind(tsig: bool) {
    require(&["named", "dig"]);
    let (pp, np) = (free_port(), free_port());
    let pdir = tempdir("p");
    let file = pdir.join("example.com.zone");
    std::fs::write(&file, v(1, "")).unwrap();
    let zone_arg = format!("{ZONE}={}", file.display());
    let key_arg = format!("{KEY}=hmac-sha256:{SECRET}");
    let notify = if tsig { format!("127.0.0.1:{np}@{KEY}") } else { format!("127.0.0.1:{np}") };
    let mut args = vec!["--zone", &zone_arg, "--also-notify", &notify];
    if tsig {
        args.extend(["--tsig-key", &key_arg, "--allow-transfer-key", KEY]);
    } else {
        args.extend(["--allow-transfer", "127.0.0.1"]);
    }
    let p = start_ironbind("primary", pp, &pdir.join("data"), &args);

    let key_clause = if tsig { format!(" key \"{KEY}\"") } else { String::new() };
    let named = Named::start(
        np,
        "  allow-transfer { any; };\n  notify no;",
        &format!(
            "{}\nzone \"example.com\" {{ type secondary; primaries {{ 127.0.0.1 port {pp}{key_clause}; }}; file \"example.com.bak\"; }};",
            if tsig { bind_key() } else { String::new() }
        ),
        &[],
    );
    assert!(wait_until(30 * S, || serial(named.addr, ZONE) == Some(1)), "named did not load the zone:\n{}", named.proc.log());
    assert_eq!(axfr(named.addr, ZONE, false), axfr(p.addr, ZONE, tsig));

    let nl = named.proc.log_len();
    std::fs::write(&file, v(2, "new A 192.0.2.77\n").replace("h9 A 10.0.0.9\n", "")).unwrap();
    p.reload();
    named.proc.expect(nl, &["notify from 127.0.0.1#"], 30 * S);
    assert!(wait_until(30 * S, || serial(named.addr, ZONE) == Some(2)), "named did not follow:\n{}", named.proc.log());
    let line = named.proc.expect(nl, &["Transfer completed:", "(serial 2)"], 5 * S);
    // SOA, old SOA, h9 removed, new SOA, `new` added, SOA: an IXFR of the change.
    assert_eq!(completed_counts(&line), (1, 6), "{line}");
    if tsig {
        named.proc.expect(nl, &["received notify for zone 'example.com': TSIG 'xfr-key'"], 5 * S);
        named.proc.expect(nl, &["transferred serial 2: TSIG 'xfr-key'"], 5 * S);
    }
    assert_eq!(axfr(named.addr, ZONE, false), axfr(p.addr, ZONE, tsig));
    assert_eq!(a(named.addr, "new.example.com").as_deref(), Some("192.0.2.77"));
    p.proc.expect(0, &["IXFR started (serial 1 -> 2, incremental)"], 5 * S);
}

#[test]
fn bind_secondary_of_ironbind_primary() {
    bind_secondary_of_ironbind(false);
}

#[test]
fn bind_secondary_of_ironbind_primary_with_tsig() {
    bind_secondary_of_ironbind(true);
}
