//! Placement: which instances serve a zone, and which zones an instance serves: the
//! zone's `clusterRef` (instances whose `spec.clusterRef` or `cluster` label
//! names it), `instanceSelector`, and `bind9InstancesFrom` select instances
//! in the zone's namespace. For a primary zone the selected primaries get the
//! zone's data and the selected secondaries (the seed's automatic secondaries:
//! `role: secondary` and the same `cluster`) transfer it from them; for a
//! secondary zone every selected instance transfers it from
//! `secondaryConfig.primaryServers`.
//!
//! Owns: the selection rules. Must not: talk to the API server.

use kube::ResourceExt;

use ironbind_crds::v1alpha1::{Bind9Instance, DNSZone, InstanceRole, ZoneType};

/// Whether `zone` selects `inst` (same namespace, any of its selectors).
pub fn selects(zone: &DNSZone, inst: &Bind9Instance) -> bool {
    if zone.namespace() != inst.namespace() {
        return false;
    }
    let s = &zone.spec;
    let by_cluster = s.cluster_ref.as_deref().filter(|c| !c.is_empty()).is_some_and(|c| inst.resolved_cluster() == Some(c));
    let labels = inst.labels();
    let by_selector = s.instance_selector.as_ref().is_some_and(|sel| sel.matches(labels));
    let by_from = s.bind9_instances_from.iter().flatten().any(|f| f.selector.matches(labels));
    by_cluster || by_selector || by_from
}

/// The instances serving a zone, by the part they play.
#[derive(Debug, Default, Clone)]
pub struct Servers<'a> {
    /// Hold the zone's data (primary zones only).
    pub primaries: Vec<&'a Bind9Instance>,
    /// Transfer it.
    pub secondaries: Vec<&'a Bind9Instance>,
}

/// The servers of `zone` among `all`, each list sorted by name.
pub fn servers<'a>(zone: &DNSZone, all: &'a [Bind9Instance]) -> Servers<'a> {
    let mut out = Servers::default();
    for inst in all.iter().filter(|i| i.metadata.deletion_timestamp.is_none() && selects(zone, i)) {
        match (zone.spec.zone_type, inst.resolved_role()) {
            (ZoneType::Primary, InstanceRole::Primary) => out.primaries.push(inst),
            _ => out.secondaries.push(inst),
        }
    }
    out.primaries.sort_by_key(|i| i.name_any());
    out.secondaries.sort_by_key(|i| i.name_any());
    out
}

/// The apexes (`spec.zoneName`) of the zones among `zones` that `inst` serves, sorted, once each.
pub fn assigned(inst: &Bind9Instance, zones: &[DNSZone]) -> Vec<String> {
    let mut out: Vec<String> = zones
        .iter()
        .filter(|z| z.metadata.deletion_timestamp.is_none() && selects(z, inst))
        .map(|z| z.spec.zone_name.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(name: &str, yaml_labels: &str, spec: &str) -> Bind9Instance {
        let mut i = Bind9Instance::new(name, serde_norway::from_str(spec).unwrap());
        i.metadata.namespace = Some("dns-system".into());
        i.metadata.labels = Some(serde_norway::from_str(yaml_labels).unwrap());
        i
    }

    fn zone(name: &str, spec: &str) -> DNSZone {
        let mut z = DNSZone::new(name, serde_norway::from_str(spec).unwrap());
        z.metadata.namespace = Some("dns-system".into());
        z
    }

    #[test]
    fn the_seed_cluster_ref_finds_primaries_and_automatic_secondaries() {
        let all = vec![
            inst("primary-dns", "{role: primary, cluster: production}", "replicas: 1"),
            inst("secondary-dns", "{role: secondary, cluster: production}", "replicas: 2"),
            inst("other", "{role: secondary, cluster: staging}", "replicas: 1"),
            inst("by-spec", "{}", "{replicas: 1, role: secondary, clusterRef: production}"),
        ];
        let z = zone("example-com", "{zoneName: example.com, clusterRef: production}");
        let s = servers(&z, &all);
        let names = |v: &[&Bind9Instance]| v.iter().map(|i| i.name_any()).collect::<Vec<_>>();
        assert_eq!(names(&s.primaries), ["primary-dns"]);
        assert_eq!(names(&s.secondaries), ["by-spec", "secondary-dns"]);
        assert_eq!(assigned(&all[1], std::slice::from_ref(&z)), ["example.com"]);
        assert!(assigned(&all[2], &[z]).is_empty());
    }

    #[test]
    fn a_secondary_zone_makes_every_selected_instance_a_secondary() {
        let all = vec![inst("s", "{dns-role: secondary}", "replicas: 1"), inst("p", "{role: primary, dns-role: secondary}", "replicas: 1")];
        let z = zone("ex", "{zoneName: Example.COM., type: secondary, instanceSelector: {matchLabels: {dns-role: secondary}}, secondaryConfig: {primaryServers: [10.0.1.10]}}");
        let s = servers(&z, &all);
        assert!(s.primaries.is_empty());
        assert_eq!(s.secondaries.len(), 2);
        assert_eq!(assigned(&all[0], &[z]), ["example.com"]);
    }

    #[test]
    fn other_namespaces_and_unselected_instances_are_left_out() {
        let mut elsewhere = inst("x", "{role: primary, cluster: production}", "replicas: 1");
        elsewhere.metadata.namespace = Some("other".into());
        let z = zone("ex", "{zoneName: example.com, clusterRef: production, bind9InstancesFrom: [{selector: {matchLabels: {tier: edge}}}]}");
        assert!(!selects(&z, &elsewhere));
        assert!(selects(&z, &inst("e", "{tier: edge}", "replicas: 1")));
        assert!(!selects(&z, &inst("n", "{tier: core}", "replicas: 1")));
        assert!(
            !selects(&zone("none", "{zoneName: example.com}"), &inst("n", "{cluster: production}", "replicas: 1")),
            "no selector selects nothing"
        );
    }
}
