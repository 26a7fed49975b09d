-- PostgreSQL's version of migrations/0009_implementations_and_secrets.sql; it differs only where
-- the dialects do: BYTEA for BLOB, a regular expression for GLOB, rebuilt tables' primary key
-- indexes renamed with them, and client_secret's `rowid` made an identity column (SQLite has one
-- implicitly).
--
-- After approval (issue 14): a request becomes a registered application ('live') once a reviewer
-- records what NHSmail's Entra made for it, and the client secret Entra issued is kept encrypted
-- for 72 hours. The statuses of the rest of the application's life (deletion_requested, deleted,
-- purged) are allowed now, so that the table is rebuilt once.
--
-- A CHECK constraint cannot be altered in SQLite, so registration_request is rebuilt. sqlx runs
-- every SQLite migration inside a transaction, where foreign keys cannot be switched off, so its
-- child `decision` is rebuilt with it: the new child refers to the new parent, the old child is
-- dropped before the old parent (no foreign key is ever violated), and renaming the new parent
-- updates the new child's reference (SQLite >= 3.26). Portable SQL: the same statements run on
-- PostgreSQL.

CREATE TABLE registration_request_new (
    reference          TEXT NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'changes_requested',
                                                       'awaiting_second_approval', 'approved', 'rejected',
                                                       'live', 'deletion_requested', 'deleted', 'purged')),
    ods_code           TEXT NOT NULL,
    organisation_name  TEXT,
    application_name   TEXT NOT NULL,
    risk               TEXT NOT NULL CHECK (risk IN ('low', 'high')),
    request_json       TEXT NOT NULL,
    report_json        TEXT NOT NULL,
    submitted_at       TEXT NOT NULL,
    submitted_by       TEXT,
    submitted_by_email TEXT,
    PRIMARY KEY (reference, version)
);

INSERT INTO registration_request_new (reference, version, status, ods_code, organisation_name,
        application_name, risk, request_json, report_json, submitted_at, submitted_by, submitted_by_email)
    SELECT reference, version, status, ods_code, organisation_name, application_name, risk,
           request_json, report_json, submitted_at, submitted_by, submitted_by_email
    FROM registration_request;

CREATE TABLE decision_new (
    reference      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    n              INTEGER NOT NULL CHECK (n >= 1),
    decision       TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'request_changes')),
    reason         TEXT,
    reviewer_id    TEXT NOT NULL,
    reviewer_email TEXT NOT NULL,
    status_after   TEXT NOT NULL,
    decided_at     TEXT NOT NULL,
    log_seq        INTEGER NOT NULL,
    PRIMARY KEY (reference, version, n),
    FOREIGN KEY (reference, version) REFERENCES registration_request_new (reference, version)
);

INSERT INTO decision_new (reference, version, n, decision, reason, reviewer_id, reviewer_email,
        status_after, decided_at, log_seq)
    SELECT reference, version, n, decision, reason, reviewer_id, reviewer_email, status_after,
           decided_at, log_seq
    FROM decision;

DROP TABLE decision;

DROP TABLE registration_request;

ALTER TABLE registration_request_new RENAME TO registration_request;
ALTER INDEX registration_request_new_pkey RENAME TO registration_request_pkey;

ALTER TABLE decision_new RENAME TO decision;
ALTER INDEX decision_new_pkey RENAME TO decision_pkey;

CREATE INDEX registration_request_status ON registration_request (status);
CREATE INDEX registration_request_ods_code ON registration_request (ods_code);
CREATE INDEX registration_request_submitted_at ON registration_request (submitted_at);

-- One row per registered application: what Entra made for the approved version. `log_seq` is the
-- signed implementation entry (appreg-implementation+jwt).
CREATE TABLE implementation (
    reference            TEXT PRIMARY KEY NOT NULL,
    version              INTEGER NOT NULL,
    application_id       TEXT NOT NULL,
    object_id            TEXT NOT NULL,
    tenant_id            TEXT NOT NULL,
    implemented_by       TEXT NOT NULL,
    implemented_by_email TEXT NOT NULL,
    implemented_at       TEXT NOT NULL,
    log_seq              INTEGER NOT NULL,
    FOREIGN KEY (reference, version) REFERENCES registration_request (reference, version)
);

-- Client secrets of registered applications (a renewal will add more than one per reference).
-- `ciphertext` (nonce || sealed value, ChaCha20-Poly1305 under the key file beside the signing
-- keys, the reference and secret id as associated data) is set to NULL when the 72 hours are
-- over; `purged_at` and `purge_log_seq` say when and which signed entry says so.
CREATE TABLE client_secret (
    secret_id     TEXT PRIMARY KEY NOT NULL,
    reference     TEXT NOT NULL REFERENCES implementation (reference),
    expires_at    TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    visible_until TEXT NOT NULL,
    ciphertext    BYTEA,
    purged_at     TEXT,
    purge_log_seq INTEGER,
    -- SQLite's implicit rowid, which `ORDER BY issued_at, rowid` reads (insertion order).
    rowid         BIGINT GENERATED BY DEFAULT AS IDENTITY
);

CREATE INDEX client_secret_reference ON client_secret (reference);
CREATE INDEX client_secret_visible_until ON client_secret (visible_until);

-- The log takes the new kinds (implementation, secret_purged). Which kinds exist is the code's
-- to say (`store::log::Kind`, and `appreg log verify` refuses a kind it does not know), so the
-- constraint now checks only the shape of the name: the kinds still to come (renewals, deletion,
-- recovery) need no further rebuild. Nothing refers to log_entry, so it is rebuilt as it is.
CREATE TABLE log_entry_new (
    seq        INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    kind       TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64 AND kind !~ '[^a-z_]'),
    reference  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    jws        TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

INSERT INTO log_entry_new (seq, kind, reference, version, jws, prev_hash, entry_hash, created_at)
    SELECT seq, kind, reference, version, jws, prev_hash, entry_hash, created_at FROM log_entry;

DROP TABLE log_entry;

ALTER TABLE log_entry_new RENAME TO log_entry;
ALTER INDEX log_entry_new_pkey RENAME TO log_entry_pkey;

CREATE INDEX log_entry_reference ON log_entry (reference, kind, version);
