-- Organisations and mailboxes imported with `appreg directory import`; they overlay the
-- embedded ODS reference data (an imported code replaces the embedded entry).
CREATE TABLE directory_organisation (
    ods_code    TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    role_id     TEXT NOT NULL,
    parent      TEXT,
    successors  TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE directory_mailbox (
    address     TEXT PRIMARY KEY NOT NULL,
    ods_code    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('person', 'shared', 'application', 'resource')),
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
