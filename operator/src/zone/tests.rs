//! `zone::build`: the body of a primary zone from the seed's and bindy's
//! example manifests and from small YAML cases, rule by rule.

use serde_json::{json, Value};

use super::build::{self, attached, desired, Built, RecordObject, ZoneError};
use ironbind_crds::v1alpha1::DNSZone;

const SEED_ZONE: &str = include_str!("../../../deploy/examples/seed/07-dnszone-example-com.yaml");
const BINDY_ZONES: &str = include_str!("../../../deploy/examples/bindy/03-dns-zones.yaml");
const BINDY_RECORDS: &str = include_str!("../../../deploy/examples/bindy/04-dns-records.yaml");
const LABEL_SELECTION: &str = include_str!("../../../deploy/examples/bindy/05-label-selection.yaml");

/// Every document of a YAML stream.
fn documents(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml).map(|d| serde::Deserialize::deserialize(d).expect("a YAML document")).collect()
}

fn object(doc: Value) -> RecordObject {
    fn typed<K: serde::de::DeserializeOwned>(doc: Value) -> K {
        let kind = doc["kind"].clone();
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("{kind}: {e}"))
    }
    match doc["kind"].as_str().expect("a kind") {
        "ARecord" => RecordObject::A(typed(doc)),
        "AAAARecord" => RecordObject::Aaaa(typed(doc)),
        "CNAMERecord" => RecordObject::Cname(typed(doc)),
        "MXRecord" => RecordObject::Mx(typed(doc)),
        "TXTRecord" => RecordObject::Txt(typed(doc)),
        "NSRecord" => RecordObject::Ns(typed(doc)),
        "SRVRecord" => RecordObject::Srv(typed(doc)),
        "CAARecord" => RecordObject::Caa(typed(doc)),
        "PTRRecord" => RecordObject::Ptr(typed(doc)),
        other => panic!("not a record kind: {other}"),
    }
}

/// The DNSZones and the record objects of a YAML stream.
fn manifests(yaml: &str) -> (Vec<DNSZone>, Vec<RecordObject>) {
    let (zones, records): (Vec<Value>, Vec<Value>) = documents(yaml).into_iter().partition(|d| d["kind"] == "DNSZone");
    (zones.into_iter().map(|z| serde_json::from_value(z).expect("a DNSZone")).collect(), records.into_iter().map(object).collect())
}

