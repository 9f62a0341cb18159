//! The job's `Variable_List`: the `PBS_O_*` variables qsub always sends, then `-v`'s list,
//! then `-V`'s whole environment (OpenPBS `qsub.c job_env_basic`, `expand_varlist`,
//! `copy_env_value`, `comma_token`).
//!
//! `-v` rules: items are separated by commas outside quotes; `\` protects the next
//! character; `NAME=value` sets a value, in which quotes group (and are removed) so that
//! `-v "A='x,y'"` gives `A` the value `x,y`; a bare `NAME` takes the value from qsub's
//! environment (and is an error if it is not set). Names starting `PBS_O_` are qsub's own
//! and are not taken from the environment.

use std::collections::BTreeMap;

use super::super::ClientError;

/// PBS's text when a `-v` item cannot be sent; qsub exits 1.
fn cannot_send() -> ClientError {
    ClientError::new("qsub: cannot send environment with the job\n", 1)
}

/// `comma_token`: split at commas outside quotes, `\` skipping the next character.
fn comma_tokens(list: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut quote = None;
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in list.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ',') => {
                tokens.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    // comma_token returns no token for an empty remainder.
    if start < list.len() {
        tokens.push(&list[start..]);
    }
    tokens
}

/// The value a job sees for `NAME=raw`: quotes removed where they group, `\` taking the
/// next character; `None` if a quote is left open.
fn unquote(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut quote = None;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => out.extend(chars.next().or(Some('\\'))),
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            _ => out.push(c),
        }
    }
    quote.is_none().then_some(out)
}

/// Expands a `-v` list against `env`, keeping the order given.
pub fn expand_v(
    list: &str,
    env: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, ClientError> {
    let mut out = Vec::new();
    for token in comma_tokens(list) {
        match token.split_once('=') {
            Some((name, raw)) => {
                out.push((name.to_string(), unquote(raw).ok_or_else(cannot_send)?))
            }
            None if token.starts_with("PBS_O_") => {}
            None => {
                let value = env.get(token).ok_or_else(cannot_send)?;
                out.push((token.to_string(), value.clone()));
            }
        }
    }
    Ok(out)
}

/// What qsub's `job_env_basic` needs besides the environment.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The submission directory (`PBS_O_WORKDIR`).
    pub cwd: &'a str,
    /// The submission host (`PBS_O_HOST`).
    pub host: &'a str,
    /// The queue asked for with `-q`, if any (`PBS_O_QUEUE`).
    pub queue: Option<&'a str>,
}

/// The `PBS_O_*` variables, in PBS's order: `HOME` (default `/`), `LANG`, `LOGNAME`,
/// `PATH`, `MAIL`, `SHELL`, `TZ` (each only if set), `WORKDIR`, `SYSTEM`, then `QUEUE` (if
/// given) and `HOST`.
pub fn basic_variables(
    env: &BTreeMap<String, String>,
    origin: Origin<'_>,
) -> Vec<(String, String)> {
    let mut out = vec![(
        "PBS_O_HOME".to_string(),
        env.get("HOME").cloned().unwrap_or_else(|| "/".to_string()),
    )];
    for name in ["LANG", "LOGNAME", "PATH", "MAIL", "SHELL", "TZ"] {
        if let Some(value) = env.get(name) {
            out.push((format!("PBS_O_{name}"), value.clone()));
        }
    }
    out.push(("PBS_O_WORKDIR".to_string(), origin.cwd.to_string()));
    // uname's sysname: the simulator's shims run on Linux.
    out.push(("PBS_O_SYSTEM".to_string(), "Linux".to_string()));
    if let Some(queue) = origin.queue {
        out.push(("PBS_O_QUEUE".to_string(), queue.to_string()));
    }
    out.push(("PBS_O_HOST".to_string(), origin.host.to_string()));
    out
}

/// `-V`: every variable except qsub's own `PBS_O_*`, in name order (the map's order;
/// PBS uses `environ`'s order, which a map cannot keep).
pub fn whole_environment(env: &BTreeMap<String, String>) -> Vec<(String, String)> {
    env.iter()
        .filter(|(name, _)| !name.starts_with("PBS_O_"))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn v_values_names_and_quotes() {
        let e = env(&[("FOO", "from env"), ("PBS_O_HOME", "/x")]);
        assert_eq!(
            expand_v("A=1,FOO,B='x,y',C=\"q 'r'\",D=a\\,b,PBS_O_HOME", &e).unwrap(),
            pairs(&[
                ("A", "1"),
                ("FOO", "from env"),
                ("B", "x,y"),
                ("C", "q 'r'"),
                ("D", "a,b")
            ])
        );
        assert_eq!(expand_v("E=", &e).unwrap(), pairs(&[("E", "")]));
        assert_eq!(expand_v("MISSING", &e), Err(cannot_send()));
        assert_eq!(expand_v("A='open", &e), Err(cannot_send()));
        // An unquoted comma ends the value: "2" is then a name to look up.
        assert_eq!(expand_v("A=1,2", &e), Err(cannot_send()));
    }

    #[test]
    fn basic_order() {
        let e = env(&[
            ("SHELL", "/bin/bash"),
            ("HOME", "/home/u"),
            ("PATH", "/bin"),
            ("LOGNAME", "u"),
            ("LANG", "C"),
            ("MAIL", "/var/mail/u"),
        ]);
        let origin = Origin {
            cwd: "/home/u/w",
            host: "login1",
            queue: Some("workq"),
        };
        let names: Vec<String> = basic_variables(&e, origin)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            vec![
                "PBS_O_HOME",
                "PBS_O_LANG",
                "PBS_O_LOGNAME",
                "PBS_O_PATH",
                "PBS_O_MAIL",
                "PBS_O_SHELL",
                "PBS_O_WORKDIR",
                "PBS_O_SYSTEM",
                "PBS_O_QUEUE",
                "PBS_O_HOST"
            ]
        );
        let bare = basic_variables(
            &env(&[]),
            Origin {
                queue: None,
                ..origin
            },
        );
        assert_eq!(bare[0], ("PBS_O_HOME".to_string(), "/".to_string()));
        assert_eq!(bare.len(), 4);
        assert_eq!(
            whole_environment(&env(&[("A", "1"), ("PBS_O_X", "y")])),
            pairs(&[("A", "1")])
        );
    }
}
