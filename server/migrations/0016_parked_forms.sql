-- A registration form posted after its session ended (issue 18, part 2): the idle timeout
-- passed while the Local Administrator was typing, or they were signed out in another tab. The
-- post's fields are kept here under the SHA-256 of a random token in the browser's
-- `appreg_parked` cookie, until that browser signs in again as one of the organisation's Local
-- Administrators: then they become a draft, and the form opens on it. Nothing else reads them.
-- A row older than a day is dropped, and the table holds a bounded number of rows
-- (`store::parked_forms`): it is written by posts nobody is signed in to.
CREATE TABLE parked_form (
    id        TEXT PRIMARY KEY NOT NULL,
    fields    TEXT NOT NULL,
    had_files INTEGER NOT NULL CHECK (had_files IN (0, 1)),
    parked_at TEXT NOT NULL
);

CREATE INDEX parked_form_parked_at ON parked_form (parked_at);
