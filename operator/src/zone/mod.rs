//! `DNSZone` and the record kinds: `build` turns a zone and its records into
//! the server's zone (pure), `records` reads the record objects and writes
//! their status, `push` brings one pod's server in line through its control
//! API, and `controller` runs it all for every zone.

pub mod build;
pub mod controller;
pub mod push;
pub mod records;
