//! What `GET /v1/zones[/{zone}]` shows: every served or configured zone,
//! whoever defined it, with its state; for one zone also its SOA and RRsets
//! in the shapes `PUT` takes, so an operator can diff desired and served.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::body::{RrsetBody, SoaBody};
use super::defs::Kind;
use super::{Control, Inner};
use crate::catalog::{RefreshStatus, Role, ZoneEvent, ZonePolicy};
use crate::lifecycle::Shared;
use crate::store::Timers;
use crate::wire::name::DisplayName;
use crate::wire::rtype::TypeName;
use crate::xfr::diff::{body_records, soa_rr};
use crate::zone::file::format_rdata;
use crate::zone::Zone;

/// One zone as `GET` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneView {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    /// `api` or `config`.
    source: &'static str,
    served: bool,
    serial: Option<u32>,
    content_hash: Option<String>,
    record_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_load: Option<ZoneEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<RefreshView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    primaries: Vec<String>,
    allow_transfer: Vec<String>,
    allow_transfer_keys: Vec<String>,
    also_notify: Vec<String>,
    allow_update: Vec<String>,
    notify_ns: bool,
    /// The zone's own size limits (absent: the server's `[transfer]` defaults).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_records: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_zone_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    soa: Option<SoaBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rrsets: Option<Vec<RrsetBody>>,
}

/// A secondary's refresh state (its task's phase, and its saved timers).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RefreshView {
    /// `empty` (never transferred), `ok`, `retrying` (the last refresh
    /// failed; still answering until EXPIRE) or `expired` (SERVFAIL).
    state: &'static str,
    expired: bool,
    /// Consecutive failed refreshes.
    failures: u32,
    last_refresh: Option<u64>,
    next_refresh: Option<u64>,
    expires_at: Option<u64>,
    last_serial: Option<u32>,
}

#[derive(serde::Deserialize)]
struct TimersFile {
    timers: Timers,
}

fn remote(r: &crate::catalog::Remote) -> String {
    match &r.key {
        Some(k) => format!("{}@{k}", r.addr),
        None => r.addr.to_string(),
    }
}

impl Control {
    /// Views of `apexes` (all known zones when `None`); `full` adds SOA and RRsets.
    pub(super) async fn views(&self, g: &Inner, rt: &Arc<Shared>, only: Option<&[u8]>, full: bool) -> Vec<ZoneView> {
        let table = rt.zones.snapshot();
        let mut apexes: Vec<Box<[u8]>> = rt.catalog.all().iter().map(|c| c.apex.clone()).collect();
        apexes.extend(table.iter().map(|s| s.zone.origin.clone()));
        let mut seen = HashSet::new();
        apexes.retain(|a| seen.insert(a.clone()) && only.is_none_or(|o| **a == *o));
        apexes.sort_by_key(|a| DisplayName(a).to_string());
        let served: Vec<Option<Arc<Zone>>> = apexes.iter().map(|a| table.get(a).map(|s| s.zone.clone())).collect();
        let hashes = hashes_of(rt, &served).await;
        let mut out = Vec::with_capacity(apexes.len());
        for ((apex, zone), hash) in apexes.iter().zip(served).zip(hashes) {
            let ctl = rt.catalog.get(apex);
            let policy = ctl.as_ref().map(|c| c.policy()).unwrap_or_default();
            let secondary = policy.is_secondary() || g.zones.get(apex).is_some_and(|d| d.kind == Kind::Secondary);
            let expired = table.get(apex).is_some_and(|s| s.status.is_expired());
            let mut v = view(apex, &policy, zone.as_deref(), hash);
            v.kind = if secondary { "secondary" } else { "primary" };
            v.source = if g.owns(apex) { "api" } else { "config" };
            v.last_load = ctl.as_ref().and_then(|c| c.last_event());
            if secondary {
                let task = ctl.as_ref().and_then(|c| c.refresh_status());
                v.refresh = Some(self.refresh_view(apex, zone.is_some(), expired, task));
            }
            if full {
                if let Some(z) = &zone {
                    let z = z.clone();
                    let (soa, rrsets) = tokio::task::spawn_blocking(move || (soa_view(&z), rrsets_view(&z))).await.unwrap_or((None, Vec::new()));
                    (v.soa, v.rrsets) = (soa, Some(rrsets));
                }
            }
            out.push(v);
        }
        out
    }

    fn refresh_view(&self, apex: &[u8], served: bool, expired: bool, task: Option<RefreshStatus>) -> RefreshView {
        let path = self.data_dir.join("zones").join(format!("{}.timers", crate::store::file_stem(apex)));
        let t = std::fs::read_to_string(path).ok().and_then(|s| serde_json::from_str::<TimersFile>(&s).ok()).map(|f| f.timers);
        let state = if !served {
            "empty"
        } else if expired {
            "expired"
        } else {
            task.map_or("ok", |t| t.phase)
        };
        RefreshView {
            state,
            expired,
            failures: task.map_or(0, |t| t.failures),
            last_refresh: t.map(|t| t.last_refresh_unix).filter(|&s| s > 0),
            next_refresh: t.map(|t| t.next_refresh_unix),
            expires_at: t.and_then(|t| t.expire_at_unix),
            last_serial: t.map(|t| t.last_serial),
        }
    }
}

