-- The models the library teaches (the local embedder, the re-ranker),
-- kept in the database so that every instance on it embeds and ranks
-- with the same ones: the instance that trains writes a new version, the
-- others load it. body is the model as its package writes it; sha256 is
-- checked at every load.
CREATE TABLE library_models (
    kind       TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    recipe     TEXT    NOT NULL,
    corpus_seq BIGINT  NOT NULL,
    passages   BIGINT  NOT NULL,
    embedder   BIGINT  NOT NULL,
    sha256     TEXT    NOT NULL,
    size       BIGINT  NOT NULL,
    body       BYTEA   NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (kind, version)
);
