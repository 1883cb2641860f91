//! `ironbind-operator`: runs the controllers against the cluster of the
//! current kubeconfig (or the in-cluster service account).

use clap::Parser;

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)?;
    if args.log_format == "json" {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let client = kube::Client::try_default().await?;
    tracing::info!("ironbind-operator starting");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = ironbind_operator::run_controllers(client) => {}
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted"),
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
    }
    Ok(())
}