/// A DNSZone `example-com` in `dns-system` with the flow-mapping `spec`.
fn zone(spec: &str) -> DNSZone {
    let yaml = format!(
        "apiVersion: bindy.firestoned.io/v1alpha1\nkind: DNSZone\nmetadata: {{name: example-com, namespace: dns-system}}\nspec: {{{spec}}}\n"
    );
    serde_norway::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

/// The zone `example.com` with nothing else.
fn plain_zone() -> DNSZone {
    zone("zoneName: example.com")
}

/// A record object of `kind` named `name` in `dns-system` with the flow-mapping `spec`.
fn rec(kind: &str, name: &str, spec: &str) -> RecordObject {
    labelled(kind, name, "{}", spec)
}

fn labelled(kind: &str, name: &str, labels: &str, spec: &str) -> RecordObject {
    let yaml = format!(
        "apiVersion: bindy.firestoned.io/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}, namespace: dns-system, labels: {labels}}}\nspec: {{{spec}}}\n"
    );
    object(serde_norway::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}")))
}

fn built(z: &DNSZone, records: &[RecordObject]) -> Built {
    desired(z, records).unwrap_or_else(|e| panic!("the zone builds: {e}"))
}

/// The RRset `name`/`type` of the body: TTL and RDATA.
fn rrset(b: &Built, name: &str, rtype: &str) -> Option<(u64, Vec<String>)> {
    b.body["rrsets"].as_array().expect("rrsets").iter().find(|s| s["name"] == name && s["type"] == rtype).map(|s| {
        let rdata = s["rdata"].as_array().expect("rdata").iter().map(|r| r.as_str().expect("a string").to_string()).collect();
        (s["ttl"].as_u64().expect("a ttl"), rdata)
    })
}

fn rdata(b: &Built, name: &str, rtype: &str) -> Vec<String> {
    rrset(b, name, rtype).map(|(_, r)| r).unwrap_or_default()
}

/// The one refusal of `name`.
fn refusal(b: &Built, name: &str) -> String {
    let r: Vec<_> = b.refused.iter().filter(|r| r.1 == name).collect();
    assert_eq!(r.len(), 1, "{name} refused once: {:#?}", b.refused);
    r[0].2.clone()
}

fn accepted(b: &Built, name: &str) -> bool {
    b.accepted.iter().any(|a| a.1 == name)
}

// --- SOA and apex ---------------------------------------------------------

#[test]
fn the_seed_zone_without_soa_record_gets_a_generated_soa_and_ns() {
    let z: DNSZone = serde_norway::from_str(SEED_ZONE).expect("the seed's zone");
    let b = built(&z, &[]);
    assert_eq!(
        b.body,
        json!({"type": "primary",
            "soa": {"mname": "ns1.example.com.", "rname": "hostmaster.example.com.", "refresh": 3600, "retry": 600, "expire": 604800, "minimum": 300, "ttl": 3600},
            "rrsets": [{"name": "@", "type": "NS", "ttl": 3600, "rdata": ["ns1.example.com."]}]})
    );
    assert_eq!(b.record_count, 2, "SOA and NS");
    assert!(b.accepted.is_empty() && b.refused.is_empty());
    assert_eq!(b.input_hash, crate::apply::desired_hash(&b.body));
}

#[test]
fn a_generated_soa_names_the_first_name_server() {
    let z = zone("zoneName: example.com, nameServers: [{hostname: ns.example.net.}, {hostname: ns2.example.com.}]");
    let b = built(&z, &[]);
    assert_eq!(b.body["soa"]["mname"], "ns.example.net.");
    assert_eq!(b.body["soa"]["rname"], "hostmaster.example.com.");
    assert_eq!(rdata(&b, "@", "NS"), ["ns.example.net.", "ns2.example.com."]);
}

#[test]
fn soa_record_fields_map_to_the_body() {
    let (zones, _) = manifests(BINDY_ZONES);
    let b = built(&zones[0], &[]);
    assert_eq!(
        b.body["soa"],
        json!({"mname": "ns1.example.com.", "rname": "admin.example.com.", "serial": 2025012101u32, "refresh": 3600, "retry": 600, "expire": 604800, "minimum": 86400, "ttl": 3600})
    );
    // nameServerIps: NS and glue for both (in the zone).
    assert_eq!(rrset(&b, "@", "NS"), Some((3600, vec!["ns1.example.com.".into(), "ns2.example.com.".into()])));
    assert_eq!(rrset(&b, "ns1", "A"), Some((3600, vec!["192.0.2.53".into()])));
    assert_eq!(rrset(&b, "ns2", "A"), Some((3600, vec!["192.0.2.54".into()])));
    // No spec.ttl: the SOA TTL is 3600.
    let b = built(&zones[1], &[]);
    assert_eq!(b.body["soa"]["ttl"], 3600);
    assert_eq!(b.body["soa"]["serial"], 1);
}

fn soa_zone(admin: &str, serial: u32) -> DNSZone {
    zone(&format!(
        "zoneName: example.com, soaRecord: {{primaryNs: ns1.example.com., adminEmail: '{admin}', serial: {serial}, refresh: 7200, retry: 900, expire: 1209600, negativeTtl: 60}}"
    ))
}

#[test]
fn a_zero_serial_is_left_to_the_server() {
    let b = built(&soa_zone("admin.example.com.", 0), &[]);
    assert!(b.body["soa"].get("serial").is_none(), "{}", b.body["soa"]);
    assert_eq!(b.body["soa"]["minimum"], 60);
}

#[test]
fn admin_email_becomes_an_rname() {
    let rname = |admin: &str| built(&soa_zone(admin, 1), &[]).body["soa"]["rname"].as_str().map(String::from);
    assert_eq!(rname("admin@example.com").as_deref(), Some("admin.example.com."));
    assert_eq!(rname("admin@example.com.").as_deref(), Some("admin.example.com."));
    assert_eq!(rname("first.last@example.com").as_deref(), Some("first\\.last.example.com."));
    assert_eq!(rname("admin.example.com.").as_deref(), Some("admin.example.com."));
    assert_eq!(rname("hostmaster").as_deref(), Some("hostmaster.example.com."), "relative, as in a zone file");
    for bad in ["a b@example.com", "@example.com", "admin@exa mple.com", "x\"y@example.com"] {
        let e = desired(&soa_zone(bad, 1), &[]).expect_err(bad);
        assert!(matches!(&e, ZoneError::Soa(m) if m.starts_with("spec.soaRecord.adminEmail")), "{bad}: {e}");
    }
}

#[test]
fn zones_that_cannot_be_built() {
    let e = |spec: &str| desired(&zone(spec), &[]).expect_err(spec);
    assert_eq!(e("zoneName: example.com, type: secondary"), ZoneError::Secondary);
    assert!(matches!(e("zoneName: 'exa mple.com'"), ZoneError::ZoneName(m) if m.contains("\"exa mple.com\"")));
    assert!(matches!(e("zoneName: 'a..b'"), ZoneError::ZoneName(m) if m.contains("empty label")));
    assert!(matches!(e("zoneName: ''"), ZoneError::ZoneName(_)));
    assert_eq!(e("zoneName: example.com, ttl: 4294967295"), ZoneError::Ttl(4294967295));
    let soa = "soaRecord: {primaryNs: '192.0.2.1', adminEmail: a.example.com., serial: 1, refresh: 1, retry: 1, expire: 1, negativeTtl: 1}";
    assert!(
        matches!(e(&format!("zoneName: example.com, {soa}")), ZoneError::Soa(m) if m.contains("spec.soaRecord.primaryNs \"192.0.2.1\" is an IP address"))
    );
    let ns = e("zoneName: example.com, nameServers: [{hostname: ns1.example.com., ipv4Address: '192.0.2.300'}]");
    assert_eq!(ns, ZoneError::NameServer("spec.nameServers[0].ipv4Address \"192.0.2.300\" is not an IPv4 address".into()));
    assert_eq!(ns.reason(), "InvalidNameServer");
    let ips = e("zoneName: example.com, nameServerIps: {ns1.example.com.: nope}");
    assert!(matches!(ips, ZoneError::NameServer(m) if m.contains("\"nope\" is not an IP address")));
    // A trailing dot on the zone name is ignored, case too.
    assert_eq!(built(&zone("zoneName: Example.COM."), &[]).body["soa"]["mname"], "ns1.example.com.");
}

#[test]
fn glue_only_for_in_zone_name_servers() {
    let z = zone(
        "zoneName: example.org, nameServers: [{hostname: ns1.example.org., ipv4Address: '192.168.0.60'}, \
         {hostname: ns2.example.org., ipv4Address: '192.168.0.61', ipv6Address: '2001:DB8:0:1::61'}, \
         {hostname: ns.example.net., ipv4Address: '198.51.100.1'}], \
         nameServerIps: {ns1.example.org.: '192.0.2.60', ns3.example.org.: '2001:db8::63', ns.example.com.: '203.0.113.1'}",
    );
    let b = built(&z, &[]);
    let ns = ["ns.example.com.", "ns.example.net.", "ns1.example.org.", "ns2.example.org.", "ns3.example.org."];
    assert_eq!(rdata(&b, "@", "NS"), ns);
    assert_eq!(rdata(&b, "ns1", "A"), ["192.0.2.60", "192.168.0.60"], "both sources, united");
    assert_eq!(rdata(&b, "ns2", "A"), ["192.168.0.61"]);
    assert_eq!(rdata(&b, "ns2", "AAAA"), ["2001:db8:0:1::61"], "canonical form");
    assert_eq!(rdata(&b, "ns3", "AAAA"), ["2001:db8::63"]);
    let names: Vec<&str> = b.body["rrsets"].as_array().expect("rrsets").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["@", "ns1", "ns2", "ns2", "ns3"], "no glue for out-of-zone names");
    assert_eq!(b.record_count, 1 + 5 + 5);
}

