-- Expiry reminders (issue 14, part 4): one row per message claimed for a credential of a live
-- application, so that each is sent exactly once across restarts and servers. Nothing is filled
-- in advance: each scheduled run computes from the current credentials which message is due
-- (registration::reminders::due) and claims it with one INSERT … ON CONFLICT statement in a
-- write transaction; only the run whose statement changed a row sends it (docs/lifecycle.md,
-- "Expiry reminders").
--
-- `days_before` is 60, 45, 30, 14 or 7, or 0 for the one notice that the credential expired.
-- `claimed_by`/`claimed_at` name the run that claimed it; `sent_at` is set once the message is
-- handed to the outbox or the SMTP server. A claim whose sending failed is deleted (the next run
-- claims it again); a claim left unsent by a run that died may be taken over after an hour.
CREATE TABLE reminder (
    reference       TEXT NOT NULL,
    credential_kind TEXT NOT NULL CHECK (credential_kind IN ('certificate', 'secret')),
    credential_id   TEXT NOT NULL,
    days_before     INTEGER NOT NULL CHECK (days_before IN (0, 7, 14, 30, 45, 60)),
    expires_at      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    claimed_by      TEXT NOT NULL,
    claimed_at      TEXT NOT NULL,
    sent_at         TEXT,
    days_left       INTEGER,
    recipients      INTEGER,
    PRIMARY KEY (reference, credential_kind, credential_id, days_before)
);
