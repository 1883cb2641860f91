//! Bringing one pod's server in line with a zone through its control API:
//! the transfer key, then the zone (a primary's data and transfer policy, or a
//! secondary's primaries). Each pod is asked what it holds first, and a PUT
//! is made only when what it reports differs from what this process last
//! gave it, so an idle operator sends nothing and a new or restarted pod is
//! brought up to date with no special case.
//!
//! Owns: the per-pod comparison and the requests, and the memory of what was
//! pushed where. Must not: decide what a zone holds (`build`) or who serves it
//! (`select`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::apply::desired_hash;
use crate::control::{ControlError, Endpoint, ZoneState};
use crate::metrics;

/// A TSIG key as the control API takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Its name (a domain name).
    pub name: String,
    /// Base64 secret (HMAC-SHA256).
    pub secret: String,
}

/// What this process last pushed where: (pod address, what) → (hash of the
/// request, the content hash the server answered).
#[derive(Default)]
pub struct Pushed {
    map: Mutex<HashMap<Target, Sent>>,
}

/// A pod's control API and what was pushed there (`zone example.com`, `key k`).
type Target = (SocketAddr, String);
/// The hash of the request and the content hash the server answered.
type Sent = (String, Option<String>);

impl Pushed {
    fn get(&self, addr: SocketAddr, what: &str) -> Option<(String, Option<String>)> {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).get(&(addr, what.to_string())).cloned()
    }

    fn put(&self, addr: SocketAddr, what: &str, hash: String, content: Option<String>) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).insert((addr, what.to_string()), (hash, content));
    }

    /// Forgets every pod not in `live` (gone).
    pub fn forget_except(&self, live: &[SocketAddr]) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).retain(|(a, _), _| live.contains(a));
    }
}

/// What a pod reported for one zone after the sync.
#[derive(Debug, Clone, Default)]
pub struct PodZone {
    /// Served at all.
    pub served: bool,
    /// The serial served.
    pub serial: Option<u32>,
    /// Its content hash.
    pub content_hash: Option<String>,
    /// Records served.
    pub record_count: Option<usize>,
    /// Whether a PUT was made now.
    pub pushed: bool,
}

fn find<'a>(held: &'a [ZoneState], apex: &str) -> Option<&'a ZoneState> {
    let a = apex.trim_end_matches('.');
    held.iter().find(|z| z.name.trim_end_matches('.').eq_ignore_ascii_case(a))
}

async fn ensure_key(ep: &Endpoint, pushed: &Pushed, key: &Key) -> Result<(), ControlError> {
    let what = format!("key {}", key.name);
    let hash = desired_hash(&(&key.name, &key.secret));
    if pushed.get(ep.addr, &what).is_some_and(|(h, _)| h == hash) {
        return Ok(());
    }
    let body = json!({"algorithm": "hmac-sha256", "secret": key.secret});
    metrics::global().api_write("ControlKey", "put");
    ep.call("PUT", &format!("/v1/keys/{}", key.name), Some(body.to_string().as_bytes())).await?;
    pushed.put(ep.addr, &what, hash, None);
    Ok(())
}

/// Makes `ep` serve `apex` as described by `body` (a whole PUT body, primary
/// or secondary), after installing `key`. A primary that does not hold the
/// zone yet (a new or replaced pod) starts it at `start_serial`, the serial
/// the zone's other servers have, so it never answers with another one.
pub async fn sync_zone(
    ep: &Endpoint,
    pushed: &Pushed,
    key: Option<&Key>,
    apex: &str,
    body: &Value,
    start_serial: Option<u32>,
) -> Result<PodZone, ControlError> {
    if let Some(k) = key {
        ensure_key(ep, pushed, k).await?;
    }
    let held = ep.zones().await?;
    let now = find(&held, apex);
    let what = format!("zone {apex}");
    let hash = desired_hash(body);
    let secondary = body.get("type").and_then(Value::as_str) == Some("secondary");
    let up_to_date = match (pushed.get(ep.addr, &what), now) {
        // A primary: the content the server reports is what it answered to our last PUT of this body.
        (Some((h, content)), Some(z)) if !secondary => h == hash && content.is_some() && content == z.content_hash,
        // A secondary: defined with this body; its content comes by transfer.
        (Some((h, _)), Some(z)) => h == hash && z.kind == "secondary",
        _ => false,
    };
    if up_to_date {
        let z = now.expect("up to date implies present");
        return Ok(PodZone { served: z.served, serial: z.serial, content_hash: z.content_hash.clone(), record_count: z.record_count, pushed: false });
    }
    let mut sent = body.clone();
    if let (None, Some(serial), false) = (now, start_serial, secondary) {
        if let Some(soa) = sent.get_mut("soa").and_then(Value::as_object_mut) {
            soa.entry("serial").or_insert(json!(serial));
        }
    }
    metrics::global().api_write("ControlZone", "put");
    let answer = ep.call("PUT", &format!("/v1/zones/{apex}"), Some(sent.to_string().as_bytes())).await?;
    let a: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
    let content = a.get("contentHash").and_then(Value::as_str).map(str::to_string);
    pushed.put(ep.addr, &what, hash, content.clone());
    let serial = a.get("serial").and_then(Value::as_u64).and_then(|s| u32::try_from(s).ok());
    Ok(PodZone { served: !secondary || serial.is_some(), serial, content_hash: content, record_count: None, pushed: true })
}

/// Stops `ep` serving `apex` (a missing zone is fine).
pub async fn remove_zone(ep: &Endpoint, pushed: &Pushed, apex: &str) -> Result<(), ControlError> {
    let held = ep.zones().await?;
    if find(&held, apex).is_none() {
        return Ok(());
    }
    metrics::global().api_write("ControlZone", "delete");
    ep.call("DELETE", &format!("/v1/zones/{apex}"), None).await?;
    pushed.put(ep.addr, &format!("zone {apex}"), String::new(), None);
    Ok(())
}
