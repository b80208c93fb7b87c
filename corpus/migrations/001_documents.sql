-- The library's documents. body holds the whole Document as JSON and is
-- the truth; the other columns copy its fields for listing and filtering.
-- Dates are TEXT: issued_at and effective_at as YYYY-MM-DD, updated_at as
-- fixed-width RFC 3339 in UTC, so that text order is time order on both
-- SQLite and PostgreSQL.
CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    number       TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL,
    doc_type     TEXT NOT NULL DEFAULT '',
    issuer       TEXT NOT NULL DEFAULT '',
    issued_at    TEXT NOT NULL DEFAULT '',
    effective_at TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    source_url   TEXT NOT NULL DEFAULT '',
    hash         TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL,
    body         TEXT NOT NULL
);

CREATE INDEX documents_kind_id ON documents (kind, id);

-- The identity keys (corpus.IdentityKeys) under which a document is
-- recognised when it arrives again from another source.
CREATE TABLE document_keys (
    key    TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE
);

CREATE INDEX document_keys_doc_id ON document_keys (doc_id);
