-- A Local Administrator can withdraw their organisation's request before a reviewer decides it
-- (issue 18, part 3; docs/lifecycle.md): the version is `withdrawn`, by a signed application_step
-- entry (`withdraw_request`) of that version.
--
-- The status `withdrawn` is new, and a CHECK constraint cannot be altered in SQLite, so
-- registration_request is rebuilt as 0012 rebuilt it, with every table that refers to it and
-- those that refer to them. A withdrawn version may never have been implemented, so
-- application_step now refers to the version a step is of (registration_request's reference and
-- version) instead of to implementation; every step recorded so far is of an implemented
-- version, which exists. 0013's `is_latest` column, its trigger and its indexes are made again
-- on the rebuilt table (dropping a table drops its trigger and indexes).

CREATE TABLE registration_request_new (
    reference          TEXT NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'changes_requested',
                                                       'awaiting_second_approval', 'approved', 'rejected',
                                                       'live', 'deletion_requested', 'deleted',
                                                       'recovery_requested', 'purged', 'superseded',
                                                       'withdrawn')),
    ods_code           TEXT NOT NULL,
    organisation_name  TEXT,
    application_name   TEXT NOT NULL,
    risk               TEXT NOT NULL CHECK (risk IN ('low', 'high')),
    request_json       TEXT NOT NULL,
    report_json        TEXT NOT NULL,
    submitted_at       TEXT NOT NULL,
    submitted_by       TEXT,
    submitted_by_email TEXT,
    purpose            TEXT CHECK (purpose IN ('renewal', 'change')),
    is_latest          INTEGER NOT NULL DEFAULT 1 CHECK (is_latest IN (0, 1)),
    PRIMARY KEY (reference, version)
);

INSERT INTO registration_request_new (reference, version, status, ods_code, organisation_name,
        application_name, risk, request_json, report_json, submitted_at, submitted_by, submitted_by_email,
        purpose, is_latest)
    SELECT reference, version, status, ods_code, organisation_name, application_name, risk,
           request_json, report_json, submitted_at, submitted_by, submitted_by_email, purpose,
           is_latest
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

CREATE TABLE application_step_new (
    reference     TEXT NOT NULL,
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
    PRIMARY KEY (reference, n),
    FOREIGN KEY (reference, version) REFERENCES registration_request_new (reference, version)
);

INSERT INTO application_step_new (reference, n, version, step, reason, actor_id, actor_email,
        status_before, status_after, taken_at, log_seq)
    SELECT reference, n, version, step, reason, actor_id, actor_email, status_before,
           status_after, taken_at, log_seq
    FROM application_step;

DROP TABLE application_step;

DROP TABLE client_secret;

DROP TABLE decision;

DROP TABLE implementation;

DROP TABLE registration_request;

ALTER TABLE registration_request_new RENAME TO registration_request;

ALTER TABLE implementation_new RENAME TO implementation;

ALTER TABLE decision_new RENAME TO decision;

ALTER TABLE client_secret_new RENAME TO client_secret;

ALTER TABLE application_step_new RENAME TO application_step;

CREATE INDEX client_secret_reference ON client_secret (reference);
CREATE INDEX client_secret_visible_until ON client_secret (visible_until);

CREATE TRIGGER registration_request_latest AFTER INSERT ON registration_request
BEGIN
    UPDATE registration_request SET is_latest = 0
    WHERE reference = NEW.reference AND version < NEW.version AND is_latest = 1;
END;

CREATE INDEX registration_request_latest ON registration_request (submitted_at, reference)
    WHERE is_latest = 1;
CREATE INDEX registration_request_latest_status
    ON registration_request (status, submitted_at, reference) WHERE is_latest = 1;
CREATE INDEX registration_request_latest_ods_code
    ON registration_request (ods_code, submitted_at, reference) WHERE is_latest = 1;
CREATE INDEX registration_request_latest_risk
    ON registration_request (risk, submitted_at, reference) WHERE is_latest = 1;
CREATE INDEX registration_request_status ON registration_request (status, is_latest, ods_code);
CREATE INDEX registration_request_ods_code ON registration_request (ods_code, is_latest, status);
