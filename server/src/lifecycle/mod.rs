//! The zone lifecycle: every event that makes, changes or drops a served
//! zone version, one module per event (as Knot keeps one handler per event).
//!
//! Owns: [`Shared`] (what the zone tasks share) and the events:
//!
//! ```text
//!  primary    load a master file at start, reload on SIGHUP, drop a removed zone
//!  secondary  one task per zone: refresh / retry / expire timers, NOTIFY wake-ups
//!  inbound    one refresh from one primary: SOA, IXFR or AXFR in, the new version
//!  notify     NOTIFY out after a change, retried, TSIG-signed
//!  edit       changes that come from neither a file nor a transfer (API PUT, UPDATE)
//!  update     RFC 2136 changes adapted to `edit`
//! ```
//!
//! Every new version is committed through [`crate::store::Store`]. Must
//! not: frame DNS on sockets itself ([`crate::remote`] talks to other
//! servers) or parse configuration ([`crate::config`] hands settings down).

#![forbid(unsafe_code)]

pub mod edit;
pub mod inbound;
pub mod notify;
pub mod primary;
pub mod secondary;
pub mod update;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::config::TransferConfig;
use crate::store::Store;
use crate::zone::set::ZoneSet;
use notify::Notifier;

/// What the zone tasks share: the served table, the transfer catalog, the
/// data directory and the NOTIFY sender.
pub struct Shared {
    /// The served zones.
    pub zones: Arc<ZoneSet>,
    /// Transfer policy, journals, refresh wake-ups and TSIG keys.
    pub catalog: Arc<Catalog>,
    /// The data directory.
    pub store: Store,
    /// NOTIFY out.
    pub notifier: Notifier,
    /// Transfer timing (fixed until restart).
    pub transfer: TransferConfig,
    /// The server's shutdown token; zone tasks hold children of it.
    pub shutdown: CancellationToken,
    /// One edit (or reload) at a time per zone ([`edit`]).
    pub edits: edit::EditLocks,
}
