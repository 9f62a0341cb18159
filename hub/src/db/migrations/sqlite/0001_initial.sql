-- batchhub hub database, SQLite dialect. Kept identical to ../postgres/0001_initial.sql
-- except where the dialects differ (the token id column).
-- Times are BIGINT microseconds since the Unix epoch, UTC: one portable type for both backends.
-- JSON values (state, user_options, scopes) are TEXT: the database never looks inside them.
-- Flags are BIGINT 0/1: sqlx's Any driver cannot read SQLite's BOOLEAN columns.

CREATE TABLE users (
    name          TEXT PRIMARY KEY NOT NULL,
    admin         BIGINT NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created       BIGINT NOT NULL,
    last_activity BIGINT
);

-- One row per (user, server name); "" is the default server.
CREATE TABLE servers (
    user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT '{}',
    user_options  TEXT NOT NULL DEFAULT '{}',
    job_id        TEXT,
    host          TEXT,
    port          BIGINT,
    url           TEXT,
    created       BIGINT NOT NULL,
    started       BIGINT,
    last_activity BIGINT,
    PRIMARY KEY (user_name, name)
);
CREATE INDEX servers_job_id ON servers (job_id);

CREATE TABLE oauth_clients (
    client_id    TEXT PRIMARY KEY NOT NULL,
    secret_hash  TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created      BIGINT NOT NULL
);

-- AUTOINCREMENT: a revoked token's id ("a<id>" in the REST API) is never handed out again.
CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    hash            TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    user_name       TEXT REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
    service_name    TEXT,
    oauth_client_id TEXT REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    scopes          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    created         BIGINT NOT NULL,
    expires_at      BIGINT,
    last_activity   BIGINT,
    CHECK ((user_name IS NULL) <> (service_name IS NULL))
);

CREATE TABLE oauth_codes (
    code_hash             TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_name             TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
    scopes                TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    created               BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
    xsrf_token TEXT NOT NULL,
    created    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
