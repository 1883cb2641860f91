//! `DNSZone` and the record kinds. `build` turns a primary zone and the
//! record objects attached to it into the body of the server's
//! `PUT /v1/zones/{zone}` (docs/CONTROL.md), saying which records were
//! accepted and why the others were refused (pure: no API call, no I/O);
//! `records` reads the record objects and writes their status; `push` brings
//! one pod's server in line through its control API; `controller` runs it all
//! for every zone.

pub mod build;
pub mod controller;
pub mod push;
pub mod records;
mod record;
mod text;

#[cfg(test)]
mod tests;
