//! `metrics::render` and `catalog::health::readiness` against a running
//! in-process server.

use std::collections::HashMap;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::Server;
use crate::catalog::health::{self, ZoneState};
use crate::config::{Config, RemoteSpec, ZoneConfig};
use crate::lifecycle::Shared;
use crate::metrics::render;

fn readiness(rt: &Shared) -> (bool, Vec<String>) {
    health::readiness(&rt.catalog, &rt.zones)
}

fn states(rt: &Shared) -> Vec<health::ZoneHealth> {
    health::zone_states(&rt.catalog, &rt.zones)
}

fn tempdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("ironbind-metrics-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A loopback port nobody listens on (UDP and TCP).
fn closed_port() -> u16 {
    let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    u.local_addr().unwrap().port()
}

async fn start(secondary: bool) -> (Server, PathBuf) {
    let dir = tempdir(if secondary { "sec" } else { "pri" });
    let mut cfg = Config { example_zone: true, data_dir: dir.clone(), udp_workers: Some(1), ..Config::default() };
    cfg.listen = vec!["127.0.0.1:0".parse().unwrap()];
    if secondary {
        let primary: RemoteSpec = format!("127.0.0.1:{}", closed_port()).parse().unwrap();
        let mut z = ZoneConfig::secondary("sec.test", vec![primary]);
        z.notify_ns = false;
        cfg.zones.push(z);
    }
    let server = Server::start(cfg, CancellationToken::new()).await.unwrap();
    (server, dir)
}

/// Checks the exposition format line by line and returns the samples
/// (`name{labels}` → value).
fn parse(text: &str) -> HashMap<String, f64> {
    let mut typed = std::collections::HashSet::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_string()), "TYPE twice: {line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line:?}"));
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
        assert!(typed.contains(name), "sample before its TYPE: {line}");
        if let Some(labels) = series.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')), "{line}");
        }
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line:?}"));
        assert!(samples.insert(series.to_string(), v).is_none(), "duplicate series: {line}");
    }
    samples
}

#[tokio::test]
async fn a_loaded_primary_is_ready_and_its_serial_is_a_gauge() {
    let (server, dir) = start(false).await;
    let rt = server.runtime();
    let serial = rt.zones.load().iter().next().unwrap().zone.serial;
    assert_eq!(readiness(rt), (true, Vec::new()));
    let m = parse(&render(&states(rt)));
    assert_eq!(m["ironbind_zone_serial{zone=\"example.com\"}"], serial as f64);
    assert_eq!(m["ironbind_zones{state=\"loaded\"}"], 1.0);
    assert_eq!(m["ironbind_zones{state=\"pending\"}"], 0.0);
    assert!(m.contains_key("ironbind_transfers_out_total{kind=\"axfr\",result=\"success\"}"));
    assert!(m.contains_key("ironbind_responses_truncated_total{proto=\"udp\"}"));
    assert!(m["process_resident_memory_bytes"] > 0.0);
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_secondary_without_data_is_pending_and_not_ready() {
    let (server, dir) = start(true).await;
    let rt = server.runtime();
    let (ready, why) = readiness(rt);
    assert!(!ready);
    assert_eq!(why, vec!["sec.test: secondary not transferred yet (no saved copy)".to_string()]);
    let now = states(rt);
    assert_eq!(
        now.iter().map(|z| (z.name.as_str(), z.state)).collect::<Vec<_>>(),
        [("example.com", ZoneState::Loaded), ("sec.test", ZoneState::Pending)]
    );
    let m = parse(&render(&states(rt)));
    assert_eq!(m["ironbind_zones{state=\"pending\"}"], 1.0);
    assert_eq!(m["ironbind_zones{state=\"loaded\"}"], 1.0);
    assert!(!m.keys().any(|k| k.contains("sec.test")), "no serial for a zone not served");
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
