//! The CRDs against the real API server of the local cluster
//! (`deploy/local/cluster.sh`, which installs `deploy/crds/`): every seed and
//! bindy example passes `kubectl apply --dry-run=server`, and every manifest of
//! `deploy/examples/invalid/` is refused with a message naming its field.
//! Skips where no cluster can run; fails under `CI=true`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ironbind_test_support::{workspace_root, Cluster};

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    v
}

/// The complete manifests (the seed's fragments are excerpts of another manifest).
fn valid_examples() -> Vec<PathBuf> {
    let root = workspace_root().join("deploy/examples");
    let mut v = yaml_files(&root.join("seed"));
    v.retain(|p| !p.file_name().unwrap().to_str().unwrap().contains("-fragment-"));
    v.extend(yaml_files(&root.join("bindy")));
    v
}

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn crds_are_served_and_the_examples_are_judged_as_the_api_server_judges_them() {
    let Some(c) = Cluster::start() else { return };
    // Installed by cluster.sh: twelve kinds of bindy.firestoned.io, established.
    let crds = c.kubectl_ok(&["get", "crd", "-o", "name"]);
    let ours: Vec<&str> = crds.lines().filter(|l| l.ends_with(".bindy.firestoned.io")).collect();
    assert_eq!(ours.len(), 12, "{crds}");
    c.kubectl_ok(&["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);

    // Namespaces the examples name must exist for a dry run of namespaced objects.
    let examples = valid_examples();
    assert!(examples.len() >= 8, "{examples:?}");
    let namespaces: BTreeSet<String> = examples
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter_map(|l| l.trim().strip_prefix("namespace:").map(|n| n.trim().to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    for ns in &namespaces {
        c.kubectl_ok(&["create", "namespace", ns]);
    }
    for f in &examples {
        let out = c.kubectl(&["apply", "--dry-run=server", "-f", f.to_str().unwrap()]);
        assert!(out.status.success(), "{} refused:\n{}", f.display(), text(&out));
    }

    // Each invalid manifest is refused by the server itself (kubectl's own validation off),
    // naming the field of its `# expect-rejection:` line.
    let invalid = yaml_files(&workspace_root().join("deploy/examples/invalid"));
    assert!(invalid.len() >= 4, "{invalid:?}");
    for f in &invalid {
        let body = std::fs::read_to_string(f).unwrap();
        let field = body
            .lines()
            .find_map(|l| l.strip_prefix("# expect-rejection:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{}: no expect-rejection line", f.display()));
        let out = c.kubectl(&["apply", "--validate=false", "--dry-run=server", "-f", f.to_str().unwrap()]);
        let said = text(&out);
        assert!(!out.status.success(), "{} was accepted:\n{said}", f.display());
        assert!(said.contains(field), "{}: the refusal does not name {field}:\n{said}", f.display());
    }
}
