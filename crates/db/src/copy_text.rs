//! Rows in PostgreSQL's `COPY … FROM STDIN` text format, written straight into a buffer:
//! tab-separated columns, `\N` for NULL, backslash escapes for the characters the format
//! reserves. Used where a chunk of rows is loaded in one round trip (usage staging).

use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write;

/// A buffer of rows under construction.
#[derive(Debug, Default)]
pub struct CopyText {
    buf: Vec<u8>,
    /// Whether the current row has a column yet (a tab goes before every later one).
    started: bool,
    rows: usize,
}

impl CopyText {
    pub fn new() -> Self {
        Self::default()
    }

    fn sep(&mut self) {
        if self.started {
            self.buf.push(b'\t');
        }
        self.started = true;
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    /// A text value. PostgreSQL text cannot hold NUL: it is written as U+FFFD.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        for b in s.bytes() {
            match b {
                0 => self.buf.extend_from_slice("\u{fffd}".as_bytes()),
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self
    }

    pub fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn int(&mut self, n: i64) -> &mut Self {
        self.sep();
        let mut s = String::with_capacity(20);
        let _ = write!(s, "{n}");
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    pub fn time(&mut self, t: DateTime<Utc>) -> &mut Self {
        self.sep();
        self.buf
            .extend_from_slice(t.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes());
        self
    }

    /// Ends the current row.
    pub fn end(&mut self) {
        self.buf.push(b'\n');
        self.started = false;
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.started = false;
        self.rows = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped_and_null_is_distinct_from_empty() {
        let mut c = CopyText::new();
        c.text("a\tb\\c\nd\re")
            .null()
            .text("")
            .int(-42)
            .text("x\0y");
        c.end();
        assert_eq!(
            c.bytes(),
            "a\\tb\\\\c\\nd\\re\t\\N\t\t-42\tx\u{fffd}y\n".as_bytes()
        );
        assert_eq!(c.rows(), 1);
    }
}
