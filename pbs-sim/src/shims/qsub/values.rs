//! The small lexical rules of qsub's option values: `-l` item splitting (`set_resources`),
//! `-W` pairs (`parse_equal_string`), `-a` dates (`cvtdate`), and the checks PBS's client
//! library makes on attribute values before sending (`-N`, `-j`, `-k`, `-m`, `-p`, `-J`,
//! `-W depend`). The resource *grammar* itself is `drivers::resources`.

use super::super::JobIdArg;
use super::options::ResourceItem;

/// Splits `s` at commas outside `'…'`/`"…"`; `None` if a quote is left open.
fn split_commas(s: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ',') => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            (None, _) => {}
        }
    }
    if quote.is_some() {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// One `-l` argument as `set_resources` reads it: `name[=value]` items separated by
/// commas (a comma inside quotes does not separate). `None` for what PBS calls an illegal
/// `-l` value: an empty name, a trailing comma, an open quote, or blanks inside an
/// unquoted value.
pub fn split_resources(arg: &str) -> Option<Vec<ResourceItem>> {
    let mut items = Vec::new();
    for part in split_commas(arg)? {
        let part = part.trim_start();
        let (name, value) = match part.split_once('=') {
            Some((name, value)) => (name, Some(value.trim_start())),
            None => (part, None),
        };
        let name = name.split_whitespace().next()?;
        if let Some(v) = value {
            let quoted = v.starts_with(['"', '\'']);
            if !quoted && v.chars().any(char::is_whitespace) {
                return None;
            }
        }
        items.push(ResourceItem {
            name: name.to_string(),
            value: value.map(String::from),
        });
    }
    Some(items)
}

/// `-W` pairs: `key=value[,key=value…]`, where a comma-separated piece without `=` belongs
/// to the previous value (so `depend=afterok:1,afterany:2` is one pair). `None` when the
/// text does not start with a `key=`.
pub fn split_equal_list(s: &str) -> Option<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in split_commas(s)? {
        match piece.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                pairs.push((key.trim().to_string(), value.trim().to_string()));
            }
            _ => {
                let (_, value) = pairs.last_mut()?;
                value.push(',');
                value.push_str(piece);
            }
        }
    }
    Some(pairs)
}

/// Whether `s` is a `cvtdate` date: `[[[[CC]YY]MM]DD]hhmm[.SS]` with fields in range.
pub fn is_cvtdate(s: &str) -> bool {
    let (main, seconds) = match s.split_once('.') {
        Some((main, ss)) => (main, Some(ss)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(main) || !matches!(main.len(), 4 | 6 | 8 | 10 | 12) {
        return false;
    }
    if let Some(ss) = seconds {
        if ss.len() != 2 || !digits(ss) || ss > "59" {
            return false;
        }
    }
    let field = |from_end: usize| -> u32 {
        let end = main.len() - from_end;
        main[end - 2..end].parse().unwrap_or(99)
    };
    let (minute, hour) = (field(0), field(2));
    let day_ok = main.len() < 6 || (1..=31).contains(&field(4));
    let month_ok = main.len() < 8 || (1..=12).contains(&field(6));
    minute < 60 && hour < 24 && day_ok && month_ok
}

/// PBS's longest job name (`PBS_MAXJOBNAME`).
pub const MAX_JOB_NAME: usize = 230;

/// Why a job name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// A character outside `[A-Za-z0-9._+-]`, or empty.
    Illegal,
    /// Longer than [`MAX_JOB_NAME`].
    TooLong,
}

/// Checks a job name as PBS does for qsub (a digit may come first).
pub fn check_job_name(name: &str) -> Result<(), NameError> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-');
    if name.is_empty() || !name.chars().all(legal) {
        Err(NameError::Illegal)
    } else if name.len() > MAX_JOB_NAME {
        Err(NameError::TooLong)
    } else {
        Ok(())
    }
}

/// `-j`: `oe`, `eo` or `n`.
pub fn is_join(v: &str) -> bool {
    matches!(v, "oe" | "eo" | "n")
}

/// `n`, or one or more distinct letters from `allowed`.
fn is_letter_set(v: &str, allowed: &str) -> bool {
    if v == "n" {
        return true;
    }
    let mut seen = String::new();
    for c in v.chars() {
        if !allowed.contains(c) || seen.contains(c) {
            return false;
        }
        seen.push(c);
    }
    !seen.is_empty()
}

/// `-k`: `n`, or a combination of `o`, `e`, `d`.
pub fn is_keep(v: &str) -> bool {
    is_letter_set(v, "oed")
}

