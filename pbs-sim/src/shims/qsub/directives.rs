//! Finding `#PBS` directives in a job script and splitting them into words (reference
//! `pbs-pro.md` §1.2; OpenPBS `qsub_sup.c get_script`, `qsub.c make_argv`).
//!
//! - A line is a directive if, after leading blanks, it starts with the prefix
//!   (case-sensitive). The rest of the line is split like a shell line and read as qsub
//!   options.
//! - Scanning stops at the first executable line: one whose first non-blank character is
//!   not `#`. Blank lines and lines starting with `:` do not stop it (nor `#!`, a comment).
//! - A directive ending in `\` continues on the next line.
//! - A script with CR LF line ends is refused before anything else.

use super::super::ClientError;

/// One directive: its words (the option words, without the prefix) and its line number
/// (1-based, the first line if it was continued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The words, as `make_argv` splits them.
    pub words: Vec<String>,
    /// Where it started.
    pub line: usize,
}

/// The directives of `script` for `prefix`; none when `prefix` is empty (`qsub -C ""`).
pub fn find_directives(script: &str, prefix: &str) -> Result<Vec<Directive>, ClientError> {
    if script.contains("\r\n") {
        return Err(ClientError::new("qsub: script contains cr, lf\n", 1));
    }
    let mut found = Vec::new();
    if prefix.is_empty() {
        return Ok(found);
    }
    let mut lines = script.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if let Some(rest) = trimmed.strip_prefix(prefix) {
            let mut text = rest.to_string();
            while let Some(cut) = text.strip_suffix('\\') {
                text = cut.to_string();
                match lines.next() {
                    Some((_, next)) => text.push_str(next),
                    None => break,
                }
            }
            found.push(Directive {
                words: split_words(&text)?,
                line: index + 1,
            });
        } else if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(':')) {
            break;
        }
    }
    Ok(found)
}

/// Splits a directive's text like `make_argv`: blanks separate words; `'…'` and `"…"`
/// quote (and may join a word, `a"b c"` is `ab c`); `\` takes the next character
/// literally. An unterminated quote is fatal; PBS prints the NUL it stopped at.
pub fn split_words(text: &str) -> Result<Vec<String>, ClientError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => word.push(other),
                        None => return Err(ClientError::new("qsub: unmatched \0\n", 1)),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_ascii_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    fn directive_words(script: &str) -> Vec<Vec<String>> {
        find_directives(script, "#PBS")
            .expect("directives")
            .into_iter()
            .map(|d| d.words)
            .collect()
    }

    #[test]
    fn scanning_stops_at_the_first_executable_line() {
        let script =
            "#!/bin/bash\n\n#PBS -N a\n: comment\n  # note\n   #PBS -q q1\necho hi\n#PBS -N late\n";
        assert_eq!(
            directive_words(script),
            vec![words(&["-N", "a"]), words(&["-q", "q1"])]
        );
    }

    #[test]
    fn prefix_is_case_sensitive_and_configurable() {
        let script = "#pbs -N lower\n#PBS -N upper\n#MY -N mine\n";
        assert_eq!(directive_words(script), vec![words(&["-N", "upper"])]);
        let mine = find_directives(script, "#MY").unwrap();
        assert_eq!(mine[0].words, words(&["-N", "mine"]));
        assert!(find_directives(script, "").unwrap().is_empty());
    }

    #[test]
    fn continuation_lines() {
        let script = "#PBS -l select=1:ncpus=2,\\\nwalltime=1:00:00 \\\n -N x\n";
        let found = find_directives(script, "#PBS").unwrap();
        assert_eq!(
            found[0].words,
            words(&["-l", "select=1:ncpus=2,walltime=1:00:00", "-N", "x"])
        );
        assert_eq!(found[0].line, 1);
    }

    #[test]
    fn shell_like_splitting() {
        assert_eq!(
            split_words(r#"  -N "my job" -v 'A=1,B=2' a\ b x"y z"w"#).unwrap(),
            words(&["-N", "my job", "-v", "A=1,B=2", "a b", "xy zw"])
        );
        assert_eq!(split_words("").unwrap(), Vec::<String>::new());
        assert_eq!(split_words("''").unwrap(), words(&[""]));
        assert_eq!(
            split_words("-N 'open"),
            Err(ClientError::new("qsub: unmatched \0\n", 1))
        );
    }

    #[test]
    fn crlf_is_refused() {
        assert_eq!(
            find_directives("#PBS -N a\r\necho\r\n", "#PBS"),
            Err(ClientError::new("qsub: script contains cr, lf\n", 1))
        );
        // Even with directive scanning off.
        assert!(find_directives("echo\r\n", "").is_err());
    }
}
