//! Zone size limits (`max_records`, `max_zone_bytes`) and streamed IXFR
//! fallbacks, through the real binary:
//!
//! - a hostile primary that answers with an endless stream, or a zone over
//!   `max_records`: the secondary aborts the IXFR and the AXFR at the limit,
//!   keeps serving its version, logs why, counts it in `/metrics`, and its
//!   peak RSS stays within twice the limit;
//! - a zone file over a limit is refused at `file:line` (or, too long to
//!   fit, before it is read) and the served version stays;
//! - a control API `PUT` over a limit gets 413 naming the limit;
//! - IXFRs answered with a big zone are streamed: slow clients hold no
//!   rendered copy each, and a reload and queries proceed meanwhile.

mod control_common;
mod xfr_common;
mod xfr_rows_common;

use control_common::{json, Api, Value, TOKEN};
use xfr_rows_common::*;

type Rec = (String, u16, Vec<u8>);

/// What the hostile primary answers to AXFR and IXFR.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// A small good zone.
    Good,
    /// The SOA, then TXT records of 255 octets, forever.
    Endless,
    /// A complete zone of this many A records.
    Hosts(usize),
}

/// A primary on loopback whose transfers the test scripts (UDP for the SOA
/// query, TCP for transfers). Threads end with the test process.
struct Hostile {
    addr: SocketAddr,
    state: Arc<Mutex<(u32, Mode)>>,
}

fn soa(serial: u32) -> Rec {
    (ZONE.into(), T_SOA, soa_rdata(serial))
}

fn msg(id: u16, question: Option<(&[u8], u16)>, recs: &[Rec]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&0x8400u16.to_be_bytes());
    m.extend_from_slice(&[0, question.is_some() as u8]);
    m.extend_from_slice(&(recs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    if let Some((name, t)) = question {
        m.extend_from_slice(name);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&C_IN.to_be_bytes());
    }
    for (owner, t, rdata) in recs {
        push_rr(&mut m, owner, *t, C_IN, 300, rdata);
    }
    m
}

fn good_zone() -> Vec<Rec> {
    let mut v = vec![(ZONE.into(), T_NS, wire_name("ns1.example.com")), ("ns1.example.com".into(), T_A, vec![192, 0, 2, 1])];
    v.push(("www.example.com".into(), T_A, vec![192, 0, 2, 80]));
    v
}

impl Hostile {
    fn start(serial: u32) -> Hostile {
        let state = Arc::new(Mutex::new((serial, Mode::Good)));
        let (su, st) = (state.clone(), state.clone());
        let server = LoopbackServer::start(
            move |b| {
                let q = Msg::parse(b);
                let serial = su.lock().unwrap().0;
                Some(msg(q.id(), Some((q.qname_wire.as_deref().unwrap(), q.qtype)), &[soa(serial)]))
            },
            move |conn| Self::serve(conn, &st),
        );
        Hostile { addr: server.addr, state }
    }

    fn set(&self, serial: u32, mode: Mode) {
        *self.state.lock().unwrap() = (serial, mode);
    }

    /// Answers one transfer request AXFR-style (an IXFR too) until done or
    /// the client goes away.
    fn serve(mut conn: TcpStream, state: &Mutex<(u32, Mode)>) {
        conn.set_read_timeout(Some(10 * S)).unwrap();
        let q = Msg::parse(&tcp_read(&mut conn));
        let (serial, mode) = *state.lock().unwrap();
        let qn = q.qname_wire.clone().unwrap();
        let mut send = |i: usize, recs: &[Rec]| conn.write_all(&framed(&msg(q.id(), (i == 0).then_some((&qn[..], q.qtype)), recs))).is_ok();
        match mode {
            Mode::Good => {
                let mut z = vec![soa(serial)];
                z.extend(good_zone());
                z.push(soa(serial));
                send(0, &z);
            }
            Mode::Endless => {
                let txt = |i: usize| {
                    let mut r = vec![254u8];
                    r.extend(format!("{i:0254}").bytes());
                    (format!("t{}.example.com", i % 1000), T_TXT, r)
                };
                let mut i = 0;
                while send(i, &std::iter::once(soa(serial)).filter(|_| i == 0).chain((0..60).map(|k| txt(i * 60 + k))).collect::<Vec<_>>()) {
                    i += 1;
                }
            }
            Mode::Hosts(n) => {
                let mut recs: Vec<Rec> = vec![soa(serial)];
                recs.extend(good_zone());
                recs.extend((0..n).map(|i| (format!("h{i}.example.com"), T_A, vec![10, (i >> 16) as u8, (i >> 8) as u8, i as u8])));
                recs.push(soa(serial));
                for (i, c) in recs.chunks(500).enumerate() {
                    if !send(i, c) {
                        return;
                    }
                }
            }
        }
        let _ = conn.shutdown(std::net::Shutdown::Write);
        let mut sink = [0u8; 512];
        let _ = conn.read(&mut sink);
    }
}

