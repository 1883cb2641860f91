//! The server runtime: starts everything from a [`Config`], reloads on SIGHUP,
//! drains on shutdown.
//!
//! Owns: startup order (data dir and keys, sockets, the NOTIFY sender,
//! zones, then workers), the SIGHUP reload (zone files and, when a reloader
//! is given, the config file) and graceful shutdown on the one
//! [`CancellationToken`]. Must not: parse DNS, frame bytes or parse config
//! itself; it wires [`crate::config`], [`crate::zone`], [`crate::xfr`],
//! [`crate::store`], [`crate::query`] and [`crate::net`] together.
//!
//! ```text
//!  start:   data dir, TSIG keys, catalog ─► bind UDP+TCP ─► NOTIFY sender
//!           ─► primaries: load file, diff against the data-dir copy, journal, serve, NOTIFY
//!           ─► secondaries: one refresh task each (serves the data-dir copy at once)
//!           ─► control API zones (data-dir copies, refresh tasks; config zones they own skipped)
//!           ─► UDP worker threads ─► TCP accept tasks ─► control API (HTTP), if configured
//!           ─► release the flush queues: data-dir writes start only now
//!  SIGHUP:  re-read config (if any; broken config → change nothing)
//!           ─► zones gone or changed type: stop serving, forget
//!           ─► reload every primary (failure → old version keeps serving;
//!              change → diff ─► journal ─► data dir ─► swap ─► NOTIFY)
//!           ─► start/re-point secondary tasks ─► swap the handler if query settings changed
//!  cancel:  UDP workers stop (≤ 200 ms) ─► TCP stops accepting; refresh tasks stop
//!           ─► open connections finish their request (≤ 5 s)
//!           ─► queued data-dir writes finish (≤ 30 s) ─► return
//! ```

#![forbid(unsafe_code)]

mod logging;
#[cfg(test)]
mod metrics_tests;

pub use crate::lifecycle::primary::{ApplySummary, EXAMPLE_ZONE};
pub use logging::init_tracing;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::config::{Config, ConfigError, ZoneKind};
use crate::control::{self, Control};
use crate::net::{self, tcp, udp, SharedHandler};
use crate::query::Handler;
use crate::zone::set::ZoneSet;

use crate::lifecycle::notify::{Notifier, NotifyTiming};
use crate::lifecycle::secondary::{self, Secondaries};
use crate::lifecycle::{primary, update, Shared};
use crate::store::Store;

/// How long shutdown waits for queued data-directory writes (a 1M-name zone
/// takes a few seconds to write; an interrupted write leaves the old file).
const FLUSH_DRAIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Re-reads the configuration on SIGHUP (the binary re-parses its file and flags).
pub type ConfigReloader = Box<dyn Fn() -> Result<Config, ConfigError> + Send + Sync>;

/// Serves `cfg` until `shutdown` fires; SIGHUP reloads the zone files.
pub async fn run(cfg: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    run_with_reload(cfg, None, shutdown).await
}

/// Like [`run`], and on SIGHUP also re-reads the configuration with `reloader`
/// (zones added or removed there are picked up).
pub async fn run_with_reload(cfg: Config, reloader: Option<ConfigReloader>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).context("cannot install SIGHUP handler")?;
    let server = Server::start(cfg, shutdown.clone()).await?;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = hup.recv() => {
                tracing::info!(op = "reload", "SIGHUP: reloading");
                let new = match &reloader {
                    None => None,
                    Some(f) => match f() {
                        Ok(c) => Some(c),
                        Err(e) => {
                            tracing::error!(op = "reload", error = %e, "config is invalid; keeping the running configuration and zones");
                            continue;
                        }
                    },
                };
                server.reload(new).await;
            }
        }
    }
    server.stop().await;
    Ok(())
}

