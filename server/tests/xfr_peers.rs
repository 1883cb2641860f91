//! Interop with BIND9 (`named`) and Knot DNS (`knotd`), both from the Debian
//! packages. Each test body is written once and runs against each [`Peer`]:
//!
//! * ironbind as the secondary of the peer's primary: AXFR, then the peer's
//!   own NOTIFY to our port (BIND's `also-notify`, Knot's `notify: remote`)
//!   and an IXFR of a change ([`ironbind_secondary_of`]);
//! * the peer as the secondary of an ironbind primary: it loads the zone,
//!   then takes an IXFR after a change ironbind NOTIFYs
//!   ([`peer_secondary_of_ironbind`]);
//!
//! each without and with TSIG (transfers and NOTIFY signed). The test names
//! say which peer: `ironbind_secondary_of_bind_primary`,
//! `knot_secondary_of_ironbind_primary_with_tsig`, …

mod xfr_common;

use std::net::SocketAddr;
use std::time::Duration;

use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

fn v(serial: u32, extra: &str) -> String {
    zone_text(ZONE, serial, SLOW, 60, extra)
}

/// `v(serial, extra)` without the record of host `hN` (`hN A 10.0.0.N`).
fn v_without(serial: u32, extra: &str, n: usize) -> String {
    v(serial, extra).replace(&format!("h{n} A 10.0.0.{n}\n"), "")
}

/// The other server of a test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Peer {
    /// BIND9 `named`.
    Bind,
    /// Knot DNS `knotd`.
    Knot,
}

/// A peer running.
enum Running {
    Bind(Named),
    Knot(Knot),
}

impl Running {
    fn proc(&self) -> &Proc {
        match self {
            Running::Bind(n) => &n.proc,
            Running::Knot(k) => &k.proc,
        }
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Running::Bind(n) => n.addr,
            Running::Knot(k) => k.addr,
        }
    }

    fn daemon(&self) -> &'static str {
        match self {
            Running::Bind(_) => Peer::Bind.daemon(),
            Running::Knot(_) => Peer::Knot.daemon(),
        }
    }
}

fn bind_key(tsig: bool) -> String {
    if tsig {
        format!("key \"{KEY}\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};")
    } else {
        String::new()
    }
}

fn knot_key(tsig: bool) -> String {
    if tsig {
        format!("key:\n  - id: {KEY}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n\n")
    } else {
        String::new()
    }
}

fn knot_key_line(tsig: bool) -> String {
    if tsig {
        format!("    key: {KEY}\n")
    } else {
        String::new()
    }
}

