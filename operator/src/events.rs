//! Kubernetes Events for notable changes (children created or repaired, a
//! refused setting, Ready gained or lost, cleanup), published through kube's
//! recorder as `ironbind-operator`. Only on a change, never per reconcile, so
//! an idle operator writes nothing.
//!
//! Owns: the reporter identity and counting each event as an API write.
//! Must not: decide when something is notable (the controllers do).

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Client, Resource};

use crate::metrics;

/// Publishes events about objects.
#[derive(Clone)]
pub struct Events {
    recorder: Recorder,
}

impl Events {
    /// A publisher for this process (`POD_NAME` names the instance when set).
    pub fn new(client: Client) -> Events {
        let reporter = Reporter { controller: "ironbind-operator".into(), instance: std::env::var("POD_NAME").ok() };
        Events { recorder: Recorder::new(client, reporter) }
    }

    /// A Normal event on `obj`.
    pub async fn normal<K: Resource<DynamicType = ()>>(&self, obj: &K, reason: &str, action: &str, note: String) {
        self.publish(obj, EventType::Normal, reason, action, note).await;
    }

    /// A Warning event on `obj`.
    pub async fn warning<K: Resource<DynamicType = ()>>(&self, obj: &K, reason: &str, action: &str, note: String) {
        self.publish(obj, EventType::Warning, reason, action, note).await;
    }

    async fn publish<K: Resource<DynamicType = ()>>(&self, obj: &K, type_: EventType, reason: &str, action: &str, note: String) {
        let reference: ObjectReference = obj.object_ref(&());
        let ev = Event { type_, reason: reason.into(), note: Some(note), action: action.into(), secondary: None };
        metrics::global().api_write("Event", "create");
        // An event that cannot be written is logged, never a failed reconcile.
        if let Err(e) = self.recorder.publish(&ev, &reference).await {
            tracing::warn!(reason, error = %e, "event not recorded");
        }
    }
}
