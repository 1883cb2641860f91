//! NOTIFY out (RFC 1996 §3): telling secondaries that a zone changed.
//!
//! Owns: the sender task. On every serial change of a zone (a primary's
//! reload, a secondary's transfer) it works out the targets — the zone's
//! `also_notify` list, plus, with `notify_ns`, the addresses the zone holds
//! for its NS names other than the SOA MNAME (§3.3), never one of our own
//! listen addresses — and NOTIFYs each over UDP with the new SOA as a hint
//! (§3.7), TSIG-signed when a key is configured, retransmitting with a
//! doubling wait until it is answered or the retries run out (§3.6). Any
//! answer ends the exchange (NOTIMP included, §3.12). A newer change of the
//! same zone replaces a round still in progress.
//! Must not: block the caller ([`Notifier::zone_changed`] only queues) or
//! touch the zone table.
//!
//! ```text
//!  zone_changed(apex) ─► channel ─► task: abort the zone's previous round
//!                                         spawn round: targets × (send, wait 2ᵏ·t, …)
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::catalog::{Catalog, Remote};
use crate::config::transfer::DNS_PORT;
use crate::metrics::events::{self, NotifyResult};
use crate::remote;
use crate::remote::peer::{auth_for, short, Peer};
use crate::wire::name;
use crate::wire::rcode;
use crate::wire::rtype;
use crate::xfr::diff::soa_rr;
use crate::zone::set::ZoneSet;
use crate::zone::Zone;

/// Longest wait between two transmissions (RFC 1996 §3.6 suggests 60 s).
const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// How NOTIFY is sent.
#[derive(Debug, Clone, Copy)]
pub struct NotifyTiming {
    /// Transmissions per target.
    pub tries: u32,
    /// Wait after the first transmission; doubled after each.
    pub first_wait: Duration,
}

/// Handle to the NOTIFY sender task. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::UnboundedSender<Box<[u8]>>,
    /// Key for NS targets (and `also_notify` entries without one), per zone.
    keys: Arc<Mutex<HashMap<Box<[u8]>, String>>>,
}

impl Notifier {
    /// Starts the sender. `own` are our listen addresses (never notified).
    pub fn spawn(
        catalog: Arc<Catalog>,
        zones: Arc<ZoneSet>,
        own: Vec<SocketAddr>,
        timing: NotifyTiming,
        shutdown: CancellationToken,
    ) -> (Notifier, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let keys = Arc::new(Mutex::new(HashMap::new()));
        let sender = Sender { catalog, zones, own, timing, keys: keys.clone(), rounds: HashMap::new() };
        let handle = tokio::spawn(sender.run(rx, shutdown));
        (Notifier { tx, keys }, handle)
    }

    /// Queues a NOTIFY round for the zone at `apex` (its new version is
    /// already served).
    pub fn zone_changed(&self, apex: &[u8]) {
        let _ = self.tx.send(apex.into());
    }

    /// Sets (or clears) the TSIG key NOTIFY messages for `apex` are signed
    /// with when the target names none.
    pub fn set_key(&self, apex: &[u8], key: Option<String>) {
        let mut k = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        match key {
            Some(key) => k.insert(apex.into(), key),
            None => k.remove(apex),
        };
    }
}

struct Sender {
    catalog: Arc<Catalog>,
    zones: Arc<ZoneSet>,
    own: Vec<SocketAddr>,
    timing: NotifyTiming,
    keys: Arc<Mutex<HashMap<Box<[u8]>, String>>>,
    rounds: HashMap<Box<[u8]>, JoinHandle<()>>,
}

