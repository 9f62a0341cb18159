//! The admin page: the cluster at a glance, a filter, then one page of users with their
//! servers and stop buttons.

use chrono::{DateTime, Utc};
use drivers::ClusterSummary;
use maud::{html, Markup};

use super::{layout, server_title, time, user_page};
use crate::control::ServerView;

/// One user's row on the admin page.
#[derive(Debug)]
pub(in crate::web) struct AdminRow {
    pub name: String,
    pub admin: bool,
    pub last_activity: Option<DateTime<Utc>>,
    pub servers: Vec<ServerView>,
}

/// What the admin page shows.
#[derive(Debug)]
pub(in crate::web) struct AdminPage<'a> {
    pub base: &'a str,
    pub who: (&'a str, bool),
    pub xsrf: &'a str,
    pub rows: &'a [AdminRow],
    pub offset: u64,
    pub limit: u64,
    /// Users matching the filter.
    pub total: u64,
    /// The name filter, as typed.
    pub q: &'a str,
    /// The state filter (a [`super::super::pages::STATE_FILTERS`] key), `""` for all.
    pub state: &'a str,
    /// The cluster summary, or why it is unavailable.
    pub cluster: &'a Result<ClusterSummary, String>,
}

fn cluster(summary: &Result<ClusterSummary, String>) -> Markup {
    html! {
        section.card aria-labelledby="cluster-title" {
            h2 id="cluster-title" { "Cluster" }
            @match summary {
                Ok(c) => {
                    dl.cluster {
                        dt { "Jobs queued" } dd.queued { (c.queued) }
                        dt { "Jobs running" } dd.running { (c.running) }
                        dt { "Jobs held" } dd { (c.held) }
                        dt { "Jobs waiting or in transit" } dd { (c.waiting) }
                        dt { "Nodes free" } dd.free { (c.nodes_free) " of " (c.nodes_total) }
                        dt { "Nodes busy" } dd { (c.nodes_busy()) }
                        dt { "Nodes down or offline" } dd { (c.nodes_unavailable) }
                    }
                    p.hint { "Refreshed at most every 30 seconds." }
                }
                Err(reason) => p.error.cluster { "Cluster summary unavailable: " (reason) },
            }
        }
    }
}

/// `{base}hub/admin?q=…&state=…&offset=N`.
fn page_link(page: &AdminPage<'_>, offset: u64) -> String {
    let encode = |v: &str| {
        percent_encoding::utf8_percent_encode(v, crate::web::session::QUERY_VALUE).to_string()
    };
    format!(
        "{}hub/admin?q={}&state={}&offset={offset}",
        page.base,
        encode(page.q),
        encode(page.state)
    )
}

/// The admin page.
pub(in crate::web) fn admin_page(page: &AdminPage<'_>) -> Markup {
    let base = page.base;
    let shown = page.rows.len() as u64;
    let body = html! {
        h1 { "Admin" }
        (cluster(page.cluster))
        h2 { "Users" }
        form.filter method="get" action={ (base) "hub/admin" } role="search" {
            label for="filter-q" { "User name contains" }
            input id="filter-q" type="search" name="q" value=(page.q);
            label for="filter-state" { "Servers" }
            select id="filter-state" name="state" {
                @for (key, label) in crate::web::pages::STATE_FILTERS {
                    option value=(key) selected[page.state == *key] { (label) }
                }
            }
            " " button type="submit" { "Filter" }
        }
        @if shown == 0 {
            p { "No user matches." }
        } @else {
            p { "Users " (page.offset + 1) "–" (page.offset + shown) " of " (page.total) }
        }
        table {
            thead {
                tr { th scope="col" { "User" } th scope="col" { "Admin" } th scope="col" { "Last activity" } th scope="col" { "Servers" } }
            }
            tbody {
                @for row in page.rows {
                    tr.user {
                        td { (row.name) }
                        td { @if row.admin { "yes" } }
                        td { @if let Some(t) = row.last_activity { (time(t)) } }
                        td {
                            @for view in &row.servers {
                                div.server {
                                    (server_title(&view.key.name)) ": " span.state { (view.state.name()) }
                                    @if let Some(job) = view.job() { " (job " (job) ")" }
                                    @if view.state.is_active() {
                                        " "
                                        form.inline method="post"
                                            action=(user_page(base, "admin/stop", &row.name, &view.key.name)) {
                                            input type="hidden" name="_xsrf" value=(page.xsrf);
                                            button type="submit" aria-label={ "Stop " (row.name) "'s " (server_title(&view.key.name).to_lowercase()) } { "Stop" }
                                        }
                                    }
                                    @if view.job().is_some() {
                                        " " a href=(user_page(base, "output", &row.name, &view.key.name)) { "output" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav aria-label="Pages" {
            @if page.offset > 0 {
                a href=(page_link(page, page.offset.saturating_sub(page.limit))) { "Previous" } " "
            }
            @if page.offset + page.limit < page.total {
                a href=(page_link(page, page.offset + page.limit)) { "Next" }
            }
        }
    };
    layout(base, Some(page.who), "Admin", body)
}