/// `key` (`VmRSS`, `VmHWM`) of process `pid`, in KiB.
fn proc_kib(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = s.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The value of one sample in a `/metrics` page (0 when absent).
fn metric(api: &Api, series: &str) -> u64 {
    let r = api.call("GET", "/metrics", None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok()).unwrap_or(0)
}

fn limit_series(source: &str, limit: &str) -> String {
    format!("ironbind_zone_limit_exceeded_total{{source=\"{source}\",limit=\"{limit}\"}}")
}

/// Starts `ironbind` with a control API (for `/metrics`) and `args`.
fn start(tag: &str, args: &[&str]) -> (Ironbind, Api, std::path::PathBuf) {
    let dir = tempdir(tag);
    let tok = control_common::token_file(&dir);
    let cport = free_port();
    let (listen, tok) = (format!("127.0.0.1:{cport}"), tok.display().to_string());
    let mut all = vec!["--control-listen", &listen, "--control-token-file", &tok];
    all.extend_from_slice(args);
    let ib = start_ironbind(tag, free_port(), &dir.join("data"), &all);
    ib.proc.expect(0, &["control API listening"], 30 * S);
    (ib, Api { addr: local(cport), token: Some(TOKEN.into()), tls: None }, dir)
}

/// A secondary of a hostile primary with `max_zone_bytes = 8 MiB` and
/// `max_records = 100000` ([transfer] defaults, one overridden per zone):
/// an endless IXFR/AXFR stream is aborted at 8 MiB, a finished zone of
/// 150,000 records at the 100,001st; both times the version served before
/// stays, each abort is logged and counted, and the process's peak RSS
/// grows by less than twice the limit (unbounded before: the stream ran
/// until the transfer timeout).
#[test]
fn hostile_primary_is_cut_off_at_the_limits() {
    let fake = Hostile::start(1);
    let dir = tempdir("limits-sec");
    let zone = secondary_zone(ZONE, &[format!("127.0.0.1:{}", fake.addr.port())]);
    let cfg = ironbind_config(&dir, &format!("[transfer]\nmax_records = 5000000\nmax_zone_bytes = {}\n\n{zone}max_records = 100000\n", 8 << 20));
    let (s, api, _) = start("limits-sec", &["--config", &cfg]);
    let from = format!("transfer of 'example.com/IN' from 127.0.0.1#{}", fake.addr.port());
    s.proc.expect(0, &[&from, "Transfer completed:", "(serial 1)"], 30 * S);
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(1)));
    let base_hwm = proc_kib(s.proc.pid(), "VmHWM");

    // An endless stream: IXFR (answered AXFR-style) aborted, then AXFR.
    fake.set(2, Mode::Endless);
    let sl = s.proc.log_len();
    assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
    let line = s.proc.expect(sl, &[&from, "IXFR aborted: zone exceeds max_zone_bytes = 8388608"], 60 * S);
    assert!(line.contains("keeping the served version"), "{line}");
    s.proc.expect(sl, &[&from, "AXFR aborted: zone exceeds max_zone_bytes = 8388608"], 60 * S);
    s.proc.expect(sl, &["refresh failed with every primary"], 30 * S);
    assert_eq!(serial(s.addr, ZONE), Some(1), "the served version stays");
    assert_eq!(a(s.addr, "www.example.com").as_deref(), Some("192.0.2.80"));
    assert_eq!(metric(&api, &limit_series("transfer", "max_zone_bytes")), 2, "IXFR and AXFR each counted");
    let grown = proc_kib(s.proc.pid(), "VmHWM").saturating_sub(base_hwm);
    assert!(grown < 2 * 8 * 1024, "peak RSS grew by {grown} KiB receiving an endless stream cut at 8 MiB");
    eprintln!("endless stream cut at max_zone_bytes = 8 MiB: peak RSS grew by {grown} KiB");

    // A complete zone over max_records (the zone's own limit).
    fake.set(3, Mode::Hosts(150_000));
    let sl = s.proc.log_len();
    assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
    s.proc.expect(sl, &[&from, "IXFR aborted: zone exceeds max_records = 100000 (100001 records so far)"], 60 * S);
    s.proc.expect(sl, &[&from, "AXFR aborted: zone exceeds max_records = 100000"], 60 * S);
    s.proc.expect(sl, &["refresh failed with every primary"], 30 * S);
    assert_eq!(serial(s.addr, ZONE), Some(1));
    assert_eq!(metric(&api, &limit_series("transfer", "max_records")), 2);
    assert!(s.proc.lines_with(0, &["Transfer completed", "(serial 2)"]).is_empty());
    assert!(s.proc.lines_with(0, &["Transfer completed", "(serial 3)"]).is_empty());

    // Within the limits again: transferred.
    fake.set(4, Mode::Hosts(1000));
    let sl = s.proc.log_len();
    assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
    s.proc.expect(sl, &[&from, "Transfer completed:", "(serial 4)"], 60 * S);
    assert!(wait_until(10 * S, || serial(s.addr, ZONE) == Some(4)));
}

