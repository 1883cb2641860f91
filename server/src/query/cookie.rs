//! DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018).
//!
//! Owns: the server secret(s), making a server cookie for a client cookie
//! and address, checking one a client sends back, and what its state
//! means for the answer ([`CookieState`]). Must not: allocate or lock on
//! the query path (a check is one SipHash-2-4 over at most 32 octets), or
//! write messages (the handler puts the option in the OPT record).
//!
//! Server cookie, version 1 (RFC 9018 §4), 16 octets:
//!
//! ```text
//!  version (1) | reserved (3, zero) | timestamp (4, Unix seconds) | hash (8)
//!  hash = SipHash-2-4(secret; client cookie | version | reserved | timestamp | client IP)
//! ```
//!
//! BIND (`cookie-algorithm siphash24`) and Knot (`mod-cookies`) make the same
//! cookie from the same secret, so servers behind one address (anycast,
//! replicas in Kubernetes) share a secret and accept each other's cookies
//! (checklist K5). A cookie is accepted from one hour old to five minutes
//! ahead (RFC 9018 §4.3); every answer carries a fresh one, so a client
//! never holds one older than its last answer. Secrets roll by listing the
//! old one after the new one: the first makes cookies, all are accepted.

use std::net::IpAddr;
use std::sync::OnceLock;

/// Oldest server cookie accepted, in seconds (RFC 9018 §4.3).
pub const MAX_AGE_SECS: i64 = 3600;
/// Furthest in the future a server cookie may be dated (RFC 9018 §4.3).
pub const MAX_AHEAD_SECS: i64 = 300;
/// Length of a version-1 server cookie.
pub const SERVER_COOKIE_LEN: usize = 16;
/// A client cookie and a version-1 server cookie, as the response carries them.
pub const COOKIE_LEN: usize = 8 + SERVER_COOKIE_LEN;

/// A 128-bit SipHash key (RFC 9018 §4.4).
pub type Secret = [u8; 16];

/// Cookie settings of the request layer (`[cookies]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    /// Answer COOKIE options. Off: the option is ignored like any unknown one.
    pub enabled: bool,
    /// Over UDP, answer BADCOOKIE (RFC 7873 §5.2.3, §5.2.4) to a request
    /// carrying a client cookie without a valid server cookie (BIND's
    /// `require-server-cookie`). Requests with no COOKIE are answered.
    pub require: bool,
    /// The first makes cookies; every one is accepted.
    pub secrets: Vec<Secret>,
}

impl Default for CookieSettings {
    fn default() -> Self {
        Self { enabled: true, require: false, secrets: vec![generated_secret()] }
    }
}

/// The secret used when the config gives none: random, made once per
/// process so cookies survive a reload.
pub fn generated_secret() -> Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    *SECRET.get_or_init(|| {
        let mut s = [0u8; 16];
        let read = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut s));
        if read.is_err() {
            // The standard library's hasher keys come from the OS's random source too.
            use std::hash::{BuildHasher, Hasher};
            for half in s.chunks_mut(8) {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u64(std::process::id() as u64);
                half.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        s
    })
}

/// A secret that is not 32 hex digits; how many characters it has (the
/// secret itself is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected 32 hex digits (a 128-bit SipHash key), got {len} characters")]
pub struct SecretError {
    /// Length of the text given, trimmed.
    pub len: usize,
}

/// Parses a secret: 32 hex digits (128 bits, RFC 9018 §4.4).
pub fn parse_secret(s: &str) -> Result<Secret, SecretError> {
    let s = s.trim();
    if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SecretError { len: s.len() });
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        // Two ASCII hex digits (checked above): always a byte.
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| SecretError { len: s.len() })?;
    }
    Ok(out)
}

/// What the request's COOKIE option says about the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieState {
    /// No COOKIE option (or cookies are off).
    Absent,
    /// A client cookie alone (a first contact, RFC 7873 §5.2.3).
    ClientOnly,
    /// A server cookie we made for this client and address, in date.
    Valid,
    /// A server cookie we did not make, made for another address, or out of
    /// date (RFC 7873 §5.2.4).
    Invalid,
    /// A COOKIE option of a length no cookie has, or two of them: FORMERR
    /// (RFC 7873 §5.2.2).
    Malformed,
}

impl CookieSettings {
    /// Checks `server` (the octets after the client cookie) against every
    /// secret, for `client` at `ip`, at Unix time `now`.
    pub fn check(&self, client: &[u8; 8], server: &[u8], ip: IpAddr, now: u64) -> CookieState {
        if server.is_empty() {
            return CookieState::ClientOnly;
        }
        let Ok(sc) = <&[u8; SERVER_COOKIE_LEN]>::try_from(server) else {
            return CookieState::Invalid;
        };
        if sc[0] != 1 || sc[1..4] != [0, 0, 0] {
            return CookieState::Invalid;
        }
        let ts = u32::from_be_bytes([sc[4], sc[5], sc[6], sc[7]]);
        // Serial-number arithmetic on 32-bit time (RFC 9018 §4.3).
        let age = (now as u32).wrapping_sub(ts) as i32 as i64;
        if !(-MAX_AHEAD_SECS..=MAX_AGE_SECS).contains(&age) {
            return CookieState::Invalid;
        }
        let valid = self.secrets.iter().any(|k| hash(k, client, ts, ip) == sc[8..16]);
        if valid {
            CookieState::Valid
        } else {
            CookieState::Invalid
        }
    }

