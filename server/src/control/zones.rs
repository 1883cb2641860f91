//! Zone operations of the API: `PUT` (create or edit, idempotent), `DELETE`,
//! and the NOTIFY and refresh triggers.
//!
//! A new primary is built, its definition saved, then published; an
//! existing one goes through [`Shared::edit_zone`] (diff, journal, NOTIFY).
//! A zone keeps its type: changing it needs a `DELETE` first (`409`).

#![forbid(unsafe_code)]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::Serialize;

use super::body::{field_of, ZoneBody};
use super::defs::{Kind, ZoneDef};
use super::{ApiError, Control, Inner};
use crate::clock::unix_now as now_unix;
use crate::lifecycle::edit::{invalid, with_serial, ContentDigest, EditError};
use crate::lifecycle::Shared;
use crate::metrics::events::{self, LimitSource};
use crate::wire::name::DisplayName;
use crate::zone::build::build_zone;
use crate::zone::limits::{Limit, Tally, ZoneLimits};
use crate::zone::RecordSource;

/// The answer to `PUT /v1/zones/{zone}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutResult {
    /// The serial served now (`null` for a secondary not transferred yet).
    pub serial: Option<u32>,
    /// Content hash of the served version.
    pub content_hash: Option<String>,
    /// True when the served records (primary) or the definition (secondary) changed.
    pub changed: bool,
    /// True when the zone did not exist before.
    pub created: bool,
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound(z) => ApiError::NotFound(format!("zone {z} is not served here")),
            e @ EditError::Secondary(_) => ApiError::Conflict(e.to_string()),
            EditError::Invalid { field, reason } => ApiError::Invalid { field: field_of(&field), msg: reason },
            EditError::Refused(m) => ApiError::Conflict(m),
            EditError::Internal(m) => ApiError::Internal(m),
            e @ EditError::NotSaved(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl Control {
    /// 409 when the zone at `apex` exists but the config file defines it.
    fn check_owner(&self, g: &Inner, rt: &Shared, apex: &[u8]) -> Result<(), ApiError> {
        let exists = rt.catalog.get(apex).is_some() || rt.zones.load().get(apex).is_some();
        if exists && !g.owns(apex) {
            return Err(ApiError::Conflict(format!("zone {} is defined in the config file; change it there", DisplayName(apex))));
        }
        Ok(())
    }

    /// `PUT /v1/zones/{zone}`.
    pub async fn put_zone(&self, rt: &Arc<Shared>, apex: Box<[u8]>, body: ZoneBody) -> Result<PutResult, ApiError> {
        let def = body.def(&apex);
        let limits = def.policy().map_err(ApiError::invalid)?.limits(rt.transfer.zone_limits());
        too_large(&apex, limits, body.record_count(), 0)?;
        let (owned, b) = (apex.clone(), body);
        let (records, hint) = tokio::task::spawn_blocking(move || b.records(&owned))
            .await
            .map_err(|e| ApiError::Internal(format!("parsing the body panicked: {e}")))?
            .map_err(ApiError::invalid)?;
        let bytes = records.records.iter().map(|r| (r.owner.len() + 10 + r.rdata.len()) as u64).sum();
        too_large(&apex, limits, records.records.len() as u64, bytes)?;
        let mut g = self.lock().await;
        self.check_owner(&g, rt, &apex)?;
        let keys = rt.catalog.keys();
        if let Some((f, k)) = def.key_names().into_iter().find(|(_, k)| keys.get(k).is_none()) {
            return Err(ApiError::Invalid { field: f, msg: format!("TSIG key {k:?} is not defined; PUT /v1/keys/{k} first") });
        }
        if let Some(old) = g.zones.get(&apex).filter(|d| d.kind != def.kind) {
            return Err(ApiError::Conflict(format!(
                "zone {} is a {} zone; DELETE it first to make it a {} zone",
                DisplayName(&apex),
                old.kind.as_str(),
                def.kind.as_str()
            )));
        }
        match def.kind {
            Kind::Primary => {
                let result = self.put_primary(&mut g, rt, &apex, def, records, hint).await;
                super::record(rt, &apex, "put", result.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into()));
                result
            }
            // A secondary's lastLoad is its last load or transfer, not its definition.
            Kind::Secondary => self.put_secondary(&mut g, rt, &apex, def),
        }
    }

    async fn put_primary(
        &self,
        g: &mut Inner,
        rt: &Arc<Shared>,
        apex: &[u8],
        def: ZoneDef,
        records: RecordSource,
        hint: Option<u32>,
    ) -> Result<PutResult, ApiError> {
        let policy = def.policy().map_err(ApiError::invalid)?;
        if rt.zones.load().get(apex).is_none() {
            return self.create_primary(g, rt, apex, def, records, hint).await;
        }
        let old_policy = rt.catalog.get(apex).map(|c| c.policy());
        let ctl = rt.catalog.upsert(apex, policy);
        let owned: Box<[u8]> = apex.into();
        let edited = rt
            .edit_zone(apex, move |served| {
                let mut records = records;
                let serial = hint.unwrap_or(served.serial);
                set_serial(&mut records, &owned, serial)?;
                Ok(records)
            })
            .await;
        let edited = match edited {
            Ok(e) => e,
            Err(e) => {
                if let Some(p) = old_policy {
                    ctl.set_policy((*p).clone());
                }
                return Err(e.into());
            }
        };
        rt.notifier.set_key(apex, def.notify_key.clone());
        self.save_def(g, apex, def)?;
        Ok(PutResult { serial: Some(edited.serial), content_hash: Some(edited.content_hash), changed: edited.changed, created: false })
    }

    async fn create_primary(
        &self,
        g: &mut Inner,
        rt: &Arc<Shared>,
        apex: &[u8],
        def: ZoneDef,
        mut records: RecordSource,
        hint: Option<u32>,
    ) -> Result<PutResult, ApiError> {
        let _edit = rt.edits.lock(apex).await;
        // Unix time: a zone deleted and created again still moves forward
        // for secondaries that kept the old one.
        set_serial(&mut records, apex, hint.unwrap_or(now_unix() as u32))?;
        let owned: Box<[u8]> = apex.into();
        let (zone, digest) = tokio::task::spawn_blocking(move || {
            build_zone(&owned, records).map(|z| {
                let d = ContentDigest::of(&z);
                (z, d)
            })
        })
        .await
        .map_err(|e| ApiError::Internal(format!("building the zone panicked: {e}")))?
        .map_err(|e| ApiError::from(invalid(e)))?;
        let policy = def.policy().map_err(ApiError::invalid)?;
        self.save_def(g, apex, def.clone())?;
        let ctl = rt.catalog.upsert(apex, policy);
        rt.notifier.set_key(apex, def.notify_key.clone());
        rt.store.settled(apex).await;
        let (serial, records) = (zone.serial, zone.record_count());
        // No history to journal: served once the zone file is written.
        rt.store.commit(&rt.zones, &ctl, zone, None, None).await.map_err(|e| ApiError::Internal(e.to_string()))?;
        if let Some(now) = rt.zones.load().get(apex).map(|s| s.zone.clone()) {
            rt.edits.digests.put(&now, digest);
        }
        rt.notifier.zone_changed(apex);
        tracing::info!(zone = %DisplayName(apex), serial, records, op = "create", "zone created through the control API");
        Ok(PutResult { serial: Some(serial), content_hash: Some(digest.hex()), changed: true, created: true })
    }

    fn put_secondary(&self, g: &mut Inner, rt: &Arc<Shared>, apex: &[u8], def: ZoneDef) -> Result<PutResult, ApiError> {
        let created = !g.owns(apex);
        let changed = g.zones.get(apex) != Some(&def);
        if changed {
            self.save_def(g, apex, def)?;
            let specs = g.secondary_specs();
            g.secondaries.apply(rt, specs);
            tracing::info!(zone = %DisplayName(apex), op = if created { "create" } else { "update" }, "secondary zone defined through the control API");
        }
        let served = rt.zones.load().get(apex).map(|s| s.zone.clone());
        Ok(PutResult {
            serial: served.as_ref().map(|z| z.serial),
            content_hash: served.as_ref().map(|z| rt.edits.digests.get(z).hex()),
            changed,
            created,
        })
    }

    /// Saves `def` into zones.json; on failure nothing is kept.
    fn save_def(&self, g: &mut Inner, apex: &[u8], def: ZoneDef) -> Result<(), ApiError> {
        if g.zones.get(apex) == Some(&def) {
            return Ok(());
        }
        let old = g.zones.insert(apex.into(), def);
        if let Err(e) = self.defs.save_zones(&g.zones) {
            match old {
                Some(o) => g.zones.insert(apex.into(), o),
                None => g.zones.remove(apex),
            };
            tracing::error!(zone = %DisplayName(apex), error = %e, "cannot save the control API's zone definitions");
            return Err(ApiError::Internal(format!("cannot save the zone definition: {e}")));
        }
        Ok(())
    }

    /// `DELETE /v1/zones/{zone}`: stops serving it and removes its files.
    pub async fn delete_zone(&self, rt: &Arc<Shared>, apex: &[u8]) -> Result<(), ApiError> {
        let mut g = self.lock().await;
        let Some(def) = g.zones.remove(apex) else {
            self.check_owner(&g, rt, apex)?;
            return Err(ApiError::NotFound(format!("zone {} is not served here", DisplayName(apex))));
        };
        if let Err(e) = self.defs.save_zones(&g.zones) {
            g.zones.insert(apex.into(), def);
            return Err(ApiError::Internal(format!("cannot save the zone definitions: {e}")));
        }
        match def.kind {
            Kind::Primary => {
                let _edit = rt.edits.lock(apex).await;
                rt.zones.remove(apex);
                rt.catalog.remove(apex);
                rt.notifier.set_key(apex, None);
                rt.store.remove(apex);
            }
            Kind::Secondary => {
                // Stops its task; the zone, its catalog entry and files go.
                let specs = g.secondary_specs();
                g.secondaries.apply(rt, specs);
                rt.notifier.set_key(apex, None);
            }
        }
        rt.store.settled(apex).await;
        rt.edits.digests.forget(apex);
        tracing::info!(zone = %DisplayName(apex), op = "remove", "zone deleted through the control API; no longer served, files removed");
        Ok(())
    }

    /// `POST /v1/zones/{zone}/notify`: NOTIFY the zone's secondaries now.
    pub fn notify(&self, rt: &Shared, apex: &[u8]) -> Result<(), ApiError> {
        if rt.zones.load().get(apex).is_none() {
            return Err(ApiError::NotFound(format!("zone {} is not served here", DisplayName(apex))));
        }
        rt.notifier.zone_changed(apex);
        Ok(())
    }

    /// `POST /v1/zones/{zone}/refresh`: a secondary checks its primaries now;
    /// with `force`, transfers the whole zone whatever the serials say.
    pub fn refresh(&self, rt: &Shared, apex: &[u8], force: bool) -> Result<(), ApiError> {
        let Some(ctl) = rt.catalog.get(apex) else {
            return Err(ApiError::NotFound(format!("zone {} is not served here", DisplayName(apex))));
        };
        if !ctl.policy().is_secondary() {
            return Err(ApiError::Conflict(format!("zone {} is a primary zone; only a secondary zone refreshes from primaries", DisplayName(apex))));
        }
        if force {
            ctl.force_refresh.store(true, Ordering::Relaxed);
        }
        ctl.refresh.notify_one();
        tracing::info!(zone = %DisplayName(apex), op = "refresh", force, "refresh requested through the control API");
        Ok(())
    }
}

