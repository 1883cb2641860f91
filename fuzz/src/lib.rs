//! What the fuzz targets share: the zones, the TSIG keys, the handler built
//! from them once per process, the framing of multi-message inputs and the
//! checks every reply must pass.
//!
//! Owns: fixtures that the targets (`fuzz_targets/*.rs`) and the seed writer
//! (`src/bin/seed.rs`) both use, so a seed is always a valid input for the
//! fixture it was made against (same zones, same keys, same clock).
//! Must not: hold server logic. A target calls the server's public API; the
//! checks here judge its output and never repair it.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use ironbind::acl::{Acl, Prefix};
use ironbind::catalog::{Catalog, ZonePolicy};
use ironbind::query::{Handler, QueryConfig, RequestCtx, Transport};
use ironbind::tsig::{Algorithm, Key, KeyRing};
use ironbind::wire::name::from_dotted;
use ironbind::zone::build::build_zone;
use ironbind::zone::file::read_zone_str;
use ironbind::zone::set::ZoneSet;
use ironbind::zone::Zone;

/// The clock of every target (unix seconds): TSIG seeds are signed at this
/// time, so they verify.
pub const NOW: u64 = 1_700_000_000;

/// The TSIG secret of every key in [`key_ring`].
pub const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// The first zone's apex.
pub const ORIGIN: &str = "example.com";

/// The main zone: the shapes the query tests cover (CNAME chains and loops,
/// ENT, wildcard, delegation with DS and glue, DNAME, a large RRset) and a
/// few more types.
pub const EXAMPLE_ZONE: &str = "\
$ORIGIN example.com.
$TTL 3600
@       IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@       IN NS ns1
@       IN NS ns2.example.net.
@       IN MX 10 mail
@       IN TXT \"v=spf1 -all\"
ns1     IN A 192.0.2.1
ns1     IN AAAA 2001:db8::1
mail    IN A 192.0.2.25
www     IN A 192.0.2.10
www     IN A 192.0.2.11
www     IN AAAA 2001:db8::10
alias   IN CNAME www
a       IN CNAME b
b       IN CNAME c
c       IN A 192.0.2.3
loop1   IN CNAME loop2
loop2   IN CNAME loop1
nx      IN CNAME missing
a.b.ent IN A 192.0.2.4
*.wild  IN A 192.0.2.5
*.wild  IN TXT \"wild\"
_sip._tcp IN SRV 10 20 5060 www
sub     IN NS ns.sub
sub     IN DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sub  IN A 192.0.2.6
old     IN DNAME new.example.com.
x.new   IN A 192.0.2.7
caa     IN CAA 0 issue \"ca.example.net\"
big     IN TXT \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"
big     IN TXT \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"
big     IN TXT \"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"
big     IN TXT \"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\"
big     IN TXT \"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"
big     IN TXT \"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"
big     IN TXT \"gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\"
big     IN TXT \"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\"
big     IN TXT \"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii\"
big     IN TXT \"jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj\"
big     IN TXT \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"
big     IN TXT \"llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll\"
big     IN TXT \"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"
";

/// A second zone, at the root of its own tree, so a query may match either,
/// neither, or a parent and a child (`child.test` under `test`).
pub const TEST_ZONE: &str = "\
$ORIGIN test.
$TTL 300
@        IN SOA ns hostmaster 7 3600 600 86400 60
@        IN NS ns
ns       IN A 198.51.100.1
child    IN NS ns.child
child    IN DS 1 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.child IN A 198.51.100.2
*        IN MX 5 ns
";

/// The child of [`TEST_ZONE`], served too (DS is answered from the parent).
pub const CHILD_ZONE: &str = "\
$ORIGIN child.test.
@   IN SOA ns hostmaster 1 3600 600 86400 60
@   IN NS ns
ns  IN A 198.51.100.2
";

/// Every zone of the fixture: (apex, text).
pub const ZONES: [(&str, &str); 3] = [(ORIGIN, EXAMPLE_ZONE), ("test", TEST_ZONE), ("child.test", CHILD_ZONE)];

/// Lowercase wire form of a dotted name the fixture knows to be valid.
pub fn wire(name: &str) -> Vec<u8> {
    from_dotted(name).expect("a fixture name")
}

