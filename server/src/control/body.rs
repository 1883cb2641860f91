//! The JSON shapes of the zone API and their translation into records.
//!
//! Owns: the `PUT /v1/zones/{zone}` body ([`ZoneBody`]), the SOA and RRset
//! objects shared with `GET`, and turning them into a [`RecordSource`]
//! with every problem named by its field (`rrsets[3].rdata[0]`). RDATA is
//! parsed by the master-file reader ([`crate::zone::file`]), so every type
//! a zone file may hold works here too. Names are relative to the zone
//! (`www`, `@` for the apex) or absolute with a trailing dot.
//! Must not: judge the zone as a whole (CNAME clashes, apex NS, …): that is
//! [`crate::zone::build`], whose errors [`field_of`] maps back to a field.

#![forbid(unsafe_code)]

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::defs::{with_zone_policy, FieldError, Kind, ZoneDef};
use crate::wire::name::{self, DisplayName};
use crate::wire::{class, rtype};
use crate::zone::file::{parse_rdata, read_zone_str};
use crate::zone::{Record, RecordSource, SourcePos};

/// Largest TTL (RFC 2181 §8).
const MAX_TTL: u32 = (1 << 31) - 1;
/// The label the records carry, so build errors map back to fields.
const LABEL: &str = "rrsets";

with_zone_policy! {
    /// `PUT /v1/zones/{zone}`: the records (primary) and the policy fields
    /// of [`ZoneDef`].
    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ZoneBody {
        /// `primary` or `secondary`.
        #[serde(rename = "type")]
        pub kind: Kind,
        /// Primary: the SOA fields.
        #[serde(default)]
        pub soa: Option<SoaBody>,
        /// Primary: every RRset but the SOA (apex NS under `@`).
        #[serde(default)]
        pub rrsets: Vec<RrsetBody>,
    }
}

/// The SOA of a primary zone. `serial` is optional on input (a hint: the
/// server never moves a serial backwards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoaBody {
    /// Primary name server.
    pub mname: String,
    /// Mailbox of the person responsible, as a name (`hostmaster.example.com.`).
    pub rname: String,
    /// Serial (output; optional hint on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// REFRESH seconds.
    pub refresh: u32,
    /// RETRY seconds.
    pub retry: u32,
    /// EXPIRE seconds.
    pub expire: u32,
    /// MINIMUM (negative-caching TTL, RFC 2308).
    pub minimum: u32,
    /// TTL of the SOA record.
    pub ttl: u32,
}

/// One RRset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrsetBody {
    /// Owner: relative, `@`, or absolute with a trailing dot.
    pub name: String,
    /// Type mnemonic or `TYPEnnn`.
    #[serde(rename = "type")]
    pub rtype: String,
    /// TTL; the SOA's `ttl` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// RDATA in zone-file presentation form, one string per record.
    pub rdata: Vec<String>,
}

fn field(f: impl Into<String>, why: impl Into<String>) -> FieldError {
    (f.into(), why.into())
}

impl ZoneBody {
    /// The definition (type and policy) the body asks for.
    pub fn def(&self, apex: &[u8]) -> ZoneDef {
        ZoneDef {
            name: DisplayName(apex).to_string(),
            kind: self.kind,
            primaries: self.primaries.clone(),
            allow_transfer: self.allow_transfer.clone(),
            allow_transfer_keys: self.allow_transfer_keys.clone(),
            allow_notify: self.allow_notify.clone(),
            also_notify: self.also_notify.clone(),
            allow_update: self.allow_update.clone(),
            notify_ns: self.notify_ns,
            notify_key: self.notify_key.clone(),
            max_records: self.max_records,
            max_zone_bytes: self.max_zone_bytes,
        }
    }

    /// Records the body holds (the SOA included), counted before any is
    /// parsed, so a body over `maxRecords` is refused without building them.
    pub fn record_count(&self) -> u64 {
        self.soa.is_some() as u64 + self.rrsets.iter().map(|r| r.rdata.len() as u64).sum::<u64>()
    }

