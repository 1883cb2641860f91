//! The zone editor behind dynamic update (RFC 2136): the request layer's
//! [`Change`] run through [`Shared::edit_zone`].
//!
//! Owns: adapting one to the other — the change runs inside the edit (under
//! the zone's edit lock, against the version served at that moment, so the
//! prerequisites and the operations see the same data), an update that
//! changes nothing skips the build, and each [`EditError`] becomes the
//! RCODE the client gets. Also what a reload does with a zone taking
//! updates whose file is behind ([`keep_updated`]).
//! Must not: parse requests or decide access (that is
//! [`crate::query::update`]); serial, journal, publishing, persistence and
//! NOTIFY are [`super::edit`]'s.

#![forbid(unsafe_code)]

use std::sync::{Arc, Mutex};

use super::edit::EditError;
use super::Shared;
use crate::query::update::{Change, Committed, EditFuture, Next, UpdateError, ZoneEditor};
use crate::zone::Zone;

/// Commits UPDATEs to the zones of a runtime.
pub struct UpdateEditor(pub Arc<Shared>);

impl std::fmt::Debug for UpdateEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpdateEditor")
    }
}

/// What the change saw, carried out of the edit beside its result: an
/// update that stops the edit is not an [`EditError`] of the editor's.
#[derive(Default)]
struct Seen {
    /// Serial of the version the change ran against.
    served: Option<u32>,
    /// Why the change stopped the edit: a failed prerequisite, or `None` in
    /// `stopped` when nothing changed.
    stopped: Option<Option<UpdateError>>,
}

impl ZoneEditor for UpdateEditor {
    fn edit(&self, apex: &[u8], change: Change) -> EditFuture {
        let (rt, apex) = (self.0.clone(), apex.to_vec());
        Box::pin(async move {
            let seen = Arc::new(Mutex::new(Seen::default()));
            let inner = seen.clone();
            let edited = rt
                .edit_zone(&apex, move |z: &Zone| {
                    let result = change(z);
                    let mut s = inner.lock().unwrap_or_else(|p| p.into_inner());
                    s.served = Some(z.serial);
                    match result {
                        Ok(Next::Records(a)) => Ok(a.records),
                        Ok(Next::Unchanged) => {
                            s.stopped = Some(None);
                            Err(EditError::Refused("no changes".into()))
                        }
                        Err(e) => {
                            let msg = e.to_string();
                            s.stopped = Some(Some(e));
                            Err(EditError::Refused(msg))
                        }
                    }
                })
                .await;
            let s = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
            match (edited, s.stopped) {
                (Ok(e), _) => Ok(Committed { old_serial: s.served.unwrap_or(e.serial), serial: e.serial }),
                (Err(_), Some(None)) => {
                    let serial = s.served.unwrap_or_default();
                    Ok(Committed { old_serial: serial, serial })
                }
                (Err(_), Some(Some(e))) => Err(e),
                (Err(e), None) => Err(rcode_of(e)),
            }
        })
    }
}

/// The RCODE for an edit the editor refused.
fn rcode_of(e: EditError) -> UpdateError {
    match e {
        EditError::NotFound(z) => UpdateError::NotAuth(z),
        EditError::Secondary(z) => UpdateError::Refused(format!("{z} is a secondary zone")),
        // The result breaks a zone rule the operations do not cover (a name
        // below a DNAME, say): refused, nothing changed.
        e @ (EditError::Invalid { .. } | EditError::Refused(_)) => UpdateError::Refused(e.to_string()),
        EditError::Internal(m) => UpdateError::ServFail(m),
        e @ EditError::NotSaved(_) => UpdateError::ServFail(e.to_string()),
    }
}

/// The version to serve when the master file of a primary zone taking
/// updates holds an older serial than `base` (the served version, or at
/// startup the data-directory copy): `base`, which carries the updates. The
/// file replaces it only once its serial is raised above `base`'s (edit the
/// file from the served zone, as with BIND's `rndc freeze`/`thaw`). `None`
/// when `base` cannot be rebuilt (then the file is loaded as usual).
pub fn keep_updated(name: &str, file: &Zone, base: &Zone) -> Option<Zone> {
    let kept = crate::zone::build::build_zone(&base.origin, crate::xfr::diff::zone_records(base)).ok()?;
    tracing::info!(zone = %name, serial = kept.serial, file_serial = file.serial, op = "load",
        "zone {name}: serving serial {} with its dynamic updates; the file's serial {} is older (raise it above {} to replace them)", kept.serial, file.serial, kept.serial);
    Some(kept)
}
