//! docs/openapi.yaml against the implementation: the described routes are
//! exactly the routes the router is built from, and every described route
//! answers through the real binary (not the router's 404 or 405).

mod control_common;
mod xfr_common;

use std::collections::BTreeSet;

use control_common::*;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn spec() -> serde_norway::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn described(doc: &serde_norway::Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut out = BTreeSet::new();
    for (p, ops) in paths {
        for (m, _) in ops.as_mapping().expect("path item") {
            let m = m.as_str().unwrap();
            if METHODS.contains(&m) {
                out.insert((p.as_str().unwrap().to_string(), m.to_ascii_uppercase()));
            }
        }
    }
    out
}

/// Every `$ref` in `v` names a component that exists.
fn check_refs(v: &serde_norway::Value, doc: &serde_norway::Value) {
    match v {
        serde_norway::Value::Mapping(m) => {
            for (k, val) in m {
                if k.as_str() == Some("$ref") {
                    let r = val.as_str().unwrap();
                    let mut at = doc;
                    for part in r.trim_start_matches("#/").split('/') {
                        at = &at[part];
                    }
                    assert!(!at.is_null(), "dangling $ref {r}");
                }
                check_refs(val, doc);
            }
        }
        serde_norway::Value::Sequence(s) => s.iter().for_each(|x| check_refs(x, doc)),
        _ => {}
    }
}

#[test]
fn openapi_matches_the_router() {
    let doc = spec();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "not OpenAPI 3");
    check_refs(&doc, &doc);
    let described = described(&doc);
    let served: BTreeSet<(String, String)> = ironbind::control::routes().into_iter().map(|(p, m)| (p.to_string(), m.to_string())).collect();
    let missing: Vec<_> = served.difference(&described).collect();
    let extra: Vec<_> = described.difference(&served).collect();
    assert!(missing.is_empty(), "served but not in docs/openapi.yaml: {missing:?}");
    assert!(extra.is_empty(), "in docs/openapi.yaml but not served: {extra:?}");

    // Every described route answers through the real binary.
    let s = start("ctl-openapi", &[]);
    let mut order: Vec<&(String, String)> = described.iter().collect();
    order.sort_by_key(|(_, m)| (m == "DELETE", m != "PUT"));
    for (path, method) in order {
        let url = path.replace("{zone}", "example.org").replace("{name}", "probe-key");
        let body = match (method.as_str(), path.starts_with("/v1/keys")) {
            ("PUT", true) => Some(json!({"secret": SECRET})),
            ("PUT", false) => Some(primary("192.0.2.1", &[], &[])),
            _ => None,
        };
        let r = s.api.call(method, &url, body.as_ref());
        let router_miss = r.status == 405 || (r.status == 404 && r.body.contains("no such endpoint"));
        assert!(!router_miss, "{method} {url}: {} {}", r.status, r.body);
        assert!(r.status < 500, "{method} {url}: {} {}", r.status, r.body);
    }
    // The check above can fail: an undescribed method and path.
    let r = s.api.call("PATCH", "/v1/zones/example.org", None);
    assert_eq!(r.status, 405);
    let r = s.api.call("GET", "/v1/zonez", None);
    assert!(r.status == 404 && r.body.contains("no such endpoint"), "{}", r.body);
}
