-- A third role, `desk_admin` (issue 17, part 3; docs/sign-in.md): a desk administrator manages
-- the accounts on the Accounts page and nothing else, for no organisation, so its ods_code is
-- NULL as a reviewer's is.
--
-- The role is new, and a CHECK constraint cannot be altered in SQLite, so users is rebuilt as
-- 0015 rebuilt registration_request, with every table that refers to it: sessions and
-- password_reset. Their foreign keys say ON DELETE CASCADE, and the migrations run with foreign
-- keys on, so dropping users while they still referred to it would delete every session and
-- one-time link with it; instead each is made anew referring to users_new (renaming users_new
-- to users afterwards updates their references), copied, and the old tables are dropped
-- children first. Their indexes are made again (dropping a table drops its indexes).

CREATE TABLE users_new (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    role          TEXT NOT NULL CHECK (role IN ('local_admin', 'reviewer', 'desk_admin')),
    ods_code      TEXT CHECK ((role = 'local_admin' AND ods_code IS NOT NULL)
                           OR (role IN ('reviewer', 'desk_admin') AND ods_code IS NULL)),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

INSERT INTO users_new (id, email, role, ods_code, password_hash, created_at, disabled_at)
    SELECT id, email, role, ods_code, password_hash, created_at, disabled_at
    FROM users;

CREATE TABLE sessions_new (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users_new (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

INSERT INTO sessions_new (id, user_id, csrf_token, created_at, last_seen_at, expires_at)
    SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at
    FROM sessions;

CREATE TABLE password_reset_new (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users_new (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

INSERT INTO password_reset_new (id, user_id, created_at, expires_at)
    SELECT id, user_id, created_at, expires_at
    FROM password_reset;

DROP TABLE password_reset;

DROP TABLE sessions;

DROP TABLE users;

ALTER TABLE users_new RENAME TO users;

ALTER TABLE sessions_new RENAME TO sessions;

ALTER TABLE password_reset_new RENAME TO password_reset;

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX password_reset_user_id ON password_reset (user_id);
