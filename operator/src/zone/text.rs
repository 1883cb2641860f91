//! Zone-file presentation text for the control API's zone body: owner names
//! and target names checked the way the server's zone-file reader will read
//! them (RFC 1035 §2.3.4, §5.1), and character-strings quoted and escaped.
//!
//! Owns: the limits a name or string of a record object must keep (label 63
//! octets, name 255 octets, a field 4096 characters, a TXT entry 65,535
//! octets), the characters a name may hold, and the quoting of strings.
//! Must not: know record kinds or the CRD types; every check returns a
//! reason that names the field and the value, for the caller to report.

use std::net::IpAddr;

/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// Longest name in wire octets (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// Longest string field of a record object, in characters (TXT entries aside).
pub const MAX_FIELD: usize = 4096;
/// Longest TXT entry, in octets, and longest RDATA on the wire (RFC 1035 §3.2.1: RDLENGTH is 16 bits).
pub const MAX_RDATA: usize = 65_535;
/// Longest character-string (RFC 1035 §3.3: one length octet).
const MAX_CHARSTR: usize = 255;

/// A zone apex: lowercase, without its trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apex {
    name: String,
    /// Octets of the apex in wire form (labels with their length octets, and the root).
    wire_len: usize,
}

impl Apex {
    /// `spec.zoneName` as an apex (case and one trailing dot ignored), or why not.
    pub fn parse(text: &str) -> Result<Apex, String> {
        plain("spec.zoneName", text, MAX_FIELD)?;
        let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
        if name.is_empty() {
            return Err("spec.zoneName is empty (the root zone is not served)".into());
        }
        let labels = labels("spec.zoneName", text, &name, false)?;
        let wire_len = labels + 1;
        if wire_len > MAX_NAME {
            return Err(format!("spec.zoneName {} is {wire_len} octets long as a name, more than {MAX_NAME}", show(text)));
        }
        Ok(Apex { name, wire_len })
    }

    /// The apex, absolute (`example.com.`).
    pub fn absolute(&self) -> String {
        format!("{}.", self.name)
    }

    /// The owner (`@` or relative) of the lowercase absolute name `abs`, if
    /// `abs` is the apex or below it.
    pub fn relative(&self, abs: &str) -> Option<String> {
        let n = abs.strip_suffix('.')?;
        if n == self.name {
            return Some("@".into());
        }
        let rel = n.strip_suffix(self.name.as_str())?.strip_suffix('.')?;
        (!rel.is_empty()).then(|| rel.to_string())
    }
}

/// `value` for a message: quoted, control characters escaped, cut after 64
/// characters.
pub fn show(value: &str) -> String {
    if value.chars().count() <= 64 {
        return format!("{value:?}");
    }
    let head: String = value.chars().take(64).collect();
    format!("{head:?}… ({} characters)", value.chars().count())
}

/// A string field in general: at most `max` characters, no control character.
pub fn plain(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        return Err(format!("{field} is {n} characters long, more than {max}"));
    }
    control(field, value)
}

/// No control character (newline, tab, …) in `value`: a zone file cannot
/// carry one unescaped, and none belongs in a name or a record's text.
pub fn control(field: &str, value: &str) -> Result<(), String> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("{field} {} holds the control character U+{:04X}", show(value), u32::from(c))),
        None => Ok(()),
    }
}

/// Checks the dotted labels `name` (lowercase, no trailing dot) of the field
/// value `value`; returns their wire octets (length octets included, root
/// not). A `*` label is allowed first when `wildcard`.
fn labels(field: &str, value: &str, name: &str, wildcard: bool) -> Result<usize, String> {
    let mut octets = 0;
    for (i, label) in name.split('.').enumerate() {
        if label.is_empty() {
            return Err(format!("{field} {} has an empty label", show(value)));
        }
        if label.len() > MAX_LABEL {
            return Err(format!("{field} {} has a label of {} octets, more than {MAX_LABEL}", show(value), label.len()));
        }
        if !(wildcard && i == 0 && label == "*") {
            if let Some(c) = label.chars().find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'))) {
                return Err(if c.is_ascii() {
                    format!("{field} {} holds the character {c:?}, which a host name cannot hold", show(value))
                } else {
                    format!("{field} {} holds the non-ASCII character {c:?}: write an internationalized name in its xn-- form", show(value))
                });
            }
        }
        octets += label.len() + 1;
    }
    Ok(octets)
}

