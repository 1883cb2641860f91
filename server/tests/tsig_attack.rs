//! TSIG as an attacker meets it, through the real binary (RFC 8945 §5.2).
//!
//! - The truncated-MAC prefix oracle: an UPDATE and an AXFR carrying every
//!   MAC prefix length, once a right prefix and once a wrong one, get replies
//!   byte-identical apart from the ID, and nothing is applied or transferred.
//! - A signed UPDATE replayed within the fudge window is refused (BADTIME)
//!   and applied once.
//! - The full MAC still works (nsupdate, knsupdate, BIND and Knot interop is
//!   in `update.rs` and `xfr_peers.rs`).

mod xfr_common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ironbind::tsig::record::TsigRr;
use ironbind::tsig::{Algorithm, ClientSession, Key};
use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const UPD: &str = "upd-key";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn key() -> Key {
    let secret = base64::engine::general_purpose::STANDARD.decode(SECRET).unwrap();
    Key::new(UPD, Algorithm::HmacSha256, &secret).unwrap()
}

fn name(out: &mut Vec<u8>, dotted: &str) {
    for l in dotted.split('.').filter(|l| !l.is_empty()) {
        out.push(l.len() as u8);
        out.extend_from_slice(l.as_bytes());
    }
    out.push(0);
}

/// An UPDATE of `example.com` adding `evil.example.com A 192.0.2.66`.
fn update_msg(id: u16) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x28, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
    name(&mut m, ZONE);
    m.extend_from_slice(&[0, 6, 0, 1]);
    name(&mut m, "evil.example.com");
    m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 66]);
    m
}

/// An AXFR query for `example.com`.
fn axfr_msg(id: u16) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    name(&mut m, ZONE);
    m.extend_from_slice(&[0, 252, 0, 1]);
    m
}

/// `msg` signed with [`key`] at `t`, its MAC cut to `len` octets, and
/// the last kept octet flipped when `wrong`.
fn signed(mut msg: Vec<u8>, t: u64, len: usize, wrong: bool) -> Vec<u8> {
    let at = msg.len();
    ClientSession::sign_request(&key(), &mut msg, t).unwrap();
    let rr = TsigRr::parse(&msg, at).unwrap();
    let mut mac = rr.mac[..len].to_vec();
    if wrong {
        mac[len - 1] ^= 0xFF;
    }
    let mut rdata = rr.algorithm.as_wire().to_vec();
    rdata.extend_from_slice(&rr.time_signed.to_be_bytes()[2..]);
    rdata.extend_from_slice(&rr.fudge.to_be_bytes());
    rdata.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    rdata.extend_from_slice(&mac);
    rdata.extend_from_slice(&rr.original_id.to_be_bytes());
    rdata.extend_from_slice(&[0, 0, 0, 0]);
    let mut out = msg[..at].to_vec();
    out.extend_from_slice(rr.key_name.as_wire());
    out.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(&rdata);
    out
}

fn udp(addr: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(5 * S)).unwrap();
    s.send_to(msg, addr).unwrap();
    let mut b = vec![0u8; 65_535];
    let n = s.recv(&mut b).expect("a reply");
    b.truncate(n);
    b
}

/// The first message of the TCP reply to `msg`, and whether more followed.
fn tcp(addr: SocketAddr, msg: &[u8]) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(5 * S)).unwrap();
    let mut framed = (msg.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(msg);
    s.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut b = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut b).unwrap();
    // A transfer's next message would follow at once; a refusal is alone.
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let more = s.read(&mut len).map(|n| n > 0).unwrap_or(false);
    (b, more)
}

fn rcode(reply: &[u8]) -> u8 {
    reply[3] & 0x0F
}

/// The reply with its ID zeroed.
fn without_id(mut reply: Vec<u8>) -> Vec<u8> {
    reply[0] = 0;
    reply[1] = 0;
    reply
}

