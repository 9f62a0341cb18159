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

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::connect::{open_pool, schema_status};
use super::policy::{must_migrate, SchemaPolicy};
use super::{migrate, redact_url, Backend, Db, DbError};

/// How a column is read and written: the schema uses only these two types (times are
/// BIGINT microseconds, flags BIGINT 0/1, JSON is TEXT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// TEXT.
    Text,
    /// BIGINT / INTEGER.
    Int,
}

/// One table as the copy knows it.
#[derive(Debug)]
pub(super) struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its primary key, to read rows in a stable order.
    pub key: &'static str,
    /// Every column, with its kind.
    pub columns: &'static [(&'static str, Kind)],
}

use Kind::{Int, Text};

/// Every table of the schema at the latest migration, parents before the tables whose
/// foreign keys point at them. A migration that adds a table or a column must add it here:
/// the copy refuses a database whose schema differs, and the tests compare this list with
/// a freshly migrated database of each backend.
pub(super) const TABLES: &[Table] = &[
    Table {
        name: "users",
        key: "name",
        columns: &[
            ("name", Text),
            ("admin", Int),
            ("created", Int),
            ("last_activity", Int),
        ],
    },
    Table {
        name: "oauth_clients",
        key: "client_id",
        columns: &[
            ("client_id", Text),
            ("secret_hash", Text),
            ("redirect_uri", Text),
            ("description", Text),
            ("created", Int),
        ],
    },
    Table {
        name: "servers",
        key: "user_name, name",
        columns: &[
            ("user_name", Text),
            ("name", Text),
            ("state", Text),
            ("user_options", Text),
            ("job_id", Text),
            ("host", Text),
            ("port", Int),
            ("url", Text),
            ("created", Int),
            ("started", Int),
            ("last_activity", Int),
        ],
    },
    Table {
        name: "api_tokens",
        key: "id",
        columns: &[
            ("id", Int),
            ("hash", Text),
            ("prefix", Text),
            ("user_name", Text),
            ("service_name", Text),
            ("oauth_client_id", Text),
            ("scopes", Text),
            ("note", Text),
            ("created", Int),
            ("expires_at", Int),
            ("last_activity", Int),
            ("session_id", Text),
        ],
    },
    Table {
        name: "oauth_codes",
        key: "code_hash",
        columns: &[
            ("code_hash", Text),
            ("client_id", Text),
            ("user_name", Text),
            ("scopes", Text),
            ("redirect_uri", Text),
            ("code_challenge", Text),
            ("code_challenge_method", Text),
            ("created", Int),
            ("expires_at", Int),
            ("session_id", Text),
        ],
    },
    Table {
        name: "sessions",
        key: "id_hash",
        columns: &[
            ("id_hash", Text),
            ("user_name", Text),
            ("xsrf_token", Text),
            ("created", Int),
            ("expires_at", Int),
            ("session_id", Text),
        ],
    },
];

/// One value of a row, as read from the source and bound into the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// A TEXT value or NULL.
    Text(Option<String>),
    /// An integer value or NULL.
    Int(Option<i64>),
}

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

/// Every row of `table`, in key order, each value in column order.
pub(super) async fn read_table(
    conn: &mut AnyConnection,
    table: &Table,
) -> Result<Vec<Vec<Value>>, DbError> {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        table.name,
        table.key
    );
    let rows = sqlx::query(&sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("read a table of the source"))?;
    rows.iter().map(|row| row_values(row, table)).collect()
}

fn row_values(row: &AnyRow, table: &Table) -> Result<Vec<Value>, DbError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, &(name, kind))| {
            let corrupt = |e: sqlx::Error| DbError::Corrupt {
                table: table.name,
                column: name,
                reason: e.to_string(),
            };
            Ok(match kind {
                Kind::Text => Value::Text(row.try_get(i).map_err(corrupt)?),
                Kind::Int => Value::Int(row.try_get(i).map_err(corrupt)?),
            })
        })
        .collect()
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

/// Refuses a database whose tables or columns are not exactly [`TABLES`].
pub(super) async fn check_schema(
    conn: &mut AnyConnection,
    backend: Backend,
    url: &str,
) -> Result<(), DbError> {
    let found = schema_of(conn, backend).await?;
    let known: BTreeMap<String, Vec<(String, Kind)>> = TABLES
        .iter()
        .map(|t| {
            let mut columns: Vec<(String, Kind)> = t
                .columns
                .iter()
                .map(|&(name, kind)| (name.to_string(), kind))
                .collect();
            columns.sort();
            (t.name.to_string(), columns)
        })
        .collect();
    match schema_difference(&known, &found) {
        None => Ok(()),
        Some(detail) => Err(DbError::UnexpectedSchema {
            url: redact_url(url),
            detail,
        }),
    }
}