    /// Primary: the records (SOA first, its serial the hint or 0) and the
    /// serial hint. Secondary: checks that no records were given.
    pub fn records(&self, apex: &[u8]) -> Result<(RecordSource, Option<u32>), FieldError> {
        if self.kind == Kind::Secondary {
            if self.soa.is_some() || !self.rrsets.is_empty() {
                let f = if self.soa.is_some() { "soa" } else { "rrsets" };
                return Err(field(f, "a secondary zone's records come from its primaries; give only `primaries` and policy"));
            }
            return Ok((RecordSource::default(), None));
        }
        let soa = self.soa.as_ref().ok_or_else(|| field("soa", "a primary zone needs `soa`"))?;
        let mut records = Vec::with_capacity(1 + self.rrsets.iter().map(|r| r.rdata.len()).sum::<usize>());
        records.push(Record {
            owner: apex.into(),
            rtype: rtype::SOA,
            class: class::IN,
            ttl: ttl(soa.ttl, "soa.ttl")?,
            rdata: soa.rdata(apex)?.into(),
            src: SourcePos::default(),
        });
        let mut seen: HashMap<(Box<[u8]>, u16), usize> = HashMap::with_capacity(self.rrsets.len());
        for (i, set) in self.rrsets.iter().enumerate() {
            let at = |f: &str| format!("rrsets[{i}]{f}");
            let owner = owner(&set.name, apex).map_err(|why| field(at(".name"), why))?;
            let t = rtype::from_name(set.rtype.trim()).ok_or_else(|| field(at(".type"), format!("unknown type {:?}", set.rtype)))?;
            if t == rtype::SOA {
                return Err(field(at(".type"), "the SOA is given by `soa`, not in `rrsets`"));
            }
            if rtype::is_meta(t) {
                return Err(field(at(".type"), format!("{} is not a type of zone data", set.rtype)));
            }
            if let Some(j) = seen.insert((owner.clone(), t), i) {
                return Err(field(at(""), format!("same name and type as rrsets[{j}]; give every record of an RRset in one entry")));
            }
            let ttl = ttl(set.ttl.unwrap_or(soa.ttl), &at(".ttl"))?;
            if set.rdata.is_empty() {
                return Err(field(at(".rdata"), "an RRset needs at least one record"));
            }
            let line = u32::try_from(i + 1).map_err(|_| field("rrsets", "too many RRsets"))?;
            for (j, text) in set.rdata.iter().enumerate() {
                let rdata = parse_rdata(t, text, apex).map_err(|why| field(at(&format!(".rdata[{j}]")), why.to_string()))?;
                records.push(Record { owner: owner.clone(), rtype: t, class: class::IN, ttl, rdata: rdata.into(), src: SourcePos { file: 0, line } });
            }
        }
        Ok((RecordSource { files: vec![LABEL.into()], records }, soa.serial))
    }
}

impl SoaBody {
    /// SOA RDATA (serial = the hint, or 0).
    fn rdata(&self, apex: &[u8]) -> Result<Vec<u8>, FieldError> {
        let name = |f: &str, text: &str| {
            if text.trim().is_empty() || text.split_whitespace().count() != 1 {
                return Err(field(f, format!("{text:?} is not a domain name")));
            }
            parse_rdata(rtype::NS, text, apex).map_err(|why| field(f, why.to_string()))
        };
        let mut out = name("soa.mname", &self.mname)?;
        out.extend(name("soa.rname", &self.rname)?);
        for v in [self.serial.unwrap_or(0), self.refresh, self.retry, self.expire, self.minimum] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        Ok(out)
    }
}

fn ttl(v: u32, f: &str) -> Result<u32, FieldError> {
    if v > MAX_TTL {
        return Err(field(f, format!("{v} is above the largest TTL {MAX_TTL} (RFC 2181 §8)")));
    }
    Ok(v)
}

/// The owner `text` names, lowercase wire, inside the zone at `apex`.
fn owner(text: &str, apex: &[u8]) -> Result<Box<[u8]>, String> {
    let bad =
        text.is_empty() || text.starts_with('$') || text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | '(' | ')' | '"'));
    if bad {
        return Err(format!("{text:?} is not a domain name"));
    }
    // The zone-file reader resolves `@`, relative names and escapes.
    let line = format!("{text} 0 IN TXT \"\"\n");
    let src = read_zone_str(&line, LABEL, apex, None).map_err(|e| e.reason)?;
    let rec = src.records.into_iter().next().ok_or_else(|| format!("{text:?} is not a domain name"))?;
    if !name::is_subdomain(&rec.owner, apex) {
        return Err(format!("{} is not in zone {}", DisplayName(&rec.owner), DisplayName(apex)));
    }
    Ok(rec.owner)
}

