//! Starting a pod's containers: its init containers one after another,
//! each run to completion (again on failure unless the pod's restartPolicy
//! is Never), then a supervisor for every container. A container that
//! cannot start (image not mapped, env or volume error) waits with why.
//!
//! Owns: the order of starts and each container's process spec with its
//! sandbox. Must not: publish status (the pod worker does) or stop
//! anything (the supervisors do, on the stop signal).

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use kube::{Resource, ResourceExt};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::container::Supervisor;
use super::launch::{launch, PodFacts};
use super::state::{Run, Shared};
use super::worker::{grace_of, NodeCtx};
use crate::process::{is_root, prepare_targets, Sandbox, Spec};
use crate::volumes::{mount_plan, PodDirs};

/// A pod's containers to start.
pub struct Starter {
    /// The node.
    pub ctx: NodeCtx,
    /// The pod as taken.
    pub pod: Pod,
    /// Its address and env objects.
    pub facts: PodFacts,
    /// Its directories.
    pub dirs: PodDirs,
    /// The views (init containers first).
    pub shared: Arc<Shared>,
    /// `Some(grace)` once everything must stop.
    pub stop: watch::Receiver<Option<Duration>>,
}

impl Starter {
    /// Runs the init containers, then the containers until they stop.
    pub async fn run(self) {
        let Some(spec) = self.pod.spec.clone() else { return };
        let policy = spec.restart_policy.clone().unwrap_or_else(|| "Always".into());
        let inits = spec.init_containers.clone().unwrap_or_default();
        // An init container is retried until it succeeds, unless the pod never restarts.
        let init_policy = if policy == "Never" { "Never" } else { "OnFailure" };
        for (i, c) in inits.iter().enumerate() {
            if self.stop.borrow().is_some() {
                return;
            }
            let Some(sup) = self.supervisor(i, c, init_policy, true) else { return };
            sup.run().await;
            if !self.shared.snapshot().get(i).is_some_and(|v| v.completed()) {
                tracing::info!(container = %c.name, "init container did not complete; the pod's containers are not started");
                return;
            }
        }
        let mut set = JoinSet::new();
        for (j, c) in spec.containers.iter().enumerate() {
            if let Some(sup) = self.supervisor(inits.len() + j, c, &policy, false) {
                set.spawn(sup.run());
            }
        }
        while set.join_next().await.is_some() {}
    }

    /// The supervisor of container `c` (view `index`), or `None` after
    /// setting its Waiting reason when it cannot start.
    fn supervisor(&self, index: usize, c: &Container, policy: &str, init: bool) -> Option<Supervisor> {
        let s = match self.spec_of(c) {
            Ok(s) => s,
            Err((reason, msg)) => {
                tracing::warn!(container = %c.name, %reason, %msg, "container cannot start");
                self.ctx.events.warning(&self.pod.object_ref(&()), "Failed", format!("Error: {reason}: {msg}"));
                self.shared.update(index, |v| v.state = Run::Waiting { reason: reason.into(), message: Some(msg) });
                return None;
            }
        };
        let binary = s.program.display().to_string();
        self.shared.update(index, |v| v.binary = Some(binary));
        let pod = &self.pod;
        Some(Supervisor {
            index,
            init,
            container: c.clone(),
            spec: s,
            pod: (pod.namespace().unwrap_or_else(|| "default".into()), pod.name_any(), pod.uid().unwrap_or_default()),
            pod_ip: self.facts.pod_ip,
            dirs: self.dirs.clone(),
            restart_policy: policy.into(),
            grace: grace_of(pod),
            shared: self.shared.clone(),
            registry: self.ctx.registry.clone(),
            stop: self.stop.clone(),
            events: self.ctx.events.clone(),
            pod_ref: pod.object_ref(&()),
        })
    }

    /// The process of `c` with its mounts, or its Waiting reason and message.
    fn spec_of(&self, c: &Container) -> Result<Spec, (&'static str, String)> {
        let ns = self.pod.namespace().unwrap_or_else(|| "default".into());
        let volumes = self.pod.spec.as_ref().and_then(|s| s.volumes.clone()).unwrap_or_default();
        let mut s = launch(&self.ctx.images, &self.pod, c, &self.facts).map_err(|e| (e.reason(), e.to_string()))?;
        let mounts = mount_plan(&self.ctx.state_dir, &self.dirs, &ns, &volumes, c).map_err(|e| ("CreateContainerConfigError", e.to_string()))?;
        prepare_targets(&mounts).map_err(|e| ("CreateContainerConfigError", format!("mount points: {e}")))?;
        s.sandbox = if is_root() { Sandbox::Private(mounts) } else { Sandbox::Host };
        Ok(s)
    }
}
