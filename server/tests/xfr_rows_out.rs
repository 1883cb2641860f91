//! Black-box tests of the zone-transfer rows of the RFC checklist
//! (`docs/RFC-ROWS.md`: rows A*, I*, N*, T*, S*) that the other `xfr_*`
//! tests do not prove. Every test runs the real `ironbind` binary on loopback
//! and names the rows it covers; `docs/TRANSFERS.md` maps every row to its
//! test. Messages are built and read here with a small wire codec of our own
//! (and TSIG-signed with `ironbind::tsig::ClientSession`), so the server's
//! exact bytes are checked, not a client's interpretation of them.
//!
//! This file: transfers out (rows A1–A7, I2–I5); shared helpers in `xfr_rows_common`.

mod xfr_common;
mod xfr_rows_common;

use xfr_rows_common::*;

/// A1: AXFR over UDP is answered NOTIMP, never with the zone, whoever asks
/// and however (plain, EDNS, TSIG-signed). `dig +notcp AXFR` cannot probe
/// this: dig 9.18 sends AXFR over TCP whatever +notcp says (`kdig +notcp`
/// does use UDP and reports NOTIMP), so the query is sent by hand.
#[test]
fn a1_axfr_over_udp_is_notimp_never_the_zone() {
    let (p, _d, _f) =
        primary("a1", &zone_text(ZONE, 1, SLOW, 5, ""), &["--allow-transfer", "127.0.0.0/8", "--tsig-key", &key_arg(), "--allow-transfer-key", KEY]);
    let plain = query(0x0a01, ZONE, T_AXFR);
    let edns = with_edns(query(0x0a02, ZONE, T_AXFR), 4096);
    let mut signed = query(0x0a03, ZONE, T_AXFR);
    let mut session = sign(&mut signed, &xfr_key());
    for q in [&plain, &edns, &signed] {
        let m = udp_ask("127.0.0.1:0", p.addr, q).expect("an answer over UDP");
        assert_eq!(m.id(), be16(q, 0));
        assert!(m.qr());
        assert!(matches!(m.rcode(), NOTIMP | REFUSED | FORMERR), "rcode {}", m.rcode());
        assert_eq!(m.rcode(), NOTIMP, "ironbind answers NOTIMP");
        assert_eq!((m.count(1), m.count(2)), (0, 0), "never the zone");
        assert!(!m.rrs.iter().any(|r| r.is_soa()));
        assert!(!m.tc(), "no TC either: a retry over TCP is the client's decision");
    }
    // The signed one is answered signed.
    let m = udp_ask("127.0.0.1:0", p.addr, &signed).unwrap();
    session.verify_response(&m.raw, unix_now()).expect("the NOTIMP answer is signed");
    // Over TCP the same client gets the zone.
    let r = xfr(p.addr, None, &plain);
    assert_eq!(r.records, 1 + 2 + 5 + 1);
}

// ─── A2, A3, A7, S4 ───────────────────────────────────────────────────────

