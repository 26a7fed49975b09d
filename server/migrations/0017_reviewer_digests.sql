-- Reviewers told of arrivals and withdrawals once a day (issue 18, part 4; the
-- `reviewer_notices = "daily"` setting): one row a day, inserted by whichever server's scheduler
-- claims that day's digest first (a second finds the row and sends nothing), and completed when
-- the digest has been sent.
CREATE TABLE reviewer_digest (
    day        TEXT PRIMARY KEY NOT NULL,
    claimed_at TEXT NOT NULL,
    sent_at    TEXT,
    arrived    INTEGER,
    withdrawn  INTEGER,
    waiting    INTEGER
);
