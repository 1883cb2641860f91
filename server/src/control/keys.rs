//! TSIG keys through the API: listed by name and algorithm (never the
//! secret), added or replaced, deleted. API keys are saved in
//! `control/keys.json` (mode 0600) and merged over the config file's keys
//! at start and on every reload.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

use super::defs::KeyDef;
use super::{ApiError, Control};
use crate::lifecycle::Shared;
use crate::tsig::{Algorithm, AlgorithmSpec, Key, TsigError};
use crate::wire::name::{BareName, DisplayName};

/// `PUT /v1/keys/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// `hmac-sha256` (default), `hmac-sha1`, `hmac-sha384`, `hmac-sha512`, …;
    /// `hmac-sha256-128` and the like accept MACs truncated to that many bits.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// Base64 secret.
    pub secret: String,
}

/// One key as listed.
#[derive(Debug, Serialize)]
pub struct KeyView {
    name: String,
    algorithm: String,
    /// `api` or `config`.
    source: &'static str,
}

/// The answer to a `PUT`.
#[derive(Debug, Serialize)]
pub struct KeyPut {
    name: String,
    algorithm: String,
    changed: bool,
}

impl Control {
    /// `GET /v1/keys`.
    pub async fn list_keys(&self, rt: &Shared) -> Vec<KeyView> {
        let g = self.lock().await;
        let mut out: Vec<KeyView> = rt
            .catalog
            .keys()
            .iter()
            .map(|k| KeyView {
                name: BareName(&k.name).to_string(),
                algorithm: k.spec().to_string(),
                source: if g.keys.contains_key(&k.name) { "api" } else { "config" },
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// `PUT /v1/keys/{name}`.
    pub async fn put_key(&self, rt: &Shared, name: &str, body: KeyBody) -> Result<KeyPut, ApiError> {
        let algorithm = body.algorithm.unwrap_or_else(|| Algorithm::HmacSha256.name().into());
        let alg: AlgorithmSpec = algorithm.parse().map_err(|e: TsigError| ApiError::Invalid { field: "algorithm".into(), msg: e.to_string() })?;
        let def = KeyDef { name: name.trim_end_matches('.').to_string(), algorithm: alg.to_string(), secret: body.secret.trim().to_string() };
        let key: Key = def.key().map_err(|e| {
            let msg = e.to_string();
            let field = if msg.contains("secret") { "secret" } else { "name" };
            ApiError::Invalid { field: field.into(), msg }
        })?;
        let mut g = self.lock().await;
        let ring = rt.catalog.keys();
        if ring.get_wire(&key.name).is_some() && !g.keys.contains_key(&key.name) {
            return Err(ApiError::Conflict(format!("TSIG key {} is defined in the config file; change it there", BareName(&key.name))));
        }
        let changed = g.keys.get(&key.name) != Some(&def);
        if changed {
            let old = g.keys.insert(key.name.clone(), def);
            if let Err(e) = self.defs.save_keys(&g.keys) {
                match old {
                    Some(o) => g.keys.insert(key.name.clone(), o),
                    None => g.keys.remove(&key.name),
                };
                return Err(ApiError::Internal(format!("cannot save the keys: {e}")));
            }
            let mut ring = (*ring).clone();
            ring.insert(key.clone());
            rt.catalog.set_keys(ring);
            tracing::info!(key = %DisplayName(&key.name), algorithm = %alg, op = "key", "TSIG key set through the control API");
        }
        Ok(KeyPut { name: BareName(&key.name).to_string(), algorithm: alg.to_string(), changed })
    }

    /// `DELETE /v1/keys/{name}`: refused while an API zone names the key.
    pub async fn delete_key(&self, rt: &Shared, name: &str) -> Result<(), ApiError> {
        let wire = Key::new(name, Algorithm::HmacSha256, b"-")
            .map(|k| k.name)
            .map_err(|e| ApiError::BadRequest { field: Some("name".into()), msg: e.to_string() })?;
        let mut g = self.lock().await;
        let ring = rt.catalog.keys();
        if !g.keys.contains_key(&wire) {
            return Err(match ring.get_wire(&wire) {
                Some(_) => ApiError::Conflict(format!("TSIG key {} is defined in the config file; change it there", BareName(&wire))),
                None => ApiError::NotFound(format!("no TSIG key {}", BareName(&wire))),
            });
        }
        for d in g.zones.values() {
            if let Some((f, _)) = d.key_names().into_iter().find(|(_, k)| Key::new(k, Algorithm::HmacSha256, b"-").is_ok_and(|k| k.name == wire)) {
                return Err(ApiError::Conflict(format!("TSIG key {} is used by zone {} ({f}); change that zone first", BareName(&wire), d.name)));
            }
        }
        let old = g.keys.remove(&wire).expect("checked above");
        if let Err(e) = self.defs.save_keys(&g.keys) {
            g.keys.insert(wire, old);
            return Err(ApiError::Internal(format!("cannot save the keys: {e}")));
        }
        let mut ring = (*ring).clone();
        ring.remove(&BareName(&wire).to_string());
        rt.catalog.set_keys(ring);
        tracing::info!(key = %DisplayName(&wire), op = "key", "TSIG key deleted through the control API");
        Ok(())
    }
}
