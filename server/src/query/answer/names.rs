//! Small checks on uncompressed wire names, inline and without `memcmp`
//! calls: the names on the query path are a few words long.
//!
//! Owns: finding capitals, validating a name in RDATA (suffix tests and
//! word-wise comparison are [`crate::wire::name`]'s).
//! Must not: allocate.

use crate::wire::name::{MAX_LABEL_LEN, MAX_NAME_LEN};

/// True when `wire` holds an ASCII capital. Length octets (at most 63) never
/// look like one, so the whole name is scanned without walking its labels,
/// eight octets at a time (the last eight overlapping the ones before).
#[inline(always)]
pub(super) fn has_upper(wire: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    // Per octet, without carries: the low seven bits are ≥ 'A' and ≤ 'Z', and
    // the high bit is clear.
    let capitals = |x: u64| {
        let low = x & !HIGH;
        (low + ONES * (0x80 - b'A' as u64)) & !(low + ONES * (0x80 - b'Z' as u64 - 1)) & !x & HIGH
    };
    let n = wire.len();
    if n < 8 {
        return wire.iter().any(u8::is_ascii_uppercase);
    }
    let word = |i: usize| u64::from_ne_bytes(wire[i..i + 8].try_into().expect("8 octets"));
    if capitals(word(n - 8)) != 0 {
        return true;
    }
    // (Stopping early also keeps the loop scalar: names are a few words long.)
    let mut i = 0;
    while i + 8 < n {
        if capitals(word(i)) != 0 {
            return true;
        }
        i += 8;
    }
    false
}

/// `wire` up to and including its root label, when it starts with a plain
/// uncompressed name of at most 255 octets.
pub(super) fn plain_name(wire: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    loop {
        let l = *wire.get(at)? as usize;
        if l > MAX_LABEL_LEN || at + 1 + l > MAX_NAME_LEN {
            return None;
        }
        at += 1 + l;
        if l == 0 {
            return wire.get(..at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_upper;
    use crate::wire::name::{from_dotted, is_subdomain as in_domain, same_octets};

    #[test]
    fn finds_capitals_anywhere_and_nothing_else() {
        assert!(!has_upper(b"\x03ns1\x03sub\x07example\x03com\x00"));
        assert!(!has_upper(&[63, b'@', b'[', b'`', b'{', 0x80 | b'A', 0xC1, 0xDA, 0xFF, 0]));
        for i in 0..20 {
            let mut n = b"\x03ns1\x03sub\x07example\x03com\x00".to_vec();
            if i < n.len() && n[i].is_ascii_lowercase() {
                n[i].make_ascii_uppercase();
                assert!(has_upper(&n), "{i}");
            }
        }
        assert!(has_upper(b"A") && has_upper(b"Z") && !has_upper(b""));
    }

    #[test]
    fn compares_suffixes_on_label_boundaries() {
        let n = |s: &str| from_dotted(s).unwrap();
        for (a, b) in [("a", "a"), ("example.com", "example.com"), ("ns1.sub.example.com", "ns1.sub.example.com")] {
            assert!(same_octets(&n(a), &n(b)));
        }
        assert!(!same_octets(&n("ns1.sub.example.com"), &n("ns2.sub.example.com")));
        assert!(!same_octets(&n("ns1.sub.example.con"), &n("ns1.sub.example.com")));
        assert!(!same_octets(b"abc", b"abd") && !same_octets(b"abc", b"ab"));
        assert!(in_domain(&n("ns1.sub.example.com"), &n("sub.example.com")));
        assert!(in_domain(&n("sub.example.com"), &n("sub.example.com")));
        assert!(in_domain(&n("example.com"), &n("")));
        assert!(!in_domain(&n("xsub.example.com"), &n("sub.example.com")));
        assert!(!in_domain(&n("example.com"), &n("sub.example.com")));
    }
}
