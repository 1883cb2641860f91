//! The HTTP control API through the real binary on loopback: desired-state
//! zone PUTs (Knot follows by IXFR), bad requests that change nothing,
//! tokens, restarts, secondaries created and refreshed by the API, TSIG
//! keys, TLS.

mod control_common;
mod xfr_common;

use control_common::*;

const ZONE: &str = "example.org";

/// PUT, query, one change → Knot gets an IXFR of exactly that change;
/// identical PUT changes nothing; NOTIFY trigger; DELETE removes it all.
#[test]
fn put_edit_ixfr_to_knot_then_delete() {
    require(&["knotd", "dig"]);
    let kp = free_port();
    let notify = vec![format!("127.0.0.1:{kp}")];
    let s = start("ctl-knot", &[]);
    let r = s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.1", &[], &notify)));
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!((v["changed"].as_bool(), v["created"].as_bool()), (Some(true), Some(true)), "{v}");
    let s1 = v["serial"].as_u64().unwrap() as u32;
    let hash1 = v["contentHash"].as_str().unwrap().to_string();
    assert_eq!(hash1.len(), 64);
    assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.1"));
    assert_eq!(serial(s.ib.addr, ZONE), Some(s1));

    let pp = s.ib.addr.port();
    let knot = Knot::start(
        kp,
        &format!(
            "remote:\n  - id: ironbind\n    address: 127.0.0.1@{pp}\n\nacl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\n\
             \n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n\n\
             zone:\n  - domain: example.org.\n    file: \"%DIR%/example.org.zone\"\n    master: ironbind\n    acl: [notify, xfr]\n    zonefile-sync: -1\n"
        ),
        &[],
    );
    assert!(wait_until(30 * S, || serial(knot.addr, ZONE) == Some(s1)), "knotd did not load the zone:\n{}", knot.proc.log());

    // One record changed.
    let kl = knot.proc.log_len();
    let r = s.api.call("PUT", "/v1/zones/example.org.", Some(&primary("192.0.2.2", &[], &notify)));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let s2 = v["serial"].as_u64().unwrap() as u32;
    assert_eq!((s2, v["changed"].as_bool(), v["created"].as_bool()), (s1.wrapping_add(1), Some(true), Some(false)), "{v}");
    assert_ne!(v["contentHash"].as_str(), Some(hash1.as_str()));
    assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.2"));
    // The journal holds exactly that change ...
    let soa = |n: u32| format!("example.org. in soa ns1.example.org. hostmaster.example.org. {n} 3600 600 86400 300");
    assert_eq!(
        ixfr(s.ib.addr, ZONE, s1),
        [soa(s2), soa(s1), "www.example.org. in a 192.0.2.1".into(), soa(s2), "www.example.org. in a 192.0.2.2".into(), soa(s2)]
    );
    // ... and Knot, NOTIFYed, takes it as an IXFR.
    knot.proc.expect(kl, &["notify, incoming", &format!("serial {s2}")], 30 * S);
    assert!(wait_until(30 * S, || serial(knot.addr, ZONE) == Some(s2)), "knotd did not follow:\n{}", knot.proc.log());
    knot.proc.expect(kl, &["IXFR, incoming", "finished"], 5 * S);
    assert!(knot.proc.lines_with(kl, &["fallback to AXFR"]).is_empty(), "{}", knot.proc.log());
    s.ib.proc.expect(0, &[&format!("IXFR started (serial {s1} -> {s2}, incremental)")], 5 * S);
    assert_eq!(axfr(knot.addr, ZONE, false), axfr(s.ib.addr, ZONE, false));

    // The same desired state again: nothing changes.
    let r = s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.2", &[], &notify)));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!((v["serial"].as_u64(), v["changed"].as_bool()), (Some(s2 as u64), Some(false)), "{v}");
    let hash2 = v["contentHash"].as_str().unwrap().to_string();
    assert_eq!(serial(s.ib.addr, ZONE), Some(s2));

    // GET: state and records.
    let g = s.api.call("GET", "/v1/zones/example.org", None).json();
    assert_eq!((g["type"].as_str(), g["source"].as_str(), g["serial"].as_u64()), (Some("primary"), Some("api"), Some(s2 as u64)), "{g}");
    assert_eq!((g["contentHash"].as_str(), g["recordCount"].as_u64()), (Some(hash2.as_str()), Some(34)), "{g}");
    assert_eq!(g["lastLoad"]["result"].as_str(), Some("ok"), "{g}");
    assert!(g["rrsets"].as_array().unwrap().iter().any(|r| r["name"] == "www" && r["rdata"] == json!(["192.0.2.2"])), "{g}");
    assert_eq!(g["soa"]["serial"].as_u64(), Some(s2 as u64));
    let short = s.api.call("GET", "/v1/zones/example.org?rrsets=false", None).json();
    assert!(short.get("rrsets").is_none(), "{short}");
    let all = s.api.call("GET", "/v1/zones", None).json();
    assert!(all["zones"].as_array().unwrap().iter().any(|z| z["name"] == "example.org." && z["serial"] == json!(s2)), "{all}");

    // NOTIFY on demand.
    let kl = knot.proc.log_len();
    assert_eq!(s.api.call("POST", "/v1/zones/example.org/notify", None).status, 202);
    knot.proc.expect(kl, &["notify, incoming"], 30 * S);
    assert_eq!(s.api.call("POST", "/v1/zones/nope.example/notify", None).status, 404);

    // DELETE: not served, files gone, definition gone.
    assert!(s.zone_file("example.org.zone").exists());
    let r = s.api.call("DELETE", "/v1/zones/example.org", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status(s.ib.addr, "www.example.org", "A"), "REFUSED");
    for f in ["example.org.zone", "example.org.journal", "example.org.timers"] {
        assert!(!s.zone_file(f).exists(), "{f} still there");
    }
    let defs = std::fs::read_to_string(s.ib.data_dir.join("control/zones.json")).unwrap();
    assert!(!defs.contains("example.org"), "{defs}");
    assert_eq!(s.api.call("GET", "/v1/zones/example.org", None).status, 404);
    assert_eq!(s.api.call("DELETE", "/v1/zones/example.org", None).status, 404);
}