impl Peer {
    /// The tools the tests need with this peer.
    fn tools(self) -> &'static [&'static str] {
        match self {
            Peer::Bind => &["named", "dig"],
            Peer::Knot => &["knotd", "knotc", "dig"],
        }
    }

    /// The daemon's name, for messages.
    fn daemon(self) -> &'static str {
        match self {
            Peer::Bind => "named",
            Peer::Knot => "knotd",
        }
    }

    /// The peer as primary of `example.com` (serial 1) on `port`, NOTIFYing
    /// 127.0.0.1:`notify` on changes; `tsig` requires the key for transfers
    /// and signs the NOTIFY.
    fn start_primary(self, port: u16, notify: u16, tsig: bool) -> Running {
        match self {
            Peer::Bind => {
                let (acl, key) = if tsig { (format!("key \"{KEY}\""), format!(" key \"{KEY}\"")) } else { ("any".to_string(), String::new()) };
                Running::Bind(Named::start(
                    port,
                    &format!(
                        "  allow-transfer {{ {acl}; }};\n  notify explicit;\n  also-notify {{ 127.0.0.1 port {notify}{key}; }};\n  ixfr-from-differences yes;"
                    ),
                    &format!("{}\nzone \"example.com\" {{ type primary; file \"example.com.zone\"; }};", bind_key(tsig)),
                    &[("example.com.zone", &v(1, ""))],
                ))
            }
            Peer::Knot => {
                let k = knot_key_line(tsig);
                Running::Knot(Knot::start(
                    port,
                    &format!(
                        "{}remote:\n  - id: ironbind\n    address: 127.0.0.1@{notify}\n{k}\nacl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n{k}\n\
                         zone:\n  - domain: example.com.\n    file: \"%DIR%/example.com.zone\"\n    notify: ironbind\n    acl: xfr\n    \
                         zonefile-load: difference\n    journal-content: changes\n    zonefile-sync: -1\n",
                        knot_key(tsig)
                    ),
                    &[("example.com.zone", &v(1, ""))],
                ))
            }
        }
    }

    /// The change the primary-side test makes on this peer: the TXT record
    /// `new` added and host `hN` removed, as (TXT text, N).
    fn primary_change(self) -> (&'static str, usize) {
        match self {
            Peer::Bind => ("new TXT \"from bind\"\n", 5),
            Peer::Knot => ("new TXT \"from knot\"\n", 6),
        }
    }

    /// The change the secondary-side test makes on the ironbind primary: the
    /// address of `new`, and host `hN` removed, as (address, N).
    fn secondary_change(self) -> (&'static str, usize) {
        match self {
            Peer::Bind => ("192.0.2.77", 9),
            Peer::Knot => ("192.0.2.78", 8),
        }
    }

    /// The peer as secondary of `example.com` on `port`, following the
    /// ironbind primary on 127.0.0.1:`primary`; `tsig` signs transfers, and
    /// Knot's notify ACL then demands the key.
    fn start_secondary(self, port: u16, primary: u16, tsig: bool) -> Running {
        match self {
            Peer::Bind => {
                let key_clause = if tsig { format!(" key \"{KEY}\"") } else { String::new() };
                Running::Bind(Named::start(
                    port,
                    "  allow-transfer { any; };\n  notify no;",
                    &format!(
                        "{}\nzone \"example.com\" {{ type secondary; primaries {{ 127.0.0.1 port {primary}{key_clause}; }}; file \"example.com.bak\"; }};",
                        bind_key(tsig)
                    ),
                    &[],
                ))
            }
            Peer::Knot => {
                let k = knot_key_line(tsig);
                Running::Knot(Knot::start(
                    port,
                    &format!(
                        "{}remote:\n  - id: ironbind\n    address: 127.0.0.1@{primary}\n{k}\nacl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\n{k}\
                         \n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n\n\
                         zone:\n  - domain: example.com.\n    file: \"%DIR%/example.com.zone\"\n    master: ironbind\n    acl: [notify, xfr]\n    zonefile-sync: -1\n",
                        knot_key(tsig)
                    ),
                    &[],
                ))
            }
        }
    }
}

impl Running {
    /// Replaces the primary's zone file with `text` and has the peer load it
    /// (BIND: SIGHUP; Knot: `knotc zone-reload`).
    fn update(&self, text: &str) {
        match self {
            Running::Bind(named) => {
                named.write("example.com.zone", text);
                named.reload();
            }
            Running::Knot(knot) => {
                knot.write("example.com.zone", text);
                knot.zone_reload(ZONE);
            }
        }
    }

    /// As primary: what the peer's side shows of the IXFR our secondary took
    /// (its `Transfer completed` line is `line`).
    fn check_ixfr_out(&self, line: &str) {
        match self {
            Running::Bind(named) => {
                assert!(completed_counts(line).1 < 10, "an incremental transfer, not the whole zone: {line}");
                named.proc.expect(0, &["IXFR", "serial 2"], 5 * S);
            }
            Running::Knot(_) => assert_eq!(completed_counts(line), (1, 6), "an IXFR of exactly the change: {line}"),
        }
    }

    /// As primary with `tsig`: what the peer says of an unsigned transfer.
    fn check_unsigned_refused(&self) {
        match self {
            Running::Bind(named) => assert!(axfr(named.addr, ZONE, false).is_empty(), "BIND refuses unsigned transfers"),
            // Not asserted for Knot.
            Running::Knot(_) => {}
        }
    }

    /// As secondary, from log position `from`: the NOTIFY of serial 2 came in,
    /// and the peer took serial 2 by IXFR (with `tsig`, both signed).
    fn check_notified_ixfr_in(&self, from: usize, tsig: bool) {
        match self {
            Running::Bind(named) => named.proc.expect(from, &["notify from 127.0.0.1#"], 30 * S),
            Running::Knot(knot) => knot.proc.expect(from, &["notify, incoming, remote 127.0.0.1@", "serial 2"], 30 * S),
        };
        assert!(wait_until(30 * S, || serial(self.addr(), ZONE) == Some(2)), "{} did not follow:\n{}", self.daemon(), self.proc().log());
        match self {
            Running::Bind(named) => {
                let line = named.proc.expect(from, &["Transfer completed:", "(serial 2)"], 5 * S);
                // SOA, old SOA, h9 removed, new SOA, `new` added, SOA: an IXFR of the change.
                assert_eq!(completed_counts(&line), (1, 6), "{line}");
                if tsig {
                    named.proc.expect(from, &["received notify for zone 'example.com': TSIG 'xfr-key'"], 5 * S);
                    named.proc.expect(from, &["transferred serial 2: TSIG 'xfr-key'"], 5 * S);
                }
            }
            Running::Knot(knot) => {
                knot.proc.expect(from, &["IXFR, incoming", "finished"], 5 * S);
                assert!(knot.proc.lines_with(from, &["fallback to AXFR"]).is_empty(), "{}", knot.proc.log());
            }
        }
    }

