-- The library's change log: every document written or removed, in the
-- order of the transactions that did it, so that each instance's indexes
-- can follow the database (ingest.Follower). seq only grows; a follower
-- remembers the last one it applied. Writers take an advisory lock for
-- their transaction before they draw a seq, so that seqs become visible
-- in order and a follower never passes one still to come.
CREATE TABLE document_changes (
    seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id TEXT NOT NULL,
    op     TEXT NOT NULL,
    at     TEXT NOT NULL
);
