//! Unit tests of UPDATE parsing (RFC 2136 §3.1–§3.4.1) and evaluation
//! (§3.2, §3.4.2) on zones built from text.

use super::apply::{apply, Applied};
use super::message::{self, Op, Prereq, Update};
use super::UpdateError;
use crate::wire::name::from_dotted;
use crate::wire::request::{self, Parsed};
use crate::wire::{class, rcode, rtype};
use crate::xfr::diff::fixtures::{build, zone};
use crate::xfr::diff::{body_records, Rr};
use crate::zone::file::parse_rdata;
use crate::zone::Zone;

/// An UPDATE message under construction.
struct Msg {
    buf: Vec<u8>,
    counts: [u16; 4],
}

impl Msg {
    /// Header and zone section for `zone` (class IN, type SOA unless changed).
    fn new(zone: &str) -> Self {
        Self::with_zone(zone, rtype::SOA, class::IN)
    }

    fn with_zone(zone: &str, ztype: u16, zclass: u16) -> Self {
        let mut buf = vec![0x12, 0x34, 5 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        buf.extend_from_slice(&from_dotted(zone).unwrap());
        buf.extend_from_slice(&ztype.to_be_bytes());
        buf.extend_from_slice(&zclass.to_be_bytes());
        Self { buf, counts: [1, 0, 0, 0] }
    }

    /// Appends a record to `section` (1 prerequisites, 2 updates); `rdata`
    /// in presentation form for `rtype` (empty: no RDATA).
    fn rr(self, section: usize, owner: &str, t: u16, class: u16, ttl: u32, rdata: &str) -> Self {
        let rdata = if rdata.is_empty() { Vec::new() } else { parse_rdata(t, rdata, &from_dotted("example.com").unwrap()).unwrap() };
        self.raw(section, owner, t, class, ttl, &rdata)
    }

    fn raw(mut self, section: usize, owner: &str, t: u16, class: u16, ttl: u32, rdata: &[u8]) -> Self {
        assert!(self.counts[section + 1..].iter().all(|&c| c == 0), "sections in order");
        self.buf.extend_from_slice(&from_dotted(owner).unwrap());
        self.buf.extend_from_slice(&t.to_be_bytes());
        self.buf.extend_from_slice(&class.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        self.buf.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(rdata);
        self.counts[section] += 1;
        self
    }

    fn prereq(self, owner: &str, t: u16, class: u16, rdata: &str) -> Self {
        self.rr(1, owner, t, class, 0, rdata)
    }

    fn add(self, owner: &str, t: u16, ttl: u32, rdata: &str) -> Self {
        self.rr(2, owner, t, class::IN, ttl, rdata)
    }

    fn del(self, owner: &str, t: u16, class: u16, rdata: &str) -> Self {
        self.rr(2, owner, t, class, 0, rdata)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = self.buf.clone();
        for (i, c) in self.counts.iter().enumerate() {
            b[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
        }
        b
    }

    fn parse(&self) -> Result<Update, UpdateError> {
        let b = self.bytes();
        match request::parse(&b) {
            Parsed::Ok(r) => message::parse(&r),
            other => panic!("request does not parse: {other:?}"),
        }
    }
}

const BASE: &str = "www IN A 192.0.2.10\nwww IN A 192.0.2.11\nmail IN MX 10 MX1.example.com.\nalias IN CNAME www\na.b.c IN TXT \"deep\"\n";

fn base() -> Zone {
    zone(10, BASE)
}

/// Applies the update in `m` to `z`.
fn run(z: &Zone, m: Msg) -> Result<Applied, UpdateError> {
    apply(z, &m.parse().expect("update parses"))
}

/// The records of the next version as sorted text (SOA excluded).
fn records(a: Applied) -> Vec<String> {
    let z = build(a.records);
    let mut v: Vec<String> = body_records(&z).map(|(o, t, ttl, d)| Rr::new(o, t, ttl, d).to_string()).collect();
    v.sort();
    v
}

fn has(a: &[String], line: &str) -> bool {
    a.iter().any(|l| l == line)
}

#[test]
fn zone_section_is_checked() {
    let e = |m: Msg| m.parse().unwrap_err().rcode();
    assert_eq!(e(Msg::with_zone("example.com", rtype::A, class::IN)), rcode::FORMERR);
    assert_eq!(e(Msg::with_zone("example.com", rtype::SOA, class::CH)), rcode::NOTAUTH);
    let mut none = Msg::new("example.com");
    none.counts[0] = 0;
    none.buf.truncate(12);
    assert_eq!(e(none), rcode::FORMERR);
    let u = Msg::new("Example.COM").parse().unwrap();
    assert_eq!(&*u.zone, &from_dotted("example.com").unwrap()[..]);
}

#[test]
fn prerequisite_and_update_records_are_checked_before_any_zone_data() {
    let e = |m: Msg| m.parse().unwrap_err().rcode();
    // §3.2: TTL 0, no RDATA with ANY/NONE, a name inside the zone, a usable class.
    assert_eq!(e(Msg::new("example.com").rr(1, "www.example.com", rtype::ANY, class::ANY, 60, "")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").prereq("www.example.com", rtype::A, class::ANY, "192.0.2.1")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").prereq("www.example.org", rtype::A, class::ANY, "")), rcode::NOTZONE);
    assert_eq!(e(Msg::new("example.com").prereq("www.example.com", rtype::A, 3, "")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").prereq("www.example.com", rtype::AXFR, class::ANY, "")), rcode::FORMERR);
    // §3.4.1: prescan of the updates.
    assert_eq!(e(Msg::new("example.com").add("x.example.org", rtype::A, 60, "192.0.2.1")), rcode::NOTZONE);
    assert_eq!(e(Msg::new("example.com").add("x.example.com", rtype::ANY, 60, "")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").rr(2, "x.example.com", rtype::A, class::ANY, 60, "")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").rr(2, "x.example.com", rtype::A, class::ANY, 0, "192.0.2.1")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").rr(2, "x.example.com", rtype::A, class::NONE, 60, "192.0.2.1")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").del("x.example.com", rtype::AXFR, class::ANY, "")), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").raw(2, "x.example.com", rtype::A, class::IN, 60, &[1, 2, 3])), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").raw(2, "x.example.com", rtype::NS, class::IN, 60, &[])), rcode::FORMERR);
    assert_eq!(e(Msg::new("example.com").add("x.example.com", rtype::A, 60, "192.0.2.1").rr(2, "x.example.com", rtype::A, 3, 0, "")), rcode::FORMERR);
    // What each class means.
    let u = Msg::new("example.com")
        .prereq("a.example.com", rtype::ANY, class::ANY, "")
        .prereq("b.example.com", rtype::ANY, class::NONE, "")
        .prereq("c.example.com", rtype::MX, class::ANY, "")
        .prereq("d.example.com", rtype::MX, class::NONE, "")
        .prereq("e.example.com", rtype::A, class::IN, "192.0.2.1")
        .prereq("f.example.com", rtype::A, class::ANY, "")
        .prereq("E.example.com", rtype::A, class::IN, "192.0.2.2")
        .add("g.example.com", rtype::A, 60, "192.0.2.3")
        .del("h.example.com", rtype::ANY, class::ANY, "")
        .del("i.example.com", rtype::A, class::ANY, "")
        .del("j.example.com", rtype::A, class::NONE, "192.0.2.4")
        .parse()
        .unwrap();
    let n = |s: &str| -> Box<[u8]> { from_dotted(s).unwrap().into() };
    assert_eq!(
        u.prereqs,
        [
            Prereq::NameInUse(n("a.example.com")),
            Prereq::NameNotInUse(n("b.example.com")),
            Prereq::RrsetExists(n("c.example.com"), rtype::MX),
            Prereq::RrsetAbsent(n("d.example.com"), rtype::MX),
            Prereq::RrsetEquals(n("e.example.com"), rtype::A, vec![vec![192, 0, 2, 1].into(), vec![192, 0, 2, 2].into()]),
            Prereq::RrsetExists(n("f.example.com"), rtype::A),
        ]
    );
    assert_eq!(
        u.ops,
        [
            Op::Add { owner: n("g.example.com"), rtype: rtype::A, ttl: 60, rdata: vec![192, 0, 2, 3].into() },
            Op::DeleteName(n("h.example.com")),
            Op::DeleteRrset(n("i.example.com"), rtype::A),
            Op::DeleteRr(n("j.example.com"), rtype::A, vec![192, 0, 2, 4].into()),
        ]
    );
}

