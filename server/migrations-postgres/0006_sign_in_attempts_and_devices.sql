-- Sign-in throttling (identity::rate_limit). Portable SQL: the same statements run on SQLite and
-- PostgreSQL. Times are RFC 3339 text in UTC to the whole second.

-- Failures were recorded only after the password hash finished, so guesses sent in parallel
-- were all checked before any was counted. Attempts are now recorded before the check.
DROP TABLE sign_in_failures;

-- One row per sign-in attempt that has not succeeded: written (in the same transaction that
-- checked the limits) before the password is verified, deleted if it proves right. A row left
-- behind is a failure (or an attempt cut short, which counts the same).
-- account: the email as typed, trimmed and lower-case (at most 254 characters; unknown emails
-- count like known ones). client: the client's address. device: the id of the device cookie
-- the attempt presented, when that cookie was issued to this account; such attempts are
-- throttled per device, not per account or address, so guessing from elsewhere cannot lock
-- out a browser that signed in before.
CREATE TABLE sign_in_attempt (
    id         TEXT PRIMARY KEY NOT NULL,
    account    TEXT NOT NULL,
    client     TEXT NOT NULL,
    device     TEXT,
    started_at TEXT NOT NULL
);

CREATE INDEX sign_in_attempt_account ON sign_in_attempt (account, started_at);
CREATE INDEX sign_in_attempt_client ON sign_in_attempt (client, started_at);
CREATE INDEX sign_in_attempt_device ON sign_in_attempt (device, started_at);
CREATE INDEX sign_in_attempt_started_at ON sign_in_attempt (started_at);

-- Browsers that have signed in to an account (OWASP "device cookies"). id is the hex SHA-256 of
-- the 256-bit token in the appreg_device cookie, so a copy of this table proves nothing.
CREATE TABLE sign_in_device (
    id           TEXT PRIMARY KEY NOT NULL,
    account      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);

CREATE INDEX sign_in_device_last_used_at ON sign_in_device (last_used_at);
