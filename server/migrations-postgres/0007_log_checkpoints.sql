-- Signed checkpoints of the log (store::checkpoints): the desk's signature over the log's head,
-- made every N entries by the writer and on demand by `appreg log checkpoint`, the latest
-- published at /.well-known/appreg-checkpoint. Portable SQL: the same statements run on SQLite
-- and PostgreSQL. Times are RFC 3339 text in UTC.

-- size is the seq of the last entry covered (0 for an empty log); root is that entry's
-- entry_hash (64 zeros for an empty log); jws is the signed checkpoint (typ
-- appreg-checkpoint+jwt, claims iss, iat, size, root), signed with the key current then.
CREATE TABLE log_checkpoint (
    size       INTEGER PRIMARY KEY NOT NULL CHECK (size >= 0),
    root       TEXT NOT NULL,
    kid        TEXT NOT NULL,
    jws        TEXT NOT NULL,
    created_at TEXT NOT NULL
);