/// A running server.
pub struct Server {
    zones: Arc<ZoneSet>,
    rt: Arc<Shared>,
    notify_task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    handler: SharedHandler,
    state: Mutex<State>,
    addrs: Vec<SocketAddr>,
    udp_threads: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
    tcp: Arc<tcp::TcpServer>,
    accept_tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    shutdown: CancellationToken,
    /// Zones and keys defined through the control API.
    control: Arc<Control>,
    control_http: std::sync::Mutex<Option<control::HttpServer>>,
    control_addr: Option<SocketAddr>,
    /// Response rate limiting's buckets, kept across reloads.
    rrl_table: Arc<crate::query::rrl::RateTable>,
    /// The `/metrics`-only listener (`[metrics] listen`).
    metrics_http: std::sync::Mutex<Option<control::HttpServer>>,
}

struct State {
    cfg: Config,
    primaries: primary::Primaries,
    secondaries: Secondaries,
}

impl Server {
    /// Loads the zones, binds every listen address and starts the workers. Must
    /// run inside a tokio runtime. Fails only when a socket cannot be bound; a
    /// zone that fails to load is logged and not served.
    pub async fn start(cfg: Config, shutdown: CancellationToken) -> anyhow::Result<Server> {
        let zones = Arc::new(ZoneSet::new());
        let catalog = Arc::new(Catalog::new());
        // The control API's zones and keys, served whether or not its HTTP server runs.
        let control = {
            let dir = cfg.data_dir.clone();
            Arc::new(tokio::task::spawn_blocking(move || Control::open(&dir)).await??)
        };
        let mut api = control.lock().await;
        catalog.set_keys(api.merge_keys(cfg.key_ring()?));
        let store = {
            let dir = cfg.data_dir.clone();
            tokio::task::spawn_blocking(move || Store::open(&dir)).await?
        };
        let handler = net::shared(Handler::new(zones.clone(), cfg.query_config()).with_transfers(catalog.clone()));
        let workers = cfg.udp_workers();
        let listeners = net::bind(&cfg.listen_addrs(), workers)?;
        let opts = udp::UdpOptions { query_log: cfg.log.query_log };
        let tcp_opts = tcp::TcpOptions {
            idle_timeout: std::time::Duration::from_millis(cfg.tcp.idle_timeout_ms),
            max_connections: cfg.tcp.max_connections as usize,
            max_connections_per_client: cfg.tcp.max_connections_per_client,
            query_log: cfg.log.query_log,
        };
        let tcp_server = tcp::TcpServer::new(handler.clone(), tcp_opts, shutdown.clone());
        let mut udp_threads = Vec::new();
        let mut accept_tasks = Vec::new();
        let addrs = listeners.addrs.clone();
        // One specific listen address: outgoing NOTIFY and transfers leave from it.
        let ips: std::collections::BTreeSet<std::net::IpAddr> = addrs.iter().map(|a| a.ip()).collect();
        crate::remote::set_default_source(if ips.len() == 1 { ips.into_iter().next() } else { None });
        let timing =
            NotifyTiming { tries: cfg.transfer.notify_retries, first_wait: std::time::Duration::from_millis(cfg.transfer.notify_timeout_ms) };
        let (notifier, notify_task) = Notifier::spawn(catalog.clone(), zones.clone(), addrs.clone(), timing, shutdown.clone());
        let rt = Arc::new(Shared {
            zones: zones.clone(),
            catalog,
            store,
            notifier,
            transfer: cfg.transfer.clone(),
            shutdown: shutdown.clone(),
            edits: Default::default(),
        });
        let rrl_table = Arc::new(crate::query::rrl::RateTable::new(cfg.rrl.table_size as usize));
        // From here on UPDATE is answered: it needs the runtime to commit.
        handler.store(Arc::new(query_handler(&cfg, &rt, &rrl_table)));
        let mut primaries_set = primary::Primaries::default();
        let mut secondaries = Secondaries::default();
        let summary = primaries_set.apply(&rt, api.claim(primary::specs(&cfg), |s| &s.origin[..])).await;
        if summary.failed > 0 {
            tracing::error!(failed = summary.failed, loaded = summary.loaded, "some zones failed to load and are not served");
        }
        secondaries.apply(&rt, api.claim(secondary_specs(&cfg), |s| &s.apex[..]));
        control.start_zones(&mut api, &rt).await;
        drop(api);
        for ((addr, socks), listener) in listeners.addrs.iter().zip(listeners.udp).zip(listeners.tcp) {
            let threads = udp::spawn_workers(socks, handler.clone(), opts, shutdown.clone()).map_err(net::NetError::Thread)?;
            udp_threads.extend(threads);
            let srv = tcp_server.clone();
            let addr = *addr;
            accept_tasks.push(tokio::spawn(async move {
                if let Err(e) = srv.serve(listener).await {
                    tracing::error!(proto = "tcp", listen = %addr, error = %e, "tcp listener failed");
                }
            }));
            tracing::info!(listen = %addr, proto = "udp", workers, "listening");
            tracing::info!(listen = %addr, proto = "tcp", max_connections = tcp_opts.max_connections, "listening");
        }
        let control_http = control::serve(&cfg.control, control.clone(), rt.clone(), shutdown.clone()).await?;
        let control_addr = control_http.as_ref().map(|h| h.addr);
        let metrics_http = match cfg.metrics.listen {
            Some(a) => Some(control::scrape::serve(a, rt.clone(), shutdown.clone()).await?),
            None => None,
        };
        // Answering now: the zones' copies can go to the data directory.
        rt.store.release();
        Ok(Server {
            zones,
            rt,
            notify_task: std::sync::Mutex::new(Some(notify_task)),
            handler,
            state: Mutex::new(State { cfg, primaries: primaries_set, secondaries }),
            addrs,
            udp_threads: std::sync::Mutex::new(udp_threads),
            tcp: tcp_server,
            accept_tasks: std::sync::Mutex::new(accept_tasks),
            shutdown,
            control,
            control_http: std::sync::Mutex::new(control_http),
            control_addr,
            rrl_table,
            metrics_http: std::sync::Mutex::new(metrics_http),
        })
    }

