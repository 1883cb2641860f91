//! A pod's status from its containers' views (init containers and
//! containers): phase, the four conditions
//! (PodScheduled, Initialized, ContainersReady, Ready, the last one also
//! waiting for every readiness gate's condition to be True), addresses and
//! container statuses, as a strategic merge patch of `/status` (conditions
//! merge by type, so the gates' conditions that others set stay).
//!
//! Owns: the status rules. Must not: send anything (pure, unit-tested).

use std::collections::HashMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Pod;
use serde_json::{json, Value};

use super::state::{ContainerView, Run};

/// When each condition last changed, kept across patches.
#[derive(Debug, Default, Clone)]
pub struct Transitions(HashMap<String, (bool, String)>);

impl Transitions {
    /// The transition time of `kind` now that it is `status`.
    fn at(&mut self, kind: &str, status: bool, now: &str) -> String {
        let e = self.0.entry(kind.to_string()).or_insert_with(|| (status, now.to_string()));
        if e.0 != status {
            *e = (status, now.to_string());
        }
        e.1.clone()
    }
}

/// What the status is made of.
#[derive(Debug)]
pub struct Input<'a> {
    /// The pod as last seen (spec, readiness gates and their conditions).
    pub pod: &'a Pod,
    /// Its address.
    pub pod_ip: Ipv4Addr,
    /// The node's.
    pub host_ip: Ipv4Addr,
    /// When the agent took it (RFC 3339).
    pub start_time: &'a str,
    /// Its containers.
    pub containers: &'a [ContainerView],
}

/// The pod's phase.
pub fn phase(pod: &Pod, views: &[ContainerView]) -> &'static str {
    let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always");
    let (inits, cs): (Vec<ContainerView>, Vec<ContainerView>) = views.iter().cloned().partition(|v| v.init);
    if let Some(failed) = inits.iter().find(|v| !v.completed()) {
        let gave_up = policy == "Never" && matches!(failed.state, Run::Terminated { .. });
        return if gave_up { "Failed" } else { "Pending" };
    }
    let exited: Vec<Option<i32>> = cs
        .iter()
        .map(|c| match (&c.state, &c.last) {
            (Run::Terminated { exit_code, .. }, _) => Some(*exit_code),
            _ => None,
        })
        .collect();
    if policy != "Always" && !cs.is_empty() && exited.iter().all(Option::is_some) {
        let failed = exited.iter().any(|c| *c != Some(0));
        // OnFailure restarts failed ones: terminal only when none failed.
        if !failed {
            return "Succeeded";
        }
        if policy == "Never" {
            return "Failed";
        }
    }
    if cs.iter().all(|c| c.started) {
        "Running"
    } else {
        "Pending"
    }
}

/// The readiness gates whose condition is not True in the pod's status.
pub fn gates_not_ready(pod: &Pod) -> Vec<String> {
    let conds = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    pod.spec
        .as_ref()
        .and_then(|s| s.readiness_gates.as_ref())
        .into_iter()
        .flatten()
        .map(|g| g.condition_type.clone())
        .filter(|t| !conds.into_iter().flatten().any(|c| &c.type_ == t && c.status == "True"))
        .collect()
}

