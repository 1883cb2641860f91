//! Query strings as the kubelet reads them: repeated keys (`command=ls&
//! command=-la`) kept in order, `+` and percent escapes decoded.
//!
//! Owns: this parsing. Must not: know what a parameter means.

/// The `(key, value)` pairs of a query string, decoded, in order.
pub fn pairs(q: &str) -> Vec<(String, String)> {
    q.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, ""))).map(|(k, v)| (decode(k), decode(v))).collect()
}

/// Every value of `key`.
pub fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
}

/// The first value of `key`.
pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// True for `1`, `true` (as Go's strconv.ParseBool).
pub fn flag(pairs: &[(String, String)], key: &str) -> bool {
    first(pairs, key).is_some_and(|v| matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True"))
}

/// Percent-decoding (invalid escapes kept as they are), `+` as a space.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(v) => {
                    out.push(v);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_in_order_decoded() {
        let p = pairs("command=ls&command=-la&command=%2Fvar%2Flib%2Fbind%2F&output=1&x=a+b&bad=%zz&end=%4");
        assert_eq!(all(&p, "command"), ["ls", "-la", "/var/lib/bind/"]);
        assert!(flag(&p, "output"));
        assert!(!flag(&p, "stdin"));
        assert_eq!(first(&p, "x"), Some("a b"));
        assert_eq!(first(&p, "bad"), Some("%zz"));
        assert_eq!(first(&p, "end"), Some("%4"));
    }
}