impl Sender {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Box<[u8]>>, shutdown: CancellationToken) {
        loop {
            let apex = tokio::select! {
                _ = shutdown.cancelled() => break,
                a = rx.recv() => match a { Some(a) => a, None => break },
            };
            self.rounds.retain(|_, h| !h.is_finished());
            if let Some(old) = self.rounds.remove(&apex) {
                old.abort(); // superseded by the newer version
            }
            if let Some(round) = self.round(&apex).await {
                self.rounds.insert(apex, round);
            }
        }
        for (_, h) in self.rounds.drain() {
            h.abort();
        }
    }

    /// Starts NOTIFYing every target of the zone at `apex`.
    async fn round(&self, apex: &[u8]) -> Option<JoinHandle<()>> {
        let zone = self.zones.load().get(apex).map(|s| s.zone.clone())?;
        let policy = self.catalog.get(apex)?.policy();
        let default_key = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(apex).cloned();
        let mut targets: Vec<Remote> = policy.also_notify.clone();
        for t in &mut targets {
            t.key = t.key.take().or_else(|| default_key.clone());
        }
        if policy.notify_ns {
            for addr in ns_addresses(&zone).await {
                targets.push(Remote { addr, key: default_key.clone(), source: None });
            }
        }
        let mut seen = std::collections::HashSet::new();
        targets.retain(|t| !is_own(&self.own, t.addr) && seen.insert(t.addr));
        let name = zone_name(apex);
        if targets.is_empty() {
            return None;
        }
        let list = targets.iter().map(|t| Peer(t.addr).to_string()).collect::<Vec<_>>().join(", ");
        tracing::info!(zone = %name, serial = zone.serial, op = "notify", "zone {name}/IN: sending notifies (serial {}) to {list}", zone.serial);
        let keys = self.catalog.keys();
        let soa = crate::lifecycle::inbound::to_wire(&soa_rr(&zone));
        let (apex, timing, serial) = (Box::<[u8]>::from(apex), self.timing, zone.serial);
        Some(tokio::spawn(async move {
            let sends = targets.into_iter().map(|t| {
                let (apex, soa, keys, name) = (apex.clone(), soa.clone(), keys.clone(), name.clone());
                async move {
                    let peer = Peer(t.addr);
                    let mut wait = timing.first_wait;
                    let mut last = String::from("no answer");
                    for _ in 0..timing.tries.max(1) {
                        let auth = match auth_for(&t, &keys) {
                            Ok(a) => a,
                            Err(e) => {
                                tracing::warn!(zone = %name, remote = %peer, op = "notify", "zone {name}/IN: notify to {peer} not sent: {e}");
                                events::notify_sent(NotifyResult::Failure);
                                return;
                            }
                        };
                        let sent = tokio::time::Instant::now();
                        match remote::notify(remote::endpoint(&t), &apex, Some(&soa), auth, 1, wait).await {
                            Ok(rc) if rc == rcode::NOERROR => {
                                tracing::debug!(zone = %name, remote = %peer, serial, op = "notify", "zone {name}/IN: notify to {peer} answered");
                                events::notify_sent(NotifyResult::Success);
                                return;
                            }
                            Ok(rc) => {
                                tracing::info!(zone = %name, remote = %peer, serial, op = "notify", rcode = rc,
                                    "zone {name}/IN: notify response from {peer}: {}", rcode::name(rc).unwrap_or("error"));
                                events::notify_sent(NotifyResult::Rejected);
                                return;
                            }
                            Err(e) => last = short(&e),
                        }
                        // An ICMP error ends the wait early: wait out the interval anyway.
                        tokio::time::sleep_until(sent + wait).await;
                        wait = (wait * 2).min(MAX_INTERVAL);
                    }
                    tracing::warn!(zone = %name, remote = %peer, serial, op = "notify", "zone {name}/IN: notify to {peer} failed: {last}");
                    events::notify_sent(NotifyResult::Failure);
                }
            });
            futures_join_all(sends).await;
        }))
    }
}

/// Runs every future to completion, concurrently.
async fn futures_join_all<F: std::future::Future<Output = ()> + Send + 'static>(fs: impl Iterator<Item = F>) {
    let mut set = tokio::task::JoinSet::new();
    for f in fs {
        set.spawn(f);
    }
    while set.join_next().await.is_some() {}
}

