//! One record object of any kind ([`RecordObject`]), whether it belongs to
//! a zone ([`attached`]), and its RDATA in presentation form.
//!
//! Owns: the record kinds' data fields read as zone-file RDATA (A/AAAA
//! addresses parsed, names checked, TXT and CAA strings quoted), each
//! problem a reason naming the field and the value; label selectors as
//! `recordsFrom` evaluates them. Must not: judge records against each
//! other (merging, CNAME clashes: `build`), or call the API server.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use ironbind_crds::v1alpha1::{
    AAAARecord, ARecord, CAARecord, CNAMERecord, DNSZone, MXRecord, NSRecord, PTRRecord, RecordCommon, SRVRecord, TXTRecord,
};
use kube::api::ObjectMeta;

use super::text::{self, Apex, MAX_FIELD, MAX_RDATA};

/// One record object, any kind (the kinds of `crds::v1alpha1::records`).
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // one variant per kind, named after it
pub enum RecordObject {
    A(ARecord),
    Aaaa(AAAARecord),
    Cname(CNAMERecord),
    Mx(MXRecord),
    Txt(TXTRecord),
    Ns(NSRecord),
    Srv(SRVRecord),
    Caa(CAARecord),
    Ptr(PTRRecord),
}

/// `$body` with `$r` bound to the object inside `$obj`, whatever its kind.
macro_rules! each {
    ($obj:expr, $r:ident => $body:expr) => {
        match $obj {
            RecordObject::A($r) => $body,
            RecordObject::Aaaa($r) => $body,
            RecordObject::Cname($r) => $body,
            RecordObject::Mx($r) => $body,
            RecordObject::Txt($r) => $body,
            RecordObject::Ns($r) => $body,
            RecordObject::Srv($r) => $body,
            RecordObject::Caa($r) => $body,
            RecordObject::Ptr($r) => $body,
        }
    };
}

macro_rules! from_kind {
    ($($variant:ident($kind:ty)),* $(,)?) => {
        $(impl From<$kind> for RecordObject {
            fn from(r: $kind) -> Self {
                RecordObject::$variant(r)
            }
        })*
    };
}

from_kind!(
    A(ARecord),
    Aaaa(AAAARecord),
    Cname(CNAMERecord),
    Mx(MXRecord),
    Txt(TXTRecord),
    Ns(NSRecord),
    Srv(SRVRecord),
    Caa(CAARecord),
    Ptr(PTRRecord)
);

impl RecordObject {
    /// Every record kind, in the order of the enum.
    pub const KINDS: [&'static str; 9] =
        ["ARecord", "AAAARecord", "CNAMERecord", "MXRecord", "TXTRecord", "NSRecord", "SRVRecord", "CAARecord", "PTRRecord"];

    /// The kind (`ARecord` …).
    pub fn kind(&self) -> &'static str {
        match self {
            RecordObject::A(_) => "ARecord",
            RecordObject::Aaaa(_) => "AAAARecord",
            RecordObject::Cname(_) => "CNAMERecord",
            RecordObject::Mx(_) => "MXRecord",
            RecordObject::Txt(_) => "TXTRecord",
            RecordObject::Ns(_) => "NSRecord",
            RecordObject::Srv(_) => "SRVRecord",
            RecordObject::Caa(_) => "CAARecord",
            RecordObject::Ptr(_) => "PTRRecord",
        }
    }

    /// The RR type the kind publishes (`A` …).
    pub fn rtype(&self) -> &'static str {
        match self {
            RecordObject::A(_) => "A",
            RecordObject::Aaaa(_) => "AAAA",
            RecordObject::Cname(_) => "CNAME",
            RecordObject::Mx(_) => "MX",
            RecordObject::Txt(_) => "TXT",
            RecordObject::Ns(_) => "NS",
            RecordObject::Srv(_) => "SRV",
            RecordObject::Caa(_) => "CAA",
            RecordObject::Ptr(_) => "PTR",
        }
    }

    fn meta(&self) -> &ObjectMeta {
        each!(self, r => &r.metadata)
    }

    /// `metadata.name` (empty when unset).
    pub fn name(&self) -> String {
        self.meta().name.clone().unwrap_or_default()
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> Option<String> {
        self.meta().namespace.clone()
    }

    /// The fields every kind has: `zoneRef`, `zone`, `name`, `ttl`.
    pub fn common(&self) -> &RecordCommon {
        each!(self, r => &r.spec.common)
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.meta().labels.clone().unwrap_or_default()
    }

    /// `metadata.generation`.
    pub fn generation(&self) -> Option<i64> {
        self.meta().generation
    }

    /// The RDATA of the object in presentation form (one string per
    /// record), or why it cannot be published. Relative names are left
    /// relative: the server completes them with the zone, as a zone file would.
    pub(super) fn rdata(&self, apex: &Apex) -> Result<Vec<String>, String> {
        match self {
            RecordObject::A(r) => addresses::<Ipv4Addr>("ipv4Address", r.spec.ipv4_address.as_deref(), r.spec.ipv4_addresses.as_deref(), "IPv4"),
            RecordObject::Aaaa(r) => addresses::<Ipv6Addr>("ipv6Address", r.spec.ipv6_address.as_deref(), r.spec.ipv6_addresses.as_deref(), "IPv6"),
            RecordObject::Cname(r) => Ok(vec![text::target(apex, "spec.target", &r.spec.target, false)?]),
            RecordObject::Ns(r) => Ok(vec![text::target(apex, "spec.nameserver", &r.spec.nameserver, false)?]),
            RecordObject::Ptr(r) => Ok(vec![text::target(apex, "spec.target", &r.spec.target, false)?]),
            RecordObject::Mx(r) => Ok(vec![format!("{} {}", r.spec.priority, text::target(apex, "spec.mailServer", &r.spec.mail_server, true)?)]),
            RecordObject::Srv(r) => {
                let s = &r.spec;
                Ok(vec![format!("{} {} {} {}", s.priority, s.weight, s.port, text::target(apex, "spec.target", &s.target, true)?)])
            }
            RecordObject::Caa(r) => Ok(vec![caa(r.spec.flags, &r.spec.tag, &r.spec.value)?]),
            RecordObject::Txt(r) => Ok(vec![txt(&r.spec.text)?]),
        }
    }
}

