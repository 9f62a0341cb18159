//! The job output page: the end of a server's job output file, escaped, in a `<pre>`.

use maud::{html, Markup};

use super::{layout, server_title, user_page};
use crate::control::ServerView;

/// The output page of `view` (owned by `user`); `tail` is what could be read.
pub(in crate::web) fn output_page(
    base: &str,
    who: (&str, bool),
    user: &str,
    view: &ServerView,
    tail: Option<&str>,
) -> Markup {
    let server = view.key.name.as_str();
    let body = html! {
        h1 { "Job output: " (server_title(server).to_lowercase()) " of " (user) }
        @if let Some(job) = view.job() { p { "Job " (job) } }
        @match tail {
            Some(tail) => {
                p.hint { "The last lines of the job's output and error file:" }
                pre.output { (tail) }
            }
            None => p {
                "No output to show: the job has not written any yet, its file is not readable \
                 by the hub, or the hub does not know the job (it restarted since)."
            },
        }
        p { a href=(user_page(base, "output", user, server)) { "Reload" } " · " a href={ (base) "hub/home" } { "Back to home" } }
    };
    layout(base, Some(who), "Job output", body)
}
