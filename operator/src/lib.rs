//! ironbind-operator: reconciles the `bindy.firestoned.io` resources into pods
//! running the `ironbind` server.
//!
//! Empty until the Kubernetes issues. It will talk to servers only through the
//! versioned config document (`server/src/config`, `version = 1`) and the
//! server's control API, never by linking the server crate.
