//! What a container supervisor tells its pod worker: the container's
//! current state, last termination, readiness and restart count, and a
//! signal that something changed.
//!
//! Owns: the shared view of a pod's containers. Must not: talk to the API
//! (the pod worker turns it into the pod's status).

use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

/// A container's state, as in ContainerStatus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// Not running: why.
    Waiting {
        /// A CamelCase reason (ContainerCreating, CrashLoopBackOff, ErrImageNeverPull …).
        reason: String,
        /// A sentence.
        message: Option<String>,
    },
    /// Running since.
    Running {
        /// RFC 3339.
        started_at: String,
    },
    /// Exited.
    Terminated {
        /// The exit code (128 + signal when killed by one).
        exit_code: i32,
        /// The signal that ended it.
        signal: Option<i32>,
        /// Completed, Error, OOMKilled …
        reason: String,
        /// A sentence.
        message: Option<String>,
        /// RFC 3339.
        started_at: String,
        /// RFC 3339.
        finished_at: String,
    },
}

/// One container as its supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    /// The container's name.
    pub name: String,
    /// Its image.
    pub image: String,
    /// The binary the image maps to, when it does.
    pub binary: Option<String>,
    /// The current state.
    pub state: Run,
    /// The last termination, once it restarted.
    pub last: Option<Run>,
    /// Passes its readiness probe (or runs, without one).
    pub ready: bool,
    /// Restarts so far.
    pub restart_count: i32,
    /// Has started at least once.
    pub started: bool,
    /// The current process.
    pub pid: Option<u32>,
    /// An init container (runs to completion before the others start).
    pub init: bool,
}

impl ContainerView {
    /// A container not started yet.
    pub fn creating(name: &str, image: &str) -> Self {
        ContainerView {
            name: name.into(),
            image: image.into(),
            binary: None,
            state: Run::Waiting { reason: "ContainerCreating".into(), message: None },
            last: None,
            ready: false,
            restart_count: 0,
            started: false,
            pid: None,
            init: false,
        }
    }

    /// The views of a pod's init containers (waiting to initialise) and
    /// containers (waiting for them, when there are any), in that order. A
    /// container that ran before (the pod taken again after an agent
    /// restart) counts its next start as a restart.
    pub fn all(spec: &k8s_openapi::api::core::v1::PodSpec, status: Option<&k8s_openapi::api::core::v1::PodStatus>) -> Vec<ContainerView> {
        let ran = |name: &str| {
            let known = status.into_iter().flat_map(|s| s.container_statuses.iter().flatten());
            known
                .filter(|c| c.name == name)
                .find(|c| c.state.as_ref().is_some_and(|s| s.running.is_some() || s.terminated.is_some()))
                .map(|c| c.restart_count + 1)
        };
        let inits = spec.init_containers.as_deref().unwrap_or_default();
        let mut views: Vec<ContainerView> =
            inits.iter().map(|c| ContainerView { init: true, ..ContainerView::creating(&c.name, c.image.as_deref().unwrap_or("")) }).collect();
        for c in &spec.containers {
            let mut v = ContainerView::creating(&c.name, c.image.as_deref().unwrap_or(""));
            v.restart_count = ran(&c.name).unwrap_or(0);
            if !inits.is_empty() {
                v.state = Run::Waiting { reason: "PodInitializing".into(), message: None };
            }
            views.push(v);
        }
        views
    }

    /// Exited with 0.
    pub fn completed(&self) -> bool {
        matches!(self.state, Run::Terminated { exit_code: 0, .. })
    }
}

/// The views of a pod's containers, in spec order, and a change signal.
#[derive(Debug, Default)]
pub struct Shared {
    views: Mutex<Vec<ContainerView>>,
    changed: Notify,
}

impl Shared {
    /// Views for these containers.
    pub fn new(views: Vec<ContainerView>) -> Self {
        Self { views: Mutex::new(views), changed: Notify::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<ContainerView>> {
        self.views.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes container `i` and says so.
    pub fn update(&self, i: usize, f: impl FnOnce(&mut ContainerView)) {
        if let Some(v) = self.lock().get_mut(i) {
            f(v);
        }
        self.changed.notify_one();
    }

    /// A copy of every view.
    pub fn snapshot(&self) -> Vec<ContainerView> {
        self.lock().clone()
    }

    /// Resolves after the next change (or at once if one came since the last wait).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}
