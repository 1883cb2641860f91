//! `deploy/crds/` is what crdgen generates: the committed files must be
//! byte-identical to [`generate::files`] (else: regenerate with
//! [`generate::REGENERATE`]), the YAML must read back as the same CRDs, and
//! the `crdgen` binary must print and write exactly that.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use ironbind_crds::generate;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde::Deserialize;

#[test]
fn committed_crds_are_what_crdgen_generates() {
    let dir = support::repo_root().join("deploy/crds");
    let expected = generate::files(&generate::crds()).expect("renders");
    let mut stale = Vec::new();
    for (name, contents) in &expected {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(committed) if committed == *contents => {}
            Ok(_) => stale.push(format!("{name} differs")),
            Err(e) => stale.push(format!("{name}: {e}")),
        }
    }
    let wanted: BTreeSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    for entry in std::fs::read_dir(&dir).expect("deploy/crds exists") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && !wanted.contains(name.as_str()) {
            stale.push(format!("{name} is not generated any more"));
        }
    }
    assert!(stale.is_empty(), "deploy/crds is stale: {stale:?}\nregenerate with: {}", generate::REGENERATE);
}

#[test]
fn yaml_reads_back_as_the_same_crds() {
    let crds = generate::crds();
    let stream = generate::multi_document(&crds).expect("renders");
    let read: Vec<CustomResourceDefinition> =
        serde_norway::Deserializer::from_str(&stream).map(|de| CustomResourceDefinition::deserialize(de).expect("a CRD")).collect();
    assert_eq!(read, crds);
    for (name, contents) in generate::files(&crds).expect("renders") {
        if name != "kustomization.yaml" {
            let one: CustomResourceDefinition = serde_norway::from_str(&contents).expect("a CRD");
            assert_eq!(name, generate::file_name(&one));
        }
    }
}

#[test]
fn kustomization_lists_every_crd_file() {
    let crds = generate::crds();
    let k: serde_json::Value = serde_norway::from_str(&generate::kustomization(&crds)).expect("YAML");
    assert_eq!(k["kind"], "Kustomization");
    let listed: Vec<String> = k["resources"].as_array().expect("resources").iter().map(|r| r.as_str().expect("a file").to_string()).collect();
    let files: Vec<String> = crds.iter().map(generate::file_name).collect();
    assert_eq!(listed, files);
    assert!(files.iter().all(|f| f.ends_with(".bindy.firestoned.io.yaml")));
}

#[test]
fn the_binary_prints_and_writes_the_same() {
    let crds = generate::crds();
    let out = Command::new(env!("CARGO_BIN_EXE_crdgen")).output().expect("crdgen runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).expect("UTF-8"), generate::multi_document(&crds).expect("renders"));

    let dir = std::env::temp_dir().join(format!("ironbind-crdgen-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_crdgen")).arg("--out").arg(&dir).output().expect("crdgen runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (name, contents) in generate::files(&crds).expect("renders") {
        assert_eq!(std::fs::read_to_string(dir.join(&name)).expect("written"), contents, "{name}");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");

    let out = Command::new(env!("CARGO_BIN_EXE_crdgen")).arg("--bogus").output().expect("crdgen runs");
    assert_eq!(out.status.code(), Some(2), "usage error");
}
