//! Where the answer's owners point: into the question, at CNAME targets and
//! at NS RDATA, with the names read back as the zone or the client wrote them.

use hickory_proto::op::Message;

use crate::query::tests::{self as query_tests, handler_for, query, texts};
use crate::query::Transport;
use crate::wire::name::from_dotted;

const ZONE: &str = "\
$ORIGIN example.com.
$TTL 3600
@       IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@       IN NS ns1
ns1     IN A 192.0.2.1
www     IN A 192.0.2.10
alias   IN CNAME www
upper   IN CNAME WWW.Example.COM.
toref   IN CNAME host.sub.example.com.
tonx    IN CNAME nope.example.com.
self    IN CNAME self
sub     IN NS ns1.sub
sub     IN NS ns2.sub
sub     IN NS ns.example.net.
ns1.sub IN A 192.0.2.11
ns1.sub IN AAAA 2001:db8::11
ns2.sub IN A 192.0.2.12
other   IN NS NS1.Sub.Example.COM.
";

fn ask(name: &str, qtype: u16) -> (Vec<u8>, Message) {
    query_tests::ask(&handler_for(ZONE), &query(name, qtype, None), Transport::Udp)
}

/// Where the first record after the question starts.
fn after_question(raw: &[u8], qname: &str) -> usize {
    let at = 12 + from_dotted(qname).unwrap().len() + 4;
    assert!(raw.len() > at + 2);
    at
}

#[test]
fn referral_points_the_cut_into_the_question_and_glue_at_the_ns_rdata() {
    let (raw, m) = ask("host.sub.example.com", 1);
    assert!(!m.metadata.authoritative);
    assert!(m.answers.is_empty());
    let mut ns = texts(&m.authorities);
    ns.sort();
    assert_eq!(
        ns,
        [
            "sub.example.com. 3600 IN NS ns.example.net.",
            "sub.example.com. 3600 IN NS ns1.sub.example.com.",
            "sub.example.com. 3600 IN NS ns2.sub.example.com."
        ]
    );
    assert_eq!(
        texts(&m.additionals),
        ["ns1.sub.example.com. 3600 IN A 192.0.2.11", "ns1.sub.example.com. 3600 IN AAAA 2001:db8::11", "ns2.sub.example.com. 3600 IN A 192.0.2.12"]
    );
    // The cut's owner is `sub.example.com` inside the question ("\x04host" first).
    let at = after_question(&raw, "host.sub.example.com");
    assert_eq!(raw[at..at + 2], [0xC0, 12 + 5]);
    // Every owner is a 2-octet pointer: header, question, three NS, three glue.
    let ns_rdata = 21 + 21 + 16;
    assert_eq!(raw.len(), 12 + 26 + 3 * 12 + ns_rdata + 3 * 12 + 4 + 16 + 4);
}

#[test]
fn a_mixed_case_question_keeps_the_zones_spelling_of_the_cut() {
    let (raw, m) = ask("HOST.SUB.example.com", 1);
    assert_eq!(m.authorities.len(), 3);
    assert_eq!(m.additionals.len(), 3);
    // Not a pointer into "SUB.example.com": the cut is written as the zone has it.
    let at = after_question(&raw, "HOST.SUB.example.com");
    assert_eq!(raw[at..at + 4], *b"\x03sub");
}

#[test]
fn sibling_glue_under_a_mixed_case_ns_name_is_found_and_optional() {
    let (_, m) = ask("x.other.example.com", 1);
    assert_eq!(texts(&m.authorities), ["other.example.com. 3600 IN NS NS1.Sub.Example.COM."]);
    // The glue's owner is the NS RDATA, spelled as there.
    assert_eq!(texts(&m.additionals), ["NS1.Sub.Example.COM. 3600 IN A 192.0.2.11", "NS1.Sub.Example.COM. 3600 IN AAAA 2001:db8::11"]);
}

#[test]
fn cname_targets_are_owners_by_pointer_in_their_own_spelling() {
    let (raw, m) = ask("alias.example.com", 1);
    assert!(m.metadata.authoritative);
    assert_eq!(texts(&m.answers), ["alias.example.com. 3600 IN CNAME www.example.com.", "www.example.com. 3600 IN A 192.0.2.10"]);
    assert_eq!(raw.len(), 12 + 23 + (12 + 17) + (12 + 4));
    let (_, m) = ask("upper.example.com", 1);
    assert_eq!(texts(&m.answers), ["upper.example.com. 3600 IN CNAME WWW.Example.COM.", "WWW.Example.COM. 3600 IN A 192.0.2.10"]);
}

#[test]
fn a_cname_into_a_referral_or_nxdomain_ends_there() {
    let (_, m) = ask("toref.example.com", 1);
    assert!(m.metadata.authoritative, "AA describes the CNAME in the answer");
    assert_eq!(texts(&m.answers), ["toref.example.com. 3600 IN CNAME host.sub.example.com."]);
    assert_eq!(m.authorities.len(), 3);
    assert!(m.authorities.iter().all(|r| r.name.to_string() == "sub.example.com."));
    assert_eq!(m.additionals.len(), 3);
    let (_, m) = ask("tonx.example.com", 1);
    assert_eq!(u16::from(m.metadata.response_code), 3);
    assert_eq!(m.answers.len(), 1);
    assert_eq!(texts(&m.authorities), ["example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"]);
}

#[test]
fn a_cname_to_itself_is_written_once() {
    let (_, m) = ask("self.example.com", 1);
    assert_eq!(texts(&m.answers), ["self.example.com. 3600 IN CNAME self.example.com."]);
}

#[test]
fn the_soa_of_a_negative_answer_points_into_the_question() {
    let (raw, m) = ask("nope.example.com", 1);
    assert_eq!(u16::from(m.metadata.response_code), 3);
    assert_eq!(m.authorities[0].name.to_string(), "example.com.");
    let at = after_question(&raw, "nope.example.com");
    assert_eq!(raw[at..at + 2], [0xC0, 12 + 5]);
    // Spelled differently in the question: the apex as the zone has it.
    let (raw, m) = ask("nope.EXAMPLE.com", 1);
    assert_eq!(m.authorities.len(), 1);
    let at = after_question(&raw, "nope.EXAMPLE.com");
    assert_eq!(raw[at..at + 8], *b"\x07example");
}
