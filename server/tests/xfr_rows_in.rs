//! Black-box tests of the zone-transfer rows of the RFC checklist
//! (`docs/RFC-ROWS.md`: rows A*, I*, N*, T*, S*) that the other `xfr_*`
//! tests do not prove. Every test runs the real `ironbind` binary on loopback
//! and names the rows it covers; `docs/TRANSFERS.md` maps every row to its
//! test. Messages are built and read here with a small wire codec of our own
//! (and TSIG-signed with `ironbind::tsig::ClientSession`), so the server's
//! exact bytes are checked, not a client's interpretation of them.
//!
//! This file: NOTIFY, timers, TSIG and the secondary side (rows A8, I7, N, T, S); shared helpers in `xfr_rows_common`.

mod xfr_common;
mod xfr_rows_common;

use xfr_rows_common::*;

/// Receives NOTIFYs on `sock` for up to `wait`, answering each with what
/// `reply` says (`None`: stay silent). Returns them.
fn notify_target(sock: &UdpSocket, wait: Duration, mut reply: impl FnMut(usize) -> Option<u16>) -> Vec<Msg> {
    let mut got = Vec::new();
    let end = Instant::now() + wait;
    let mut b = [0u8; 4096];
    while Instant::now() < end {
        sock.set_read_timeout(Some((end - Instant::now()).max(Duration::from_millis(1)))).unwrap();
        let Ok((n, from)) = sock.recv_from(&mut b) else { continue };
        let m = Msg::parse(&b[..n]);
        if let Some(rc) = reply(got.len()) {
            let mut r = b[..n].to_vec();
            r[2] |= 0x80; // QR
            r[3] = (r[3] & 0xF0) | rc as u8;
            sock.send_to(&r, from).unwrap();
        }
        got.push(m);
    }
    got
}

/// N1, N2: the primary NOTIFYs (opcode NOTIFY, AA, QTYPE SOA, the new SOA
/// as a hint) and retransmits until a response arrives; a NOTIMP response
/// ends the exchange too (RFC 1996 §3.12); with no response it gives up
/// after the configured number of transmissions and logs it.
#[test]
fn n2_notify_is_retransmitted_until_answered() {
    let dir = tempdir("n2");
    let target = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tport = target.local_addr().unwrap().port();
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 1, SLOW, 3, ""));
    let cfg = ironbind_config(
        &dir,
        &format!(
            "[transfer]\nnotify_retries = 3\nnotify_timeout_ms = 300\n\n[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\n\
             also_notify = [\"127.0.0.1:{tport}\"]\nnotify_ns = false\n"
        ),
    );
    // Startup NOTIFYs: stay silent twice, answer the third.
    let p = start_ironbind("n2", free_port(), &dir.join("data"), &["--config", &cfg]);
    let got = notify_target(&target, 4 * S, |i| (i == 2).then_some(NOERROR));
    assert_eq!(got.len(), 3, "two retransmissions, then silence once answered");
    for m in &got {
        assert_eq!((m.opcode(), m.qr(), m.aa(), m.qtype, m.qclass), (OP_NOTIFY, false, true, T_SOA, C_IN));
        assert_eq!(m.qname_wire.as_deref(), Some(&wire_name(ZONE)[..]));
        assert_eq!(m.answers().map(|r| r.serial).collect::<Vec<_>>(), [Some(1)], "the SOA hint");
    }

    // A NOTIMP response ends the exchange at once.
    let pl = p.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 2, SLOW, 3, "")).unwrap();
    p.reload();
    let got = notify_target(&target, 3 * S, |_| Some(NOTIMP));
    assert_eq!(got.len(), 1, "no retransmission after NOTIMP");
    assert_eq!(got[0].answers().next().and_then(|r| r.serial), Some(2));
    p.proc.expect(pl, &[&format!("notify response from 127.0.0.1#{tport}: NOTIMP")], 5 * S);

    // Never answered: exactly notify_retries transmissions, then a warning.
    let pl = p.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 3, SLOW, 3, "")).unwrap();
    p.reload();
    let got = notify_target(&target, 5 * S, |_| None);
    assert_eq!(got.len(), 3, "notify_retries = 3");
    p.proc.expect(pl, &[&format!("notify to 127.0.0.1#{tport} failed")], 5 * S);
}

// ─── N3, N5, N6 ───────────────────────────────────────────────────────────

/// Checks an answer to the NOTIFY `q` (RFC 1996 §3.7): QR, same ID, opcode
/// and question (name octets as sent), `rcode`, AA when accepted.
fn check_notify_answer(q: &[u8], m: &Msg, rcode: u16) {
    let asked = Msg::parse(q);
    assert!(m.qr(), "QR");
    assert_eq!(m.id(), asked.id());
    assert_eq!(m.opcode(), OP_NOTIFY);
    assert_eq!((m.qname_wire.as_ref(), m.qtype, m.qclass), (asked.qname_wire.as_ref(), T_SOA, C_IN), "question echoed");
    assert_eq!(m.rcode(), rcode);
    assert_eq!(m.aa(), rcode == NOERROR, "AA on an accepted NOTIFY");
    assert_eq!(m.count(1), 0);
}

