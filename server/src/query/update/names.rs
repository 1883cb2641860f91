//! Where domain names sit inside RDATA, for the types whose names RFC 4034
//! §6.2 lowercases: what UPDATE needs to compare records as the zone does.
//!
//! Owns: walking an uncompressed name; the layout table is
//! [`crate::wire::rr::name_layout`], the one the wire reader decompresses by. Must not: parse
//! messages ([`super::message`]) or change zones ([`super::apply`]).

pub(super) use crate::wire::rr::{name_layout as layout, Field};

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

/// True for types whose RDATA holds domain names.
pub fn has_names(t: u16) -> bool {
    layout(t).is_some()
}
