-- Drafts of the registration form (one per unguessable id) and submitted registration requests.
-- Portable SQL: the same statements run on SQLite and PostgreSQL. Times are RFC 3339 text in UTC.

-- What a Local Administrator is still editing: the whole RegistrationDraft as JSON, so that a
-- new form field needs no migration. `checked` is 1 once the draft has been checked or submitted
-- (its page then shows findings). A draft never holds a private key (the form refuses those).
CREATE TABLE draft (
    id         TEXT PRIMARY KEY NOT NULL,
    body       TEXT NOT NULL,
    checked    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX draft_updated_at ON draft (updated_at);

-- Every version of every submitted request. The reference is the request's name for life; a
-- resubmission is a new version, so earlier versions stay readable. The latest version carries
-- the current status.
CREATE TABLE registration_request (
    reference         TEXT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'changes_requested',
                                                      'awaiting_second_approval', 'approved', 'rejected')),
    ods_code          TEXT NOT NULL,
    organisation_name TEXT,
    application_name  TEXT NOT NULL,
    risk              TEXT NOT NULL CHECK (risk IN ('low', 'high')),
    request_json      TEXT NOT NULL,
    report_json       TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    PRIMARY KEY (reference, version)
);

CREATE INDEX registration_request_status ON registration_request (status);
CREATE INDEX registration_request_ods_code ON registration_request (ods_code);
CREATE INDEX registration_request_submitted_at ON registration_request (submitted_at);
