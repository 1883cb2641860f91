//! Tests of the configuration document and flag merging.
use super::*;
use clap::Parser;

const FULL: &str = r#"
version = 1
listen = ["127.0.0.1:5353", "[::1]:5353"]
udp_workers = 2
udp_max_payload = 1232
allow_query = ["0.0.0.0/0", "::/0"]
data_dir = "data"
[chaos]
version = "ironbind"
id = "ns1"
[tcp]
idle_timeout_ms = 10000
max_connections = 1024
max_connections_per_client = 64
[log]
format = "json"
level = "info"
query_log = false
[transfer]
timeout_secs = 60
notify_retries = 3
[[tsig_key]]
name = "xfr"
algorithm = "hmac-sha256"
secret = "c2VjcmV0"
[[tsig_key]]
name = "other"
secret = "b3RoZXI="
[[zone]]
name = "example.com"
file = "example.com.zone"
allow_transfer = ["10.0.0.0/8"]
allow_transfer_keys = ["xfr"]
also_notify = ["192.0.2.10:5300", { address = "192.0.2.11", key = "other" }]
notify_key = "xfr"
[[zone]]
name = "example.org"
type = "secondary"
primaries = ["192.0.2.1", "192.0.2.2:5300@xfr"]
allow_notify = ["192.0.2.3"]
"#;

#[test]
fn full_document_parses() {
    let cfg = Config::from_toml(FULL, "t.toml", Some(Path::new("/etc/ironbind"))).unwrap();
    assert_eq!(cfg.listen.len(), 2);
    assert_eq!(cfg.udp_workers(), 2);
    assert_eq!(cfg.allow_query.len(), 2);
    assert_eq!(cfg.chaos.id.as_deref(), Some("ns1"));
    assert_eq!(cfg.log.format, LogFormat::Json);
    assert_eq!(cfg.zones[0].file, Some(PathBuf::from("/etc/ironbind/example.com.zone")));
    assert_eq!(cfg.data_dir, PathBuf::from("/etc/ironbind/data"));
    assert_eq!(cfg.zones[0].kind, ZoneKind::Primary);
    let p = cfg.zones[0].policy();
    assert!(p.allow_transfer.matches("10.1.2.3".parse().unwrap()));
    assert_eq!(p.also_notify[0].key.as_deref(), Some("xfr"), "notify_key fills targets without a key");
    assert_eq!(p.also_notify[1].key.as_deref(), Some("other"));
    let s = &cfg.zones[1];
    assert_eq!(s.kind, ZoneKind::Secondary);
    assert_eq!(s.primaries[0].addr, "192.0.2.1:53".parse().unwrap());
    assert_eq!(s.primaries[1].key.as_deref(), Some("xfr"));
    assert!(matches!(&s.policy().role, crate::catalog::Role::Secondary { primaries } if primaries.len() == 2));
    let ring = cfg.key_ring().unwrap();
    assert_eq!(ring.len(), 2);
    assert_eq!(cfg.transfer.notify_retries, 3);
}

#[test]
fn minimal_document_gets_defaults() {
    let cfg = Config::from_toml("version = 1", "t.toml", None).unwrap();
    assert_eq!(cfg.udp_max_payload, 1232);
    assert_eq!(cfg.tcp, TcpConfig::default());
    assert_eq!(cfg.listen_addrs(), vec![DEFAULT_LISTEN.parse::<SocketAddr>().unwrap()]);
    assert!(cfg.udp_workers() >= 1);
}

#[test]
fn version_is_required_and_checked() {
    let e = Config::from_toml("listen = []", "a.toml", None).unwrap_err().to_string();
    assert!(e.contains("a.toml") && e.contains("version") && e.contains("missing"), "{e}");
    let e = Config::from_toml("version = 2\nnew_field = 1", "a.toml", None).unwrap_err().to_string();
    assert!(e.contains("version = 2 is not supported"), "{e}");
}

