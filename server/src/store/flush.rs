//! The flush queue: data-directory writes run off the serving path, one
//! queue per zone.
//!
//! Owns: running each zone's writes (journal, zone file, timers, removal)
//! one at a time and in the order they were queued, on the blocking pool;
//! holding every write until the server listens ([`Flusher::release`]);
//! telling whoever queued a write when it is done; waiting for all of them
//! at shutdown. Must not: decide what to write or when ([`super::commit`]
//! does), or run a zone's writes concurrently: the store allows one writer
//! per zone (appends to the journal, the order of zone-file versions).
//!
//! ```text
//!  queue(apex, job) ─► that zone's channel ─► its worker task:
//!                        held until release() ─► spawn_blocking(job) ─► done ─► next job
//!  settled(apex): queue a no-op and wait for it · drain(deadline): the same for every zone
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

type Job = Box<dyn FnOnce() + Send>;

/// A queued write. Dropping it does not cancel the write.
#[derive(Debug)]
pub struct Queued(oneshot::Receiver<()>);

impl Queued {
    /// Waits for the write; false when it panicked or could not be queued
    /// (the runtime is shutting down).
    pub async fn done(self) -> bool {
        self.0.await.is_ok()
    }
}

/// Per-zone write queues.
pub struct Flusher {
    queues: Mutex<HashMap<Box<[u8]>, mpsc::UnboundedSender<Job>>>,
    open: watch::Sender<bool>,
}

impl std::fmt::Debug for Flusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flusher").field("zones", &self.lock().len()).field("open", &*self.open.borrow()).finish()
    }
}

impl Flusher {
    /// Queues whose jobs wait for [`release`](Self::release).
    pub fn held() -> Self {
        Self { queues: Mutex::new(HashMap::new()), open: watch::channel(false).0 }
    }

    /// Queues that run jobs as soon as they come.
    pub fn released() -> Self {
        let f = Self::held();
        f.release();
        f
    }

    /// Lets the queued writes run (the server is answering).
    pub fn release(&self) {
        self.open.send_replace(true);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Box<[u8]>, mpsc::UnboundedSender<Job>>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job` behind the zone's earlier writes. Outside a tokio
    /// runtime the job runs at once, on the caller's thread.
    pub fn queue(&self, apex: &[u8], job: impl FnOnce() + Send + 'static) -> Queued {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            job();
            let _ = tx.send(());
        });
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            job();
            return Queued(rx);
        };
        let mut queues = self.lock();
        let q = queues.entry(apex.into()).or_insert_with(|| self.spawn_worker(&rt));
        if let Err(mpsc::error::SendError(job)) = q.send(job) {
            tracing::warn!(op = "flush", "shutting down: a data-directory write was dropped");
            drop(job);
        }
        Queued(rx)
    }

    /// One zone's worker: its jobs, in order, once released. It ends when
    /// the queue is dropped.
    fn spawn_worker(&self, rt: &tokio::runtime::Handle) -> mpsc::UnboundedSender<Job> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let mut open = self.open.subscribe();
        rt.spawn(async move {
            // An error means the flusher is gone: run what is queued anyway.
            let _ = open.wait_for(|o| *o).await;
            while let Some(job) = rx.recv().await {
                if let Err(e) = tokio::task::spawn_blocking(job).await {
                    tracing::error!(op = "flush", error = %e, "a data-directory write panicked");
                }
            }
        });
        tx
    }

    /// Waits until every write queued so far for `apex` has run (at once
    /// when none ever was).
    pub async fn settled(&self, apex: &[u8]) {
        if !self.lock().contains_key(apex) {
            return;
        }
        self.queue(apex, || {}).done().await;
    }

    /// Releases the queues and waits up to `deadline` for every write queued
    /// so far. False when some were still running at the deadline.
    pub async fn drain(&self, deadline: Duration) -> bool {
        self.release();
        let zones: Vec<Box<[u8]>> = self.lock().keys().cloned().collect();
        let waits: Vec<_> = zones.iter().map(|z| self.queue(z, || {})).collect();
        tokio::time::timeout(deadline, async {
            for w in waits {
                w.done().await;
            }
        })
        .await
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_zone_in_order_held_until_released() {
        let f = Flusher::held();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut done = Vec::new();
        for i in 0..20 {
            let log = log.clone();
            done.push(f.queue(b"\x01a\x00", move || {
                std::thread::sleep(Duration::from_millis((20 - i) % 3));
                log.lock().unwrap().push(i);
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(log.lock().unwrap().is_empty(), "nothing runs before release");
        f.release();
        for d in done {
            assert!(d.done().await);
        }
        assert_eq!(*log.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn settled_and_drain_wait_for_queued_writes() {
        let f = Flusher::released();
        f.settled(b"\x01b\x00").await; // nothing queued: returns at once
        let ran = Arc::new(Mutex::new(0));
        let r = ran.clone();
        let _ = f.queue(b"\x01b\x00", move || {
            std::thread::sleep(Duration::from_millis(100));
            *r.lock().unwrap() += 1;
        });
        f.settled(b"\x01b\x00").await;
        assert_eq!(*ran.lock().unwrap(), 1);
        let r = ran.clone();
        let panicked = f.queue(b"\x01c\x00", || panic!("write failed"));
        let _ = f.queue(b"\x01c\x00", move || *r.lock().unwrap() += 1);
        assert!(!panicked.done().await, "a panicking job reports no completion");
        assert!(f.drain(Duration::from_secs(5)).await);
        assert_eq!(*ran.lock().unwrap(), 2, "the queue goes on after a panic");
        let slow = Flusher::released();
        let _ = slow.queue(b"\x01d\x00", || std::thread::sleep(Duration::from_millis(500)));
        assert!(!slow.drain(Duration::from_millis(50)).await, "the deadline is kept");
    }
}
