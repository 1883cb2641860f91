//! ironbind-crds: the custom resource types of the `bindy.firestoned.io` API
//! group (`Bind9Cluster`, `Bind9Instance`, `DNSZone` and the record kinds),
//! shared by the operator and by `crdgen`, which writes the CRD manifests in
//! `deploy/crds/`. It depends on serde, schemars, k8s-openapi and kube's
//! derive only, never on the kube client or on the server.
//!
//! # What the schema accepts
//!
//! One v1alpha1 schema takes three kinds of manifests (examples of each in
//! `deploy/examples/`): every manifest of the seed (secondary instances
//! whose role and cluster come from labels, `DNSZone.spec.type`,
//! `instanceSelector`, `secondaryConfig.primaryServers`); bindy's own
//! v1alpha1 (records' `zoneRef` / `zone`, `ARecord.spec.ipv4Address`,
//! `soaRecord`, `role` / `clusterRef`, `Bind9Cluster`); and bindy's later
//! additive fields (`ipv4Addresses` / `ipv6Addresses`, `nameServers`,
//! `nameServerIps`, `recordsFrom` / `bind9InstancesFrom`, `PTRRecord`).
//! Settings only BIND has (`version`, `configMapRefs`, `rndcSecretRef`,
//! `bindcarConfig`, …) are typed as bindy types them, so the operator can name
//! them as ignored. No field is `deny_unknown_fields`: the API server prunes
//! unknown fields (and kubectl's strict field validation rejects them), so the
//! Rust side reads whatever the schema let through.
//!
//! The schemas stay within what a Kubernetes 1.20 API server takes: structural
//! OpenAPI v3, no CEL (`x-kubernetes-validations`), embedded core/v1 objects
//! kept compact ([`schema`]); `tests/schema.rs` checks the generated CRDs for
//! that.
//!
//! # Versions
//!
//! Each version lives in its own module, [`v1alpha1`] today; v1alpha1 is the
//! storage version. A `v1beta1` is added beside it without migrating stored
//! objects:
//!
//! 1. a `v1beta1` module with its own types (`#[kube(version = "v1beta1",
//!    served = true, storage = false)]`), leaving `v1alpha1` untouched;
//! 2. crdgen merges the two versions of each kind into one CRD
//!    (`kube::core::crd::merge_crds(vec![v1alpha1::X::crd(), v1beta1::X::crd()], "v1alpha1")`,
//!    which keeps v1alpha1 `storage: true`);
//! 3. if every v1beta1 object is a valid v1alpha1 object and back (same
//!    fields, or fields only one side has that may be pruned), the CRD keeps
//!    `conversion: {strategy: None}` and the API server only rewrites
//!    `apiVersion`; otherwise (renamed or reshaped fields, such as bindy's
//!    v1beta1 records, which lost `zoneRef`) it needs
//!    `conversion: {strategy: Webhook}` and the operator serves
//!    `ConversionReview`s, converting between the two modules' types;
//! 4. the operator keeps reading one version (the storage one) until every
//!    client writes the new one; only then may storage move, with a
//!    storage-version migration of existing objects.

pub mod patterns;
pub mod schema;
pub mod v1alpha1;
pub mod generate;