/// Content hashes of the served versions (each computed once per version).
async fn hashes_of(rt: &Arc<Shared>, zones: &[Option<Arc<Zone>>]) -> Vec<Option<String>> {
    let (rt, zones) = (rt.clone(), zones.to_vec());
    let n = zones.len();
    tokio::task::spawn_blocking(move || zones.iter().map(|z| z.as_ref().map(|z| rt.edits.digests.get(z).hex())).collect())
        .await
        .unwrap_or_else(|_| vec![None; n])
}

fn view(apex: &[u8], p: &ZonePolicy, zone: Option<&Zone>, hash: Option<String>) -> ZoneView {
    let primaries = match &p.role {
        Role::Secondary { primaries } => primaries.iter().map(remote).collect(),
        Role::Primary => Vec::new(),
    };
    ZoneView {
        name: DisplayName(apex).to_string(),
        kind: "primary",
        source: "config",
        served: zone.is_some(),
        serial: zone.map(|z| z.serial),
        content_hash: hash,
        record_count: zone.map(Zone::record_count),
        last_load: None,
        refresh: None,
        primaries,
        allow_transfer: p.allow_transfer.0.iter().map(|x| x.to_string()).collect(),
        allow_transfer_keys: p.allow_transfer_keys.clone(),
        also_notify: p.also_notify.iter().map(remote).collect(),
        allow_update: p.allow_update.clone(),
        notify_ns: p.notify_ns,
        max_records: p.max_records,
        max_zone_bytes: p.max_zone_bytes,
        soa: None,
        rrsets: None,
    }
}

/// The SOA in the shape `PUT` takes (with the serial).
fn soa_view(zone: &Zone) -> Option<SoaBody> {
    let soa = soa_rr(zone);
    let d = &soa.rdata;
    let s = crate::wire::soa::Soa::parse(d)?;
    let (p1, p2) = (s.mname_len, s.mname_len + s.rname_len);
    Some(SoaBody {
        mname: DisplayName(&d[..p1]).to_string(),
        rname: DisplayName(&d[p1..p2]).to_string(),
        serial: Some(s.serial),
        refresh: s.refresh,
        retry: s.retry,
        expire: s.expire,
        minimum: s.minimum,
        ttl: soa.ttl,
    })
}

/// Every RRset but the SOA, names relative to the zone, sorted.
fn rrsets_view(zone: &Zone) -> Vec<RrsetBody> {
    let mut sets: BTreeMap<(String, u16), (u32, Vec<String>)> = BTreeMap::new();
    for (owner, t, ttl, rdata) in body_records(zone) {
        let e = sets.entry((relative(owner, &zone.origin), t)).or_insert_with(|| (ttl, Vec::new()));
        e.1.push(format_rdata(t, rdata));
    }
    sets.into_iter().map(|((name, t), (ttl, rdata))| RrsetBody { name, rtype: TypeName(t).to_string(), ttl: Some(ttl), rdata }).collect()
}

/// `owner` relative to `apex` (`@` for the apex itself).
fn relative(owner: &[u8], apex: &[u8]) -> String {
    if owner == apex {
        return "@".into();
    }
    let o = DisplayName(owner).to_string();
    let suffix = if apex.len() == 1 { ".".to_string() } else { format!(".{}", DisplayName(apex)) };
    o.strip_suffix(&suffix).map(str::to_string).unwrap_or(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::diff::fixtures::zone;

    #[test]
    fn views_read_back_as_bodies() {
        let z = zone(7, "www IN A 192.0.2.10\nwww IN A 192.0.2.11\nmail 60 IN MX 10 mx.example.net.\n");
        let soa = soa_view(&z).unwrap();
        assert_eq!((soa.mname.as_str(), soa.rname.as_str(), soa.serial, soa.minimum), ("ns1.example.com.", "hostmaster.example.com.", Some(7), 300));
        let sets = rrsets_view(&z);
        let www = sets.iter().find(|s| s.name == "www").unwrap();
        assert_eq!((www.rtype.as_str(), www.ttl, www.rdata.len()), ("A", Some(3600), 2));
        assert!(sets.iter().any(|s| s.name == "@" && s.rtype == "NS" && s.rdata == ["ns1.example.com."]));
        assert!(sets.iter().any(|s| s.name == "mail" && s.ttl == Some(60) && s.rdata == ["10 mx.example.net."]));
        assert_eq!(relative(&crate::wire::name::from_dotted("a.b.example.com").unwrap(), &z.origin), "a.b");
    }
}
