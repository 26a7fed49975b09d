-- PostgreSQL's version of migrations/0008_directory_groups.sql; it differs only where the dialects
-- do: the rebuilt table's primary key index is renamed with it (PostgreSQL names indexes per
-- schema, not per table).
--
-- The directory also lists mail-enabled security groups (kind 'group'), so that a request's
-- access policy group can be checked: a group of the requesting organisation, not a mailbox.
-- A CHECK constraint cannot be altered in SQLite, so the table is rebuilt with the wider one
-- (portable: the same statements run on PostgreSQL). Existing rows keep their kinds.
CREATE TABLE directory_mailbox_new (
    address     TEXT PRIMARY KEY NOT NULL,
    ods_code    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('person', 'shared', 'application', 'resource', 'group')),
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

INSERT INTO directory_mailbox_new (address, ods_code, kind, source, imported_at)
    SELECT address, ods_code, kind, source, imported_at FROM directory_mailbox;

DROP TABLE directory_mailbox;

ALTER TABLE directory_mailbox_new RENAME TO directory_mailbox;
ALTER INDEX directory_mailbox_new_pkey RENAME TO directory_mailbox_pkey;
