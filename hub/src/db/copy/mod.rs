//! `hub db copy`: every row of every table from one hub database into a new, empty one —
//! typically a site's SQLite file into PostgreSQL, but any direction works.
//!
//! The rules, each one a way not to lose data:
//! - the source must be fully migrated (no migration is applied to it) and is read in one
//!   transaction, so the copy is one consistent snapshot;
//! - both databases must hold exactly the tables and columns of [`TABLES`]: a table or
//!   column the copy does not know is refused, never skipped;
//! - the target is migrated to the same version, must hold no row, and is written in one
//!   transaction: all or nothing;
//! - the API token ids keep their numbers, and the target's auto-numbering continues after
//!   the highest id the source ever handed out (a revoked token's id is never reused).
//!
//! The hub must be stopped during the copy: rows it writes after the snapshot are not copied.

mod schema;
mod tables;

use sqlx::AnyConnection;

pub(super) use schema::check_schema;
#[cfg(test)]
pub(super) use schema::schema_of;
#[cfg(test)]
pub(super) use tables::Kind;
use tables::Table;
pub(super) use tables::{read_table, Value, TABLES};

use super::connect::{open_pool, schema_status};
use super::policy::{must_migrate, SchemaPolicy};
use super::{migrate, redact_url, Backend, Db, DbError};

/// What [`copy`] copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows copied per table, in copy order.
    pub rows: Vec<(&'static str, u64)>,
    /// The highest API token id the source had handed out; the target's next is above it.
    pub last_token_id: i64,
    /// The schema version of both databases.
    pub version: i64,
}

/// Copies every row of the hub database at `from` into the one at `to`, which is created
/// (SQLite) and migrated if new, and must be empty. `progress` hears each table's name and
/// row count as it is copied (the target's transaction is committed only after the last).
pub async fn copy(
    from: &str,
    to: &str,
    mut progress: impl FnMut(&str, u64),
) -> Result<CopyReport, DbError> {
    let source = Db::connect_with(from, SchemaPolicy::Current).await?;
    let result = async {
        let mut conn = source
            .pool
            .acquire()
            .await
            .map_err(DbError::query("get a connection to the source"))?;
        check_schema(&mut conn, source.backend, from).await?;
        drop(conn);
        let target = open_target(to).await?;
        let copied = copy_rows(&source, &target, &mut progress).await;
        target.close().await;
        copied
    }
    .await;
    source.close().await;
    result
}

/// Opens the target: migrated if new, refused if it holds an older schema, rows, or a
/// schema the copy does not know.
async fn open_target(url: &str) -> Result<Db, DbError> {
    let (pool, backend) = open_pool(url, SchemaPolicy::Upgrade).await?;
    let checked = async {
        let status = schema_status(&pool, backend).await?;
        let migrate = must_migrate(SchemaPolicy::Upgrade, backend, &status, url)?;
        if migrate && !status.is_new() {
            return Err(DbError::TargetNotEmpty {
                url: redact_url(url),
                tables: format!("an older hub's schema, version {}", status.version()),
                how: how_to_empty(backend),
            });
        }
        if migrate {
            migrate::run(&pool, backend).await?;
        }
        let mut conn = pool
            .acquire()
            .await
            .map_err(DbError::query("get a connection to the target"))?;
        check_schema(&mut conn, backend, url).await?;
        let mut filled = Vec::new();
        for table in TABLES {
            let rows = count_rows(&mut conn, table.name).await?;
            if rows > 0 {
                filled.push(format!("{}: {rows}", table.name));
            }
        }
        if !filled.is_empty() {
            return Err(DbError::TargetNotEmpty {
                url: redact_url(url),
                tables: filled.join(", "),
                how: how_to_empty(backend),
            });
        }
        Ok(())
    };
    if let Err(e) = checked.await {
        pool.close().await;
        return Err(e);
    }
    Ok(Db {
        pool,
        backend,
        group: Default::default(),
    })
}

/// The advice given with [`DbError::TargetNotEmpty`].
fn how_to_empty(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "e.g. `DROP DATABASE batchhub; CREATE DATABASE batchhub OWNER batchhub;` in psql"
        }
        Backend::Sqlite => "give a path where no file exists yet",
    }
}

