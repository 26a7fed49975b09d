-- A reviewer can claim a request they are working on, so that two reviewers do not review the
-- same one at once (issue 18, part 4). A claim is advisory and not part of the signed log: the
-- queue and the request's page show who has it; its holder releases it, or another reviewer
-- takes it over (the page says whose it was). One claim a request at most.
CREATE TABLE review_claim (
    reference      TEXT PRIMARY KEY,
    reviewer_id    TEXT NOT NULL,
    reviewer_email TEXT NOT NULL,
    claimed_at     TEXT NOT NULL
);
