//! [`DbError`]: what went wrong talking to the database, with enough context to act on.

/// An error from the hub database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no backend we support, or is malformed.
    #[error("unsupported database URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given, without any password (see [`super::redact_url`]).
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The SQLite file could not be created or its permissions set to 0600.
    #[error("cannot prepare the SQLite file {path}")]
    File {
        /// The database file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the database {url}")]
    Connect {
        /// The URL, without any password.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations failed; the database is left at the last migration that succeeded.
    #[error("cannot migrate the database schema")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The database records migrations this binary does not know: a newer hub migrated it.
    /// Every command refuses it, since this hub would misread what the newer one wrote.
    #[error(
        "the database at {url} is at schema version {version}, newer than this hub's \
         {latest} (it was migrated by a newer hub): run that hub, or restore the backup \
         taken before the upgrade"
    )]
    SchemaTooNew {
        /// The URL, without any password.
        url: String,
        /// Its newest applied migration.
        version: i64,
        /// The newest migration this binary knows.
        latest: i64,
    },
    /// The database lacks migrations and this command may not apply them (`hub serve`
    /// without `upgrade_db`, the source of `hub db copy`).
    #[error(
        "the database at {url} is at schema version {version}, this hub needs {latest}: \
         back it up and run `hub db upgrade`"
    )]
    SchemaOutdated {
        /// The URL, without any password.
        url: String,
        /// Its newest applied migration (0: none).
        version: i64,
        /// The newest migration this binary knows.
        latest: i64,
    },
    /// A migration is recorded as failed half-way: the schema is in an unknown state.
    #[error(
        "the database at {url}: migration(s) {failed:?} failed half-way; restore it from \
         its backup"
    )]
    SchemaFailed {
        /// The URL, without any password.
        url: String,
        /// The failed versions.
        failed: Vec<i64>,
    },
    /// The backup of a SQLite file before a migration could not be written; nothing was
    /// migrated.
    #[error("cannot back up the database to {path}; nothing was migrated")]
    Backup {
        /// The backup file.
        path: std::path::PathBuf,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The target of a copy already holds rows: a copy only fills an empty database.
    #[error(
        "the target database {url} is not empty ({tables}): copy only into a new, empty \
         database ({how})"
    )]
    TargetNotEmpty {
        /// The URL, without any password.
        url: String,
        /// The tables holding rows, with their counts (`users: 3, servers: 2`).
        tables: String,
        /// How to get an empty one.
        how: &'static str,
    },
    /// A database's tables or columns are not the ones this binary's copy knows, so a copy
    /// would leave something behind.
    #[error(
        "{url}: {detail}; the copy knows only this hub's schema and refuses to leave data behind"
    )]
    UnexpectedSchema {
        /// The URL, without any password.
        url: String,
        /// What differs.
        detail: String,
    },
    /// A user with this name already exists.
    #[error("user {0:?} already exists")]
    UserExists(String),
    /// No user with this name exists.
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    /// The user already has a server with this name.
    #[error("user {user:?} already has a server named {name:?}")]
    ServerExists {
        /// The user.
        user: String,
        /// The server name (`""` is the default server).
        name: String,
    },
    /// A referenced row (user, OAuth client) does not exist.
    #[error("{what} refers to something that does not exist")]
    MissingReference {
        /// What was being written.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A row read back holds a value this version cannot understand (hand-edited database,
    /// or one written by a newer version).
    #[error("corrupt value in {table}.{column}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A grouped write of a server state never heard back from its commit (the task
    /// carrying the commit panicked, or the runtime is shutting down): it may or may not
    /// be stored.
    #[error("the grouped commit of a server state did not report back")]
    GroupCommitLost,
    /// Any other database error, with the operation that failed.
    #[error("database error while trying to {doing}")]
    Query {
        /// The operation, e.g. "store server state".
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

impl DbError {
    /// Wraps a driver error from `doing`, mapping foreign-key violations to
    /// [`DbError::MissingReference`] so callers can tell "unknown user" from an outage.
    pub(crate) fn query(doing: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
        move |source| {
            let is_fk = source
                .as_database_error()
                .is_some_and(|e| e.is_foreign_key_violation());
            if is_fk {
                DbError::MissingReference {
                    what: doing,
                    source,
                }
            } else {
                DbError::Query { doing, source }
            }
        }
    }
}

/// True when `err` is a unique-constraint violation (a duplicate key).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
