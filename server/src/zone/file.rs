//! RFC 1035 master-file reader (stub: filled in by the zone-file work).
