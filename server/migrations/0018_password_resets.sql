-- One-time links to set a new local password (issue 17, part 3; `appreg user reset-password`):
-- the SHA-256 of the link's random token (the link itself is only in the email), the account,
-- and until when it works. A link is deleted when it is used; a new one replaces the account's
-- earlier ones.
CREATE TABLE password_reset (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX password_reset_user_id ON password_reset (user_id);