/// The body field a build error's `file:line` points at (`rrsets:4` →
/// `rrsets[3]`, line 0 → `soa`).
pub fn field_of(at: &str) -> String {
    match at.strip_prefix(LABEL).and_then(|r| r.strip_prefix(':')).and_then(|n| n.parse::<usize>().ok()) {
        Some(0) => "soa".into(),
        Some(n) => format!("rrsets[{}]", n - 1),
        None if at == LABEL => LABEL.into(),
        None => at.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(rrsets: serde_json::Value) -> ZoneBody {
        serde_json::from_value(serde_json::json!({
            "type": "primary",
            "soa": {"mname": "ns1", "rname": "hostmaster.example.org.", "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 300, "ttl": 300},
            "rrsets": rrsets,
        }))
        .unwrap()
    }

    fn apex() -> Vec<u8> {
        name::from_dotted("example.org").unwrap()
    }

    #[test]
    fn records_from_every_name_form() {
        let b = body(serde_json::json!([
            {"name": "@", "type": "NS", "rdata": ["ns1", "ns2.example.net."]},
            {"name": "WWW", "type": "a", "ttl": 60, "rdata": ["192.0.2.1"]},
            {"name": "mail.example.org.", "type": "MX", "rdata": ["10 mx"]},
            {"name": "_sip._tcp", "type": "TYPE33", "rdata": ["0 5 5060 sip"]},
        ]));
        let (src, hint) = b.records(&apex()).unwrap();
        assert_eq!(hint, None);
        let lines: Vec<String> = src.records.iter().map(|r| crate::xfr::diff::Rr::new(&r.owner, r.rtype, r.ttl, &r.rdata).to_string()).collect();
        assert_eq!(lines[0], "example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 0 3600 600 86400 300");
        assert!(lines.contains(&"example.org. 300 IN NS ns2.example.net.".to_string()), "{lines:?}");
        assert!(lines.contains(&"www.example.org. 60 IN A 192.0.2.1".to_string()), "{lines:?}");
        assert!(lines.contains(&"mail.example.org. 300 IN MX 10 mx.example.org.".to_string()), "{lines:?}");
        assert!(lines.contains(&"_sip._tcp.example.org. 300 IN SRV 0 5 5060 sip.example.org.".to_string()), "{lines:?}");
    }

    /// The body's policy fields are the definition's, under the same JSON
    /// names and defaults; strictness and field paths survive the sharing.
    #[test]
    fn policy_fields_are_the_definitions() {
        let policy = serde_json::json!({
            "primaries": ["192.0.2.1@k"], "allowTransfer": ["10.0.0.0/8"], "allowTransferKeys": ["k"], "allowNotify": ["192.0.2.2/32"],
            "alsoNotify": ["192.0.2.3:5300"], "allowUpdate": ["u"], "notifyNs": false, "notifyKey": "k",
        });
        let with = |mut v: serde_json::Value, extra: serde_json::Value| {
            v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            v
        };
        let b: ZoneBody = serde_json::from_value(with(policy.clone(), serde_json::json!({"type": "secondary"}))).unwrap();
        let d: ZoneDef = serde_json::from_value(with(policy, serde_json::json!({"type": "secondary", "name": "example.org."}))).unwrap();
        assert_eq!(b.def(&apex()), d);
        let bare: ZoneBody = serde_json::from_value(serde_json::json!({"type": "primary"})).unwrap();
        assert!(bare.notify_ns && bare.primaries.is_empty() && bare.notify_key.is_none(), "{bare:?}");
        let err = |v: serde_json::Value| {
            let e = serde_path_to_error::deserialize::<_, ZoneBody>(v).unwrap_err();
            (e.path().to_string(), e.inner().to_string())
        };
        let (path, msg) = err(serde_json::json!({"type": "primary", "name": "x"}));
        assert_eq!(path, "name");
        assert!(msg.starts_with("unknown field `name`, expected one of `type`, `soa`, `rrsets`, `primaries`"), "{msg}");
        assert_eq!(err(serde_json::json!({"type": "primary", "notifyNs": "yes"})).0, "notifyNs");
    }

    #[test]
    fn every_problem_names_its_field() {
        let err = |v: serde_json::Value| body(v).records(&apex()).unwrap_err().0;
        assert_eq!(err(serde_json::json!([{"name": "a b", "type": "A", "rdata": ["192.0.2.1"]}])), "rrsets[0].name");
        assert_eq!(err(serde_json::json!([{"name": "www.example.com.", "type": "A", "rdata": ["192.0.2.1"]}])), "rrsets[0].name");
        assert_eq!(
            err(serde_json::json!([{"name": "x", "type": "A", "rdata": ["192.0.2.1"]}, {"name": "y", "type": "A", "rdata": ["192.0.2.1", "nope"]}])),
            "rrsets[1].rdata[1]"
        );
        assert_eq!(err(serde_json::json!([{"name": "x", "type": "BOGUS", "rdata": ["1"]}])), "rrsets[0].type");
        assert_eq!(err(serde_json::json!([{"name": "x", "type": "SOA", "rdata": ["1"]}])), "rrsets[0].type");
        assert_eq!(err(serde_json::json!([{"name": "x", "type": "A", "rdata": []}])), "rrsets[0].rdata");
        assert_eq!(
            err(serde_json::json!([{"name": "x", "type": "A", "rdata": ["192.0.2.1"]}, {"name": "X", "type": "A", "rdata": ["192.0.2.2"]}])),
            "rrsets[1]"
        );
        assert_eq!(err(serde_json::json!([{"name": "$INCLUDE", "type": "A", "rdata": ["192.0.2.1"]}])), "rrsets[0].name");
        assert_eq!(field_of("rrsets:4"), "rrsets[3]");
        assert_eq!(field_of("rrsets:0"), "soa");
        assert_eq!(field_of("rrsets"), "rrsets");
    }
}
