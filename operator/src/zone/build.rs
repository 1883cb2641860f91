//! The control-API body of a primary zone (`PUT /v1/zones/{zone}`,
//! docs/CONTROL.md) from a `DNSZone` and the record objects attached to it.
//!
//! ```text
//!  DNSZone ──► apex, SOA, apex NS + glue ─┐
//!                                          ├─► RRsets (merged, CNAME rules) ─► body, accepted, refused, hash
//!  records ──► owner, TTL, RDATA each ────┘        (a bad record is refused alone)
//! ```
//!
//! Owns: what a zone holds as a BIND or Knot user would write it — the SOA
//! (given or generated), the apex NS with glue for in-zone name servers,
//! every record object's RRset merged with the others of the same owner
//! and type, and the refusals (bad value, name outside the zone, CNAME
//! beside other data, …) that leave the rest of the zone standing. The body
//! is deterministic: its RRsets sorted (owner in canonical order, type,
//! RDATA), so its hash does not depend on the order records were listed.
//! Must not: call the API server or the DNS server, choose the records
//! (the controller passes those [`attached`] to the zone), or set the
//! transfer policy (`allowTransfer`, `alsoNotify`, …: the controller adds it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ironbind_crds::v1alpha1::{DNSZone, DNSZoneSpec, ZoneType};
use serde_json::{json, Value};

pub use super::record::{attached, RecordObject};
use super::text::{self, Apex};

/// Most records a built zone may hold, SOA and NS included (about what the
/// control API's 128 MiB body limit carries, docs/CONTROL.md).
pub const MAX_RECORDS: usize = 1_000_000;
/// Largest TTL (RFC 2181 §8).
pub const MAX_TTL: u32 = (1 << 31) - 1;
/// TTL of the SOA, apex NS and glue when `spec.ttl` is unset.
pub const DEFAULT_ZONE_TTL: u32 = 3600;
/// TTL of a record without `ttl` when `spec.ttl` is unset (bindy's `$TTL`).
pub const DEFAULT_RECORD_TTL: u32 = 300;

/// The generated SOA timers (no `soaRecord`): refresh, retry, expire, minimum.
const GENERATED_TIMERS: [u32; 4] = [3600, 600, 604_800, 300];

/// A zone built: the body to PUT and what became of each record object.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// `{"type": "primary", "soa": {…}, "rrsets": […]}`, without policy fields.
    pub body: Value,
    /// `(kind, metadata.name)` of every record object in the body, sorted.
    pub accepted: Vec<(String, String)>,
    /// `(kind, metadata.name, reason)` of every record object left out, sorted.
    pub refused: Vec<(String, String, String)>,
    /// Records in the body, SOA and apex NS included.
    pub record_count: usize,
    /// A stable hash of `body` ([`crate::apply::desired_hash`]).
    pub input_hash: String,
}

/// A zone that cannot be built at all (its records are not judged then).
/// Variants are stable names for metrics and condition reasons ([`ZoneError::reason`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// `spec.type: secondary`.
    #[error("spec.type is secondary: a secondary zone's records come from its primaries, not from record objects")]
    Secondary,
    /// `spec.zoneName` is not a domain name.
    #[error("{0}")]
    ZoneName(String),
    /// `spec.ttl` out of range.
    #[error("spec.ttl {0} is above the largest TTL {MAX_TTL} (RFC 2181 §8)")]
    Ttl(u32),
    /// A field of `soaRecord` (or the generated SOA) is unusable.
    #[error("{0}")]
    Soa(String),
    /// A field of `nameServers` / `nameServerIps` is unusable.
    #[error("{0}")]
    NameServer(String),
    /// More records than [`MAX_RECORDS`].
    #[error("the zone would hold {count} records, more than {max}")]
    TooManyRecords {
        /// Records the zone would hold.
        count: usize,
        /// The limit ([`MAX_RECORDS`]).
        max: usize,
    },
}

impl ZoneError {
    /// One CamelCase word for a condition reason or a metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            ZoneError::Secondary => "SecondaryZone",
            ZoneError::ZoneName(_) => "InvalidZoneName",
            ZoneError::Ttl(_) => "InvalidTtl",
            ZoneError::Soa(_) => "InvalidSoa",
            ZoneError::NameServer(_) => "InvalidNameServer",
            ZoneError::TooManyRecords { .. } => "TooManyRecords",
        }
    }
}

/// The body of `zone` holding `records` (those [`attached`] to it; not
/// checked again), which record objects it took and which it refused.
pub fn desired(zone: &DNSZone, records: &[RecordObject]) -> Result<Built, ZoneError> {
    build(zone, records, MAX_RECORDS)
}

