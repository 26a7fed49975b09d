-- PostgreSQL's version of migrations/0015_withdrawal.sql; it differs only where the dialects
-- do: PostgreSQL changes a CHECK constraint and a foreign key in place, where SQLite rebuilds the
-- tables. The old constraints are found by what they say (their names come from the tables 0012
-- rebuilt under other names), dropped, and made anew under the names PostgreSQL would give them.
--
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

DO $$
DECLARE
    found record;
BEGIN
    FOR found IN
        SELECT conrelid, conname FROM pg_constraint
        WHERE (conrelid = 'registration_request'::regclass AND contype = 'c'
               AND pg_get_constraintdef(oid) LIKE '%superseded%')
           OR (conrelid = 'application_step'::regclass AND contype = 'f')
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', found.conrelid::regclass, found.conname);
    END LOOP;
END
$$;

ALTER TABLE registration_request ADD CONSTRAINT registration_request_status_check
    CHECK (status IN ('draft', 'submitted', 'changes_requested', 'awaiting_second_approval',
                      'approved', 'rejected', 'live', 'deletion_requested', 'deleted',
                      'recovery_requested', 'purged', 'superseded', 'withdrawn'));

ALTER TABLE application_step ADD CONSTRAINT application_step_reference_version_fkey
    FOREIGN KEY (reference, version) REFERENCES registration_request (reference, version);