#[test]
fn errors_name_file_and_field() {
    let e = Config::from_toml("version = 1\nudp_max_payload = 100", "c.toml", None).unwrap_err().to_string();
    assert_eq!(e, "c.toml: udp_max_payload = 100 is out of range 512..=65535");
    let e = Config::from_toml("version = 1\n[tcp]\nidle_timeout_ms = 5", "c.toml", None).unwrap_err().to_string();
    assert!(e.contains("tcp.idle_timeout_ms = 5"), "{e}");
    let e = Config::from_toml("version = 1\nudp_workers = 0", "c.toml", None).unwrap_err().to_string();
    assert!(e.contains("udp_workers = 0"), "{e}");
    let e = Config::from_toml("version = 1\nbogus = 1", "c.toml", None).unwrap_err().to_string();
    assert!(e.starts_with("c.toml:2:1: unknown field `bogus`"), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
    let e = Config::from_toml("version = 1\n[tcp]\nidle = 1", "c.toml", None).unwrap_err().to_string();
    assert!(e.starts_with("c.toml:3:1: unknown field `idle`"), "{e}");
    let e = Config::from_toml("version = 1\nallow_query = [\"10.0.0.0/99\"]", "c.toml", None).unwrap_err().to_string();
    assert!(e.contains("allow_query") && e.contains("10.0.0.0/99"), "{e}");
    let dup = "version = 1\n[[zone]]\nname = \"a.\"\nfile = \"x\"\n[[zone]]\nname = \"A\"\nfile = \"y\"";
    let e = Config::from_toml(dup, "c.toml", None).unwrap_err().to_string();
    assert!(e.contains("zone[1].name") && e.contains("twice"), "{e}");
    let e = Config::from_toml("version = 1\n[[zone]]\nname = \"a..b\"\nfile = \"x\"", "c.toml", None).unwrap_err();
    assert!(e.to_string().contains("zone[0].name") && e.to_string().contains("empty label"), "{e}");
    let e = Config::from_toml("version = 1\n[log]\nformat = \"xml\"", "c.toml", None).unwrap_err().to_string();
    assert!(e.contains("xml"), "{e}");
}

#[test]
fn flags_override_and_require_zones() {
    let cli = Cli::parse_from(["ironbind", "--listen", "127.0.0.1:0"]);
    assert!(matches!(cli.load(), Err(ConfigError::NoZones)));
    let cli = Cli::parse_from([
        "ironbind",
        "--example",
        "--zone",
        "test.=/tmp/test.zone",
        "--udp-workers",
        "3",
        "--allow-query",
        "10.0.0.0/8",
        "--log-format",
        "json",
        "--query-log",
        "--chaos-id",
        "x",
    ]);
    let cfg = cli.load().unwrap();
    assert!(cfg.example_zone);
    assert_eq!(cfg.zones[0].name, "test.");
    assert_eq!(cfg.udp_workers(), 3);
    assert_eq!(cfg.log.format, LogFormat::Json);
    assert!(cfg.log.query_log);
    assert_eq!(cfg.query_config().chaos_id.as_deref(), Some("x"));
    let e = Cli::parse_from(["ironbind", "--example", "--udp-max-payload", "70000"]).load().unwrap_err();
    assert_eq!(e.to_string(), "command line: --udp-max-payload = 70000 is out of range 512..=65535");
    let e = Cli::try_parse_from(["ironbind", "--zone", "nofile"]).unwrap_err().to_string();
    assert!(e.contains("expected NAME=FILE, e.g. example.com=/etc/ironbind/example.com.zone, got \"nofile\""), "{e}");
}

#[test]
fn transfer_sections_are_checked() {
    let bad = |body: &str| Config::from_toml(&format!("version = 1\n{body}"), "c.toml", None).unwrap_err().to_string();
    let e = bad("[[zone]]\nname = \"a\"\ntype = \"secondary\"");
    assert!(e.contains("zone[0].primaries") && e.contains("at least one primary"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"\ntype = \"secondary\"\nprimaries = [\"192.0.2.1\"]\nfile = \"x\"");
    assert!(e.contains("zone[0].file"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"");
    assert!(e.contains("zone[0].file") && e.contains("master file"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"\nfile = \"x\"\nprimaries = [\"192.0.2.1\"]");
    assert!(e.contains("type = \\\"secondary\\\"") || e.contains("only a secondary"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"\ntype = \"secondary\"\nprimaries = [\"192.0.2.1@nokey\"]");
    assert!(e.contains("zone[0].primaries[0]") && e.contains("\"nokey\" is not defined"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"\ntype = \"secondary\"\nprimaries = [\"ns1.example\"]");
    assert!(e.contains("c.toml:") && e.contains("ns1.example"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"\ntype = \"tertiary\"\nfile = \"x\"");
    assert!(e.contains("tertiary"), "{e}");
    let e = bad("[[tsig_key]]\nname = \"k\"\nalgorithm = \"hmac-md5\"\nsecret = \"c2VjcmV0\"");
    assert!(e.contains("tsig_key[0]") && e.contains("MD5"), "{e}");
    let e = bad("[[tsig_key]]\nname = \"k\"");
    assert!(e.contains("exactly one of `secret` and `secret_file`"), "{e}");
    let e = bad("[[tsig_key]]\nname = \"k\"\nsecret_file = \"/nonexistent/k\"");
    assert!(e.contains("/nonexistent/k"), "{e}");
    let e = bad("[transfer]\nnotify_retries = 0");
    assert_eq!(e, "c.toml: transfer.notify_retries = 0 is out of range 1..=100");
    let e = bad("[transfer]\nrefresh_min_secs = 600\nrefresh_max_secs = 300");
    assert!(e.contains("transfer.refresh_min_secs"), "{e}");
    let e = bad("[[zone]]\nname = \"a\"\nfile = \"x\"\nalso_notify = [{ address = \"192.0.2.1\", port = 1 }]");
    assert!(e.contains("port"), "{e}");
}

#[test]
fn secret_files_are_read_relative_to_the_config() {
    let dir = std::env::temp_dir().join(format!("ironbind-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("k.secret"), "c2VjcmV0\n").unwrap();
    let cfg = Config::from_toml("version = 1\n[[tsig_key]]\nname = \"k\"\nsecret_file = \"k.secret\"", "t.toml", Some(&dir)).unwrap();
    assert_eq!(cfg.key_ring().unwrap().len(), 1);
    assert!(!format!("{cfg:?}").contains("c2VjcmV0"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn transfer_flags() {
    let cli = Cli::parse_from([
        "ironbind",
        "--zone",
        "example.com=/tmp/x.zone",
        "--secondary",
        "example.org=192.0.2.1:53,192.0.2.2@k",
        "--allow-transfer",
        "127.0.0.0/8",
        "--allow-transfer-key",
        "k",
        "--allow-update-key",
        "k",
        "--also-notify",
        "127.0.0.1:5301",
        "--data-dir",
        "/tmp/ib",
        "--tsig-key",
        "k=hmac-sha256:c2VjcmV0",
    ]);
    let cfg = cli.load().unwrap();
    assert_eq!(cfg.data_dir, PathBuf::from("/tmp/ib"));
    let p = cfg.zones[0].policy();
    assert!(p.allow_transfer.matches("127.0.0.1".parse().unwrap()));
    assert_eq!(p.allow_transfer_keys, ["k"]);
    assert_eq!(p.allow_update, ["k"]);
    assert_eq!(p.also_notify[0].addr, "127.0.0.1:5301".parse().unwrap());
    let s = &cfg.zones[1];
    assert_eq!((s.kind, s.primaries.len(), s.primaries[1].addr.port()), (ZoneKind::Secondary, 2, 53));
    assert!(s.allow_transfer.is_empty(), "--allow-transfer applies to primaries only");
    // A secondary alone is something to serve; an unknown key is not.
    assert!(Cli::parse_from(["ironbind", "--secondary", "a=192.0.2.1"]).load().is_ok());
    let e = Cli::parse_from(["ironbind", "--secondary", "a=192.0.2.1@k"]).load().unwrap_err().to_string();
    assert!(e.starts_with("command line: zone[0].primaries[0]") && e.contains("\"k\" is not defined"), "{e}");
    let e = Cli::try_parse_from(["ironbind", "--secondary", "a"]).unwrap_err().to_string();
    assert!(e.contains("expected NAME=ADDR[:PORT][@KEY][,ADDR...], e.g. example.com=192.0.2.1:53,192.0.2.2, got \"a\""), "{e}");
    let e = Cli::try_parse_from(["ironbind", "--secondary", "a=192.0.2.1,bogus"]).unwrap_err().to_string();
    assert!(e.contains("invalid server address \"bogus\": expected ADDR[:PORT][@KEY]"), "{e}");
    let e = Cli::try_parse_from(["ironbind", "--tsig-key", "k=hmac-md5:c2VjcmV0"]).unwrap_err().to_string();
    assert!(e.contains("TSIG algorithm HMAC-MD5 is not allowed"), "{e}");
    let e = Cli::try_parse_from(["ironbind", "--tsig-key", "k"]).unwrap_err().to_string();
    assert!(e.contains("expected NAME=ALGORITHM:BASE64SECRET, e.g. xfr-key=hmac-sha256:c2VjcmV0"), "{e}");
    let e = Cli::try_parse_from(["ironbind", "--control-listen", "nowhere"]).unwrap_err().to_string();
    assert!(e.contains("invalid control address \"nowhere\": expected ADDR[:PORT]"), "{e}");
    assert!(Cli::try_parse_from(["ironbind", "--also-notify", "x"]).is_err());
    // The default data directory.
    assert_eq!(Cli::parse_from(["ironbind", "--example"]).load().unwrap().data_dir, PathBuf::from(DEFAULT_DATA_DIR));
}

#[test]
fn allow_update_names_defined_keys_on_primaries_only() {
    let key = "[[tsig_key]]\nname = \"upd\"\nsecret = \"c2VjcmV0\"\n";
    let doc = |zone: &str| format!("version = 1\n{key}[[zone]]\nname = \"example.com\"\n{zone}");
    let cfg = Config::from_toml(&doc("file = \"x\"\nallow_update = [\"upd\"]"), "u.toml", None).unwrap();
    assert_eq!(cfg.zones[0].policy().allow_update, ["upd"]);
    assert!(Config::from_toml(&doc("file = \"x\""), "u.toml", None).unwrap().zones[0].policy().allow_update.is_empty());
    let e = Config::from_toml(&doc("file = \"x\"\nallow_update = [\"nope\"]"), "u.toml", None).unwrap_err().to_string();
    assert!(e.contains("zone[0].allow_update[0]") && e.contains("\"nope\" is not defined"), "{e}");
    let e = Config::from_toml(&doc("type = \"secondary\"\nprimaries = [\"192.0.2.1\"]\nallow_update = [\"upd\"]"), "u.toml", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("zone[0].allow_update") && e.contains("secondary"), "{e}");
}

#[test]
fn query_log_is_off_by_default_and_has_a_second_spelling() {
    assert!(!Config::from_toml("version = 1", "l.toml", None).unwrap().log.query_log);
    for key in ["query_log", "log_queries"] {
        let cfg = Config::from_toml(&format!("version = 1\n[log]\nformat = \"json\"\n{key} = true"), "l.toml", None).unwrap();
        assert!(cfg.log.query_log, "{key}");
        assert_eq!(cfg.log.format, LogFormat::Json);
    }
    for flag in ["--query-log", "--log-queries"] {
        assert!(Cli::parse_from(["ironbind", "--example", flag]).load().unwrap().log.query_log, "{flag}");
    }
    assert!(!Cli::parse_from(["ironbind", "--example"]).load().unwrap().log.query_log);
}

// ---- zone size limits ----

/// `[transfer] max_records` / `max_zone_bytes` are the defaults, a
/// `[[zone]]` overrides them, the flags replace the file's, and every
/// value is range-checked wherever it comes from.
#[test]
fn zone_limits_from_file_zone_and_flags() {
    use crate::zone::limits::{ZoneLimits, DEFAULT_MAX_RECORDS, DEFAULT_MAX_ZONE_BYTES};
    let doc = |transfer: &str, zone: &str| format!("version = 1\n[transfer]\n{transfer}\n[[zone]]\nname = \"example.com\"\nfile = \"x\"\n{zone}\n");
    let cfg = Config::from_toml(&doc("", ""), "l.toml", None).unwrap();
    assert_eq!(cfg.transfer.zone_limits(), ZoneLimits { max_records: DEFAULT_MAX_RECORDS, max_zone_bytes: DEFAULT_MAX_ZONE_BYTES });
    assert_eq!((DEFAULT_MAX_RECORDS, DEFAULT_MAX_ZONE_BYTES), (10_000_000, 1 << 30));
    let cfg = Config::from_toml(&doc("max_records = 1000\nmax_zone_bytes = 65536", "max_records = 10"), "l.toml", None).unwrap();
    let limits = cfg.zones[0].policy().limits(cfg.transfer.zone_limits());
    assert_eq!(limits, ZoneLimits { max_records: 10, max_zone_bytes: 65536 });
    let e = Config::from_toml(&doc("max_records = 1", ""), "l.toml", None).unwrap_err().to_string();
    assert_eq!(e, "l.toml: transfer.max_records = 1 is out of range 2..=4294967295");
    let e = Config::from_toml(&doc("", "max_zone_bytes = 8589934592"), "l.toml", None).unwrap_err().to_string();
    assert_eq!(e, "l.toml: zone.max_zone_bytes = 8589934592 is out of range 512..=4294967295");
    let e = Config::from_toml(&doc("max_record = 5", ""), "l.toml", None).unwrap_err().to_string();
    assert!(e.contains("unknown field `max_record`"), "{e}");

    let cfg = Cli::parse_from(["ironbind", "--example", "--max-records", "500", "--max-zone-bytes", "100000"]).load().unwrap();
    assert_eq!(cfg.transfer.zone_limits(), ZoneLimits { max_records: 500, max_zone_bytes: 100_000 });
    let e = Cli::parse_from(["ironbind", "--example", "--max-zone-bytes", "10"]).load().unwrap_err().to_string();
    assert_eq!(e, "command line: --max-zone-bytes = 10 is out of range 512..=4294967295");
}

// ---- end of zone size limits ----
