//! The regular expressions the CRD schemas carry (`pattern:`), shared by every
//! served version. They are bindy's where bindy has one, so a manifest bindy
//! refused is refused here too; the API server evaluates them with Go's RE2, so
//! they use no look-around and no back-references.

/// A dotted-quad IPv4 address, each octet 0–255 without leading zeros
/// (bindy's `NameServer.ipv4Address` pattern; v0.1's `ARecord.ipv4Address`
/// pattern accepts the same set).
pub const IPV4: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$";

/// An IPv6 address in the textual forms bindy's `NameServer.ipv6Address`
/// accepts (full, `::`-compressed; no embedded IPv4, no zone index).
pub const IPV6: &str = concat!(
    r"^([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}$|^::$|^::1$|^([0-9a-fA-F]{1,4}:){1,7}:$",
    r"|^([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}$|^([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}$",
    r"|^([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}$|^([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}$",
    r"|^([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}$|^[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})$",
    r"|^:((:[0-9a-fA-F]{1,4}){1,7}|:)$"
);

/// A zone apex as `DNSZone.spec.zoneName` takes it: labels of letters, digits
/// and inner hyphens, no trailing dot, no underscore (`10.in-addr.arpa` fits).
pub const ZONE_NAME: &str = r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$";

/// An absolute host name with its trailing dot (`ns1.example.com.`): SOA
/// `primaryNs` / `adminEmail` and `nameServers[].hostname`.
pub const FQDN: &str = r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.$";

/// A DNSSEC policy name (`dnssecPolicy`, `signing.policy`).
pub const DNSSEC_POLICY: &str = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$";

/// A DNSSEC algorithm mnemonic or key lifetime (`ECDSAP256SHA256`, `365d`).
pub const DNSSEC_TOKEN: &str = r"^[A-Za-z0-9]{1,32}$";

/// A Kubernetes resource quantity (`100m`, `128Mi`, `1.5`), as controller-gen
/// writes it for `resource.Quantity`.
pub const QUANTITY: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";
