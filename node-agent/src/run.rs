//! The agent from start to shutdown: the client, the kubelet endpoint,
//! the Node and its heartbeat, the pod watch; on SIGTERM or SIGINT every
//! pod process stopped, the Node marked NotReady, the endpoint closed.
//!
//! Owns: the order of start and stop. Must not: hold any rule of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use crate::cli::{Args, ImageMap};
use crate::ipam::Allocator;
use crate::node::{self, NodeInfo};
use crate::pods::{self, worker::NodeCtx, Registry};
use crate::process::is_root;

/// The API client from `--kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`.
pub async fn client(kubeconfig: Option<&std::path::Path>) -> anyhow::Result<Client> {
    let config = match kubeconfig {
        Some(p) => {
            let kc = Kubeconfig::read_from(p).with_context(|| format!("reading {}", p.display()))?;
            Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?
        }
        None => Config::infer().await?,
    };
    Ok(Client::try_from(config)?)
}

/// Runs the agent until SIGTERM or SIGINT.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let images = ImageMap::parse(&args.image_binary)?;
    std::fs::create_dir_all(&args.state_dir).with_context(|| format!("creating {}", args.state_dir.display()))?;
    if !is_root() {
        tracing::warn!("not running as root: pods run without mount namespaces, and pods with volume mounts are refused");
    }
    let client = client(args.kubeconfig.as_deref()).await?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;

    let shutdown = CancellationToken::new();
    let registry = Registry::default();
    let (addr, server) = crate::kubelet::serve(args.port, registry.clone(), shutdown.clone()).await?;
    let info = NodeInfo::local(&args.node_name, addr.port());
    node::register(&client, &info).await?;
    tracing::info!(node = %info.name, kubelet = %addr, state_dir = %args.state_dir.display(), "node agent ready");

    let beat = tokio::spawn(node::keep_alive(client.clone(), info, Duration::from_secs(args.heartbeat.max(1)), shutdown.clone()));
    let ctx = NodeCtx {
        events: crate::events::Events::new(client.clone(), &args.node_name),
        client,
        node_name: args.node_name.clone(),
        state_dir: args.state_dir.clone(),
        images: Arc::new(images),
        ipam: Arc::new(Mutex::new(Allocator::new(args.pod_subnet))),
        registry,
        volume_refresh: Duration::from_secs(args.volume_refresh.max(1)),
    };
    let pods = tokio::spawn(pods::run(ctx, shutdown.clone()));
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    shutdown.cancel();
    let _ = pods.await;
    let _ = beat.await;
    let _ = server.await;
    tracing::info!("stopped");
    Ok(())
}
