-- Local accounts, their sign-in sessions, and failed sign-ins (for rate limiting). Portable SQL:
-- the same statements run on SQLite and PostgreSQL. Times are RFC 3339 text in UTC, always to the
-- whole second (`2026-01-01T09:30:00Z`), so that comparing the text compares the instants.

-- An account. The email is stored lower-case, so UNIQUE makes it unique case-insensitively.
-- A Local Administrator acts for exactly one organisation; a reviewer for none.
-- password_hash is an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    role          TEXT NOT NULL CHECK (role IN ('local_admin', 'reviewer')),
    ods_code      TEXT CHECK ((role = 'local_admin' AND ods_code IS NOT NULL)
                           OR (role = 'reviewer' AND ods_code IS NULL)),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

-- A signed-in browser or script. id is the hex SHA-256 of the 256-bit token the cookie holds, so
-- a copy of this table lets no one in. csrf_token is the synchronizer token the X-CSRF-Token
-- header must repeat. A session ends at expires_at (absolute) or after the idle timeout measured
-- from last_seen_at, whichever is first.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed sign-ins inside the rate-limit window: key is 'email:<lower-case email>' or
-- 'ip:<client address>'. Rows older than the window are deleted as new failures arrive.
CREATE TABLE sign_in_failures (
    key       TEXT NOT NULL,
    failed_at TEXT NOT NULL
);

CREATE INDEX sign_in_failures_key ON sign_in_failures (key, failed_at);
