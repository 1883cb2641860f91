//! Interop with the real `dig` (Debian bind9-dnsutils): the server works with
//! the tool operators use, over UDP, over TCP, and with dig's own fallback to
//! TCP after a truncated UDP answer.
//!
//! `scripts/test.sh` installs dig. Without it these tests fail, unless
//! `IRONBIND_SKIP_DIG=1` says to skip them.

use std::process::Command;

use ironbind_tests::{Server, ServerConfig};

fn dig_available() -> bool {
    match Command::new("dig").arg("-v").output() {
        Ok(_) => true,
        Err(_) => {
            if std::env::var_os("IRONBIND_SKIP_DIG").is_some() {
                eprintln!("dig not found; skipped (IRONBIND_SKIP_DIG is set)");
                false
            } else {
                panic!("dig not found: install bind9-dnsutils (scripts/test.sh does) or set IRONBIND_SKIP_DIG=1");
            }
        }
    }
}

fn server() -> Server {
    ServerConfig::default().zone_file("example.com.", "example.com.zone").start().expect("start")
}

/// Runs dig against the server with `+time=2 +tries=1` and returns stdout.
fn dig(s: &Server, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", s.addr().ip()))
        .args(["-p", &s.addr().port().to_string(), "+time=2", "+tries=1", "+nocookie"])
        .args(args)
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "dig {args:?} failed ({}):\n{text}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    text
}

/// The flags of dig's `;; flags: qr aa rd;` line.
fn flags(out: &str) -> Vec<String> {
    let line = out.lines().find(|l| l.starts_with(";; flags:")).unwrap_or_else(|| panic!("no flags line:\n{out}"));
    let f = line.trim_start_matches(";; flags:").split(';').next().unwrap();
    f.split_whitespace().map(str::to_string).collect()
}

fn status(out: &str) -> String {
    let i = out.find("status: ").unwrap_or_else(|| panic!("no status in:\n{out}"));
    out[i + 8..].split(',').next().unwrap().to_string()
}

/// Answer section lines, whitespace-normalised.
fn answers(out: &str) -> Vec<String> {
    let mut in_answer = false;
    let mut v = Vec::new();
    for l in out.lines() {
        if l.starts_with(";; ANSWER SECTION:") {
            in_answer = true;
            continue;
        }
        if in_answer {
            if l.trim().is_empty() {
                break;
            }
            v.push(l.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    v
}

#[test]
fn dig_udp_answer() {
    if !dig_available() {
        return;
    }
    let s = server();
    let out = dig(&s, &["www.example.com"]);
    assert_eq!(status(&out), "NOERROR", "{out}");
    let f = flags(&out);
    assert!(f.contains(&"aa".to_string()) && f.contains(&"qr".to_string()), "{out}");
    assert!(!f.contains(&"ra".to_string()), "{out}");
    assert_eq!(answers(&out), ["www.example.com. 3600 IN A 192.0.2.1"], "{out}");
    assert!(out.contains("(UDP)"), "{out}");
    assert!(out.contains("OPT PSEUDOSECTION"), "dig sends EDNS, so the answer has an OPT:\n{out}");
}

#[test]
fn dig_tcp_answer() {
    if !dig_available() {
        return;
    }
    let s = server();
    let out = dig(&s, &["+tcp", "www.example.com", "AAAA"]);
    assert_eq!(status(&out), "NOERROR", "{out}");
    assert!(flags(&out).contains(&"aa".to_string()), "{out}");
    assert_eq!(answers(&out), ["www.example.com. 3600 IN AAAA 2001:db8::1"], "{out}");
    assert!(out.contains("(TCP)"), "{out}");
}

#[test]
fn dig_falls_back_to_tcp_after_truncation() {
    if !dig_available() {
        return;
    }
    let s = server();
    let out = dig(&s, &["+bufsize=512", "txt.medium.example.com", "TXT"]);
    assert!(out.contains("Truncated, retrying in TCP mode"), "expected a TC=1 UDP answer first:\n{out}");
    assert!(out.contains("(TCP)"), "{out}");
    assert_eq!(status(&out), "NOERROR", "{out}");
    assert_eq!(answers(&out).len(), 4, "all four TXT records over TCP:\n{out}");
    // With +ignore dig shows the truncated UDP answer itself: TC=1, OPT kept
    // (RFC 8906 §8.2.7).
    let out = dig(&s, &["+bufsize=512", "+ignore", "txt.medium.example.com", "TXT"]);
    assert!(flags(&out).contains(&"tc".to_string()), "{out}");
    assert!(out.contains("OPT PSEUDOSECTION"), "TC answer must keep the OPT:\n{out}");
}

#[test]
fn dig_negative_and_error_answers() {
    if !dig_available() {
        return;
    }
    let s = server();
    let out = dig(&s, &["nope.example.com"]);
    assert_eq!(status(&out), "NXDOMAIN", "{out}");
    assert!(out.contains("AUTHORITY SECTION"), "{out}");
    let out = dig(&s, &["www.example.org"]);
    assert_eq!(status(&out), "REFUSED", "{out}");
    let out = dig(&s, &["+edns=1", "+noednsneg", "www.example.com"]);
    assert_eq!(status(&out), "BADVERS", "{out}");
    let out = dig(&s, &["CH", "TXT", "version.bind"]);
    assert_eq!(status(&out), "REFUSED", "{out}");
    let out = dig(&s, &["+noedns", "+opcode=15", "+header-only"]);
    assert_eq!(status(&out), "NOTIMP", "{out}");
    assert!(!out.contains("OPT PSEUDOSECTION"), "{out}");
}
