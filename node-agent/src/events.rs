//! Events about pods, as the scheduler and kubelet record them (Scheduled,
//! Started, Killing, BackOff, Unhealthy, Failed), so that `kubectl describe
//! pod` tells what happened. Sent in the background: a lost event is
//! logged at debug level, never an error of the pod.
//!
//! Owns: the reporter identity and the reasons' wording. Must not: wait
//! for the API or change anything else.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::Client;

/// The agent's event recorder.
#[derive(Clone)]
pub struct Events {
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").field("enabled", &self.recorder.is_some()).finish()
    }
}

impl Events {
    /// Events reported as `ironbind-node-agent` on `node`.
    pub fn new(client: Client, node: &str) -> Self {
        let reporter = Reporter { controller: "ironbind-node-agent".into(), instance: Some(node.into()) };
        Events { recorder: Some(Recorder::new(client, reporter)) }
    }

    /// No events (unit tests).
    pub fn none() -> Self {
        Events { recorder: None }
    }

    /// A Normal event about `pod`.
    pub fn normal(&self, pod: &ObjectReference, reason: &str, note: String) {
        self.send(pod, EventType::Normal, reason, note);
    }

    /// A Warning event about `pod`.
    pub fn warning(&self, pod: &ObjectReference, reason: &str, note: String) {
        self.send(pod, EventType::Warning, reason, note);
    }

    fn send(&self, pod: &ObjectReference, type_: EventType, reason: &str, note: String) {
        let Some(r) = self.recorder.clone() else { return };
        let ev = Event { type_, reason: reason.into(), note: Some(note.chars().take(1000).collect()), action: reason.into(), secondary: None };
        let pod = pod.clone();
        tokio::spawn(async move {
            if let Err(e) = r.publish(&ev, &pod).await {
                tracing::debug!(error = %e, reason = %ev.reason, "event not recorded");
            }
        });
    }
}