/// The status patch (`{"status": …}`).
pub fn patch(i: &Input<'_>, tr: &mut Transitions, now: &str) -> Value {
    let (inits, containers): (Vec<&ContainerView>, Vec<&ContainerView>) = i.containers.iter().partition(|v| v.init);
    let incomplete: Vec<&str> = inits.iter().filter(|c| !c.completed()).map(|c| c.name.as_str()).collect();
    let initialized = incomplete.is_empty();
    let unready: Vec<&str> = containers.iter().filter(|c| !c.ready).map(|c| c.name.as_str()).collect();
    let gates = gates_not_ready(i.pod);
    let containers_ready = unready.is_empty();
    let ready = containers_ready && gates.is_empty();
    let why = |ok: bool| -> (Option<&str>, Option<String>) {
        if ok {
            (None, None)
        } else if !containers_ready {
            (Some("ContainersNotReady"), Some(format!("containers with unready status: [{}]", unready.join(" "))))
        } else {
            (Some("ReadinessGatesNotReady"), Some(format!("the status of pod readiness gates is not \"True\": {gates:?}")))
        }
    };
    let mut conditions = Vec::new();
    for (kind, ok) in [("PodScheduled", true), ("Initialized", initialized), ("ContainersReady", containers_ready), ("Ready", ready)] {
        let mut c = json!({
            "type": kind,
            "status": if ok { "True" } else { "False" },
            "lastProbeTime": null,
            "lastTransitionTime": tr.at(kind, ok, now),
        });
        let (reason, message) = if kind == "ContainersReady" && !ok {
            why(false)
        } else if kind == "Ready" {
            why(ok)
        } else {
            (None, None)
        };
        if let Some(r) = reason {
            c["reason"] = json!(r);
            c["message"] = json!(message);
        }
        conditions.push(c);
    }
    let statuses: Vec<Value> = containers.iter().map(|c| container_status(c)).collect();
    let mut patch = json!({
        "status": {
            "phase": phase(i.pod, i.containers),
            "hostIP": i.host_ip.to_string(),
            "podIP": i.pod_ip.to_string(),
            "podIPs": [{"ip": i.pod_ip.to_string()}],
            "startTime": i.start_time,
            "conditions": conditions,
            "containerStatuses": statuses,
        }
    });
    if !inits.is_empty() {
        patch["status"]["initContainerStatuses"] = inits.iter().map(|c| container_status(c)).collect();
    }
    patch
}

fn state(r: &Run) -> Value {
    match r {
        Run::Waiting { reason, message } => json!({"waiting": {"reason": reason, "message": message}}),
        Run::Running { started_at } => json!({"running": {"startedAt": started_at}}),
        Run::Terminated { exit_code, signal, reason, message, started_at, finished_at } => json!({"terminated": {
            "exitCode": exit_code, "signal": signal, "reason": reason, "message": message,
            "startedAt": started_at, "finishedAt": finished_at,
        }}),
    }
}