#[test]
fn prerequisites_fail_with_their_rcodes() {
    let z = base();
    let rc = |m: Msg| match run(&z, m) {
        Ok(_) => rcode::NOERROR,
        Err(e) => e.rcode(),
    };
    let m = || Msg::new("example.com");
    // One prerequisite alone: (name, type, class, RDATA) and the RCODE it gives.
    let alone = [
        // §2.4.4 / §2.4.5: name in use, not in use. An empty non-terminal is not in use.
        ("www.example.com", rtype::ANY, class::ANY, "", rcode::NOERROR),
        ("nope.example.com", rtype::ANY, class::ANY, "", rcode::NXDOMAIN),
        ("b.c.example.com", rtype::ANY, class::ANY, "", rcode::NXDOMAIN),
        ("www.example.com", rtype::ANY, class::NONE, "", rcode::YXDOMAIN),
        ("nope.example.com", rtype::ANY, class::NONE, "", rcode::NOERROR),
        // §2.4.1 / §2.4.3: RRset exists, does not exist.
        ("WWW.example.com", rtype::A, class::ANY, "", rcode::NOERROR),
        ("www.example.com", rtype::AAAA, class::ANY, "", rcode::NXRRSET),
        ("www.example.com", rtype::A, class::NONE, "", rcode::YXRRSET),
        ("www.example.com", rtype::AAAA, class::NONE, "", rcode::NOERROR),
        // §2.4.2: value-dependent, the whole RRset, names in RDATA compared without case.
        ("www.example.com", rtype::A, class::IN, "192.0.2.10", rcode::NXRRSET),
        ("mail.example.com", rtype::MX, class::IN, "10 mx1.EXAMPLE.com.", rcode::NOERROR),
        ("mail.example.com", rtype::MX, class::IN, "20 mx1.example.com.", rcode::NXRRSET),
        ("nope.example.com", rtype::A, class::IN, "192.0.2.10", rcode::NXRRSET),
    ];
    for (name, t, c, rdata, want) in alone {
        assert_eq!(rc(m().prereq(name, t, c, rdata)), want, "{name} type {t} class {c} {rdata:?}");
    }
    // §2.4.2: the whole RRset, given over several RRs.
    let both = m().prereq("www.example.com", rtype::A, class::IN, "192.0.2.11").prereq("www.example.com", rtype::A, class::IN, "192.0.2.10");
    assert_eq!(rc(both), rcode::NOERROR);
    // The first failure decides, and value-dependent ones are compared last (§3.2.5).
    let two = m().prereq("www.example.com", rtype::A, class::IN, "192.0.2.99").prereq("www.example.com", rtype::ANY, class::NONE, "");
    assert_eq!(rc(two), rcode::YXDOMAIN);
    // A failed prerequisite applies nothing.
    let guarded = m().prereq("www.example.com", rtype::ANY, class::NONE, "").add("new.example.com", rtype::A, 60, "192.0.2.1");
    assert_eq!(rc(guarded), rcode::YXDOMAIN);
}