/// An owner name (`spec.name`): `@` or empty for the apex, a relative name
/// under the apex, or an absolute name (trailing dot) at or below it.
/// Returns the owner as the body writes it: `@` or relative, lowercase.
pub fn owner(apex: &Apex, field: &str, value: &str) -> Result<String, String> {
    plain(field, value, MAX_FIELD)?;
    if value.is_empty() || value == "@" {
        return Ok("@".into());
    }
    let lower = value.to_ascii_lowercase();
    let rel = match lower.strip_suffix('.') {
        Some(_) => apex.relative(&lower).ok_or_else(|| format!("name {value} is outside zone {}", apex.absolute()))?,
        None => lower,
    };
    if rel == "@" {
        return Ok(rel);
    }
    let octets = labels(field, value, &rel, true)? + apex.wire_len;
    if octets > MAX_NAME {
        return Err(format!("{field} {} is {octets} octets long in zone {}, more than {MAX_NAME}", show(value), apex.absolute()));
    }
    Ok(rel)
}

/// A host name a record points at (`target`, `mailServer`, `nameserver`):
/// absolute with a trailing dot, else relative to the zone as in a zone
/// file; `@` is the apex, `.` the root (only where `root_ok`: a null MX,
/// RFC 7505, or an SRV saying "no service", RFC 2782). Returned as written:
/// the server completes relative names.
pub fn target(apex: &Apex, field: &str, value: &str, root_ok: bool) -> Result<String, String> {
    plain(field, value, MAX_FIELD)?;
    match value {
        "" => return Err(format!("{field} is empty")),
        "@" => return Ok(value.into()),
        "." if root_ok => return Ok(value.into()),
        "." => return Err(format!("{field} \".\" is the root, not a host name")),
        _ => {}
    }
    let bare = value.strip_suffix('.').unwrap_or(value);
    if bare.parse::<IpAddr>().is_ok() {
        return Err(format!("{field} {} is an IP address, not a host name", show(value)));
    }
    let lower = bare.to_ascii_lowercase();
    let mut octets = labels(field, value, &lower, false)? + 1;
    if !value.ends_with('.') {
        octets += apex.wire_len - 1;
    }
    if octets > MAX_NAME {
        return Err(format!("{field} {} is {octets} octets long as a name, more than {MAX_NAME}", show(value)));
    }
    Ok(value.into())
}

/// A host name of the zone's own fields (SOA, name servers), checked as
/// [`target`] and made absolute and lowercase (`ns1` → `ns1.example.com.`).
pub fn absolute(apex: &Apex, field: &str, value: &str) -> Result<String, String> {
    let t = target(apex, field, value, false)?.to_ascii_lowercase();
    Ok(match t.as_str() {
        "@" => apex.absolute(),
        _ if t.ends_with('.') => t,
        _ => format!("{t}.{}", apex.absolute()),
    })
}

/// The SOA RNAME of a mailbox (RFC 1035 §8): `admin@example.com` becomes
/// `admin.example.com.`, a dot in the local part escaped
/// (`first\.last.example.com.`); a value without `@` is already a name.
pub fn mailbox(apex: &Apex, field: &str, value: &str) -> Result<String, String> {
    plain(field, value, MAX_FIELD)?;
    let Some((local, domain)) = value.split_once('@') else { return absolute(apex, field, value) };
    if local.is_empty() {
        return Err(format!("{field} {} has no local part before @", show(value)));
    }
    if local.len() > MAX_LABEL {
        return Err(format!("{field} {} has a local part of {} octets, more than {MAX_LABEL} (it becomes one label)", show(value), local.len()));
    }
    let mut label = String::with_capacity(local.len() + 4);
    for c in local.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '+' => label.push(c),
            '.' | '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '/' | '=' | '?' | '^' | '`' | '{' | '|' | '}' | '~' => {
                label.push('\\');
                label.push(c);
            }
            _ => return Err(format!("{field} {} holds the character {c:?} in its local part, which an SOA mailbox cannot hold", show(value))),
        }
    }
    // The domain of a mail address is absolute, with or without its dot.
    let domain = absolute(apex, field, &format!("{}.", domain.strip_suffix('.').unwrap_or(domain)))?;
    let octets = local.len() + 1 + domain.len();
    if octets > MAX_NAME {
        return Err(format!("{field} {} is {octets} octets long as a name, more than {MAX_NAME}", show(value)));
    }
    Ok(format!("{label}.{domain}"))
}

/// `bytes` as one quoted character-string: `"` and `\` escaped, bytes
/// outside printable ASCII as `\DDD` (RFC 1035 §5.1), so any octet survives.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// One TXT entry as the user wrote it, as consecutive character-strings of
/// at most 255 octets (RFC 1035 §3.3.14; RFC 7208 §3.3: a reader joins them
/// without spaces), never split at spaces: `""` for an empty entry.
pub fn txt_strings(entry: &str) -> Vec<String> {
    if entry.is_empty() {
        return vec![quoted(b"")];
    }
    entry.as_bytes().chunks(MAX_CHARSTR).map(quoted).collect()
}

/// Octets the entry takes in TXT RDATA: each character-string with its length octet.
pub fn txt_wire_len(entry: &str) -> usize {
    let n = entry.len();
    n + n.div_ceil(MAX_CHARSTR).max(1)
}
