//! printf-style helpers shared by the table renderers.
//!
//! PBS builds its tables with `printf("%-16s")`, `"%5.5s"` and a "truncate and put `*` in
//! the last kept column" rule (`DISPLAY_TRUNC_CHAR`, v20+). C counts bytes; we count chars so
//! that a non-ASCII value can never be cut inside a UTF-8 sequence (identical for ASCII).

/// `%-Ns`: left-justify in `width` columns, never truncate.
pub(crate) fn left(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}

/// `%Ns`: right-justify in `width` columns, never truncate.
pub(crate) fn right(s: &str, width: usize) -> String {
    format!("{s:>width$}")
}

/// `%-N.Ns`: cut to `width` chars, then left-justify.
pub(crate) fn left_cut(s: &str, width: usize) -> String {
    left(&cut(s, width), width)
}

/// `%N.Ns`: cut to `width` chars, then right-justify.
pub(crate) fn right_cut(s: &str, width: usize) -> String {
    right(&cut(s, width), width)
}

/// The first `n` chars of `s`.
pub(crate) fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// PBS's v20+ truncation: longer than `width` → first `width - 1` chars and `*`.
pub(crate) fn star(s: &str, width: usize) -> String {
    if width > 0 && s.chars().count() > width {
        let mut out = cut(s, width - 1);
        out.push('*');
        out
    } else {
        s.to_string()
    }
}

/// C's `atol`/`strtol(.., 10)` prefix parse: leading blanks, a sign, digits; `0` when none.
/// Saturates instead of overflowing. Returns the value and the unparsed rest.
pub(crate) fn strtol(s: &str) -> (i64, &str) {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (0, s);
    }
    let mut v: i64 = 0;
    for b in body[..digits].bytes() {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    (if neg { -v } else { v }, &body[digits..])
}

/// C's `atol`.
pub(crate) fn atol(s: &str) -> i64 {
    strtol(s).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_cuts_only_past_the_width() {
        assert_eq!(star("abcdefgh", 8), "abcdefgh");
        assert_eq!(star("abcdefghi", 8), "abcdefg*");
        assert_eq!(star("", 8), "");
        assert_eq!(star("abc", 0), "abc");
    }

    #[test]
    fn printf_widths() {
        assert_eq!(left("ab", 4), "ab  ");
        assert_eq!(right("ab", 4), "  ab");
        assert_eq!(left_cut("abcdef", 4), "abcd");
        assert_eq!(right_cut(" -- ", 3), " --");
        assert_eq!(left("abcdef", 4), "abcdef");
    }

    #[test]
    fn strtol_is_c_like() {
        assert_eq!(strtol("  42kb"), (42, "kb"));
        assert_eq!(strtol("-3"), (-3, ""));
        assert_eq!(atol("abc"), 0);
        assert_eq!(atol("99999999999999999999999"), i64::MAX);
    }
}