fn primary(dir: &std::path::Path, port: u16) -> Ironbind {
    let file = dir.join("example.com.zone");
    std::fs::write(&file, zone_text(ZONE, 1, (3600, 600, 86_400), 10, "")).unwrap();
    let cfg = ironbind_config(
        dir,
        &format!(
            "[[tsig_key]]\nname = \"{UPD}\"\nsecret = \"{SECRET}\"\n[[zone]]\nname = \"{ZONE}\"\nfile = \"{}\"\n\
             allow_transfer_keys = [\"{UPD}\"]\nnotify_ns = false\nallow_update = [\"{UPD}\"]\n",
            file.display()
        ),
    );
    start_ironbind("primary", port, &dir.join("data"), &["--config", &cfg])
}

#[test]
fn truncated_mac_prefixes_are_no_oracle() {
    require(&["dig"]);
    let dir = tempdir("tsig-oracle");
    let p = primary(&dir, free_port());
    let t = now();
    for len in 1..32 {
        for (what, msg) in [("UPDATE", update_msg(0)), ("AXFR", axfr_msg(0))] {
            let right = udp(p.addr, &signed(msg.clone(), t, len, false));
            let wrong = udp(p.addr, &signed(msg.clone(), t, len, true));
            assert_eq!(without_id(right.clone()), without_id(wrong), "{what} with a {len}-octet MAC: a right prefix must not be told apart");
            // FORMERR below max(10, hash/2) = 16 octets, NOTAUTH (BADTRUNC) from there.
            assert_eq!(rcode(&right), if len < 16 { 1 } else { 9 }, "{what}, {len} octets");
        }
        // Over TCP too, for the transfer: refused, no records follow.
        let (right, more) = tcp(p.addr, &signed(axfr_msg(7), t, len, false));
        let (wrong, _) = tcp(p.addr, &signed(axfr_msg(7), t, len, true));
        assert_eq!(right, wrong, "AXFR over TCP, {len} octets");
        assert!(rcode(&right) != 0 && !more, "AXFR with a {len}-octet MAC is refused");
        assert_eq!(u16::from_be_bytes([right[6], right[7]]), 0, "no answer records");
    }
    assert_eq!(status(p.addr, "evil.example.com", "A"), "NXDOMAIN", "no truncated UPDATE was applied");
    assert_eq!(serial(p.addr, ZONE), Some(1));
    // The full MAC is accepted: the update applies, the AXFR is answered.
    let t = now();
    assert_eq!(rcode(&udp(p.addr, &signed(update_msg(1), t, 32, false))), 0);
    assert_eq!(status(p.addr, "evil.example.com", "A"), "NOERROR");
    let (first, _) = tcp(p.addr, &signed(axfr_msg(2), t, 32, false));
    assert_eq!(rcode(&first), 0);
    assert!(u16::from_be_bytes([first[6], first[7]]) > 0);
}

#[test]
fn replayed_update_is_refused() {
    require(&["dig"]);
    let dir = tempdir("tsig-replay");
    let p = primary(&dir, free_port());
    let msg = signed(update_msg(0x4242), now(), 32, false);
    let first = udp(p.addr, &msg);
    assert_eq!(rcode(&first), 0, "the first use applies");
    assert_eq!(serial(p.addr, ZONE), Some(2));
    let again = udp(p.addr, &msg);
    assert_eq!(rcode(&again), 9, "a replay is NOTAUTH");
    let rr = TsigRr::parse(&again, tsig_at(&again)).unwrap();
    assert_eq!(rr.error, 18, "BADTIME");
    assert_eq!(serial(p.addr, ZONE), Some(2), "applied once");
    p.proc.expect(0, &["replayed TSIG request"], 5 * S);
}

/// Where the TSIG record of a reply starts: after the question and the
/// OPT-free additional section of our error replies (one question, no other
/// records but the TSIG).
fn tsig_at(reply: &[u8]) -> usize {
    let mut p = 12;
    while reply[p] != 0 {
        p += reply[p] as usize + 1;
    }
    p + 5
}