    /// The bound addresses (ports resolved when 0 was asked for), UDP and TCP alike.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The control API's address, when it runs.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// The `/metrics`-only listener's address, when it runs.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_http.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|h| h.addr)
    }

    /// The served zones.
    pub fn zones(&self) -> &Arc<ZoneSet> {
        &self.zones
    }

    /// The SIGHUP action: reloads every configured zone file, keeping the old
    /// version of any zone that fails. With `new_cfg`, zones added to or removed
    /// from it are picked up and changed query settings (ACL, CHAOS, UDP
    /// payload) take effect; changes to sockets, workers, TCP limits and
    /// logging need a restart and are reported.
    pub async fn reload(&self, new_cfg: Option<Config>) -> ApplySummary {
        let mut st = self.state.lock().await;
        // No control API change meanwhile; its zones and keys are kept.
        let api = self.control.lock().await;
        let cfg = new_cfg.unwrap_or_else(|| st.cfg.clone());
        match cfg.key_ring() {
            Ok(k) => self.rt.catalog.set_keys(api.merge_keys(k)),
            Err(e) => tracing::error!(op = "reload", error = %e, "TSIG keys unusable; keeping the previous keys"),
        }
        // Removals first, so a zone that changed type is gone before it is added back.
        let primaries = api.claim(primary::specs(&cfg), |s| &s.origin[..]);
        let secondaries = api.claim(secondary_specs(&cfg), |s| &s.apex[..]);
        let keep_p = primaries.iter().map(|s| s.origin.clone()).collect();
        let keep_s = secondaries.iter().map(|s| s.apex.clone()).collect();
        let st = &mut *st;
        let removed = st.secondaries.retain(&self.rt, &keep_s) + st.primaries.retain(&self.rt, &keep_p);
        let mut summary = st.primaries.apply(&self.rt, primaries).await;
        summary.removed += removed;
        st.secondaries.apply(&self.rt, secondaries);
        let old = &st.cfg;
        let reflection = |c: &Config| (c.nsid.clone(), c.rrl.clone(), c.cookies.clone());
        if (&old.allow_query, old.udp_max_payload, &old.chaos) != (&cfg.allow_query, cfg.udp_max_payload, &cfg.chaos)
            || reflection(old) != reflection(&cfg)
        {
            self.handler.store(Arc::new(query_handler(&cfg, &self.rt, &self.rrl_table)));
            tracing::info!(op = "reload", "query settings updated");
        }
        let restart: Vec<&str> = [
            ("listen", old.listen != cfg.listen),
            ("udp_workers", old.udp_workers != cfg.udp_workers),
            ("tcp", old.tcp != cfg.tcp),
            ("log", old.log != cfg.log),
            ("data_dir", old.data_dir != cfg.data_dir),
            ("transfer", old.transfer != cfg.transfer),
            ("control", old.control != cfg.control),
            ("rrl.table_size", old.rrl.table_size != cfg.rrl.table_size),
            ("metrics", old.metrics != cfg.metrics),
        ]
        .into_iter()
        .filter_map(|(f, changed)| changed.then_some(f))
        .collect();
        if !restart.is_empty() {
            tracing::warn!(op = "reload", fields = ?restart, "these settings changed but only take effect after a restart");
        }
        tracing::info!(
            op = "reload",
            loaded = summary.loaded,
            failed = summary.failed,
            removed = summary.removed,
            zones = self.zones.load().len(),
            "reload done"
        );
        st.cfg = cfg;
        summary
    }

    /// The shared runtime (catalog, data directory, NOTIFY sender).
    pub fn runtime(&self) -> &Arc<Shared> {
        &self.rt
    }

    /// Stops the server (fires the shutdown token if nobody has) and waits:
    /// UDP workers end, TCP stops accepting, open connections get up to
    /// [`tcp::DRAIN_DEADLINE`] to finish their current request.
    pub async fn stop(&self) {
        self.shutdown.cancel();
        let accept: Vec<_> = std::mem::take(&mut *self.accept_tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for t in accept {
            let _ = t.await;
        }
        self.tcp.drain(tcp::DRAIN_DEADLINE).await;
        let http = self.control_http.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = http {
            h.stop().await;
        }
        let metrics = self.metrics_http.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = metrics {
            h.stop().await;
        }
        self.state.lock().await.secondaries.join().await;
        self.control.join().await;
        if !self.rt.store.drain(FLUSH_DRAIN_DEADLINE).await {
            tracing::warn!(op = "flush", "data-directory writes still running at the deadline; the previous copies stay on disk");
        }
        let notify = self.notify_task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = notify {
            let _ = t.await;
        }
        let threads: Vec<_> = std::mem::take(&mut *self.udp_threads.lock().unwrap_or_else(|p| p.into_inner()));
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
        tracing::info!("stopped");
    }
}

/// The request handler for `cfg`: transfers and NOTIFY from the runtime's
/// catalog, UPDATE (RFC 2136) committed through its zone editor.
fn query_handler(cfg: &Config, rt: &Arc<Shared>, rrl: &Arc<crate::query::rrl::RateTable>) -> Handler {
    Handler::new(rt.zones.clone(), cfg.query_config())
        .with_rrl(rrl.clone())
        .with_transfers(rt.catalog.clone())
        .with_updates(Arc::new(update::UpdateEditor(rt.clone())))
}

/// The secondary zones a configuration asks for.
pub fn secondary_specs(cfg: &Config) -> Vec<secondary::SecondarySpec> {
    cfg.zones
        .iter()
        .filter(|z| z.kind == ZoneKind::Secondary)
        .filter_map(|z| {
            Some(secondary::SecondarySpec {
                name: z.name.trim_end_matches('.').to_string(),
                apex: primary::apex_of(&z.name)?,
                policy: z.policy(),
                notify_key: z.notify_key.clone(),
            })
        })
        .collect()
}