/// N3, N5, N6: a secondary answers every NOTIFY with QR=1 and the same ID,
/// opcode and question (AA set), over UDP and over TCP, and acts on it;
/// NOTAUTH for a zone it does not serve, REFUSED for one it is primary for
/// or from an address that is not a primary (logged); a signed NOTIFY is
/// verified and answered signed, a badly signed one gets NOTAUTH/BADSIG.
#[test]
fn n3_n5_n6_notify_answered_over_udp_and_tcp() {
    let dir = tempdir("n3");
    let dead = free_port(); // the primary: nothing listens there
    let net = write_zone(&dir, "example.net.zone", &zone_text("example.net", 1, SLOW, 1, ""));
    let cfg = ironbind_config(
        &dir,
        &format!("{}\n[[zone]]\nname = \"example.net\"\nfile = {net:?}\nnotify_ns = false\n", secondary_zone(ZONE, &[format!("127.0.0.1:{dead}")])),
    );
    let s = start_ironbind("n3", free_port(), &dir.join("data"), &["--config", &cfg, "--tsig-key", &key_arg()]);
    let refreshed = |from: usize| s.proc.expect(from, &["notify received; refreshing now"], 10 * S);
    let refresh_done = |from: usize| s.proc.expect(from, &["refresh failed with every primary"], 20 * S);
    refresh_done(0);

    // UDP, with an SOA hint as BIND and ironbind send it, name in mixed case.
    let sl = s.proc.log_len();
    let q = notify_query(0x3a3a, "ExAmple.COM", Some(7));
    let m = udp_ask("127.0.0.1:0", s.addr, &q).expect("answered over UDP");
    check_notify_answer(&q, &m, NOERROR);
    refreshed(sl);
    refresh_done(sl);

    // TCP (N6).
    let sl = s.proc.log_len();
    let q = notify_query(0x3b3b, ZONE, None);
    check_notify_answer(&q, &tcp_ask(s.addr, &q), NOERROR);
    refreshed(sl);
    refresh_done(sl);

    // N5: a zone not served: NOTAUTH, over both transports.
    let q = notify_query(0x3c3c, "example.org", None);
    check_notify_answer(&q, &udp_ask("127.0.0.1:0", s.addr, &q).unwrap(), NOTAUTH);
    check_notify_answer(&q, &tcp_ask(s.addr, &q), NOTAUTH);
    // A zone we are primary for: REFUSED.
    let q = notify_query(0x3d3d, "example.net", None);
    check_notify_answer(&q, &udp_ask("127.0.0.1:0", s.addr, &q).unwrap(), REFUSED);
    // Not from a primary: REFUSED and logged, no refresh.
    let sl = s.proc.log_len();
    let q = notify_query(0x3e3e, ZONE, None);
    check_notify_answer(&q, &udp_ask("127.0.0.2:0", s.addr, &q).unwrap(), REFUSED);
    s.proc.expect(sl, &["refused notify for zone 'example.com' from non-primary 127.0.0.2#"], 5 * S);
    std::thread::sleep(S);
    assert!(s.proc.lines_with(sl, &["notify received; refreshing now"]).is_empty());

    // Signed: verified, answered signed; a bad MAC: NOTAUTH with BADSIG.
    let mut q = notify_query(0x3f3f, ZONE, Some(7));
    let mut session = sign(&mut q, &xfr_key());
    let m = udp_ask("127.0.0.1:0", s.addr, &q).unwrap();
    check_notify_answer(&q[..], &m, NOERROR);
    session.verify_response(&m.raw, unix_now()).expect("a signed answer");
    let mut q = notify_query(0x4040, ZONE, None);
    sign(&mut q, &Key::from_spec(&format!("{KEY}=hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")).unwrap());
    let m = udp_ask("127.0.0.1:0", s.addr, &q).unwrap();
    assert_eq!((m.id(), m.opcode(), m.rcode()), (0x4040, OP_NOTIFY, NOTAUTH));
    assert_eq!(m.tsig().map(|t| t.error), Some(BADSIG));
}

// ─── T1, T2 ───────────────────────────────────────────────────────────────

