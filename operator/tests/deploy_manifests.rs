//! `deploy/` against the local cluster's real API server: `kubectl kustomize
//! deploy/` renders and passes a server-side dry run; the operator's
//! ServiceAccount gets exactly the permissions deploy/rbac promises (every
//! verb on every resource it could want, asked of the API server's RBAC
//! authorizer through SubjectAccessReviews, and the usual examples through
//! `kubectl auth can-i`); `operator.kubeconfig` (what `cluster.sh up` gives the
//! local operator) acts as that ServiceAccount; the complete example passes a
//! server-side dry run and its instances resolve to a primary and a secondary.
//!
//! Skips where no cluster can be built, fails under `CI=true`.

use std::path::Path;

use ironbind_crds::v1alpha1::Bind9Instance;
use ironbind_test_support::{workspace_root, Cluster};
use serde_json::Value;

const SA: &str = "system:serviceaccount:ironbind-system:ironbind-operator";
const VERBS: [&str; 8] = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

/// The plurals of deploy/crds, from its kustomization (so a new kind must be granted too).
fn bindy_plurals() -> Vec<String> {
    let k = std::fs::read_to_string(workspace_root().join("deploy/crds/kustomization.yaml")).unwrap();
    let plurals: Vec<String> =
        k.lines().filter_map(|l| l.trim().strip_prefix("- ")?.strip_suffix(".bindy.firestoned.io.yaml")).map(str::to_string).collect();
    assert_eq!(plurals.len(), 12, "the twelve bindy kinds: {plurals:?}");
    plurals
}

/// What deploy/rbac grants the operator, as the issue states it; everything else is denied.
fn granted(group: &str, resource: &str, sub: &str, namespace: &str, verb: &str) -> bool {
    let any = |verbs: &[&str]| verbs.contains(&verb);
    match (group, resource, sub) {
        ("bindy.firestoned.io", r, "") => any(&["get", "list", "watch", "patch", "update"]) || (r == "bind9instances" && any(&["create", "delete"])),
        ("bindy.firestoned.io", _, "status") => any(&["get", "patch", "update"]),
        ("bindy.firestoned.io", _, "finalizers") => any(&["update"]),
        ("", "configmaps" | "secrets" | "services", "") | ("apps", "deployments", "") => {
            any(&["get", "list", "watch", "create", "patch", "update", "delete"])
        }
        ("", "pods", "") => any(&["get", "list", "watch"]),
        ("", "pods", "status") => any(&["get", "patch", "update"]),
        ("", "events", "") | ("events.k8s.io", "events", "") => any(&["create", "patch"]),
        ("coordination.k8s.io", "leases", "") => namespace == "ironbind-system" && any(&["get", "list", "watch", "create", "update", "patch"]),
        _ => false,
    }
}

/// (group, resource, subresource, namespace) asked about: what the operator
/// needs, and what it must not have.
fn universe() -> Vec<(String, String, String, String)> {
    let mut u = Vec::new();
    let mut add = |g: &str, r: &str, s: &str, ns: &str| u.push((g.to_string(), r.to_string(), s.to_string(), ns.to_string()));
    for p in bindy_plurals() {
        for sub in ["", "status", "finalizers"] {
            add("bindy.firestoned.io", &p, sub, "dns-system");
        }
    }
    for r in ["configmaps", "secrets", "services", "pods", "events", "serviceaccounts", "persistentvolumeclaims", "endpoints"] {
        add("", r, "", "dns-system");
    }
    for sub in ["status", "log", "exec", "eviction"] {
        add("", "pods", sub, "dns-system");
    }
    for r in ["nodes", "namespaces", "persistentvolumes"] {
        add("", r, "", "");
    }
    add("", "nodes", "status", "");
    for r in ["deployments", "replicasets", "statefulsets", "daemonsets"] {
        add("apps", r, "", "dns-system");
    }
    add("apps", "deployments", "scale", "dns-system");
    add("events.k8s.io", "events", "", "dns-system");
    for ns in ["ironbind-system", "default", "dns-system"] {
        add("coordination.k8s.io", "leases", "", ns);
    }
    for r in ["roles", "rolebindings"] {
        add("rbac.authorization.k8s.io", r, "", "ironbind-system");
    }
    for r in ["clusterroles", "clusterrolebindings"] {
        add("rbac.authorization.k8s.io", r, "", "");
    }
    add("apiextensions.k8s.io", "customresourcedefinitions", "", "");
    u
}

