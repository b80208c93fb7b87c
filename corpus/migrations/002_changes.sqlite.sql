-- The library's change log: every document written or removed, in the
-- order of the transactions that did it, so that each instance's indexes
-- can follow the database (ingest.Follower). seq only grows; a follower
-- remembers the last one it applied.
CREATE TABLE document_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    op     TEXT NOT NULL,
    at     TEXT NOT NULL
);