    /// The COOKIE option value to answer with: `client` and a new server
    /// cookie for `ip` dated `now`, made with the first secret.
    pub fn answer(&self, client: &[u8; 8], ip: IpAddr, now: u64) -> [u8; COOKIE_LEN] {
        let mut out = [0u8; COOKIE_LEN];
        out[..8].copy_from_slice(client);
        let key = self.secrets.first().copied().unwrap_or_else(generated_secret);
        out[8] = 1; // version 1, reserved zero
        out[12..16].copy_from_slice(&(now as u32).to_be_bytes());
        out[16..24].copy_from_slice(&hash(&key, client, now as u32, ip));
        out
    }
}

/// The hash of RFC 9018 §4.4 over the client cookie, version, reserved,
/// timestamp and the client's address.
fn hash(key: &Secret, client: &[u8; 8], ts: u32, ip: IpAddr) -> [u8; 8] {
    let mut input = [0u8; 8 + 8 + 16];
    input[..8].copy_from_slice(client);
    input[8] = 1;
    input[12..16].copy_from_slice(&ts.to_be_bytes());
    let n = match ip {
        IpAddr::V4(a) => {
            input[16..20].copy_from_slice(&a.octets());
            20
        }
        IpAddr::V6(a) => {
            input[16..32].copy_from_slice(&a.octets());
            32
        }
    };
    siphash24(key, &input[..n]).to_le_bytes()
}

/// SipHash-2-4 (Aumasson and Bernstein), the reference algorithm: the key
/// read as two little-endian words, the output a word written little-endian
/// by the caller (as BIND's `isc_siphash24` and Knot's do).
pub fn siphash24(key: &Secret, data: &[u8]) -> u64 {
    let k0 = u64::from_le_bytes(key[..8].try_into().expect("8 octets"));
    let k1 = u64::from_le_bytes(key[8..].try_into().expect("8 octets"));
    let mut v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let compress = |m: u64, v: &mut [u64; 4]| {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    };
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        compress(u64::from_le_bytes(c.try_into().expect("8 octets")), &mut v);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    last[7] = data.len() as u8;
    compress(u64::from_le_bytes(last), &mut v);
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vectors of the SipHash paper (appendix A) and its
    /// `vectors.h`: key 00..0f, messages 00..(n-1).
    #[test]
    fn siphash_reference_vectors() {
        let key: Secret = core::array::from_fn(|i| i as u8);
        let msg: Vec<u8> = (0..64).map(|i| i as u8).collect();
        assert_eq!(siphash24(&key, &msg[..15]), 0xa129ca6149be45e5);
        assert_eq!(siphash24(&key, &msg[..0]).to_le_bytes(), [0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72]);
        assert_eq!(siphash24(&key, &msg[..8]).to_le_bytes(), [0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93]);
    }

    /// RFC 9018 appendix A.1: the server cookie a server with secret
    /// e5e973e5a6b2a43f48e7dc849e37bfcf makes for client 192.168.0.1 at
    /// 1559731985 (2019-06-05 10:53:05 UTC), byte for byte.
    #[test]
    fn rfc9018_appendix_a1() {
        let s = CookieSettings { enabled: true, require: false, secrets: vec![parse_secret("e5e973e5a6b2a43f48e7dc849e37bfcf").unwrap()] };
        let client = [0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57];
        let ip: IpAddr = "198.51.100.100".parse().unwrap();
        let out = s.answer(&client, ip, 1559731985);
        let want = [0x01, 0x00, 0x00, 0x00, 0x5c, 0xf7, 0x9f, 0x11, 0x1f, 0x81, 0x30, 0xc3, 0xee, 0xe2, 0x94, 0x80];
        assert_eq!(out[8..], want);
        assert_eq!(s.check(&client, &want, ip, 1559731985 + 60), CookieState::Valid);
    }

    #[test]
    fn checks_age_address_secret_and_shape() {
        let now = 1_800_000_000;
        let s = CookieSettings { enabled: true, require: false, secrets: vec![[7; 16]] };
        let client = [1, 2, 3, 4, 5, 6, 7, 8];
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let c = s.answer(&client, ip, now);
        let sc = &c[8..];
        assert_eq!(s.check(&client, sc, ip, now), CookieState::Valid);
        assert_eq!(s.check(&client, sc, ip, now + 3600), CookieState::Valid);
        assert_eq!(s.check(&client, sc, ip, now + 3601), CookieState::Invalid, "over an hour old");
        assert_eq!(s.check(&client, sc, ip, now - 300), CookieState::Valid);
        assert_eq!(s.check(&client, sc, ip, now - 301), CookieState::Invalid, "too far ahead");
        assert_eq!(s.check(&client, sc, "192.0.2.2".parse().unwrap(), now), CookieState::Invalid, "another address");
        assert_eq!(s.check(&[9; 8], sc, ip, now), CookieState::Invalid, "another client cookie");
        assert_eq!(s.check(&client, &sc[..8], ip, now), CookieState::Invalid, "not version 1's length");
        assert_eq!(s.check(&client, &[], ip, now), CookieState::ClientOnly);
        let c6 = s.answer(&client, v6, now);
        assert_eq!(s.check(&client, &c6[8..], v6, now), CookieState::Valid);
        // Rolling: a new first secret makes cookies, the old one is still accepted.
        let rolled = CookieSettings { secrets: vec![[8; 16], [7; 16]], ..s.clone() };
        assert_eq!(rolled.check(&client, sc, ip, now), CookieState::Valid);
        assert_ne!(rolled.answer(&client, ip, now)[8..], c[8..]);
        let forgotten = CookieSettings { secrets: vec![[8; 16]], ..s };
        assert_eq!(forgotten.check(&client, sc, ip, now), CookieState::Invalid);
        assert!(parse_secret("00").is_err() && parse_secret(&"g".repeat(32)).is_err());
        assert_eq!(parse_secret(" 00 ").unwrap_err().to_string(), "expected 32 hex digits (a 128-bit SipHash key), got 2 characters");
    }
}