/// The objects kubectl printed with `-o json`: one List, or one object after another.
fn objects(out: &std::process::Output, what: &str) -> Vec<Value> {
    assert!(out.status.success(), "{what} failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let mut objs = Vec::new();
    for v in serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>() {
        let v = v.unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        match v["kind"].as_str() {
            Some("List") => objs.extend(v["items"].as_array().cloned().unwrap_or_default()),
            _ => objs.push(v),
        }
    }
    objs
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name).unwrap_or_else(|| panic!("no {kind} {name} in the render"))
}

/// (a) `kubectl kustomize deploy/ | kubectl apply --dry-run=server -f -`, and
/// what the server made of the operator's Deployment and RBAC.
fn kustomize_dry_runs(c: &Cluster) {
    let root = workspace_root();
    let rendered = c.kubectl_ok(&["kustomize", root.join("deploy").to_str().unwrap()]);
    let out = c.kubectl_stdin(&["apply", "--dry-run=server", "-f", "-", "-o", "json"], rendered.as_bytes());
    let objs = objects(&out, "kubectl apply --dry-run=server of kubectl kustomize deploy/");
    let count = |kind: &str| objs.iter().filter(|o| o["kind"] == kind).count();
    assert_eq!(count("CustomResourceDefinition"), 12, "the CRDs are part of deploy/");
    for kind in ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"] {
        assert_eq!(count(kind), 1, "one {kind} in deploy/");
    }
    let ns = find(&objs, "Namespace", "ironbind-system");
    assert_eq!(ns["metadata"]["name"], "ironbind-system");

    let d = find(&objs, "Deployment", "ironbind-operator");
    assert_eq!(d["metadata"]["namespace"], "ironbind-system");
    assert_eq!(d["spec"]["replicas"], 2, "two replicas, one leader");
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "ironbind-operator");
    let c0 = &pod["containers"][0];
    assert_eq!(c0["image"], "ironbind-operator:latest");
    assert_eq!(c0["args"], serde_json::json!(["--log-format", "json", "--metrics-addr", "0.0.0.0:8080"]));
    let env: Vec<(String, String)> = c0["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().into(), e["valueFrom"]["fieldRef"]["fieldPath"].as_str().unwrap_or("").into()))
        .collect();
    assert!(env.contains(&("POD_NAMESPACE".into(), "metadata.namespace".into())), "{env:?}");
    assert!(env.contains(&("POD_NAME".into(), "metadata.name".into())), "{env:?}");
    assert_eq!(c0["ports"][0]["containerPort"], 8080);
    assert_eq!(c0["ports"][0]["name"], "metrics");
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(c0[probe]["httpGet"]["path"], "/healthz", "{probe}");
        assert!(c0[probe]["httpGet"]["port"] == 8080 || c0[probe]["httpGet"]["port"] == "metrics", "{probe} on 8080");
    }
    let sc = &c0["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["runAsUser"], 65532);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "kept by the 1.20 server");
    assert!(c0["resources"]["requests"]["memory"].is_string() && c0["resources"]["limits"]["memory"].is_string(), "requests and limits");

    // The bindings name the ServiceAccount the Deployment runs as, and no rule has a wildcard.
    for (kind, name) in [("ClusterRoleBinding", "ironbind-operator"), ("RoleBinding", "ironbind-operator-leader-election")] {
        let b = find(&objs, kind, name);
        assert_eq!(
            b["subjects"],
            serde_json::json!([{"kind": "ServiceAccount", "name": "ironbind-operator", "namespace": "ironbind-system"}]),
            "{kind}"
        );
    }
    for (kind, name) in [("ClusterRole", "ironbind-operator"), ("Role", "ironbind-operator-leader-election")] {
        let r = find(&objs, kind, name);
        for rule in r["rules"].as_array().unwrap() {
            let text = rule.to_string();
            assert!(!text.contains('*'), "{kind} {name}: a wildcard in {text}");
        }
    }
}

