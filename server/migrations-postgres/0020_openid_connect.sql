-- Sign-in with NHSmail (OpenID Connect; issue 17, parts 1 and 2; docs/sign-in.md).
--
-- oidc_sign_in: a sign-in begun at the provider and not yet back. Kept by the SHA-256 of the
-- `state` sent to the provider, with the SHA-256 of the cookie of the browser that began it (so
-- that a callback link sent to someone else signs no one in), the PKCE verifier and the nonce
-- the ID token must carry, the page to go to afterwards, and the client address that began it
-- (how many one address may have waiting is bounded). One use: the callback deletes it. Ten
-- minutes at most; expired rows are deleted as new sign-ins begin.
CREATE TABLE oidc_sign_in (
    state_hash    TEXT PRIMARY KEY NOT NULL,
    browser_hash  TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    client        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);

CREATE INDEX oidc_sign_in_expires_at ON oidc_sign_in (expires_at);
CREATE INDEX oidc_sign_in_client ON oidc_sign_in (client);

-- user_identity: the person an OpenID provider vouches for (its issuer and their stable subject:
-- Entra's `oid`, else `sub`), linked to an account on their first sign-in by the verified email
-- the account was made with. The account still says the role and organisation.
CREATE TABLE user_identity (
    issuer    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject),
    UNIQUE (user_id, issuer)
);
