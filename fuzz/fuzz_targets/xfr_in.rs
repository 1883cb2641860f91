//! Fuzz target `xfr_in`: arbitrary bytes as what a primary sends back to
//! our AXFR or IXFR request, read by the real client
//! (`remote::transfer`) over a loopback TCP connection, then turned into
//! a zone or a chain of differences as `lifecycle::inbound` does
//! (`build_zone`, `inbound::to_diff`, `diff::condense`, `xfr::next`), with
//! small size limits so that the abort at a limit is reached too.
//!
//! Input: octet 0 chooses the request (bit 0 set: IXFR from the fixture's
//! `example.com` SOA; clear: AXFR); the rest is the TCP stream of answer
//! messages (a 2-octet length before each), whose IDs the harness sets to
//! the request's (the client's ID is random).
//!
//! Owns: the loopback peer and the feeding of the result to the next steps.
//! Must not: change what the client does; it is called as the secondary
//! calls it (one call), so the target follows the client's API.

#![no_main]

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use ironbind::lifecycle::inbound::to_diff;
use ironbind::remote::{self, Transfer};
use ironbind::wire::rr::WireRr;
use ironbind::wire::{class, rtype};
use ironbind::xfr::diff::{condense, diff_zones, Diff};
use ironbind::xfr::next::next_version;
use ironbind::xfr::serial::serial_gt;
use ironbind::zone::build::build_zone;
use ironbind::zone::limits::ZoneLimits;
use ironbind_fuzz::{example_zone, frames};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// A runtime and a listener on loopback, made once per process.
struct Primary {
    rt: Runtime,
    listener: TcpListener,
    addr: SocketAddr,
}

static PRIMARY: LazyLock<Primary> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    Primary { rt, listener, addr }
});

/// Accepts one connection, reads the request, and sends `msgs` back with
/// the request's ID.
async fn serve(listener: &TcpListener, msgs: &[&[u8]]) {
    let Ok((mut s, _)) = listener.accept().await else { return };
    let mut len = [0u8; 2];
    if s.read_exact(&mut len).await.is_err() {
        return;
    }
    let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
    if s.read_exact(&mut q).await.is_err() || q.len() < 2 {
        return;
    }
    let mut stream = Vec::new();
    for m in msgs {
        stream.extend_from_slice(&(m.len() as u16).to_be_bytes());
        let at = stream.len();
        stream.extend_from_slice(m);
        if m.len() >= 2 {
            stream[at..at + 2].copy_from_slice(&q[..2]);
        }
    }
    // The client may hang up first (a bad message, or the end of the
    // transfer): a failed write is its choice, not ours to judge.
    let _ = s.write_all(&stream).await;
}

/// Small limits, so that an input can reach them (the default 10,000,000
/// records would never be hit by a fuzzer's input).
fn fuzz_limits() -> ZoneLimits {
    ZoneLimits { max_records: 2_000, max_zone_bytes: 200_000 }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let cur = example_zone();
    let ixfr = mode & 1 == 1;
    let soa = cur.soa();
    let ours =
        WireRr { owner: cur.origin.to_vec(), rtype: rtype::SOA, class: class::IN, ttl: soa.ttl, rdata: soa.rdatas().next().expect("SOA").to_vec() };
    let msgs = frames(rest, 1000);
    let p = &*PRIMARY;
    let (_, got) = p.rt.block_on(async {
        tokio::join!(
            serve(&p.listener, &msgs),
            remote::transfer(p.addr, &cur.origin, ixfr.then_some(&ours), fuzz_limits(), None, Duration::from_secs(10))
        )
    });
    let Ok((got, _stats)) = got else { return };
    match got {
        Transfer::UpToDate { .. } => {}
        Transfer::Full(records) => {
            if let Ok(zone) = build_zone(&cur.origin, records.into_source("<fuzz axfr>".into())) {
                if ixfr && serial_gt(zone.serial, cur.serial) {
                    let _ = diff_zones(cur, &zone);
                }
            }
        }
        Transfer::Incremental(records, spans) => {
            let diffs: Vec<Diff> = spans.iter().map(|s| to_diff(&cur.origin, &records, s)).collect();
            let mut at = cur.serial;
            for d in &diffs {
                if d.from_serial() != at || !serial_gt(d.to_serial(), d.from_serial()) {
                    return;
                }
                at = d.to_serial();
            }
            if let Some(all) = condense(&diffs) {
                let _ = next_version(cur, &all);
            }
        }
    }
});
