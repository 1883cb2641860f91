//! Domain names in wire form (RFC 1035 §3.1, §4.1.4).
//!
//! Owns: reading a possibly compressed name out of a message into a caller-owned
//! fixed buffer, lowercasing, label iteration and comparison helpers.
//! Must not: allocate. Every function here runs on the query path.
//!
//! Limits enforced while decompressing (RFC 1035 §4.1.4, RFC 9267): a label is
//! at most 63 octets, a name at most 255 octets, pointers must point strictly
//! backwards (which also rules out loops) and at most [`MAX_POINTERS`] are followed.
//!
//! The question name is lowercased and names are compared a word (eight
//! octets) at a time; a [`NameBuf`] is not zeroed when made, which is the
//! one `unsafe` here (reading back the octets it wrote).

use std::mem::MaybeUninit;

use super::WireError;

/// Longest name in wire form, including the root label (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Most compression pointers followed for one name; each must point backwards,
/// so this only bounds work on hostile packets.
pub const MAX_POINTERS: usize = 64;

/// A name in uncompressed wire form held in a fixed buffer (no heap).
///
/// The buffer is not zeroed when made (that would be 255 octets written per
/// query for a name of twenty): `buf[..len]` is always initialized, because
/// every write here fills octets before `len` grows over them and nothing
/// ever un-initializes one; the octets past `len` may be uninitialized.
#[derive(Clone, Copy)]
pub struct NameBuf {
    buf: [MaybeUninit<u8>; MAX_NAME_LEN],
    len: u8,
}

impl Default for NameBuf {
    fn default() -> Self {
        let mut buf = [MaybeUninit::uninit(); MAX_NAME_LEN];
        buf[0].write(0);
        Self { buf, len: 1 }
    }
}

/// Copies `src` into the start of `dst` (as many octets as both hold).
#[inline(always)]
fn put(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
    // (`write_copy_of_slice` is newer than the workspace's rust-version.)
    for (d, s) in dst.iter_mut().zip(src) {
        d.write(*s);
    }
}

impl std::fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", DisplayName(self.as_wire()))
    }
}

impl NameBuf {
    /// The root name.
    pub fn root() -> Self {
        Self::default()
    }

    /// Copies an uncompressed wire name (already validated).
    pub fn from_wire(wire: &[u8]) -> Result<Self, WireError> {
        let mut n = Self::default();
        let mut pos = 0;
        let mut out = 0;
        loop {
            let l = *wire.get(pos).ok_or(WireError::Truncated)? as usize;
            if l > MAX_LABEL_LEN {
                return Err(WireError::BadLabel);
            }
            if out + 1 + l > MAX_NAME_LEN || pos + 1 + l > wire.len() {
                return Err(WireError::NameTooLong);
            }
            put(&mut n.buf[out..out + 1 + l], &wire[pos..pos + 1 + l]);
            out += 1 + l;
            pos += 1 + l;
            if l == 0 {
                break;
            }
        }
        n.len = out as u8;
        Ok(n)
    }

