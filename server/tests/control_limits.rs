//! The control API's connection cap and timeouts through the real binary
//! (`[control] max_connections = 4`, `idle_timeout_ms = 2000`): a fifth
//! connection is closed unanswered while four are open; idle, keep-alive
//! and slowloris connections are closed after the idle timeout, which frees
//! their places; a stalled body gets 408 and changes nothing, while a body
//! sent in pieces with short pauses is taken; an unauthenticated PUT gets
//! 401 without its body being waited for.

mod control_common;
mod xfr_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use control_common::*;

const IDLE: Duration = Duration::from_millis(2000);

fn start_capped() -> Server {
    let dir = tempdir("ctl-limits-cfg");
    let cfg = ironbind_config(&dir, "[control]\nmax_connections = 4\nidle_timeout_ms = 2000\n");
    start("ctl-limits", &["--config", &cfg])
}

fn connect(s: &Server) -> TcpStream {
    let c = TcpStream::connect(s.api.addr).unwrap();
    c.set_read_timeout(Some(20 * S)).unwrap();
    c
}

/// Reads until the server closes: what came, and how long it took.
fn until_closed(c: &mut TcpStream) -> (String, Duration) {
    let t = Instant::now();
    let mut got = Vec::new();
    match c.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server did not close the connection: {e} (got {:?})", String::from_utf8_lossy(&got)),
    }
    (String::from_utf8_lossy(&got).into_owned(), t.elapsed())
}

fn status_of(reply: &str) -> Option<u16> {
    reply.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[test]
fn connections_are_capped_and_slow_clients_cut_off() {
    let s = start_capped();
    assert_eq!(s.api.call_as(None, "GET", "/healthz", None).status, 200);

    // Four connections take every place: two silent, one keep-alive that
    // got its answer, one slowloris dripping a header that never ends.
    let opened = Instant::now();
    let (mut silent1, mut silent2) = (connect(&s), connect(&s));
    let mut kept = connect(&s);
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let mut drip = connect(&s);
    drip.write_all(b"GET /healthz HTTP/1.1\r\nX-Pad: ").unwrap();
    let mut dripper = drip.try_clone().unwrap();
    let dripping = std::thread::spawn(move || {
        let mut sent = 0;
        while dripper.write_all(b"a").is_ok() && sent < 200 {
            sent += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        sent
    });

    // A fifth: accepted by the kernel, closed by the server, no answer.
    let mut fifth = connect(&s);
    let _ = fifth.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (reply, _) = until_closed(&mut fifth);
    assert!(opened.elapsed() < IDLE, "the test was too slow to see the cap ({:?})", opened.elapsed());
    assert!(reply.is_empty(), "over the cap, yet answered: {reply:?}");

    // Each of the four is closed after about the idle timeout, whatever it sends.
    for (what, c) in [("silent", &mut silent1), ("silent", &mut silent2), ("keep-alive", &mut kept), ("slowloris", &mut drip)] {
        let (_, waited) = until_closed(c);
        let open_for = opened.elapsed();
        assert!(open_for >= IDLE - Duration::from_millis(300), "{what}: closed after {open_for:?}, before the idle timeout");
        assert!(waited < 4 * IDLE, "{what}: closed only after {open_for:?}");
    }
    let drips = dripping.join().unwrap();
    assert!(drips < 200, "the slowloris kept its connection for {drips} drips");
    // Their places are free again.
    assert!(wait_until(5 * S, || s.api.call_as(None, "GET", "/healthz", None).status == 200));

    // A body that stalls: 408, nothing created.
    let body = primary("192.0.2.1", &[], &[]).to_string();
    let head = |token: &str| {
        format!("PUT /v1/zones/example.org HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len())
    };
    let mut stall = connect(&s);
    stall.write_all(head(TOKEN).as_bytes()).unwrap();
    stall.write_all(&body.as_bytes()[..body.len() / 2]).unwrap();
    let (reply, waited) = until_closed(&mut stall);
    assert_eq!(status_of(&reply), Some(408), "{reply}");
    assert!(waited >= IDLE - Duration::from_millis(300) && waited < 4 * IDLE, "408 after {waited:?}");
    assert_eq!(s.api.call("GET", "/v1/zones/example.org", None).status, 404);

    // Without the token, no wait for the body: 401 at once.
    let mut anon = connect(&s);
    anon.write_all(head("wrong").as_bytes()).unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 12];
    anon.read_exact(&mut buf).unwrap();
    assert_eq!((&buf, t.elapsed() < IDLE), (b"HTTP/1.1 401", true), "{:?}", t.elapsed());

    // The same body in pieces with pauses shorter than the timeout is taken.
    let mut slow = connect(&s);
    let req = format!("{}{body}", head(TOKEN)).replace("HTTP/1.1\r\nHost: x", "HTTP/1.1\r\nConnection: close\r\nHost: x");
    for piece in req.as_bytes().chunks(req.len() / 4 + 1) {
        slow.write_all(piece).unwrap();
        std::thread::sleep(IDLE / 4);
    }
    let (reply, _) = until_closed(&mut slow);
    assert_eq!(status_of(&reply), Some(201), "{reply}");
    assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.1"));
}
