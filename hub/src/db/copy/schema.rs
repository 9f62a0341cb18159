//! The copy's check that a database holds exactly the tables and columns it knows.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::tables::{Kind, TABLES};
use crate::db::{redact_url, Backend, DbError};

/// Refuses a database whose tables or columns are not exactly [`TABLES`].
pub(in crate::db) async fn check_schema(
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
pub(in crate::db) async fn schema_of(
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
}