/// The addresses of an A or AAAA object: the single field, then the list;
/// each must parse, written back in canonical form.
fn addresses<T: std::str::FromStr + std::fmt::Display>(
    field: &str,
    one: Option<&str>,
    list: Option<&[String]>,
    family: &str,
) -> Result<Vec<String>, String> {
    let given = one.map(|a| (format!("spec.{field}"), a));
    let listed = list.unwrap_or_default().iter().enumerate().map(|(i, a)| (format!("spec.{field}es[{i}]"), a.as_str()));
    let mut out = Vec::new();
    for (f, a) in given.into_iter().chain(listed) {
        text::plain(&f, a, MAX_FIELD)?;
        let ip: T = a.parse().map_err(|_| format!("{f} {} is not an {family} address", text::show(a)))?;
        out.push(ip.to_string());
    }
    if out.is_empty() {
        return Err(format!("no address: spec.{field} and spec.{field}es are both empty"));
    }
    Ok(out)
}

/// CAA RDATA `flags tag "value"` (RFC 8659 §4.1: the tag 1–15 letters and digits).
fn caa(flags: u8, tag: &str, value: &str) -> Result<String, String> {
    text::plain("spec.tag", tag, MAX_FIELD)?;
    if tag.is_empty() || tag.len() > 15 || !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("spec.tag {} is not a CAA tag (1 to 15 letters and digits, e.g. issue, issuewild, iodef)", text::show(tag)));
    }
    text::plain("spec.value", value, MAX_FIELD)?;
    Ok(format!("{flags} {tag} {}", text::quoted(value.as_bytes())))
}

/// One TXT record: every entry of `text` one character-string as written,
/// split into 255-octet strings when longer, all in one RDATA.
fn txt(entries: &[String]) -> Result<String, String> {
    if entries.is_empty() {
        return Err("spec.text is empty: a TXT record needs at least one string".into());
    }
    let mut wire = 0;
    let mut strings = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let f = format!("spec.text[{i}]");
        if e.len() > MAX_RDATA {
            return Err(format!("{f} is {} octets long, more than {MAX_RDATA}", e.len()));
        }
        text::control(&f, e)?;
        wire += text::txt_wire_len(e);
        strings.extend(text::txt_strings(e));
    }
    if wire > MAX_RDATA {
        return Err(format!("spec.text takes {wire} octets as TXT RDATA, more than {MAX_RDATA}"));
    }
    Ok(strings.join(" "))
}

/// Whether `rec` belongs to `zone`, in the zone's namespace only. A record
/// that names its zone belongs to that zone alone: `zoneRef` (the DNSZone's
/// `metadata.name`) first, else `zone` (the apex, case and a trailing dot
/// ignored). A record naming neither belongs to every zone whose
/// `recordsFrom` selects its labels.
pub fn attached(zone: &DNSZone, rec: &RecordObject) -> bool {
    if rec.namespace() != zone.metadata.namespace {
        return false;
    }
    let c = rec.common();
    if let Some(r) = c.zone_ref.as_deref().filter(|r| !r.is_empty()) {
        return zone.metadata.name.as_deref() == Some(r);
    }
    if let Some(z) = c.zone.as_deref().filter(|z| !z.is_empty()) {
        let bare = |s: &str| s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
        return bare(z) == bare(&zone.spec.zone_name);
    }
    let labels = rec.labels();
    zone.spec.records_from.iter().flatten().any(|s| s.selector.matches(&labels))
}