/// T1, T2: without any NOTIFY the secondary finds a new serial on its
/// REFRESH timer and transfers it; when the primary's serial goes
/// backwards it does not transfer, keeps its newer copy and logs it (the
/// primary logs the step back too).
#[test]
fn t1_t2_refresh_timer_and_serial_going_backwards() {
    let dir = tempdir("t2p");
    let timers = (2, 2, 3600); // REFRESH 2 s (the floor), RETRY 2 s
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 5, timers, 10, ""));
    let cfg =
        ironbind_config(&dir, &format!("[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.0/8\"]\nnotify_ns = false\n"));
    let p = start_ironbind("t2-primary", free_port(), &dir.join("data"), &["--config", &cfg]);
    let sdir = tempdir("t2s");
    let scfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", p.addr.port())]));
    let s = start_ironbind("t2-secondary", free_port(), &sdir.join("data"), &["--config", &scfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 5)"], 30 * S);

    // T1: a new serial, no NOTIFY sent (no targets): the REFRESH timer finds it.
    let sl = s.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 6, timers, 10, "new A 192.0.2.6\n")).unwrap();
    p.reload();
    s.proc.expect(sl, &["has serial 6, ours 5: transferring"], 30 * S);
    s.proc.expect(sl, &["Transfer completed:", "(serial 6)"], 30 * S);
    assert!(s.proc.lines_with(sl, &["notify received"]).is_empty(), "found by the timer, not a NOTIFY");
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(6)));
    assert_eq!(a(s.addr, "new.example.com").as_deref(), Some("192.0.2.6"));

    // T2: the primary goes back to serial 3: no transfer, logged, newer copy kept.
    let (sl, pl) = (s.proc.log_len(), p.proc.log_len());
    std::fs::write(&file, zone_text(ZONE, 3, timers, 10, "")).unwrap();
    p.reload();
    p.proc.expect(pl, &["serial went backwards (6 -> 3)"], 20 * S);
    let port = p.addr.port();
    s.proc.expect(sl, &[&format!("refresh: serial 3 received from primary 127.0.0.1#{port} < ours (6); not transferring")], 30 * S);
    // Two more refresh rounds: still no transfer.
    let seen = s.proc.lines_with(sl, &["not transferring"]).len();
    assert!(wait_until(30 * S, || s.proc.lines_with(sl, &["not transferring"]).len() >= seen + 2), "{}", s.proc.log());
    assert!(s.proc.lines_with(sl, &["Transfer completed"]).is_empty(), "{}", s.proc.log());
    assert_eq!(serial(s.addr, ZONE), Some(6));
    assert_eq!(a(s.addr, "new.example.com").as_deref(), Some("192.0.2.6"));
}

// ─── S1, S6 ───────────────────────────────────────────────────────────────

/// S1, S6: transfers signed with hmac-sha1, -sha224, -sha256, -sha384 and
/// -sha512 verify with `dig -y`; HMAC-MD5 keys are refused at startup; key
/// names compare case-insensitively (a key configured as `Xfr-Key.Example`,
/// used by dig as `xfr-key.example` and `XFR-KEY.EXAMPLE`, and listed in
/// `--allow-transfer-key` in yet another case).
#[test]
fn s1_s6_algorithms_and_key_name_case() {
    require(&["dig"]);
    let algs = ["hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"];
    let mut args: Vec<String> = Vec::new();
    for alg in algs {
        args.extend(["--tsig-key".into(), format!("k-{alg}={alg}:{SECRET}"), "--allow-transfer-key".into(), format!("k-{alg}")]);
    }
    args.extend(["--tsig-key".into(), format!("Xfr-Key.Example=hmac-sha256:{SECRET}"), "--allow-transfer-key".into(), "xFR-kEY.eXAMPLE.".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (p, _d, file) = primary("s1", &zone_text(ZONE, 1, SLOW, 5, ""), &args);
    let records = 1 + 2 + 5 + 1;
    let check = |y: String| {
        let out = dig(p.addr, &[ZONE, "AXFR", "+stats", "-y", &y]);
        assert!(!out.contains("Couldn't verify") && !out.contains("Transfer failed") && !out.contains("BAD"), "{y}:\n{out}");
        assert!(out.contains(&format!(";; XFR size: {records} records")), "{y}:\n{out}");
    };
    for alg in algs {
        check(format!("{alg}:k-{alg}:{SECRET}"));
    }
    for name in ["xfr-key.example", "XFR-KEY.EXAMPLE", "Xfr-Key.Example"] {
        check(format!("hmac-sha256:{name}:{SECRET}"));
    }
    assert!(axfr(p.addr, ZONE, false).is_empty(), "unsigned transfers are refused");

    // HMAC-MD5: a configuration error, exit status 2.
    let dir = tempdir("s1md5");
    let launch = launch!("s1md5").listen(local(free_port())).data_dir(&dir.join("data")).args([
        "--zone",
        &format!("{ZONE}={}", file.display()),
        "--tsig-key",
        &format!("old=hmac-md5:{SECRET}"),
    ]);
    let mut child = Proc::spawn("s1md5", launch.command());
    let status = child.wait_exit(10 * S).unwrap_or_else(|| panic!("ironbind with an HMAC-MD5 key did not exit"));
    let err = child.log();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("MD5"), "{err}");
}

// ─── S2, S3, S5 ───────────────────────────────────────────────────────────

/// Replaces the MAC of the signed message `m` by its first `len` octets
/// (RFC 8945 §5.2.2.1: a truncated MAC is the leftmost octets).
fn truncate_mac(m: &[u8], len: usize) -> Vec<u8> {
    let parsed = Msg::parse(m);
    let rr = parsed.rrs.last().unwrap();
    let (_, p) = read_name(m, rr.rdata_at);
    let old = be16(m, p + 8) as usize;
    let mut out = m[..p + 8].to_vec();
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&m[p + 10..p + 10 + len]);
    out.extend_from_slice(&m[p + 10 + old..]);
    let rdlen = be16(m, rr.rdata_at - 2) as usize - (old - len);
    out[rr.rdata_at - 2..rr.rdata_at].copy_from_slice(&(rdlen as u16).to_be_bytes());
    out
}

