//! `Bind9Instance`: what the operator makes of one, as pure functions first
//! (`render`: the server's config document; `children`: the ConfigMap, Secret,
//! Deployment and Service it owns). The controller that applies them comes on
//! top of these.

pub mod children;
pub mod controller;
pub mod gate;
pub mod render;

#[cfg(test)]
mod tests;