#[test]
fn without_name_servers_the_mname_serves_unless_an_apex_ns_record_does() {
    let b = built(&plain_zone(), &[rec("NSRecord", "apex-ns", "name: '@', nameserver: ns.example.net.")]);
    assert_eq!(rdata(&b, "@", "NS"), ["ns.example.net."]);
    let z = zone("zoneName: example.com, nameServers: [{hostname: ns1.example.com.}]");
    let b = built(&z, &[rec("NSRecord", "apex-ns", "name: '@', nameserver: ns.example.net.")]);
    assert_eq!(rdata(&b, "@", "NS"), ["ns.example.net.", "ns1.example.com."], "an apex NSRecord adds to nameServers");
}

// --- records --------------------------------------------------------------

#[test]
fn bindy_records_of_every_kind() {
    let (zones, records) = manifests(&format!("{BINDY_ZONES}\n---\n{BINDY_RECORDS}"));
    let z = &zones[0];
    assert!(records.iter().all(|r| attached(z, r)), "zoneRef and zone name example-com");
    let b = built(z, &records);
    assert!(b.refused.is_empty(), "{:#?}", b.refused);
    assert_eq!(b.accepted.len(), 9);
    let q = |s: &str| format!("\"{s}\"");
    let expected = json!([
        {"name": "@", "type": "CAA", "ttl": 3600, "rdata": [format!("0 issue {}", q("letsencrypt.org"))]},
        {"name": "@", "type": "MX", "ttl": 3600, "rdata": ["10 mail.example.com."]},
        {"name": "@", "type": "NS", "ttl": 3600, "rdata": ["ns1.example.com.", "ns2.example.com."]},
        {"name": "@", "type": "TXT", "ttl": 3600, "rdata": [q("v=spf1 mx include:_spf.example.net ~all")]},
        {"name": "_ldap._tcp", "type": "SRV", "ttl": 3600, "rdata": ["10 60 389 ldap.example.com."]},
        {"name": "api", "type": "A", "ttl": 3600, "rdata": ["192.0.2.10"]},
        {"name": "blog", "type": "CNAME", "ttl": 300, "rdata": ["www.example.com."]},
        {"name": "dev", "type": "NS", "ttl": 86400, "rdata": ["ns1.dev.example.com."]},
        {"name": "ns1", "type": "A", "ttl": 3600, "rdata": ["192.0.2.53"]},
        {"name": "ns2", "type": "A", "ttl": 3600, "rdata": ["192.0.2.54"]},
        {"name": "www", "type": "A", "ttl": 300, "rdata": ["192.0.2.1"]},
        {"name": "www", "type": "AAAA", "ttl": 300, "rdata": ["2001:db8::1"]},
    ]);
    assert_eq!(b.body["rrsets"], expected);
    assert_eq!(b.record_count, 14);
}

