//! ironbind-operator: reconciles the `bindy.firestoned.io` resources into pods
//! running the `ironbind` server.
//!
//! It talks to servers only through the versioned config document
//! (`server/src/config`, `version = 1`) and the server's control API, never by
//! linking the server crate. One module per kind; the objects a resource
//! owns are built by pure functions of it (unit-tested), then applied.

pub mod http;
pub mod instance;
pub mod leader;
pub mod metrics;

/// Runs every controller until one stops (the process then exits).
pub async fn run_controllers(client: kube::Client) {
    instance::controller::run(client).await;
}
