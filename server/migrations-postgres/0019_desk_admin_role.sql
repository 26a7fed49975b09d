-- PostgreSQL's version of migrations/0019_desk_admin_role.sql; it differs only where the dialects
-- do: PostgreSQL changes a CHECK constraint in place, where SQLite rebuilds the table (and the
-- tables that refer to it). The old constraints are found by what they say (both name the
-- `reviewer` role), dropped, and made anew under the names PostgreSQL gave them in 0004.
--
-- A third role, `desk_admin` (issue 17, part 3; docs/sign-in.md): a desk administrator manages
-- the accounts on the Accounts page and nothing else, for no organisation, so its ods_code is
-- NULL as a reviewer's is.

DO $$
DECLARE
    found record;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'users'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%reviewer%'
    LOOP
        EXECUTE format('ALTER TABLE users DROP CONSTRAINT %I', found.conname);
    END LOOP;
END
$$;

ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('local_admin', 'reviewer', 'desk_admin'));

ALTER TABLE users ADD CONSTRAINT users_ods_code_check
    CHECK ((role = 'local_admin' AND ods_code IS NOT NULL)
        OR (role IN ('reviewer', 'desk_admin') AND ods_code IS NULL));
