//! The tables `hub db copy` knows, column by column, and reading one whole.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::DbError;

/// How a column is read and written: the schema uses only these two types (times are
/// BIGINT microseconds, flags BIGINT 0/1, JSON is TEXT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::db) enum Kind {
    /// TEXT.
    Text,
    /// BIGINT / INTEGER.
    Int,
}

/// One table as the copy knows it.
#[derive(Debug)]
pub(in crate::db) struct Table {
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
pub(in crate::db) const TABLES: &[Table] = &[
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
pub(in crate::db) enum Value {
    /// A TEXT value or NULL.
    Text(Option<String>),
    /// An integer value or NULL.
    Int(Option<i64>),
}

/// Every row of `table`, in key order, each value in column order.
pub(in crate::db) async fn read_table(
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

#[cfg(test)]
mod tests {
    use super::*;

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
