//! Rendering details: label escaping and label names.

use super::*;

#[test]
fn label_values_are_escaped() {
    let mut t = Text(String::new());
    t.head("x", "gauge", "h");
    t.sample("x", &[("zone", "a\"b\\c\nd"), ("k", "v")], 3);
    assert_eq!(t.0, "# HELP x h\n# TYPE x gauge\nx{zone=\"a\\\"b\\\\c\\nd\",k=\"v\"} 3\n");
    assert_eq!(rcode_label(3), "NXDOMAIN");
    assert_eq!(rcode_label(15), "RCODE15");
    assert_eq!(opcode_label(5), "UPDATE");
    assert_eq!(qtype_label(counters::OTHER), "other");
}