fn container_status(c: &ContainerView) -> Value {
    let mut s = json!({
        "name": c.name,
        "state": state(&c.state),
        "lastState": c.last.as_ref().map_or(json!({}), state),
        "ready": c.ready,
        "restartCount": c.restart_count,
        "image": c.image,
        "imageID": c.binary.as_ref().map_or(String::new(), |b| format!("file://{b}")),
        "started": matches!(c.state, Run::Running { .. }),
    });
    if let Some(pid) = c.pid {
        s["containerID"] = json!(format!("ironbind-node://{pid}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodReadinessGate, PodSpec, PodStatus};

    fn view(name: &str, ready: bool, started: bool) -> ContainerView {
        let mut v = ContainerView::creating(name, "ironbind");
        v.ready = ready;
        v.started = started;
        if started {
            v.state = Run::Running { started_at: "2024-01-01T00:00:00Z".into() };
        }
        v
    }

    fn pod(gates: &[&str], true_conds: &[&str]) -> Pod {
        Pod {
            spec: Some(PodSpec {
                readiness_gates: Some(gates.iter().map(|g| PodReadinessGate { condition_type: g.to_string() }).collect()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                conditions: Some(
                    true_conds.iter().map(|c| PodCondition { type_: c.to_string(), status: "True".into(), ..Default::default() }).collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn conds(v: &Value) -> HashMap<String, String> {
        v["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["type"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
            .collect()
    }

    fn input<'a>(p: &'a Pod, cs: &'a [ContainerView]) -> Input<'a> {
        Input { pod: p, pod_ip: Ipv4Addr::new(127, 0, 0, 2), host_ip: Ipv4Addr::LOCALHOST, start_time: "t0", containers: cs }
    }

    #[test]
    fn running_and_ready_with_addresses() {
        let p = pod(&[], &[]);
        let cs = [view("a", true, true)];
        let v = patch(&input(&p, &cs), &mut Transitions::default(), "t1");
        assert_eq!(v["status"]["phase"], "Running");
        assert_eq!(v["status"]["podIP"], "127.0.0.2");
        assert_eq!(v["status"]["podIPs"][0]["ip"], "127.0.0.2");
        assert_eq!(v["status"]["hostIP"], "127.0.0.1");
        let c = conds(&v);
        assert_eq!((c["Ready"].as_str(), c["ContainersReady"].as_str(), c["PodScheduled"].as_str()), ("True", "True", "True"));
        assert_eq!(v["status"]["containerStatuses"][0]["state"]["running"]["startedAt"], "2024-01-01T00:00:00Z");
    }

    #[test]
    fn pending_until_every_container_started() {
        let p = pod(&[], &[]);
        let cs = [view("a", true, true), view("b", false, false)];
        let v = patch(&input(&p, &cs), &mut Transitions::default(), "t1");
        assert_eq!(v["status"]["phase"], "Pending");
        assert_eq!(conds(&v)["Ready"], "False");
        let ready = v["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone();
        assert_eq!(ready["message"], "containers with unready status: [b]");
    }

    #[test]
    fn readiness_gates_hold_ready_back() {
        let cs = [view("a", true, true)];
        let p = pod(&["ironbind.dev/zones-loaded"], &[]);
        let v = patch(&input(&p, &cs), &mut Transitions::default(), "t1");
        let c = conds(&v);
        assert_eq!((c["ContainersReady"].as_str(), c["Ready"].as_str()), ("True", "False"));
        let p = pod(&["ironbind.dev/zones-loaded"], &["ironbind.dev/zones-loaded"]);
        assert_eq!(conds(&patch(&input(&p, &cs), &mut Transitions::default(), "t1"))["Ready"], "True");
    }

    #[test]
    fn transition_times_move_only_on_change() {
        let p = pod(&[], &[]);
        let mut tr = Transitions::default();
        let time = |v: &Value| v["status"]["conditions"][3]["lastTransitionTime"].as_str().unwrap().to_string();
        let v = patch(&input(&p, &[view("a", false, true)]), &mut tr, "t1");
        assert_eq!(time(&v), "t1");
        let v = patch(&input(&p, &[view("a", false, true)]), &mut tr, "t2");
        assert_eq!(time(&v), "t1");
        let v = patch(&input(&p, &[view("a", true, true)]), &mut tr, "t3");
        assert_eq!(time(&v), "t3");
    }

    #[test]
    fn init_containers_first() {
        let p = pod(&[], &[]);
        let mut init = view("setup", false, true);
        init.init = true;
        let main = ContainerView { state: Run::Waiting { reason: "PodInitializing".into(), message: None }, ..view("a", false, false) };
        let v = patch(&input(&p, &[init.clone(), main.clone()]), &mut Transitions::default(), "t1");
        assert_eq!(v["status"]["phase"], "Pending");
        assert_eq!(conds(&v)["Initialized"], "False");
        assert_eq!(v["status"]["initContainerStatuses"][0]["name"], "setup");
        assert_eq!(v["status"]["containerStatuses"].as_array().unwrap().len(), 1);
        init.state = Run::Terminated {
            exit_code: 0,
            signal: None,
            reason: "Completed".into(),
            message: None,
            started_at: "a".into(),
            finished_at: "b".into(),
        };
        let v = patch(&input(&p, &[init.clone(), view("a", true, true)]), &mut Transitions::default(), "t1");
        assert_eq!(
            (v["status"]["phase"].as_str(), conds(&v)["Initialized"].as_str(), conds(&v)["Ready"].as_str()),
            (Some("Running"), "True", "True")
        );
        init.state =
            Run::Terminated { exit_code: 1, signal: None, reason: "Error".into(), message: None, started_at: "a".into(), finished_at: "b".into() };
        let never = Pod { spec: Some(PodSpec { restart_policy: Some("Never".into()), ..Default::default() }), ..Default::default() };
        assert_eq!(phase(&never, &[init.clone(), main.clone()]), "Failed");
        assert_eq!(phase(&p, &[init, main]), "Pending", "retried under Always");
    }

    #[test]
    fn terminal_phases_by_restart_policy() {
        let done = |code| {
            let mut v = view("a", false, true);
            v.state =
                Run::Terminated { exit_code: code, signal: None, reason: "x".into(), message: None, started_at: "a".into(), finished_at: "b".into() };
            v
        };
        let with = |policy: &str| Pod { spec: Some(PodSpec { restart_policy: Some(policy.into()), ..Default::default() }), ..Default::default() };
        assert_eq!(phase(&with("Never"), &[done(0)]), "Succeeded");
        assert_eq!(phase(&with("Never"), &[done(1)]), "Failed");
        assert_eq!(phase(&with("OnFailure"), &[done(0)]), "Succeeded");
        assert_eq!(phase(&with("OnFailure"), &[done(1)]), "Running");
        assert_eq!(phase(&with("Always"), &[done(0)]), "Running");
    }
}
