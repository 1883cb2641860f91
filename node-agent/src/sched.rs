//! The scheduler's part: a Pod without `spec.nodeName` is bound to this
//! node through the `pods/binding` subresource, as kube-scheduler does.
//!
//! Owns: the decision to bind (every unscheduled, undeleted pod of the
//! default scheduler) and the Binding. Must not: run the pod (the pod
//! manager sees it come back with our node name).

use k8s_openapi::api::core::v1::{Binding, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Api, Client, Resource, ResourceExt};

/// True when `pod` waits for a scheduler and that scheduler is us.
pub fn wants_binding(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    let unbound = spec.is_some_and(|s| s.node_name.as_deref().is_none_or(str::is_empty));
    let ours = spec.and_then(|s| s.scheduler_name.as_deref()).is_none_or(|n| n == "default-scheduler");
    let pending = pod.status.as_ref().and_then(|s| s.phase.as_deref()).is_none_or(|p| p == "Pending");
    unbound && ours && pending && pod.metadata.deletion_timestamp.is_none()
}

/// The Binding of `pod` to `node`.
pub fn binding(pod: &Pod, node: &str) -> Binding {
    Binding {
        metadata: ObjectMeta { name: Some(pod.name_any()), namespace: pod.namespace(), uid: pod.uid(), ..Default::default() },
        target: ObjectReference { api_version: Some("v1".into()), kind: Some("Node".into()), name: Some(node.into()), ..Default::default() },
    }
}

/// Binds `pod` to `node`. A pod bound meanwhile (409) or gone (404) is no error.
#[tracing::instrument(skip_all, fields(pod = %format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any()), node))]
pub async fn bind(client: Client, pod: Pod, node: String, events: crate::events::Events) {
    let api: Api<Pod> = Api::namespaced(client, &pod.namespace().unwrap_or_else(|| "default".into()));
    let body = binding(&pod, &node);
    // The API answers a Status, not the Binding.
    match api.create_subresource::<Binding, serde_json::Value>("binding", &pod.name_any(), &PostParams::default(), &body).await {
        Ok(_) => {
            tracing::info!("bound");
            let note = format!("Successfully assigned {}/{} to {node}", pod.namespace().unwrap_or_default(), pod.name_any());
            events.normal(&pod.object_ref(&()), "Scheduled", note);
        }
        Err(kube::Error::Api(s)) if s.code == 409 || s.code == 404 => tracing::debug!(reason = %s.message, "not bound"),
        Err(e) => tracing::warn!(error = %e, "cannot bind the pod"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;

    fn pod(node: Option<&str>, scheduler: Option<&str>) -> Pod {
        Pod {
            metadata: ObjectMeta { name: Some("p".into()), namespace: Some("ns".into()), uid: Some("u".into()), ..Default::default() },
            spec: Some(PodSpec { node_name: node.map(Into::into), scheduler_name: scheduler.map(Into::into), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn binds_unscheduled_pods_of_the_default_scheduler() {
        assert!(wants_binding(&pod(None, None)));
        assert!(wants_binding(&pod(None, Some("default-scheduler"))));
        assert!(!wants_binding(&pod(Some("n"), None)));
        assert!(!wants_binding(&pod(None, Some("other"))));
        let b = binding(&pod(None, None), "n1");
        assert_eq!(b.target.name.as_deref(), Some("n1"));
        assert_eq!(b.metadata.uid.as_deref(), Some("u"));
    }
}
