//! Binary-to-text encodings used in RDATA presentation: base16 (hex),
//! base32hex without padding (RFC 4648 §7, NSEC3 hashed owners, RFC 5155 §3.3)
//! and base64 with padding (RFC 4648 §4, keys and signatures).
//!
//! Must not: accept what it cannot round-trip. Decoders are strict (no
//! stray characters, no non-zero trailing bits) so that decode → encode →
//! decode is the identity.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Appends the bytes of hex text `s` (even length, either case) to `out`.
pub(super) fn hex_decode(s: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if s.len() & 1 != 0 {
        return None;
    }
    for p in s.chunks_exact(2) {
        out.push(hex_val(p[0])? << 4 | hex_val(p[1])?);
    }
    Some(())
}

/// Appends upper-case hex of `b` to `out`.
pub(super) fn hex_encode(b: &[u8], out: &mut String) {
    for &x in b {
        out.push(HEX[(x >> 4) as usize] as char);
        out.push(HEX[(x & 15) as usize] as char);
    }
}

fn b64_val(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a' + 26) as u32),
        b'0'..=b'9' => Some((c - b'0' + 52) as u32),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Appends the bytes of padded base64 text `s` to `out`.
pub(super) fn base64_decode(s: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if s.len() & 3 != 0 {
        return None;
    }
    let quads = s.len() / 4;
    for (qi, q) in s.chunks_exact(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && qi + 1 != quads) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &q[..4 - pad] {
            acc = acc << 6 | b64_val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        // Bits that padding drops must be zero, or re-encoding would differ.
        if pad > 0 && bytes[4 - pad..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(())
}

/// Appends padded base64 of `b` to `out`.
pub(super) fn base64_encode(b: &[u8], out: &mut String) {
    for chunk in b.chunks(3) {
        let mut v = [0u8; 3];
        v[..chunk.len()].copy_from_slice(chunk);
        let acc = (v[0] as u32) << 16 | (v[1] as u32) << 8 | v[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(acc >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Appends the bytes of unpadded base32hex text `s` (either case) to `out`.
pub(super) fn base32hex_decode(s: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &c in s {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'v' => c - b'a' + 10,
            b'A'..=b'V' => c - b'A' + 10,
            _ => return None,
        };
        acc = acc << 5 | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be fewer than a character's worth and all zero.
    (bits < 5 && acc == 0).then_some(())
}

/// Appends unpadded upper-case base32hex of `b` to `out`.
pub(super) fn base32hex_encode(b: &[u8], out: &mut String) {
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &x in b {
        acc = acc << 8 | x as u64;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32HEX[(acc >> bits & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(B32HEX[(acc << (5 - bits) & 31) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(enc: fn(&[u8], &mut String), dec: fn(&[u8], &mut Vec<u8>) -> Option<()>) {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            let mut s = String::new();
            enc(&data, &mut s);
            let mut back = Vec::new();
            dec(s.as_bytes(), &mut back).unwrap();
            assert_eq!(back, data, "{s}");
        }
    }

    #[test]
    fn round_trips() {
        rt(hex_encode, hex_decode);
        rt(base64_encode, base64_decode);
        rt(base32hex_encode, base32hex_decode);
    }

    #[test]
    fn known_vectors_and_rejects() {
        // RFC 4648 §10.
        let mut s = String::new();
        base64_encode(b"foobar", &mut s);
        assert_eq!(s, "Zm9vYmFy");
        s.clear();
        base64_encode(b"fo", &mut s);
        assert_eq!(s, "Zm8=");
        s.clear();
        base32hex_encode(b"foobar", &mut s);
        assert_eq!(s, "CPNMUOJ1E8");
        let mut v = Vec::new();
        assert!(base64_decode(b"Zm8", &mut v).is_none());
        assert!(base64_decode(b"Zm9=", &mut v).is_none());
        assert!(base64_decode(b"Zm==Zm8=", &mut v).is_none());
        assert!(hex_decode(b"abc", &mut v).is_none());
        assert!(hex_decode(b"zz", &mut v).is_none());
        assert!(base32hex_decode(b"W", &mut v).is_none());
        assert!(base32hex_decode(b"CPNMUOJ1E9", &mut v).is_none());
    }
}