/// S2, S3: a TSIG that is not the last record, or a second TSIG, is
/// FORMERR. An unknown key is NOTAUTH + BADKEY and a wrong MAC NOTAUTH +
/// BADSIG, both unsigned; a clock 1000 s off is NOTAUTH + BADTIME, signed,
/// with the request's time and ours in Other Data; a MAC truncated below
/// half the hash is BADTRUNC (signed), at half it is accepted. Over UDP and
/// over TCP (AXFR goes through its own path), and as `dig -y` reports it.
#[test]
fn s2_s3_tsig_placement_and_errors() {
    require(&["dig"]);
    let (p, _d, _f) = primary("s3", &zone_text(ZONE, 1, SLOW, 3, ""), &["--tsig-key", &key_arg(), "--allow-transfer-key", KEY]);
    let key = xfr_key();

    // S2: TSIG not last / twice.
    let mut q = query(0x5201, ZONE, T_SOA);
    sign(&mut q, &key);
    let mut after = q.clone();
    push_rr(&mut after, "x.example.com", T_A, C_IN, 0, &[192, 0, 2, 1]);
    bump(&mut after, 3);
    let mut twice = q.clone();
    let tsig_rr = {
        let m = Msg::parse(&q);
        let rr = m.rrs.last().unwrap().clone();
        q[rr.rdata_at - 10 - wire_name(&rr.owner).len()..].to_vec()
    };
    twice.extend_from_slice(&tsig_rr);
    bump(&mut twice, 3);
    for bad in [&after, &twice] {
        let m = udp_ask("127.0.0.1:0", p.addr, bad).expect("answered");
        assert_eq!((m.id(), m.rcode(), m.count(1)), (0x5201, FORMERR, 0));
    }
    let m = udp_ask("127.0.0.1:0", p.addr, &q).unwrap();
    assert_eq!(m.rcode(), NOERROR, "the well-formed one is fine");

    // S3 over UDP (SOA query) and TCP (AXFR).
    let unknown = Key::from_spec(&format!("nobody=hmac-sha256:{SECRET}")).unwrap();
    let wrong = Key::from_spec(&format!("{KEY}=hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")).unwrap();
    let now = unix_now();
    let ask = |q: &[u8], tcp: bool| if tcp { tcp_ask(p.addr, q) } else { udp_ask("127.0.0.1:0", p.addr, q).unwrap() };
    for tcp in [false, true] {
        let qtype = if tcp { T_AXFR } else { T_SOA };
        for (k, at, err) in [(&unknown, now, BADKEY), (&wrong, now, BADSIG), (&key, now - 1000, BADTIME)] {
            let mut q = query(0x5300 + err, ZONE, qtype);
            let mut session = sign_at(&mut q, k, at);
            let m = ask(&q, tcp);
            assert_eq!((m.id(), m.rcode(), m.count(1)), (0x5300 + err, NOTAUTH, 0), "tcp {tcp}, error {err}");
            let t = m.tsig().expect("a TSIG in the error answer");
            assert_eq!(t.error, err);
            let r = session.verify_response(&m.raw, unix_now());
            if err == BADTIME {
                assert_eq!(t.mac.len(), 32, "BADTIME is signed");
                assert_eq!(t.time_signed, at, "Time Signed echoes the request");
                assert_eq!(t.other.len(), 6, "Other Data: our clock");
                let ours = t.other.iter().fold(0u64, |a, b| a << 8 | u64::from(*b));
                assert!(ours.abs_diff(unix_now()) <= 5, "server time {ours}");
                assert_eq!(r, Err(TsigError::PeerError { error: BADTIME, authenticated: true }));
            } else {
                assert!(t.mac.is_empty(), "BADKEY/BADSIG are unsigned");
                assert_eq!(r, Err(TsigError::PeerError { error: err, authenticated: false }));
            }
        }
        // Truncated MACs (the key's policy is the full hash, as BIND's and
        // Knot's): 16 of 32 octets is BADTRUNC, unsigned and never verified;
        // 12, below max(10, hash/2), FORMERR without a TSIG (RFC 8945 §5.2.2.1).
        let mut q = query(0x5400, ZONE, qtype);
        sign(&mut q, &key);
        let m = ask(&truncate_mac(&q, 16), tcp);
        assert_eq!(m.rcode(), NOTAUTH, "tcp {tcp}: truncated below policy");
        let t = m.tsig().unwrap();
        assert_eq!((t.error, t.mac.len()), (BADTRUNC, 0), "BADTRUNC is unsigned");
        let m = ask(&truncate_mac(&q, 12), tcp);
        assert_eq!(m.rcode(), FORMERR);
        assert!(m.tsig().is_none(), "FORMERR carries no TSIG");
    }

    // As dig shows it.
    let out = dig(p.addr, &[ZONE, "SOA", "-y", &format!("hmac-sha256:nobody:{SECRET}")]);
    assert!(out.contains("status: NOTAUTH") && out.contains("BADKEY"), "{out}");
    let out = dig(p.addr, &[ZONE, "SOA", "-y", "hmac-sha256:xfr-key:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"]);
    assert!(out.contains("status: NOTAUTH") && out.contains("BADSIG"), "{out}");
    let out = dig(p.addr, &[ZONE, "AXFR", "-y", &format!("hmac-sha256:nobody:{SECRET}")]);
    assert!(out.contains("BADKEY") && out.contains("Transfer failed"), "{out}");
}