/// A zone file over `--max-records` is refused at the record that crosses
/// it (`file:line`), one too long for `--max-zone-bytes` before it is read;
/// the version served stays, and both are counted.
#[test]
fn oversize_zone_file_is_refused_and_the_old_version_kept() {
    let dir = tempdir("limits-file");
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 1, SLOW, 10, ""));
    let zone_arg = format!("{ZONE}={file}");
    let (p, api, _) = start("limits-file", &["--zone", &zone_arg, "--max-records", "50", "--max-zone-bytes", "4096"]);
    assert_eq!(serial(p.addr, ZONE), Some(1));

    // 100 hosts: the SOA, NS and ns1 A are records 1-3 (lines 3-5), record
    // n is on line n + 2: the 51st (h47) on line 53.
    std::fs::write(&file, zone_text(ZONE, 2, SLOW, 100, "")).unwrap();
    let sl = p.proc.log_len();
    p.reload();
    let line = p.proc.expect(sl, &["zone failed to load; keeping the version already served"], 20 * S);
    assert!(line.contains(&format!("{file}:53: zone exceeds max_records = 50 (51 records so far); zone file refused")), "{line}");
    assert_eq!(serial(p.addr, ZONE), Some(1));
    assert_eq!(metric(&api, &limit_series("file", "max_records")), 1);

    // Few records, but 20 KiB of comments: longer than 4 × 4096 octets.
    std::fs::write(&file, zone_text(ZONE, 3, SLOW, 10, &format!("; {}\n", "x".repeat(20_000)))).unwrap();
    let sl = p.proc.log_len();
    p.reload();
    let line = p.proc.expect(sl, &["zone failed to load; keeping the version already served"], 20 * S);
    assert!(line.contains(&format!("{file}:0: cannot read zone file: file of")), "{line}");
    assert!(line.contains("longer than a zone within max_zone_bytes can be (16384 octets of text)"), "{line}");
    assert_eq!(serial(p.addr, ZONE), Some(1));
    assert_eq!(metric(&api, &limit_series("file", "max_zone_bytes")), 1);

    // Back within the limits.
    std::fs::write(&file, zone_text(ZONE, 4, SLOW, 40, "")).unwrap();
    let sl = p.proc.log_len();
    p.reload();
    p.proc.expect(sl, &["zone reloaded: serial 1 -> 4"], 20 * S);
}

