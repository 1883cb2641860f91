//! Why presentation text does not parse: the errors of the token primitives
//! ([`TextError`]: escapes, names, character-strings), of the RDATA parsers
//! ([`RdataError`]) and of one SVCB parameter ([`SvcParamError`]).
//!
//! Owns: the wording. A zone file error reads `file:line: {reason}` with
//! one of these as the reason, and the control API returns them as the
//! reason of a bad `rdata` field, so the texts stay as they are.
//! Must not: depend on the parsers (every one of them uses this module).

use crate::wire::rtype::TypeName;

/// A token that does not decode: a backslash escape (RFC 1035 §5.1), a
/// domain name, or a character-string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// A backslash with nothing after it.
    #[error("backslash at end of field")]
    EscapeAtEnd,
    /// `\DDD` above 255; the three digits.
    #[error("bad escape \"\\{0}\"")]
    EscapeTooLarge(String),
    /// `\D` or `\DD`: the escape as written.
    #[error("bad escape \"{0}\": \\DDD needs three digits")]
    EscapeShort(String),
    /// A name field with nothing in it.
    #[error("empty name")]
    EmptyName,
    /// `a..b` or `.a`: the name as written.
    #[error("empty label in name \"{0}\"")]
    EmptyLabel(String),
    /// A label over 63 octets (RFC 1035 §2.3.4).
    #[error("label longer than 63 octets")]
    LabelTooLong,
    /// A name over 255 octets in wire form (RFC 1035 §2.3.4).
    #[error("name longer than 255 octets")]
    NameTooLong,
    /// A character-string over 255 octets (RFC 1035 §3.3).
    #[error("character string longer than 255 octets")]
    CharStrTooLong,
}

/// The RDATA of one record that does not parse as its type. `what` names
/// the field (`preference`, `IPv4 address`); `text` is the token as
/// written (hex data cut to 40 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    /// The text does not split into fields (quotes, parentheses, escapes).
    #[error("{0}")]
    Syntax(&'static str),
    /// A field is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A field that is not what it should be (a number out of range, an address…).
    #[error("bad {what} \"{text}\"")]
    Bad {
        /// The field.
        what: &'static str,
        /// The token.
        text: String,
    },
    /// A name field that is not a valid name.
    #[error("bad {what} \"{text}\": {source}")]
    BadName {
        /// The field.
        what: &'static str,
        /// The token.
        text: String,
        /// Why.
        source: TextError,
    },
    /// A character-string field that does not decode or is too long.
    #[error("bad {what}: {source}")]
    BadCharStr {
        /// The field.
        what: &'static str,
        /// Why.
        source: TextError,
    },
    /// An escape that does not decode, in a field other than a name or a character-string.
    #[error(transparent)]
    Text(#[from] TextError),
    /// Hex data that is not hex.
    #[error("bad {what}: not hex \"{text}\"")]
    NotHex {
        /// The field.
        what: &'static str,
        /// The data, cut to 40 characters.
        text: String,
    },
    /// Base64 data that is not base64.
    #[error("bad {what}: not base64")]
    NotBase64 {
        /// The field.
        what: &'static str,
    },
    /// Base32hex data that is not base32hex (NSEC3 next hashed owner name).
    #[error("bad {what} \"{text}\": not base32hex")]
    NotBase32hex {
        /// The field.
        what: &'static str,
        /// The token.
        text: String,
    },
    /// A token left over after the last field.
    #[error("unexpected \"{0}\" after the RDATA")]
    Trailing(String),
    /// More than a 16-bit length can say.
    #[error("RDATA longer than 65535 octets")]
    TooLong,
    /// `\#` whose data does not match its length field (RFC 3597 §5).
    #[error("generic RDATA has {found} octets but its length field says {declared}")]
    GenericLength {
        /// Octets of hex data.
        found: usize,
        /// The length field.
        declared: usize,
    },
    /// `\#` data that a type with a parser would not accept in presentation form.
    #[error("RDATA in generic form is not valid {} data", TypeName(*.0))]
    GenericInvalid(u16),
    /// A type known only by number: it takes the generic form alone.
    #[error("type {} has no presentation parser; write its RDATA in RFC 3597 generic form (\\# len hex)", TypeName(*.0))]
    NoParser(u16),
    /// A type mnemonic we do not know (RRSIG type covered).
    #[error("unknown type \"{0}\"")]
    UnknownType(String),
    /// A type mnemonic we do not know, in a type bitmap (NSEC, NSEC3, CSYNC).
    #[error("unknown type \"{0}\" in type bitmap")]
    UnknownBitmapType(String),
    /// An NSEC3 salt over 255 octets.
    #[error("salt longer than 255 octets")]
    SaltTooLong,
    /// A CAA tag that is empty, too long or not alphanumeric (RFC 8659 §4.1.1).
    #[error("bad CAA tag \"{0}\": letters and digits only")]
    CaaTag(String),
    /// LOC: a coordinate that ends in no hemisphere letter.
    #[error("bad {what}: expected {} or {}, found \"{found}\"", .expected[0], .expected[1])]
    Hemisphere {
        /// `latitude` or `longitude`.
        what: &'static str,
        /// The letters allowed (`N`, `S`).
        expected: [char; 2],
        /// The token.
        found: String,
    },
    /// LOC: a coordinate past the pole or the antimeridian.
    #[error("{what} beyond {max_deg} degrees")]
    Beyond {
        /// `latitude` or `longitude`.
        what: &'static str,
        /// 90 or 180.
        max_deg: i64,
    },
    /// SVCB: a parameter key we do not know (or a quoted one).
    #[error("bad SvcParam key \"{0}\"")]
    SvcKey(String),
    /// SVCB: a parameter whose value is wrong for its key.
    #[error("bad SvcParam \"{key}\": {source}")]
    SvcParam {
        /// The key as written.
        key: String,
        /// Why.
        source: SvcParamError,
    },
    /// SVCB: a key given twice.
    #[error("duplicate SvcParam key \"{0}\"")]
    SvcDuplicate(String),
    /// SVCB: a key listed in `mandatory` that is not there.
    #[error("mandatory SvcParam \"{0}\" is missing")]
    SvcMandatoryMissing(String),
    /// SVCB: a value over 65535 octets.
    #[error("SvcParam value too long")]
    SvcValueTooLong,
}

/// The value of one SVCB parameter that is wrong for its key (RFC 9460 §7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SvcParamError {
    /// A key that needs a value has none.
    #[error("missing value")]
    MissingValue,
    /// `no-default-alpn` or `ohttp` with a value.
    #[error("takes no value")]
    TakesNoValue,
    /// `mandatory` lists a key we do not know.
    #[error("unknown key \"{0}\"")]
    UnknownKey(String),
    /// `mandatory` lists itself or a key twice.
    #[error("key \"{0}\" not allowed or repeated")]
    KeyNotAllowed(String),
    /// An `alpn` id that is empty or over 255 octets.
    #[error("empty or over-long ALPN id")]
    BadAlpn,
    /// A `port` that is not a 16-bit number.
    #[error("not a port number")]
    NotPort,
    /// An `ipv4hint` or `ipv6hint` item that is not an address.
    #[error("bad {family} address \"{text}\"")]
    BadAddress {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The item.
        text: String,
    },
    /// An `ech` value that is not base64.
    #[error("not base64")]
    NotBase64,
}