/// [`desired`] with at most `max_records` records.
pub(super) fn build(zone: &DNSZone, records: &[RecordObject], max_records: usize) -> Result<Built, ZoneError> {
    let spec = &zone.spec;
    if spec.zone_type == ZoneType::Secondary {
        return Err(ZoneError::Secondary);
    }
    let apex = Apex::parse(&spec.zone_name).map_err(ZoneError::ZoneName)?;
    if let Some(t) = spec.ttl.filter(|&t| t > MAX_TTL) {
        return Err(ZoneError::Ttl(t));
    }
    let zone_ttl = spec.ttl.unwrap_or(DEFAULT_ZONE_TTL);
    let servers = name_servers(&apex, spec)?;
    let (soa, mname) = soa(&apex, spec, &servers, zone_ttl)?;

    let mut sets = Rrsets::default();
    // What the zone's own fields put at each owner, for the CNAME rules.
    let mut zone_data: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &servers {
        sets.add("@", "NS", zone_ttl, [s.name.clone()]);
        let Some(owner) = apex.relative(&s.name) else { continue };
        for (t, ip) in &s.glue {
            sets.add(&owner, t, zone_ttl, [ip.clone()]);
            zone_data.entry(owner.clone()).or_default().insert(format!("{t} glue of name server {}", s.name));
        }
    }

    let record_ttl = spec.ttl.unwrap_or(DEFAULT_RECORD_TTL);
    let mut refused = Vec::new();
    let mut candidates = Vec::with_capacity(records.len());
    for rec in records {
        match candidate(&apex, rec, record_ttl) {
            Ok(c) => candidates.push(c),
            Err(why) => refused.push((rec.kind().to_string(), rec.name(), why)),
        }
    }
    let cname_refused = cname_rules(&candidates, &zone_data);
    let (kept, dropped): (Vec<_>, Vec<_>) = candidates.into_iter().enumerate().partition(|(i, _)| !cname_refused.contains_key(i));
    for (i, c) in dropped {
        refused.push((c.rec.kind().to_string(), c.rec.name(), cname_refused[&i].clone()));
    }
    // No name server given: the SOA's MNAME serves (unless an NSRecord at the apex names some).
    if servers.is_empty() && !kept.iter().any(|(_, c)| c.owner == "@" && c.rec.rtype() == "NS") {
        sets.add("@", "NS", zone_ttl, [mname]);
    }
    let mut accepted = Vec::with_capacity(kept.len());
    for (_, c) in kept {
        sets.add(&c.owner, c.rec.rtype(), c.ttl, c.rdata);
        accepted.push((c.rec.kind().to_string(), c.rec.name()));
    }
    accepted.sort();
    refused.sort();

    let record_count = 1 + sets.0.values().map(|s| s.rdata.len()).sum::<usize>();
    if record_count > max_records {
        return Err(ZoneError::TooManyRecords { count: record_count, max: max_records });
    }
    let rrsets: Vec<Value> = sets
        .0
        .into_iter()
        .map(|((_, t), s)| json!({"name": s.owner, "type": t, "ttl": s.ttl, "rdata": s.rdata.into_iter().collect::<Vec<_>>()}))
        .collect();
    let body = json!({"type": "primary", "soa": soa, "rrsets": rrsets});
    let input_hash = crate::apply::desired_hash(&body);
    Ok(Built { body, accepted, refused, record_count, input_hash })
}

/// An apex name server: absolute lowercase host name, glue `(type, address)`.
struct Server {
    name: String,
    glue: Vec<(&'static str, String)>,
}

/// The apex name servers: `nameServers` in order, then `nameServerIps`
/// (sorted by host); one entry per host, its addresses united.
fn name_servers(apex: &Apex, spec: &DNSZoneSpec) -> Result<Vec<Server>, ZoneError> {
    let bad = ZoneError::NameServer;
    let mut out: Vec<Server> = Vec::new();
    let mut add = |name: String, glue: Vec<(&'static str, String)>| match out.iter_mut().find(|s| s.name == name) {
        Some(s) => s.glue.extend(glue),
        None => out.push(Server { name, glue }),
    };
    for (i, ns) in spec.name_servers.iter().flatten().enumerate() {
        let f = format!("spec.nameServers[{i}]");
        let name = text::absolute(apex, &format!("{f}.hostname"), &ns.hostname).map_err(bad)?;
        let mut glue = Vec::new();
        if let Some(a) = &ns.ipv4_address {
            let ip: Ipv4Addr = a.parse().map_err(|_| bad(format!("{f}.ipv4Address {} is not an IPv4 address", text::show(a))))?;
            glue.push(("A", ip.to_string()));
        }
        if let Some(a) = &ns.ipv6_address {
            let ip: Ipv6Addr = a.parse().map_err(|_| bad(format!("{f}.ipv6Address {} is not an IPv6 address", text::show(a))))?;
            glue.push(("AAAA", ip.to_string()));
        }
        add(name, glue);
    }
    for (host, a) in spec.name_server_ips.iter().flatten() {
        let name = text::absolute(apex, "spec.nameServerIps key", host).map_err(bad)?;
        let glue = match a.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => ("A", ip.to_string()),
            Ok(IpAddr::V6(ip)) => ("AAAA", ip.to_string()),
            Err(_) => return Err(bad(format!("spec.nameServerIps[{host}] {} is not an IP address", text::show(a)))),
        };
        add(name, vec![glue]);
    }
    Ok(out)
}