/// `example.com` (no trailing dot) for log lines.
pub fn zone_name(apex: &[u8]) -> String {
    crate::wire::name::BareName(apex).to_string()
}

/// True when `addr` is one of our listen addresses (a wildcard listen
/// address matches any local address on its port).
fn is_own(own: &[SocketAddr], addr: SocketAddr) -> bool {
    own.iter().any(|o| o.port() == addr.port() && (o.ip() == addr.ip() || (o.ip().is_unspecified() && addr.ip().is_loopback())))
}

/// The addresses of the zone's NS names except the SOA MNAME (RFC 1996
/// §3.3): from the zone's own A/AAAA records, else from the system resolver.
async fn ns_addresses(zone: &Arc<Zone>) -> Vec<SocketAddr> {
    let (names, mut out) = {
        let mname = zone.soa().rdatas().next().and_then(|r| name::skip_name(r, 0).ok().map(|end| lower(&r[..end])));
        let mut names = Vec::new();
        let mut out = Vec::new();
        let Some(ns) = zone.apex().get(rtype::NS) else { return Vec::new() };
        for rd in ns.rdatas() {
            let target = lower(rd);
            if Some(&target) == mname.as_ref() {
                continue;
            }
            let mut found = false;
            if let Some(node) = zone.node(&target) {
                for (t, len) in [(rtype::A, 4), (rtype::AAAA, 16)] {
                    for d in node.get(t).into_iter().flat_map(|s| s.rdatas()).filter(|d| d.len() == len) {
                        let ip: IpAddr = if len == 4 {
                            IpAddr::from(<[u8; 4]>::try_from(d).unwrap_or_default())
                        } else {
                            IpAddr::from(<[u8; 16]>::try_from(d).unwrap_or_default())
                        };
                        out.push(SocketAddr::new(ip, DNS_PORT));
                        found = true;
                    }
                }
            }
            if !found && !name::is_subdomain(&target, &zone.origin) {
                names.push(zone_name(&target));
            }
        }
        (names, out)
    };
    for n in names {
        let lookup = tokio::net::lookup_host((n.as_str(), DNS_PORT));
        if let Ok(Ok(addrs)) = tokio::time::timeout(Duration::from_secs(5), lookup).await {
            out.extend(addrs);
        }
    }
    out
}

fn lower(n: &[u8]) -> Vec<u8> {
    let mut v = n.to_vec();
    name::lowercase_wire(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_addresses_are_skipped() {
        let own: Vec<SocketAddr> = vec!["127.0.0.1:5353".parse().unwrap(), "0.0.0.0:53".parse().unwrap()];
        assert!(is_own(&own, "127.0.0.1:5353".parse().unwrap()));
        assert!(is_own(&own, "127.0.0.1:53".parse().unwrap()));
        assert!(!is_own(&own, "127.0.0.1:5354".parse().unwrap()));
        assert!(!is_own(&own, "192.0.2.1:53".parse().unwrap()));
        assert_eq!(zone_name(b"\x07example\x03com\x00"), "example.com");
        assert_eq!(zone_name(b"\x00"), ".");
    }

    #[tokio::test]
    async fn ns_targets_come_from_glue_except_mname() {
        let text = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2\n@ NS ns3\nns1 A 192.0.2.1\nns2 A 192.0.2.2\nns2 AAAA 2001:db8::2\nns3 A 192.0.2.3\n";
        let origin = name::from_dotted("example.com").unwrap();
        let src = crate::zone::file::read_zone_str(text, "t", &origin, None).unwrap();
        let zone = Arc::new(crate::zone::build::build_zone(&origin, src).unwrap());
        let mut got = ns_addresses(&zone).await;
        got.sort();
        let want: Vec<SocketAddr> = ["192.0.2.2:53", "192.0.2.3:53", "[2001:db8::2]:53"].iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(got, want);
    }
}
