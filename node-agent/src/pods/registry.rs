//! The pods this node runs, as the kubelet endpoint needs them: each
//! pod's directories and, per container, the PID of its current process
//! and what an exec'd command inherits.
//!
//! Owns: the shared table, keyed by namespace and pod name. Must not:
//! start or stop anything (pod workers fill it, the endpoint reads it).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::exec::ExecContext;
use crate::volumes::PodDirs;

/// One container's entry.
#[derive(Debug, Clone, Default)]
pub struct ContainerEntry {
    /// Its process while it runs.
    pub pid: Option<u32>,
    /// What an exec'd command inherits.
    pub exec: Arc<ExecContext>,
}

/// One pod's entry.
#[derive(Debug, Clone)]
pub struct PodEntry {
    /// The pod's UID (a pod of the same name recreated is another pod).
    pub uid: String,
    /// Its directories (logs).
    pub dirs: PodDirs,
    /// Its containers by name.
    pub containers: BTreeMap<String, ContainerEntry>,
}

/// The shared table.
#[derive(Debug, Clone, Default)]
pub struct Registry(Arc<Mutex<HashMap<(String, String), PodEntry>>>);

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), PodEntry>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds (or replaces) a pod.
    pub fn insert(&self, ns: &str, name: &str, entry: PodEntry) {
        self.lock().insert((ns.into(), name.into()), entry);
    }

    /// Removes the pod when it is still the one with this UID.
    pub fn remove(&self, ns: &str, name: &str, uid: &str) {
        let mut t = self.lock();
        if t.get(&(ns.into(), name.into())).is_some_and(|e| e.uid == uid) {
            t.remove(&(ns.into(), name.into()));
        }
    }

    /// Records a container's process (or its end, `None`) and exec context.
    pub fn set_container(&self, ns: &str, name: &str, uid: &str, container: &str, pid: Option<u32>, exec: Arc<ExecContext>) {
        if let Some(e) = self.lock().get_mut(&(ns.into(), name.into())).filter(|e| e.uid == uid) {
            e.containers.insert(container.into(), ContainerEntry { pid, exec });
        }
    }

    /// A copy of a pod's entry.
    pub fn get(&self, ns: &str, name: &str) -> Option<PodEntry> {
        self.lock().get(&(ns.into(), name.into())).cloned()
    }

    /// True when the pod with this UID is still here.
    pub fn holds(&self, ns: &str, name: &str, uid: &str) -> bool {
        self.lock().get(&(ns.into(), name.into())).is_some_and(|e| e.uid == uid)
    }
}
