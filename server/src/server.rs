//! Server runtime.