#[test]
fn additions_and_deletions() {
    let z = base();
    let a = run(
        &z,
        Msg::new("example.com")
            .add("new.example.com", rtype::A, 300, "192.0.2.50")
            .add("new.example.com", rtype::AAAA, 300, "2001:db8::50")
            .add("www.example.com", rtype::A, 60, "192.0.2.12")
            .del("mail.example.com", rtype::MX, class::NONE, "10 MX1.EXAMPLE.COM.")
            .del("a.b.c.example.com", rtype::ANY, class::ANY, ""),
    )
    .unwrap();
    assert!(a.changed);
    assert_eq!(a.soa_serial, None);
    let r = records(a);
    assert!(has(&r, "new.example.com. 300 IN A 192.0.2.50") && has(&r, "new.example.com. 300 IN AAAA 2001:db8::50"), "{r:?}");
    // The RRset takes the TTL of the record added to it (RFC 2181 §5.2, as BIND).
    for ip in ["10", "11", "12"] {
        assert!(has(&r, &format!("www.example.com. 60 IN A 192.0.2.{ip}")), "{r:?}");
    }
    assert!(!r.iter().any(|l| l.starts_with("mail.") || l.starts_with("a.b.c.")), "{r:?}");
    // Untouched names pass through.
    assert!(has(&r, "alias.example.com. 3600 IN CNAME www.example.com.") && has(&r, "ns1.example.com. 3600 IN A 192.0.2.1"), "{r:?}");

    let a = run(&z, Msg::new("example.com").del("www.example.com", rtype::A, class::ANY, "")).unwrap();
    assert!(a.changed);
    assert!(!records(a).iter().any(|l| l.starts_with("www.")));
    let a = run(&z, Msg::new("example.com").del("www.example.com", rtype::A, class::NONE, "192.0.2.10")).unwrap();
    let r = records(a);
    assert!(has(&r, "www.example.com. 3600 IN A 192.0.2.11") && !has(&r, "www.example.com. 3600 IN A 192.0.2.10"), "{r:?}");
    // Adding what is there, deleting what is not: nothing to commit.
    for m in [
        Msg::new("example.com").add("www.example.com", rtype::A, 3600, "192.0.2.10"),
        Msg::new("example.com").del("nope.example.com", rtype::ANY, class::ANY, ""),
        Msg::new("example.com").del("www.example.com", rtype::TXT, class::ANY, ""),
        Msg::new("example.com").del("www.example.com", rtype::A, class::NONE, "192.0.2.99"),
        Msg::new("example.com").add("x.example.com", rtype::A, 60, "192.0.2.1").del("x.example.com", rtype::ANY, class::ANY, ""),
    ] {
        let a = run(&z, m).unwrap();
        assert!(!records(a).iter().any(|l| l.starts_with("x.")));
    }
    assert!(!run(&z, Msg::new("example.com").add("www.example.com", rtype::A, 3600, "192.0.2.10")).unwrap().changed);
    assert!(!run(&z, Msg::new("example.com").del("nope.example.com", rtype::ANY, class::ANY, "")).unwrap().changed);
    // Operations apply in order.
    let a =
        run(&z, Msg::new("example.com").del("www.example.com", rtype::A, class::ANY, "").add("www.example.com", rtype::A, 60, "192.0.2.99")).unwrap();
    let r = records(a);
    assert_eq!(r.iter().filter(|l| l.starts_with("www.")).collect::<Vec<_>>(), ["www.example.com. 60 IN A 192.0.2.99"]);
}

