-- The ingest lock on SQLite: one row while an ingest runs, naming who runs
-- it. It is a lease — renewed while the ingest runs, taken over once
-- expired — so that a killed process does not keep it. PostgreSQL uses an
-- advisory lock instead, which ends with the session.
CREATE TABLE ingest_lock (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