/// An RFC 2136 UPDATE that would grow a zone past its `max_records` is
/// REFUSED and changes nothing; one within it is applied.
#[test]
fn update_past_the_limit_is_refused() {
    require(&["nsupdate", "dig"]);
    let dir = tempdir("limits-upd");
    let file = write_zone(&dir, "example.com.zone", &zone_text(ZONE, 1, SLOW, 10, ""));
    let cfg = ironbind_config(
        &dir,
        &format!(
            "[[tsig_key]]\nname = \"upd\"\nsecret = \"{SECRET}\"\n\n[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nnotify_ns = false\n\
             allow_update = [\"upd\"]\nmax_records = 16\n"
        ),
    );
    let (p, api, _) = start("limits-upd", &["--config", &cfg]);
    let update = |adds: std::ops::Range<u32>| {
        let body: String = adds.map(|i| format!("update add u{i}.{ZONE}. 300 A 192.0.2.{i}\n")).collect();
        let mut c = Command::new("nsupdate")
            .args(["-t", "10", "-y", &format!("hmac-sha256:upd:{SECRET}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run nsupdate");
        let script = format!("server {} {}\nzone {ZONE}\n{body}send\n", p.addr.ip(), p.addr.port());
        c.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        let o = c.wait_with_output().unwrap();
        (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    };
    // SOA, NS, ns1 and 10 hosts: 13 records; 3 more make 16.
    let (ok, out) = update(1..4);
    assert!(ok, "{out}");
    assert_eq!(serial(p.addr, ZONE), Some(2));
    let sl = p.proc.log_len();
    let (ok, out) = update(4..5);
    assert!(!ok && out.contains("REFUSED"), "{out}");
    p.proc.expect(sl, &["zone edit refused: zone exceeds max_records = 16 (17 records so far)"], 10 * S);
    assert_eq!(serial(p.addr, ZONE), Some(2), "nothing changed");
    assert_eq!(status(p.addr, "u4.example.com", "A"), "NXDOMAIN");
    assert_eq!(metric(&api, &limit_series("update", "max_records")), 1);
}

/// A `PUT` over the zone's `maxRecords` or the server's `--max-zone-bytes`
/// gets 413 naming the field; the version served stays.
#[test]
fn oversize_put_is_413() {
    let (p, api, _) = start("limits-put", &["--max-zone-bytes", "20000"]);
    let body = |hosts: usize, extra: Value| {
        let mut b = control_common::primary(
            "192.0.2.80",
            &[json!({"name": "many", "type": "A", "rdata": (0..hosts).map(|i| format!("10.1.{}.{}", i >> 8, i & 255)).collect::<Vec<_>>()})],
            &[],
        );
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let r = api.call("PUT", "/v1/zones/example.com", Some(&body(10, json!({"maxRecords": 100}))));
    assert_eq!(r.status, 201, "{}", r.body);
    let served = serial(p.addr, ZONE);
    assert!(served.is_some());

    // 1 SOA + 33 + 100 hosts = 134 records > 100.
    let r = api.call("PUT", "/v1/zones/example.com", Some(&body(100, json!({"maxRecords": 100}))));
    assert_eq!(r.status, 413, "{}", r.body);
    let j = r.json();
    assert_eq!(j["field"], "maxRecords", "{j}");
    assert!(j["error"].as_str().unwrap_or_default().contains("zone exceeds max_records = 100 (134 records so far)"), "{j}");

    // 1000 hosts, ~35 octets each: over the server's 20,000 octets.
    let r = api.call("PUT", "/v1/zones/example.com", Some(&body(1000, json!({"maxRecords": 5000}))));
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["field"], "maxZoneBytes", "{}", r.body);
    // Out of range.
    let r = api.call("PUT", "/v1/zones/example.com", Some(&body(10, json!({"maxRecords": 1}))));
    assert_eq!((r.status, r.json()["field"].as_str()), (422, Some("maxRecords")), "{}", r.body);

    assert_eq!(serial(p.addr, ZONE), served, "the served version stays");
    assert_eq!(a(p.addr, "www.example.com").as_deref(), Some("192.0.2.80"));
    assert_eq!(metric(&api, &limit_series("api", "max_records")), 1);
    assert_eq!(metric(&api, &limit_series("api", "max_zone_bytes")), 1);
}

/// Eight clients ask a primary holding a 24 MB zone for an IXFR from a
/// serial it has no history for, read one message each and stall (small
/// receive buffers). The whole zone is streamed from the snapshot, not
/// rendered per client: the server's RSS grows by far less than one copy
/// of the zone each (the old renderer held 8 × 24 MB). Meanwhile a query is
/// answered and a reload to a new serial is served; the stalled clients
/// then read their transfer to the end: the old version, whole.
#[test]
fn big_ixfr_fallback_is_streamed_while_reloads_and_queries_proceed() {
    let dir = tempdir("limits-stream");
    let big = |serial: u32| {
        let mut extra = String::new();
        for i in 0..24_000 {
            extra.push_str(&format!("t{i} TXT \"{}\" \"{}\" \"{}\" \"{}\"\n", "a".repeat(250), "b".repeat(250), "c".repeat(250), "d".repeat(250)));
        }
        zone_text(ZONE, serial, SLOW, 10, &extra)
    };
    let file = write_zone(&dir, "example.com.zone", &big(1));
    // Stalled readers are not cut off by the 10 s write timeout while the reload runs.
    let cfg = ironbind_config(
        &dir,
        &format!("[tcp]\nidle_timeout_ms = 120000\n\n[[zone]]\nname = \"{ZONE}\"\nfile = {file:?}\nallow_transfer = [\"127.0.0.0/8\"]\nnotify_ns = false\n"),
    );
    let p = start_ironbind("limits-stream", free_port(), &dir.join("data"), &["--config", &cfg]);
    assert_eq!(serial(p.addr, ZONE), Some(1));
    let rss_before = proc_kib(p.proc.pid(), "VmRSS");

    let mut clients = Vec::new();
    for i in 0..8u16 {
        let mut s = socket2_small_rcvbuf(p.addr);
        s.write_all(&framed(&ixfr_query(0x100 + i, ZONE, 0xFFFF_0000))).unwrap();
        let first = Msg::parse(&tcp_read(&mut s));
        assert_eq!((first.id(), first.rcode()), (0x100 + i, NOERROR));
        assert_eq!(first.answers().next().and_then(|r| r.serial), Some(1));
        clients.push((s, first.count(1) as usize));
    }
    std::thread::sleep(Duration::from_millis(500));
    let grown = proc_kib(p.proc.pid(), "VmRSS").saturating_sub(rss_before);
    eprintln!("8 stalled IXFR-fallback clients of a 24 MB zone: RSS grew by {grown} KiB");
    assert!(grown < 48 * 1024, "RSS grew by {grown} KiB with 8 stalled clients of a 24 MB zone");

    // A query and a reload proceed while the clients stall.
    assert_eq!(a(p.addr, "ns1.example.com").as_deref(), Some("192.0.2.1"));
    std::fs::write(&file, big(2)).unwrap();
    let sl = p.proc.log_len();
    p.reload();
    p.proc.expect(sl, &["zone reloaded: serial 1 -> 2"], 60 * S);
    assert!(wait_until(10 * S, || serial(p.addr, ZONE) == Some(2)));

    // Each stalled client gets the old version whole.
    for (mut s, mut records) in clients {
        s.set_read_timeout(Some(60 * S)).unwrap();
        let last = loop {
            let m = Msg::parse(&tcp_read(&mut s));
            records += m.count(1) as usize;
            if let Some(soa) = m.answers().filter(|r| r.is_soa()).last() {
                break soa.serial;
            }
        };
        assert_eq!(last, Some(1));
        assert_eq!(records, 3 + 10 + 24_000 + 1, "SOA, NS, ns1, 10 hosts, the TXTs, SOA");
    }
}

/// A TCP connection to `to` with a 4 KiB receive buffer, so a stalled
/// reader holds little in the kernel.
fn socket2_small_rcvbuf(to: SocketAddr) -> TcpStream {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket(2)/setsockopt(2)/connect(2) calls on a descriptor we own.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let size: libc::c_int = 4096;
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &size as *const _ as *const libc::c_void, std::mem::size_of::<libc::c_int>() as u32);
        let std::net::SocketAddr::V4(v4) = to else { panic!("IPv4 only") };
        let sa = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: v4.port().to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
            sin_zero: [0; 8],
        };
        let rc = libc::connect(fd, &sa as *const _ as *const libc::sockaddr, std::mem::size_of::<libc::sockaddr_in>() as u32);
        assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
        TcpStream::from_raw_fd(fd)
    }
}