#[test]
fn apex_soa_and_ns_are_protected() {
    let z = zone(10, "@ IN NS ns2\n@ IN MX 10 mail\n@ IN TXT \"apex\"\n");
    let m = || Msg::new("example.com");
    // §3.4.2.3: the apex SOA and NS RRsets are not deleted, nor the last NS.
    assert!(!run(&z, m().del("example.com", rtype::NS, class::ANY, "")).unwrap().changed);
    assert!(!run(&z, m().del("example.com", rtype::SOA, class::ANY, "")).unwrap().changed);
    let a = run(&z, m().del("example.com", rtype::ANY, class::ANY, "")).unwrap();
    assert!(a.changed);
    let r = records(a);
    assert_eq!(r, ["example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com.", "ns1.example.com. 3600 IN A 192.0.2.1"]);
    let z1 = build(run(&z, m().del("example.com", rtype::NS, class::NONE, "ns2")).unwrap().records);
    let last = run(&z1, m().del("example.com", rtype::NS, class::NONE, "ns1"));
    assert!(!last.unwrap().changed, "the last apex NS stays");
    // §3.4.2.4: an SOA is never deleted record by record.
    assert!(!run(&z, m().del("example.com", rtype::SOA, class::NONE, "ns1 hostmaster 10 7200 3600 1209600 300")).unwrap().changed);
    // §3.4.2.2: an SOA replaces the apex SOA only with a newer serial, never elsewhere.
    assert!(!run(&z, m().add("example.com", rtype::SOA, 3600, "ns1 hostmaster 10 1 1 1 1")).unwrap().changed);
    assert!(!run(&z, m().add("example.com", rtype::SOA, 3600, "ns1 hostmaster 9 1 1 1 1")).unwrap().changed);
    assert!(!run(&z, m().add("sub.example.com", rtype::SOA, 3600, "ns1 hostmaster 99 1 1 1 1")).unwrap().changed);
    let a = run(&z, m().add("example.com", rtype::SOA, 600, "ns1 hostmaster 20 1 1 1 1")).unwrap();
    assert_eq!(a.soa_serial, Some(20));
    let next = build(a.records);
    assert_eq!(next.serial, 20);
}