/// Every bad PUT gets a 4xx naming the field; the zone keeps serving the old data.
#[test]
fn bad_puts_change_nothing() {
    let pdir = tempdir("ctl-bad-p");
    let cfg = ironbind_config(&pdir, "[[zone]]\nname = \"sec.example\"\ntype = \"secondary\"\nprimaries = [\"127.0.0.1:9\"]\n");
    let s = start("ctl-bad", &["--config", &cfg]);
    let r = s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.1", &[], &[])));
    assert_eq!(r.status, 201, "{}", r.body);
    let s1 = r.json()["serial"].as_u64().unwrap();
    let hash = r.json()["contentHash"].clone();

    let rr = |name: &str, t: &str, rdata: &[&str]| json!({"name": name, "type": t, "rdata": rdata});
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (primary("192.0.2.9", &[rr("bad name", "A", &["192.0.2.3"])], &[]), 422, "rrsets[4].name", "not a domain name"),
        (primary("192.0.2.9", &[rr("www.example.net.", "A", &["192.0.2.3"])], &[]), 422, "rrsets[4].name", "not in zone"),
        (primary("192.0.2.9", &[rr("mail", "A", &["192.0.2.3", "300.1.1.1"])], &[]), 422, "rrsets[4].rdata[1]", ""),
        (primary("192.0.2.9", &[rr("www", "CNAME", &["mail"])], &[]), 422, "rrsets[", "CNAME"),
        (primary("192.0.2.9", &[rr("x", "NOSUCHTYPE", &["1"])], &[]), 422, "rrsets[4].type", "unknown type"),
        (primary("192.0.2.9", &[rr("x", "A", &[])], &[]), 422, "rrsets[4].rdata", ""),
        (json!({"type": "primary", "rrsets": []}), 422, "soa", ""),
        (
            json!({"type": "primary", "soa": {"mname": "ns1", "rname": "h", "refresh": "x", "retry": 1, "expire": 1, "minimum": 1, "ttl": 1}}),
            400,
            "soa.refresh",
            "",
        ),
        (json!({"type": "primary", "bogus": 1}), 400, "bogus", "unknown field"),
        (json!({"type": "tertiary"}), 400, "type", ""),
        (
            json!({"type": "primary", "soa": {"mname": "ns1", "rname": "h", "refresh": 1, "retry": 1, "expire": 1, "minimum": 1, "ttl": 1}, "rrsets": [rr("@", "A", &["192.0.2.1"])]}),
            422,
            "rrsets",
            "NS",
        ),
        (primary("192.0.2.9", &[], &["not-an-address".into()]), 422, "alsoNotify[0]", ""),
        (
            {
                let mut b = primary("192.0.2.9", &[], &[]);
                b["allowTransferKeys"] = json!(["nokey"]);
                b
            },
            422,
            "allowTransferKeys[0]",
            "not defined",
        ),
        (json!({"type": "secondary", "primaries": ["127.0.0.1:53"]}), 409, "", "primary zone"),
    ];
    for (body, code, field, msg) in cases {
        let r = s.api.call("PUT", "/v1/zones/example.org", Some(&body));
        assert_eq!(r.status, code, "{body} -> {}", r.body);
        let v = r.json();
        assert!(v["error"].as_str().is_some_and(|e| e.contains(msg)), "{body} -> {v}");
        if !field.is_empty() {
            assert!(v["field"].as_str().is_some_and(|f| f.starts_with(field)), "{body} -> {v}");
        }
        assert_eq!(serial(s.ib.addr, ZONE), Some(s1 as u32), "{body}");
        assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.1"), "{body}");
    }
    let r = s.api.raw(Some(TOKEN), "PUT", "/v1/zones/example.org", b"{not json");
    assert_eq!(r.status, 400, "{}", r.body);
    let r = s.api.call("PUT", "/v1/zones/bad..name", Some(&primary("192.0.2.1", &[], &[])));
    assert_eq!((r.status, r.json()["field"].as_str()), (400, Some("zone")), "{}", r.body);
    assert_eq!(s.api.call("GET", "/v1/zones/example.org", None).json()["contentHash"], hash);

    // Writes to secondaries: one from the config file, one from the API.
    let r = s.api.call("PUT", "/v1/zones/sec.example", Some(&primary("192.0.2.1", &[], &[])));
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.json()["error"].as_str().unwrap().contains("config file"), "{}", r.body);
    let sec = json!({"type": "secondary", "primaries": ["127.0.0.1:9"]});
    assert_eq!(s.api.call("PUT", "/v1/zones/sec2.example", Some(&sec)).status, 201);
    let r = s.api.call("PUT", "/v1/zones/sec2.example", Some(&primary("192.0.2.1", &[], &[])));
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.json()["error"].as_str().unwrap().contains("secondary zone"), "{}", r.body);
    let mut with_records = sec.clone();
    with_records["rrsets"] = json!([rr("www", "A", &["192.0.2.1"])]);
    let r = s.api.call("PUT", "/v1/zones/sec2.example", Some(&with_records));
    assert_eq!((r.status, r.json()["field"].as_str()), (422, Some("rrsets")), "{}", r.body);
    assert_eq!(s.api.call("POST", "/v1/zones/example.org/refresh", None).status, 409);
    assert_eq!(s.api.call("PATCH", "/v1/zones/example.org", None).status, 405);
    assert_eq!(s.api.call("GET", "/v1/nothing", None).status, 404);
}

