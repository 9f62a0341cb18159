-- JupyterHub's session id (the plain `jupyterhub-session-id` cookie, a uuid4 in hex): one per
-- login session, carried by the OAuth codes issued in that session and by the tokens they
-- become, so that logging out revokes every token the session handed out.
-- The column is NULL on sessions created before this migration; the hub gives such a
-- session an id the first time it needs one.
-- Kept identical to the PostgreSQL file: plain ADD COLUMN and CREATE INDEX mean the same on both.

ALTER TABLE sessions ADD COLUMN session_id TEXT;
CREATE INDEX sessions_session_id ON sessions (session_id);

ALTER TABLE oauth_codes ADD COLUMN session_id TEXT;

ALTER TABLE api_tokens ADD COLUMN session_id TEXT;
CREATE INDEX api_tokens_session_id ON api_tokens (session_id);
