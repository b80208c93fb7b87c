-- What the last complete run read: when the same sources arrive with the
-- same content, the run can say so without parsing them again.
CREATE TABLE ingest_sources (
    sources    TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    laws       INTEGER NOT NULL,
    procedures INTEGER NOT NULL,
    documents  INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
