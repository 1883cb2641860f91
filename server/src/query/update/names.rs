//! Where domain names sit inside RDATA, for the types whose names RFC 4034
//! §6.2 lowercases: what UPDATE needs to compare records as the zone does.
//!
//! Owns: the layout table and walking an uncompressed name. Must not: parse
//! messages ([`super::message`]) or change zones ([`super::apply`]).

use crate::wire::rtype;

/// Offset after the uncompressed name at `p`.
pub(super) fn skip_plain_name(b: &[u8], mut p: usize) -> Option<usize> {
    loop {
        let l = *b.get(p)? as usize;
        p += 1 + l;
        if l == 0 {
            return Some(p);
        }
        if l > 63 {
            return None;
        }
    }
}

/// Where names sit inside the RDATA of the types RFC 4034 §6.2 lowercases:
/// fixed octets to skip, then names.
pub(super) enum Field {
    Name,
    Fixed(usize),
    /// NAPTR: order, preference, then three character strings.
    NaptrHead,
}

pub(super) fn layout(t: u16) -> Option<&'static [Field]> {
    use Field::*;
    Some(match t {
        rtype::NS | rtype::MD | rtype::MF | rtype::CNAME | rtype::MB | rtype::MG | rtype::MR | rtype::PTR | rtype::DNAME => &[Name],
        rtype::SOA | rtype::MINFO | rtype::RP => &[Name, Name],
        rtype::MX | rtype::AFSDB | 21 /* RT */ | rtype::KX => &[Fixed(2), Name],
        rtype::SRV => &[Fixed(6), Name],
        26 /* PX */ => &[Fixed(2), Name, Name],
        rtype::NAPTR => &[NaptrHead, Name],
        _ => return None,
    })
}

/// True for types whose RDATA holds domain names.
pub fn has_names(t: u16) -> bool {
    layout(t).is_some()
}
