//! The next version of a zone from a diff: patched in place when the diff is
//! small, rebuilt otherwise.
//!
//! Owns: checking a diff against the zone it starts from (the same rules as
//! [`diff::apply`]) and choosing between [`zone::patch`](crate::zone::patch)
//! (only the touched names are repacked; everything else is shared with the
//! current version) and a full rebuild.
//! Must not: publish or persist; callers do.

use super::diff::{self, ApplyError, Diff};
use crate::wire::name::{lowercase_wire, DisplayName};
use crate::wire::rtype;
use crate::zone::build::build_zone;
use crate::zone::patch::{self, Change, PatchError};
use crate::zone::{rebase, RecordSource, Zone};

/// Why a diff does not lead to a valid next version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NextError {
    /// The diff does not fit the zone (inconsistent history, RFC 1995 §4).
    #[error("inconsistent history: {0}")]
    Apply(#[from] ApplyError),
    /// The result breaks a zone rule (CNAME and other data, …).
    #[error("the resulting zone is not valid: {0}")]
    Invalid(String),
}

/// The version `d` leads to from `zone`.
pub fn next_version(zone: &Zone, d: &Diff) -> Result<Zone, NextError> {
    let from = d.from_soa.soa_serial().ok_or_else(|| ApplyError::BadSoa("the starting SOA is not an SOA record".into()))?;
    if from != zone.serial {
        return Err(ApplyError::SerialMismatch { zone: zone.serial, diff: from }.into());
    }
    d.to_soa.soa_serial().ok_or_else(|| ApplyError::BadSoa("the target SOA is not an SOA record".into()))?;
    if !lower(&d.to_soa.owner).eq(&zone.origin) {
        return Err(ApplyError::BadSoa(format!("the target SOA is owned by {}, not the apex", DisplayName(&d.to_soa.owner))).into());
    }
    if let Some(r) = d.removed.iter().chain(&d.added).find(|r| r.rtype == rtype::SOA) {
        return Err(ApplyError::BadSoa(format!("SOA record inside the diff body: {r}")).into());
    }
    let removed_owners: Vec<Box<[u8]>> = d.removed.iter().map(|r| lower(&r.owner)).collect();
    let added_owners: Vec<Box<[u8]>> = d.added.iter().map(|r| lower(&r.owner)).collect();
    let removed: Vec<Change<'_>> = d.removed.iter().zip(&removed_owners).map(|(r, o)| change(r, o)).collect();
    let added: Vec<Change<'_>> = d.added.iter().zip(&added_owners).map(|(r, o)| change(r, o)).collect();
    match patch::patch(zone, d.to_soa.ttl, &d.to_soa.rdata, &removed, &added) {
        Ok(Some(next)) => Ok(next),
        Ok(None) => {
            let src = diff::apply(zone, d)?;
            build_zone(&zone.origin, src).map_err(|e| NextError::Invalid(e.to_string()))
        }
        Err(PatchError::Absent(i)) => Err(ApplyError::Absent(show(&d.removed[i], &removed_owners[i])).into()),
        Err(PatchError::Exists(i)) => Err(ApplyError::Exists(show(&d.added[i], &added_owners[i])).into()),
        Err(PatchError::Invalid(why)) => Err(NextError::Invalid(why)),
    }
}

/// The version a re-read zone file describes, patched into `old` (sharing
/// every node the file did not change), with the diff from `old`. `None`
/// when the file must be built in full (names removed, errors, big changes).
pub fn reload_version(old: &Zone, src: &RecordSource) -> Option<(Zone, Diff)> {
    let ch = rebase::changes(old, src)?;
    let rr = |&(o, t, ttl, d): &rebase::Rec<'_>| diff::Rr::new(o, t, ttl, d);
    let mut removed: Vec<diff::Rr> = ch.removed.iter().map(rr).collect();
    let mut added: Vec<diff::Rr> = ch.added.iter().map(rr).collect();
    removed.sort_unstable();
    added.sort_unstable();
    let to_soa = diff::Rr::new(&old.origin, rtype::SOA, ch.soa.0, ch.soa.1);
    let d = Diff { from_soa: diff::soa_rr(old), to_soa, removed, added };
    let rem: Vec<Change<'_>> = d.removed.iter().map(|r| change(r, &r.owner)).collect();
    let add: Vec<Change<'_>> = d.added.iter().map(|r| change(r, &r.owner)).collect();
    let zone = patch::patch(old, d.to_soa.ttl, &d.to_soa.rdata, &rem, &add).ok()??;
    Some((zone, d))
}

