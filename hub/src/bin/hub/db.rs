//! `hub db status`, `hub db upgrade` and `hub db copy`: the database's schema version, its
//! upgrade (a SQLite file backed up first) and moving it to another database.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::{load_config, runtime, ConfigFile};

/// The `hub db` commands.
#[derive(Debug, Subcommand)]
pub(super) enum DbCommand {
    /// Print the database's schema version and its applied and pending migrations.
    ///
    /// Changes nothing; exits 1 unless the database is up to date.
    Status {
        #[command(flatten)]
        config: ConfigFile,
    },
    /// Apply the schema migrations this hub needs (stop the hub first).
    ///
    /// A SQLite file is first backed up beside itself (`<file>.<UTC time>.bak`, mode 0600);
    /// back up PostgreSQL with pg_dump before. Prints what it applied, or that the database
    /// is already up to date.
    Upgrade {
        #[command(flatten)]
        config: ConfigFile,
    },
    /// Copy the whole database into a new, empty one, e.g. from SQLite to PostgreSQL.
    ///
    /// Every user, server (with its job), token, OAuth client and code and session, in one
    /// transaction: all or nothing. The source must be up to date (`hub db upgrade`) and the
    /// hub stopped. Afterwards, point `[hub] db_url` at the target.
    Copy {
        #[command(flatten)]
        config: ConfigFile,
        /// The source database URL [default: the config's db_url].
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The target database URL: `postgresql://user@host/db` (an empty database) or
        /// `sqlite:///path?mode=rwc` (a new file).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// Runs one `hub db` command.
pub(super) fn run(command: DbCommand) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::Status { config } => {
            let config = load_config(&config.file, "nothing inspected")?;
            runtime()?.block_on(db_status(&config.hub.db_url))
        }
        DbCommand::Upgrade { config } => {
            let path = config.file;
            let config = load_config(&path, "nothing upgraded")?;
            runtime()?.block_on(db_upgrade(&config.hub.db_url, &path))
        }
        DbCommand::Copy { config, from, to } => {
            let from = match from {
                Some(url) => url,
                None => load_config(&config.file, "nothing copied")?.hub.db_url,
            };
            runtime()?.block_on(db_copy(&from, &to))
        }
    }
}

fn versions(list: &[i64]) -> String {
    if list.is_empty() {
        return "none".to_string();
    }
    list.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn db_status(url: &str) -> anyhow::Result<ExitCode> {
    use hub::db::inspect::{inspect, latest_version, Inspection};
    println!("database  {}", hub::db::redact_url(url));
    let status = match inspect(url).await? {
        Inspection::NotCreated { path } => {
            println!(
                "schema    none: {} does not exist yet (hub serve creates it)",
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        Inspection::Schema(status) => status,
    };
    let latest = status.backend.map(latest_version).unwrap_or(0);
    println!(
        "schema    version {} (this hub: {latest})",
        status.version()
    );
    println!("applied   {}", versions(&status.applied));
    println!("pending   {}", versions(&status.pending));
    if !status.unknown.is_empty() {
        println!(
            "unknown   {} (applied by a newer hub)",
            versions(&status.unknown)
        );
    }
    if !status.failed.is_empty() {
        println!("failed    {}", versions(&status.failed));
    }
    let current =
        status.pending.is_empty() && status.unknown.is_empty() && status.failed.is_empty();
    Ok(if current {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn db_upgrade(url: &str, config: &Path) -> anyhow::Result<ExitCode> {
    let shown = hub::db::redact_url(url);
    if hub::db::Backend::of_url(url) == Some(hub::db::Backend::Postgres) {
        println!(
            "{shown}: PostgreSQL is not backed up by this command; it expects the `pg_dump` \
             you took before running it."
        );
    }
    let report = hub::db::upgrade::upgrade(url, chrono::Utc::now())
        .await
        .with_context(|| format!("upgrading the database of {}", config.display()))?;
    if let Some(backup) = &report.backup {
        println!("{shown}: backed up to {} (mode 0600)", backup.display());
    }
    if report.applied.is_empty() {
        println!(
            "{shown}: already up to date (schema version {})",
            report.after
        );
    } else {
        println!(
            "{shown}: applied migration(s) {}: schema version {} -> {}",
            versions(&report.applied),
            report.before,
            report.after
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn db_copy(from: &str, to: &str) -> anyhow::Result<ExitCode> {
    let (shown_from, shown_to) = (hub::db::redact_url(from), hub::db::redact_url(to));
    println!("copying {shown_from} -> {shown_to} (the hub must be stopped)");
    let report = hub::db::copy::copy(from, to, |table, rows| {
        println!("  {table:<14} {rows:>8} rows");
    })
    .await
    .with_context(|| format!("copying {shown_from} to {shown_to}; no row was copied"))?;
    let total: u64 = report.rows.iter().map(|(_, rows)| rows).sum();
    println!(
        "committed: {total} rows in {} tables, schema version {}; the next API token id is a{}",
        report.rows.len(),
        report.version,
        report.last_token_id + 1
    );
    println!("now set `db_url = \"{shown_to}\"` in [hub] and start the hub");
    Ok(ExitCode::SUCCESS)
}
