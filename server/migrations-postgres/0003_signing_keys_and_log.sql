-- Record-signing keys (public halves and life states; private keys live in <data_dir>/keys/<kid>.pem
-- with mode 0600) and the hash-chained log of signed records and decisions. Portable SQL: the same
-- statements run on SQLite and PostgreSQL. Times are RFC 3339 text in UTC.

-- kid is the RFC 7638 thumbprint of public_jwk. Exactly one key is `current` (it signs new
-- records); `retired` keys still verify what they signed; `revoked` keys verify nothing.
CREATE TABLE signing_key (
    kid        TEXT PRIMARY KEY NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('current', 'retired', 'revoked')),
    public_jwk TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT,
    revoked_at TEXT
);

-- At most one current key, enforced by the database rather than by care.
CREATE UNIQUE INDEX signing_key_one_current ON signing_key (state) WHERE state = 'current';

-- The append-only chain. seq is 1, 2, 3, ... with no gaps; prev_hash is the entry_hash of seq - 1
-- (64 zeros for seq 1); entry_hash is the hex SHA-256 of the canonical JSON of
-- {seq, kind, reference, version, jws, prev_hash, created_at}. The primary key on seq makes a
-- fork (two entries claiming the same place) impossible.
CREATE TABLE log_entry (
    seq        INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    kind       TEXT NOT NULL CHECK (kind IN ('registration_record', 'decision')),
    reference  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    jws        TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX log_entry_reference ON log_entry (reference, kind, version);