#[test]
fn record_ttl_defaults_to_the_zone_ttl_else_300() {
    let r = [rec("ARecord", "www", "name: www, ipv4Address: 192.0.2.1")];
    assert_eq!(rrset(&built(&plain_zone(), &r), "www", "A").map(|s| s.0), Some(300));
    assert_eq!(rrset(&built(&zone("zoneName: example.com, ttl: 900"), &r), "www", "A").map(|s| s.0), Some(900));
    let b = built(&plain_zone(), &[rec("ARecord", "huge", "name: www, ipv4Address: 192.0.2.1, ttl: 2147483648")]);
    assert_eq!(refusal(&b, "huge"), "spec.ttl 2147483648 is above the largest TTL 2147483647 (RFC 2181 §8)");
}

#[test]
fn spf_txt_stays_one_string() {
    let b = built(&plain_zone(), &[rec("TXTRecord", "spf", "name: '@', text: ['v=spf1 include:_spf.example.com ~all']")]);
    assert_eq!(rdata(&b, "@", "TXT"), ["\"v=spf1 include:_spf.example.com ~all\""]);
}

#[test]
fn a_300_octet_txt_entry_becomes_two_strings_of_one_rdata() {
    let long = "a".repeat(255) + &"b".repeat(45);
    let b = built(&plain_zone(), &[rec("TXTRecord", "long", &format!("name: dkim, text: ['{long}', short]"))]);
    let expected = format!("\"{}\" \"{}\" \"short\"", "a".repeat(255), "b".repeat(45));
    assert_eq!(rdata(&b, "dkim", "TXT"), [expected], "one RDATA: the long entry in two strings, then the next entry");
}

