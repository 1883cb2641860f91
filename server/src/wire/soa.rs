//! SOA RDATA (RFC 1035 §3.3.13): the one reader of its fields.
//!
//! Owns: finding MNAME, RNAME and the five 32-bit fields in uncompressed
//! RDATA, and replacing the serial. Must not: allocate to read.

use super::name;

/// The fields of SOA RDATA, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Soa {
    /// Octets of MNAME at the start of the RDATA.
    pub mname_len: usize,
    /// Octets of RNAME after it.
    pub rname_len: usize,
    /// SERIAL.
    pub serial: u32,
    /// REFRESH: how often a secondary checks the primary.
    pub refresh: u32,
    /// RETRY: how soon it checks again after a failure.
    pub retry: u32,
    /// EXPIRE: how long its data stays good without a successful check.
    pub expire: u32,
    /// MINIMUM: the negative-caching TTL bound (RFC 2308 §4).
    pub minimum: u32,
    /// Octets the RDATA should have: names plus 20; longer RDATA has trailing octets.
    pub len: usize,
}

impl Soa {
    /// The fields of `rdata`, or `None` when it is too short or a name is broken.
    pub fn parse(rdata: &[u8]) -> Option<Soa> {
        let p1 = name::skip_name(rdata, 0).ok()?;
        let p2 = name::skip_name(rdata, p1).ok()?;
        let f = rdata.get(p2..p2 + 20)?;
        let n = |i: usize| u32::from_be_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
        Some(Soa { mname_len: p1, rname_len: p2 - p1, serial: n(0), refresh: n(4), retry: n(8), expire: n(12), minimum: n(16), len: p2 + 20 })
    }

    /// `rdata` with its serial replaced; `None` unless it is exactly SOA RDATA.
    pub fn with_serial(rdata: &[u8], serial: u32) -> Option<Vec<u8>> {
        let soa = Soa::parse(rdata).filter(|s| s.len == rdata.len())?;
        let at = soa.mname_len + soa.rname_len;
        let mut out = rdata.to_vec();
        out[at..at + 4].copy_from_slice(&serial.to_be_bytes());
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_serial_replacement() {
        let mut rdata = name::from_dotted("ns.example.").unwrap();
        rdata.extend(name::from_dotted("hm.example.").unwrap());
        for v in [7u32, 5, 2, 20, 60] {
            rdata.extend(v.to_be_bytes());
        }
        let s = Soa::parse(&rdata).unwrap();
        assert_eq!((s.serial, s.refresh, s.retry, s.expire, s.minimum), (7, 5, 2, 20, 60));
        assert_eq!((s.mname_len, s.rname_len, s.len), (12, 12, rdata.len()));
        assert_eq!(Soa::parse(&rdata[..rdata.len() - 1]), None);
        let next = Soa::with_serial(&rdata, 8).unwrap();
        assert_eq!(Soa::parse(&next).unwrap().serial, 8);
        let mut longer = rdata.clone();
        longer.push(0);
        assert_eq!(Soa::with_serial(&longer, 8), None, "trailing octets are not SOA RDATA");
        assert_eq!(Soa::parse(&longer).unwrap().serial, 7);
    }
}
