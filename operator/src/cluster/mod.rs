//! `Bind9Cluster`: a named set of primary and secondary instances. `children`
//! builds the `Bind9Instance`s a cluster asks for (pure); `controller` keeps
//! them as built, removes the ones scaled away, and writes the cluster's status.

pub mod children;
pub mod controller;
