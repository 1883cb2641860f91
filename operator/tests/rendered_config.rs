//! The config document the operator renders for a `Bind9Instance` is one the
//! real `ironbind` binary takes: started with it (and the per-pod flags the
//! Deployment passes), the server listens and its control API answers
//! `/readyz` with the token from the Secret.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ironbind_operator::instance::render;
use ironbind_test_support::{binary, free_port, Launch, Ready, TempDir};

const SEED: &str = include_str!("../../deploy/examples/seed/06-bind9instance-secondary-dns-labelled.yaml");

fn get(addr: &str, path: &str, token: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("control API");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn the_server_runs_with_the_rendered_config() {
    let instance: ironbind_crds::v1alpha1::Bind9Instance = serde_norway::from_str(SEED).unwrap();
    let doc = render::config_toml(&instance.spec).unwrap();
    let dir = TempDir::new("rendered").unwrap();
    let config = dir.path().join("ironbind.toml");
    std::fs::write(&config, &doc).unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token").unwrap();
    let control = format!("127.0.0.1:{}", free_port());
    // What the Deployment's args do with $(POD_IP), and what its mounts put at
    // /var/lib/bind and /var/run/secrets/ironbind: given here as flags instead.
    let server = Launch::new("rendered")
        .bin(binary())
        .config(&config)
        .data_dir(&dir.path().join("data"))
        .args(["--control-listen", &control, "--control-token-file", token.to_str().unwrap()])
        .listen(format!("127.0.0.1:{}", free_port()).parse().unwrap())
        .ready(Ready::Answers("example.com".into()))
        .start();
    let ready = get(&control, "/readyz", "s3cret-token");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    let zones = get(&control, "/v1/zones", "wrong-token");
    assert!(zones.starts_with("HTTP/1.1 401"), "the token from the Secret guards the API: {zones}");
    let log = server.log();
    assert!(log.lines().any(|l| l.starts_with('{')), "JSON log lines, as rendered: {log}");
    drop(server);
}
