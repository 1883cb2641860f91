//! Pod addresses: one loopback address per pod, 127.0.0.x by default (x
//! from 2 upward; another /24 of 127/8 with `--pod-subnet`, so that two
//! agents on one machine do not hand out the same addresses), the lowest
//! free one first, given back when the pod goes.
//!
//! Owns: which addresses are taken and by whom. Must not: touch interfaces
//! (the whole of 127.0.0.0/8 already routes to `lo` on Linux) or the API.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The first host number handed out (127.0.0.1 is the node's own address).
const FIRST: u8 = 2;
/// The last host number handed out (127.0.0.255 is the broadcast address of 127.0.0.0/24).
const LAST: u8 = 254;

/// No address is left.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("no free pod address in .{FIRST}-.{LAST} of the pod subnet ({0} pods hold them all)")]
pub struct Exhausted(pub usize);

/// A `--pod-subnet` that is not a /24 of 127.0.0.0/8.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("pod subnet {0:?}: expected 127.A.B.0/24")]
pub struct BadSubnet(pub String);

/// Parses `127.A.B.0/24` into its first three octets.
pub fn parse_subnet(s: &str) -> Result<[u8; 3], BadSubnet> {
    let bad = || BadSubnet(s.to_string());
    let (addr, len) = s.split_once('/').ok_or_else(bad)?;
    let [a, b, c, d] = addr.parse::<Ipv4Addr>().map_err(|_| bad())?.octets();
    if len != "24" || a != 127 || d != 0 {
        return Err(bad());
    }
    Ok([a, b, c])
}

/// The addresses held, each by an owner key (the pod's UID).
#[derive(Debug)]
pub struct Allocator {
    subnet: [u8; 3],
    held: BTreeMap<u8, String>,
}

impl Default for Allocator {
    fn default() -> Self {
        Self::new([127, 0, 0])
    }
}

impl Allocator {
    /// An allocator of `subnet`.0/24 with every address free.
    pub fn new(subnet: [u8; 3]) -> Self {
        Self { subnet, held: BTreeMap::new() }
    }

    /// The address of `owner`: the one it already holds, else `preferred`
    /// when that is one of ours and free (a pod that ran here before keeps
    /// its address), else the lowest free one.
    pub fn allocate(&mut self, owner: &str, preferred: Option<Ipv4Addr>) -> Result<Ipv4Addr, Exhausted> {
        if let Some((x, _)) = self.held.iter().find(|(_, o)| o.as_str() == owner) {
            return Ok(self.addr(*x));
        }
        let wanted = preferred.and_then(|p| self.host_number(p)).filter(|x| !self.held.contains_key(x));
        let x = match wanted {
            Some(x) => x,
            None => (FIRST..=LAST).find(|x| !self.held.contains_key(x)).ok_or(Exhausted(self.held.len()))?,
        };
        self.held.insert(x, owner.to_string());
        Ok(self.addr(x))
    }

    /// Gives back whatever `owner` holds.
    pub fn release(&mut self, owner: &str) {
        self.held.retain(|_, o| o != owner);
    }

    /// How many addresses are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    fn addr(&self, x: u8) -> Ipv4Addr {
        let [a, b, c] = self.subnet;
        Ipv4Addr::new(a, b, c, x)
    }

    /// `x` of `subnet`.x when that is in the pod range.
    fn host_number(&self, a: Ipv4Addr) -> Option<u8> {
        let [a, b, c, x] = a.octets();
        ([a, b, c] == self.subnet && (FIRST..=LAST).contains(&x)).then_some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_first_and_reused_after_release() {
        let mut a = Allocator::default();
        assert_eq!(a.allocate("p1", None), Ok(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(a.allocate("p2", None), Ok(Ipv4Addr::new(127, 0, 0, 3)));
        assert_eq!(a.allocate("p3", None), Ok(Ipv4Addr::new(127, 0, 0, 4)));
        a.release("p2");
        assert_eq!(a.allocate("p4", None), Ok(Ipv4Addr::new(127, 0, 0, 3)), "the freed address comes back first");
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn an_owner_keeps_its_address() {
        let mut a = Allocator::default();
        let first = a.allocate("p1", None).unwrap();
        assert_eq!(a.allocate("p1", Some(Ipv4Addr::new(127, 0, 0, 9))), Ok(first));
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn a_preferred_address_when_free_and_ours() {
        let mut a = Allocator::default();
        assert_eq!(a.allocate("p1", Some(Ipv4Addr::new(127, 0, 0, 7))), Ok(Ipv4Addr::new(127, 0, 0, 7)));
        // Taken: the lowest free one instead.
        assert_eq!(a.allocate("p2", Some(Ipv4Addr::new(127, 0, 0, 7))), Ok(Ipv4Addr::new(127, 0, 0, 2)));
        // Not in the pod range: ignored.
        assert_eq!(a.allocate("p3", Some(Ipv4Addr::new(127, 0, 0, 1))), Ok(Ipv4Addr::new(127, 0, 0, 3)));
        assert_eq!(a.allocate("p4", Some(Ipv4Addr::new(10, 0, 0, 5))), Ok(Ipv4Addr::new(127, 0, 0, 4)));
    }

    #[test]
    fn another_subnet() {
        assert_eq!(parse_subnet("127.0.9.0/24"), Ok([127, 0, 9]));
        assert!(parse_subnet("10.0.0.0/24").is_err());
        assert!(parse_subnet("127.0.9.0/16").is_err());
        assert!(parse_subnet("127.0.9.1/24").is_err());
        let mut a = Allocator::new([127, 0, 9]);
        assert_eq!(a.allocate("p1", Some(Ipv4Addr::new(127, 0, 0, 7))), Ok(Ipv4Addr::new(127, 0, 9, 2)));
        assert_eq!(a.allocate("p2", Some(Ipv4Addr::new(127, 0, 9, 7))), Ok(Ipv4Addr::new(127, 0, 9, 7)));
    }

    #[test]
    fn exhausted_after_253_pods() {
        let mut a = Allocator::default();
        for i in 0..253 {
            a.allocate(&format!("p{i}"), None).unwrap();
        }
        assert_eq!(a.allocate("one-more", None), Err(Exhausted(253)));
        a.release("p100");
        assert!(a.allocate("one-more", None).is_ok());
    }
}
