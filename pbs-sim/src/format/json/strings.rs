//! How the old generator types and escapes values.

use std::borrow::Cow;

/// Which escaping the original applies (`JSON_ESCAPE` for qstat attribute values,
/// `JSON_FULLESCAPE` for pbsnodes and the prologue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Esc {
    /// qstat values: a backslash already escapes the next char, `\,` and `\'` lose it.
    Attr,
    /// Every `"` and `\` escaped.
    Full,
}

/// Whether `s` is a number by JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
/// `0`, `-3`, `0.0615`, `1e5` are; `022`, `00:30:00`, `1gb`, `True`, `.5`, `1.` are not.
pub fn is_valid_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// Whether the old generator prints `value` bare. It uses `strtod` over the whole value
/// (trailing blanks allowed) and, since 2020, keeps values with a leading `0` as strings
/// unless they are below 1 (`0`, `0.5`). We take the same rule but demand JSON's number
/// grammar instead of `strtod`'s, so `inf`, `0x1F`, `.5`, `+5` or `-022` come out quoted
/// rather than as the invalid JSON the original would print.
pub fn prints_bare(value: &str) -> bool {
    let t = value.trim_end_matches([' ', '\t', '\n', '\r']);
    is_valid_json_number(t) && (!t.starts_with('0') || t.parse::<f64>().is_ok_and(|v| v < 1.0))
}

/// C's `strtod` of the longest number at the start of `s` (0 when there is none), as
/// `pbsnodes` uses to leave zero-valued assigned resources out.
pub(crate) fn strtod_prefix(s: &str) -> f64 {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_from = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut mantissa = i > int_from;
    if b.get(i) == Some(&b'.') {
        let frac_from = i + 1;
        let mut j = frac_from;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if mantissa || j > frac_from {
            mantissa = true;
            i = j;
        }
    }
    if !mantissa {
        return 0.0;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_from = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > exp_from {
            i = j;
        }
    }
    t[..i].parse().unwrap_or(0.0)
}

/// Escape a string value. Control chars `\b \f \n \r \t` become their escapes (as in the
/// original) and other control chars `\u00XX` (the original prints them raw).
///
/// [`Esc::Attr`] keeps qstat's reading of backslashes: `\,` and `\'` print as `,` and `'`,
/// and a backslash that already forms a JSON escape (`\"`, `\\`, `\/`, `\n`, `\uXXXX`, ...)
/// is copied with its char. Where the original would copy an escape JSON does not have
/// (`\q`, or a backslash at the very end) we escape the backslash, so the output stays JSON.
pub(crate) fn escape(s: &str, esc: Esc) -> Cow<'_, str> {
    // Most values need nothing: no copy.
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && esc == Esc::Attr {
            match chars.get(i + 1) {
                Some(&n @ (',' | '\'')) => {
                    out.push(n);
                    i += 2;
                    continue;
                }
                Some(&n @ ('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't')) => {
                    out.push('\\');
                    out.push(n);
                    i += 2;
                    continue;
                }
                Some('u')
                    if chars
                        .get(i + 2..i + 6)
                        .is_some_and(|h| h.iter().all(char::is_ascii_hexdigit)) =>
                {
                    out.push('\\');
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
        i += 1;
    }
    Cow::Owned(out)
}