/// (b) Every verb on every resource of [`universe`], allowed exactly when [`granted`].
fn least_privilege(c: &Cluster) {
    let mut reviews = Vec::new();
    let mut asked = Vec::new();
    for (g, r, s, ns) in universe() {
        for verb in VERBS {
            reviews.push(serde_json::json!({
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SubjectAccessReview",
                "spec": {
                    "user": SA,
                    "groups": ["system:serviceaccounts", "system:serviceaccounts:ironbind-system", "system:authenticated"],
                    "resourceAttributes": {"group": g, "resource": r, "subresource": s, "namespace": ns, "verb": verb}
                }
            }));
            asked.push((g.clone(), r.clone(), s.clone(), ns.clone(), verb));
        }
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": reviews});
    let out = c.kubectl_stdin(&["create", "-f", "-", "-o", "json"], list.to_string().as_bytes());
    let answers = objects(&out, "kubectl create SubjectAccessReviews");
    assert_eq!(answers.len(), asked.len());
    let mut wrong = Vec::new();
    for ((g, r, s, ns, verb), a) in asked.iter().zip(&answers) {
        let allowed = a["status"]["allowed"] == true;
        if allowed != granted(g, r, s, ns, verb) {
            let what = if allowed { "allowed, must not be" } else { "denied, must be allowed" };
            wrong.push(format!("{verb} {r}{}{} (group {g:?}, namespace {ns:?}): {what}", if s.is_empty() { "" } else { "/" }, s));
        }
    }
    assert!(wrong.is_empty(), "the operator's RBAC differs from what it needs:\n{}", wrong.join("\n"));

    // The same through kubectl auth can-i, impersonating the ServiceAccount.
    let can = |args: &[&str]| {
        let out = c.kubectl(&[&["auth", "can-i", "--as", SA][..], args].concat());
        String::from_utf8_lossy(&out.stdout).trim() == "yes"
    };
    for yes in [
        &["patch", "deployments", "-n", "dns-system"][..],
        &["patch", "pods", "--subresource=status", "-n", "dns-system"],
        &["create", "leases", "-n", "ironbind-system"],
        &["update", "bind9instances.bindy.firestoned.io", "--subresource=finalizers", "-n", "dns-system"],
        &["create", "bind9instances.bindy.firestoned.io", "-n", "dns-system"],
        &["get", "secrets", "-n", "dns-system"],
        &["create", "events.events.k8s.io", "-n", "dns-system"],
    ] {
        assert!(can(yes), "can-i {yes:?}: must be yes");
    }
    for no in [
        &["delete", "nodes"][..],
        &["create", "leases", "-n", "default"],
        &["delete", "pods", "-n", "dns-system"],
        &["create", "pods", "--subresource=exec", "-n", "dns-system"],
        &["create", "clusterroles"],
        &["create", "dnszones.bindy.firestoned.io", "-n", "dns-system"],
        &["delete", "dnszones.bindy.firestoned.io", "-n", "dns-system"],
        &["deletecollection", "secrets", "-n", "dns-system"],
        &["get", "customresourcedefinitions"],
    ] {
        assert!(!can(no), "can-i {no:?}: must be no");
    }
}

/// (c) The operator's kubeconfig acts as the ServiceAccount.
fn operator_kubeconfig(c: &Cluster) {
    let kc = c.operator_kubeconfig();
    let kc = kc.to_str().unwrap();
    let ok = c.kubectl(&["--kubeconfig", kc, "get", "bind9instances", "-A"]);
    assert!(ok.status.success(), "the operator lists instances: {}", String::from_utf8_lossy(&ok.stderr));
    let nodes = c.kubectl(&["--kubeconfig", kc, "get", "nodes"]);
    let err = String::from_utf8_lossy(&nodes.stderr);
    assert!(!nodes.status.success() && err.contains("Forbidden") && err.contains(SA), "nodes are not the operator's: {err}");
    let who = c.kubectl(&["--kubeconfig", kc, "create", "lease", "x", "-n", "default"]);
    assert!(!who.status.success(), "no Lease outside ironbind-system");
}

/// (d) The complete example: its namespace applied, then every file through a
/// server-side dry run; its instances a primary and a secondary of `production`.
fn complete_example(c: &Cluster) {
    let dir = workspace_root().join("deploy/examples/complete");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect();
    files.sort();
    assert!(files.len() >= 3, "a namespace and two instances: {files:?}");
    c.kubectl_ok(&["apply", "-f", files[0].to_str().unwrap()]);
    let mut roles = Vec::new();
    for f in &files {
        let out = c.kubectl_ok(&["apply", "--dry-run=server", "-f", f.to_str().unwrap()]);
        assert!(out.contains("(server dry run)"), "{}: {out}", f.display());
        roles.extend(instances(f).iter().map(|i| (i.resolved_role().as_str().to_string(), i.resolved_cluster().map(str::to_string))));
    }
    roles.sort();
    assert_eq!(roles, [("primary".to_string(), Some("production".to_string())), ("secondary".to_string(), Some("production".to_string()))]);
}

fn instances(path: &Path) -> Vec<Bind9Instance> {
    let text = std::fs::read_to_string(path).unwrap();
    if !text.contains("kind: Bind9Instance") {
        return Vec::new();
    }
    vec![serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))]
}

#[test]
fn deploy_applies_and_the_operator_gets_least_privilege() {
    let Some(c) = Cluster::start() else { return };
    kustomize_dry_runs(&c);
    least_privilege(&c);
    operator_kubeconfig(&c);
    complete_example(&c);
}
