//! The readiness gate of an instance's pods (`bindy.firestoned.io/zones-loaded`):
//! a pod takes no traffic before it serves every zone assigned to it. The
//! operator asks the pod's own control API (with the instance's token) which
//! zones it holds, and sets the pod condition `True` only when every assigned
//! zone is served there; `False` again when one goes missing.
//!
//! Owns: the decision per pod and the pod-status patch. Must not: push zones
//! (the DNSZone controller does) or touch the pod's spec.

use std::net::{IpAddr, SocketAddr};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::children::ZONES_LOADED_GATE;
use super::render::CONTROL_PORT;
use crate::control::{Endpoint, ZoneState};
use crate::metrics;

/// What the gate of one pod should say, from what its server reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every assigned zone is served.
    Open(String),
    /// Some are missing (named in the message).
    Closed(String),
}

/// The verdict for a server holding `held` when `assigned` (apexes) should be served.
pub fn verdict(assigned: &[String], held: &[ZoneState]) -> Verdict {
    let served = |z: &str| held.iter().any(|h| h.served && same_name(&h.name, z));
    let missing: Vec<&str> = assigned.iter().map(String::as_str).filter(|z| !served(z)).collect();
    if missing.is_empty() {
        Verdict::Open(format!("serves all {} assigned zone(s)", assigned.len()))
    } else {
        Verdict::Closed(format!("does not serve {} of {} assigned zone(s): {}", missing.len(), assigned.len(), missing.join(", ")))
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The gate condition's current status on `pod` (`None`: not set yet).
pub fn current(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == ZONES_LOADED_GATE).map(|c| c.status.as_str())
}

/// The pod's control API, once it runs with an IP.
pub fn endpoint(pod: &Pod, token: &str) -> Option<Endpoint> {
    let status = pod.status.as_ref()?;
    if status.phase.as_deref() != Some("Running") || pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let ip: IpAddr = status.pod_ip.as_deref()?.parse().ok()?;
    Some(Endpoint { addr: SocketAddr::new(ip, CONTROL_PORT), token: token.to_string() })
}

/// What happened to one pod's gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The gate was already right.
    None,
    /// It was opened or closed now (with why).
    Set(bool, String),
    /// The server could not be asked yet (not started, not answering).
    Unreachable(String),
}

/// Brings the gate of `pod` in line with what its server holds.
pub async fn sync(pods: &Api<Pod>, pod: &Pod, token: &str, assigned: &[String]) -> Result<Change, kube::Error> {
    let Some(ep) = endpoint(pod, token) else { return Ok(Change::Unreachable("not running with an IP yet".into())) };
    let held = match ep.zones().await {
        Ok(h) => h,
        Err(e) => return Ok(Change::Unreachable(e.to_string())),
    };
    let (open, message) = match verdict(assigned, &held) {
        Verdict::Open(m) => (true, m),
        Verdict::Closed(m) => (false, m),
    };
    let want = if open { "True" } else { "False" };
    if current(pod) == Some(want) {
        return Ok(Change::None);
    }
    let body = json!({"status": {"conditions": [{
        "type": ZONES_LOADED_GATE,
        "status": want,
        "reason": if open { "ZonesLoaded" } else { "ZonesMissing" },
        "message": message,
        "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string(),
    }]}});
    metrics::global().api_write("Pod", "status");
    pods.patch_status(&pod.name_any(), &PatchParams::default(), &Patch::Strategic(&body)).await?;
    Ok(Change::Set(open, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(name: &str, served: bool) -> ZoneState {
        ZoneState { name: name.into(), kind: "primary".into(), served, serial: Some(1), content_hash: None, record_count: None }
    }

    #[test]
    fn nothing_assigned_opens_the_gate() {
        assert_eq!(verdict(&[], &[]), Verdict::Open("serves all 0 assigned zone(s)".into()));
    }

    #[test]
    fn every_assigned_zone_must_be_served() {
        let assigned = vec!["example.com".to_string(), "example.org.".to_string()];
        assert!(matches!(verdict(&assigned, &[z("EXAMPLE.com.", true), z("example.org.", true)]), Verdict::Open(_)));
        match verdict(&assigned, &[z("example.com.", true), z("example.org.", false)]) {
            Verdict::Closed(m) => assert!(m.contains("1 of 2") && m.contains("example.org."), "{m}"),
            v => panic!("{v:?}"),
        }
        assert!(matches!(verdict(&assigned, &[z("example.com.", true)]), Verdict::Closed(_)));
    }
}
