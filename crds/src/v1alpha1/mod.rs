//! `bindy.firestoned.io/v1alpha1`: the served and stored version. Its schema
//! accepts the seed manifests, bindy v0.1–v0.2's v1alpha1 fields and bindy's
//! later additive fields (see the crate doc).

// kube's `printcolumn(name = …, type_ = "string", …)` repeats `type_ = …`
// across columns, which clippy mistakes for a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

pub mod common;
pub mod config;
pub mod rndc;
pub mod deployment;
pub mod bind9_cluster;
pub mod bind9_instance;
pub mod dns_zone;
pub mod records;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use bind9_cluster::{Bind9Cluster, Bind9ClusterSpec, Bind9ClusterStatus, RoleConfig};
pub use bind9_instance::{Bind9Instance, Bind9InstanceSpec, Bind9InstanceStatus, InstanceRole};
pub use common::{Condition, ConditionStatus, LabelSelector, LabelSelectorRequirement, SelectorSource, ZoneReference};
pub use dns_zone::{DNSZone, DNSZoneSpec, DNSZoneStatus, InstanceZoneState, InstanceZoneStatus, NameServer, SecondaryConfig, SoaRecord, ZoneType};
pub use records::{
    AAAARecord, AAAARecordSpec, ARecord, ARecordSpec, CAARecord, CAARecordSpec, CNAMERecord, CNAMERecordSpec, MXRecord, MXRecordSpec, NSRecord,
    NSRecordSpec, PTRRecord, PTRRecordSpec, RecordCommon, RecordSpec, RecordStatus, SRVRecord, SRVRecordSpec, TXTRecord, TXTRecordSpec,
};

/// This version's name.
pub const VERSION: &str = "v1alpha1";

/// `apiVersion` of this version's objects.
pub const API_VERSION: &str = "bindy.firestoned.io/v1alpha1";

/// The CRD of every kind, as this version alone defines it (served, storage):
/// clusters and instances first, then zones, then records.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        Bind9Cluster::crd(),
        Bind9Instance::crd(),
        DNSZone::crd(),
        ARecord::crd(),
        AAAARecord::crd(),
        CNAMERecord::crd(),
        MXRecord::crd(),
        TXTRecord::crd(),
        NSRecord::crd(),
        SRVRecord::crd(),
        CAARecord::crd(),
        PTRRecord::crd(),
    ]
}
