//! NOTIFY as a spoofer meets it, through the real binary (RFC 1996 §3.10,
//! RFC 8945): a primary configured with a key (`ADDR@KEY`) is believed only
//! when its NOTIFY is signed with that key; `allow_notify` admits other
//! addresses; a flood of NOTIFYs costs at most one SOA query per
//! `notify_refresh_interval_ms` per zone.

mod xfr_common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ironbind::tsig::{Algorithm, ClientSession, Key};
use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const OTHER: &str = "other-key";
const OTHER_SECRET: &str = "b3RoZXIta2V5LXNlY3JldC1mb3ItdGhlLXRlc3RzISE=";

fn key(name: &str, secret: &str) -> Key {
    Key::new(name, Algorithm::HmacSha256, &base64::engine::general_purpose::STANDARD.decode(secret).unwrap()).unwrap()
}

/// Sends `msg` from `from` to `to`; the answer's RCODE.
fn rcode_of(from: &str, to: SocketAddr, msg: &[u8]) -> u8 {
    let s = UdpSocket::bind(from).unwrap();
    s.set_read_timeout(Some(3 * S)).unwrap();
    s.send_to(msg, to).unwrap();
    let mut b = [0u8; 512];
    let n = s.recv(&mut b).expect("an answer");
    assert!(n >= 12 && b[..2] == msg[..2]);
    b[3] & 0x0f
}

fn signed_notify(k: &Key) -> Vec<u8> {
    let mut m = notify_msg(0x4243, ZONE);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    ClientSession::sign_request(k, &mut m, now).unwrap();
    m
}

#[test]
fn keyed_primary_needs_a_signed_notify_and_allow_notify_admits_others() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("ng-p"), tempdir("ng-s"));
    let (pp, sp) = (free_port(), free_port());
    let file = pdir.join("example.com.zone");
    std::fs::write(&file, zone_text(ZONE, 1, (3600, 600, 86_400), 10, "")).unwrap();
    let key_arg = format!("{KEY}=hmac-sha256:{SECRET}");
    let zone_arg = format!("{ZONE}={}", file.display());
    let _p = start_ironbind("primary", pp, &pdir.join("data"), &["--zone", &zone_arg, "--tsig-key", &key_arg, "--allow-transfer-key", KEY]);
    let body = format!("{}allow_notify = [\"127.0.0.3\"]\n", secondary_zone(ZONE, &[format!("127.0.0.1:{pp}@{KEY}")]));
    let cfg = ironbind_config(&sdir, &body);
    let other_arg = format!("{OTHER}=hmac-sha256:{OTHER_SECRET}");
    let s = start_ironbind("secondary", sp, &sdir.join("data"), &["--config", &cfg, "--tsig-key", &key_arg, "--tsig-key", &other_arg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 30 * S);

    // From the primary's address: unsigned, or signed with another key the
    // secondary knows, is refused; signed with the primary's key, accepted.
    let from = s.proc.log_len();
    assert_eq!(rcode_of("127.0.0.1:0", s.addr, &notify_msg(0x4243, ZONE)), 5, "unsigned NOTIFY from a keyed primary");
    s.proc.expect(from, &["refused notify for zone 'example.com'", "must be signed"], 5 * S);
    assert_eq!(rcode_of("127.0.0.1:0", s.addr, &signed_notify(&key(OTHER, OTHER_SECRET))), 5, "signed with the wrong key");
    assert_eq!(rcode_of("127.0.0.1:0", s.addr, &signed_notify(&key(KEY, SECRET))), 0, "signed with the primary's key");
    s.proc.expect(from, &["notify received; refreshing now"], 5 * S);
    // allow_notify admits another address by address; a stranger is refused.
    assert_eq!(send_notify("127.0.0.3:0", s.addr, ZONE), Some(0));
    assert_eq!(send_notify("127.0.0.4:0", s.addr, ZONE), Some(5));
}

#[test]
fn a_notify_flood_costs_one_refresh_per_interval() {
    require(&["dig"]);
    let (pdir, sdir) = (tempdir("nf-p"), tempdir("nf-s"));
    let (pp, sp) = (free_port(), free_port());
    let file = pdir.join("example.com.zone");
    std::fs::write(&file, zone_text(ZONE, 1, (3600, 600, 86_400), 10, "")).unwrap();
    let zone_arg = format!("{ZONE}={}", file.display());
    let _p = start_ironbind("primary", pp, &pdir.join("data"), &["--zone", &zone_arg, "--allow-transfer", "127.0.0.0/8"]);
    // 200 ms between NOTIFY-triggered refreshes.
    let body = format!("[transfer]\nnotify_refresh_interval_ms = 200\n{}", secondary_zone(ZONE, &[format!("127.0.0.1:{pp}")]));
    let cfg = ironbind_config(&sdir, &body);
    let s = start_ironbind("secondary", sp, &sdir.join("data"), &["--config", &cfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 30 * S);

    // A 2-second flood from the primary's address (what a spoofer sends).
    let from = s.proc.log_len();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let started = Instant::now();
    let mut sent = 0u32;
    while started.elapsed() < 2 * S {
        for _ in 0..20 {
            sock.send_to(&notify_msg(sent as u16, ZONE), s.addr).unwrap();
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let flood = started.elapsed();
    std::thread::sleep(S);
    let refreshes = s.proc.lines_with(from, &["notify received; refreshing now"]).len();
    let most = (flood.as_millis() / 200) as usize + 3;
    assert!(sent > 2000, "the flood sent {sent}");
    assert!(refreshes >= 2, "the flood still leads to refreshes ({refreshes})");
    assert!(refreshes <= most, "{sent} NOTIFYs in {flood:?} gave {refreshes} refreshes; at most {most} expected");
    assert_eq!(serial(s.addr, ZONE), Some(1));
}