fn change<'a>(r: &'a diff::Rr, owner: &'a [u8]) -> Change<'a> {
    Change { owner, rtype: r.rtype, ttl: r.ttl, rdata: &r.rdata }
}

fn show(r: &diff::Rr, owner: &[u8]) -> String {
    diff::Rr::new(owner, r.rtype, r.ttl, &r.rdata).to_string()
}

fn lower(owner: &[u8]) -> Box<[u8]> {
    let mut o: Box<[u8]> = owner.into();
    lowercase_wire(&mut o);
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::diff::diff_zones;
    use crate::xfr::diff::fixtures::zone;

    /// Every node with its flags and RRsets, sorted: what lookups see.
    fn shape(z: &Zone) -> Vec<String> {
        let mut v: Vec<String> = z
            .nodes
            .iter()
            .map(|n| {
                let mut sets: Vec<String> = n
                    .rrsets()
                    .map(|s| {
                        let mut d: Vec<&[u8]> = s.rdatas().collect();
                        d.sort_unstable();
                        format!("{}/{}/{:?}", s.rtype, s.ttl, d)
                    })
                    .collect();
                sets.sort();
                format!("{} f={} {}", DisplayName(n.name()), n.flags(), sets.join(" "))
            })
            .collect();
        v.sort();
        let counted: usize = z.nodes.iter().flat_map(|n| n.rrsets()).map(|r| r.count as usize).sum();
        assert_eq!(z.record_count(), counted);
        assert_eq!(z.owners, z.nodes.iter().filter(|n| !n.is_empty_non_terminal()).count());
        assert_eq!(diff::zone_size(z), diff::zone_size_counted(z));
        v.push(format!("serial={} neg={} wild={} dname={} records={}", z.serial, z.negative_ttl, z.has_wildcards, z.has_dnames, z.records));
        v
    }

    fn check(old_body: &str, new_body: &str, patched: bool) {
        let (old, new) = (zone(1, old_body), zone(2, new_body));
        let d = diff_zones(&old, &new);
        let next = next_version(&old, &d).unwrap();
        assert_eq!(shape(&next), shape(&new), "{old_body:?} -> {new_body:?}");
        let shared = old.nodes.iter().filter(|n| next.node(n.name()).is_some_and(|m| m.same(n))).count();
        assert_eq!(shared > 0, patched, "patched in place: {old_body:?} -> {new_body:?}");
    }

    const BASE: &str = "www IN A 192.0.2.10\na.b.c IN A 192.0.2.1\nmail IN MX 10 www\nsub IN NS ns.sub\nns.sub IN A 192.0.2.53\n*.w IN TXT \"w\"\nx IN A 192.0.2.2\ny IN A 192.0.2.3\nz IN A 192.0.2.4\n";

    #[test]
    fn small_changes_are_patched_and_match_a_rebuild() {
        let cases = [
            "www IN A 192.0.2.11\n",                      // changed RDATA
            "www 60 IN A 192.0.2.10\n",                   // changed TTL
            "www IN A 192.0.2.10\nwww IN A 192.0.2.12\n", // grown RRset
            "new IN AAAA 2001:db8::1\n",                  // new name below the apex
            "d.b.c IN A 192.0.2.7\n",                     // new name below an empty non-terminal
            "x.sub IN A 192.0.2.8\n",                     // new glue below a cut: occluded
            "*.x IN TXT \"star\"\n",                      // new wildcard: parent flagged
        ];
        for extra in cases {
            let base_without_www = BASE.replace("www IN A 192.0.2.10\n", "");
            let new = if extra.starts_with("www") { format!("{base_without_www}{extra}") } else { format!("{BASE}{extra}") };
            check(BASE, &new, true);
        }
        // Names going away: a leaf, a leaf under empty non-terminals (they go
        // too), a wildcard (its parent loses the flag).
        check(BASE, &BASE.replace("x IN A 192.0.2.2\n", ""), true);
        check(BASE, &BASE.replace("a.b.c IN A 192.0.2.1\n", ""), true);
        check(BASE, &BASE.replace("*.w IN TXT \"w\"\n", ""), true);
        // A name with children loses its data: it stays as an empty non-terminal.
        let with_child = format!("{BASE}q.x IN A 192.0.2.9\n");
        check(&with_child, &with_child.replace("x IN A 192.0.2.2\n", ""), true);
    }

    #[test]
    fn structural_changes_are_rebuilt() {
        check(BASE, &format!("{BASE}cut IN NS ns.cut\nns.cut IN A 192.0.2.5\n"), false); // new cut
        check(BASE, &format!("{BASE}deep.new.name IN A 192.0.2.6\n"), false); // new empty non-terminals
        check(BASE, &BASE.replace("sub IN NS ns.sub\n", ""), false); // cut goes away
    }

    /// A re-read file gives the same zone and diff as a full build and
    /// `diff_zones`, or `None` where a full build must say what is wrong.
    #[test]
    fn reloads_are_patched_like_a_rebuild() {
        use crate::wire::name::from_dotted;
        use crate::zone::file::read_zone_str;
        let text = |serial: u32, body: &str| {
            format!(
                "$ORIGIN example.com.\n$TTL 3600\n@ IN SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n{body}"
            )
        };
        let old = zone(1, BASE);
        let cases = [
            (BASE.replace("192.0.2.10", "192.0.2.11"), true),
            (format!("{BASE}new IN AAAA 2001:db8::1\nwww IN TXT \"t\"\n"), true),
            (BASE.replace("www IN A", "www 60 IN A"), true),
            (format!("{BASE}x IN A 192.0.2.2\n"), true),                        // a duplicate: no change
            (BASE.replace("y IN A 192.0.2.3\n", ""), false),                    // a name removed: full build
            (BASE.replace("y IN A 192.0.2.3\n", "y2 IN A 192.0.2.3\n"), false), // one gone, one new
            (format!("{BASE}x IN CNAME www\n"), false),                         // invalid: full build reports it
            (format!("{BASE}out.example.net. IN A 192.0.2.9\n"), false),        // out of zone
        ];
        for (body, patched) in cases {
            let src = read_zone_str(&text(2, &body), "t.zone", &from_dotted("example.com").unwrap(), None).unwrap();
            match reload_version(&old, &src) {
                Some((z, d)) => {
                    assert!(patched, "{body}");
                    let full = zone(2, &body);
                    assert_eq!(shape(&z), shape(&full), "{body}");
                    assert_eq!(d, diff_zones(&old, &full), "{body}");
                }
                None => assert!(!patched, "{body}"),
            }
        }
    }

    #[test]
    fn bad_changes_are_refused() {
        let old = zone(1, BASE);
        let mut d = diff_zones(&old, &zone(2, BASE));
        d.added.push(diff::Rr::new(&crate::wire::name::from_dotted("x.example.com").unwrap(), rtype::CNAME, 60, b"\x03www\x07example\x03com\x00"));
        assert!(matches!(next_version(&old, &d), Err(NextError::Invalid(m)) if m.contains("CNAME and other data")), "{:?}", next_version(&old, &d));
        let mut d = diff_zones(&old, &zone(2, BASE));
        d.removed.push(diff::Rr::new(&crate::wire::name::from_dotted("nope.example.com").unwrap(), 1, 60, &[1, 2, 3, 4]));
        assert!(matches!(next_version(&old, &d), Err(NextError::Apply(ApplyError::Absent(_)))));
        let mut d = diff_zones(&old, &zone(2, BASE));
        d.added.push(diff::Rr::new(&crate::wire::name::from_dotted("WWW.example.com").unwrap(), 1, 60, &[192, 0, 2, 10]));
        assert!(matches!(next_version(&old, &d), Err(NextError::Apply(ApplyError::Exists(_)))));
        let mut d = diff_zones(&old, &zone(2, BASE));
        d.added.push(diff::Rr::new(&crate::wire::name::from_dotted("www.example.net").unwrap(), 1, 60, &[192, 0, 2, 10]));
        assert!(matches!(next_version(&old, &d), Err(NextError::Invalid(m)) if m.contains("out-of-zone")));
    }
}
