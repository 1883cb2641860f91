//! The `ironbind` binary: parses flags and config, installs logging, maps
//! SIGTERM/SIGINT to the shutdown token and runs [`ironbind::runtime`].
//!
//! Exit status: 0 after a graceful shutdown, 2 for a bad command line or
//! config, 1 when the server cannot start (e.g. a port is taken).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use ironbind::config::Cli;
use ironbind::runtime;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = match cli.load() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("ironbind: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = runtime::init_tracing(&cfg.log) {
        eprintln!("ironbind: {e:#}");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("ironbind-rt").build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ironbind: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        let shutdown = CancellationToken::new();
        tokio::spawn(on_signals(shutdown.clone()));
        let reloader: runtime::ConfigReloader = Box::new(move || cli.load());
        runtime::run_with_reload(cfg, Some(reloader), shutdown).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "ironbind failed");
            eprintln!("ironbind: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// First SIGTERM/SIGINT: graceful shutdown. A second one: exit at once.
async fn on_signals(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::error!("cannot install SIGTERM/SIGINT handlers");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutting down");
    shutdown.cancel();
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
    tracing::warn!("second signal: exiting now");
    std::process::exit(1);
}