    /// As secondary, at the end: what the peer logged against the NOTIFYs.
    fn check_notify_accepted(&self) {
        match self {
            // Not asserted for BIND: its log lines above name the key.
            Running::Bind(_) => {}
            // With `tsig`, Knot's notify ACL names the key: an unsigned NOTIFY would be denied.
            Running::Knot(knot) => assert!(knot.proc.lines_with(0, &["denied"]).is_empty(), "{}", knot.proc.log()),
        }
    }
}

/// ironbind follows the peer's primary: AXFR, then the peer's own NOTIFY and
/// an IXFR of a change; `tsig` signs transfers and NOTIFY.
fn ironbind_secondary_of(peer: Peer, tsig: bool) {
    require(peer.tools());
    let (pp, sp) = (free_port(), free_port());
    let primary = peer.start_primary(pp, sp, tsig);
    let s = secondary_of(ZONE, pp, sp, tsig);
    assert_eq!(axfr(s.addr, ZONE, false), axfr(primary.addr(), ZONE, tsig));

    // Change the zone on the peer: it NOTIFYs us, we take an IXFR of the change.
    let sl = s.proc.log_len();
    let (txt, gone) = peer.primary_change();
    primary.update(&v_without(2, txt, gone));
    let line = expect_notified_ixfr(&s, sl);
    primary.check_ixfr_out(&line);
    assert_eq!(axfr(s.addr, ZONE, false), axfr(primary.addr(), ZONE, tsig));
    assert_eq!(status(s.addr, &format!("h{gone}.example.com"), "A"), "NXDOMAIN");
    if tsig {
        primary.check_unsigned_refused();
    }
}

/// The peer follows an ironbind primary: loads the zone, then an IXFR after
/// a change NOTIFYed by ironbind; `tsig` signs transfers and NOTIFY.
fn peer_secondary_of_ironbind(peer: Peer, tsig: bool) {
    require(peer.tools());
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

    let sec = peer.start_secondary(np, pp, tsig);
    assert!(wait_until(30 * S, || serial(sec.addr(), ZONE) == Some(1)), "{} did not load the zone:\n{}", peer.daemon(), sec.proc().log());
    assert_eq!(axfr(sec.addr(), ZONE, false), axfr(p.addr, ZONE, tsig));

    let nl = sec.proc().log_len();
    let (new_ip, gone) = peer.secondary_change();
    std::fs::write(&file, v_without(2, &format!("new A {new_ip}\n"), gone)).unwrap();
    p.reload();
    sec.check_notified_ixfr_in(nl, tsig);
    assert_eq!(axfr(sec.addr(), ZONE, false), axfr(p.addr, ZONE, tsig));
    assert_eq!(a(sec.addr(), "new.example.com").as_deref(), Some(new_ip));
    p.proc.expect(0, &["IXFR started (serial 1 -> 2, incremental)"], 5 * S);
    sec.check_notify_accepted();
}

#[test]
fn ironbind_secondary_of_bind_primary() {
    ironbind_secondary_of(Peer::Bind, false);
}

#[test]
fn ironbind_secondary_of_bind_primary_with_tsig() {
    ironbind_secondary_of(Peer::Bind, true);
}

#[test]
fn ironbind_secondary_of_knot_primary() {
    ironbind_secondary_of(Peer::Knot, false);
}

#[test]
fn ironbind_secondary_of_knot_primary_with_tsig() {
    ironbind_secondary_of(Peer::Knot, true);
}

#[test]
fn bind_secondary_of_ironbind_primary() {
    peer_secondary_of_ironbind(Peer::Bind, false);
}

#[test]
fn bind_secondary_of_ironbind_primary_with_tsig() {
    peer_secondary_of_ironbind(Peer::Bind, true);
}

#[test]
fn knot_secondary_of_ironbind_primary() {
    peer_secondary_of_ironbind(Peer::Knot, false);
}

#[test]
fn knot_secondary_of_ironbind_primary_with_tsig() {
    peer_secondary_of_ironbind(Peer::Knot, true);
}
