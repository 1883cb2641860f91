//! Tokenizer for RFC 1035 §5.1 master-file text.
//!
//! Owns: splitting the bytes of a zone file into tokens grouped by logical
//! line — whitespace separation, `;` comments, `( … )` continuation across
//! physical lines, `"quoted strings"` and the backslash that protects the next
//! character. Tokens are ranges into the input, never copies: escapes such as
//! `\DDD` are left in place for the name and string parsers to decode.
//! Must not: interpret tokens (names, numbers, types) or allocate per token.

/// One token: a byte range of the input (the inside of the quotes for a quoted
/// string, escapes still encoded) and the line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok {
    /// First byte of the token.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// 1-based line where the token starts.
    pub line: u32,
    /// True for a `"quoted"` token.
    pub quoted: bool,
}

/// A lexing failure: the line it refers to and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LexError {
    /// 1-based line.
    pub line: u32,
    /// Human-readable reason.
    pub reason: &'static str,
}

/// Cursor over master-file text.
pub(super) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    depth: u32,
    /// Line of the outermost open parenthesis, for the unbalanced-parentheses error.
    paren_line: u32,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'a [u8]) -> Self {
        Self { src, pos: 0, line: 1, depth: 0, paren_line: 0 }
    }

    /// True when all input has been consumed.
    pub fn at_eof(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// Reads the next non-empty logical line (entry) into `toks` (cleared
    /// first). Returns `None` at end of input, else whether the entry starts
    /// with whitespace (RFC 1035 §5.1: a blank owner field repeats the
    /// previous owner).
    pub fn entry(&mut self, toks: &mut Vec<Tok>) -> Result<Option<bool>, LexError> {
        loop {
            if self.at_eof() {
                return Ok(None);
            }
            let indented = matches!(self.src[self.pos], b' ' | b'\t');
            toks.clear();
            while let Some(t) = self.next()? {
                toks.push(t);
            }
            if !toks.is_empty() {
                return Ok(Some(indented));
            }
        }
    }

    /// The next token of the current logical line, or `None` when the line
    /// (a newline outside parentheses) or the input ends.
    pub fn next(&mut self) -> Result<Option<Tok>, LexError> {
        let src = self.src;
        loop {
            let Some(&c) = src.get(self.pos) else {
                if self.depth > 0 {
                    return Err(self.err(self.paren_line, "unbalanced parentheses: \"(\" is never closed"));
                }
                return Ok(None);
            };
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    if self.depth == 0 {
                        return Ok(None);
                    }
                }
                b';' => {
                    while self.pos < src.len() && src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'(' => {
                    if self.depth == 0 {
                        self.paren_line = self.line;
                    }
                    self.depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    if self.depth == 0 {
                        return Err(self.err(self.line, "unbalanced parentheses: \")\" without \"(\""));
                    }
                    self.depth -= 1;
                    self.pos += 1;
                }
                b'"' => return self.quoted().map(Some),
                _ => return self.word().map(Some),
            }
        }
    }

    /// A quoted string; `pos` is on the opening quote.
    fn quoted(&mut self) -> Result<Tok, LexError> {
        let src = self.src;
        let line = self.line;
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match src.get(i) {
                None | Some(b'\n') => return Err(self.err(line, "unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    if src.get(i + 1).is_none_or(|&b| b == b'\n') {
                        return Err(self.err(line, "unterminated string"));
                    }
                    i += 2;
                }
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Ok(Tok { start, end: i, line, quoted: true })
    }

    /// An unquoted word; `pos` is on its first byte.
    fn word(&mut self) -> Result<Tok, LexError> {
        let src = self.src;
        let start = self.pos;
        let mut i = start;
        while let Some(&b) = src.get(i) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                b'\\' => {
                    if i + 1 >= src.len() {
                        return Err(self.err(self.line, "backslash at end of input"));
                    }
                    if src[i + 1] == b'\n' {
                        return Err(self.err(self.line, "backslash at end of line"));
                    }
                    i += 2;
                }
                _ => i += 1,
            }
        }
        self.pos = i;
        Ok(Tok { start, end: i, line: self.line, quoted: false })
    }

    fn err(&self, line: u32, reason: &'static str) -> LexError {
        LexError { line, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (indented, [(text, line, quoted)]) per entry.
    type Entries = Vec<(bool, Vec<(String, u32, bool)>)>;

    fn entries(text: &str) -> Result<Entries, LexError> {
        let mut lx = Lexer::new(text.as_bytes());
        let mut toks = Vec::new();
        let mut out = Vec::new();
        while let Some(ind) = lx.entry(&mut toks)? {
            let words = toks.iter().map(|t| (text[t.start..t.end].to_string(), t.line, t.quoted)).collect();
            out.push((ind, words));
        }
        Ok(out)
    }

    #[test]
    fn splits_lines_comments_and_parentheses() {
        let e = entries("a 1 IN A 1.2.3.4 ; c\n\n  ; only comment\n\tB TXT ( \"x y\" ; in\n z )\n").unwrap();
        assert_eq!(e.len(), 2);
        assert!(!e[0].0);
        assert_eq!(e[0].1.len(), 5);
        assert!(e[1].0);
        let w: Vec<_> = e[1].1.iter().map(|t| (t.0.as_str(), t.1, t.2)).collect();
        assert_eq!(w, vec![("B", 4, false), ("TXT", 4, false), ("x y", 4, true), ("z", 5, false)]);
    }

    #[test]
    fn escapes_stay_in_tokens() {
        let e = entries("a\\ b\\;c \"q\\\"x\"\n").unwrap();
        assert_eq!(e[0].1[0].0, "a\\ b\\;c");
        assert_eq!(e[0].1[1].0, "q\\\"x");
    }

    #[test]
    fn reports_unbalanced_and_unterminated() {
        let e = entries("a A (\n1\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.starts_with("unbalanced parentheses"));
        let e = entries("x\na A )\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.starts_with("unbalanced parentheses"));
        let e = entries("\n\na TXT \"abc\n").unwrap_err();
        assert_eq!((e.line, e.reason), (3, "unterminated string"));
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let e = entries("a A 1\r\nb A 2").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].1[2].0, "2");
    }
}
