//! The lexical rules the `select`, `place` and `-l` parsers share: resource names,
//! splitting outside quotes, and how a value is read and written.
//!
//! Quoting rule (chosen so that printing then parsing gives back the same value):
//! - a value is read either *bare* — one or more characters, none of them a quote (`'` or
//!   `"`), whitespace, a control character or a separator of the context (`:` and `+` in a
//!   select chunk, `,` in a `-l` list) — or *quoted*: `'…'` or `"…"` around anything except
//!   the same quote and control characters;
//! - a value is written bare unless it is empty or holds a quote, whitespace, a control
//!   character or one of the context's special characters (`: + = ,` in select, `,` in a
//!   `-l` list); then it is written inside `"…"`, or inside `'…'` if it holds a `"`.
//!
//! A value holding both kinds of quote, or a control character, cannot be written so that
//! it reads back; [`is_writable`] says so and the `validate` methods reject it.

use std::borrow::Cow;

/// Characters that force quotes around a text value inside a `select` chunk.
pub(crate) const SELECT_SPECIAL: &[char] = &[':', '+', '=', ','];

/// Characters that force quotes around a job-wide value in a `-l` list.
pub(crate) const LIST_SPECIAL: &[char] = &[','];

/// Whether `name` is a resource name: `[A-Za-z][A-Za-z0-9_-]*`.
pub(crate) fn is_resource_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Splits `s` at every `sep` that is outside `'…'`/`"…"` quotes; `None` if a quote is left
/// open.
pub(crate) fn split_outside_quotes(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut open: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match open {
            Some(q) if c == q => open = None,
            Some(_) => {}
            None if is_quote(c) => open = Some(c),
            None if c == sep => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            None => {}
        }
    }
    if open.is_some() {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// Reads a value as written (see the module doc): the text of a whole quoted string, or a
/// non-empty bare run without quotes, whitespace, control characters or `separators`.
pub(crate) fn read_value(raw: &str, separators: &[char]) -> Option<String> {
    match raw.chars().next() {
        Some(q) if is_quote(q) => {
            let inner = raw.strip_prefix(q)?.strip_suffix(q)?;
            let ok = !inner.chars().any(|c| c == q || c.is_control());
            ok.then(|| inner.to_string())
        }
        Some(_) => {
            let ok = !raw.chars().any(|c| {
                is_quote(c) || c.is_whitespace() || c.is_control() || separators.contains(&c)
            });
            ok.then(|| raw.to_string())
        }
        None => None,
    }
}

/// Writes `value` bare, or quoted when it is empty or holds a quote, whitespace, a control
/// character or one of `special` (see the module doc).
pub(crate) fn quote_value<'a>(value: &'a str, special: &[char]) -> Cow<'a, str> {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| is_quote(c) || c.is_whitespace() || c.is_control() || special.contains(&c));
    if !needs_quotes {
        return Cow::Borrowed(value);
    }
    let q = if value.contains('"') { '\'' } else { '"' };
    Cow::Owned(format!("{q}{value}{q}"))
}

/// Whether [`quote_value`]'s output reads back as `value`: no control characters and not
/// both kinds of quote.
pub(crate) fn is_writable(value: &str) -> bool {
    let both_quotes = value.contains('"') && value.contains('\'');
    !both_quotes && !value.chars().any(char::is_control)
}

/// Whether `s` is one or more ASCII digits (no sign, no spaces).
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_quote(c: char) -> bool {
    c == '\'' || c == '"'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_resource_name("ncpus"));
        assert!(is_resource_name("gpu_model"));
        assert!(is_resource_name("a-1"));
        assert!(!is_resource_name(""));
        assert!(!is_resource_name("1a"));
        assert!(!is_resource_name("_a"));
        assert!(!is_resource_name("a.b"));
    }

    #[test]
    fn splitting_respects_quotes() {
        assert_eq!(
            split_outside_quotes("a:b='x:y':c=\"1'2\"", ':'),
            Some(vec!["a", "b='x:y'", "c=\"1'2\""])
        );
        assert_eq!(split_outside_quotes("", ':'), Some(vec![""]));
        assert_eq!(split_outside_quotes("a='b", ':'), None);
    }

    #[test]
    fn reading_and_writing_values() {
        assert_eq!(read_value("k40", &[':']).as_deref(), Some("k40"));
        assert_eq!(read_value("a=b", &[':']).as_deref(), Some("a=b"));
        assert_eq!(read_value("'a:b+c'", &[':']).as_deref(), Some("a:b+c"));
        assert_eq!(read_value("\"\"", &[':']).as_deref(), Some(""));
        assert_eq!(read_value("", &[':']), None);
        assert_eq!(read_value("\"", &[':']), None);
        assert_eq!(read_value("a b", &[':']), None);
        assert_eq!(read_value("a'b", &[':']), None);
        assert_eq!(read_value("'a'b'", &[':']), None);
        assert_eq!(quote_value("k40", SELECT_SPECIAL), "k40");
        assert_eq!(quote_value("a:b", SELECT_SPECIAL), "\"a:b\"");
        assert_eq!(quote_value("say \"hi\"", SELECT_SPECIAL), "'say \"hi\"'");
        assert_eq!(quote_value("", SELECT_SPECIAL), "\"\"");
        assert_eq!(quote_value("2:ppn=4", LIST_SPECIAL), "2:ppn=4");
        assert!(!is_writable("a'b\"c"));
        assert!(!is_writable("a\nb"));
    }
}