/// The body's `soa` and its MNAME (absolute): from `soaRecord`, else
/// generated (`ns1.<zone>.` or the first name server, `hostmaster.<zone>.`,
/// serial left to the server).
fn soa(apex: &Apex, spec: &DNSZoneSpec, servers: &[Server], ttl: u32) -> Result<(Value, String), ZoneError> {
    let Some(s) = &spec.soa_record else {
        let generated = |n: &str| text::absolute(apex, "spec.zoneName", &format!("{n}.{}", apex.absolute())).map_err(ZoneError::ZoneName);
        let mname = match servers.first() {
            Some(s) => s.name.clone(),
            None => generated("ns1")?,
        };
        let [refresh, retry, expire, minimum] = GENERATED_TIMERS;
        let body = json!({"mname": mname, "rname": generated("hostmaster")?, "refresh": refresh, "retry": retry, "expire": expire, "minimum": minimum, "ttl": ttl});
        return Ok((body, mname));
    };
    let mname = text::absolute(apex, "spec.soaRecord.primaryNs", &s.primary_ns).map_err(ZoneError::Soa)?;
    let rname = text::mailbox(apex, "spec.soaRecord.adminEmail", &s.admin_email).map_err(ZoneError::Soa)?;
    let mut body =
        json!({"mname": mname, "rname": rname, "refresh": s.refresh, "retry": s.retry, "expire": s.expire, "minimum": s.negative_ttl, "ttl": ttl});
    if s.serial != 0 {
        body["serial"] = json!(s.serial);
    }
    Ok((body, mname))
}

/// A record object that passed its own checks.
struct Candidate<'a> {
    rec: &'a RecordObject,
    owner: String,
    ttl: u32,
    rdata: Vec<String>,
}

/// `rec`'s owner, TTL and RDATA, or why it cannot be published.
fn candidate<'a>(apex: &Apex, rec: &'a RecordObject, default_ttl: u32) -> Result<Candidate<'a>, String> {
    let common = rec.common();
    let owner = text::owner(apex, "spec.name", &common.name)?;
    let ttl = common.ttl.unwrap_or(default_ttl);
    if ttl > MAX_TTL {
        return Err(format!("spec.ttl {ttl} is above the largest TTL {MAX_TTL} (RFC 2181 §8)"));
    }
    if owner == "@" && rec.rtype() == "CNAME" {
        return Err(format!(
            "a CNAME at the zone apex {} (spec.name {}) is not allowed: the apex holds the SOA and NS (RFC 1034 §3.6.2)",
            apex.absolute(),
            text::show(&common.name)
        ));
    }
    let rdata = rec.rdata(apex)?;
    Ok(Candidate { rec, owner, ttl, rdata })
}

/// RFC 1034 §3.6.2 among the candidates: the CNAME objects to refuse (by
/// index) and why. A name with a CNAME holds nothing else and one CNAME
/// only: every CNAME object at an owner with other data, or with another
/// CNAME object, is refused; the other data stays.
fn cname_rules(candidates: &[Candidate<'_>], zone_data: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<usize, String> {
    let mut cnames: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut others: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if c.rec.rtype() == "CNAME" {
            cnames.entry(&c.owner).or_default().push(i);
        } else {
            others.entry(&c.owner).or_default().insert(format!("{} {}", c.rec.kind(), c.rec.name()));
        }
    }
    let mut out = BTreeMap::new();
    for (owner, idx) in cnames {
        let mut beside: BTreeSet<String> = others.get(owner).cloned().unwrap_or_default();
        beside.extend(zone_data.get(owner).cloned().unwrap_or_default());
        let why = if !beside.is_empty() {
            format!("CNAME and other data at {owner} ({}): a name with a CNAME can hold nothing else (RFC 1034 §3.6.2)", join(beside))
        } else if idx.len() > 1 {
            let all: BTreeSet<String> = idx.iter().map(|&i| format!("CNAMERecord {}", candidates[i].rec.name())).collect();
            format!("more than one CNAME at {owner} ({}): a name has at most one", join(all))
        } else {
            continue;
        };
        out.extend(idx.into_iter().map(|i| (i, why.clone())));
    }
    out
}

fn join(items: BTreeSet<String>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

/// RRsets keyed by owner in canonical order (labels compared from the
/// right, RFC 4034 §6.1) and type.
#[derive(Default)]
struct Rrsets(BTreeMap<(Vec<String>, &'static str), Rrset>);

struct Rrset {
    owner: String,
    /// The lowest TTL given: one TTL per RRset (RFC 2181 §5.2), as BIND uses and warns.
    ttl: u32,
    rdata: BTreeSet<String>,
}

impl Rrsets {
    fn add(&mut self, owner: &str, rtype: &'static str, ttl: u32, rdata: impl IntoIterator<Item = String>) {
        let key: Vec<String> = if owner == "@" { Vec::new() } else { owner.rsplit('.').map(str::to_string).collect() };
        let set = self.0.entry((key, rtype)).or_insert_with(|| Rrset { owner: owner.to_string(), ttl, rdata: BTreeSet::new() });
        set.ttl = set.ttl.min(ttl);
        set.rdata.extend(rdata);
    }
}
