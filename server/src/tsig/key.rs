//! TSIG algorithms, keys and the key ring (RFC 8945 §4.2, §6).
//!
//! Owns: the algorithm names and sizes, parsing keys from configuration
//! (`name=alg:base64` or `name=base64`), each key's truncation policy (the
//! shortest MAC it accepts: the full hash unless the algorithm is written with
//! a bit count, as BIND's `hmac-sha256-128`), and key lookup by name, ignoring
//! case (checklist S6). Must not: show a secret — `Key`'s `Debug` prints only its
//! length and no error message includes it — or accept HMAC-MD5 (§6 MUST NOT).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;

use super::TsigError;
use crate::wire::name::{from_dotted, lowercase_wire, DisplayName, NameBuf};

/// A TSIG MAC algorithm (RFC 8945 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// hmac-sha1: MUST be implemented, NOT RECOMMENDED for use.
    HmacSha1,
    /// hmac-sha224: MAY.
    HmacSha224,
    /// hmac-sha256: MUST be implemented, RECOMMENDED.
    HmacSha256,
    /// hmac-sha384: MAY.
    HmacSha384,
    /// hmac-sha512: MAY.
    HmacSha512,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 5] = [Self::HmacSha1, Self::HmacSha224, Self::HmacSha256, Self::HmacSha384, Self::HmacSha512];

    /// Presentation name without the trailing dot, as `dig -y` and `named.conf` write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "hmac-sha1",
            Self::HmacSha224 => "hmac-sha224",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm name in canonical (lowercase, uncompressed) wire form.
    pub fn wire_name(self) -> &'static [u8] {
        match self {
            Self::HmacSha1 => b"\x09hmac-sha1\x00",
            Self::HmacSha224 => b"\x0bhmac-sha224\x00",
            Self::HmacSha256 => b"\x0bhmac-sha256\x00",
            Self::HmacSha384 => b"\x0bhmac-sha384\x00",
            Self::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    /// Length of the full MAC in octets.
    pub fn mac_len(self) -> usize {
        match self {
            Self::HmacSha1 => 20,
            Self::HmacSha224 => 28,
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }

    /// Shortest MAC accepted: the larger of 10 octets and half the hash (RFC 8945 §5.2.2.1).
    pub fn min_mac_len(self) -> usize {
        (self.mac_len() / 2).max(10)
    }

    /// The algorithm named by a wire name, in any case.
    pub fn from_wire(name: &[u8]) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.wire_name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = TsigError;

    /// Parses `hmac-sha256`, `HMAC-SHA256.` and the like; refuses HMAC-MD5.
    fn from_str(s: &str) -> Result<Self, TsigError> {
        let bare = s.strip_suffix('.').unwrap_or(s);
        if let Some(a) = Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(bare)) {
            return Ok(a);
        }
        let lower = bare.to_ascii_lowercase();
        if lower == "hmac-md5" || lower == "hmac-md5.sig-alg.reg.int" {
            return Err(TsigError::Md5Refused);
        }
        Err(TsigError::UnknownAlgorithm(s.to_owned()))
    }
}

/// A shared secret key (RFC 8945 §2, §4.2).
#[derive(Clone)]
pub struct Key {
    /// Key name, canonical: lowercase uncompressed wire form.
    pub name: Box<[u8]>,
    /// MAC algorithm.
    pub algorithm: Algorithm,
    secret: Vec<u8>,
    /// Local truncation policy: the shortest MAC accepted in a request, in
    /// octets (RFC 8945 §5.2.4). The full hash unless configured otherwise.
    min_mac_len: usize,
}

/// An algorithm as configured: `hmac-sha256`, or with a truncation policy in
/// bits as BIND writes it, `hmac-sha256-128` (RFC 8945 §5.2.2.1: a multiple
/// of 8, at least max(80, hash/2), at most the hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmSpec {
    /// The MAC algorithm.
    pub algorithm: Algorithm,
    /// Shortest MAC accepted, in octets; `None` for the full hash.
    pub min_mac_len: Option<usize>,
}

impl FromStr for AlgorithmSpec {
    type Err = TsigError;

    fn from_str(s: &str) -> Result<Self, TsigError> {
        let bare = s.trim().strip_suffix('.').unwrap_or(s.trim());
        let plain = bare.parse::<Algorithm>();
        let Some((alg, bits)) = bare.rsplit_once('-').filter(|(_, b)| !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit())) else {
            return plain.map(|algorithm| Self { algorithm, min_mac_len: None });
        };
        let algorithm: Algorithm = alg.parse()?;
        let bits: usize = bits.parse().map_err(|_| TsigError::UnknownAlgorithm(s.to_owned()))?;
        let full = algorithm.mac_len() * 8;
        if !bits.is_multiple_of(8) || bits < algorithm.min_mac_len() * 8 || bits > full {
            return Err(TsigError::BadTruncation { algorithm, bits });
        }
        Ok(Self { algorithm, min_mac_len: (bits < full).then_some(bits / 8) })
    }
}

