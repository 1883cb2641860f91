//! ironbind-crds: the `bindy.firestoned.io/v1alpha1` custom resource types
//! (`Bind9Cluster`, `Bind9Instance`, `DNSZone`, record kinds), shared by the
//! operator and the CRD generator.
//!
//! Empty until the Kubernetes issues, which bring the types and their
//! contract (the manifests bindy users apply today). This crate will depend on serde, schemars and
//! kube's derive only, never on the kube client or on the server.
