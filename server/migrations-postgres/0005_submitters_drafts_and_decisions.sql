-- Who submitted each version, whose organisation a draft belongs to, and reviewers' decisions.
-- Portable SQL: the same statements run on SQLite and PostgreSQL. Times are RFC 3339 text in UTC.

-- The account that submitted a version (users.id) and its email at the time (the email is what
-- the signed record names). NULL only for versions submitted before sign-in existed.
ALTER TABLE registration_request ADD COLUMN submitted_by TEXT;
ALTER TABLE registration_request ADD COLUMN submitted_by_email TEXT;

-- A draft belongs to one organisation (its Local Administrators may continue it) and was started
-- by one account. `reference` is set when the draft answers "changes requested" on a submitted
-- request: submitting it makes the next version of that reference. Drafts made before sign-in
-- existed have no organisation and are reachable by no one.
ALTER TABLE draft ADD COLUMN ods_code TEXT;
ALTER TABLE draft ADD COLUMN created_by TEXT;
ALTER TABLE draft ADD COLUMN reference TEXT;

CREATE INDEX draft_ods_code ON draft (ods_code);

-- Every decision on every version, in order. `status_after` is the version's status once the
-- decision took effect. `log_seq` is the log entry holding the decision's signed record.
CREATE TABLE decision (
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
    FOREIGN KEY (reference, version) REFERENCES registration_request (reference, version)
);