/// `-m`: `n`, or a combination of `a`, `b`, `e`, `j`.
pub fn is_mail_points(v: &str) -> bool {
    is_letter_set(v, "abej")
}

/// `-p`: an integer from -1024 to 1023.
pub fn parse_priority(v: &str) -> Option<i32> {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|p| (-1024..=1023).contains(p))
}

/// `-J X-Y[:Z]` with `X < Y` and a step of at least 1.
pub fn is_array_range(v: &str) -> bool {
    let (range, step) = match v.split_once(':') {
        Some((range, step)) => (range, Some(step)),
        None => (v, None),
    };
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let Some((start, end)) = range.split_once('-') else {
        return false;
    };
    let ok_step = step.is_none_or(|s| number(s).is_some_and(|n| n >= 1));
    matches!((number(start), number(end)), (Some(a), Some(b)) if a < b) && ok_step
}

/// `-W depend=`: comma-separated `type:jobid[:jobid…]`, or `on:count`.
pub fn is_depend(v: &str) -> bool {
    const TYPES: [&str; 8] = [
        "after",
        "afterok",
        "afternotok",
        "afterany",
        "before",
        "beforeok",
        "beforenotok",
        "beforeany",
    ];
    !v.is_empty()
        && v.split(',').all(|dep| {
            let mut parts = dep.split(':');
            let kind = parts.next().unwrap_or("");
            let rest: Vec<&str> = parts.collect();
            if kind == "on" {
                return rest.len() == 1 && rest[0].bytes().all(|b| b.is_ascii_digit());
            }
            TYPES.contains(&kind)
                && !rest.is_empty()
                && rest.iter().all(|id| JobIdArg::parse(id).is_some())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[ResourceItem]) -> Vec<String> {
        items.iter().map(ResourceItem::assignment).collect()
    }

    #[test]
    fn resource_items() {
        let items = split_resources("select=1:ncpus=2,walltime=1:00:00, foo='a,b'").unwrap();
        assert_eq!(
            names(&items),
            vec!["select=1:ncpus=2", "walltime=1:00:00", "foo='a,b'"]
        );
        assert_eq!(names(&split_resources("nodes").unwrap()), vec!["nodes"]);
        for bad in ["", "=1", "a=1,", "a=1,,b=2", "a='x", "a=x y"] {
            assert_eq!(split_resources(bad), None, "{bad}");
        }
    }

    #[test]
    fn equal_lists() {
        assert_eq!(
            split_equal_list("depend=afterok:1,afterany:2,umask=022"),
            Some(vec![
                ("depend".into(), "afterok:1,afterany:2".into()),
                ("umask".into(), "022".into())
            ])
        );
        assert_eq!(split_equal_list("force"), None);
        assert_eq!(split_equal_list("=x"), None);
    }

    #[test]
    fn dates() {
        for ok in [
            "1200",
            "311200",
            "12311200",
            "2512311200",
            "202512311200",
            "1200.30",
        ] {
            assert!(is_cvtdate(ok), "{ok}");
        }
        for bad in [
            "",
            "120",
            "2400",
            "1260",
            "1200.60",
            "001200",
            "1300121200",
            "12:00",
        ] {
            assert!(!is_cvtdate(bad), "{bad}");
        }
    }

    #[test]
    fn attribute_values() {
        assert_eq!(check_job_name("my_job-1.2+x"), Ok(()));
        assert_eq!(check_job_name("1job"), Ok(()));
        assert_eq!(check_job_name("a b"), Err(NameError::Illegal));
        assert_eq!(check_job_name(""), Err(NameError::Illegal));
        assert_eq!(check_job_name(&"a".repeat(231)), Err(NameError::TooLong));
        assert_eq!(check_job_name(&"a".repeat(230)), Ok(()));
        assert!(is_join("oe") && is_join("eo") && is_join("n") && !is_join("o"));
        assert!(is_keep("oed") && is_keep("n") && !is_keep("oo") && !is_keep("x"));
        assert!(is_mail_points("abe") && is_mail_points("n") && !is_mail_points("an"));
        assert_eq!(parse_priority("-1024"), Some(-1024));
        assert_eq!(parse_priority("1024"), None);
        assert_eq!(parse_priority("x"), None);
        assert!(is_array_range("1-10") && is_array_range("0-100:5"));
        assert!(!is_array_range("5-5") && !is_array_range("1-10:0") && !is_array_range("7"));
        assert!(is_depend("afterok:12.pbs02:13,before:14") && is_depend("on:2"));
        assert!(!is_depend("afterok") && !is_depend("whenever:1") && !is_depend("afterok:x"));
    }
}