/// 413 when a zone of `records` records and `bytes` octets is over
/// `limits`; logged and counted as the transfers and files over theirs are.
fn too_large(apex: &[u8], limits: ZoneLimits, records: u64, bytes: u64) -> Result<(), ApiError> {
    let Err(l) = Tally::check(limits, records, bytes) else { return Ok(()) };
    events::zone_limit_exceeded(LimitSource::Api, l.which);
    tracing::warn!(zone = %DisplayName(apex), op = "put", limit = l.which.label(), max = l.limit, "zone PUT refused: {l}");
    let field = match l.which {
        Limit::Records => "maxRecords",
        Limit::Bytes => "maxZoneBytes",
    };
    Err(ApiError::TooLarge {
        field: field.into(),
        msg: format!("{l}; raise the zone's {field} or the server's [transfer] {} to accept it", l.which.label()),
    })
}

/// Sets the serial of the SOA `records` starts with.
fn set_serial(records: &mut RecordSource, apex: &[u8], serial: u32) -> Result<(), EditError> {
    let soa = records.records.first_mut().filter(|r| r.rtype == crate::wire::rtype::SOA && *r.owner == *apex);
    let soa = soa.ok_or_else(|| EditError::Invalid { field: "soa".into(), reason: "the SOA record is missing".into() })?;
    let rdata = with_serial(&soa.rdata, serial).ok_or_else(|| EditError::Invalid { field: "soa".into(), reason: "malformed SOA".into() })?;
    soa.rdata = rdata.into();
    Ok(())
}