#[test]
fn cname_and_other_data_do_not_mix() {
    let z = base();
    let m = || Msg::new("example.com");
    // §3.4.2.2: a CNAME beside other data, or other data beside a CNAME, is ignored.
    assert!(!run(&z, m().add("www.example.com", rtype::CNAME, 60, "mail")).unwrap().changed);
    assert!(!run(&z, m().add("alias.example.com", rtype::A, 60, "192.0.2.1")).unwrap().changed);
    // A CNAME replaces the CNAME.
    let r = records(run(&z, m().add("alias.example.com", rtype::CNAME, 60, "mail")).unwrap());
    assert_eq!(r.iter().filter(|l| l.starts_with("alias.")).collect::<Vec<_>>(), ["alias.example.com. 60 IN CNAME mail.example.com."]);
    // Replaced in one update: delete the CNAME, then add an address.
    let r = records(run(&z, m().del("alias.example.com", rtype::CNAME, class::ANY, "").add("alias.example.com", rtype::A, 60, "192.0.2.7")).unwrap());
    assert_eq!(r.iter().filter(|l| l.starts_with("alias.")).collect::<Vec<_>>(), ["alias.example.com. 60 IN A 192.0.2.7"]);
}

#[test]
fn a_duplicate_replaces_the_zone_record() {
    let z = base();
    // Same RDATA but for case: the record takes the update's spelling (§3.4.2.2).
    let a = run(&z, Msg::new("example.com").add("mail.example.com", rtype::MX, 3600, "10 mx1.example.com.")).unwrap();
    assert!(a.changed);
    assert_eq!(records(a).iter().filter(|l| l.starts_with("mail.")).collect::<Vec<_>>(), ["mail.example.com. 3600 IN MX 10 mx1.example.com."]);
    // Same RDATA, new TTL.
    let a = run(&z, Msg::new("example.com").add("www.example.com", rtype::A, 5, "192.0.2.10")).unwrap();
    assert!(a.changed);
    assert_eq!(records(a).iter().filter(|l| l.starts_with("www.")).count(), 2);
}
