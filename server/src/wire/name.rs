//! Domain names in wire form (RFC 1035 §3.1, §4.1.4).
//!
//! Owns: reading a possibly compressed name out of a message into a caller-owned
//! fixed buffer, lowercasing, label iteration and comparison helpers.
//! Must not: allocate. Every function here runs on the query path.
//!
//! Limits enforced while decompressing (RFC 1035 §4.1.4, RFC 9267): a label is
//! at most 63 octets, a name at most 255 octets, pointers must point strictly
//! backwards (which also rules out loops) and at most [`MAX_POINTERS`] are followed.

use super::WireError;

/// Longest name in wire form, including the root label (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Most compression pointers followed for one name; each must point backwards,
/// so this only bounds work on hostile packets.
pub const MAX_POINTERS: usize = 64;

/// A name in uncompressed wire form held in a fixed buffer (no heap).
#[derive(Clone, Copy)]
pub struct NameBuf {
    buf: [u8; MAX_NAME_LEN],
    len: u8,
}

impl Default for NameBuf {
    fn default() -> Self {
        Self { buf: [0; MAX_NAME_LEN], len: 1 }
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
            n.buf[out..out + 1 + l].copy_from_slice(&wire[pos..pos + 1 + l]);
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
        &self.buf[..self.len as usize]
    }

    /// Length in octets of the wire form.
    #[inline]
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
        lowercase_wire(&mut self.buf[..self.len as usize]);
    }

    /// Replaces the name by `prefix_labels` (wire labels, without root) followed by `suffix`.
    /// Fails with [`WireError::NameTooLong`] when the result exceeds 255 octets
    /// (the DNAME YXDOMAIN case, RFC 6672 §2.2).
    pub fn set_concat(&mut self, prefix_labels: &[u8], suffix: &[u8]) -> Result<(), WireError> {
        let total = prefix_labels.len() + suffix.len();
        if total > MAX_NAME_LEN {
            return Err(WireError::NameTooLong);
        }
        self.buf[..prefix_labels.len()].copy_from_slice(prefix_labels);
        self.buf[prefix_labels.len()..total].copy_from_slice(suffix);
        self.len = total as u8;
        Ok(())
    }
}

/// ASCII-lowercases every label octet of an uncompressed wire name in place.
#[inline]
pub fn lowercase_wire(wire: &mut [u8]) {
    let mut pos = 0;
    while pos < wire.len() {
        let l = wire[pos] as usize;
        if l == 0 {
            break;
        }
        for b in &mut wire[pos + 1..pos + 1 + l] {
            b.make_ascii_lowercase();
        }
        pos += 1 + l;
    }
}

/// Reads an uncompressed name at `start` (the question name, which can hold no
/// pointer) into `out`, lowercased in the same pass. Returns the offset after it.
#[inline]
pub fn read_plain_name_lower(msg: &[u8], start: usize, out: &mut NameBuf) -> Result<usize, WireError> {
    let mut pos = start;
    loop {
        let l = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        if l > MAX_LABEL_LEN {
            return Err(if l & 0xC0 == 0xC0 { WireError::BadPointer } else { WireError::BadLabel });
        }
        let end = pos + 1 + l;
        let written = pos - start;
        if end - start > MAX_NAME_LEN {
            return Err(WireError::NameTooLong);
        }
        let src = msg.get(pos..end).ok_or(WireError::Truncated)?;
        for (d, s) in out.buf[written..written + 1 + l].iter_mut().zip(src) {
            *d = s.to_ascii_lowercase();
        }
        pos = end;
        if l == 0 {
            break;
        }
    }
    out.len = (pos - start) as u8;
    Ok(pos)
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
                out.buf[written..written + 1 + l].copy_from_slice(&msg[pos..pos + 1 + l]);
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
#[inline]
pub fn is_subdomain(name: &[u8], zone: &[u8]) -> bool {
    if name.len() < zone.len() || !name.ends_with(zone) {
        return false;
    }
    // The match must start on a label boundary.
    let cut = name.len() - zone.len();
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

    #[test]
    fn subdomain_respects_label_boundaries() {
        let z = from_dotted("example.com").unwrap();
        assert!(is_subdomain(&from_dotted("www.example.com").unwrap(), &z));
        assert!(is_subdomain(&z, &z));
        assert!(!is_subdomain(&from_dotted("xexample.com").unwrap(), &z));
        assert_eq!(label_count(&z), 2);
        assert_eq!(strip_labels(&from_dotted("a.example.com").unwrap(), 1), &z[..]);
    }
}
