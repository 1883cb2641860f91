//! Tests of the configuration document and flag merging.
use super::*;
use clap::Parser;

const FULL: &str = r#"
version = 1
listen = ["127.0.0.1:5353", "[::1]:5353"]
udp_workers = 2
udp_max_payload = 1232
allow_query = ["0.0.0.0/0", "::/0"]
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
[[zone]]
name = "example.com"
file = "example.com.zone"
"#;

#[test]
fn full_document_parses() {
    let cfg = Config::from_toml(FULL, "t.toml", Some(Path::new("/etc/ironbind"))).unwrap();
    assert_eq!(cfg.listen.len(), 2);
    assert_eq!(cfg.udp_workers(), 2);
    assert_eq!(cfg.allow_query.len(), 2);
    assert_eq!(cfg.chaos.id.as_deref(), Some("ns1"));
    assert_eq!(cfg.log.format, LogFormat::Json);
    assert_eq!(cfg.zones[0].file, PathBuf::from("/etc/ironbind/example.com.zone"));
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
    assert!(Cli::try_parse_from(["ironbind", "--zone", "nofile"]).is_err());
}