/// S5: a signed answer that does not fit the client's UDP size is sent as
/// the question and the TSIG (plus OPT) with TC=1 and NOERROR (RFC 8945
/// §5.3), and still verifies, also when part of the answer (a CNAME) would
/// have fit; over TCP the same query gets everything.
#[test]
fn s5_signed_answer_too_big_for_udp_is_question_and_tsig_with_tc() {
    require(&["dig"]);
    let big: String = (0..20).map(|i| format!("big TXT \"{}\" \"{i}\"\n", "x".repeat(200))).collect();
    let (p, _d, _f) = primary("s5", &zone_text(ZONE, 1, SLOW, 2, &format!("{big}c CNAME big\n")), &["--tsig-key", &key_arg()]);
    let key = xfr_key();
    for name in ["big.example.com", "c.example.com"] {
        let mut q = with_edns(query(0x5500, name, T_TXT), 512);
        let mut session = sign(&mut q, &key);
        let m = udp_ask("127.0.0.1:0", p.addr, &q).expect("answered");
        assert!(m.raw.len() <= 512, "{name}: {} octets", m.raw.len());
        assert!(m.tc(), "{name}: TC");
        assert_eq!((m.rcode(), m.count(0), m.count(1), m.count(2)), (NOERROR, 1, 0, 0), "{name}: only the question");
        assert_eq!(m.rrs.iter().map(|r| r.rtype).collect::<Vec<_>>(), [T_OPT, T_TSIG], "{name}");
        session.verify_response(&m.raw, unix_now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Over TCP: the whole answer, signed.
        let mut q = with_edns(query(0x5501, name, T_TXT), 512);
        let mut session = sign(&mut q, &key);
        let m = tcp_ask(p.addr, &q);
        assert!(!m.tc());
        assert!(m.answers().filter(|r| r.rtype == T_TXT).count() == 20, "{name}");
        session.verify_response(&m.raw, unix_now()).unwrap();
    }
    // Unsigned, the truncated answer keeps what fits (RFC 2181 §9), as before.
    let m = udp_ask("127.0.0.1:0", p.addr, &with_edns(query(0x5502, "c.example.com", T_TXT), 512)).unwrap();
    assert!(m.tc());
    assert_eq!(m.answers().map(|r| r.rtype).collect::<Vec<_>>(), [5], "the CNAME");
    // dig -y with a small buffer verifies it.
    let out = dig(p.addr, &["c.example.com", "TXT", "+bufsize=512", "+ignore", "-y", &format!("hmac-sha256:{KEY}:{SECRET}")]);
    assert!(out.contains(" tc") && out.contains("ANSWER: 0,") && !out.contains("Couldn't verify"), "{out}");
}

// ─── A8, I7: a scripted primary ──────────────────────────────────────────

/// How the scripted primary answers an IXFR.
#[derive(Debug, Clone, Copy, PartialEq)]
enum IxfrMode {
    /// RCODE NOTIMP.
    NotImp,
    /// A difference sequence that deletes a record the client does not have.
    BadHistory,
    /// Correct differences, one record per message.
    Incremental,
    /// The whole zone AXFR-style.
    Full,
}

/// How the scripted primary answers an AXFR.
#[derive(Debug, Clone, Copy, PartialEq)]
enum AxfrMode {
    /// The zone in several messages, with an out-of-zone and a CH-class record mixed in.
    Good,
    /// Ends with an SOA whose serial differs from the first, then closes.
    EndSerialDiffers,
}

struct Script {
    serial: u32,
    ixfr: IxfrMode,
    axfr: AxfrMode,
    /// Requests received over TCP: `AXFR`, `IXFR <client serial>`.
    seen: Vec<String>,
}

type Rec = (String, u16, u16, Vec<u8>);

fn soa_rec(serial: u32) -> Rec {
    (ZONE.into(), T_SOA, C_IN, soa_rdata(serial))
}

fn txt(s: &str) -> Vec<u8> {
    let mut r = vec![s.len() as u8];
    r.extend_from_slice(s.as_bytes());
    r
}

/// The scripted zone at `serial`: NS, glue, 30 hosts and `ver TXT "v<serial>"`.
fn scripted_zone(serial: u32) -> Vec<Rec> {
    let mut v = vec![(ZONE.into(), T_NS, C_IN, wire_name("ns1.example.com")), ("ns1.example.com".into(), T_A, C_IN, vec![192, 0, 2, 1])];
    for i in 0..30u8 {
        v.push((format!("h{i}.example.com"), T_A, C_IN, vec![10, 0, 0, i]));
    }
    v.push(("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{serial}"))));
    v
}

/// An answer message: QR, AA, `rcode`, the question when given, `recs` in the answer section.
fn answer_msg(id: u16, question: Option<(&[u8], u16)>, rcode: u16, recs: &[Rec]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&(0x8400 | rcode).to_be_bytes());
    m.extend_from_slice(&[0, question.is_some() as u8]);
    m.extend_from_slice(&(recs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    if let Some((name, t)) = question {
        m.extend_from_slice(name);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&C_IN.to_be_bytes());
    }
    for (owner, t, class, rdata) in recs {
        push_rr(&mut m, owner, *t, *class, 300, rdata);
    }
    m
}