/// The copy itself: one read snapshot of the source, one write transaction on the target.
async fn copy_rows(
    source: &Db,
    target: &Db,
    progress: &mut impl FnMut(&str, u64),
) -> Result<CopyReport, DbError> {
    let mut read = source
        .pool
        .begin()
        .await
        .map_err(DbError::query("begin reading the source"))?;
    if source.backend == Backend::Postgres {
        // Every table from the same snapshot (SQLite's read transaction is one already).
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *read)
            .await
            .map_err(DbError::query("take a snapshot of the source"))?;
    }
    let mut write = target
        .pool
        .begin()
        .await
        .map_err(DbError::query("begin writing the target"))?;
    let mut rows = Vec::new();
    for table in TABLES {
        // Read whole: a hub's tables hold thousands of rows, not millions.
        let values = read_table(&mut read, table).await?;
        let insert = insert_sql(table);
        for row in &values {
            let mut query = sqlx::query(&insert);
            for value in row {
                query = match value {
                    Value::Text(v) => query.bind(v.clone()),
                    Value::Int(v) => query.bind(*v),
                };
            }
            query
                .execute(&mut *write)
                .await
                .map_err(|source| DbError::Query {
                    doing: "insert a row into the target",
                    source,
                })?;
        }
        let count = values.len() as u64;
        progress(table.name, count);
        rows.push((table.name, count));
    }
    let last_token_id = last_token_id(&mut read, source.backend).await?;
    set_last_token_id(&mut write, target.backend, last_token_id).await?;
    write.commit().await.map_err(|source| DbError::Query {
        doing: "commit the copy",
        source,
    })?;
    // Nothing was written to the source: ending its read transaction either way is the same.
    let _ = read.rollback().await;
    let status = schema_status(&target.pool, target.backend).await?;
    Ok(CopyReport {
        rows,
        last_token_id,
        version: status.version(),
    })
}

/// `INSERT INTO t (c1, …) VALUES ($1, …)`.
fn insert_sql(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let params: Vec<String> = (1..=names.len()).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        names.join(", "),
        params.join(", ")
    )
}

async fn count_rows(conn: &mut AnyConnection, table: &str) -> Result<i64, DbError> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("count the rows of a table"))
}

/// The highest API token id ever handed out: the auto-numbering's last value (it remembers
/// revoked tokens), or the highest id present, whichever is higher.
async fn last_token_id(conn: &mut AnyConnection, backend: Backend) -> Result<i64, DbError> {
    let sequence_sql = match backend {
        Backend::Sqlite => {
            "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'api_tokens'"
        }
        Backend::Postgres => {
            "SELECT COALESCE(pg_sequence_last_value(\
             pg_get_serial_sequence('api_tokens', 'id')::regclass), 0)"
        }
    };
    let sequence: i64 = sqlx::query_scalar(sequence_sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("read the source's last token id"))?;
    let highest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM api_tokens")
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("read the source's highest token id"))?;
    Ok(sequence.max(highest))
}

/// Makes the target's next auto-numbered token id `last + 1`. Inserting explicit ids does
/// not move a PostgreSQL sequence, so without this the next token would collide.
async fn set_last_token_id(
    conn: &mut AnyConnection,
    backend: Backend,
    last: i64,
) -> Result<(), DbError> {
    if last == 0 {
        return Ok(());
    }
    let fail = DbError::query("set the target's last token id");
    match backend {
        Backend::Postgres => {
            sqlx::query("SELECT setval(pg_get_serial_sequence('api_tokens', 'id'), $1, true)")
                .bind(last)
                .execute(&mut *conn)
                .await
                .map_err(fail)?;
        }
        Backend::Sqlite => {
            // sqlite_sequence is an ordinary table SQLite reads AUTOINCREMENT's high-water
            // mark from; its row for api_tokens exists once a row was inserted.
            let updated =
                sqlx::query("UPDATE sqlite_sequence SET seq = $1 WHERE name = 'api_tokens'")
                    .bind(last)
                    .execute(&mut *conn)
                    .await
                    .map_err(DbError::query("set the target's last token id"))?;
            if updated.rows_affected() == 0 {
                sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ('api_tokens', $1)")
                    .bind(last)
                    .execute(&mut *conn)
                    .await
                    .map_err(fail)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_name_every_column_once() {
        assert_eq!(
            insert_sql(&TABLES[0]),
            "INSERT INTO users (name, admin, created, last_activity) VALUES ($1, $2, $3, $4)"
        );
    }
}