    /// The name in uncompressed wire form, ending with the root label.
    #[inline]
    pub fn as_wire(&self) -> &[u8] {
        // SAFETY: `buf[..len]` is initialized (see the type's doc), `len` is at
        // most `MAX_NAME_LEN`, and `MaybeUninit<u8>` has the layout of `u8`.
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), self.len as usize) }
    }

    #[inline]
    fn as_wire_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_wire`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.buf.as_mut_ptr().cast::<u8>(), self.len as usize) }
    }

    /// Length in octets of the wire form.
    #[inline]
    #[allow(clippy::len_without_is_empty)] // never empty: the root name is one octet
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True for the root name.
    #[inline]
    pub fn is_root(&self) -> bool {
        self.len == 1
    }

    /// ASCII-lowercases the name in place (RFC 4343).
    #[inline]
    pub fn make_lowercase(&mut self) {
        lowercase_wire(self.as_wire_mut());
    }

    /// Replaces the name by `prefix_labels` (wire labels, without root) followed by `suffix`.
    /// Fails with [`WireError::NameTooLong`] when the result exceeds 255 octets
    /// (the DNAME YXDOMAIN case, RFC 6672 §2.2).
    pub fn set_concat(&mut self, prefix_labels: &[u8], suffix: &[u8]) -> Result<(), WireError> {
        let total = prefix_labels.len() + suffix.len();
        if total > MAX_NAME_LEN {
            return Err(WireError::NameTooLong);
        }
        put(&mut self.buf[..prefix_labels.len()], prefix_labels);
        put(&mut self.buf[prefix_labels.len()..total], suffix);
        self.len = total as u8;
        Ok(())
    }
}

/// One word of octets: eight at a time for the name helpers below.
const ONES: u64 = u64::from_ne_bytes([1; 8]);
const HIGH: u64 = ONES * 0x80;

/// The octets of `x` that are ASCII capitals, as their 0x80 bit (SWAR: per
/// octet, without carries between them, the low seven bits are ≥ 'A' and
/// ≤ 'Z' and the high bit is clear).
#[inline(always)]
fn capitals(x: u64) -> u64 {
    let low = x & !HIGH;
    (low + ONES * (0x80 - b'A' as u64)) & !(low + ONES * (0x80 - b'Z' as u64 - 1)) & !x & HIGH
}

/// `x` with its ASCII capitals lowercased (0x20 set), every other octet kept.
#[inline(always)]
fn lower_word(x: u64) -> u64 {
    x | (capitals(x) >> 2)
}

#[inline(always)]
fn word(s: &[u8], i: usize) -> u64 {
    u64::from_ne_bytes(s[i..i + 8].try_into().expect("8 octets"))
}

/// Copies the first `n` octets of `src` (at most 255) into `dst`,
/// ASCII-lowercased a word at a time. Length octets (at most 63) are never
/// capitals, so a wire name is lowercased whole without walking its labels.
/// A name shorter than a word is read as one word when `src` goes on (the
/// octets after a question name in its message); what lands in `dst` past
/// `n` is outside the name.
#[inline(always)]
fn copy_lower(dst: &mut [MaybeUninit<u8>], src: &[u8], n: usize) {
    if n < 8 {
        if src.len() >= 8 && dst.len() >= 8 {
            put(&mut dst[..8], &lower_word(word(src, 0)).to_ne_bytes());
        } else {
            for (d, s) in dst[..n].iter_mut().zip(src) {
                d.write(s.to_ascii_lowercase());
            }
        }
        return;
    }
    let mut i = 0;
    while i + 8 < n {
        put(&mut dst[i..i + 8], &lower_word(word(src, i)).to_ne_bytes());
        i += 8;
    }
    // The last word, overlapping the one before.
    put(&mut dst[n - 8..n], &lower_word(word(src, n - 8)).to_ne_bytes());
}

/// `a == b` for short slices such as names, a word at a time (the last word
/// overlapping the one before), inline rather than through `memcmp`.
#[inline(always)]
pub fn same_octets(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    if word(a, n - 8) != word(b, n - 8) {
        return false;
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    true
}

/// ASCII-lowercases every label octet of an uncompressed wire name in place
/// (octets after its root label, if any, are left alone).
#[inline]
pub fn lowercase_wire(wire: &mut [u8]) {
    let mut end = 0;
    while end < wire.len() {
        let l = wire[end] as usize;
        end += 1 + l;
        if l == 0 {
            break;
        }
    }
    let end = end.min(wire.len());
    let name = &mut wire[..end];
    let mut i = 0;
    while i + 8 <= name.len() {
        let w = lower_word(word(name, i));
        name[i..i + 8].copy_from_slice(&w.to_ne_bytes());
        i += 8;
    }
    name[i..].make_ascii_lowercase();
}

/// Reads an uncompressed name at `start` (the question name, which can hold no
/// pointer) into `out`, lowercased. Returns the offset after it.
///
/// The labels are walked once to validate the name and find its end; the
/// octets are then copied and lowercased a word at a time.
#[inline]
pub fn read_plain_name_lower(msg: &[u8], start: usize, out: &mut NameBuf) -> Result<usize, WireError> {
    // Every length octet must lie inside the message and inside the first
    // 255 octets of the name: one bound for both, and the error sorted out
    // only when it is crossed.
    let limit = msg.len().min(start + MAX_NAME_LEN);
    let mut pos = start;
    loop {
        // Each label lies between two length octets that were read, so
        // reaching the root label proves the whole name is in `msg`.
        if pos >= limit {
            return Err(past_limit(msg, start, pos));
        }
        let l = msg[pos] as usize;
        if l > MAX_LABEL_LEN {
            return Err(label_error(l));
        }
        pos += 1 + l;
        if l == 0 {
            break;
        }
    }
    let n = pos - start;
    copy_lower(&mut out.buf, &msg[start..], n);
    out.len = n as u8;
    Ok(pos)
}

/// The error for a length octet that is not a label's (more than 63).
fn label_error(l: usize) -> WireError {
    if l & 0xC0 == 0xC0 {
        WireError::BadPointer
    } else {
        WireError::BadLabel
    }
}

/// Why a question name starting at `start` reached `pos`, past the end of the
/// message or its first 255 octets: the error that checking the length
/// octet, the label and the name's length in turn gives.
#[cold]
fn past_limit(msg: &[u8], start: usize, pos: usize) -> WireError {
    if pos - start > MAX_NAME_LEN {
        return WireError::NameTooLong;
    }
    match msg.get(pos) {
        None => WireError::Truncated,
        Some(&l) if l as usize > MAX_LABEL_LEN => label_error(l as usize),
        Some(_) => WireError::NameTooLong,
    }
}

/// Reads the (possibly compressed) name starting at `start` in `msg` into `out`,
/// lowercased. Returns the offset just past the name's in-place encoding.
pub fn read_name_lower(msg: &[u8], start: usize, out: &mut NameBuf) -> Result<usize, WireError> {
    let end = read_name(msg, start, out)?;
    out.make_lowercase();
    Ok(end)
}

/// Reads the (possibly compressed) name at `start` in `msg` into `out`, preserving case.
/// Returns the offset just past the name's in-place encoding.
pub fn read_name(msg: &[u8], start: usize, out: &mut NameBuf) -> Result<usize, WireError> {
    let mut pos = start;
    let mut written = 0usize;
    let mut end = None;
    let mut pointers = 0;
    // Lowest offset seen so far: every pointer must go strictly below it.
    let mut floor = start;
    loop {
        let l = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        match l & 0xC0 {
            0x00 => {
                if pos + 1 + l > msg.len() {
                    return Err(WireError::Truncated);
                }
                if written + 1 + l > MAX_NAME_LEN {
                    return Err(WireError::NameTooLong);
                }
                put(&mut out.buf[written..written + 1 + l], &msg[pos..pos + 1 + l]);
                written += 1 + l;
                pos += 1 + l;
                if l == 0 {
                    break;
                }
            }
            0xC0 => {
                let b2 = *msg.get(pos + 1).ok_or(WireError::Truncated)? as usize;
                let target = ((l & 0x3F) << 8) | b2;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                pointers += 1;
                if target >= floor || pointers > MAX_POINTERS {
                    return Err(WireError::BadPointer);
                }
                floor = target;
                pos = target;
            }
            _ => return Err(WireError::BadLabel),
        }
    }
    out.len = written as u8;
    Ok(end.unwrap_or(pos))
}

/// Skips a (possibly compressed) name without copying it; validates its structure
/// only as far as needed to find its end.
pub fn skip_name(msg: &[u8], start: usize) -> Result<usize, WireError> {
    let mut pos = start;
    loop {
        let l = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        match l & 0xC0 {
            0x00 => {
                pos += 1 + l;
                if pos > msg.len() {
                    return Err(WireError::Truncated);
                }
                if l == 0 {
                    return Ok(pos);
                }
            }
            0xC0 => {
                if pos + 2 > msg.len() {
                    return Err(WireError::Truncated);
                }
                return Ok(pos + 2);
            }
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// Number of labels, not counting the root.
#[inline]
pub fn label_count(wire: &[u8]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while pos < wire.len() && wire[pos] != 0 {
        pos += 1 + wire[pos] as usize;
        n += 1;
    }
    n
}

/// The suffix of `wire` after stripping its first `n` labels.
#[inline]
pub fn strip_labels(wire: &[u8], n: usize) -> &[u8] {
    let mut pos = 0;
    for _ in 0..n {
        if wire[pos] == 0 {
            break;
        }
        pos += 1 + wire[pos] as usize;
    }
    &wire[pos..]
}

/// The parent of `wire` (the root's parent is the root).
#[inline]
pub fn parent(wire: &[u8]) -> &[u8] {
    strip_labels(wire, 1)
}

/// True when `name` equals `zone` or lies below it; both lowercase wire.
#[inline(always)]
pub fn is_subdomain(name: &[u8], zone: &[u8]) -> bool {
    let Some(cut) = name.len().checked_sub(zone.len()) else { return false };
    if !same_octets(&name[cut..], zone) {
        return false;
    }
    // The match must start on a label boundary.
    let mut pos = 0;
    while pos < cut {
        pos += 1 + name[pos] as usize;
    }
    pos == cut
}

/// Compares two uncompressed wire names ASCII-case-insensitively.
#[inline]
pub fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Formats a wire name in presentation form (for logs and errors, not the query path).
pub struct DisplayName<'a>(pub &'a [u8]);

impl std::fmt::Display for DisplayName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.0;
        if w.first().copied().unwrap_or(0) == 0 {
            return f.write_str(".");
        }
        let mut pos = 0;
        while pos < w.len() && w[pos] != 0 {
            let l = w[pos] as usize;
            for &b in &w[pos + 1..(pos + 1 + l).min(w.len())] {
                match b {
                    b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => write!(f, "\\{}", b as char)?,
                    0x21..=0x7E => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{:03}", b)?,
                }
            }
            f.write_str(".")?;
            pos += 1 + l;
        }
        Ok(())
    }
}

/// Formats a name the way BIND writes zone names in logs: no trailing dot
/// (`example.com`), except for the root (`.`).
pub struct BareName<'a>(pub &'a [u8]);

impl std::fmt::Display for BareName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let full = DisplayName(self.0).to_string();
        match full.strip_suffix('.') {
            Some(bare) if !bare.is_empty() => f.write_str(bare),
            _ => f.write_str(&full),
        }
    }
}

/// Builds a wire name from a dotted presentation string with no escapes
/// (for tests, config and fixtures; not the query path).
pub fn from_dotted(s: &str) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(s.len() + 2);
    for label in s.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        if label.len() > MAX_LABEL_LEN {
            return Err(WireError::BadLabel);
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    if out.len() > MAX_NAME_LEN {
        return Err(WireError::NameTooLong);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompresses_and_rejects_forward_pointers() {
        // header (12) + "a.b." at 12, then pointer to 12 at 17
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(&[1, b'A', 1, b'b', 0, 0xC0, 12]);
        let mut n = NameBuf::default();
        assert_eq!(read_name_lower(&msg, 17, &mut n).unwrap(), 19);
        assert_eq!(n.as_wire(), &[1, b'a', 1, b'b', 0]);
        // pointer to itself: loop
        let mut bad = vec![0u8; 12];
        bad.extend_from_slice(&[0xC0, 12]);
        assert_eq!(read_name(&bad, 12, &mut n), Err(WireError::BadPointer));
    }

    /// A name of `labels` labels cycling through `octets`, and the same
    /// lowercased octet by octet (the reference for the word-at-a-time code).
    fn mixed(labels: &[usize], octets: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut wire = Vec::new();
        let mut k = 0;
        for &l in labels {
            wire.push(l as u8);
            for _ in 0..l {
                wire.push(octets[k % octets.len()]);
                k += 1;
            }
        }
        wire.push(0);
        let lower = wire.iter().map(u8::to_ascii_lowercase).collect();
        (wire, lower)
    }

    #[test]
    fn question_names_lowercase_a_word_at_a_time() {
        // Capitals and their neighbours ('@' 0x40, '[' 0x5B, '`' 0x60, '{' 0x7B),
        // and octets with the high bit set whose low bits look like capitals.
        let octets = [b'A', b'@', b'Z', b'[', b'a', b'`', b'z', b'{', 0xC1, 0xDA, b'M', b'0', 0xFF, b'-'];
        let shapes: [&[usize]; 9] = [&[], &[1], &[3], &[6], &[7], &[3, 4], &[8, 8], &[63, 63, 63, 61], &[1, 2, 3, 4, 5, 6, 7, 8, 9]];
        for labels in shapes {
            for rot in 0..octets.len() {
                let mut o = octets.to_vec();
                o.rotate_left(rot);
                let (wire, lower) = mixed(labels, &o);
                // Alone (nothing after the name) and followed by a question's TYPE and CLASS.
                for tail in [&[][..], &[0, 1, 0, 1]] {
                    let mut msg = vec![0u8; 12];
                    msg.extend_from_slice(&wire);
                    msg.extend_from_slice(tail);
                    let mut n = NameBuf::root();
                    assert_eq!(read_plain_name_lower(&msg, 12, &mut n), Ok(12 + wire.len()), "{labels:?}");
                    assert_eq!(n.as_wire(), &lower[..], "{labels:?} rot {rot}");
                }
                let mut inplace = wire.clone();
                inplace.extend_from_slice(b"TAIL");
                lowercase_wire(&mut inplace);
                assert_eq!(&inplace[..wire.len()], &lower[..]);
                assert_eq!(&inplace[wire.len()..], b"TAIL", "octets after the root label are kept");
                let mut b = NameBuf::from_wire(&wire).unwrap();
                b.make_lowercase();
                assert_eq!(b.as_wire(), &lower[..]);
                assert!(same_octets(&lower, b.as_wire()));
                assert_eq!(same_octets(&wire, &lower), wire == lower);
            }
        }
    }

    #[test]
    fn question_name_errors() {
        let msg = |name: &[u8]| [&[0u8; 12][..], name].concat();
        let mut n = NameBuf::root();
        assert_eq!(read_plain_name_lower(&msg(&[3, b'a', b'b']), 12, &mut n), Err(WireError::Truncated));
        assert_eq!(read_plain_name_lower(&msg(&[1, b'a']), 12, &mut n), Err(WireError::Truncated));
        assert_eq!(read_plain_name_lower(&msg(&[0xC0, 12]), 12, &mut n), Err(WireError::BadPointer));
        assert_eq!(read_plain_name_lower(&msg(&[64]), 12, &mut n), Err(WireError::BadLabel));
        // 4 × 64 octets: 256 in all, one too many.
        let long: Vec<u8> = (0..4).flat_map(|_| std::iter::once(63).chain(std::iter::repeat_n(b'x', 63))).chain([0]).collect();
        assert_eq!(read_plain_name_lower(&msg(&long), 12, &mut n), Err(WireError::NameTooLong));
        assert_eq!(read_plain_name_lower(&msg(&long[64..]), 12, &mut n), Ok(12 + 193));
        assert_eq!(n.len(), 193);
        // Exactly 255 octets.
        let max: Vec<u8> = [&long[..192], &[61][..], &[b'y'; 61], &[0]].concat();
        assert_eq!(read_plain_name_lower(&msg(&max), 12, &mut n), Ok(12 + 255));
        assert_eq!(n.len(), 255);
        assert_eq!(n.as_wire(), &max[..]);
        // 255 octets of labels: the root label would be octet 256.
        let full: Vec<u8> = [&long[..192], &[62][..], &[b'y'; 62]].concat();
        assert_eq!(read_plain_name_lower(&msg(&full), 12, &mut n), Err(WireError::Truncated));
        assert_eq!(read_plain_name_lower(&msg(&[&full[..], &[0]].concat()), 12, &mut n), Err(WireError::NameTooLong));
        assert_eq!(read_plain_name_lower(&msg(&[&full[..], &[1, b'z', 0]].concat()), 12, &mut n), Err(WireError::NameTooLong));
        assert_eq!(read_plain_name_lower(&msg(&[&full[..], &[0xC0, 12]].concat()), 12, &mut n), Err(WireError::BadPointer));
        // A label that would end past octet 255, in a message cut inside it.
        assert_eq!(read_plain_name_lower(&msg(&[&long[..192], &[63, b'y']].concat()), 12, &mut n), Err(WireError::NameTooLong));
        assert_eq!(n.len(), 255, "a failed read leaves the name as it was");
    }

    #[test]
    fn subdomain_respects_label_boundaries() {
        let z = from_dotted("example.com").unwrap();
        assert!(is_subdomain(&from_dotted("www.example.com").unwrap(), &z));
        assert!(is_subdomain(&z, &z));
        assert!(!is_subdomain(&from_dotted("xexample.com").unwrap(), &z));
        assert!(!is_subdomain(&from_dotted("com").unwrap(), &z));
        assert!(is_subdomain(&z, b"\0"));
        assert_eq!(label_count(&z), 2);
        assert_eq!(strip_labels(&from_dotted("a.example.com").unwrap(), 1), &z[..]);
    }
}