/// Requests without the token, or with a wrong one, get 401; health and
/// metrics need none; a rotated token file takes effect at once.
#[test]
fn tokens_are_enforced() {
    let s = start("ctl-token", &["--example"]);
    for (token, want) in [(None, 401), (Some("wrong"), 401), (Some(TOKEN), 200)] {
        let r = s.api.call_as(token, "GET", "/v1/zones", None);
        assert_eq!(r.status, want, "{token:?}: {}", r.body);
        if want == 401 {
            assert!(r.json()["error"].as_str().unwrap().contains("token"), "{}", r.body);
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        }
    }
    let body = primary("192.0.2.1", &[], &[]);
    assert_eq!(s.api.call_as(None, "PUT", "/v1/zones/example.org", Some(&body)).status, 401);
    assert_eq!(status(s.ib.addr, "www.example.org", "A"), "REFUSED", "an unauthorised PUT creates nothing");
    assert_eq!(s.api.call_as(Some("wrong"), "DELETE", "/v1/zones/example.com", None).status, 401);
    assert!(serial(s.ib.addr, "example.com").is_some());
    for path in ["/healthz", "/readyz", "/metrics"] {
        let r = s.api.call_as(None, "GET", path, None);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    // A config zone belongs to the config file.
    let r = s.api.call("PUT", "/v1/zones/example.com", Some(&body));
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(s.api.call("DELETE", "/v1/zones/example.com", None).status, 409);
    // Rotation.
    std::fs::write(s.dir.join("token"), "rotated\n").unwrap();
    assert_eq!(s.api.call("GET", "/v1/zones", None).status, 401);
    assert_eq!(s.api.call_as(Some("rotated"), "GET", "/v1/zones", None).status, 200);
}

/// API zones survive a graceful restart, a SIGKILL and a SIGHUP reload.
#[test]
fn api_zones_survive_restarts_and_reloads() {
    let pdir = tempdir("ctl-restart-cfg");
    std::fs::write(pdir.join("cfg.zone"), zone_text("cfg.example", 1, (3600, 600, 86400), 1, "")).unwrap();
    let cfg = ironbind_config(&pdir, &format!("[[zone]]\nname = \"cfg.example\"\nfile = \"{}\"\n", pdir.join("cfg.zone").display()));
    let mut s = start("ctl-restart", &["--config", &cfg]);
    let r = s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.1", &[], &[])));
    assert_eq!(r.status, 201, "{}", r.body);
    let s1 = r.json()["serial"].as_u64().unwrap() as u32;
    let r = s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.7", &[], &[])));
    let s2 = r.json()["serial"].as_u64().unwrap() as u32;
    assert_eq!(s2, s1.wrapping_add(1));

    s.restart();
    assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.7"));
    assert_eq!(serial(s.ib.addr, ZONE), Some(s2));
    // The journal came back too: IXFR from the first version.
    assert_eq!(ixfr(s.ib.addr, ZONE, s1).len(), 6);
    let g = s.api.call("GET", "/v1/zones/example.org", None).json();
    assert_eq!((g["source"].as_str(), g["lastLoad"]["op"].as_str()), (Some("api"), Some("load")), "{g}");

    // The answer to a PUT means it is on disk: SIGKILL right after.
    let r = s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.8", &[], &[])));
    assert_eq!(r.status, 200);
    s.restart_after_kill();
    assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.8"));

    // SIGHUP reloads the config file's zones and keeps the API's.
    let from = s.ib.proc.log_len();
    std::fs::write(pdir.join("cfg.zone"), zone_text("cfg.example", 2, (3600, 600, 86400), 1, "")).unwrap();
    s.ib.reload();
    s.ib.proc.expect(from, &["reload done"], 30 * S);
    assert_eq!(serial(s.ib.addr, "cfg.example"), Some(2));
    assert_eq!(a(s.ib.addr, "www.example.org").as_deref(), Some("192.0.2.8"));
    // A config-file primary shows its last load and reload too, failures included.
    let g = s.api.call("GET", "/v1/zones/cfg.example", None).json();
    assert_eq!(
        (g["source"].as_str(), g["lastLoad"]["op"].as_str(), g["lastLoad"]["result"].as_str()),
        (Some("config"), Some("reload"), Some("ok")),
        "{g}"
    );
    let reloaded_at = g["lastLoad"]["time"].as_u64().unwrap();
    std::fs::write(pdir.join("cfg.zone"), zone_text("cfg.example", 3, (3600, 600, 86400), 1, "bad A 300.0.0.1\n")).unwrap();
    let from = s.ib.proc.log_len();
    s.ib.reload();
    s.ib.proc.expect(from, &["reload done"], 30 * S);
    let g = s.api.call("GET", "/v1/zones/cfg.example", None).json();
    let result = g["lastLoad"]["result"].as_str().unwrap();
    assert!(result.contains("cfg.zone:") && result.contains("keeping the version already served"), "{g}");
    assert!(g["lastLoad"]["time"].as_u64().unwrap() >= reloaded_at && g["serial"].as_u64() == Some(2), "{g}");
    assert_eq!(s.api.call("PUT", "/v1/zones/example.org", Some(&primary("192.0.2.9", &[], &[]))).status, 200);
}

/// A secondary created by PUT transfers from an ironbind primary; refresh
/// with `force` transfers again even at the same serial; DELETE stops it.
#[test]
fn secondary_by_put_and_forced_refresh() {
    require(&["dig"]);
    let pdir = tempdir("ctl-sec-p");
    let file = pdir.join("example.com.zone");
    std::fs::write(&file, zone_text("example.com", 1, (3600, 600, 86400), 3, "")).unwrap();
    let zone_arg = format!("example.com={}", file.display());
    let mut p = start_ironbind("ctl-primary", free_port(), &pdir.join("data"), &["--zone", &zone_arg, "--allow-transfer", "127.0.0.1"]);
    let s = start("ctl-sec", &[]);
    let body = json!({"type": "secondary", "primaries": [p.addr.to_string()], "allowTransfer": ["127.0.0.0/8"]});
    let r = s.api.call("PUT", "/v1/zones/example.com", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    s.ib.proc.expect(0, &["Transfer completed:", "(serial 1)"], 30 * S);
    assert_eq!(axfr(s.ib.addr, "example.com", false), axfr(p.addr, "example.com", false));
    let r = s.api.call("PUT", "/v1/zones/example.com", Some(&body)).json();
    assert_eq!((r["changed"].as_bool(), r["serial"].as_u64()), (Some(false), Some(1)), "{r}");
    let g = s.api.call("GET", "/v1/zones/example.com", None).json();
    assert_eq!((g["type"].as_str(), g["refresh"]["state"].as_str(), g["serial"].as_u64()), (Some("secondary"), Some("ok"), Some(1)), "{g}");
    assert!(g["refresh"]["lastRefresh"].as_u64().is_some(), "{g}");
    assert_eq!(
        (g["lastLoad"]["op"].as_str(), g["lastLoad"]["result"].as_str(), g["refresh"]["failures"].as_u64()),
        (Some("transfer"), Some("ok"), Some(0)),
        "{g}"
    );

    // New data at the same serial: a plain refresh keeps ours, a forced one takes theirs.
    let from = p.proc.log_len();
    std::fs::write(&file, zone_text("example.com", 1, (3600, 600, 86400), 3, "new A 192.0.2.55\n")).unwrap();
    p.reload();
    p.proc.expect(from, &["reload done"], 30 * S);
    let sl = s.ib.proc.log_len();
    assert_eq!(s.api.call("POST", "/v1/zones/example.com/refresh", None).status, 202);
    s.ib.proc.expect(sl, &["refresh requested"], 10 * S);
    std::thread::sleep(2 * S);
    assert!(s.ib.proc.lines_with(sl, &["Transfer completed"]).is_empty(), "{}", s.ib.proc.log());
    assert_eq!(status(s.ib.addr, "new.example.com", "A"), "NXDOMAIN");
    let r = s.api.call("POST", "/v1/zones/example.com/refresh?force=true", None);
    assert_eq!((r.status, r.json()["force"].as_bool()), (202, Some(true)), "{}", r.body);
    s.ib.proc.expect(sl, &["Transfer completed:", "(serial 1)"], 30 * S);
    assert_eq!(a(s.ib.addr, "new.example.com").as_deref(), Some("192.0.2.55"));
    assert_eq!(s.api.call("POST", "/v1/zones/example.com/refresh?force=maybe", None).status, 400);

    // The primary goes away: the next refresh fails and the zone shows it
    // retrying, still served.
    p.proc.stop();
    assert_eq!(s.api.call("POST", "/v1/zones/example.com/refresh", None).status, 202);
    let mut g = Value::Null;
    assert!(
        wait_until(30 * S, || {
            g = s.api.call("GET", "/v1/zones/example.com?rrsets=false", None).json();
            g["refresh"]["state"] == "retrying"
        }),
        "{g}"
    );
    assert_eq!((g["refresh"]["failures"].as_u64(), g["lastLoad"]["op"].as_str()), (Some(1), Some("refresh")), "{g}");
    assert!(g["lastLoad"]["result"].as_str().unwrap().contains("failed with every primary"), "{g}");
    assert_eq!(a(s.ib.addr, "new.example.com").as_deref(), Some("192.0.2.55"));

    // Writes of records are refused; DELETE stops it and removes its files.
    assert_eq!(s.api.call("PUT", "/v1/zones/example.com", Some(&primary("192.0.2.1", &[], &[]))).status, 409);
    assert!(s.zone_file("example.com.zone").exists());
    assert_eq!(s.api.call("DELETE", "/v1/zones/example.com", None).status, 200);
    assert_eq!(status(s.ib.addr, "example.com", "SOA"), "REFUSED");
    assert!(!s.zone_file("example.com.zone").exists() && !s.zone_file("example.com.timers").exists());
}

/// Keys: listed without secrets, usable for transfers, protected while in use.
#[test]
fn keys_never_echo_secrets() {
    let other = "b3RoZXItc2VjcmV0LW9mLXRoaXJ0eS10d28tb2N0ZXRzISE=";
    let cfg_key = format!("cfgkey=hmac-sha256:{other}");
    let s = start("ctl-keys", &["--tsig-key", &cfg_key, "--example"]);
    let r = s.api.call("PUT", &format!("/v1/keys/{KEY}"), Some(&json!({"algorithm": "hmac-sha256", "secret": SECRET})));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains(SECRET), "{}", r.body);
    assert_eq!(r.json()["changed"].as_bool(), Some(true));
    assert_eq!(s.api.call("PUT", &format!("/v1/keys/{KEY}"), Some(&json!({"secret": SECRET}))).json()["changed"].as_bool(), Some(false));
    let list = s.api.call("GET", "/v1/keys", None);
    assert!(!list.body.contains(SECRET) && !list.body.contains(other), "{}", list.body);
    let keys = list.json();
    assert!(keys["keys"].as_array().unwrap().iter().any(|k| k["name"] == KEY && k["algorithm"] == "hmac-sha256" && k["source"] == "api"), "{keys}");
    assert!(keys["keys"].as_array().unwrap().iter().any(|k| k["name"] == "cfgkey" && k["source"] == "config"), "{keys}");
    assert_eq!(s.api.call("PUT", "/v1/keys/cfgkey", Some(&json!({"secret": SECRET}))).status, 409);
    assert_eq!(s.api.call("DELETE", "/v1/keys/cfgkey", None).status, 409);
    let r = s.api.call("PUT", "/v1/keys/k2", Some(&json!({"algorithm": "hmac-md5", "secret": SECRET})));
    assert_eq!((r.status, r.json()["field"].as_str()), (422, Some("algorithm")), "{}", r.body);
    let r = s.api.call("PUT", "/v1/keys/k2", Some(&json!({"secret": "!!"})));
    assert_eq!((r.status, r.json()["field"].as_str()), (422, Some("secret")), "{}", r.body);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s.ib.data_dir.join("control/keys.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // A zone transferable only with the key.
    let mut body = primary("192.0.2.1", &[], &[]);
    body["allowTransfer"] = json!([]);
    body["allowTransferKeys"] = json!([KEY]);
    assert_eq!(s.api.call("PUT", "/v1/zones/example.org", Some(&body)).status, 201);
    assert!(axfr(s.ib.addr, ZONE, true).len() > 3, "TSIG AXFR with the API key");
    assert!(axfr(s.ib.addr, ZONE, false).is_empty(), "unsigned AXFR refused");
    let r = s.api.call("DELETE", &format!("/v1/keys/{KEY}"), None);
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.json()["error"].as_str().unwrap().contains("example.org"), "{}", r.body);
    assert_eq!(s.api.call("DELETE", "/v1/zones/example.org", None).status, 200);
    assert_eq!(s.api.call("DELETE", &format!("/v1/keys/{KEY}"), None).status, 200);
    assert_eq!(s.api.call("DELETE", &format!("/v1/keys/{KEY}"), None).status, 404);
    assert!(!s.api.call("GET", "/v1/keys", None).body.contains(KEY));
}

/// HTTPS with a certificate made here; plain HTTP is not answered.
#[test]
fn tls_when_configured() {
    let dir = tempdir("ctl-tls");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let s = start("ctl-tls", &["--example", "--control-tls-cert", &c, "--control-tls-key", &k]);
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let client = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = Api { tls: Some(std::sync::Arc::new(client)), ..s.api.clone() };
    assert_eq!(tls.call_as(None, "GET", "/healthz", None).status, 200);
    assert_eq!(tls.call_as(None, "GET", "/v1/zones", None).status, 401);
    let r = tls.call("GET", "/v1/zones", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("example.com."), "{}", r.body);
    // Plain HTTP gets no HTTP answer.
    let mut plain = std::net::TcpStream::connect(s.api.addr).unwrap();
    plain.set_read_timeout(Some(10 * S)).unwrap();
    use std::io::{Read, Write};
    plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&got));
}