impl fmt::Display for AlgorithmSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.min_mac_len {
            Some(n) => write!(f, "{}-{}", self.algorithm, n * 8),
            None => write!(f, "{}", self.algorithm),
        }
    }
}

impl Key {
    /// A key named `name` (presentation form, trailing dot optional, any case).
    /// Fails on an invalid name or an empty secret.
    pub fn new(name: &str, algorithm: Algorithm, secret: &[u8]) -> Result<Key, TsigError> {
        let mut wire = from_dotted(name).map_err(|error| TsigError::BadKeyName { name: name.to_owned(), error })?;
        if wire.len() == 1 {
            return Err(TsigError::BadKeyName { name: name.to_owned(), error: crate::wire::WireError::BadLabel });
        }
        if secret.is_empty() {
            return Err(TsigError::BadSecret { name: name.to_owned(), reason: "the secret is empty" });
        }
        lowercase_wire(&mut wire);
        Ok(Key { name: wire.into_boxed_slice(), algorithm, secret: secret.to_vec(), min_mac_len: algorithm.mac_len() })
    }

    /// This key with a truncation policy (see [`AlgorithmSpec`]); `None`
    /// keeps the full hash.
    pub fn with_min_mac_len(mut self, min: Option<usize>) -> Key {
        self.min_mac_len = min.unwrap_or(self.algorithm.mac_len()).clamp(self.algorithm.min_mac_len(), self.algorithm.mac_len());
        self
    }

    /// The shortest MAC this key accepts in a request (local policy, RFC 8945 §5.2.4).
    pub fn min_mac_len(&self) -> usize {
        self.min_mac_len
    }

    /// The algorithm with this key's truncation policy, as configured.
    pub fn spec(&self) -> AlgorithmSpec {
        let min = (self.min_mac_len < self.algorithm.mac_len()).then_some(self.min_mac_len);
        AlgorithmSpec { algorithm: self.algorithm, min_mac_len: min }
    }

    /// Parses `name=algorithm:base64secret`, or `name=base64secret` for hmac-sha256.
    /// The algorithm may carry a truncation policy (`hmac-sha256-128`, see
    /// [`AlgorithmSpec`]). Whitespace around the parts is ignored.
    pub fn from_spec(spec: &str) -> Result<Key, TsigError> {
        let (name, rest) = spec.split_once('=').ok_or(TsigError::BadSpec)?;
        match rest.split_once(':') {
            Some((alg, secret)) => Key::from_parts(name, alg, secret),
            None => Key::from_parts(name, Algorithm::HmacSha256.name(), rest),
        }
    }

    /// A key from its configured parts: name, algorithm (an [`AlgorithmSpec`])
    /// and base64 secret. Whitespace around each is ignored.
    pub fn from_parts(name: &str, algorithm: &str, secret_base64: &str) -> Result<Key, TsigError> {
        let name = name.trim();
        let alg: AlgorithmSpec = algorithm.trim().parse()?;
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret_base64.trim())
            .map_err(|_| TsigError::BadSecret { name: name.to_owned(), reason: "the secret is not valid base64" })?;
        Ok(Key::new(name, alg.algorithm, &secret)?.with_min_mac_len(alg.min_mac_len))
    }

    /// The secret, for the MAC code only.
    pub(super) fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The key name for messages and logs.
    pub fn display_name(&self) -> DisplayName<'_> {
        DisplayName(&self.name)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("name", &format_args!("{}", DisplayName(&self.name)))
            .field("algorithm", &self.algorithm)
            .field("min_mac_len", &self.min_mac_len)
            .field("secret", &format_args!("<{} octets redacted>", self.secret.len()))
            .finish()
    }
}

/// The keys a server or client knows, by name (case-insensitive, checklist S6).
/// Cheap to clone: keys are shared.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: HashMap<Box<[u8]>, Arc<Key>>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// A ring from key specs (see [`Key::from_spec`]).
    pub fn from_specs<I, S>(specs: I) -> Result<Self, TsigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut ring = Self::new();
        for s in specs {
            ring.insert(Key::from_spec(s.as_ref())?);
        }
        Ok(ring)
    }

    /// Adds a key, replacing (and returning) one with the same name.
    pub fn insert(&mut self, key: Key) -> Option<Arc<Key>> {
        self.keys.insert(key.name.clone(), Arc::new(key))
    }

    /// Removes the key named `name` (presentation form, any case).
    pub fn remove(&mut self, name: &str) -> Option<Arc<Key>> {
        let mut wire = from_dotted(name).ok()?;
        lowercase_wire(&mut wire);
        self.keys.remove(wire.as_slice())
    }

    /// The key named `name` (presentation form, any case).
    pub fn get(&self, name: &str) -> Option<&Arc<Key>> {
        let wire = from_dotted(name).ok()?;
        self.get_wire(&wire)
    }

    /// The key named by the uncompressed wire name `name`, in any case.
    pub fn get_wire(&self, name: &[u8]) -> Option<&Arc<Key>> {
        let mut lower = NameBuf::from_wire(name).ok()?;
        lower.make_lowercase();
        self.keys.get(lower.as_wire())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All keys, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Key>> {
        self.keys.values()
    }
}
