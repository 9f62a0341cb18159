//! The old generator's layout engine (`generate_json`), fed one node at a time.
//!
//! It mirrors the original's state: the current indent, whether a comma is due before the
//! next member, and the indents at which arrays were opened (inside an array, members are
//! printed without a key).

use super::strings::{escape, prints_bare, Esc};

/// A value node.
#[derive(Debug, Clone, Copy)]
pub(super) enum Val<'a> {
    /// Typed by looking at it (`JSON_NULL` in the original): bare if a number, else a string.
    Auto(&'a str, Esc),
    /// Always a string.
    Str(&'a str, Esc),
    /// An integer (`timestamp`).
    Int(i64),
}

#[derive(Debug)]
pub(super) struct Generator {
    out: String,
    indent: usize,
    comma: bool,
    /// Indents at which the open arrays' members sit; the bottom 0 stands for "none".
    arrays: Vec<usize>,
}

impl Generator {
    pub(super) fn new() -> Self {
        Generator::with_capacity(0)
    }

    pub(super) fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity.max(1));
        out.push('{');
        Generator {
            out,
            indent: 4,
            comma: false,
            arrays: vec![0],
        }
    }

    fn indent_line(&mut self) {
        const SPACES: &str = "                                                                ";
        let mut left = self.indent;
        while left > 0 {
            let n = left.min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            left -= n;
        }
    }

    fn in_array(&self) -> bool {
        self.arrays.last() == Some(&self.indent)
    }

    /// The separator and indentation before a member, and its key unless inside an array.
    fn start_member(&mut self, key: Option<&str>) {
        self.out.push_str(if self.comma { ",\n" } else { "\n" });
        self.indent_line();
        if !self.in_array() {
            self.out.push('"');
            self.out
                .push_str(&escape(key.unwrap_or("(null)"), Esc::Full));
            self.out.push_str("\":");
        }
    }

    pub(super) fn open_object(&mut self, key: &str) {
        self.start_member(Some(key));
        self.out.push('{');
        self.indent += 4;
        self.comma = false;
    }

    pub(super) fn open_array(&mut self, key: &str) {
        self.start_member(Some(key));
        self.out.push('[');
        self.indent += 4;
        self.comma = false;
        self.arrays.push(self.indent);
    }

    fn close(&mut self, bracket: char) {
        self.indent = self.indent.saturating_sub(4);
        self.out.push('\n');
        self.indent_line();
        self.out.push(bracket);
        self.comma = true;
    }

    pub(super) fn close_object(&mut self) {
        self.close('}');
    }

    pub(super) fn close_array(&mut self) {
        self.close(']');
        if self.arrays.len() > 1 {
            self.arrays.pop();
        }
    }

    pub(super) fn value(&mut self, key: Option<&str>, val: Val<'_>) {
        self.start_member(key);
        match val {
            Val::Auto(v, _) if prints_bare(v) => self.out.push_str(v),
            Val::Auto(v, esc) | Val::Str(v, esc) => {
                self.out.push('"');
                self.out.push_str(&escape(v, esc));
                self.out.push('"');
            }
            Val::Int(n) => {
                use std::fmt::Write;
                let _ = write!(self.out, "{n}");
            }
        }
        self.comma = true;
    }

    pub(super) fn finish(mut self) -> String {
        self.out.push_str("\n}\n");
        self.out
    }
}
