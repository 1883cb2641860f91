//! ironbind-operator: reconciles the `bindy.firestoned.io` resources into pods
//! running the `ironbind` server.
//!
//! It talks to servers only through the versioned config document
//! (`server/src/config`, `version = 1`) and the server's control API, never by
//! linking the server crate. One module per kind; the objects a resource
//! owns are built by pure functions of it (unit-tested), then applied by
//! `apply`, which writes only what differs.
//!
//! Order (a module uses only those after it): `leader > http > cluster >
//! zone > instance > events > apply > control > metrics`.

pub mod leader;
pub mod http;
pub mod cluster;
pub mod zone;
pub mod instance;
pub mod events;
pub mod apply;
pub mod control;
pub mod metrics;

/// Runs every controller until one stops (the process then exits).
pub async fn run_controllers(client: kube::Client) {
    tokio::select! {
        _ = instance::controller::run(client.clone()) => tracing::warn!("the Bind9Instance controller stopped"),
        _ = cluster::controller::run(client) => tracing::warn!("the Bind9Cluster controller stopped"),
    }
}
