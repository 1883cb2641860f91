//! `DNSZone`: what the operator makes of one, as pure functions first.
//! `build` turns a primary zone and the record objects attached to it into
//! the body of the server's `PUT /v1/zones/{zone}` (docs/CONTROL.md), saying
//! which records were accepted and why the others were refused. It makes no
//! API call and does no I/O; the controller that selects the records, adds
//! the transfer policy and PUTs the body comes on top of it.

pub mod build;
mod record;
mod text;

#[cfg(test)]
mod tests;
