//! Serving the API's zones at start: primaries from their data-directory
//! copy (with their journal, so secondaries still get IXFR), secondaries
//! through the same refresh tasks as `--secondary` zones.

#![forbid(unsafe_code)]

use std::sync::Arc;

use super::defs::{Kind, ZoneDef};
use super::{Control, Inner};
use crate::lifecycle::secondary::SecondarySpec;
use crate::lifecycle::Shared;
use crate::wire::name::{BareName, DisplayName};
use crate::xfr::journal::{Journal, JournalLimits};

impl Inner {
    /// The refresh-task specs of the API's secondary zones.
    pub(super) fn secondary_specs(&self) -> Vec<SecondarySpec> {
        self.zones
            .iter()
            .filter(|(_, d)| d.kind == Kind::Secondary)
            .filter_map(|(apex, d)| {
                Some(SecondarySpec {
                    name: BareName(apex).to_string(),
                    apex: apex.clone(),
                    policy: d.policy().ok()?,
                    notify_key: d.notify_key.clone(),
                })
            })
            .collect()
    }
}

impl Control {
    /// Serves every zone the API defined: called once at start, after the
    /// config file's zones.
    pub async fn start_zones(&self, g: &mut Inner, rt: &Arc<Shared>) {
        for (apex, def) in g.zones.iter().filter(|(_, d)| d.kind == Kind::Primary) {
            self.load_primary(rt, apex, def).await;
        }
        let specs = g.secondary_specs();
        g.secondaries.apply(rt, specs);
    }

    async fn load_primary(&self, rt: &Arc<Shared>, apex: &[u8], def: &ZoneDef) {
        let Ok(policy) = def.policy() else { return };
        let ctl = rt.catalog.upsert(apex, policy);
        rt.notifier.set_key(apex, def.notify_key.clone());
        let (store, owned) = (rt.store.clone(), Box::<[u8]>::from(apex));
        let saved = tokio::task::spawn_blocking(move || store.load(&owned)).await.unwrap_or_default();
        // Edits are served once journalled: the copy may lag behind the journal.
        let saved = crate::store::roll_forward(&BareName(apex).to_string(), saved).await;
        let stale_copy = saved.rolled_forward;
        let journal = match (saved.journal, &saved.zone) {
            (Some(j), Some(z)) if j.leads_to(z) => j,
            (j, _) => {
                let fresh = Journal::new(apex, JournalLimits::default());
                if j.is_some_and(|j| !j.is_empty()) {
                    rt.store.save_journal(&fresh);
                }
                fresh
            }
        };
        *ctl.journal.lock().unwrap_or_else(|p| p.into_inner()) = journal;
        let name = DisplayName(apex);
        match saved.zone {
            Some(zone) => {
                let (serial, records) = (zone.serial, zone.record_count());
                rt.zones.insert(Arc::new(zone));
                if stale_copy {
                    rt.store.save_served_later(&rt.zones, apex);
                }
                rt.notifier.zone_changed(apex);
                tracing::info!(zone = %name, serial, records, op = "load", "zone loaded from the data directory (defined through the control API)");
                ctl.record("load", "ok");
            }
            None => {
                tracing::error!(zone = %name, op = "load", "zone {name} is defined through the control API but the data directory holds no usable copy; not served until it is PUT again");
                ctl.record("load", "no usable copy in the data directory; PUT the zone again");
            }
        }
    }
}