/// A primary whose answers the test scripts, on a loopback port (UDP for
/// SOA queries, TCP for transfers).
struct FakePrimary {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl FakePrimary {
    fn start(serial: u32) -> FakePrimary {
        let script = Arc::new(Mutex::new(Script { serial, ixfr: IxfrMode::Incremental, axfr: AxfrMode::Good, seen: Vec::new() }));
        let (su, st) = (script.clone(), script.clone());
        let server = LoopbackServer::start(
            move |b| {
                let q = Msg::parse(b);
                let serial = su.lock().unwrap().serial;
                let recs = if q.qtype == T_SOA { vec![soa_rec(serial)] } else { vec![] };
                Some(answer_msg(q.id(), Some((q.qname_wire.as_deref().unwrap(), q.qtype)), NOERROR, &recs))
            },
            move |conn| Self::serve(conn, &st),
        );
        FakePrimary { addr: server.addr, script }
    }

    fn set(&self, serial: u32, ixfr: IxfrMode, axfr: AxfrMode) {
        let mut s = self.script.lock().unwrap();
        (s.serial, s.ixfr, s.axfr) = (serial, ixfr, axfr);
    }

    fn seen(&self) -> Vec<String> {
        self.script.lock().unwrap().seen.clone()
    }

    /// Answers one transfer request, then closes the connection.
    fn serve(mut conn: TcpStream, script: &Mutex<Script>) {
        conn.set_read_timeout(Some(10 * S)).unwrap();
        let q = Msg::parse(&tcp_read(&mut conn));
        let (serial, ixfr, axfr) = {
            let mut s = script.lock().unwrap();
            let client = q.rrs.iter().find(|r| r.section == 2).and_then(|r| r.serial);
            s.seen.push(match (q.qtype, client) {
                (T_IXFR, Some(c)) => format!("IXFR {c}"),
                _ => "AXFR".into(),
            });
            (s.serial, s.ixfr, s.axfr)
        };
        let qn = q.qname_wire.clone().unwrap();
        let question = Some((&qn[..], q.qtype));
        let zone = |s: u32| std::iter::once(soa_rec(s)).chain(scripted_zone(s)).chain(std::iter::once(soa_rec(s))).collect::<Vec<_>>();
        let messages: Vec<Vec<u8>> = match (q.qtype, ixfr) {
            (T_IXFR, IxfrMode::NotImp) => vec![answer_msg(q.id(), question, NOTIMP, &[])],
            (T_IXFR, IxfrMode::BadHistory) => {
                let client = q.rrs.iter().find(|r| r.section == 2).and_then(|r| r.serial).unwrap();
                let recs = vec![
                    soa_rec(serial),
                    soa_rec(client),
                    ("gone.example.com".into(), T_A, C_IN, vec![192, 0, 2, 99]),
                    soa_rec(serial),
                    ("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{serial}"))),
                    soa_rec(serial),
                ];
                vec![answer_msg(q.id(), question, NOERROR, &recs)]
            }
            (T_IXFR, IxfrMode::Incremental) => {
                let client = q.rrs.iter().find(|r| r.section == 2).and_then(|r| r.serial).unwrap();
                let mut recs = vec![soa_rec(serial)];
                for v in client..serial {
                    recs.push(soa_rec(v));
                    recs.push(("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{v}"))));
                    recs.push(soa_rec(v + 1));
                    recs.push(("ver.example.com".into(), T_TXT, C_IN, txt(&format!("v{}", v + 1))));
                }
                recs.push(soa_rec(serial));
                let mut msgs = vec![answer_msg(q.id(), question, NOERROR, &recs[..2])];
                msgs.extend(recs[2..].iter().map(|r| answer_msg(q.id(), None, NOERROR, std::slice::from_ref(r))));
                msgs
            }
            (T_IXFR, IxfrMode::Full) => {
                let z = zone(serial);
                vec![answer_msg(q.id(), question, NOERROR, &z[..10]), answer_msg(q.id(), None, NOERROR, &z[10..])]
            }
            _ => match axfr {
                AxfrMode::Good => {
                    let mut z = zone(serial);
                    // Junk the secondary must ignore (A8): out of zone, and not class IN.
                    z.insert(5, ("evil.example.org".into(), T_A, C_IN, vec![6, 6, 6, 6]));
                    z.insert(9, ("chaos.example.com".into(), T_TXT, C_CH, txt("ch")));
                    let mut msgs = vec![answer_msg(q.id(), question, NOERROR, &z[..12])];
                    msgs.extend(z[12..].chunks(10).map(|c| answer_msg(q.id(), None, NOERROR, c)));
                    msgs
                }
                AxfrMode::EndSerialDiffers => {
                    let mut z = zone(serial);
                    *z.last_mut().unwrap() = soa_rec(serial + 1);
                    vec![answer_msg(q.id(), question, NOERROR, &z[..12]), answer_msg(q.id(), None, NOERROR, &z[12..])]
                }
            },
        };
        for m in messages {
            if conn.write_all(&framed(&m)).is_err() {
                return; // the client stopped reading
            }
        }
        let _ = conn.shutdown(std::net::Shutdown::Write);
        // Let the client read everything before the socket goes away.
        let mut sink = [0u8; 512];
        let _ = conn.read(&mut sink);
    }
}

