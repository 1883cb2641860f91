//! Fuzz target `control_body`: arbitrary bytes as the JSON body of
//! `PUT /v1/zones/example.com` (`control::body::ZoneBody`: its zone
//! definition and policy, its records, then the zone built from them) and as
//! a TSIG key definition (`control::defs::KeyDef`, the form `PUT /v1/keys`
//! stores, turned into a key).
//!
//! Owns: the path from body bytes to records and keys, as the control API
//! runs it before it touches the server (`serde_path_to_error`, as
//! `control::http` parses).
//! Must not: start the API or a runtime.

#![no_main]

use ironbind::control::body::ZoneBody;
use ironbind::control::defs::KeyDef;
use ironbind::tsig::AlgorithmSpec;
use ironbind::zone::build::build_zone;
use ironbind_fuzz::{wire, ORIGIN};
use libfuzzer_sys::fuzz_target;

fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<T> {
    let de = &mut serde_json::Deserializer::from_slice(data);
    serde_path_to_error::deserialize(de).ok()
}

fuzz_target!(|data: &[u8]| {
    let apex = wire(ORIGIN);
    if let Some(body) = parse::<ZoneBody>(data) {
        let _ = body.def(&apex).policy();
        if let Ok((src, _serial)) = body.records(&apex) {
            let _ = build_zone(&apex, src);
        }
    }
    if let Some(def) = parse::<KeyDef>(data) {
        let _ = def.algorithm.parse::<AlgorithmSpec>();
        let _ = def.key();
    }
});
