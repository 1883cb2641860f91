//! Address-prefix access lists (`allowQuery`, `allowTransfer`, `allowNotify`).
//!
//! Owns: parsing `ADDR/LEN` (or a bare address) and matching client addresses.
//! IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`) match IPv4 prefixes.

use std::net::IpAddr;
use std::str::FromStr;

/// An address prefix such as `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

/// Why a prefix could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address prefix {0:?}: expected ADDR or ADDR/LEN, e.g. 10.0.0.0/8 or 2001:db8::/32")]
pub struct PrefixError(pub String);

impl FromStr for Prefix {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PrefixError(s.to_string());
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| err())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            Some(l) => l.trim().parse::<u8>().map_err(|_| err())?,
            None => max,
        };
        if len > max {
            return Err(err());
        }
        Ok(Prefix { addr, len })
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl Prefix {
    /// True when `ip` lies inside the prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(p), IpAddr::V4(a)) => mask_eq(u32::from(p) as u128, u32::from(a) as u128, self.len, 32),
            (IpAddr::V6(p), IpAddr::V6(a)) => mask_eq(u128::from(p), u128::from(a), self.len, 128),
            _ => false,
        }
    }
}

fn mask_eq(p: u128, a: u128, len: u8, bits: u32) -> bool {
    if len == 0 {
        return true;
    }
    let shift = bits - len as u32;
    (p >> shift) == (a >> shift)
}

/// A list of prefixes. An empty list allows everyone (for `allowQuery`); callers
/// that need "empty means nobody" (`allowTransfer`) use [`Acl::matches`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl(pub Vec<Prefix>);

impl Acl {
    /// True when the list is empty or some prefix contains `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.0.is_empty() || self.matches(ip)
    }

    /// True when some prefix contains `ip` (an empty list matches nobody).
    pub fn matches(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|p| p.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match() {
        let p: Prefix = "10.0.0.0/8".parse().unwrap();
        assert!(p.contains("10.1.2.3".parse().unwrap()));
        assert!(!p.contains("11.0.0.1".parse().unwrap()));
        assert!(p.contains("::ffff:10.0.0.1".parse().unwrap()));
        let all: Prefix = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        assert!(!all.contains("2001:db8::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!("bogus".parse::<Prefix>().is_err());
        assert!(Acl::default().allows("1.2.3.4".parse().unwrap()));
        assert!(!Acl::default().matches("1.2.3.4".parse().unwrap()));
    }
}