/// A8, I7: ironbind as the secondary of a scripted primary. It takes a
/// multi-message AXFR, ignoring an out-of-zone and a non-IN record; an IXFR
/// answered NOTIMP, or with a history that does not apply, falls back to
/// AXFR from the same primary; an AXFR whose closing SOA serial differs
/// from the opening one is rejected and the served version is untouched
/// (atomic), with a retry scheduled; a multi-message incremental IXFR of
/// two versions and an IXFR answered AXFR-style are both applied.
#[test]
fn a8_i7_secondary_against_a_scripted_primary() {
    require(&["dig"]);
    let fake = FakePrimary::start(1);
    let sdir = tempdir("a8");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", fake.addr.port())]));
    let s = start_ironbind("a8-secondary", free_port(), &sdir.join("data"), &["--config", &cfg]);
    let ver = || dig(s.addr, &["ver.example.com", "TXT", "+short"]).trim().to_string();
    // "Transfer completed" is logged when the version is built; it is published just after.
    let published = |n: u32| assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(n)), "serial {n} not served:\n{}", s.proc.log());
    let from = format!("transfer of 'example.com/IN' from 127.0.0.1#{}", fake.addr.port());

    // A8: a multi-message AXFR with junk in it.
    let line = s.proc.expect(0, &[&from, "Transfer completed:", "(serial 1)"], 30 * S);
    assert!(line.contains("op=\"axfr\""), "{line}");
    assert_eq!(completed_counts(&line).0, 4, "{line}");
    published(1);
    assert_eq!(ver(), "\"v1\"");
    let served = axfr(s.addr, ZONE, false);
    assert_eq!(served.len(), 1 + 2 + 30 + 1, "{served:#?}");
    assert!(!served.iter().any(|l| l.contains("evil") || l.contains("chaos")), "{served:#?}");
    assert_eq!(status(s.addr, "evil.example.org", "A"), "REFUSED", "out-of-zone data is not served");
    assert_eq!(status(s.addr, "chaos.example.com", "TXT"), "NXDOMAIN");

    let step = |serial: u32, ixfr: IxfrMode, axfr_mode: AxfrMode| {
        fake.set(serial, ixfr, axfr_mode);
        let sl = s.proc.log_len();
        assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
        sl
    };

    // I7: IXFR answered NOTIMP → AXFR.
    let sl = step(2, IxfrMode::NotImp, AxfrMode::Good);
    s.proc.expect(sl, &[&from, "IXFR failed", "NOTIMP", "falling back to AXFR"], 20 * S);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 2)"], 20 * S);
    assert!(line.contains("op=\"axfr\""), "{line}");
    published(2);
    assert_eq!(ver(), "\"v2\"");

    // I7: an IXFR whose history does not apply → AXFR.
    let sl = step(3, IxfrMode::BadHistory, AxfrMode::Good);
    s.proc.expect(sl, &[&from, "IXFR failed", "inconsistent history", "falling back to AXFR"], 20 * S);
    s.proc.expect(sl, &["Transfer completed:", "(serial 3)"], 20 * S);
    published(3);
    assert_eq!(ver(), "\"v3\"");
    assert_eq!(status(s.addr, "gone.example.com", "A"), "NXDOMAIN");
    let v3 = axfr(s.addr, ZONE, false);

    // A8: start and end SOA differ → rejected; v3 stays served, a retry is scheduled.
    let sl = step(5, IxfrMode::NotImp, AxfrMode::EndSerialDiffers);
    s.proc.expect(sl, &["refresh failed with every primary; retrying in"], 30 * S);
    assert!(s.proc.lines_with(sl, &["Transfer completed"]).is_empty(), "{}", s.proc.log());
    assert_eq!(serial(s.addr, ZONE), Some(3));
    assert_eq!(axfr(s.addr, ZONE, false), v3, "the served version is untouched");

    // I3/I7: a multi-message incremental IXFR over two versions (3 → 4 → 5).
    let sl = step(5, IxfrMode::Incremental, AxfrMode::Good);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 5)"], 20 * S);
    assert!(line.contains("op=\"ixfr\""), "{line}");
    assert_eq!(completed_counts(&line), (9, 10), "{line}");
    published(5);
    assert_eq!(ver(), "\"v5\"");

    // I7: an IXFR answered AXFR-style is taken as the whole zone.
    let sl = step(6, IxfrMode::Full, AxfrMode::Good);
    let line = s.proc.expect(sl, &["Transfer completed:", "(serial 6)"], 20 * S);
    assert!(line.contains("op=\"ixfr\""), "{line}");
    published(6);
    assert_eq!(ver(), "\"v6\"");
    assert_eq!(axfr(s.addr, ZONE, false).len(), 1 + 2 + 30 + 1);

    assert_eq!(fake.seen(), ["AXFR", "IXFR 1", "AXFR", "IXFR 2", "AXFR", "IXFR 3", "AXFR", "IXFR 3", "IXFR 5"]);
}

// ─── T1 × I5: an expired zone ─────────────────────────────────────────────

