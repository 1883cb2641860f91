//! Serial number arithmetic (RFC 1982) for SOA serials.
//!
//! Owns: comparing two 32-bit serials the way every zone transfer decision
//! needs (is the client current? did the primary move forward? does a diff
//! chain?). Addition wraps at 2^32, so 4294967295 → 1 is an increase.
//! Must not: decide what to do with the answer; callers do.

use std::cmp::Ordering;

/// Half the serial space: two serials exactly this far apart are not
/// comparable (RFC 1982 §3.2).
const HALF: u32 = 1 << 31;

/// Compares serials `a` and `b` (RFC 1982 §3.2). `None` when the comparison is
/// undefined (the serials are exactly 2^31 apart).
pub fn serial_cmp(a: u32, b: u32) -> Option<Ordering> {
    if a == b {
        return Some(Ordering::Equal);
    }
    match b.wrapping_sub(a) {
        HALF => None,
        d if d < HALF => Some(Ordering::Less),
        _ => Some(Ordering::Greater),
    }
}

/// True when `a` is greater than `b` in serial arithmetic.
#[inline]
pub fn serial_gt(a: u32, b: u32) -> bool {
    serial_cmp(a, b) == Some(Ordering::Greater)
}

/// True when `a` is equal to or greater than `b` in serial arithmetic.
#[inline]
pub fn serial_ge(a: u32, b: u32) -> bool {
    matches!(serial_cmp(a, b), Some(Ordering::Greater | Ordering::Equal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1982_comparisons() {
        assert!(serial_gt(2, 1));
        assert!(!serial_gt(1, 2));
        assert!(!serial_gt(7, 7));
        assert!(serial_ge(7, 7));
        // wrap-around: 4294967295 → 0 and → 1 are increases
        assert!(serial_gt(0, u32::MAX));
        assert!(serial_gt(1, u32::MAX));
        assert!(!serial_gt(u32::MAX, 1));
        // the largest step that is still an increase: 2^31 - 1
        assert!(serial_gt(HALF - 1, 0));
        assert!(serial_gt(100u32.wrapping_add(HALF - 1), 100));
        // exactly 2^31 apart: undefined both ways
        assert_eq!(serial_cmp(0, HALF), None);
        assert_eq!(serial_cmp(HALF, 0), None);
        assert!(!serial_gt(HALF, 0) && !serial_gt(0, HALF));
        // one past half: the "smaller" number is greater
        assert!(serial_gt(0, HALF + 1));
    }
}
