//! `ironbind-operator`: runs the controllers against the cluster of the
//! current kubeconfig (or the in-cluster service account), only while it
//! holds the leader Lease (`--leader-elect true`, the default), and serves
//! `/metrics`, `/healthz` and `/readyz` on `--metrics-addr` in either role.
//!
//! Owns: flags, logging, signals and the exit code. Must not: decide
//! leadership (`leader`), parse HTTP (`http`) or reconcile anything (the
//! controllers behind `run_controllers`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgAction, Parser};
use tokio::signal::unix::{signal, Signal, SignalKind};

use ironbind_operator::http::{self, Health};
use ironbind_operator::leader::{self, API_TIMEOUT};

/// Reconciles bindy.firestoned.io resources into pods running ironbind.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Log lines as `text` or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Log filter (tracing directives).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Where `/metrics`, `/healthz` and `/readyz` are served (port 0: any free port, logged).
    #[arg(long, default_value = "0.0.0.0:8080")]
    metrics_addr: std::net::SocketAddr,
    /// Run the controllers only while holding the leader Lease (`false`: at once, no Lease).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "true|false")]
    leader_elect: bool,
    /// The leader Lease's name.
    #[arg(long, default_value = "ironbind-operator")]
    lease_name: String,
    /// The leader Lease's namespace [default: $POD_NAMESPACE, else ironbind-system].
    #[arg(long)]
    lease_namespace: Option<String>,
    /// How long the Lease lasts unrenewed, in seconds (renewed every third of it).
    #[arg(long, default_value_t = 15, value_name = "SECS", value_parser = clap::value_parser!(u64).range(2..=3600))]
    lease_duration: u64,
    /// This replica's holder identity [default: $POD_NAME, else <hostname>-<pid>].
    #[arg(long)]
    identity: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = match tracing_subscriber::EnvFilter::try_new(&args.log_level) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ironbind-operator: --log-level {}: {e}", args.log_level);
            return ExitCode::from(2);
        }
    };
    if args.log_format == "json" {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "ironbind-operator stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // Signal handlers first: a SIGTERM from now on is a clean stop, not a kill.
    let shutdown = shutdown_signal()?;
    let client = kube::Client::try_default().await?;
    tracing::info!("ironbind-operator starting");
    let cfg = leader::Config {
        name: args.lease_name,
        namespace: args.lease_namespace.or_else(|| env("POD_NAMESPACE")).unwrap_or_else(|| "ironbind-system".into()),
        identity: args.identity.or_else(|| env("POD_NAME")).unwrap_or_else(default_identity),
        duration: Duration::from_secs(args.lease_duration),
    };
    anyhow::ensure!(!cfg.identity.is_empty(), "--identity must not be empty");
    let health = Arc::new(Health::new(if args.leader_elect { cfg.stale_after() } else { Duration::from_secs(30) }));
    let listener =
        tokio::net::TcpListener::bind(args.metrics_addr).await.map_err(|e| anyhow::anyhow!("--metrics-addr {}: {e}", args.metrics_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "serving /metrics and /healthz");
    let server = tokio::spawn(http::serve(listener, health.clone()));

    let controllers = {
        let client = client.clone();
        || ironbind_operator::run_controllers(client)
    };
    let outcome = if args.leader_elect {
        tracing::info!(lease = %format!("{}/{}", cfg.namespace, cfg.name), identity = %cfg.identity, duration_secs = args.lease_duration, "leader election");
        leader::run(client, &cfg, &health, controllers, shutdown).await.map_err(anyhow::Error::from)
    } else {
        tracing::info!("leader election off: running the controllers");
        ironbind_operator::metrics::global().set_leader(true);
        tokio::select! {
            () = controllers() => Err(anyhow::anyhow!("the controllers stopped")),
            () = shutdown => Ok(()),
            () = probe(client, &health) => Ok(()),
        }
    };
    server.abort();
    outcome
}

/// Without leader election: beats for `/healthz`, and asks the API server
/// for its version until it answers once (`/readyz`). Never returns.
async fn probe(client: kube::Client, health: &Health) {
    loop {
        health.beat();
        if !health.ready() && tokio::time::timeout(API_TIMEOUT, client.apiserver_version()).await.is_ok_and(|r| r.is_ok()) {
            health.api_reached();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Resolves on the first SIGTERM or SIGINT (handlers installed now).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    let mut term: Signal = signal(SignalKind::terminate())?;
    let mut int: Signal = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("interrupted"),
        }
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `<hostname>-<pid>`.
fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| env("HOSTNAME"))
        .unwrap_or_else(|| "ironbind-operator".into());
    format!("{host}-{}", std::process::id())
}