/// T1, I5: once a secondary zone has expired it answers SERVFAIL for the
/// zone everywhere: queries, AXFR and IXFR over TCP, and IXFR over UDP
/// (which must not hand out the stale SOA as if it were current).
#[test]
fn t1_i5_expired_zone_is_servfail_for_transfers_and_ixfr_over_udp() {
    let pdir = tempdir("exp-p");
    let file = write_zone(&pdir, "example.com.zone", &zone_text(ZONE, 4, (1, 1, 3), 3, ""));
    let zone_arg = format!("{ZONE}={file}");
    let mut p = start_ironbind("exp-primary", free_port(), &pdir.join("data"), &["--zone", &zone_arg, "--allow-transfer", "127.0.0.0/8"]);
    let sdir = tempdir("exp-s");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", p.addr.port())]));
    let s = start_ironbind("exp-secondary", free_port(), &sdir.join("data"), &["--config", &cfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 4)"], 30 * S);
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(4)));
    let m = udp_ask("127.0.0.1:0", s.addr, &ixfr_query(1, ZONE, 1)).unwrap();
    assert_eq!((m.rcode(), m.answers().next().and_then(|r| r.serial)), (NOERROR, Some(4)), "before expiry");

    p.proc.kill9();
    s.proc.expect(0, &["zone example.com/IN: expired"], 30 * S);
    assert_eq!(status(s.addr, ZONE, "SOA"), "SERVFAIL");
    for q in [query(2, ZONE, T_AXFR), ixfr_query(3, ZONE, 1)] {
        let r = xfr(s.addr, None, &q);
        assert_eq!((r.msgs.len(), r.msgs[0].rcode(), r.records), (1, SERVFAIL, 0), "TCP qtype {}", r.msgs[0].qtype);
    }
    let m = udp_ask("127.0.0.1:0", s.addr, &ixfr_query(4, ZONE, 1)).unwrap();
    assert_eq!((m.rcode(), m.count(1)), (SERVFAIL, 0), "IXFR over UDP to an expired zone");
}

// ─── T4 ───────────────────────────────────────────────────────────────────

/// T4: a primary given as a table with `source` is reached from that local
/// address: a primary that allows transfers only to 127.0.0.3 refuses the
/// secondary without it and serves it with `source = "127.0.0.3"`.
#[test]
fn t4_transfer_source_address_per_primary() {
    let dir = tempdir("t4p");
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 7, SLOW, 3, ""));
    let cfg =
        ironbind_config(&dir, &format!("[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.3/32\"]\nnotify_ns = false\n"));
    let p = start_ironbind("t4-primary", free_port(), &dir.join("data"), &["--config", &cfg]);
    let port = p.addr.port();

    // Without a source the secondary connects from 127.0.0.1: refused.
    let sdir = tempdir("t4s-plain");
    let scfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{port}")]));
    let plain = start_ironbind("t4-plain", free_port(), &sdir.join("data"), &["--config", &scfg]);
    plain.proc.expect(0, &["transfer of 'example.com/IN'", "REFUSED"], 30 * S);
    assert_eq!(serial(plain.addr, ZONE), None);

    // With source 127.0.0.3 the transfer is allowed.
    let sdir = tempdir("t4s-src");
    let zone =
        format!("[[zone]]\nname = \"{ZONE}\"\ntype = \"secondary\"\nprimaries = [{{ address = \"127.0.0.1:{port}\", source = \"127.0.0.3\" }}]\n");
    let scfg = ironbind_config(&sdir, &zone);
    let s = start_ironbind("t4-source", free_port(), &sdir.join("data"), &["--config", &scfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 7)"], 30 * S);
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(7)));
}

/// The EXPIRE value `dig +expire` prints, if any (RFC 7314).
fn edns_expire(addr: std::net::SocketAddr, expire: bool) -> Option<u64> {
    let flag = if expire { "+expire" } else { "+noexpire" };
    let out = std::process::Command::new("dig")
        .args([&format!("@{}", addr.ip()), "-p", &addr.port().to_string(), "+norec", flag, ZONE, "SOA"])
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix("; EXPIRE: ")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[test]
fn t5_edns_expire_option() {
    require(&["dig"]);
    let dir = tempdir("t5p");
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 3, (3600, 600, 86400), 3, ""));
    let cfg =
        ironbind_config(&dir, &format!("[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.0/8\"]\nnotify_ns = false\n"));
    let p = start_ironbind("t5-primary", free_port(), &dir.join("data"), &["--config", &cfg]);
    // A primary answers with its SOA EXPIRE; only when asked.
    assert_eq!(edns_expire(p.addr, true), Some(86400));
    assert_eq!(edns_expire(p.addr, false), None);

    // A secondary answers with the seconds left until its zone expires.
    let sdir = tempdir("t5s");
    let scfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}", p.addr.port())]));
    let s = start_ironbind("t5-secondary", free_port(), &sdir.join("data"), &["--config", &scfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 3)"], 30 * S);
    let left = wait_until(10 * S, || edns_expire(s.addr, true).is_some_and(|v| v < 86400));
    assert!(left, "secondary EXPIRE: {:?}", edns_expire(s.addr, true));
    assert!(edns_expire(s.addr, true).is_some_and(|v| v > 86400 - 60));
}