/// Builds the zone at `apex` from `text`; panics when the fixture is broken.
pub fn zone(apex: &str, text: &str) -> Zone {
    let origin = wire(apex);
    let src = read_zone_str(text, "fixture.zone", &origin, None).expect("fixture zone reads");
    build_zone(&origin, src).expect("fixture zone builds")
}

/// The main zone, built once.
pub fn example_zone() -> &'static Arc<Zone> {
    static ZONE: LazyLock<Arc<Zone>> = LazyLock::new(|| Arc::new(zone(ORIGIN, EXAMPLE_ZONE)));
    &ZONE
}

/// The TSIG keys: one per hash family, one with a truncation policy
/// (`hmac-sha256-128` accepts 16-octet MACs).
pub fn key_ring() -> KeyRing {
    let mut ring = KeyRing::new();
    for key in keys() {
        ring.insert(key);
    }
    ring
}

/// The keys of [`key_ring`], in a fixed order (the seed writer signs with them).
pub fn keys() -> Vec<Key> {
    vec![
        Key::new("key.example.", Algorithm::HmacSha256, SECRET).expect("key"),
        Key::new("sha1.example.", Algorithm::HmacSha1, SECRET).expect("key"),
        Key::new("sha512.example.", Algorithm::HmacSha512, SECRET).expect("key"),
        Key::new("trunc.example.", Algorithm::HmacSha256, SECRET).expect("key").with_min_mac_len(Some(16)),
    ]
}

/// The largest UDP answer the fixture's handler sends.
pub const UDP_MAX: u16 = 1232;

/// A handler over [`ZONES`] that also answers transfers (to 127.0.0.0/8 and
/// to holders of `key.example.`), NOTIFY and CHAOS, built once per process.
pub fn handler() -> &'static Handler {
    static HANDLER: LazyLock<Handler> = LazyLock::new(|| {
        let set = ZoneSet::new();
        let catalog = Catalog::new();
        catalog.set_keys(key_ring());
        let local: Prefix = "127.0.0.0/8".parse().expect("prefix");
        for (apex, text) in ZONES {
            set.insert(Arc::new(zone(apex, text)));
            let policy = ZonePolicy {
                allow_transfer: Acl(vec![local]),
                allow_transfer_keys: vec!["key.example".into()],
                allow_notify: Acl(vec![local]),
                ..ZonePolicy::default()
            };
            catalog.upsert(&wire(apex), policy);
        }
        let cfg = QueryConfig {
            udp_max_payload: UDP_MAX,
            chaos_version: Some("ironbind-fuzz".into()),
            chaos_id: Some("fuzz".into()),
            ..QueryConfig::default()
        };
        Handler::new(Arc::new(set), cfg).with_transfers(Arc::new(catalog))
    });
    &HANDLER
}

/// The request context of a client on loopback.
pub fn ctx(transport: Transport) -> RequestCtx {
    RequestCtx { peer: SocketAddr::from(([127, 0, 0, 1], 53000)), transport }
}

/// Splits `data` as a TCP stream of DNS messages (RFC 1035 §4.2.2: a
/// 2-octet length before each); a last frame shorter than its length
/// takes what is left. At most `max` frames.
pub fn frames(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < max {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else { break };
        let n = (u16::from_be_bytes(*len) as usize).min(tail.len());
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    out
}

/// Joins messages into the TCP stream [`frames`] splits.
pub fn framed<'a>(msgs: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&(m.len() as u16).to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

/// Checks a reply to `req`: no longer than `limit`, a response (QR set)
/// with the request's ID, and a message an independent parser (hickory)
/// reads whole. Panics, naming what is wrong, otherwise.
pub fn check_reply(req: &[u8], reply: &[u8], limit: usize) {
    assert!(reply.len() <= limit, "reply of {} octets over the limit of {limit}", reply.len());
    assert!(reply.len() >= 12, "reply of {} octets is shorter than a header", reply.len());
    assert_eq!(reply[..2], req[..2], "reply ID differs from the request's");
    assert!(reply[2] & 0x80 != 0, "reply without QR");
    if let Err(e) = hickory_proto::op::Message::from_vec(reply) {
        panic!("reply does not parse: {e}\nreply: {reply:02x?}");
    }
}

/// The query the `tsig` target's client session signs with the first of
/// [`keys`]: an AXFR of `example.com`, ID 0x1234.
pub fn session_query() -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(&wire(ORIGIN));
    q.extend_from_slice(&[0, 252, 0, 1]);
    q
}
