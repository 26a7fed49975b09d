-- PostgreSQL's version of migrations/0013_queue_at_scale.sql; it differs only where the dialects
-- do: the trigger runs a PL/pgSQL function, and the table is vacuumed and analysed sooner than
-- PostgreSQL's defaults (after 2% of its rows changed or were added, not 20%): the lists' totals
-- are counted from the indexes alone only over pages marked all-visible.
--
-- The reviewer's queue at scale (issue 15): lists show each request at its latest version, and
-- finding that version by `MAX(version)` per row made every page read the whole table (about
-- 120 ms for the first page of 100,000 requests). Each row now says whether it is its request's
-- latest version, kept by a trigger in the statement that inserts a version (no extra round
-- trip for the writer), and partial indexes over the latest versions give each list its order
-- (oldest submission first) for every filter. A later migration that rebuilds the table (as
-- 0009, 0011 and 0012 did) must make the column, the trigger and these indexes again.

ALTER TABLE registration_request ADD COLUMN is_latest INTEGER NOT NULL DEFAULT 1
    CHECK (is_latest IN (0, 1));

UPDATE registration_request SET is_latest = 0
WHERE version < (SELECT MAX(v.version) FROM registration_request v
                 WHERE v.reference = registration_request.reference);

CREATE FUNCTION registration_request_latest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registration_request SET is_latest = 0
    WHERE reference = NEW.reference AND version < NEW.version AND is_latest = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER registration_request_latest AFTER INSERT ON registration_request
    FOR EACH ROW EXECUTE FUNCTION registration_request_latest();

-- Ordered scans of the latest versions, one per filter the lists take (a page is read in
-- order from one of them and stops after 50 rows).
CREATE INDEX registration_request_latest ON registration_request (submitted_at, reference)
    WHERE is_latest = 1;
CREATE INDEX registration_request_latest_status
    ON registration_request (status, submitted_at, reference) WHERE is_latest = 1;
CREATE INDEX registration_request_latest_ods_code
    ON registration_request (ods_code, submitted_at, reference) WHERE is_latest = 1;
CREATE INDEX registration_request_latest_risk
    ON registration_request (risk, submitted_at, reference) WHERE is_latest = 1;

-- The lists' totals are counted from the index alone (status, organisation and both), and the
-- lookups by status (live applications, deleted ones) keep an index. The old indexes on one
-- column each made the planner read a row per counted request (60 ms for 40,000).
DROP INDEX registration_request_status;
DROP INDEX registration_request_ods_code;
DROP INDEX registration_request_submitted_at;
CREATE INDEX registration_request_status ON registration_request (status, is_latest, ods_code);
CREATE INDEX registration_request_ods_code ON registration_request (ods_code, is_latest, status);

ALTER TABLE registration_request SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