#[test]
fn txt_quotes_backslashes_and_non_ascii_are_escaped() {
    let b = built(&plain_zone(), &[rec("TXTRecord", "q", r#"name: q, text: ['say "hi" \o/; (ok)', 'café', '']"#)]);
    assert_eq!(rdata(&b, "q", "TXT"), [r#""say \"hi\" \\o/; (ok)" "caf\195\169" """#]);
    // A split never cuts an escape: 254 'a' then 'é' (2 octets) splits inside the character, each octet escaped.
    let e = "a".repeat(254) + "é";
    let b = built(&plain_zone(), &[rec("TXTRecord", "u", &format!("name: u, text: ['{e}']"))]);
    assert_eq!(rdata(&b, "u", "TXT"), [format!("\"{}\\195\" \"\\169\"", "a".repeat(254))]);
}

#[test]
fn txt_refusals() {
    let b = built(
        &plain_zone(),
        &[
            rec("TXTRecord", "empty", "name: e, text: []"),
            rec("TXTRecord", "newline", "name: n, text: [ok, \"line\\nbreak\"]"),
            rec("TXTRecord", "too-long", &format!("name: t, text: ['{}']", "x".repeat(65_536))),
            rec("TXTRecord", "wire", &format!("name: w, text: ['{}']", "x".repeat(65_500))),
            rec("TXTRecord", "big-ok", &format!("name: big, text: ['{}']", "x".repeat(5000))),
        ],
    );
    assert_eq!(refusal(&b, "empty"), "spec.text is empty: a TXT record needs at least one string");
    assert_eq!(refusal(&b, "newline"), "spec.text[1] \"line\\nbreak\" holds the control character U+000A");
    assert_eq!(refusal(&b, "too-long"), "spec.text[0] is 65536 octets long, more than 65535");
    assert_eq!(refusal(&b, "wire"), "spec.text takes 65757 octets as TXT RDATA, more than 65535");
    assert!(accepted(&b, "big-ok"), "a TXT entry may pass the 4096-character limit of other fields");
    assert_eq!(rdata(&b, "big", "TXT")[0].matches('"').count(), 2 * 20, "5000 octets: 20 strings");
}

#[test]
fn two_a_records_for_www_merge_into_one_rrset() {
    let b = built(
        &plain_zone(),
        &[
            rec("ARecord", "www-1", "name: www, ipv4Address: 192.0.2.1, ttl: 600"),
            rec("ARecord", "www-2", "name: WWW, ipv4Addresses: [192.0.2.2, 192.0.2.1], ttl: 60"),
            rec("ARecord", "www-3", "name: www.example.com., ipv4Address: 192.0.2.3"),
        ],
    );
    assert_eq!(rrset(&b, "www", "A"), Some((60, vec!["192.0.2.1".into(), "192.0.2.2".into(), "192.0.2.3".into()])), "union, lowest TTL");
    assert_eq!(b.accepted.len(), 3);
    assert_eq!(b.record_count, 1 + 1 + 3);
}

#[test]
fn bad_addresses_are_refused_naming_field_and_value() {
    let b = built(
        &plain_zone(),
        &[
            rec("ARecord", "bad-list", "name: www, ipv4Addresses: [192.0.2.1, 300.1.2.3]"),
            rec("ARecord", "bad-one", "name: www, ipv4Address: '2001:db8::1'"),
            rec("ARecord", "none", "name: www"),
            rec("AAAARecord", "bad-v6", "name: www, ipv6Addresses: ['192.0.2.1']"),
            rec("ARecord", "good", "name: www, ipv4Address: 192.0.2.9"),
        ],
    );
    assert_eq!(refusal(&b, "bad-list"), "spec.ipv4Addresses[1] \"300.1.2.3\" is not an IPv4 address");
    assert_eq!(refusal(&b, "bad-one"), "spec.ipv4Address \"2001:db8::1\" is not an IPv4 address");
    assert_eq!(refusal(&b, "none"), "no address: spec.ipv4Address and spec.ipv4Addresses are both empty");
    assert_eq!(refusal(&b, "bad-v6"), "spec.ipv6Addresses[0] \"192.0.2.1\" is not an IPv6 address");
    assert_eq!(rdata(&b, "www", "A"), ["192.0.2.9"], "the bad objects leave nothing behind");
    assert_eq!(b.accepted, [("ARecord".to_string(), "good".to_string())]);
}

#[test]
fn cname_beside_a_is_refused_and_a_kept() {
    let b = built(
        &plain_zone(),
        &[
            rec("CNAMERecord", "www-alias", "name: www, target: web.example.net."),
            rec("ARecord", "www-a", "name: www, ipv4Address: 192.0.2.1"),
            rec("CNAMERecord", "blog", "name: blog, target: www"),
        ],
    );
    assert!(refusal(&b, "www-alias").starts_with("CNAME and other data at www (ARecord www-a)"), "{}", refusal(&b, "www-alias"));
    assert_eq!(rdata(&b, "www", "A"), ["192.0.2.1"]);
    assert!(rrset(&b, "www", "CNAME").is_none());
    assert_eq!(rdata(&b, "blog", "CNAME"), ["www"], "a relative target as written");
}

#[test]
fn two_cnames_at_one_name_are_both_refused() {
    let b = built(
        &plain_zone(),
        &[rec("CNAMERecord", "one", "name: www, target: a.example.net."), rec("CNAMERecord", "two", "name: www, target: b.example.net.")],
    );
    let why = "more than one CNAME at www (CNAMERecord one, CNAMERecord two): a name has at most one";
    assert_eq!((refusal(&b, "one").as_str(), refusal(&b, "two").as_str()), (why, why));
    assert!(rrset(&b, "www", "CNAME").is_none());
}

#[test]
fn cname_at_the_apex_or_beside_glue_is_refused() {
    let z = zone("zoneName: example.com, nameServers: [{hostname: ns1.example.com., ipv4Address: 192.0.2.53}]");
    let b = built(
        &z,
        &[rec("CNAMERecord", "apex", "name: '@', target: www.example.net."), rec("CNAMERecord", "ns1", "name: ns1, target: host.example.net.")],
    );
    assert_eq!(
        refusal(&b, "apex"),
        "a CNAME at the zone apex example.com. (spec.name \"@\") is not allowed: the apex holds the SOA and NS (RFC 1034 §3.6.2)"
    );
    assert!(refusal(&b, "ns1").starts_with("CNAME and other data at ns1 (A glue of name server ns1.example.com.)"));
    assert_eq!(rdata(&b, "ns1", "A"), ["192.0.2.53"]);
}

#[test]
fn names_outside_the_zone_are_refused() {
    let b = built(
        &plain_zone(),
        &[
            rec("ARecord", "outside", "name: www.example.net., ipv4Address: 192.0.2.1"),
            rec("ARecord", "suffix", "name: www.notexample.com., ipv4Address: 192.0.2.1"),
            rec("ARecord", "root", "name: ., ipv4Address: 192.0.2.1"),
            rec("ARecord", "inside", "name: Host.Example.COM., ipv4Address: 192.0.2.2"),
            rec("ARecord", "apex", "name: example.com., ipv4Address: 192.0.2.3"),
            rec("ARecord", "empty-name", "name: '', ipv4Address: 192.0.2.4"),
        ],
    );
    assert_eq!(refusal(&b, "outside"), "name www.example.net. is outside zone example.com.");
    assert_eq!(refusal(&b, "suffix"), "name www.notexample.com. is outside zone example.com.");
    assert_eq!(refusal(&b, "root"), "name . is outside zone example.com.");
    assert_eq!(rdata(&b, "host", "A"), ["192.0.2.2"]);
    assert_eq!(rdata(&b, "@", "A"), ["192.0.2.3", "192.0.2.4"]);
}

#[test]
fn bad_names_are_refused() {
    let long_label = "a".repeat(64);
    let long_name = vec!["a".repeat(60); 4].join(".");
    let b = built(
        &plain_zone(),
        &[
            rec("ARecord", "label", &format!("name: {long_label}, ipv4Address: 192.0.2.1")),
            rec("ARecord", "name", &format!("name: {long_name}, ipv4Address: 192.0.2.1")),
            rec("ARecord", "empty-label", "name: 'a..b', ipv4Address: 192.0.2.1"),
            rec("ARecord", "space", "name: 'a b', ipv4Address: 192.0.2.1"),
            rec("ARecord", "newline", "name: \"a\\nb\", ipv4Address: 192.0.2.1"),
            rec("ARecord", "idn", "name: 'bücher', ipv4Address: 192.0.2.1"),
            rec("ARecord", "field", &format!("name: {}, ipv4Address: 192.0.2.1", "a.".repeat(2049))),
            rec("ARecord", "wildcard", "name: '*.apps', ipv4Address: 192.0.2.1"),
            rec("ARecord", "mid-star", "name: 'a.*', ipv4Address: 192.0.2.1"),
            rec("ARecord", "under", "name: _acme-challenge.www, ipv4Address: 192.0.2.1"),
        ],
    );
    assert_eq!(refusal(&b, "label"), format!("spec.name \"{long_label}\" has a label of 64 octets, more than 63"));
    assert!(refusal(&b, "name").ends_with("is 257 octets long in zone example.com., more than 255"), "{}", refusal(&b, "name"));
    assert_eq!(refusal(&b, "empty-label"), "spec.name \"a..b\" has an empty label");
    assert_eq!(refusal(&b, "space"), "spec.name \"a b\" holds the character ' ', which a host name cannot hold");
    assert_eq!(refusal(&b, "newline"), "spec.name \"a\\nb\" holds the control character U+000A");
    assert!(refusal(&b, "idn").contains("non-ASCII character 'ü': write an internationalized name in its xn-- form"));
    assert_eq!(refusal(&b, "field"), "spec.name is 4098 characters long, more than 4096");
    assert!(refusal(&b, "mid-star").contains("holds the character '*'"));
    assert!(accepted(&b, "wildcard") && accepted(&b, "under"));
    assert_eq!(rdata(&b, "*.apps", "A"), ["192.0.2.1"]);
}

#[test]
fn targets_are_checked_and_passed_as_written() {
    let b = built(
        &plain_zone(),
        &[
            rec("MXRecord", "mx-ip", "name: '@', priority: 10, mailServer: 192.0.2.25"),
            rec("MXRecord", "mx-ip-dot", "name: '@', priority: 10, mailServer: 192.0.2.25."),
            rec("SRVRecord", "srv-ip", "name: _sip._udp, priority: 1, weight: 2, port: 5060, target: '2001:db8::5'"),
            rec("CNAMERecord", "cname-ip", "name: ip, target: 192.0.2.1"),
            rec("MXRecord", "mx", "name: '@', priority: 20, mailServer: Mail"),
            rec("MXRecord", "null-mx", "name: nomail, priority: 0, mailServer: ."),
            rec("SRVRecord", "srv", "name: _sip._udp, priority: 1, weight: 2, port: 5060, target: sip.example.net."),
            rec("PTRRecord", "ptr", "name: '1', target: '@'"),
            rec("NSRecord", "ns-root", "name: sub, nameserver: ."),
            rec("CNAMERecord", "cname-empty", "name: e, target: ''"),
        ],
    );
    assert_eq!(refusal(&b, "mx-ip"), "spec.mailServer \"192.0.2.25\" is an IP address, not a host name");
    assert_eq!(refusal(&b, "mx-ip-dot"), "spec.mailServer \"192.0.2.25.\" is an IP address, not a host name");
    assert_eq!(refusal(&b, "srv-ip"), "spec.target \"2001:db8::5\" is an IP address, not a host name");
    assert_eq!(refusal(&b, "cname-ip"), "spec.target \"192.0.2.1\" is an IP address, not a host name");
    assert_eq!(refusal(&b, "ns-root"), "spec.nameserver \".\" is the root, not a host name");
    assert_eq!(refusal(&b, "cname-empty"), "spec.target is empty");
    assert_eq!(rdata(&b, "@", "MX"), ["20 Mail"]);
    assert_eq!(rdata(&b, "nomail", "MX"), ["0 ."]);
    assert_eq!(rdata(&b, "_sip._udp", "SRV"), ["1 2 5060 sip.example.net."]);
    assert_eq!(rdata(&b, "1", "PTR"), ["@"]);
}

#[test]
fn caa_values_are_quoted_and_tags_checked() {
    let b = built(
        &plain_zone(),
        &[
            rec("CAARecord", "issue", "name: '@', flags: 128, tag: issue, value: 'ca.example.net; account=\"x\\y\"'"),
            rec("CAARecord", "bad-tag", "name: '@', flags: 0, tag: 'is sue', value: ca.example.net"),
            rec("CAARecord", "long", &format!("name: '@', flags: 0, tag: iodef, value: '{}'", "v".repeat(4097))),
        ],
    );
    assert_eq!(rdata(&b, "@", "CAA"), [r#"128 issue "ca.example.net; account=\"x\\y\"""#]);
    assert!(refusal(&b, "bad-tag").starts_with("spec.tag \"is sue\" is not a CAA tag"));
    assert_eq!(refusal(&b, "long"), "spec.value is 4097 characters long, more than 4096");
}

#[test]
fn the_body_is_the_same_whatever_the_input_order() {
    let (zones, mut records) = manifests(&format!("{BINDY_ZONES}\n---\n{BINDY_RECORDS}"));
    records.extend([
        rec("ARecord", "www-2", "name: www, ipv4Addresses: [192.0.2.7, 192.0.2.1], ttl: 30"),
        rec("CNAMERecord", "www-alias", "name: www, target: elsewhere.example.net."),
        rec("ARecord", "bad", "name: bad, ipv4Address: nope"),
        rec("TXTRecord", "txt-b", "name: t, text: [b]"),
        rec("TXTRecord", "txt-a", "name: t, text: [a]"),
    ]);
    let first = built(&zones[0], &records);
    for turn in 1..records.len() {
        let mut r = records.clone();
        r.rotate_left(turn);
        if turn % 2 == 0 {
            r.reverse();
        }
        assert_eq!(built(&zones[0], &r), first, "rotated by {turn}");
    }
    assert_eq!(rdata(&first, "t", "TXT"), ["\"a\"", "\"b\""]);
    assert_eq!(first.refused.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), ["bad", "www-alias"]);
}

#[test]
fn a_zone_over_the_record_limit_is_refused() {
    let addresses: Vec<String> = (1..=20).map(|i| format!("\"192.0.2.{i}\"")).collect();
    let r = [rec("ARecord", "many", &format!("name: www, ipv4Addresses: [{}]", addresses.join(", ")))];
    assert_eq!(build::build(&plain_zone(), &r, 22).map(|b| b.record_count), Ok(22), "SOA, NS and 20 A");
    assert_eq!(build::build(&plain_zone(), &r, 21), Err(ZoneError::TooManyRecords { count: 22, max: 21 }));
    assert_eq!(build::MAX_RECORDS, 1_000_000);
}

// --- which records belong to a zone ---------------------------------------

#[test]
fn zone_ref_and_zone_matching() {
    let z = plain_zone();
    assert!(attached(&z, &rec("ARecord", "r", "zoneRef: example-com, name: www")));
    assert!(!attached(&z, &rec("ARecord", "r", "zoneRef: example-org, name: www")));
    assert!(attached(&z, &rec("ARecord", "r", "zone: Example.COM., name: www")), "case and trailing dot ignored");
    assert!(!attached(&z, &rec("ARecord", "r", "zone: example.org, name: www")));
    assert!(!attached(&z, &rec("ARecord", "r", "name: www")), "names no zone, no recordsFrom");
    // zoneRef wins over zone.
    assert!(!attached(&z, &rec("ARecord", "r", "zoneRef: other, zone: example.com, name: www")));
    // Another namespace never.
    let mut other = rec("ARecord", "r", "zoneRef: example-com, name: www");
    if let RecordObject::A(a) = &mut other {
        a.metadata.namespace = Some("elsewhere".into());
    }
    assert!(!attached(&z, &other));
}

#[test]
fn records_from_selects_by_labels() {
    let (zones, records) = manifests(LABEL_SELECTION);
    let (org, reverse) = (&zones[0], &zones[1]);
    let of = |z: &DNSZone| records.iter().filter(|r| attached(z, r)).map(RecordObject::name).collect::<Vec<_>>();
    assert_eq!(of(org), ["www-load-balanced", "www-ipv6-load-balanced"]);
    assert_eq!(of(reverse), ["ptr-192-0-2-1"]);

    let picked: Vec<RecordObject> = records.iter().filter(|r| attached(org, r)).cloned().collect();
    let b = built(org, &picked);
    assert_eq!(rrset(&b, "www", "A"), Some((60, vec!["192.0.2.1".into(), "192.0.2.2".into(), "192.0.2.3".into()])));
    assert_eq!(rdata(&b, "www", "AAAA"), ["2001:db8::1", "2001:db8::2", "2001:db8::3"]);
    assert_eq!(rdata(&b, "ns2", "AAAA"), ["2001:db8:0:1::61"]);

    let picked: Vec<RecordObject> = records.iter().filter(|r| attached(reverse, r)).cloned().collect();
    let b = built(reverse, &picked);
    assert_eq!(rdata(&b, "1", "PTR"), ["www.example.org."]);
    assert_eq!(rdata(&b, "@", "NS"), ["ns1.2.0.192.in-addr.arpa."]);

    // A record naming a zone is not taken by another zone's selector.
    let named = labelled("ARecord", "named", "{bindy.firestoned.io/zone: example.org}", "zoneRef: example-com, name: x");
    assert!(!attached(org, &named));
}

#[test]
fn record_object_accessors() {
    let r = labelled("MXRecord", "mail", "{team: mail}", "zone: example.com, name: '@', priority: 10, mailServer: mx, ttl: 60");
    assert_eq!((r.kind(), r.rtype(), r.name(), r.namespace().as_deref()), ("MXRecord", "MX", "mail".to_string(), Some("dns-system")));
    assert_eq!(r.common().ttl, Some(60));
    assert_eq!(r.labels().get("team").map(String::as_str), Some("mail"));
    assert_eq!(r.generation(), None);
    assert!(RecordObject::KINDS.contains(&r.kind()));
}
