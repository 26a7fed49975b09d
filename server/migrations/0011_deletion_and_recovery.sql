-- Deletion and recovery of registered applications (issue 14, part 6; docs/lifecycle.md). A live
-- application's organisation asks for its deletion, a reviewer confirms it, the organisation may
-- ask for it back within 30 days (a reviewer confirms that too), and the scheduler purges what
-- stayed deleted. Each step is a signed `application_step` entry of the log and a row here.
--
-- The status `recovery_requested` is new, and a CHECK constraint cannot be altered in SQLite, so
-- registration_request is rebuilt as 0009 rebuilt it, with every table that refers to it
-- (decision, implementation) and the one that refers to those (client_secret): each new child
-- refers to the new parent, the old children are dropped before the old parents (no foreign key is
-- ever violated), and renaming a new parent updates its new children's references (SQLite >=
-- 3.26). Portable SQL: the same statements run on PostgreSQL.

CREATE TABLE registration_request_new (
    reference          TEXT NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'changes_requested',
                                                       'awaiting_second_approval', 'approved', 'rejected',
                                                       'live', 'deletion_requested', 'deleted',
                                                       'recovery_requested', 'purged')),
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

CREATE TABLE implementation_new (
    reference            TEXT PRIMARY KEY NOT NULL,
    version              INTEGER NOT NULL,
    application_id       TEXT NOT NULL,
    object_id            TEXT NOT NULL,
    tenant_id            TEXT NOT NULL,
    implemented_by       TEXT NOT NULL,
    implemented_by_email TEXT NOT NULL,
    implemented_at       TEXT NOT NULL,
    log_seq              INTEGER NOT NULL,
    FOREIGN KEY (reference, version) REFERENCES registration_request_new (reference, version)
);

INSERT INTO implementation_new (reference, version, application_id, object_id, tenant_id,
        implemented_by, implemented_by_email, implemented_at, log_seq)
    SELECT reference, version, application_id, object_id, tenant_id, implemented_by,
           implemented_by_email, implemented_at, log_seq
    FROM implementation;

CREATE TABLE client_secret_new (
    secret_id     TEXT PRIMARY KEY NOT NULL,
    reference     TEXT NOT NULL REFERENCES implementation_new (reference),
    expires_at    TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    visible_until TEXT NOT NULL,
    ciphertext    BLOB,
    purged_at     TEXT,
    purge_log_seq INTEGER
);

INSERT INTO client_secret_new (secret_id, reference, expires_at, issued_at, visible_until,
        ciphertext, purged_at, purge_log_seq)
    SELECT secret_id, reference, expires_at, issued_at, visible_until, ciphertext, purged_at,
           purge_log_seq
    FROM client_secret;

DROP TABLE client_secret;

DROP TABLE decision;

DROP TABLE implementation;

DROP TABLE registration_request;

ALTER TABLE registration_request_new RENAME TO registration_request;

ALTER TABLE implementation_new RENAME TO implementation;

ALTER TABLE decision_new RENAME TO decision;

ALTER TABLE client_secret_new RENAME TO client_secret;

CREATE INDEX registration_request_status ON registration_request (status);
CREATE INDEX registration_request_ods_code ON registration_request (ods_code);
CREATE INDEX registration_request_submitted_at ON registration_request (submitted_at);
CREATE INDEX client_secret_reference ON client_secret (reference);
CREATE INDEX client_secret_visible_until ON client_secret (visible_until);

-- One row per step of a registered application's life after it went live, numbered from 1 per
-- application: what the pages show as its history. `step` is a `registration::lifecycle::Step`
-- (which steps exist is the code's to say, as for the log's kinds: the constraint checks only
-- the name's shape); `actor_id` and `actor_email` are NULL for the scheduler's purge; `log_seq`
-- is the signed entry (appreg-application-step+jwt).
CREATE TABLE application_step (
    reference     TEXT NOT NULL REFERENCES implementation (reference),
    n             INTEGER NOT NULL CHECK (n >= 1),
    version       INTEGER NOT NULL,
    step          TEXT NOT NULL CHECK (length(step) BETWEEN 1 AND 64 AND step NOT GLOB '*[^a-z_]*'),
    reason        TEXT,
    actor_id      TEXT,
    actor_email   TEXT,
    status_before TEXT NOT NULL,
    status_after  TEXT NOT NULL,
    taken_at      TEXT NOT NULL,
    log_seq       INTEGER NOT NULL,
    PRIMARY KEY (reference, n)
);