/// A2, A3, A7, S4: a 100 000-host zone is sent as many messages, each at
/// most 65535 octets with TC never set, the SOA first and last and nowhere
/// else; the question is echoed (case preserved) in the first message only.
/// `dig AXFR` and `dig -y` AXFR read the same record and message counts;
/// signed, every message carries a TSIG chained to the previous one, which
/// both `dig -y` and our client verify; an ironbind secondary using the key
/// takes the multi-message signed stream.
#[test]
fn a2_a3_a7_s4_large_zone_streams_in_many_signed_messages() {
    require(&["dig"]);
    const HOSTS: usize = 100_000;
    let key = key_arg();
    let (p, _d, _f) = primary("a2", &zone_text(ZONE, 7, SLOW, HOSTS, ""), &["--allow-transfer", "127.0.0.0/8", "--tsig-key", &key]);
    let total = 1 + 2 + HOSTS + 1; // SOA, NS, ns1 A, hosts, SOA

    let q = query(0xa2a2, "ExAmPle.CoM", T_AXFR);
    let r = xfr(p.addr, None, &q);
    check_stream(&r, 0xa2a2);
    assert!(r.msgs.len() >= 30, "{} messages for {total} records", r.msgs.len());
    let first = &r.msgs[0];
    assert_eq!(first.qname_wire.as_deref(), Some(&wire_name("ExAmPle.CoM")[..]), "question echoed as sent");
    assert_eq!((first.qtype, first.qclass), (T_AXFR, C_IN));
    let all = r.answers();
    assert_eq!(all.len(), total);
    assert!(all[0].is_soa() && all[total - 1].is_soa());
    assert_eq!((all[0].serial, all[total - 1].serial), (Some(7), Some(7)));
    assert_eq!(all.iter().filter(|r| r.is_soa()).count(), 2, "no SOA between the first and the last");
    assert!(all.iter().all(|r| r.owner.to_ascii_lowercase().ends_with("example.com.") && r.class == C_IN));
    let hosts: std::collections::HashSet<&str> = all.iter().filter(|r| r.owner.starts_with('h')).map(|r| r.owner.as_str()).collect();
    assert_eq!(hosts.len(), HOSTS);

    // dig reads the same stream.
    let stats = |out: &str| {
        out.lines()
            .find(|l| l.starts_with(";; XFR size:"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no XFR size line:\n{}", &out[out.len().saturating_sub(2000)..]))
    };
    let plain = stats(&dig(p.addr, &[ZONE, "AXFR", "+stats"]));
    assert!(plain.starts_with(&format!(";; XFR size: {total} records (messages {},", r.msgs.len())), "{plain}");

    // Signed: every message has a TSIG, chained; our client and dig both verify.
    let mut q = query(0xa7a7, ZONE, T_AXFR);
    let mut session = sign(&mut q, &xfr_key());
    let signed = xfr(p.addr, None, &q);
    check_stream(&signed, 0xa7a7);
    assert_eq!(signed.records, total);
    for (i, m) in signed.msgs.iter().enumerate() {
        let t = m.tsig().unwrap_or_else(|| panic!("message {i} is not signed"));
        assert_eq!((t.key.as_str(), t.algorithm.as_str(), t.error, t.original_id), ("xfr-key.", "hmac-sha256.", 0, 0xa7a7), "message {i}");
        session.verify_response(&m.raw, unix_now()).unwrap_or_else(|e| panic!("message {i}: {e}"));
    }
    session.finish().expect("the stream ends on a signed message");
    let out = dig(p.addr, &[ZONE, "AXFR", "+stats", "-y", &format!("hmac-sha256:{KEY}:{SECRET}")]);
    assert!(!out.contains("Couldn't verify") && !out.contains("Transfer failed"), "{}", &out[out.len().saturating_sub(2000)..]);
    assert!(stats(&out).starts_with(&format!(";; XFR size: {total} records (messages {},", signed.msgs.len())));

    // Our secondary takes the signed multi-message stream.
    let sdir = tempdir("a7s");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{}@{KEY}", p.addr.port())]));
    let s = start_ironbind("a7-secondary", free_port(), &sdir.join("data"), &["--config", &cfg, "--tsig-key", &key]);
    let line = s.proc.expect(0, &["Transfer completed:", "(serial 7)"], 120 * S);
    assert_eq!(completed_counts(&line), (signed.msgs.len(), total), "{line}");
    // The line is logged when the new version is built; it is published just after.
    assert!(wait_until(30 * S, || serial(s.addr, ZONE) == Some(7)), "{}", s.proc.log());
    assert_eq!(a(s.addr, "h99999.example.com").as_deref(), Some("10.1.134.159"));
}

// ─── A4 ───────────────────────────────────────────────────────────────────

/// A4: a transfer is one version of the zone even when the zone is
/// reloaded while it is being read: the first message is read, the file is
/// replaced by a version with every host changed and SIGHUP applied, and
/// the rest of the stream is still entirely the old version; a new AXFR
/// gets the new one.
#[test]
fn a4_transfer_is_a_consistent_snapshot_across_a_reload() {
    const HOSTS: usize = 100_000;
    let dir = tempdir("a4");
    let v1 = zone_text(ZONE, 1, SLOW, HOSTS, "");
    let v2 = zone_text(ZONE, 2, SLOW, 0, "only-in-v2 A 192.0.2.2\n")
        + &(0..HOSTS).map(|i| format!("h{i} A 11.{}.{}.{}\n", (i >> 16) & 255, (i >> 8) & 255, i & 255)).collect::<String>();
    let file = write_zone(&dir, "example.com.zone", &v1);
    // A long TCP timeout: the server must wait for us while we pause reading.
    let cfg = ironbind_config(
        &dir,
        &format!("[tcp]\nidle_timeout_ms = 120000\n\n[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.0/8\"]\nnotify_ns = false\n"),
    );
    let p = start_ironbind("a4", free_port(), &dir.join("data"), &["--config", &cfg]);

    let mut conn = tcp_connect(p.addr, None);
    conn.write_all(&framed(&query(0xa4a4, ZONE, T_AXFR))).unwrap();
    let mut old = XfrReader::default();
    assert!(!old.push(Msg::parse(&tcp_read(&mut conn))), "more than one message");

    let pl = p.proc.log_len();
    std::fs::write(&file, &v2).unwrap();
    p.reload();
    p.proc.expect(pl, &["zone reloaded: serial 1 -> 2"], 120 * S);
    assert_eq!(serial(p.addr, ZONE), Some(2), "the new version is served");

    while !old.push(Msg::parse(&tcp_read(&mut conn))) {}
    check_stream(&old, 0xa4a4);
    let recs = old.answers();
    assert_eq!(recs.len(), 1 + 2 + HOSTS + 1);
    assert_eq!((recs[0].serial, recs[recs.len() - 1].serial), (Some(1), Some(1)));
    assert!(
        recs.iter().filter(|r| r.rtype == T_A && r.owner.starts_with('h')).all(|r| r.rdata[0] == 10),
        "a record of the new version in the old transfer"
    );
    assert!(!recs.iter().any(|r| r.owner.starts_with("only-in-v2")));

    let new = xfr(p.addr, None, &query(0xa4a5, ZONE, T_AXFR));
    let recs = new.answers();
    assert_eq!(recs.len(), 1 + 2 + HOSTS + 1 + 1);
    assert_eq!(recs[0].serial, Some(2));
    assert!(recs.iter().filter(|r| r.rtype == T_A && r.owner.starts_with('h')).all(|r| r.rdata[0] == 11));
}

// ─── A5 ───────────────────────────────────────────────────────────────────

/// A5: transfers only to listed addresses or holders of a listed key:
/// REFUSED otherwise (over TCP, and for IXFR over UDP), NOTAUTH for a zone
/// not served, NOTAUTH with BADKEY/BADSIG for a bad TSIG (also as `dig -y`
/// shows it); never a record of the zone.
#[test]
fn a5_refused_unlisted_notauth_unserved_or_bad_tsig() {
    require(&["dig"]);
    let other = "other-key=hmac-sha256:b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktIQ==";
    let (p, _d, _f) = primary(
        "a5",
        &zone_text(ZONE, 3, SLOW, 5, ""),
        &["--allow-transfer", "127.0.0.2/32", "--tsig-key", &key_arg(), "--tsig-key", other, "--allow-transfer-key", KEY],
    );
    let zone_size = 1 + 2 + 5 + 1;
    let (listed, unlisted) = (Some(IpAddr::from([127, 0, 0, 2])), localhost());

    // Listed address: the zone, by AXFR and by IXFR.
    assert_eq!(xfr(p.addr, listed, &query(1, ZONE, T_AXFR)).records, zone_size);
    assert_eq!(xfr(p.addr, listed, &ixfr_query(2, ZONE, 1)).records, zone_size);
    assert_eq!(udp_ask("127.0.0.2:0", p.addr, &ixfr_query(3, ZONE, 1)).unwrap().rcode(), NOERROR);

    // Unlisted address: REFUSED, one message, nothing of the zone.
    let pl = p.proc.log_len();
    for q in [query(4, ZONE, T_AXFR), ixfr_query(5, ZONE, 1)] {
        let r = xfr(p.addr, unlisted, &q);
        assert_eq!(r.msgs.len(), 1);
        let m = &r.msgs[0];
        assert_eq!((m.rcode(), m.count(1), m.count(2)), (REFUSED, 0, 0), "qtype {}", m.qtype);
        assert!(m.qr() && !m.aa());
    }
    let m = udp_ask("127.0.0.1:0", p.addr, &ixfr_query(6, ZONE, 1)).unwrap();
    assert_eq!((m.rcode(), m.count(1)), (REFUSED, 0), "IXFR over UDP");
    p.proc.expect(pl, &["client 127.0.0.1#", "zone transfer 'example.com/AXFR/IN' denied"], 5 * S);
    assert!(dig(p.addr, &[ZONE, "AXFR"]).contains("Transfer failed"));

    // The listed key from an unlisted address: the zone, signed.
    let mut q = query(7, ZONE, T_AXFR);
    let mut session = sign(&mut q, &xfr_key());
    let r = xfr(p.addr, unlisted, &q);
    assert_eq!(r.records, zone_size);
    for m in &r.msgs {
        session.verify_response(&m.raw, unix_now()).unwrap();
    }
    // A valid key that is not listed: REFUSED, signed.
    let mut q = query(8, ZONE, T_AXFR);
    let mut session = sign(&mut q, &Key::from_spec(other).unwrap());
    let r = xfr(p.addr, unlisted, &q);
    assert_eq!((r.msgs.len(), r.msgs[0].rcode(), r.records), (1, REFUSED, 0));
    session.verify_response(&r.msgs[0].raw, unix_now()).expect("the REFUSED answer is signed");

    // A zone we do not serve: NOTAUTH, even for a listed client.
    for q in [query(9, "example.org", T_AXFR), ixfr_query(10, "example.org", 1)] {
        let r = xfr(p.addr, listed, &q);
        assert_eq!((r.msgs.len(), r.msgs[0].rcode(), r.records), (1, NOTAUTH, 0));
    }
    assert_eq!(udp_ask("127.0.0.2:0", p.addr, &ixfr_query(11, "example.org", 1)).unwrap().rcode(), NOTAUTH);

    // Bad TSIG, even from a listed address: NOTAUTH, unsigned TSIG with the error.
    let wrong_secret = Key::from_spec(&format!("{KEY}=hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")).unwrap();
    let unknown = Key::from_spec(&format!("nobody=hmac-sha256:{SECRET}")).unwrap();
    for (k, err) in [(&wrong_secret, BADSIG), (&unknown, BADKEY)] {
        let mut q = query(12, ZONE, T_AXFR);
        let mut session = sign(&mut q, k);
        let r = xfr(p.addr, listed, &q);
        let m = &r.msgs[0];
        assert_eq!((r.msgs.len(), m.rcode(), m.count(1)), (1, NOTAUTH, 0));
        let t = m.tsig().expect("a TSIG record in the error");
        assert_eq!((t.error, t.mac.len()), (err, 0), "unsigned, error {err}");
        assert!(matches!(session.verify_response(&m.raw, unix_now()), Err(TsigError::PeerError { error, authenticated: false }) if error == err));
    }
    let out = dig(p.addr, &["-b", "127.0.0.2", ZONE, "AXFR", "-y", "hmac-sha256:xfr-key:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"]);
    assert!(out.contains("BADSIG") && out.contains("Transfer failed") && !out.contains("\tIN\tA\t"), "{out}");
}

// ─── A6 ───────────────────────────────────────────────────────────────────

/// What a pipelined request expects back.
enum Want {
    Xfr(XfrReader),
    One(Option<Msg>),
}

/// A6: transfers run in parallel on separate connections, and on one
/// connection two AXFRs, an IXFR and ordinary queries may be pipelined:
/// every request gets its complete answer under its own ID.
#[test]
fn a6_parallel_transfers_and_pipelined_queries_on_one_connection() {
    const HOSTS: usize = 20_000;
    let dir = tempdir("a6");
    let net = write_zone(&dir, "example.net.zone", &zone_text("example.net", 9, SLOW, 4, ""));
    let net_arg = format!("example.net={net}");
    let (p, _d, _f) = primary("a6", &zone_text(ZONE, 5, SLOW, HOSTS, ""), &["--allow-transfer", "127.0.0.0/8", "--zone", &net_arg]);
    let com_total = 1 + 2 + HOSTS + 1;

    // Three connections at once: two plain AXFRs and one pipelining everything.
    let start = Arc::new(Barrier::new(3));
    let parallel: Vec<_> = (0..2u16)
        .map(|i| {
            let (start, addr) = (start.clone(), p.addr);
            std::thread::spawn(move || {
                start.wait();
                let r = xfr(addr, None, &query(0x600 + i, ZONE, T_AXFR));
                check_stream(&r, 0x600 + i);
                r.records
            })
        })
        .collect();

    let mut conn = tcp_connect(p.addr, None);
    let requests: Vec<(u16, Vec<u8>)> = vec![
        (0x61, query(0x61, ZONE, T_AXFR)),
        (0x62, query(0x62, "h5.example.com", T_A)),
        (0x63, query(0x63, "example.net", T_AXFR)),
        (0x64, ixfr_query(0x64, ZONE, 5)),
        (0x65, query(0x65, "example.net", T_SOA)),
    ];
    let mut want: HashMap<u16, Want> = HashMap::new();
    let mut burst = Vec::new();
    for (id, q) in &requests {
        burst.extend_from_slice(&framed(q));
        let xfr = matches!(be16(q, q.len() - 4), T_AXFR) || *id == 0x64;
        want.insert(*id, if xfr { Want::Xfr(XfrReader::default()) } else { Want::One(None) });
    }
    start.wait();
    conn.write_all(&burst).unwrap(); // all five in one segment
    let complete = |w: &HashMap<u16, Want>| w.values().all(|w| matches!(w, Want::Xfr(r) if r.done) || matches!(w, Want::One(Some(_))));
    while !complete(&want) {
        let m = Msg::parse(&tcp_read(&mut conn));
        match want.get_mut(&m.id()) {
            Some(Want::Xfr(r)) => {
                r.push(m);
            }
            Some(Want::One(slot @ None)) => *slot = Some(m),
            _ => panic!("unexpected message id {:#x}", m.id()),
        }
    }
    let Some(Want::Xfr(com)) = want.remove(&0x61) else { unreachable!() };
    check_stream(&com, 0x61);
    assert_eq!(com.records, com_total);
    assert!(com.msgs.len() > 1);
    let Some(Want::One(Some(a))) = want.remove(&0x62) else { unreachable!() };
    assert_eq!(a.answers().map(Rr::text).collect::<Vec<_>>(), ["h5.example.com. 1 10.0.0.5"]);
    let Some(Want::Xfr(net)) = want.remove(&0x63) else { unreachable!() };
    check_stream(&net, 0x63);
    assert_eq!((net.records, net.answers()[0].serial), (1 + 2 + 4 + 1, Some(9)));
    let Some(Want::Xfr(ixfr)) = want.remove(&0x64) else { unreachable!() };
    assert_eq!((ixfr.records, ixfr.answers()[0].serial), (1, Some(5)), "IXFR from the current serial: one SOA");
    let Some(Want::One(Some(soa))) = want.remove(&0x65) else { unreachable!() };
    assert_eq!(soa.answers().next().and_then(|r| r.serial), Some(9));
    // The connection is still usable afterwards.
    conn.write_all(&framed(&query(0x66, "h7.example.com", T_A))).unwrap();
    let m = Msg::parse(&tcp_read(&mut conn));
    assert_eq!((m.id(), m.answers().count()), (0x66, 1));

    for t in parallel {
        assert_eq!(t.join().unwrap(), com_total);
    }
}

// ─── I2, I4, I5 ───────────────────────────────────────────────────────────

/// I2, I4, I5 (and I3 once history exists): IXFR from the current or a
/// newer serial is one SOA in one message; from a serial with no history
/// it is the whole zone AXFR-style inside the IXFR answer (never NOTIMP or
/// empty); over UDP it is always the current SOA alone (our documented I5
/// choice), which `dig +notcp IXFR=N` shows.
#[test]
fn i2_i4_i5_ixfr_answer_forms() {
    require(&["dig"]);
    let (p, _d, file) = primary("ixfr", &zone_text(ZONE, 10, SLOW, 60, ""), &["--allow-transfer", "127.0.0.0/8"]);
    let full = 1 + 2 + 60 + 1;

    // I2: current, and newer (RFC 1982), serials.
    for (i, client) in [10u32, 11, 10 + (1 << 30)].into_iter().enumerate() {
        let r = xfr(p.addr, None, &ixfr_query(0x20 + i as u16, ZONE, client));
        check_stream(&r, 0x20 + i as u16);
        assert_eq!(r.msgs.len(), 1, "client {client}");
        assert_eq!(r.answers().iter().map(|r| r.serial).collect::<Vec<_>>(), [Some(10)], "client {client}");
        assert_eq!((r.msgs[0].qtype, r.msgs[0].count(2), r.msgs[0].count(3)), (T_IXFR, 0, 0));
    }

    // I4: no history for the client's serial (none at all yet): AXFR-style.
    let axfr_set = |r: &XfrReader| {
        let mut v: Vec<String> = r.answers().iter().map(|r| r.text()).collect();
        v.sort();
        v
    };
    let reference = xfr(p.addr, None, &query(0x30, ZONE, T_AXFR));
    for (i, client) in [9u32, 1, 0].into_iter().enumerate() {
        let r = xfr(p.addr, None, &ixfr_query(0x31 + i as u16, ZONE, client));
        check_stream(&r, 0x31 + i as u16);
        let recs = r.answers();
        assert_eq!(recs.len(), full, "client {client}");
        assert!(!recs[1].is_soa(), "AXFR-style: the second record is not an SOA");
        assert_eq!(recs.iter().filter(|r| r.is_soa()).count(), 2);
        assert_eq!(axfr_set(&r), axfr_set(&reference));
    }

    // One change: IXFR from 10 is incremental (I3), from an older serial still full (I4).
    let pl = p.proc.log_len();
    std::fs::write(&file, zone_text(ZONE, 11, SLOW, 60, "").replace("h3 A 10.0.0.3\n", "h3 A 10.3.3.3\n")).unwrap();
    p.reload();
    p.proc.expect(pl, &["zone reloaded: serial 10 -> 11"], 20 * S);
    let r = xfr(p.addr, None, &ixfr_query(0x40, ZONE, 10));
    let seq: Vec<String> = r.answers().iter().map(|r| r.text()).collect();
    assert_eq!(
        seq,
        [
            "example.com. 6 serial 11",
            "example.com. 6 serial 10",
            "h3.example.com. 1 10.0.0.3",
            "example.com. 6 serial 11",
            "h3.example.com. 1 10.3.3.3",
            "example.com. 6 serial 11",
        ]
    );
    let r = xfr(p.addr, None, &ixfr_query(0x41, ZONE, 5));
    assert_eq!(r.records, full, "unknown serial 5: the whole zone");
    assert_eq!(r.answers()[0].serial, Some(11));

    // I5: over UDP, the current SOA alone, whatever the client's serial.
    for client in [5u32, 10, 11] {
        let m = udp_ask("127.0.0.1:0", p.addr, &ixfr_query(0x50, ZONE, client)).expect("answered over UDP");
        assert_eq!((m.rcode(), m.qr(), m.aa(), m.tc()), (NOERROR, true, true, false), "client {client}");
        assert_eq!(m.answers().map(|r| r.serial).collect::<Vec<_>>(), [Some(11)], "client {client}");
        assert_eq!(m.qtype, T_IXFR);
    }
    let out = dig(p.addr, &["+notcp", ZONE, "IXFR=10", "+noall", "+answer", "+stats"]);
    assert!(out.contains("(UDP)"), "{out}");
    let answers: Vec<&str> = out.lines().filter(|l| !l.starts_with(';') && !l.trim().is_empty()).collect();
    assert_eq!(answers.len(), 1, "{out}");
    assert!(answers[0].contains("SOA") && answers[0].contains(" 11 "), "{out}");
}

// ─── N2 ───────────────────────────────────────────────────────────────────