/// What differs between the schema the copy knows and the one found, if anything.
fn schema_difference(
    known: &BTreeMap<String, Vec<(String, Kind)>>,
    found: &BTreeMap<String, Vec<(String, Option<Kind>)>>,
) -> Option<String> {
    for name in found.keys() {
        if !known.contains_key(name) {
            return Some(format!("table {name} is unknown to the copy"));
        }
    }
    for (name, columns) in known {
        let Some(present) = found.get(name) else {
            return Some(format!("table {name} is missing"));
        };
        let expected: Vec<(String, Option<Kind>)> = columns
            .iter()
            .map(|(column, kind)| (column.clone(), Some(*kind)))
            .collect();
        if &expected != present {
            return Some(format!(
                "table {name} has columns {present:?}, the copy knows {expected:?}"
            ));
        }
    }
    None
}

/// Every table of the hub's (but sqlx's bookkeeping and SQLite's own) with its columns,
/// sorted, and the kind each column's declared type maps to (`None`: neither).
pub(super) async fn schema_of(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<BTreeMap<String, Vec<(String, Option<Kind>)>>, DbError> {
    let tables_sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations'"
        }
    };
    let columns_sql = match backend {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1)",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let tables: Vec<String> = sqlx::query_scalar(tables_sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("list the tables"))?;
    let mut schema = BTreeMap::new();
    for table in tables {
        let rows = sqlx::query(columns_sql)
            .bind(&table)
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::query("list the columns of a table"))?;
        let mut columns = Vec::new();
        for row in rows {
            let name: String = row
                .try_get(0)
                .map_err(DbError::query("read a column's name"))?;
            let declared: String = row
                .try_get(1)
                .map_err(DbError::query("read a column's type"))?;
            columns.push((name, kind_of(&declared)));
        }
        columns.sort();
        schema.insert(table, columns);
    }
    Ok(schema)
}

/// The kind a declared column type maps to, by SQLite's affinity rules (which PostgreSQL's
/// `bigint` and `text` also satisfy).
fn kind_of(declared: &str) -> Option<Kind> {
    let upper = declared.to_ascii_uppercase();
    if upper.contains("INT") {
        Some(Kind::Int)
    } else if upper.contains("TEXT") {
        Some(Kind::Text)
    } else {
        None
    }
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

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(kind_of("BIGINT"), Some(Kind::Int));
        assert_eq!(kind_of("integer"), Some(Kind::Int));
        assert_eq!(kind_of("text"), Some(Kind::Text));
        assert_eq!(kind_of("BLOB"), None);
    }

    #[test]
    fn an_unknown_table_or_column_is_a_difference() {
        let known: BTreeMap<String, Vec<(String, Kind)>> =
            [("users".to_string(), vec![("name".to_string(), Kind::Text)])].into();
        let same: BTreeMap<String, Vec<(String, Option<Kind>)>> = [(
            "users".to_string(),
            vec![("name".to_string(), Some(Kind::Text))],
        )]
        .into();
        assert_eq!(schema_difference(&known, &same), None);
        let mut extra_table = same.clone();
        extra_table.insert("groups".to_string(), Vec::new());
        assert!(schema_difference(&known, &extra_table)
            .unwrap()
            .contains("groups is unknown"));
        let mut extra_column = same.clone();
        extra_column
            .get_mut("users")
            .unwrap()
            .push(("email".to_string(), Some(Kind::Text)));
        assert!(schema_difference(&known, &extra_column)
            .unwrap()
            .contains("email"));
        assert!(schema_difference(&known, &BTreeMap::new())
            .unwrap()
            .contains("users is missing"));
    }

    #[test]
    fn parents_come_before_the_tables_pointing_at_them() {
        let position = |name: &str| TABLES.iter().position(|t| t.name == name).unwrap();
        assert!(position("users") < position("servers"));
        assert!(position("users") < position("api_tokens"));
        assert!(position("oauth_clients") < position("api_tokens"));
        assert!(position("oauth_clients") < position("oauth_codes"));
        assert!(position("users") < position("sessions"));
    }
}
